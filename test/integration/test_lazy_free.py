"""Big collections are freed on a background thread: DEL of a big set returns at once with the
dataset figure already down, other clients are served meanwhile, and INFO counts the frees
(lazyfree_pending_objects, lazyfreed_objects, as Redis's fields)."""

import pytest

from conftest import wait_for


@pytest.mark.kv_only  # Redis 7.0's DEL frees inline unless lazyfree-lazy-user-del is set
def test_del_of_a_big_set_is_freed_in_the_background(kv):
    c = kv.client()
    other = kv.client()
    pipe = c.pipeline(transaction=False)
    for i in range(0, 300_000, 1000):
        pipe.sadd("big", *[f"member:{j}" for j in range(i, i + 1000)])
    pipe.execute()
    assert c.scard("big") == 300_000
    freed_before = c.info("stats")["lazyfreed_objects"]
    dataset = c.info("memory")["used_memory_dataset"]
    assert c.delete("big") == 1
    # The shards' figure drops with the DEL; the memory itself goes on the other thread.
    assert c.info("memory")["used_memory_dataset"] < dataset - 5_000_000
    assert other.ping() is True
    assert c.exists("big") == 0
    wait_for(lambda: c.info("stats")["lazyfreed_objects"] == freed_before + 1,
             what="the background thread to free the set")
    assert c.info("memory")["lazyfree_pending_objects"] == 0


@pytest.mark.kv_only
def test_small_collections_are_freed_inline(kv):
    c = kv.client()
    freed_before = c.info("stats")["lazyfreed_objects"]
    for i in range(20):
        c.sadd(f"s{i}", *range(50))
        c.rpush(f"l{i}", *range(50))
    c.delete(*[f"s{i}" for i in range(20)], *[f"l{i}" for i in range(20)])
    c.flushall()
    assert c.info("stats")["lazyfreed_objects"] == freed_before
