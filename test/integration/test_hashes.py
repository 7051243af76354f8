"""Hash commands through redis-py and raw RESP: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN
HEXISTS HGETALL HKEYS HVALS HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, their errors in Redis's
order, an emptied hash deleting its key, WRONGTYPE both ways, and big hashes (the hashtable
encoding) against a Python model. These run against Debian's redis-server too; kv-server's own
encodings, persistence and typed values are in test_hashes_kv.py."""

from __future__ import annotations

import random

import pytest
import redis

WRONGTYPE = "^WRONGTYPE Operation against a key holding the wrong kind of value$"


def test_set_get_delete(kv):
    c = kv.client()
    assert c.hset("h", "a", "1") == 1
    assert c.hset("h", mapping={"a": "2", "b": "3", "c": "4"}) == 2
    assert c.hget("h", "a") == "2"
    assert c.hget("h", "zz") is None and c.hget("missing", "a") is None
    assert c.hmget("h", "a", "zz", "c") == ["2", None, "4"]
    assert c.hmget("missing", "a", "b") == [None, None]
    assert c.hlen("h") == 3 and c.hlen("missing") == 0
    assert c.hexists("h", "b") and not c.hexists("h", "zz") and not c.hexists("missing", "b")
    assert c.hstrlen("h", "a") == 1 and c.hstrlen("h", "zz") == 0
    assert c.hsetnx("h", "a", "x") == 0 and c.hget("h", "a") == "2"
    assert c.hsetnx("h", "d", "x") == 1 and c.hget("h", "d") == "x"
    assert c.hsetnx("new", "f", "v") == 1 and c.hgetall("new") == {"f": "v"}
    assert c.execute_command("HMSET", "h", "e", "5") in (True, "OK")
    assert c.hgetall("h") == {"a": "2", "b": "3", "c": "4", "d": "x", "e": "5"}
    assert sorted(c.hkeys("h")) == ["a", "b", "c", "d", "e"]
    assert sorted(c.hvals("h")) == ["2", "3", "4", "5", "x"]
    assert c.hgetall("missing") == {} and c.hkeys("missing") == [] and c.hvals("missing") == []
    assert c.hdel("h", "a", "a", "zz", "b") == 2
    assert c.hdel("missing", "a") == 0
    assert c.hdel("h", "c", "d", "e") == 3
    assert c.exists("h") == 0  # the emptied hash took its key with it


def test_arity_and_syntax_errors(kv):
    with kv.raw() as r:
        for cmd in (("HSET", "h", "f"), ("HSET", "h", "f", "v", "g"), ("HMSET", "h", "f", "v", "g")):
            reply = str(r.call(*cmd))
            assert f"wrong number of arguments for '{cmd[0].lower()}' command" in reply, reply
        assert r.call("EXISTS", "h") == 0
        assert "wrong number of arguments for 'hget' command" in str(r.call("HGET", "h"))


def test_wrongtype_both_ways(kv):
    c = kv.client()
    c.set("s", "x")
    c.rpush("l", "x")
    for key in ("s", "l"):
        for call in (lambda: c.hset(key, "f", "v"), lambda: c.hget(key, "f"),
                     lambda: c.hgetall(key), lambda: c.hlen(key), lambda: c.hdel(key, "f"),
                     lambda: c.hincrby(key, "f", 1), lambda: c.hrandfield(key),
                     lambda: c.hscan(key), lambda: c.hmget(key, "f"), lambda: c.hsetnx(key, "f", "v")):
            with pytest.raises(redis.ResponseError, match=WRONGTYPE):
                call()
    c.hset("h", "f", "v")
    for call in (lambda: c.get("h"), lambda: c.append("h", "x"), lambda: c.incr("h"),
                 lambda: c.lpush("h", "x"), lambda: c.strlen("h"), lambda: c.getdel("h")):
        with pytest.raises(redis.ResponseError, match=WRONGTYPE):
            call()
    assert c.type("h") == "hash"
    assert c.hget("h", "f") == "v"


def test_hincrby(kv):
    c = kv.client()
    assert c.hincrby("h", "n", 5) == 5
    assert c.hincrby("h", "n", -7) == -2
    c.hset("h", mapping={"big": str(2**63 - 2), "txt": "abc", "sp": " 1"})
    assert c.hincrby("h", "big", 1) == 2**63 - 1
    with pytest.raises(redis.ResponseError, match="^increment or decrement would overflow$"):
        c.hincrby("h", "big", 1)
    c.hset("h", "small", str(-(2**63)))
    with pytest.raises(redis.ResponseError, match="^increment or decrement would overflow$"):
        c.hincrby("h", "small", -1)
    for field in ("txt", "sp"):
        with pytest.raises(redis.ResponseError, match="^hash value is not an integer$"):
            c.hincrby("h", field, 1)
    with kv.raw() as r:
        assert str(r.call("HINCRBY", "h", "n", "1.5")) == "ERR value is not an integer or out of range"
        # the increment is parsed before the key is looked up
        r.call("SET", "str", "x")
        assert str(r.call("HINCRBY", "str", "n", "x")) == "ERR value is not an integer or out of range"
    assert c.hget("h", "n") == "-2"


