"""String commands through redis-py: GET SET (and options) SETNX SETEX PSETEX GETSET GETDEL GETEX
MGET MSET MSETNX APPEND STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE."""

import time

import pytest
import redis


def test_set_get_roundtrip(kv):
    c = kv.client()
    assert c.set("greeting", "hello") is True
    assert c.get("greeting") == "hello"
    assert c.set("greeting", "world") is True
    assert c.get("greeting") == "world"
    assert c.get("missing") is None


def test_empty_and_binary_values(kv):
    c = kv.client(decode_responses=False)
    blob = bytes(range(256)) * 4 + b"\r\n$3\r\n*1\r\n"
    assert c.set("bin", blob)
    assert c.get("bin") == blob
    assert c.strlen("bin") == len(blob)
    assert c.set("empty", b"")
    assert c.get("empty") == b""
    assert c.exists("empty") == 1
    assert c.strlen("empty") == 0


@pytest.mark.parametrize("size", [1 << 10, 100_000, 1 << 20, 8 << 20])
def test_large_values(kv, size):
    c = kv.client(decode_responses=False)
    value = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    assert c.set("big", value)
    assert c.get("big") == value
    assert c.strlen("big") == size


def test_unicode_key_and_value(kv):
    c = kv.client()
    key = "ключ:🔑:キー"
    assert c.set(key, "значение ✓")
    assert c.get(key) == "значение ✓"
    assert key in c.keys("*")


def test_set_nx_xx(kv):
    c = kv.client()
    assert c.set("k", "1", xx=True) is None
    assert c.get("k") is None
    assert c.set("k", "1", nx=True) is True
    assert c.set("k", "2", nx=True) is None
    assert c.get("k") == "1"
    assert c.set("k", "3", xx=True) is True
    assert c.get("k") == "3"


def test_set_get_option_returns_old_value(kv):
    c = kv.client()
    assert c.set("k", "v1", get=True) is None
    assert c.get("k") == "v1"
    assert c.set("k", "v2", get=True) == "v1"
    assert c.get("k") == "v2"
    # NX + GET (allowed since Redis 7): does not overwrite, returns the old value
    # (raw connection: redis-py turns any SET reply into a bool)
    with kv.raw() as r:
        assert r.call("SET", "k", "v3", "NX", "GET") == b"v2"
        assert r.call("SET", "fresh", "v", "NX", "GET") is None
    assert c.get("k") == "v2"
    assert c.get("fresh") == "v"


def test_set_expiry_options(kv):
    c = kv.client()
    assert c.set("ex", "v", ex=100)
    assert 99 <= c.ttl("ex") <= 100
    assert c.set("px", "v", px=100_000)
    assert 99_000 <= c.pttl("px") <= 100_000
    now = int(time.time())
    assert c.set("exat", "v", exat=now + 200)
    assert 198 <= c.ttl("exat") <= 200
    assert c.expiretime("exat") == now + 200
    now_ms = int(time.time() * 1000)
    assert c.set("pxat", "v", pxat=now_ms + 300_000)
    assert c.execute_command("PEXPIRETIME", "pxat") == now_ms + 300_000
    assert 298_000 <= c.pttl("pxat") <= 300_000


def test_set_without_keepttl_clears_ttl_and_keepttl_keeps_it(kv):
    c = kv.client()
    c.set("k", "v", ex=100)
    assert c.set("k", "v2", keepttl=True)
    assert 99 <= c.ttl("k") <= 100
    assert c.get("k") == "v2"
    assert c.set("k", "v3")
    assert c.ttl("k") == -1


def test_set_exat_in_the_past_deletes(kv):
    c = kv.client()
    c.set("k", "v")
    assert c.set("k", "v2", exat=int(time.time()) - 10)
    assert c.get("k") is None
    assert c.exists("k") == 0


