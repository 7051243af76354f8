"""DUMP and RESTORE: round trips for every type and encoding, Redis 7.0's errors, and payloads
exchanged with Debian's redis-server in both directions (RDB value format, version 10)."""

import time
from decimal import Decimal

import pytest
import redis

from native_client import NativeConn


def ok(reply) -> bool:
    return reply in ("OK", b"OK")


def fill(c):
    """One key per type and encoding, small (compact forms) and large (plain forms)."""
    c.set("s", "hello")
    c.set("int", "12345")
    c.set("neg", "-70000")
    c.set("long", "x" * 1000)  # LZF-compressed in the payload
    c.set("bin", b"\x00\xff\r\n")
    c.rpush("list", "a", "b", "1", "-7", "")
    c.rpush("biglist", *[str(i) * 3 for i in range(600)], "y" * 10000)
    c.sadd("intset", 1, 2, 300, -70000, 5000000000)
    c.sadd("set", "a", "b", "c")
    c.sadd("bigintset", *range(1000))
    c.sadd("bigset", *[f"m{i}" for i in range(300)])
    c.hset("hash", mapping={"f": "v", "n": "1", "e": ""})
    c.hset("bighash", mapping={f"f{i}": "v" * i for i in range(200)})
    c.zadd("zset", {"a": 1, "b": 2.5, "c": -3, "d": 0.1})
    c.zadd("bigzset", {f"m{i}": i / 3 for i in range(200)})
    c.zadd("infzset", {"lo": float("-inf"), "hi": float("inf")})


def snapshot(c):
    out = {}
    for k in c.keys():
        t = c.type(k)
        t = t.decode() if isinstance(t, bytes) else t
        read = {
            "string": lambda: c.get(k),
            "list": lambda: c.lrange(k, 0, -1),
            "set": lambda: sorted(c.smembers(k)),
            "hash": lambda: c.hgetall(k),
            "zset": lambda: c.zrange(k, 0, -1, withscores=True),
        }[t]
        out[k] = (t, read())
    return out


def copy_all(src, dst):
    for k in src.keys():
        assert ok(dst.restore(k, 0, src.dump(k)))


def test_round_trip_every_type(kv):
    c = kv.client(decode_responses=False)
    fill(c)
    before = snapshot(c)
    payloads = {k: c.dump(k) for k in c.keys()}
    c.flushall()
    for k, p in payloads.items():
        assert ok(c.restore(k, 0, p))
    assert snapshot(c) == before
    assert c.ttl(b"s") == -1


def test_dump_missing_and_wrong_arity(kv):
    c = kv.client()
    assert c.dump("missing") is None
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'dump'"):
        c.execute_command("DUMP")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'restore'"):
        c.execute_command("RESTORE", "k", "0")


def test_restore_busykey_and_replace(kv):
    c = kv.client()
    c.set("a", "one")
    c.set("b", "two")
    p = c.dump("a")
    with pytest.raises(redis.ResponseError) as e:
        c.restore("b", 0, p)
    assert str(e.value) == "BUSYKEY Target key name already exists."
    assert c.get("b") == "two"
    assert ok(c.restore("b", 0, p, replace=True))
    assert c.get("b") == "one"
    c.rpush("l", "x")  # REPLACE over another type
    assert ok(c.restore("l", 0, p, replace=True))
    assert c.get("l") == "one"


def test_restore_ttl_and_absttl(kv):
    c = kv.client()
    c.set("a", "v")
    p = c.dump("a")
    assert ok(c.restore("t", 100000, p))
    assert 0 < c.pttl("t") <= 100000
    at = int(time.time() * 1000) + 200000
    assert ok(c.restore("abs", at, p, absttl=True))
    assert c.pexpiretime("abs") == at
    # An absolute time in the past stores nothing; with REPLACE it deletes the old key.
    assert ok(c.restore("gone", 1, p, absttl=True))
    assert c.exists("gone") == 0
    c.set("old", "x")
    assert ok(c.restore("old", 1, p, absttl=True, replace=True))
    assert c.exists("old") == 0


def test_restore_idletime_and_freq(kv):
    c = kv.client()
    c.set("a", "v")
    p = c.dump("a")
    assert ok(c.restore("i", 0, p, idletime=1000))
    assert c.object("idletime", "i") >= 1000
    assert c.execute_command("RESTORE", "f", 0, p, "FREQ", 5) == "OK"
    assert c.get("f") == "v"
    for args, msg in [
        (["IDLETIME", -1], "Invalid IDLETIME value, must be >= 0"),
        (["IDLETIME", "x"], "value is not an integer or out of range"),
        (["FREQ", 256], "Invalid FREQ value, must be >= 0 and <= 255"),
        (["FREQ", -1], "Invalid FREQ value, must be >= 0 and <= 255"),
        (["IDLETIME", 1, "FREQ", 1], "syntax error"),
        (["FREQ", 1, "IDLETIME", 1], "syntax error"),
        (["IDLETIME"], "syntax error"),
        (["BOGUS"], "syntax error"),
    ]:
        with pytest.raises(redis.ResponseError) as e:
            c.execute_command("RESTORE", "n", 0, p, *args)
        assert str(e.value) == msg, args
    assert c.exists("n") == 0


