"""XREAD BLOCK and XREADGROUP BLOCK: served at once when there is something to read, otherwise
woken by an XADD from another connection (on any I/O thread); "$" reads only what comes after
the call; one new entry goes to one blocked consumer of a group, first blocked first served;
BLOCK 0 waits for ever; timeouts answer a null array; a deleted stream or destroyed group is
answered as Redis 7.0 answers; MULTI does not block and scripts refuse BLOCK; CLIENT UNBLOCK. Tests not marked
kv_only run against redis-server too."""

from __future__ import annotations

import threading

import pytest
import redis

from conftest import wait_for
from test_blocking import Blocked, blocked_clients, wait_blocked


def test_xread_block_is_woken_by_xadd(kv):
    r = kv.client()
    r.xadd("s", {"old": "1"}, id="1-1")
    w = Blocked(kv, "XREAD", "BLOCK", "0", "STREAMS", "s", "other", "$", "$")
    wait_blocked(r, 1)
    r.xadd("other", {"f": "v"}, id="2-1")
    assert w.join() == [["other", [("2-1", {"f": "v"})]]]
    # An ID below the last one is served at once.
    assert r.xread({"s": "0"}, block=0) == [["s", [("1-1", {"old": "1"})]]]


def test_a_woken_reader_answers_the_key_that_got_an_entry(kv):
    r = kv.client()
    r.xgroup_create("a", "g", "$", mkstream=True)
    r.xgroup_create("b", "g", "$", mkstream=True)
    w = Blocked(kv, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "a", "b", ">", ">")
    wait_blocked(r, 1)
    r.xadd("b", {"f": "v"}, id="1-1")
    assert w.join() == [["b", [("1-1", {"f": "v"})]]]


def test_dollar_reads_only_what_comes_after(kv):
    r = kv.client()
    r.xadd("s", {"n": "1"}, id="1-1")
    w = Blocked(kv, "XREAD", "COUNT", "5", "BLOCK", "0", "STREAMS", "s", "$")
    wait_blocked(r, 1)
    r.xadd("s", {"n": "2"}, id="2-1")
    assert w.join() == [["s", [("2-1", {"n": "2"})]]]


def test_timeouts_answer_a_null_array(kv):
    r = kv.client()
    r.xgroup_create("s", "g", "$", mkstream=True)
    assert r.xread({"s": "$"}, block=50) == []
    assert r.xreadgroup("g", "c", {"s": ">"}, block=50) == []
    with kv.raw() as raw:
        assert raw.call("XREAD", "BLOCK", "30", "STREAMS", "s", "$") is None
        assert raw.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "30", "STREAMS", "s", ">") is None
    # A ">" read that blocked and timed out created no consumer.
    assert r.xinfo_groups("s")[0]["consumers"] == 0


