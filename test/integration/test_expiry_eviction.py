"""Expiry (lazy and active) and maxmemory eviction."""

import time

import pytest
import redis

from conftest import wait_for


def test_px_expiry_then_lazy_miss(kv):
    c = kv.client()
    # 1 s: long enough that the key surely still exists for the next two reads; the sleep
    # starts after the SET's reply, so the deadline has passed when it ends.
    assert c.set("k", "v", px=1000)
    assert c.get("k") == "v"
    assert 0 < c.pttl("k") <= 1000
    time.sleep(1.1)
    assert c.get("k") is None
    assert c.exists("k") == 0
    assert c.ttl("k") == -2
    assert c.incr("k") == 1  # the expired value is not seen by writes either
    assert c.ttl("k") == -1


def test_expired_key_invisible_to_every_read(kv):
    c = kv.client()
    c.set("gone", "12", px=50)
    c.set("stay", "v")
    time.sleep(0.25)
    assert c.mget("gone", "stay") == [None, "v"]
    assert c.strlen("gone") == 0
    assert c.getrange("gone", 0, -1) == ""
    assert c.type("gone") == "none"
    assert c.keys("*") == ["stay"]
    assert c.touch("gone") == 0
    assert c.setnx("gone", "new") is True
    assert c.get("gone") == "new"
    c.set("gone2", "v", px=50)
    time.sleep(0.25)
    with pytest.raises(redis.ResponseError, match="no such key"):
        c.rename("gone2", "other")
    assert c.append("gone2", "x") == 1


def test_active_expiry_removes_untouched_keys(kv):
    c = kv.client()
    pipe = c.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"short:{i}", "v", px=3000)  # outlives the pipeline and the DBSIZE below
    for i in range(10):
        pipe.set(f"long:{i}", "v")
    pipe.execute()
    assert c.dbsize() == 1010
    # DBSIZE does not touch keys: only the active expiry cycle can bring it down
    wait_for(lambda: c.dbsize() == 10, timeout=10, interval=0.2,
             what="active expiry to remove 1000 expired keys")
    assert sorted(c.keys("*")) == sorted(f"long:{i}" for i in range(10))
    assert c.info("keyspace")["db0"]["keys"] == 10


def test_active_expiry_in_other_database(kv):
    c3 = kv.client(db=3)
    pipe = c3.pipeline(transaction=False)
    for i in range(300):
        pipe.set(f"short:{i}", "v", px=100)
    pipe.set("keep", "v")
    pipe.execute()
    wait_for(lambda: c3.dbsize() == 1, timeout=10, interval=0.2,
             what="active expiry in database 3")
    assert c3.get("keep") == "v"


def test_persist_prevents_expiry(kv):
    c = kv.client()
    c.set("k", "v", px=1000)  # long enough to still exist when PERSIST arrives
    assert c.persist("k") is True
    time.sleep(1.1)  # past the deadline it had
    assert c.get("k") == "v"


def test_overwrite_clears_expiry(kv):
    c = kv.client()
    c.set("k", "v", px=1000)  # long enough to still exist when it is overwritten
    c.set("k", "v2")
    time.sleep(1.1)  # past the deadline it had
    assert c.get("k") == "v2"


def test_expires_count_in_info(kv):
    c = kv.client()
    c.set("a", 1, ex=100)
    c.set("b", 1, ex=100)
    c.set("c", 1)
    ks = c.info("keyspace")["db0"]
    assert ks["keys"] == 3 and ks["expires"] == 2
    c.persist("a")
    assert c.info("keyspace")["db0"]["expires"] == 1


def test_info_memory_used_memory_tracks_data(kv):
    c = kv.client()
    before = c.info("memory")["used_memory"]
    assert isinstance(before, int) and before > 0
    pipe = c.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"mem:{i}", "x" * 10_000)
    pipe.execute()
    after = c.info("memory")["used_memory"]
    assert after >= before + 9_000_000, (before, after)
    c.flushall()
    wait_for(lambda: c.info("memory")["used_memory"] < after - 8_000_000, timeout=10,
             what="used_memory to drop after FLUSHALL")


