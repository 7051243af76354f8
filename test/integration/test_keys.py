"""Key-space commands: DEL UNLINK EXISTS EXPIRE* TTL PTTL PERSIST TYPE KEYS SCAN RENAME RENAMENX
RANDOMKEY TOUCH DBSIZE FLUSHDB FLUSHALL."""

import random
import time

import pytest
import redis


def test_del_unlink_exists_counts(kv):
    c = kv.client()
    c.mset({"a": 1, "b": 2, "c": 3, "d": 4})
    assert c.exists("a", "a", "missing", "b") == 3  # duplicates count each time
    assert c.delete("a", "b", "missing") == 2
    assert c.exists("a", "b") == 0
    assert c.unlink("c", "c", "missing") == 1
    assert c.exists("c") == 0
    assert c.exists("d") == 1
    assert c.delete("missing") == 0


def test_expire_ttl_persist(kv):
    c = kv.client()
    assert c.ttl("missing") == -2
    assert c.pttl("missing") == -2
    c.set("k", "v")
    assert c.ttl("k") == -1
    assert c.pttl("k") == -1
    assert c.expire("k", 100) is True
    assert 99 <= c.ttl("k") <= 100
    assert c.pexpire("k", 50_000) is True
    assert 49_000 <= c.pttl("k") <= 50_000
    assert c.persist("k") is True
    assert c.ttl("k") == -1
    assert c.persist("k") is False
    assert c.expire("missing", 10) is False
    assert c.persist("missing") is False


def test_expireat_and_expiretime(kv):
    c = kv.client()
    c.set("k", "v")
    assert c.expiretime("k") == -1
    assert c.expiretime("missing") == -2
    at = int(time.time()) + 1000
    assert c.expireat("k", at) is True
    assert c.expiretime("k") == at
    assert c.execute_command("PEXPIRETIME", "k") == at * 1000
    at_ms = (int(time.time()) + 123) * 1000 + 600
    assert c.pexpireat("k", at_ms) is True
    assert c.execute_command("PEXPIRETIME", "k") == at_ms
    assert c.expiretime("k") == (at_ms + 500) // 1000  # rounded like Redis, not truncated


def test_expire_in_the_past_deletes(kv):
    c = kv.client()
    c.set("a", "v")
    c.set("b", "v")
    c.set("c", "v")
    assert c.expire("a", -1) is True
    assert c.pexpire("b", 0) is True
    assert c.expireat("c", 1) is True
    assert c.exists("a", "b", "c") == 0
    assert c.dbsize() == 0


def test_expire_nx_xx_gt_lt(kv):
    c = kv.client()
    c.set("k", "v")
    ex = lambda *a: c.execute_command("EXPIRE", "k", *a)  # noqa: E731
    assert ex(100, "XX") == 0       # no TTL yet
    assert ex(100, "GT") == 0       # no TTL counts as infinite
    assert c.ttl("k") == -1
    assert ex(100, "NX") == 1
    assert ex(200, "NX") == 0
    assert 99 <= c.ttl("k") <= 100
    assert ex(50, "GT") == 0
    assert ex(200, "GT") == 1
    assert 199 <= c.ttl("k") <= 200
    assert ex(300, "LT") == 0
    assert ex(20, "LT") == 1
    assert 19 <= c.ttl("k") <= 20
    assert ex(40, "XX") == 1
    assert 39 <= c.ttl("k") <= 40
    with pytest.raises(redis.ResponseError, match="NX and XX, GT or LT options at the same time"):
        ex(10, "NX", "XX")
    with pytest.raises(redis.ResponseError, match="GT and LT options at the same time"):
        ex(10, "GT", "LT")
    c.set("p", "v")
    assert c.execute_command("EXPIRE", "p", 100, "LT") == 1  # LT on no TTL sets it


def test_lazy_expiry_on_read(kv):
    c = kv.client()
    c.set("short", "v", px=1000)  # long enough to surely still exist for the first GET
    c.set("long", "v", ex=100)
    assert c.get("short") == "v"
    time.sleep(1.1)  # started after the SET's reply: the deadline has passed when it ends
    assert c.get("short") is None
    assert c.exists("short") == 0
    assert c.ttl("short") == -2
    assert c.get("long") == "v"
    assert c.keys("*") == ["long"]


def test_type(kv):
    c = kv.client()
    c.set("s", "v")
    assert c.type("s") == "string"
    assert c.type("missing") == "none"


def test_keys_patterns(kv):
    c = kv.client()
    names = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "other", "hello:1"]
    for n in names:
        c.set(n, "v")
    k = lambda p: sorted(c.keys(p))  # noqa: E731
    assert k("*") == sorted(names)
    assert k("h?llo") == sorted(["hello", "hallo", "hxllo", "h*llo", "h?llo"])
    assert k("h*llo") == sorted(["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo"])
    assert k("h[ae]llo") == ["hallo", "hello"]
    assert k("h[^e]llo") == sorted(["hallo", "hxllo", "h*llo", "h?llo"])
    assert k("h[a-b]llo") == ["hallo"]
    assert k("h\\*llo") == ["h*llo"]
    assert k("hello:*") == ["hello:1"]
    assert k("nomatch*") == []


def test_scan_returns_every_key_once(kv):
    c = kv.client()
    keys = {f"scan:{i}" for i in range(1500)}
    c.mset({k: "v" for k in keys})
    seen = []
    cursor = 0
    rounds = 0
    while True:
        cursor, batch = c.scan(cursor, count=20)
        seen.extend(batch)
        rounds += 1
        assert rounds < 100_000, "SCAN never returned cursor 0"
        if cursor == 0:
            break
    assert set(seen) == keys
    # SCAN may return a key more than once, but every key must appear
    assert len(seen) >= len(keys)