def test_group_readers_first_blocked_first_served(kv):
    r = kv.client()
    r.xgroup_create("s", "g", "$", mkstream=True)
    first = Blocked(kv, "XREADGROUP", "GROUP", "g", "first", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(r, 1)
    second = Blocked(kv, "XREADGROUP", "GROUP", "g", "second", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(r, 2)
    r.xadd("s", {"n": "1"}, id="1-1")
    assert first.join() == [["s", [("1-1", {"n": "1"})]]]
    wait_for(lambda: blocked_clients(r) == 1, timeout=10, interval=0.01, what="one waiter left")
    r.xadd("s", {"n": "2"}, id="2-1")
    assert second.join() == [["s", [("2-1", {"n": "2"})]]]
    rows = r.xpending_range("s", "g", "-", "+", 10)
    assert [(x["message_id"], x["consumer"]) for x in rows] == [("1-1", "first"), ("2-1", "second")]


def test_noack_reader_is_woken(kv):
    r = kv.client()
    r.xgroup_create("s", "g", "$", mkstream=True)
    w = Blocked(kv, "XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(r, 1)
    r.xadd("s", {"n": "1"}, id="1-1")
    assert w.join() == [["s", [("1-1", {"n": "1"})]]]
    assert r.xpending("s", "g")["pending"] == 0
    assert r.xinfo_groups("s")[0]["last-delivered-id"] == "1-1"


def test_deleted_stream_and_destroyed_group(kv):
    r = kv.client()
    r.xgroup_create("s", "g", "$", mkstream=True)
    w = Blocked(kv, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(r, 1)
    r.delete("s")
    w.join()
    assert str(w.error) == "UNBLOCKED the stream key no longer exists"
    r.xgroup_create("s", "g", "$", mkstream=True)
    w = Blocked(kv, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(r, 1)
    r.xgroup_destroy("s", "g")
    w.join()
    assert str(w.error) == "NOGROUP the consumer group this client was blocked on no longer exists"
    # An expiry deletes the stream too.
    r.xgroup_create("s", "g", "$", mkstream=True)
    w = Blocked(kv, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(r, 1)
    r.pexpire("s", 50)
    w.join()
    assert str(w.error) == "UNBLOCKED the stream key no longer exists"
    # XREAD keeps waiting when its key is deleted or becomes another type.
    w = Blocked(kv, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    wait_blocked(r, 1)
    r.delete("s")
    r.set("s", "x")
    r.delete("s")
    assert blocked_clients(r) == 1
    r.xadd("s", {"f": "v"}, id="9-1")
    assert w.join() == [["s", [("9-1", {"f": "v"})]]]


def test_multi_does_not_block_and_scripts_refuse_block(kv):
    r = kv.client()
    r.xgroup_create("s", "g", "$", mkstream=True)
    p = r.pipeline(transaction=True)
    p.xread({"s": "$"}, block=0)
    p.xreadgroup("g", "c", {"s": ">"}, block=0)
    assert p.execute() == [[], []]
    for call, name in [("'xread', 'BLOCK', 0, 'STREAMS', 's', '$'", "xread"),
                       ("'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 0, 'STREAMS', 's', '>'",
                        "XREADGROUP")]:
        with pytest.raises(redis.ResponseError) as e:
            r.eval(f"return redis.call({call})", 0)
        assert str(e.value).startswith(
            f"{name} command is not allowed with BLOCK option from scripts"), str(e.value)
    assert r.eval("return redis.call('XREAD', 'STREAMS', 's', '0')", 0) is None


def test_client_unblock(kv):
    r = kv.client()
    r.xgroup_create("s", "g", "$", mkstream=True)
    w = Blocked(kv, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    wait_blocked(r, 1)
    assert r.client_unblock(w.id) == 1
    assert w.join() == []  # a null array, as redis-py reads XREAD's
    w = Blocked(kv, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    wait_blocked(r, 1)
    assert r.client_unblock(w.id, error=True) == 1
    w.join()
    assert str(w.error) == "UNBLOCKED client unblocked via CLIENT UNBLOCK"


@pytest.mark.kv_only
@pytest.mark.parametrize("threads", [2, 4])
def test_many_readers_many_shards_each_entry_once(kv_server, threads):
    """Group consumers blocked on streams of different shards, XREAD readers beside them, and
    writers on other connections: every entry reaches exactly one consumer of the group and
    every XREAD reader."""
    s = kv_server(threads=threads)
    r = s.client()
    keys = [f"st:{i}" for i in range(6)]
    for k in keys:
        r.xgroup_create(k, "g", "$", mkstream=True)
    writers, per_writer, consumers = 3, 200, 8
    total = writers * per_writer
    got: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    done = threading.Event()

    def consumer(n):
        c = s.client()
        try:
            while not done.is_set():
                res = c.xreadgroup("g", f"c{n}", {k: ">" for k in keys}, count=3, block=200)
                for _key, entries in res or []:
                    with lock:
                        got.extend(e[1]["v"] for e in entries)
                    for e in entries:
                        c.xack(_key, "g", e[0])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    seen_by_reader: list[str] = []

    def reader():
        c = s.client()
        last = {k: "0" for k in keys}
        try:
            while len(seen_by_reader) < total and not errors:
                res = c.xread(last, block=1000)
                for key, entries in res or []:
                    last[key] = entries[-1][0]
                    seen_by_reader.extend(e[1]["v"] for e in entries)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    def writer(n):
        c = s.client()
        try:
            for i in range(per_writer):
                c.xadd(keys[(n + i) % len(keys)], {"v": f"{n}:{i}"})
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads_ = [threading.Thread(target=consumer, args=(n,)) for n in range(consumers)]
    threads_.append(threading.Thread(target=reader))
    for t in threads_:
        t.start()
    wait_blocked(r, consumers)
    wr = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in wr:
        t.start()
    for t in wr:
        t.join(60)
    wait_for(lambda: len(got) >= total or errors, timeout=60, interval=0.05,
             what="every entry to be delivered")
    done.set()
    for t in threads_:
        t.join(60)
    assert not errors, errors
    expected = sorted(f"{n}:{i}" for n in range(writers) for i in range(per_writer))
    assert sorted(got) == expected
    assert sorted(seen_by_reader) == expected
    assert all(r.xpending(k, "g")["pending"] == 0 for k in keys)


@pytest.mark.kv_only
def test_blocked_reader_woken_from_another_thread(kv_server):
    s = kv_server(threads=4)
    r = s.client()
    r.xgroup_create("s", "g", "$", mkstream=True)
    waiters = [Blocked(s, "XREADGROUP", "GROUP", "g", f"c{i}", "COUNT", "1", "BLOCK", "0",
                       "STREAMS", "s", ">")
               for i in range(6)]
    wait_blocked(r, 6)
    writers = [s.client() for _ in range(6)]
    for i, w in enumerate(writers):
        w.xadd("s", {"n": str(i)}, id=f"{i + 1}-1")
    results = [w.join() for w in waiters]
    delivered = sorted(e[0] for res in results for _k, entries in res for e in entries)
    assert delivered == [f"{i + 1}-1" for i in range(6)]
    assert r.xpending("s", "g")["pending"] == 6
