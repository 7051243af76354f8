"""The plugin API's hash, set and sorted-set calls (version 4) through test/modules/collops.c, a
plugin built against include/kvmodule.h alone: what it writes is what HGETALL, SMEMBERS and
ZRANGE see (and the other way round), in both encodings, typed values included; another type is
KV_WRONGTYPE and is left untouched; a missing key reads as empty; emptying a collection deletes
its key; and the plugin's writes replay from the log after kill -9."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only

COLLOPS = Path(KV_BIN).resolve().parent / "test" / "modules" / "collops.so"
KV_VALUE = {"int": 1, "float": 2, "decimal": 3, "string": 4, "bytes": 5, "list": 6}


@pytest.fixture
def srv(kv_server):
    assert COLLOPS.is_file(), "test plugin not built"
    return kv_server(native_port="auto", loadmodule=str(COLLOPS))


def cmd(c, name, *args):
    return c.execute_command(f"COLLOPS.{name}", *args)


def pairs(flat, n):
    return [tuple(flat[i:i + n]) for i in range(0, len(flat), n)]


def test_open_as_tells_the_type(srv):
    c = srv.client()
    for t in ("LIST", "HASH", "SET", "ZSET"):
        assert cmd(c, "OPENAS", "none", t) == "OK"  # a missing key opens as anything
    c.hset("h", "f", "v")
    c.sadd("s", "m")
    c.zadd("z", {"m": 1})
    c.rpush("l", "x")
    c.set("str", "x")
    for key, mine in (("h", "HASH"), ("s", "SET"), ("z", "ZSET"), ("l", "LIST")):
        assert cmd(c, "OPENAS", key, mine) == "OK"
        for other in {"HASH", "SET", "ZSET", "LIST"} - {mine}:
            with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
                cmd(c, "OPENAS", key, other)
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        cmd(c, "OPENAS", "str", "HASH")
    with pytest.raises(redis.ResponseError, match="^api"):
        cmd(c, "OPENAS", "h", "OTHER")  # not a collection type


def test_hash_calls(srv):
    c = srv.client()
    assert cmd(c, "HLEN", "h") == 0
    assert cmd(c, "HGET", "h", "f") is None
    assert cmd(c, "HWALK", "h") == []
    assert cmd(c, "HDEL", "h", "f") == 0  # a missing key: done, nothing deleted
    assert c.exists("h") == 0
    assert cmd(c, "HSET", "h", "f", "v1") == 1
    assert cmd(c, "HSET", "h", "f", "v2") == 0  # replaced, not created
    assert cmd(c, "HSET", "h", "g", "w") == 1
    assert c.hgetall("h") == {"f": "v2", "g": "w"}
    assert c.object("encoding", "h") == "listpack"
    c.hset("h", "k", "from-resp")
    assert cmd(c, "HLEN", "h") == 3
    assert cmd(c, "HGET", "h", "k") == "from-resp"
    assert cmd(c, "HGET", "h", "nope") is None
    assert pairs(cmd(c, "HWALK", "h"), 3) == [("f", "v2", KV_VALUE["bytes"]),
                                              ("g", "w", KV_VALUE["bytes"]),
                                              ("k", "from-resp", KV_VALUE["bytes"])]
    assert len(cmd(c, "HWALK", "h", "2")) == 6  # the callback's non-zero return stops the walk
    assert cmd(c, "HDEL", "h", "nope") == 0
    assert cmd(c, "HDEL", "h", "f") == 1
    assert cmd(c, "HDEL", "h", "g") == 1
    assert cmd(c, "HDEL", "h", "k") == 1
    assert c.exists("h") == 0  # the last field's deletion took the key, as HDEL does


def test_hash_values_keep_their_type(srv):
    c = srv.client()
    n = kvclient.connect(f"kv://127.0.0.1:{srv.native_port}")
    try:
        assert n.call("COLLOPS.HSET", "h", "i", 7) == 1
        assert n.call("COLLOPS.HSET", "h", "d", Decimal("2.50")) == 1
        assert n.call("COLLOPS.HSET", "h", "x", 1.5) == 1
        assert n.call("COLLOPS.HGET", "h", "d") == Decimal("2.50")  # typed out again
        assert n.call("COLLOPS.HGET", "h", "i") == 7
    finally:
        n.close()
    assert c.hgetall("h") == {"i": "7", "d": "2.50", "x": "1.5"}
    assert pairs(cmd(c, "HWALK", "h"), 3) == [("i", "7", KV_VALUE["int"]),
                                              ("d", "2.50", KV_VALUE["decimal"]),
                                              ("x", "1.5", KV_VALUE["float"])]
    assert cmd(c, "VTEXT", "h", "d") == "2.50"
    assert c.execute_command("HINCRBY", "h", "i", 1) == 8  # the command family sees an integer


def test_set_calls(srv):
    c = srv.client()
    assert cmd(c, "SCARD", "s") == 0
    assert cmd(c, "SISMEMBER", "s", "a") == 0
    assert cmd(c, "SWALK", "s") == []
    assert cmd(c, "SREM", "s", "a") == 0
    assert cmd(c, "SADD", "s", "1") == 1
    assert cmd(c, "SADD", "s", "1") == 0
    assert c.object("encoding", "s") == "intset"
    assert pairs(cmd(c, "SWALK", "s"), 2) == [("1", KV_VALUE["int"])]  # an intset reads Ints
    assert cmd(c, "SADD", "s", "b") == 1
    assert c.object("encoding", "s") == "listpack"
    c.sadd("s", "c")
    assert sorted(c.smembers("s")) == ["1", "b", "c"]
    assert cmd(c, "SCARD", "s") == 3
    assert cmd(c, "SISMEMBER", "s", "c") == 1
    assert cmd(c, "SISMEMBER", "s", "zz") == 0
    assert sorted(pairs(cmd(c, "SWALK", "s"), 2)) == [("1", KV_VALUE["int"]),  # kept its type
                                                      ("b", KV_VALUE["bytes"]),
                                                      ("c", KV_VALUE["bytes"])]
    assert len(cmd(c, "SWALK", "s", "1")) == 2
    # a write inside a walk is refused (KV_ERR), and the set is untouched
    assert cmd(c, "WALKWRITE", "s") == 1
    assert cmd(c, "SCARD", "s") == 3
    for m in ("1", "b"):
        assert cmd(c, "SREM", "s", m) == 1
    assert cmd(c, "SREM", "s", "b") == 0
    assert cmd(c, "SREM", "s", "c") == 1
    assert c.exists("s") == 0


def test_set_members_typed(srv):
    c = srv.client()
    n = kvclient.connect(f"kv://127.0.0.1:{srv.native_port}")
    try:
        assert n.call("COLLOPS.SADD", "s", Decimal("2.50")) == 1
        assert n.call("COLLOPS.SADD", "s", 5) == 1
    finally:
        n.close()
    assert cmd(c, "SADD", "s", "5") == 0  # the Int 5 and the bytes "5" are one member
    assert cmd(c, "SISMEMBER", "s", "2.50") == 1
    assert dict(pairs(cmd(c, "SWALK", "s"), 2)) == {"2.50": KV_VALUE["decimal"],
                                                    "5": KV_VALUE["int"]}


def test_zset_calls(srv):
    c = srv.client()
    assert cmd(c, "ZCARD", "z") == 0
    assert cmd(c, "ZSCORE", "z", "a") is None
    assert cmd(c, "ZRANK", "z", "a") is None
    assert cmd(c, "ZRANGE", "z", "0", "-1") == []
    assert cmd(c, "ZREM", "z", "a") == 0
    assert cmd(c, "ZADD", "z", "2", "b") == 1
    assert cmd(c, "ZADD", "z", "1", "a") == 1
    assert cmd(c, "ZADD", "z", "3", "c") == 1
    assert cmd(c, "ZADD", "z", "0.5", "c") == 0  # moved, not added
    with pytest.raises(redis.ResponseError, match="^api"):
        cmd(c, "ZADD", "z", "nan", "d")  # NaN refused
    assert cmd(c, "ZADD", "inf", "inf", "top") == 1
    assert cmd(c, "ZADD", "inf", "-inf", "bottom") == 1
    assert c.zrange("inf", 0, -1, withscores=True) == [("bottom", float("-inf")),
                                                       ("top", float("inf"))]
    c.zadd("z", {"d": 4})
    assert c.zrange("z", 0, -1, withscores=True) == [("c", 0.5), ("a", 1), ("b", 2), ("d", 4)]
    assert cmd(c, "ZCARD", "z") == 4
    assert float(cmd(c, "ZSCORE", "z", "c")) == 0.5
    assert cmd(c, "ZSCORE", "z", "nope") is None
    assert cmd(c, "ZRANK", "z", "a") == 1
    assert cmd(c, "ZRANK", "z", "a", "REV") == 2
    assert cmd(c, "ZRANK", "z", "nope") is None
    assert cmd(c, "ZRANGE", "z", "0", "-1")[::2] == c.zrange("z", 0, -1)
    for start, stop in ((1, 2), (-2, -1), (-100, 100), (3, 1), (5, 9), (0, 0), (-1, 0),
                        (-2**63, 2**63 - 1), (2**63 - 1, -2**63)):
        assert cmd(c, "ZRANGE", "z", start, stop)[::2] == c.zrange("z", start, stop)
        assert cmd(c, "ZRANGE", "z", start, stop, "REV")[::2] == c.zrange("z", start, stop,
                                                                          desc=True)
    assert [float(x) for x in cmd(c, "ZRANGE", "z", "0", "1")[1::2]] == [0.5, 1.0]
    assert len(cmd(c, "ZRANGE", "z", "0", "-1", "ASC", "1")) == 2
    for m in "abcd":
        assert cmd(c, "ZREM", "z", m) == 1
    assert c.exists("z") == 0


def test_wrongtype_leaves_the_key_alone(srv):
    c = srv.client()
    c.set("str", "text")
    c.rpush("l", "x")
    wrong = [("HLEN",), ("HGET", "f"), ("HSET", "f", "v"), ("HDEL", "f"), ("HWALK",),
             ("SCARD",), ("SADD", "m"), ("SREM", "m"), ("SISMEMBER", "m"), ("SWALK",),
             ("ZCARD",), ("ZADD", "1", "m"), ("ZREM", "m"), ("ZSCORE", "m"), ("ZRANK", "m"),
             ("ZRANGE", "0", "-1")]
    for key in ("str", "l"):
        for name, *args in wrong:
            with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
                cmd(c, name, key, *args)
    c.hset("h", "f", "v")
    for name, *args in wrong[5:]:
        with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
            cmd(c, name, "h", *args)
    assert c.get("str") == "text"
    assert c.lrange("l", 0, -1) == ["x"]
    assert c.hgetall("h") == {"f": "v"}


def test_big_collections(srv):
    c = srv.client()
    for i in range(300):
        assert cmd(c, "HSET", "h", f"f{i}", f"v{i}") == 1
        assert cmd(c, "SADD", "s", f"m{i}") == 1
        assert cmd(c, "SADD", "is", str(i)) == 1
        assert cmd(c, "ZADD", "z", str(i % 7), f"m{i:03}") == 1
    assert cmd(c, "SADD", "is", str(10**6)) == 1
    assert c.object("encoding", "h") == "hashtable"
    assert c.object("encoding", "s") == "hashtable"
    assert c.object("encoding", "is") == "intset"
    assert c.object("encoding", "z") == "skiplist"
    assert cmd(c, "HLEN", "h") == 300 == c.hlen("h")
    assert cmd(c, "HGET", "h", "f299") == "v299"
    walked = pairs(cmd(c, "HWALK", "h"), 3)
    assert {f: v for f, v, _ in walked} == c.hgetall("h")
    assert cmd(c, "SCARD", "s") == 300
    assert sorted(m for m, _ in pairs(cmd(c, "SWALK", "s"), 2)) == sorted(c.smembers("s"))
    assert {t for _, t in pairs(cmd(c, "SWALK", "is"), 2)} == {KV_VALUE["int"]}
    for i in range(300, 600):  # past set-max-intset-entries
        assert cmd(c, "SADD", "is", str(i)) == 1
    assert c.object("encoding", "is") == "hashtable"
    assert cmd(c, "SISMEMBER", "is", "599") == 1
    assert sorted(int(m) for m, _ in pairs(cmd(c, "SWALK", "is"), 2)) == \
        sorted(int(m) for m in c.smembers("is"))
    assert cmd(c, "ZRANGE", "z", "0", "-1")[::2] == c.zrange("z", 0, -1)
    assert cmd(c, "ZRANGE", "z", "-20", "-5", "REV")[::2] == c.zrange("z", -20, -5, desc=True)
    assert cmd(c, "ZRANK", "z", "m150") == c.zrank("z", "m150")
    assert cmd(c, "ZRANK", "z", "m150", "REV") == c.zrevrank("z", "m150")
    # a big value converts a small hash, as HSET does
    assert cmd(c, "HSET", "h2", "f", "x" * 100) == 1
    assert c.object("encoding", "h2") == "hashtable"
    before = c.memory_usage("h")
    for i in range(300):
        assert cmd(c, "HDEL", "h", f"f{i}") == 1
        assert cmd(c, "SREM", "s", f"m{i}") == 1
        assert cmd(c, "ZREM", "z", f"m{i:03}") == 1
    assert before > 1000
    assert c.exists("h", "s", "z") == 0
    assert c.info("memory")["used_memory"] > 0


def test_plugin_writes_replay_after_kill9(kv_persist):
    assert COLLOPS.is_file(), "test plugin not built"
    s = kv_persist(appendfsync="always", loadmodule=str(COLLOPS))
    c = s.client()
    for i in range(200):
        cmd(c, "HSET", "h", f"f{i}", f"v{i}")
        cmd(c, "SADD", "s", f"m{i}")
        cmd(c, "ZADD", "z", str(i / 4), f"m{i}")
    cmd(c, "HSET", "small", "a", "1")
    cmd(c, "HDEL", "h", "f7")
    cmd(c, "SREM", "s", "m7")
    cmd(c, "ZREM", "z", "m7")
    cmd(c, "ZADD", "z", "-1", "m8")
    cmd(c, "SADD", "gone", "x")
    cmd(c, "SREM", "gone", "x")
    want = (c.hgetall("h"), c.smembers("s"), c.zrange("z", 0, -1, withscores=True),
            c.hgetall("small"))
    s.kill9()
    s.restart()
    c = s.client()
    assert (c.hgetall("h"), c.smembers("s"), c.zrange("z", 0, -1, withscores=True),
            c.hgetall("small")) == want
    assert c.exists("gone") == 0
    assert cmd(c, "ZRANK", "z", "m8") == 0