def test_hincrbyfloat(kv):
    c = kv.client()
    assert c.hincrbyfloat("h", "f", 10.5) == 10.5
    assert c.hincrbyfloat("h", "f", 0.1) == pytest.approx(10.6)
    assert c.hget("h", "f") == "10.6"
    c.hset("h", mapping={"i": "5", "txt": "abc", "e": "5.0e3"})
    assert c.hincrbyfloat("h", "i", 1) == 6.0
    assert c.hget("h", "i") == "6"
    assert c.hincrbyfloat("h", "e", 1) == 5001.0
    with pytest.raises(redis.ResponseError, match="^hash value is not a float$"):
        c.hincrbyfloat("h", "txt", 1)
    with kv.raw() as r:
        assert str(r.call("HINCRBYFLOAT", "h", "f", "abc")) == "ERR value is not a valid float"
        assert str(r.call("HINCRBYFLOAT", "h", "f", "inf")) == "ERR value is NaN or Infinity"
        r.call("HSET", "h", "huge", "1.1e4932")
        assert str(r.call("HINCRBYFLOAT", "h", "huge", "1.1e4932")) == \
            "ERR increment would produce NaN or Infinity"
        assert r.call("HINCRBYFLOAT", "h", "x", "3.0") == b"3"
        assert r.call("HINCRBYFLOAT", "h", "y", "1.23e5") == b"123000"


def test_hrandfield(kv):
    c = kv.client()
    assert c.hrandfield("missing") is None
    assert c.hrandfield("missing", 3) == []
    assert c.hrandfield("missing", -3, withvalues=True) == []
    model = {f"f{i}": str(i) for i in range(5)}
    c.hset("h", mapping=model)
    assert c.hrandfield("h") in model
    assert c.hrandfield("h", 0) == []
    got = c.hrandfield("h", 3)
    assert len(got) == 3 and len(set(got)) == 3 and set(got) <= set(model)
    assert sorted(c.hrandfield("h", 10)) == sorted(model)
    got = c.hrandfield("h", -20)
    assert len(got) == 20 and set(got) <= set(model)
    flat = c.hrandfield("h", -8, withvalues=True)
    assert len(flat) == 16
    for f, v in zip(flat[::2], flat[1::2]):
        assert model[f] == v
    flat = c.hrandfield("h", 5, withvalues=True)
    assert dict(zip(flat[::2], flat[1::2])) == model
    with kv.raw() as r:
        assert str(r.call("HRANDFIELD", "h", "x")) == "ERR value is not an integer or out of range"
        assert str(r.call("HRANDFIELD", "h", "1", "WITHSCORES")) == "ERR syntax error"
        assert str(r.call("HRANDFIELD", "h", "1", "WITHVALUES", "x")) == "ERR syntax error"
        assert str(r.call("HRANDFIELD", "h", str(-(2**63)))).startswith("ERR value is out of range")
        assert str(r.call("HRANDFIELD", "h", str(2**62), "WITHVALUES")) == "ERR value is out of range"


def test_hrandfield_resp3_pairs(kv):
    with kv.raw() as r:
        r.call("HELLO", "3")
        r.call("HSET", "h", "a", "1")
        assert r.call("HRANDFIELD", "h", "-2", "WITHVALUES") == [[b"a", b"1"], [b"a", b"1"]]
        assert r.call("HRANDFIELD", "h", "2", "WITHVALUES") == [[b"a", b"1"]]


def test_hscan_small_and_big(kv):
    c = kv.client()
    small = {f"f{i}": str(i) for i in range(10)}
    c.hset("small", mapping=small)
    cursor, got = c.hscan("small", 0, count=2)
    assert cursor == 0 and got == small  # a listpack comes back whole
    assert c.hscan("small", 0, match="f1*")[1] == {"f1": "1"}
    assert c.hscan("missing", 0) == (0, {})
    big = {f"field:{i}": str(i) for i in range(1000)}
    c.hset("big", mapping=big)
    seen = {}
    cursor = 0
    while True:
        cursor, page = c.hscan("big", cursor, count=50)
        seen.update(page)
        if cursor == 0:
            break
    assert seen == big
    assert dict(c.hscan_iter("big", match="field:99*")) == {
        k: v for k, v in big.items() if k.startswith("field:99")}
    with kv.raw() as r:
        assert str(r.call("HSCAN", "big", "x")) == "ERR invalid cursor"
        assert str(r.call("HSCAN", "big", "0", "COUNT", "0")) == "ERR syntax error"
        assert str(r.call("HSCAN", "big", "0", "COUNT", "x")) == \
            "ERR value is not an integer or out of range"
        assert str(r.call("HSCAN", "big", "0", "TYPE", "hash")) == "ERR syntax error"
        assert str(r.call("HSCAN", "big", "0", "MATCH")) == "ERR syntax error"


def test_big_hash_against_a_model(kv):
    c = kv.client(decode_responses=False)
    rng = random.Random(7)
    model: dict[bytes, bytes] = {}
    for step in range(3000):
        field = b"f%d" % rng.randrange(300)
        op = rng.randrange(10)
        if op < 6:
            value = bytes(rng.randrange(256) for _ in range(rng.choice((1, 5, 70))))
            assert c.hset(b"h", field, value) == (0 if field in model else 1)
            model[field] = value
        elif op < 8:
            assert c.hdel(b"h", field) == (1 if model.pop(field, None) is not None else 0)
        else:
            assert c.hget(b"h", field) == model.get(field)
        if step % 500 == 0:
            assert c.hgetall(b"h") == model
    assert c.hgetall(b"h") == model
    assert c.hlen(b"h") == len(model)
    c.hdel(b"h", *model.keys())
    assert c.exists(b"h") == 0


def test_binary_fields_and_values(kv):
    c = kv.client(decode_responses=False)
    c.hset(b"h", b"\x00\xff", b"\r\n\x00")
    assert c.hgetall(b"h") == {b"\x00\xff": b"\r\n\x00"}
    assert c.hstrlen(b"h", b"\x00\xff") == 3
