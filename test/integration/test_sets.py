"""Set commands through redis-py and raw RESP: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP
SRANDMEMBER SMOVE SINTER SINTERCARD SUNION SDIFF and their STORE forms, SSCAN; errors in Redis's
order, an emptied set deleting its key, STORE over a key of another type, WRONGTYPE both ways,
and big sets (table encoding) against a Python model. These run against Debian's redis-server
too; kv-server's own encodings, persistence and typed members are in test_sets_kv.py."""

from __future__ import annotations

import random

import pytest
import redis

WRONGTYPE = "^WRONGTYPE Operation against a key holding the wrong kind of value$"


def test_add_remove_and_membership(kv):
    c = kv.client()
    assert c.sadd("s", "a", "b", "c", "a") == 3
    assert c.sadd("s", "c", "d") == 1
    assert c.smembers("s") == {"a", "b", "c", "d"}
    assert c.scard("s") == 4
    assert c.sismember("s", "a") == 1 and c.sismember("s", "z") == 0
    assert c.smismember("s", "a", "z", "d") == [1, 0, 1]
    assert c.srem("s", "a", "z", "a") == 1
    assert c.srem("s", "b", "c", "d") == 3
    assert c.exists("s") == 0  # the emptied set took its key with it
    assert c.srem("s", "x") == 0 and c.scard("s") == 0 and c.smembers("s") == set()
    assert c.smismember("missing", "a", "b") == [0, 0]


def test_integer_members_and_mixed(kv):
    c = kv.client()
    c.sadd("i", 3, 1, 2, -5, 100000, 2**40)
    assert c.smembers("i") == {"3", "1", "2", "-5", "100000", str(2**40)}
    assert c.sismember("i", "100000") == 1 and c.sismember("i", "0100000") == 0
    c.sadd("i", "01", "x")  # not canonical integers: other members
    assert c.scard("i") == 8 and c.sismember("i", "01") == 1 and c.sismember("i", "1") == 1


def test_spop_and_srandmember(kv):
    c = kv.client()
    members = {f"m{i}" for i in range(50)}
    c.sadd("s", *members)
    got = c.spop("s")
    assert got in members and c.sismember("s", got) == 0 and c.scard("s") == 49
    popped = set(c.spop("s", 10))
    assert len(popped) == 10 and popped <= members and not (popped & set(c.smembers("s")))
    rest = set(c.smembers("s"))
    assert set(c.spop("s", 100)) == rest
    assert c.exists("s") == 0
    assert c.spop("s") is None
    assert c.spop("s", 3) in ([], set())
    c.sadd("s", *members)
    assert c.spop("s", 0) in ([], set()) and c.scard("s") == 50
    assert c.srandmember("s") in members
    r = c.srandmember("s", 5)
    assert len(r) == 5 and len(set(r)) == 5 and set(r) <= members
    r = c.srandmember("s", 100)
    assert sorted(r) == sorted(members)  # all of them, once each
    r = c.srandmember("s", -200)  # repetitions allowed
    assert len(r) == 200 and set(r) <= members
    assert c.srandmember("s", 0) == []
    assert c.srandmember("missing") is None and c.srandmember("missing", 5) == []
    assert c.srandmember("missing", -5) == []
    c.delete("s")
    c.sadd("ints", *range(20))
    assert set(c.spop("ints", 19)) | set(c.smembers("ints")) == {str(i) for i in range(20)}


def test_count_errors_in_redis_order(kv):
    with kv.raw() as r:
        r.call("SADD", "s", "a")
        for count in ("-1", "abc"):
            assert str(r.call("SPOP", "s", count)) == "ERR value is out of range, must be positive"
        assert str(r.call("SPOP", "missing", "-1")) == "ERR value is out of range, must be positive"
        assert str(r.call("SPOP", "s", "1", "2")) == "ERR syntax error"
        assert str(r.call("SRANDMEMBER", "s", "1", "2")) == "ERR syntax error"
        assert str(r.call("SRANDMEMBER", "s", "x")) == "ERR value is not an integer or out of range"
        reply = str(r.call("SRANDMEMBER", "s", "-9223372036854775808"))
        assert reply.startswith("ERR value is out of range")
        assert r.call("SCARD", "s") == 1