def test_set_invalid_expire_errors(kv):
    c = kv.client()
    for args in (("EX", "0"), ("EX", "-1"), ("PX", "0")):
        with pytest.raises(redis.ResponseError, match="invalid expire time in 'set' command"):
            c.execute_command("SET", "k", "v", *args)
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("SET", "k", "v", "NX", "XX")
    with pytest.raises(redis.ResponseError, match="not an integer or out of range"):
        c.execute_command("SET", "k", "v", "EX", "ten")
    assert c.exists("k") == 0


def test_setnx_setex_psetex(kv):
    c = kv.client()
    assert c.setnx("k", "a") is True
    assert c.setnx("k", "b") is False
    assert c.get("k") == "a"
    assert c.setex("e", 50, "v") is True
    assert 49 <= c.ttl("e") <= 50
    assert c.get("e") == "v"
    assert c.psetex("p", 50_000, "v") is True
    assert 49_000 <= c.pttl("p") <= 50_000
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'setex' command"):
        c.setex("e2", 0, "v")
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'psetex' command"):
        c.psetex("p2", -5, "v")
    assert c.exists("e2", "p2") == 0


def test_getset_getdel(kv):
    c = kv.client()
    assert c.getset("k", "1") is None
    assert c.getset("k", "2") == "1"
    c.expire("k", 100)
    assert c.getset("k", "3") == "2"
    assert c.ttl("k") == -1  # GETSET discards the TTL like SET
    assert c.getdel("k") == "3"
    assert c.exists("k") == 0
    assert c.getdel("k") is None


def test_getex(kv):
    c = kv.client()
    assert c.getex("missing", ex=10) is None
    assert c.exists("missing") == 0
    c.set("k", "v")
    assert c.getex("k") == "v"
    assert c.ttl("k") == -1
    assert c.getex("k", ex=100) == "v"
    assert 99 <= c.ttl("k") <= 100
    assert c.getex("k", px=50_000) == "v"
    assert 49_000 <= c.pttl("k") <= 50_000
    assert c.getex("k", exat=int(time.time()) + 500) == "v"
    assert 498 <= c.ttl("k") <= 500
    assert c.getex("k", persist=True) == "v"
    assert c.ttl("k") == -1
    with pytest.raises(redis.ResponseError, match="invalid expire time in 'getex' command"):
        c.execute_command("GETEX", "k", "EX", "0")
    with pytest.raises(redis.ResponseError, match="syntax error"):
        c.execute_command("GETEX", "k", "PERSIST", "EX", "10")


def test_mset_mget_msetnx(kv):
    c = kv.client()
    assert c.mset({"a": "1", "b": "2", "c": "3"}) is True
    assert c.mget("a", "missing", "b", "c") == ["1", None, "2", "3"]
    assert c.msetnx({"c": "x", "d": "4"}) is False
    assert c.get("d") is None
    assert c.get("c") == "3"
    assert c.msetnx({"d": "4", "e": "5"}) is True
    assert c.mget("d", "e") == ["4", "5"]
    # MSET with the same key twice: the last one wins
    assert c.execute_command("MSET", "dup", "first", "dup", "second")
    assert c.get("dup") == "second"


def test_mset_many_keys_across_shards(kv):
    c = kv.client()
    data = {f"key:{i}": f"value:{i}" for i in range(2000)}
    assert c.mset(data)
    keys = list(data)
    assert c.mget(keys) == [data[k] for k in keys]
    assert c.dbsize() == 2000
    assert c.delete(*keys) == 2000
    assert c.dbsize() == 0


def test_append_strlen(kv):
    c = kv.client()
    assert c.strlen("k") == 0
    assert c.append("k", "hello") == 5
    assert c.append("k", " world") == 11
    assert c.get("k") == "hello world"
    assert c.strlen("k") == 11
    c.set("n", 12345)
    assert c.append("n", "6") == 6
    assert c.get("n") == "123456"
    c.set("t", "v", ex=100)
    c.append("t", "w")
    assert 99 <= c.ttl("t") <= 100  # APPEND keeps the TTL


