"""redis-py's own recipes, as applications use them: Lock (acquire, extend, reacquire, release,
a second owner refused, blocking acquire woken by the release), pipeline(transaction=True)
with a WATCH retry loop under a concurrent writer, pubsub() with patterns read by
run_in_thread, and register_script (EVALSHA with the EVAL fallback after SCRIPT FLUSH)."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from redis.exceptions import LockError, LockNotOwnedError

from conftest import run_parallel, wait_for


def test_lock_acquire_extend_release(kv):
    c = kv.client()
    lock = c.lock("rl:lock", timeout=30, thread_local=False)
    assert lock.acquire(blocking=False)
    assert lock.owned() and lock.locked()
    token = c.get("rl:lock")
    assert token == lock.local.token.decode()
    assert 0 < c.pttl("rl:lock") <= 30000

    other = c.lock("rl:lock", timeout=30)
    assert not other.acquire(blocking=False)
    assert not other.acquire(blocking_timeout=0.2)  # waited, still held

    assert lock.extend(60)
    assert 30000 < c.pttl("rl:lock") <= 90000
    assert lock.extend(5, replace_ttl=True)
    assert c.pttl("rl:lock") <= 5000
    assert lock.reacquire()
    assert 5000 < c.pttl("rl:lock") <= 30000

    with pytest.raises(LockNotOwnedError):
        other.local.token = b"someone-else"
        other.release()
    lock.release()
    assert c.exists("rl:lock") == 0
    with pytest.raises(LockError):
        lock.release()  # not held any more


def test_lock_extend_after_expiry_is_refused(kv):
    c = kv.client()
    lock = c.lock("rl:short", timeout=30, thread_local=False)
    assert lock.acquire(blocking=False)
    c.delete("rl:short")  # as if it had expired
    with pytest.raises(LockNotOwnedError):
        lock.extend(10)
    with pytest.raises(LockNotOwnedError):
        lock.reacquire()


def test_blocking_acquire_is_woken_by_release(kv):
    c = kv.client()
    holder = c.lock("rl:wait", timeout=60, thread_local=False)
    assert holder.acquire(blocking=False)
    waiter = c.lock("rl:wait", timeout=60, sleep=0.02, thread_local=False)
    acquired, errors = [], []

    def wait():
        try:
            acquired.append(waiter.acquire(blocking=True, blocking_timeout=30))
        except BaseException as e:  # noqa: BLE001 - checked below
            errors.append(e)

    t = threading.Thread(target=wait, daemon=True)
    t.start()
    time.sleep(0.2)
    assert acquired == [] and errors == []  # still waiting while the holder holds it
    holder.release()
    t.join(40)
    assert not t.is_alive() and errors == []
    assert acquired == [True]
    assert waiter.owned()
    waiter.release()


def test_lock_as_context_manager_serialises_increments(kv):
    c = kv.client()
    c.set("rl:count", 0)
    per_thread = 20

    def work(_i):
        own = kv.client()
        for _ in range(per_thread):
            with own.lock("rl:cm", timeout=30, sleep=0.005, blocking_timeout=60):
                v = int(own.get("rl:count"))
                own.set("rl:count", v + 1)  # a lost update shows if the lock failed

    run_parallel(work, 4, timeout=120)
    assert int(c.get("rl:count")) == 4 * per_thread
    assert c.exists("rl:cm") == 0


def test_watch_retry_loop_under_a_concurrent_writer(kv):
    c = kv.client()
    c.set("rl:balance", 0)
    per_thread = 25
    retries = []

    def incr(_i):
        own = kv.client()
        with own.pipeline(transaction=True) as p:
            for _ in range(per_thread):
                while True:
                    try:
                        p.watch("rl:balance")
                        v = int(p.get("rl:balance"))
                        p.multi()
                        p.set("rl:balance", v + 1)
                        p.lpush("rl:log", v)
                        p.execute()
                        break
                    except redis.WatchError:
                        retries.append(1)

    run_parallel(incr, 4, timeout=120)
    assert int(c.get("rl:balance")) == 4 * per_thread
    # Every committed transaction saw a distinct value: none was lost.
    assert sorted(int(v) for v in c.lrange("rl:log", 0, -1)) == list(range(4 * per_thread))


def test_watch_aborts_on_another_clients_write(kv):
    c = kv.client()
    c.set("rl:w", "a")
    with c.pipeline(transaction=True) as p:
        p.watch("rl:w")
        assert p.get("rl:w") == "a"
        kv.client().set("rl:w", "b")
        p.multi()
        p.set("rl:w", "mine")
        with pytest.raises(redis.WatchError):
            p.execute()
    assert c.get("rl:w") == "b"


def test_transaction_helper(kv):
    c = kv.client()
    c.set("rl:t", 10)

    def double(pipe):
        v = int(pipe.get("rl:t"))
        pipe.multi()
        pipe.set("rl:t", v * 2)
        pipe.get("rl:t")

    assert c.transaction(double, "rl:t") == [True, "20"]


def test_transaction_pipeline_error_inside_exec(kv):
    c = kv.client()
    with c.pipeline(transaction=True) as p:
        p.set("rl:s", "x").lpush("rl:s", "y").get("rl:s")
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            p.execute()
    assert c.get("rl:s") == "x"  # EXEC ran the commands around the one that failed
    with c.pipeline(transaction=True) as p:
        res = p.set("rl:s", "x2").lpush("rl:s", "y").get("rl:s").execute(raise_on_error=False)
    assert res[0] is True and isinstance(res[1], redis.ResponseError) and res[2] == "x2"


def test_pubsub_patterns_run_in_thread(kv):
    c = kv.client()
    got = []
    lock = threading.Lock()

    def handler(msg):
        with lock:
            got.append((msg["type"], msg["pattern"], msg["channel"], msg["data"]))

    ps = c.pubsub(ignore_subscribe_messages=True)
    ps.psubscribe(**{"rl:news.*": handler, "rl:n?ws.sport": handler})
    ps.subscribe(**{"rl:alerts": handler})
    worker = ps.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        wait_for(lambda: c.pubsub_numpat() == 2 and c.pubsub_numsub("rl:alerts")[0][1] == 1,
                 what="subscriptions registered")
        assert c.publish("rl:news.sport", "goal") == 2
        assert c.publish("rl:alerts", "fire") == 1
        assert c.publish("rl:news.weather", "rain") == 1
        assert c.publish("rl:other", "none") == 0
        wait_for(lambda: len(got) >= 4, what="four messages")
    finally:
        worker.stop()
        worker.join(10)
        ps.close()
    assert not worker.is_alive()
    # Publish order holds; Redis leaves open the order of two patterns matching one PUBLISH.
    assert sorted(got[:2]) == [
        ("pmessage", "rl:n?ws.sport", "rl:news.sport", "goal"),
        ("pmessage", "rl:news.*", "rl:news.sport", "goal"),
    ]
    assert got[2:] == [
        ("message", None, "rl:alerts", "fire"),
        ("pmessage", "rl:news.*", "rl:news.weather", "rain"),
    ]
    wait_for(lambda: c.pubsub_numpat() == 0, what="patterns dropped after close")


def test_pubsub_get_message_and_unsubscribe(kv):
    c = kv.client()
    ps = c.pubsub()
    ps.subscribe("rl:a", "rl:b")
    assert [ps.get_message(timeout=5)["type"] for _ in range(2)] == ["subscribe", "subscribe"]
    assert c.publish("rl:b", "x") == 1
    msg = ps.get_message(timeout=5)
    assert (msg["type"], msg["channel"], msg["data"]) == ("message", "rl:b", "x")
    ps.unsubscribe("rl:b")
    msg = ps.get_message(timeout=5)
    assert (msg["type"], msg["channel"], msg["data"]) == ("unsubscribe", "rl:b", 1)
    assert c.publish("rl:b", "y") == 0
    assert c.publish("rl:a", "z") == 1
    assert ps.get_message(timeout=5)["data"] == "z"
    ps.close()


def test_register_script(kv):
    c = kv.client()
    incr_cap = c.register_script("""
        local v = redis.call('INCRBY', KEYS[1], ARGV[1])
        if v > tonumber(ARGV[2]) then
            redis.call('SET', KEYS[1], ARGV[2])
            return {tonumber(ARGV[2]), 'capped'}
        end
        return {v, 'ok'}
    """)
    assert incr_cap(keys=["rl:cap"], args=[3, 10]) == [3, "ok"]
    assert c.script_exists(incr_cap.sha) == [True]
    assert incr_cap(keys=["rl:cap"], args=[5, 10]) == [8, "ok"]
    c.script_flush()
    assert c.script_exists(incr_cap.sha) == [False]
    assert incr_cap(keys=["rl:cap"], args=[5, 10]) == [10, "capped"]  # EVAL fallback, reloaded
    assert c.script_exists(incr_cap.sha) == [True]
    with c.pipeline() as p:
        incr_cap(keys=["rl:cap2"], args=[1, 10], client=p)
        incr_cap(keys=["rl:cap2"], args=[20, 10], client=p)
        assert p.execute() == [[1, "ok"], [10, "capped"]]
    failing = c.register_script("return redis.call('LPUSH', KEYS[1], 'x')")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        failing(keys=["rl:cap"])
