"""COPY and MOVE on every type, TTL kept, with Redis 7.0's replies and errors. On the `kv`
fixture, so they run against redis-server too (numeric DB names are valid namespaces)."""

import pytest
import redis

FILL = {
    "string": lambda c, k, n: c.set(k, "v" * n),
    "list": lambda c, k, n: c.rpush(k, *[f"item:{i}" for i in range(n)]),
    "set": lambda c, k, n: c.sadd(k, *[f"member:{i}" for i in range(n)]),
    "intset": lambda c, k, n: c.sadd(k, *range(n)),
    "zset": lambda c, k, n: c.zadd(k, {f"member:{i}": i / 3 for i in range(n)}),
    "hash": lambda c, k, n: c.hset(k, mapping={f"field:{i}": f"value:{i}" for i in range(n)}),
}


def dump(c, key):
    """The key's type and whole contents, comparable between keys."""
    t = c.type(key)
    if t == "string":
        return t, c.get(key)
    if t == "list":
        return t, c.lrange(key, 0, -1)
    if t == "set":
        return t, sorted(c.smembers(key))
    if t == "zset":
        return t, c.zrange(key, 0, -1, withscores=True)
    if t == "hash":
        return t, sorted(c.hgetall(key).items())
    return t, None


@pytest.mark.parametrize("kind", sorted(FILL))
@pytest.mark.parametrize("size", [3, 1000])  # small and large encodings
def test_copy_makes_an_independent_copy_with_the_ttl(kv, kind, size):
    c = kv.client()
    FILL[kind](c, "src", size)
    c.pexpire("src", 100_000)
    assert c.copy("src", "dst") is True
    assert dump(c, "dst") == dump(c, "src")
    assert c.object("encoding", "dst") == c.object("encoding", "src")
    assert 0 < c.pttl("dst") <= 100_000
    # Independent: changing the copy leaves the source as it was.
    before = dump(c, "src")
    c.delete("dst")
    FILL[kind](c, "dst", 1)
    assert dump(c, "src") == before
    assert c.copy("src", "dst") is False  # destination exists, no REPLACE
    assert c.copy("src", "dst", replace=True) is True
    assert dump(c, "dst") == before


def test_copy_to_another_db_and_its_errors(kv):
    c = kv.client()
    c.rpush("l", "a", "b")
    c.expire("l", 1000)
    assert c.copy("l", "l", destination_db="1") is True
    other = kv.client(db=1)
    assert other.lrange("l", 0, -1) == ["a", "b"]
    assert 0 < other.ttl("l") <= 1000
    assert c.copy("l", "l", destination_db="1") is False
    assert c.copy("l", "l", destination_db="1", replace=True) is True
    assert c.copy("missing", "x") is False
    assert c.exists("x") == 0
    with pytest.raises(redis.ResponseError, match="^source and destination objects are the same$"):
        c.copy("l", "l")
    with pytest.raises(redis.ResponseError, match="^source and destination objects are the same$"):
        c.execute_command("COPY", "l", "l", "DB", "0")
    for bad in (["COPY", "l", "x", "REPLACEX"], ["COPY", "l", "x", "DB"],
                ["COPY", "l", "x", "REPLACE", "DB"]):
        with pytest.raises(redis.ResponseError, match="^syntax error$"):
            c.execute_command(*bad)
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        c.execute_command("COPY", "l")


@pytest.mark.parametrize("kind", sorted(FILL))
def test_move_moves_value_and_ttl(kv, kind):
    c = kv.client()
    other = kv.client(db=1)
    FILL[kind](c, "k", 200)
    c.expire("k", 1000)
    before = dump(c, "k")
    assert c.move("k", 1) is True
    assert c.exists("k") == 0
    assert dump(other, "k") == before
    assert 0 < other.ttl("k") <= 1000
    # Not moved when the key exists there, nor when it is missing here.
    FILL[kind](c, "k", 1)
    assert c.move("k", 1) is False
    assert c.exists("k") == 1
    assert c.move("missing", 1) is False
    with pytest.raises(redis.ResponseError, match="^source and destination objects are the same$"):
        c.move("k", 0)


