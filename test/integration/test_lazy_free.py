"""Big collections are freed on a background thread: DEL of a million-member set returns with the
keyspace figure already down while other clients are served, every way of dropping one (DEL,
UNLINK, overwrite, FLUSHALL, expiry, eviction) follows its lazyfree-lazy-* switch, INFO counts
the frees (lazyfree_pending_objects, lazyfreed_objects, as Redis's fields) and used_memory
counts the bytes until the thread has freed them.

The free in progress is observed with DEBUG LAZYFREE-HOLD (the thread parked, the work queued),
never by timing."""

import pytest
import redis

from conftest import wait_for

SWITCHES = ["lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
            "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush"]


def fill_set(c, key, n):
    pipe = c.pipeline(transaction=False)
    for i in range(0, n, 1000):
        pipe.sadd(key, *[f"member:{j}" for j in range(i, min(n, i + 1000))])
    pipe.execute()
    assert c.scard(key) == n


def freed(c):
    return c.info("memory")["lazyfreed_objects"]


def pending(c):
    return c.info("memory")["lazyfree_pending_objects"]


@pytest.fixture
def lazy_server(kv_server):
    # One I/O thread: the other client's PING shares the thread the DEL ran on. Four shards:
    # eviction's sampling finds the one key there is.
    return kv_server(threads=1, shards=4, **{"enable-debug-command": "yes"})


@pytest.mark.kv_only  # Redis 7.0's DEL frees inline unless lazyfree-lazy-user-del is set
def test_del_of_a_million_member_set_returns_while_the_free_is_pending(lazy_server):
    c = lazy_server.client()
    other = lazy_server.client()
    baseline = c.info("memory")["used_memory"]
    fill_set(c, "big", 1_000_000)
    full = c.info("memory")
    assert full["used_memory"] > baseline + 15_000_000
    before = freed(c)

    assert c.execute_command("DEBUG", "LAZYFREE-HOLD", "1") == "OK"
    assert c.delete("big") == 1
    # The DEL has answered and the set is gone from the keyspace, not yet from memory.
    assert pending(c) == 1 and freed(c) == before
    assert c.exists("big") == 0 and c.dbsize() == 0
    assert other.ping() is True
    assert other.set("meanwhile", "served") is True and other.get("meanwhile") == "served"
    mem = c.info("memory")
    assert mem["used_memory_dataset"] < full["used_memory_dataset"] - 15_000_000
    # Counted once, where it is: still allocated, so still in used_memory.
    assert mem["used_memory"] > full["used_memory"] - 1_000_000

    assert c.execute_command("DEBUG", "LAZYFREE-HOLD", "0") == "OK"
    wait_for(lambda: freed(c) == before + 1, what="the background thread to free the set")
    assert pending(c) == 0
    wait_for(lambda: c.info("memory")["used_memory"] < baseline + 2_000_000,
             what="used_memory back to its baseline")


@pytest.mark.kv_only
def test_every_way_of_dropping_a_big_set_frees_it_in_the_background(lazy_server):
    c = lazy_server.client()
    n = 50_000

    def lazily(drop):
        c.delete("big")  # what the last drop left (the string of the overwrite): freed inline
        before = freed(c)
        fill_set(c, "big", n)
        drop()
        wait_for(lambda: freed(c) == before + 1, what="the background free")

    lazily(lambda: c.delete("big"))
    lazily(lambda: c.unlink("big"))
    lazily(lambda: c.set("big", "a string now"))
    lazily(lambda: c.flushall())
    lazily(lambda: c.flushdb(asynchronous=True))
    # Expired by the active cycle, no command touching it.
    lazily(lambda: c.pexpire("big", 1))
    # Evicted by maxmemory: the only key, evicted before the write that needed room.
    c.config_set("maxmemory-policy", "allkeys-random")
    before = freed(c)
    dataset = c.info("memory")["used_memory_dataset"]
    fill_set(c, "big", n)
    mem = c.info("memory")
    size = mem["used_memory_dataset"] - dataset
    # Half the set too much: evicting it is enough, and nothing else is left to evict.
    c.config_set("maxmemory", mem["used_memory"] - size // 2)
    assert c.set("small", "x") is True
    wait_for(lambda: freed(c) == before + 1, what="the evicted set's free")
    assert c.exists("big") == 0 and c.get("small") == "x"
    assert c.info("stats")["evicted_keys"] == 1
    c.config_set("maxmemory", 0)


@pytest.mark.kv_only
def test_switched_off_drops_are_freed_inline_but_unlink_and_async_flush_stay_lazy(lazy_server):
    c = lazy_server.client()
    for name in SWITCHES:
        c.config_set(name, "no")
    before = freed(c)
    for drop in (lambda: c.delete("big"), lambda: c.set("big", "x"), lambda: c.flushall(),
                 lambda: c.pexpireat("big", 1)):
        c.delete("big")
        fill_set(c, "big", 20_000)
        drop()
    c.delete("big")
    fill_set(c, "big", 20_000)
    c.execute_command("FLUSHALL", "SYNC")  # inline whatever the switch
    assert freed(c) == before and pending(c) == 0
    fill_set(c, "big", 20_000)
    assert c.unlink("big") == 1
    fill_set(c, "big", 20_000)
    c.flushall(asynchronous=True)
    wait_for(lambda: freed(c) == before + 2, what="UNLINK's and FLUSHALL ASYNC's frees")


@pytest.mark.kv_only
def test_small_collections_are_freed_inline(kv):
    c = kv.client()
    freed_before = freed(c)
    for i in range(20):
        c.sadd(f"s{i}", *range(50))
        c.rpush(f"l{i}", *range(50))
    c.delete(*[f"s{i}" for i in range(20)], *[f"l{i}" for i in range(20)])
    c.flushall()
    assert freed(c) == freed_before


def test_lazyfree_switches_are_config_directives(kv):
    c = kv.client()
    saved = {name: c.config_get(name)[name] for name in SWITCHES}
    try:
        for name in SWITCHES:
            for value in ("no", "yes"):
                assert c.config_set(name, value) is True
                assert c.config_get(name) == {name: value}
            with pytest.raises(redis.ResponseError):
                c.config_set(name, "sometimes")
        assert sorted(c.config_get("lazyfree-lazy-*")) == sorted(SWITCHES)
    finally:
        for name, value in saved.items():
            c.config_set(name, value)


@pytest.mark.kv_only  # Redis 7.0 defaults them to no
def test_lazyfree_switches_default_to_yes(kv):
    c = kv.client()
    assert c.config_get("lazyfree-lazy-*") == {name: "yes" for name in SWITCHES}
    assert "lazyfree_pending_objects" in c.info("memory")


def test_debug_lazyfree_hold_needs_debug_enabled(kv):
    c = kv.client()
    with pytest.raises(redis.ResponseError):
        c.execute_command("DEBUG", "LAZYFREE-HOLD", "1")
