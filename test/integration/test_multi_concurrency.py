"""Atomicity of EXEC across I/O threads: concurrent transactions move units between keys that live
in different shards while readers check that the total never changes; optimistic (WATCH)
transfers must never lose an update; and after kill -9 in a stream of EXECs every transaction is
in the restarted data whole or not at all. Bounded by operation counts, not by time."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import KV_BIN

KEYS = [f"acct:{i}" for i in range(16)]  # 16 keys: spread over many of the 256 shards
START = 1000
TRANSFERS = 300
READS = 300


def run_threads(targets):
    errors: list[BaseException] = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a worker did not finish"
    if errors:
        raise errors[0]


@pytest.mark.parametrize("threads", [2, 4])
def test_concurrent_exec_transfers_keep_total(kv_server, threads):
    s = kv_server(threads=threads)
    s.client().mset({k: START for k in KEYS})
    total = START * len(KEYS)
    seen_bad: list = []

    def writer(seed):
        def run():
            r = s.client()
            for i in range(TRANSFERS):
                a = KEYS[(seed * 7 + i) % len(KEYS)]
                b = KEYS[(seed * 3 + i * 5 + 1) % len(KEYS)]
                if a == b:
                    continue
                p = r.pipeline(transaction=True)
                p.decrby(a, 3).incrby(b, 3)
                p.execute()
        return run

    def reader_mget():
        r = s.client()
        for _ in range(READS):
            values = r.mget(KEYS)
            if sum(int(v) for v in values) != total:
                seen_bad.append(values)

    def reader_exec():
        r = s.client()
        for _ in range(READS):
            p = r.pipeline(transaction=True)
            for k in KEYS:
                p.get(k)
            values = p.execute()
            if sum(int(v) for v in values) != total:
                seen_bad.append(values)

    run_threads([writer(1), writer(2), writer(3), reader_mget, reader_exec])
    assert not seen_bad
    assert sum(int(v) for v in s.client().mget(KEYS)) == total


@pytest.mark.parametrize("threads", [2, 4])
def test_concurrent_watch_transfers_lose_no_update(kv_server, threads):
    """Read-modify-write with WATCH and SET (not INCRBY): a missed invalidation would lose an
    update and change the total or the count of committed transfers."""
    s = kv_server(threads=threads)
    keys = KEYS[:4]  # few keys: conflicts are frequent
    s.client().mset({k: START for k in keys})
    s.client().set("committed", 0)
    per_worker = 100

    def worker(seed):
        def run():
            r = s.client()
            done = 0
            i = 0
            while done < per_worker:
                i += 1
                a, b = keys[(seed + i) % 4], keys[(seed + 2 * i + 1) % 4]
                if a == b:
                    continue

                def move(pipe):
                    va, vb, n = (int(x) for x in pipe.mget(a, b, "committed"))
                    pipe.multi()
                    pipe.set(a, va - 1)
                    pipe.set(b, vb + 1)
                    pipe.set("committed", n + 1)

                r.transaction(move, a, b, "committed")
                done += 1
        return run

    run_threads([worker(w) for w in range(4)])
    r = s.client()
    assert sum(int(v) for v in r.mget(keys)) == START * 4
    assert int(r.get("committed")) == 4 * per_worker


# A script's transfer, with `n` undeclared (the script then locks its whole namespace).
TRANSFER_SCRIPT = ("redis.call('decr', KEYS[1]); redis.call('incr', KEYS[2]); "
                   "return redis.call('incr', 'n')")


@pytest.mark.kv_only
@pytest.mark.parametrize("mode", ["exec", "script"])
def test_kill9_during_exec_stream_keeps_transactions_whole(kv_persist, mode):
    """One client streams EXECs (or scripts); transaction i moves 1 from KEYS[i % 16] to
    KEYS[(i + 5) % 16] and increments `n`. After kill -9 and a restart, the applied transactions
    must be exactly the first n: every key's value is then determined by n."""
    s = kv_persist(threads=2, appendfsync="no")
    r = s.client()
    r.mset({k: START for k in KEYS})
    r.set("n", 0)
    started = threading.Event()
    stop = threading.Event()
    sent = [0]

    def stream():
        c = s.client()
        transfer = c.register_script(TRANSFER_SCRIPT)
        try:
            for i in range(1_000_000):
                if stop.is_set():
                    return
                if mode == "script":
                    transfer(keys=[KEYS[i % 16], KEYS[(i + 5) % 16]])
                else:
                    p = c.pipeline(transaction=True)
                    p.decr(KEYS[i % 16]).incr(KEYS[(i + 5) % 16]).incr("n")
                    p.execute()
                sent[0] = i + 1
                if i == 2000:
                    started.set()
        except Exception:  # noqa: BLE001 - the server was killed under it
            pass

    t = threading.Thread(target=stream)
    t.start()
    assert started.wait(60)
    s.kill9()
    stop.set()
    t.join(timeout=30)
    s.restart()
    r = s.client()
    n = int(r.get("n"))
    # appendfsync no: the tail still in the server's buffer is lost, never a part of a record.
    assert 0 < n <= sent[0] + 1
    expected = {k: START for k in KEYS}
    for i in range(n):
        expected[KEYS[i % 16]] -= 1
        expected[KEYS[(i + 5) % 16]] += 1
    assert dict(zip(KEYS, (int(v) for v in r.mget(KEYS)))) == expected