def test_copy_of_typed_native_values_keeps_their_type(kv_server):
    s = kv_server()
    c = s.client()
    c.set("n", 41)  # an integer-encoded string
    assert c.copy("n", "m") is True
    assert c.incr("m") == 42
    assert c.get("n") == "41"
    assert c.object("encoding", "m") == "int"


@pytest.mark.kv_only  # Redis 7.0 has no field TTLs
def test_copy_and_move_keep_hash_field_ttls(kv):
    c = kv.client()
    c.hset("h", mapping={"a": "1", "b": "2"})
    c.execute_command("HEXPIRE", "h", 1000, "FIELDS", 1, "a")
    assert c.copy("h", "h2") is True
    ttl = c.execute_command("HTTL", "h2", "FIELDS", 2, "a", "b")
    assert 0 < ttl[0] <= 1000 and ttl[1] == -1
    assert c.hgetall("h2") == {"a": "1", "b": "2"}
    assert c.move("h2", 1) is True
    other = kv.client(db=1)
    ttl = other.execute_command("HTTL", "h2", "FIELDS", 2, "a", "b")
    assert 0 < ttl[0] <= 1000 and ttl[1] == -1


def test_swapdb_swaps_contents_for_every_client(kv):
    c = kv.client()
    other = kv.client(db=1)
    c.rpush("l", "a", "b")
    c.set("only0", "x")
    c.expire("only0", 1000)
    other.sadd("s", "m")
    assert c.swapdb(0, 1) is True
    # Both connections stay selected where they were and now see the other's data.
    assert c.smembers("s") == {"m"} and c.exists("l", "only0") == 0
    assert other.lrange("l", 0, -1) == ["a", "b"] and 0 < other.ttl("only0") <= 1000
    assert c.dbsize() == 1 and other.dbsize() == 2
    assert c.swapdb(0, 0) is True  # the same database: nothing changes
    assert c.dbsize() == 1
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        c.execute_command("SWAPDB", "0")


@pytest.mark.kv_only
def test_namespace_names_and_errors(kv):
    c = kv.client()
    c.set("k", "v")
    assert c.execute_command("COPY", "k", "k", "DB", "sessions") == 1
    assert c.execute_command("MOVE", "k", "archive") == 1
    assert c.execute_command("SWAPDB", "archive", "sessions") in (True, "OK")
    s = kv.client(db="sessions")
    a = kv.client(db="archive")
    assert s.get("k") == "v" and a.get("k") == "v"  # each held one copy; swapped
    for bad in (["COPY", "k", "x", "DB", "bad name"], ["MOVE", "k", "a/b"],
                ["SWAPDB", "0", "bad name"]):
        with pytest.raises(redis.ResponseError, match="^invalid namespace name"):
            c.execute_command(*bad)


@pytest.mark.kv_only
def test_copy_move_swapdb_replay_after_kill9(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client()
    c.rpush("l", 1, 2, 3)
    c.zadd("z", {"a": 1.5})
    c.hset("h", "f", "v")
    assert c.copy("l", "l2") and c.copy("z", "z", destination_db="1")
    assert c.move("h", 2)
    c.set("later", "x")
    assert c.swapdb(0, 3)
    c.close()
    s.kill9()
    s.restart()
    db0, db1, db2, db3 = (s.client(db=n) for n in range(4))
    assert db0.dbsize() == 0
    assert db3.lrange("l", 0, -1) == db3.lrange("l2", 0, -1) == ["1", "2", "3"]
    assert db3.get("later") == "x"
    assert db1.zrange("z", 0, -1, withscores=True) == [("a", 1.5)]
    assert db2.hgetall("h") == {"f": "v"}