def _fill(c, prefix, count, size, batch=500):
    """Writes `count` keys of `size` bytes; returns the replies (True or exceptions)."""
    value = "v" * size
    results = []
    for start in range(0, count, batch):
        pipe = c.pipeline(transaction=False)
        for i in range(start, min(count, start + batch)):
            pipe.set(f"{prefix}:{i}", value)
        results.extend(pipe.execute(raise_on_error=False))
    return results


def test_allkeys_lru_evicts_and_writes_succeed(kv_server):
    maxmemory = 32 * 1024 * 1024
    s = kv_server(maxmemory=maxmemory, maxmemory_policy="allkeys-lru")
    c = s.client()
    written = 100_000  # ~100 MB of values into a 32 MB server
    results = _fill(c, "lru", written, 1000)
    failures = [r for r in results if r is not True]
    assert not failures, f"{len(failures)} writes failed, first: {failures[0]!r}"
    n = c.dbsize()
    assert 0 < n < written
    assert c.get(f"lru:{written - 1}") == "v" * 1000  # the newest key survived
    info = c.info()
    assert info["used_memory"] < 2 * maxmemory
    assert info["maxmemory"] == maxmemory
    assert info["maxmemory_policy"] == "allkeys-lru"
    assert info["evicted_keys"] > 0


def test_noeviction_answers_oom(kv_server):
    s = kv_server(maxmemory=16 * 1024 * 1024, maxmemory_policy="noeviction")
    c = s.client()
    value = "v" * 10_000
    stored = 0
    oom = None
    for i in range(10_000):  # up to 100 MB
        try:
            c.set(f"k:{i}", value)
            stored += 1
        except redis.ResponseError as e:
            oom = e
            break
    assert oom is not None, "no error after writing 100 MB into a 16 MB server"
    assert str(oom).startswith("OOM command not allowed when used memory > 'maxmemory'")
    assert stored >= 100
    # reads and deletes still work; nothing was evicted
    assert c.get("k:0") == value
    assert c.dbsize() == stored
    with pytest.raises(redis.ResponseError, match="^OOM"):
        c.append("k:0", "more")
    # More values like those that filled it keep being refused. UsedMemory() adds the allocator's
    # overhead as the cron last measured it (thread caches, WAL buffers), which moves by up to
    # ~1.5 MB between ticks, so a single write may fit after a tick; 3 MB more never all do.
    accepted = refused = 0
    with s.raw() as r:
        for i in range(300):
            reply = r.call("SET", f"more:{i}", value)
            if reply == b"OK":
                accepted += 1
            else:
                assert str(reply).startswith("OOM command not allowed"), reply
                refused += 1
    assert refused >= 100, f"{accepted} of 300 writes of 10 KB accepted past maxmemory"
    assert c.dbsize() == stored + accepted  # nothing evicted
    if accepted:
        c.delete(*[f"more:{i}" for i in range(300)])
    assert c.delete(*[f"k:{i}" for i in range(stored)]) == stored
    wait_for(lambda: _try_set(c), timeout=10, what="writes to succeed again after DEL")
    assert c.get("after") == "ok"


def _try_set(c):
    try:
        return c.set("after", "ok")
    except redis.ResponseError:
        return False


def test_volatile_policy_evicts_only_keys_with_ttl(kv_server):
    s = kv_server(maxmemory=32 * 1024 * 1024, maxmemory_policy="volatile-lru")
    c = s.client()
    c.mset({f"keep:{i}": "k" * 1000 for i in range(1000)})  # ~1 MB without TTL
    value = "v" * 1000
    for start in range(0, 60_000, 500):
        pipe = c.pipeline(transaction=False)
        for i in range(start, start + 500):
            pipe.set(f"tmp:{i}", value, ex=3600)
        assert all(r is True for r in pipe.execute(raise_on_error=False))
    assert c.exists(*[f"keep:{i}" for i in range(1000)]) == 1000
    assert c.dbsize() < 61_000