def test_incr_decr_family(kv):
    c = kv.client()
    assert c.incr("n") == 1
    assert c.incr("n") == 2
    assert c.decr("n") == 1
    assert c.incrby("n", 100) == 101
    assert c.decrby("n", 1001) == -900
    assert c.get("n") == "-900"
    assert c.decr("fresh") == -1
    c.set("t", "10", ex=100)
    assert c.incr("t") == 11
    assert 99 <= c.ttl("t") <= 100  # INCR keeps the TTL
    c.set("max", "9223372036854775806")
    assert c.incr("max") == 9223372036854775807
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        c.incr("max")
    c.set("min", "-9223372036854775808")
    with pytest.raises(redis.ResponseError, match="increment or decrement would overflow"):
        c.decr("min")
    assert c.get("min") == "-9223372036854775808"


@pytest.mark.parametrize("bad", ["abc", "1.5", " 1", "1 ", "01", "+1", "", "9223372036854775808"])
def test_incr_rejects_non_integers(kv, bad):
    c = kv.client()
    c.set("k", bad)
    with pytest.raises(redis.ResponseError, match="value is not an integer or out of range"):
        c.incr("k")
    assert c.get("k") == bad


def test_incrbyfloat(kv):
    c = kv.client()
    assert c.incrbyfloat("f", 1.5) == 1.5
    assert c.get("f") == "1.5"
    c.set("f", "10.50")
    assert c.incrbyfloat("f", 0.1) == pytest.approx(10.6)
    assert c.get("f") == "10.6"
    c.set("f", "5.0e3")
    c.incrbyfloat("f", "2.0e2")
    assert c.get("f") == "5200"
    c.set("f", "3")
    c.incrbyfloat("f", "-3")
    assert c.get("f") == "0"
    with pytest.raises(redis.ResponseError, match="increment would produce NaN or Infinity"):
        c.incrbyfloat("f", "inf")
    c.set("s", "abc")
    with pytest.raises(redis.ResponseError, match="value is not a valid float"):
        c.incrbyfloat("s", 1)
    with pytest.raises(redis.ResponseError, match="value is not a valid float"):
        c.execute_command("INCRBYFLOAT", "f", "notanumber")


def test_getrange(kv):
    c = kv.client()
    c.set("s", "This is a string")
    assert c.getrange("s", 0, 3) == "This"
    assert c.getrange("s", -3, -1) == "ing"
    assert c.getrange("s", 0, -1) == "This is a string"
    assert c.getrange("s", 10, 100) == "string"
    assert c.getrange("s", 5, 2) == ""
    assert c.getrange("s", 100, 200) == ""
    assert c.getrange("s", -100, 3) == "This"
    assert c.getrange("missing", 0, -1) == ""


def test_setrange(kv):
    c = kv.client(decode_responses=False)
    c.set("s", "Hello World")
    assert c.setrange("s", 6, "Redis") == 11
    assert c.get("s") == b"Hello Redis"
    assert c.setrange("s", 11, "!!") == 13
    assert c.get("s") == b"Hello Redis!!"
    assert c.setrange("pad", 5, "abc") == 8
    assert c.get("pad") == b"\x00\x00\x00\x00\x00abc"
    assert c.setrange("none", 3, "") == 0
    assert c.exists("none") == 0
    with pytest.raises(redis.ResponseError, match="offset is out of range"):
        c.setrange("s", -1, "x")
    with pytest.raises(redis.ResponseError, match="string exceeds maximum allowed size"):
        c.setrange("s", 536870912, "x")
    assert c.get("s") == b"Hello Redis!!"


def test_integer_like_values_keep_their_bytes(kv):
    c = kv.client()
    for v in ("007", "1e3", "-0", "12345678901234567890", "3.14"):
        c.set("k", v)
        assert c.get("k") == v
        assert c.strlen("k") == len(v)
    c.set("k", 42)
    assert c.get("k") == "42"
    assert c.append("k", "x") == 3