@pytest.mark.kv_only
def test_one_wal_record_per_exec(kv_persist):
    """kv-check's dump prints one line per logged command, prefixed by its record's lsn: the
    writes of one EXEC share one lsn (reads and failed commands are not logged), each command
    keeps its own namespace, and replay applies them."""
    s = kv_persist(appendfsync="always")  # every acknowledged write is on disk before kill -9
    r = s.client()
    p = r.pipeline(transaction=True)
    p.set("a", 1).get("a").incr("a").execute_command("SELECT", "7").set("b", 2).lpush("b", "x")
    res = p.execute(raise_on_error=False)
    assert res[:5] == [True, "1", 2, True, True] and isinstance(res[5], Exception)
    r.set("after", 1)
    s.kill9()
    dump = subprocess.run([str(Path(KV_BIN).parent / "kv-check"), "--dump", str(s.data_dir)],
                          capture_output=True, text=True, timeout=60).stdout
    logged = re.findall(r"lsn=(\d+) time_ms=\d+ ns=(\S+) (.*)", dump)
    exec_logged = [entry for entry in logged if '"after"' not in entry[2]]
    assert [(ns, cmd.split()[0]) for _, ns, cmd in exec_logged] == [
        ("0", '"SET"'), ("0", '"INCRBY"'), ("7", '"SET"')], dump
    assert len({lsn for lsn, _, _ in exec_logged}) == 1, dump
    s.restart()
    assert s.client().get("a") == "2"
    assert s.client(db=7).get("b") == "2"
    assert s.client(db=7).get("after") == "1"  # SELECT in EXEC stays: the client was in 7


@pytest.mark.kv_only
def test_native_all_or_nothing_mset_is_atomic(kv_server):
    """The native MSET's all-or-nothing mode runs as one atomic batch: a RESP reader on another
    thread never sees some keys of a batch written and others not."""
    from native_client import OK, NativeConn

    s = kv_server(threads=2, native_port="auto")
    keys = [f"item:{i}" for i in range(64)]  # with best-effort writes, readers see tears here
    s.client().mset({k: "0" for k in keys})
    torn: list = []

    def writer():
        with NativeConn(s.host, s.native_port) as c:
            for i in range(1, 1000):
                r = c.mset([(k, str(i).encode()) for k in keys])
                assert r.status == OK

    def reader():
        r = s.client()
        for _ in range(1000):
            values = r.mget(keys)
            if len(set(values)) != 1:
                torn.append(values)

    run_threads([writer, reader, reader])
    assert not torn
    assert set(s.client().mget(keys)) == {"999"}