def test_smove(kv):
    c = kv.client()
    c.sadd("a", "x", "y")
    c.sadd("b", "z")
    assert c.smove("a", "b", "x") == 1
    assert c.smembers("a") == {"y"} and c.smembers("b") == {"x", "z"}
    assert c.smove("a", "b", "nope") == 0
    assert c.smove("missing", "b", "x") == 0
    assert c.smove("a", "a", "y") == 1 and c.smove("a", "a", "q") == 0
    assert c.smove("a", "new", "y") == 1
    assert c.exists("a") == 0 and c.smembers("new") == {"y"}
    assert c.smove("b", "new", "x") == 1 and c.smove("b", "new", "z") == 1
    assert c.exists("b") == 0 and c.smembers("new") == {"x", "y", "z"}
    c.set("str", "v")
    with pytest.raises(redis.ResponseError, match=WRONGTYPE):
        c.smove("new", "str", "x")
    with pytest.raises(redis.ResponseError, match=WRONGTYPE):
        c.smove("str", "new", "x")
    assert c.smove("missing", "str", "x") == 0  # the missing source answers first
    assert c.scard("new") == 3


def test_algebra(kv):
    c = kv.client()
    c.sadd("a", "1", "2", "3", "x")
    c.sadd("b", "2", "3", "4", "x", "y")
    c.sadd("c", "3", "x", "z")
    assert c.sinter("a", "b", "c") == {"3", "x"}
    assert c.sinter("a") == {"1", "2", "3", "x"}
    assert c.sinter("a", "missing") == set()
    assert c.sunion("a", "b", "missing", "c") == {"1", "2", "3", "4", "x", "y", "z"}
    assert c.sdiff("a", "b") == {"1"}
    assert c.sdiff("b", "a", "c") == {"4", "y"}
    assert c.sdiff("missing", "a") == set()
    assert c.sdiff("a", "a") == set()
    assert c.sintercard(3, ["a", "b", "c"]) == 2
    assert c.sintercard(2, ["a", "b"], limit=1) == 1
    assert c.sintercard(2, ["a", "b"], limit=0) == 3
    assert c.sintercard(2, ["a", "missing"]) == 0
    assert c.sinterstore("d", "a", "b") == 3 and c.smembers("d") == {"2", "3", "x"}
    assert c.sunionstore("d", "a", "c") == 5 and c.smembers("d") == {"1", "2", "3", "x", "z"}
    assert c.sdiffstore("d", "a", "b") == 1 and c.smembers("d") == {"1"}
    # The destination may be a source.
    assert c.sunionstore("a", "a", "c") == 5 and c.smembers("a") == {"1", "2", "3", "x", "z"}
    # An empty result deletes the destination; another type is replaced.
    assert c.sinterstore("d", "a", "missing") == 0 and c.exists("d") == 0
    c.set("d", "string")
    assert c.sdiffstore("d", "a", "a") == 0 and c.exists("d") == 0
    c.rpush("d", "l")
    assert c.sunionstore("d", "c") == 3 and c.type("d") == "set"
    c.set("str", "v")
    for call in (lambda: c.sinter("a", "str"), lambda: c.sunion("str"), lambda: c.sdiff("a", "str"),
                 lambda: c.sinterstore("d", "missing", "str"), lambda: c.sintercard(2, ["missing", "str"])):
        with pytest.raises(redis.ResponseError, match=WRONGTYPE):
            call()
    assert c.smembers("d") == {"3", "x", "z"}  # the failed STORE left it alone


def test_sintercard_errors(kv):
    with kv.raw() as r:
        r.call("SADD", "a", "x")
        for n in ("0", "-1", "abc"):
            assert str(r.call("SINTERCARD", n, "a")) == "ERR numkeys should be greater than 0"
        assert str(r.call("SINTERCARD", "3", "a", "b")) == \
            "ERR Number of keys can't be greater than number of args"
        assert str(r.call("SINTERCARD", "1", "a", "LIMIT", "-1")) == "ERR LIMIT can't be negative"
        assert str(r.call("SINTERCARD", "1", "a", "LIMIT")) == "ERR syntax error"
        assert str(r.call("SINTERCARD", "1", "a", "FOO", "1")) == "ERR syntax error"
        assert r.call("SINTERCARD", "1", "a", "limit", "5") == 1
        keys = r.call("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1")
        assert [k.decode() if isinstance(k, bytes) else k for k in keys] == ["a", "b"]