def test_scan_match_count_type(kv):
    c = kv.client()
    c.mset({f"user:{i}": i for i in range(200)})
    c.mset({f"item:{i}": i for i in range(200)})
    users = set()
    for key in c.scan_iter(match="user:*", count=50):
        users.add(key)
    assert users == {f"user:{i}" for i in range(200)}
    strings = set(c.scan_iter(count=1000, _type="string"))
    assert len(strings) == 400
    assert set(c.scan_iter(match="user:1?", count=7)) == {f"user:{i}" for i in range(10, 20)}
    assert list(c.scan_iter(_type="list")) == []
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("SCAN", 0, "COUNT", 0)
    with pytest.raises(redis.ResponseError, match="invalid cursor"):
        c.execute_command("SCAN", "notacursor")


def test_scan_guarantee_under_concurrent_changes(kv):
    """Keys present for the whole iteration are returned even while others come and go."""
    c = kv.client()
    w = kv.client()
    stable = {f"stable:{i}" for i in range(1000)}
    c.mset({k: "v" for k in stable})
    c.mset({f"churn:{i}": "v" for i in range(1000)})
    rnd = random.Random(7)
    seen = set()
    cursor = 0
    n = 0
    while True:
        cursor, batch = c.scan(cursor, count=25)
        seen.update(batch)
        # interleave writes: delete some churn keys, add new ones (may grow the tables)
        pipe = w.pipeline(transaction=False)
        for _ in range(30):
            pipe.delete(f"churn:{rnd.randrange(1000)}")
            pipe.set(f"new:{n}", "v")
            n += 1
        pipe.execute()
        if cursor == 0:
            break
    assert stable <= seen
    assert not {k for k in seen if not k.startswith(("stable:", "churn:", "new:"))}


def test_scan_skips_expired_keys(kv):
    c = kv.client()
    c.set("live", "v")
    c.set("dead", "v", px=50)
    time.sleep(0.2)
    assert set(c.scan_iter(count=100)) == {"live"}


def test_rename(kv):
    c = kv.client()
    c.set("src", "v", ex=100)
    c.set("dst", "old")
    assert c.rename("src", "dst") is True
    assert c.get("dst") == "v"
    assert c.exists("src") == 0
    assert 99 <= c.ttl("dst") <= 100  # TTL moves with the value
    c.set("plain", "p")
    c.set("withttl", "t", ex=100)
    c.rename("plain", "withttl")
    assert c.ttl("withttl") == -1  # the destination's old TTL is gone
    assert c.rename("withttl", "withttl") is True
    assert c.get("withttl") == "p"
    with pytest.raises(redis.ResponseError, match="no such key"):
        c.rename("missing", "x")
    assert c.exists("x") == 0


def test_renamenx(kv):
    c = kv.client()
    c.set("a", "1")
    c.set("b", "2")
    assert c.renamenx("a", "b") is False
    assert c.mget("a", "b") == ["1", "2"]
    assert c.renamenx("a", "c") is True
    assert c.mget("a", "c") == [None, "1"]
    with pytest.raises(redis.ResponseError, match="no such key"):
        c.renamenx("missing", "d")


def test_rename_many_keys_across_shards(kv):
    c = kv.client()
    for i in range(300):
        c.set(f"from:{i}", f"v{i}")
    for i in range(300):
        c.rename(f"from:{i}", f"to:{i}")
    assert c.dbsize() == 300
    assert c.mget([f"to:{i}" for i in range(300)]) == [f"v{i}" for i in range(300)]
    assert c.keys("from:*") == []


def test_randomkey(kv):
    c = kv.client()
    assert c.randomkey() is None
    keys = {f"r{i}" for i in range(20)}
    c.mset({k: "v" for k in keys})
    got = {c.randomkey() for _ in range(200)}
    assert got <= keys
    assert len(got) > 1


def test_randomkey_with_only_expired_keys(kv):
    c = kv.client()
    c.set("gone", "v", px=50)
    time.sleep(0.2)
    assert c.randomkey() is None


def test_touch(kv):
    c = kv.client()
    c.mset({"a": 1, "b": 2})
    assert c.touch("a", "b", "missing") == 2
    assert c.touch("missing") == 0


def test_dbsize_flushdb_flushall(kv):
    c = kv.client()
    assert c.dbsize() == 0
    c.mset({f"k{i}": i for i in range(50)})
    assert c.dbsize() == 50
    c.set("k0", "overwrite")
    assert c.dbsize() == 50
    assert c.flushdb() is True
    assert c.dbsize() == 0
    assert c.get("k1") is None
    c.set("x", 1)
    assert c.execute_command("FLUSHDB", "ASYNC")
    assert c.dbsize() == 0
    c.set("y", 1)
    assert c.execute_command("FLUSHALL", "SYNC")
    assert c.dbsize() == 0
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("FLUSHALL", "NOW")


def test_same_keys_on_different_shard_counts(kv_server):
    """Multi-key commands must behave the same with 1 shard and with many."""
    for shards in (1, 4):
        s = kv_server(shards=shards)
        c = s.client()
        c.mset({f"k{i}": i for i in range(100)})
        assert c.mget([f"k{i}" for i in range(100)]) == [str(i) for i in range(100)]
        assert c.delete(*[f"k{i}" for i in range(0, 100, 2)]) == 50
        assert c.dbsize() == 50
        assert sorted(c.keys("*"), key=lambda k: int(k[1:])) == [f"k{i}" for i in range(1, 100, 2)]
        c.rename("k1", "k0")
        assert c.get("k0") == "1"
