"""The generic key commands on every type and encoding: RENAME and RENAMENX keep the type, the
encoding, the contents and the TTL; SCAN TYPE finds each type and only it; COPY of bitmaps and
HyperLogLogs (strings) keeps them usable as such. On the `kv` fixture, so they run against
redis-server too."""

import pytest
import redis

# kind -> (fill, TYPE). Sizes pick each encoding: small (listpack, intset, embstr, int) and
# large (quicklist, hashtable, skiplist, raw).
KINDS = {
    "embstr": (lambda c, k: c.set(k, "short"), "string"),
    "raw": (lambda c, k: c.set(k, "x" * 100), "string"),
    "int": (lambda c, k: c.set(k, 12345), "string"),
    "bitmap": (lambda c, k: c.setbit(k, 1000, 1), "string"),
    "hll": (lambda c, k: c.pfadd(k, *[f"e{i}" for i in range(100)]), "string"),
    "list-small": (lambda c, k: c.rpush(k, "a", "b", 3), "list"),
    "list-large": (lambda c, k: c.rpush(k, *[f"item:{i:04}" * 4 for i in range(1000)]), "list"),
    "intset": (lambda c, k: c.sadd(k, 1, 2, 3), "set"),
    "set-small": (lambda c, k: c.sadd(k, "a", "b"), "set"),
    "set-large": (lambda c, k: c.sadd(k, *[f"m{i}" for i in range(1000)]), "set"),
    "zset-small": (lambda c, k: c.zadd(k, {"a": 1, "b": 2.5}), "zset"),
    "zset-large": (lambda c, k: c.zadd(k, {f"m{i}": i for i in range(1000)}), "zset"),
    "hash-small": (lambda c, k: c.hset(k, mapping={"f": "v", "g": 1}), "hash"),
    "hash-large": (lambda c, k: c.hset(k, mapping={f"f{i}": i for i in range(1000)}), "hash"),
}


def contents(c, key):
    t = c.type(key)
    t = t.decode() if isinstance(t, bytes) else t
    if t == "string":
        return c.get(key)
    if t == "list":
        return c.lrange(key, 0, -1)
    if t == "set":
        return sorted(c.smembers(key))
    if t == "zset":
        return c.zrange(key, 0, -1, withscores=True)
    if t == "hash":
        return sorted(c.hgetall(key).items())
    raise AssertionError(f"unexpected type {t}")


def snapshot(c, key):
    return c.type(key), c.object("encoding", key), contents(c, key)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_rename_keeps_type_encoding_contents_and_ttl(kv, kind):
    c = kv.client(decode_responses=False)  # bitmaps and HyperLogLogs are not text
    fill, _ = KINDS[kind]
    fill(c, "src")
    c.pexpire("src", 100_000)
    before = snapshot(c, "src")
    c.set("dst", "to be replaced", ex=50)
    assert c.rename("src", "dst") is True
    assert c.exists("src") == 0
    assert snapshot(c, "dst") == before
    assert 50_000 < c.pttl("dst") <= 100_000  # the source's TTL, not the destination's
    # Without a TTL: the destination's old TTL does not survive.
    c.persist("dst")
    c.set("other", "x", ex=50)
    assert c.rename("dst", "other") is True
    assert c.pttl("other") == -1 and snapshot(c, "other") == before
    # RENAMENX: refused onto an existing key (both untouched), done onto a free one.
    c.set("taken", "t")
    assert c.renamenx("other", "taken") is False
    assert c.get("taken") == b"t" and snapshot(c, "other") == before
    c.expire("other", 1000)
    assert c.renamenx("other", "free") is True
    assert c.exists("other") == 0
    assert snapshot(c, "free") == before and 0 < c.ttl("free") <= 1000


def test_renamed_collections_still_work_as_their_type(kv):
    c = kv.client()
    for kind in KINDS:
        KINDS[kind][0](c, kind)
        c.rename(kind, f"renamed:{kind}")
    assert c.rpush("renamed:list-large", "tail") == 1001
    assert c.sadd("renamed:intset", 4) == 1 and c.scard("renamed:intset") == 4
    assert c.zincrby("renamed:zset-large", 1, "m0") == 1.0
    assert c.hincrby("renamed:hash-small", "g", 1) == 2
    assert c.incr("renamed:int") == 12346
    assert c.getbit("renamed:bitmap", 1000) == 1
    assert 90 <= c.pfcount("renamed:hll") <= 110
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        c.lpush("renamed:set-small", "x")


def test_scan_type_finds_every_type_and_only_it(kv):
    c = kv.client()
    expected = {}
    for kind, (fill, type_name) in KINDS.items():
        fill(c, kind)
        expected.setdefault(type_name, set()).add(kind)
    for type_name, keys in expected.items():
        assert set(c.scan_iter(_type=type_name, count=3)) == keys
        assert set(c.scan_iter(_type=type_name.upper())) == keys  # case-insensitive, as Redis
        assert set(c.scan_iter(match="*-large", _type=type_name)) == {
            k for k in keys if k.endswith("-large")}
    assert list(c.scan_iter(_type="stream")) == []
    assert list(c.scan_iter(_type="nosuchtype")) == []


def test_scan_type_skips_expired_keys(kv):
    c = kv.client()
    c.sadd("live", "m")
    c.sadd("dying", "m")
    c.pexpireat("dying", 1)  # in the past: deleted at once
    assert list(c.scan_iter(_type="set")) == ["live"]


def test_copy_of_bitmaps_and_hyperloglogs(kv):
    c = kv.client(decode_responses=False)
    c.setbit("bits", 7, 1)
    c.setbit("bits", 100, 1)
    c.pfadd("hll", *[f"e{i}" for i in range(500)])
    c.expire("hll", 1000)
    assert c.copy("bits", "bits2") is True
    assert c.copy("hll", "hll2") is True
    assert c.get("bits2") == c.get("bits") and c.get("hll2") == c.get("hll")
    assert c.bitcount("bits2") == 2 and c.getbit("bits2", 100) == 1
    assert c.pfcount("hll2") == c.pfcount("hll")
    assert 0 < c.ttl("hll2") <= 1000 and c.ttl("bits2") == -1
    # Independent copies: changing one leaves the other as it was.
    hll = c.get("hll")
    assert c.pfadd("hll2", *[f"new{i}" for i in range(50)]) == 1
    assert c.get("hll") == hll and c.get("hll2") != hll
    c.setbit("bits2", 7, 0)
    assert c.getbit("bits", 7) == 1