def test_restore_bad_ttl_and_payload_errors(kv):
    c = kv.client(decode_responses=False)
    c.set("a", "hello")
    p = c.dump("a")
    for ttl, msg in [("x", "value is not an integer or out of range"),
                     (-1, "Invalid TTL value, must be >= 0")]:
        with pytest.raises(redis.ResponseError) as e:
            c.restore("n", ttl, p)
        assert str(e.value) == msg
    bad = [p[:-1] + bytes([p[-1] ^ 1]), p[:5], b"", b"garbage-garbage", p[:1] + b"\x00" + p[2:]]
    for payload in bad:
        with pytest.raises(redis.ResponseError) as e:
            c.restore("n", 0, payload)
        assert str(e.value) == "DUMP payload version or checksum are wrong"
    # BUSYKEY is checked before the TTL and the payload.
    with pytest.raises(redis.ResponseError) as e:
        c.restore("a", -1, b"junk")
    assert str(e.value) == "BUSYKEY Target key name already exists."
    assert c.exists("n") == 0


def _crc64(data: bytes) -> int:
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def seal(body: bytes, version: int = 10) -> bytes:
    body = body + version.to_bytes(2, "little")
    return body + _crc64(body).to_bytes(8, "little")


def test_restore_bad_data_format(kv):
    c = kv.client(decode_responses=False)
    assert ok(c.restore("ok", 0, seal(b"\x00\x03bar")))
    assert c.get("ok") == b"bar"
    for body in [b"\x00\x3fab", b"\x02\x00", b"\x0e\x00", b"\x63\x00", b"\x02\x02\x01a\x01a"]:
        with pytest.raises(redis.ResponseError) as e:
            c.restore("n", 0, seal(body))
        assert str(e.value) == "Bad data format", body
    with pytest.raises(redis.ResponseError) as e:
        c.restore("n", 0, seal(b"\x00\x03bar", version=11))
    assert str(e.value) == "DUMP payload version or checksum are wrong"


@pytest.mark.kv_only
def test_payloads_from_redis_restore_into_kv(kv, redis_ref):
    r = redis_ref.client(decode_responses=False)
    k = kv.client(decode_responses=False)
    fill(r)
    copy_all(r, k)
    assert snapshot(k) == snapshot(r)


@pytest.mark.kv_only
def test_payloads_from_kv_restore_into_redis(kv, redis_ref):
    r = redis_ref.client(decode_responses=False)
    k = kv.client(decode_responses=False)
    fill(k)
    copy_all(k, r)
    assert snapshot(r) == snapshot(k)
    # Redis keeps using what it loaded: the small forms stay compact there.
    assert r.object("encoding", "intset") == b"intset"
    assert r.object("encoding", "hash") == b"listpack"
    assert r.object("encoding", "zset") == b"listpack"
    assert r.object("encoding", "bigzset") == b"skiplist"
    assert r.object("encoding", "bighash") == b"hashtable"


@pytest.mark.kv_only
def test_typed_values_dump_as_text(nkv, redis_ref):
    """Native Int/Float scalars have no Redis form: they travel as their canonical text."""
    with NativeConn(nkv.host, nkv.native_port) as n:
        n.set("ti", 42)
        n.set("tf", 1.5)
        n.set("td", Decimal("2.50"))
    k = nkv.client(decode_responses=False)
    r = redis_ref.client(decode_responses=False)
    copy_all(k, r)
    assert r.get("ti") == b"42"
    assert r.get("tf") == b"1.5"
    assert r.get("td") == b"2.50"


@pytest.mark.kv_only
def test_hash_field_ttls_are_not_carried(kv):
    c = kv.client()
    c.hset("h", mapping={"f": "v", "g": "w"})
    assert c.execute_command("HEXPIRE", "h", 100, "FIELDS", 1, "f") == [1]
    assert ok(c.restore("copy", 0, c.dump("h")))
    assert c.hgetall("copy") == {"f": "v", "g": "w"}
    assert c.execute_command("HTTL", "copy", "FIELDS", 2, "f", "g") == [-1, -1]


@pytest.mark.kv_only
def test_restore_survives_restart(kv_persist):
    s = kv_persist()
    c = s.client()
    c.set("a", "v")
    p = c.dump("a")
    at = int(time.time() * 1000) + 500000
    c.restore("r", 100000, p)
    expire_at = c.pexpiretime("r")
    c.restore("abs", at, p, absttl=True)
    s.stop(check=True)
    s.restart()
    c = s.client()
    assert c.get("r") == "v"
    assert c.pexpiretime("r") == expire_at  # logged with its absolute time
    assert c.pexpiretime("abs") == at