def test_sscan(kv):
    c = kv.client()
    c.sadd("small", "a", "b", "ab")
    cursor, items = c.sscan("small", 0)
    assert cursor == 0 and sorted(items) == ["a", "ab", "b"]
    assert sorted(c.sscan("small", 0, match="a*")[1]) == ["a", "ab"]
    big = {f"member:{i}" for i in range(2000)}
    c.sadd("big", *big)
    seen = []
    cursor = 0
    while True:
        cursor, items = c.sscan("big", cursor, count=50)
        seen.extend(items)
        if cursor == 0:
            break
    assert set(seen) == big
    matched = set(c.sscan_iter("big", match="member:1??"))
    assert matched == {f"member:{i}" for i in range(100, 200)}
    assert c.sscan("missing", 0) == (0, [])
    with kv.raw() as r:
        assert str(r.call("SSCAN", "big", "abc")) == "ERR invalid cursor"
        assert str(r.call("SSCAN", "big", "0", "COUNT", "0")) == "ERR syntax error"
        assert str(r.call("SSCAN", "big", "0", "COUNT", "x")) == \
            "ERR value is not an integer or out of range"
        assert str(r.call("SSCAN", "big", "0", "TYPE", "set")) == "ERR syntax error"
        assert str(r.call("SSCAN", "big", "0", "MATCH")) == "ERR syntax error"


def test_wrongtype_both_ways(kv):
    c = kv.client()
    c.set("str", "v")
    c.rpush("list", "a")
    for key in ("str", "list"):
        for call in (lambda k: c.sadd(k, "a"), lambda k: c.srem(k, "a"), lambda k: c.smembers(k),
                     lambda k: c.sismember(k, "a"), lambda k: c.scard(k), lambda k: c.spop(k),
                     lambda k: c.srandmember(k), lambda k: c.sscan(k, 0)):
            with pytest.raises(redis.ResponseError, match=WRONGTYPE):
                call(key)
    c.sadd("s", "a")
    with pytest.raises(redis.ResponseError, match=WRONGTYPE):
        c.get("s")
    with pytest.raises(redis.ResponseError, match=WRONGTYPE):
        c.lpush("s", "a")
    assert c.type("s") == "set"


def test_big_sets_against_a_model(kv):
    c = kv.client()
    rng = random.Random(5)
    model: dict[str, set[str]] = {"a": set(), "b": set()}
    pool = [str(i) for i in range(700)] + [f"w{i}" for i in range(700)]
    for _ in range(60):
        key = rng.choice(["a", "b"])
        batch = rng.sample(pool, 40)
        if rng.random() < 0.7:
            assert c.sadd(key, *batch) == len(set(batch) - model[key])
            model[key] |= set(batch)
        else:
            assert c.srem(key, *batch) == len(set(batch) & model[key])
            model[key] -= set(batch)
        assert c.scard(key) == len(model[key])
    for key in model:
        assert c.smembers(key) == model[key]
    assert c.sinter("a", "b") == model["a"] & model["b"]
    assert c.sunion("a", "b") == model["a"] | model["b"]
    assert c.sdiff("a", "b") == model["a"] - model["b"]
    assert c.sintercard(2, ["a", "b"]) == len(model["a"] & model["b"])


def test_resp3_replies_are_sets(kv):
    with kv.raw() as r:
        r.call("HELLO", "3")
        r.call("SADD", "s", "a")
        for cmd in (("SMEMBERS", "s"), ("SUNION", "s"), ("SINTER", "s"), ("SDIFF", "s"),
                    ("SMEMBERS", "missing"), ("SPOP", "s", "0")):
            r.send_command(*cmd)
            assert r.read(0.5)[:1] == b"~", cmd
        r.send_command("SRANDMEMBER", "s", "2")  # may repeat members: an array
        assert r.read(0.5)[:1] == b"*"


def test_redis_benchmark_sadd_and_spop(kv):
    import re
    import subprocess
    argv = ["/usr/bin/redis-benchmark", "-h", kv.host, "-p", str(kv.port), "-t", "sadd,spop",
            "-n", "5000", "-r", "1000", "-P", "8", "-q"]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = res.stdout + res.stderr
    for test in ("SADD", "SPOP"):
        m = re.search(rf"{test}: ([0-9.]+) requests per second", out)
        assert m and float(m.group(1)) > 0, out
    assert "error" not in out.lower(), out
    # SADD myset element:__rand_int__ then SPOP myset: more pops than members empty it.
    c = kv.client()
    assert c.scard("myset") == 0 and c.exists("myset") == 0
