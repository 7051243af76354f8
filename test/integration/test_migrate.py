"""MIGRATE between two servers without cluster mode, checked against redis-server in the Redis
pass (both servers are then redis-servers): single keys and KEYS lists, TTLs, COPY, REPLACE,
AUTH, NOKEY, and the errors of the arguments, of the connection and of the target."""
import pytest
import redis

from conftest import free_port


def err(fn, *args):
    with pytest.raises(redis.ResponseError) as e:
        fn(*args)
    return str(e.value)


@pytest.fixture
def pair(kv_server):
    return kv_server(), kv_server()


def migrate(c, target, *args):
    return c.execute_command("MIGRATE", target.host, target.port, *args)


def test_single_key_moves_with_its_ttl(pair):
    src, dst = pair
    a, b = src.client(), dst.client()
    a.set("k", "v", px=100000)
    assert migrate(a, dst, "k", 0, 5000) == "OK"
    assert a.exists("k") == 0
    assert b.get("k") == "v"
    assert 0 < b.pttl("k") <= 100000
    a.set("p", "persistent")
    assert migrate(a, dst, "p", 0, 5000) == "OK"
    assert b.ttl("p") == -1


def test_keys_of_every_type(pair):
    src, dst = pair
    a, b = src.client(), dst.client()
    a.hset("h", mapping={"f1": "1", "f2": "2"})
    a.rpush("l", "x", "y", "z")
    a.sadd("s", "m1", "m2")
    a.zadd("z", {"a": 1.5, "b": 2})
    a.set("str", "text")
    assert migrate(a, dst, "", 0, 5000, "KEYS", "h", "l", "s", "z", "str", "missing") == "OK"
    assert a.exists("h", "l", "s", "z", "str") == 0
    assert b.hgetall("h") == {"f1": "1", "f2": "2"}
    assert b.lrange("l", 0, -1) == ["x", "y", "z"]
    assert b.smembers("s") == {"m1", "m2"}
    assert b.zrange("z", 0, -1, withscores=True) == [("a", 1.5), ("b", 2.0)]
    assert b.get("str") == "text"
    assert b.exists("missing") == 0


def test_copy_replace_and_busykey(pair):
    src, dst = pair
    a, b = src.client(), dst.client()
    a.set("k", "new")
    b.set("k", "old")
    assert err(migrate, a, dst, "k", 0, 5000) == \
        "Target instance replied with error: BUSYKEY Target key name already exists."
    assert a.get("k") == "new" and b.get("k") == "old"
    assert migrate(a, dst, "k", 0, 5000, "COPY", "REPLACE") == "OK"
    assert a.get("k") == "new" and b.get("k") == "new"
    a.set("k", "newer")
    assert migrate(a, dst, "k", 0, 5000, "REPLACE") == "OK"
    assert a.exists("k") == 0 and b.get("k") == "newer"


def test_nokey(pair):
    src, dst = pair
    a = src.client()
    assert migrate(a, dst, "nothing", 0, 5000) == "NOKEY"
    assert migrate(a, dst, "", 0, 5000, "KEYS", "x", "y") == "NOKEY"


def test_destination_database(pair):
    src, dst = pair
    a, b = src.client(), dst.client()
    a.set("k", "v")
    assert migrate(a, dst, "k", 1, 5000) == "OK"
    assert b.exists("k") == 0
    b.execute_command("SELECT", 1)
    assert b.get("k") == "v"


def test_argument_errors(pair):
    src, dst = pair
    a = src.client()
    a.set("k", "v")
    assert err(migrate, a, dst, "k", 0, 5000, "KEYS", "k") == \
        "When using MIGRATE KEYS option, the key argument must be set to the empty string"
    assert err(migrate, a, dst, "k", 0, 5000, "BOGUS") == "syntax error"
    assert err(migrate, a, dst, "k", 0, 5000, "AUTH") == "syntax error"
    assert err(migrate, a, dst, "k", 0, 5000, "AUTH2", "user") == "syntax error"
    assert err(migrate, a, dst, "k", 0, "x") == "value is not an integer or out of range"
    assert err(migrate, a, dst, "k", "x", 5000) == "value is not an integer or out of range"
    assert err(a.execute_command, "MIGRATE", "h", 1, "k", 0) == \
        "wrong number of arguments for 'migrate' command"
    assert a.get("k") == "v"


def test_unreachable_target(kv):
    c = kv.client()
    c.set("k", "v")
    port = free_port()  # nothing listens there: refused at the first write, as in Redis
    assert err(c.execute_command, "MIGRATE", "127.0.0.1", port, "k", 0, 1000) == \
        "IOERR error or timeout writing to target instance"
    assert err(c.execute_command, "MIGRATE", "no-such-host.invalid", port, "k", 0, 1000) == \
        "IOERR error or timeout connecting to the client"
    assert c.get("k") == "v"


def test_auth_to_target(kv_server):
    src = kv_server()
    dst = kv_server(requirepass="sekret")
    a, b = src.client(), dst.client()
    a.set("k", "v")
    assert err(migrate, a, dst, "k", 0, 5000) == \
        "Target instance replied with error: NOAUTH Authentication required."
    assert err(migrate, a, dst, "k", 0, 5000, "AUTH", "wrong").startswith(
        "Target instance replied with error: WRONGPASS")
    assert a.get("k") == "v"
    assert migrate(a, dst, "k", 0, 5000, "AUTH", "sekret") == "OK"
    assert b.get("k") == "v"
    a.set("k2", "v2")
    assert migrate(a, dst, "k2", 0, 5000, "AUTH2", "default", "sekret") == "OK"
    assert b.get("k2") == "v2"
