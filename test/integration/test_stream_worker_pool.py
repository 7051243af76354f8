"""A redis-py consumer-group worker pool (XADD / XREADGROUP / XACK) in which one consumer is
killed -9 in the middle of its jobs and another takes its pending entries with XAUTOCLAIM
(they show a second delivery) while the pool works through the rest: every job is done exactly
once and nothing stays pending. Runs against redis-server too, and on 2 I/O threads so the workers' connections
are served by different loops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from conftest import wait_for

JOBS = 300
STREAM, GROUP = "jobs", "pool"
CLAIM_IDLE_MS = 300

# The consumer that dies: it takes a batch of jobs, says so, and hangs "mid-job" until killed.
CRASHER = """
import sys, time, redis
r = redis.Redis(host=sys.argv[1], port=int(sys.argv[2]), decode_responses=True)
got = r.xreadgroup("pool", "crasher", {"jobs": ">"}, count=7)
ids = [i for _, entries in got for i, _ in entries]
r.rpush("crasher:took", *ids)
time.sleep(600)
"""


def do_job(r, entry_id: str, fields: dict) -> None:
    # The job: count how often each job ran, by its payload, then acknowledge it.
    r.hincrby("done", fields["job"], 1)
    r.xack(STREAM, GROUP, entry_id)


def worker(server, name: str, stop: threading.Event, errors: list) -> None:
    r = server.client()
    try:
        while not stop.is_set():
            got = r.xreadgroup(GROUP, name, {STREAM: ">"}, count=3, block=100)
            for _, entries in got or []:
                for entry_id, fields in entries:
                    do_job(r, entry_id, fields)
    except Exception as e:  # noqa: BLE001 - reported to the test thread
        errors.append(f"{name}: {e!r}")


@pytest.mark.parametrize("threads", [1, 2])
def test_a_killed_consumers_jobs_are_claimed_and_done_once(kv_server, threads):
    s = kv_server(threads=threads)
    r = s.client()
    r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    for i in range(JOBS):
        r.xadd(STREAM, {"job": str(i)})

    crasher = subprocess.Popen([sys.executable, "-c", CRASHER, s.host, str(s.port)])
    try:
        took = wait_for(lambda: r.lrange("crasher:took", 0, -1), timeout=30,
                        what="the crasher to take its jobs")
        assert len(took) == 7
        # Delivered once, to the crasher, and not acknowledged.
        pending = r.xpending_range(STREAM, GROUP, "-", "+", 100, consumername="crasher")
        assert [p["message_id"] for p in pending] == took
        assert all(p["times_delivered"] == 1 for p in pending)
    finally:
        os.kill(crasher.pid, signal.SIGKILL)
        crasher.wait(timeout=30)

    # Another consumer takes the dead one's work once it has been idle long enough (before the
    # pool starts, so no live worker's entry can be idle that long and be taken twice).
    wait_for(lambda: all(p["time_since_delivered"] >= CLAIM_IDLE_MS for p in
                         r.xpending_range(STREAM, GROUP, "-", "+", 100, consumername="crasher")),
             timeout=30, what="the crasher's entries to be idle")
    rescuer = s.client()
    cursor, claimed, deleted = rescuer.xautoclaim(STREAM, GROUP, "rescuer", CLAIM_IDLE_MS, "0-0",
                                                  count=100)
    assert [entry_id for entry_id, _ in claimed] == took
    assert deleted == [] and cursor == "0-0"
    again = r.xpending_range(STREAM, GROUP, "-", "+", 100, consumername="rescuer")
    assert [p["message_id"] for p in again] == took
    assert all(p["times_delivered"] == 2 for p in again)
    for entry_id, fields in claimed:
        do_job(rescuer, entry_id, fields)

    stop = threading.Event()
    errors: list[str] = []
    pool = [threading.Thread(target=worker, args=(s, f"w{i}", stop, errors)) for i in range(4)]
    for t in pool:
        t.start()
    try:
        wait_for(lambda: r.hlen("done") == JOBS and r.xpending(STREAM, GROUP)["pending"] == 0,
                 timeout=60, what="every job done and acknowledged")
    finally:
        stop.set()
        for t in pool:
            t.join(timeout=30)
    assert errors == []

    # Exactly once: every job ran one time, the crasher's too.
    done = r.hgetall("done")
    assert sorted(int(j) for j in done) == list(range(JOBS))
    assert set(done.values()) == {"1"}
    # The crasher holds nothing any more, nor does anyone else.
    consumers = {c["name"]: c for c in r.xinfo_consumers(STREAM, GROUP)}
    assert consumers["crasher"]["pending"] == 0
    assert sum(c["pending"] for c in consumers.values()) == 0
    group = r.xinfo_groups(STREAM)[0]
    assert group["pending"] == 0 and group["last-delivered-id"] == r.xinfo_stream(STREAM)[
        "last-generated-id"]
