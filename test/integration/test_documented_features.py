"""Documented features that had no test: SHUTDOWN SAVE/NOSAVE, BGSAVE SCHEDULE, appendfsync
everysec and interval changes at run time, the idle-client timeout, output-buffer-limit, a loaded
plugin's durability (LogCommandAs replayed after kill -9 with --loadmodule), and the random and
TTL eviction policies end to end. Each checks what docs/ promise, with ordering and counts
rather than durations.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, RawConn, wait_for
from persist_util import info, read_manifest, wait_save_done, wait_written

pytestmark = pytest.mark.kv_only

BUILD_DIR = Path(KV_BIN).resolve().parent
HELLO = BUILD_DIR / "examples" / "hello_module" / "hello.so"
STAMP = BUILD_DIR / "test" / "modules" / "stamp.so"


def shutdown(server, *args) -> None:
    """SHUTDOWN over a raw connection: +OK, the connection closes, the process exits 0."""
    with server.raw() as c:
        c.send_command("SHUTDOWN", *args)
        assert c.read_until_closed() == b"+OK\r\n"
    assert server.proc.wait(30) == 0, server.stderr_text()
    server._stopped = True


def fill(r, n: int, prefix: str = "k") -> None:
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(f"{prefix}:{i}", f"v{i}")
    p.execute()


# ---------------------------------------------------------------------------- SHUTDOWN
def test_shutdown_save_writes_a_final_snapshot(kv_persist):
    s = kv_persist(snapshot_ops=0, snapshot_interval=0)
    fill(s.client(), 500)
    last_lsn = int(info(s)["wal_last_lsn"])
    assert read_manifest(s.data_dir).snapshot_lsn < last_lsn
    shutdown(s, "SAVE")
    assert read_manifest(s.data_dir).snapshot_lsn == last_lsn  # the snapshot holds everything
    s.restart()
    r = s.client()
    assert r.dbsize() == 500 and r.get("k:499") == "v499"


def test_shutdown_nosave_leaves_the_log_to_hold_the_writes(kv_persist):
    s = kv_persist(snapshot_ops=0, snapshot_interval=0)
    fill(s.client(), 500)
    before = read_manifest(s.data_dir)
    assert before.snapshot_lsn < int(info(s)["wal_last_lsn"])
    shutdown(s, "NOSAVE")
    after = read_manifest(s.data_dir)
    assert after.snapshot == before.snapshot and after.snapshot_lsn == before.snapshot_lsn
    s.restart()  # replays the log
    r = s.client()
    assert r.dbsize() == 500 and r.get("k:0") == "v0"


def test_shutdown_rejects_unsupported_modes(kv_persist):
    s = kv_persist()
    r = s.client()
    for mode in ("NOW", "FORCE", "ABORT", "BOGUS"):
        with pytest.raises(redis.ResponseError, match="syntax error"):
            r.execute_command("SHUTDOWN", mode)
    assert r.ping()


# ---------------------------------------------------------------------------- BGSAVE SCHEDULE
def test_bgsave_schedule_runs_after_the_current_snapshot(kv_persist):
    s = kv_persist(snapshot_ops=0, snapshot_interval=0)
    r = s.client()
    fill(r, 50000)
    saves = int(info(s)["rdb_saves"])
    with s.raw() as c:
        # One packet: the SCHEDULE arrives while the first snapshot's child still runs.
        c.send(RawConn.encode("BGSAVE") + RawConn.encode("BGSAVE", "SCHEDULE")
               + RawConn.encode("BGSAVE"))
        assert c.read_reply() == b"Background saving started"
        assert c.read_reply() == b"Background saving scheduled"
        third = c.read_reply()
    assert "already in progress" in str(third), third
    # The scheduled snapshot runs once the first is done: two more saves in all.
    wait_for(lambda: int(info(s)["rdb_saves"]) >= saves + 2, timeout=60,
             what="the scheduled snapshot")
    wait_save_done(s)
    assert int(info(s)["rdb_saves"]) == saves + 2
    # With nothing running, SCHEDULE starts one at once.
    with s.raw() as c:
        assert c.call("BGSAVE", "SCHEDULE") == b"Background saving started"
    wait_save_done(s)


# ---------------------------------------------------------------------------- appendfsync
def fsyncs(server) -> int:
    return int(info(server)["wal_fsyncs"])


def write_for(r, seconds: float, prefix: str) -> int:
    """Writes one key at a time for `seconds`; returns how many."""
    n = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r.set(f"{prefix}:{n}", n)
        n += 1
    return n


def test_everysec_fsyncs_at_most_once_a_second(kv_persist):
    s = kv_persist(appendfsync="everysec", snapshot_ops=0, snapshot_interval=0)
    r = s.client()
    assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
    assert info(s)["wal_appendfsync"] == "everysec"
    before = fsyncs(s)
    started = time.monotonic()
    write_for(r, 2.5, "a")
    elapsed = time.monotonic() - started
    # A slow machine can only fsync less often; one more for a tick already due at the start.
    assert fsyncs(s) - before <= int(elapsed) + 2
    wait_for(lambda: fsyncs(s) > before, what="an everysec fsync")


def test_fsync_interval_changes_at_run_time(kv_persist):
    s = kv_persist(appendfsync="batch", snapshot_ops=0, snapshot_interval=0)
    r = s.client()
    r.set("first", "write")
    wait_for(lambda: info(s)["wal_durable_lsn"] == info(s)["wal_last_lsn"],
             what="the first write to be fsynced at the 100 ms default")
    # A one-minute interval, read by the writer on every tick: writes for a second cause no
    # fsync at all and stay pending.
    r.config_set("appendfsync-interval-ms", 60000)
    base = fsyncs(s)
    write_for(r, 1.0, "slow")
    # At the 100 ms default a second of writes costs about ten fsyncs. One is allowed: a tick
    # that read the old interval just before CONFIG SET may still fire once the writes begin.
    assert fsyncs(s) <= base + 1
    assert int(info(s)["wal_durable_lsn"]) < int(info(s)["wal_last_lsn"])
    # Back to 20 ms: the pending records are fsynced without any new write.
    r.config_set("appendfsync-interval-ms", 20)
    wait_for(lambda: fsyncs(s) > base, what="an fsync after the interval shrank")
    wait_for(lambda: info(s)["wal_durable_lsn"] == info(s)["wal_last_lsn"],
             what="every record durable")
    # always: each acknowledged write is already durable when its reply arrives.
    r.config_set("appendfsync", "always")
    for i in range(20):
        r.set(f"always:{i}", i)
        state = info(s)
        assert state["wal_durable_lsn"] == state["wal_last_lsn"], state


# ---------------------------------------------------------------------------- timeout
def test_idle_clients_are_closed_after_timeout(kv_server):
    s = kv_server(timeout=1)
    idle = RawConn(s.host, s.port)
    busy = s.client()
    assert idle.call("PING") == b"PONG"
    # The busy client keeps talking (every 100 ms, far below the 1 s timeout) while the idle one
    # is closed; it must be served throughout.
    deadline = time.monotonic() + 15
    while not idle.is_closed(timeout=0.1):
        assert busy.ping()
        assert time.monotonic() < deadline, "the idle client was never closed"
    assert busy.ping()
    # timeout 0: an idle client stays.
    busy.config_set("timeout", 0)
    kept = RawConn(s.host, s.port)
    assert kept.call("PING") == b"PONG"
    assert not kept.is_closed(timeout=2.5)
    assert kept.call("PING") == b"PONG"


# ---------------------------------------------------------------------------- output buffer
def test_output_buffer_limit_closes_only_the_client_that_does_not_read(kv_server):
    s = kv_server(output_buffer_limit="1mb")
    r = s.client(decode_responses=False)
    r.set("big", b"x" * (256 * 1024))
    slow = socket.create_connection((s.host, s.port))
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.settimeout(10)
    # 64 replies of 256 KB = 16 MB the client does not read.
    slow.sendall(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n" * 64)

    def dropped() -> bool:
        return int(r.info("stats").get("client_output_buffer_limit_disconnections", 0)) > 0 or \
            len(r.client_list()) == 1

    wait_for(dropped, timeout=30, what="the slow client to be disconnected")
    # Reading now ends in EOF (or a reset), well before 16 MB arrive.
    got = 0
    try:
        while True:
            chunk = slow.recv(1 << 16)
            if not chunk:
                break
            got += len(chunk)
    except ConnectionResetError:
        pass
    assert got < 16 * 1024 * 1024
    assert r.get("big") == b"x" * (256 * 1024)
    slow.close()


# ---------------------------------------------------------------------------- plugin durability
def test_loaded_plugin_writes_survive_kill9(kv_persist):
    assert HELLO.is_file() and STAMP.is_file(), "plugins not built"
    s = kv_persist(appendfsync="always", loadmodule=str(STAMP))
    r = s.client()
    stamps = {f"s:{i}": r.execute_command("STAMP.NEXT", f"s:{i}") for i in range(20)}
    assert len(set(stamps.values())) == 20
    wait_written(s)
    s.kill9()
    s.restart()
    r = s.client()
    # The replay applied the logged SETs, not new stamps.
    assert {k: r.get(k) for k in stamps} == stamps
    assert r.execute_command("STAMP.NEXT", "s:new") not in stamps.values()


def test_plugin_command_logged_as_sent_is_replayed(kv_persist):
    s = kv_persist(appendfsync="always", snapshot_ops=0, snapshot_interval=0,
                   loadmodule=str(HELLO))
    r = s.client()
    for by in (5, 7, -2):
        r.execute_command("HELLO.COUNTER", "c", by)
    assert r.get("c") == "10"
    s.kill9()
    s.restart()
    assert s.client().get("c") == "10"


# ---------------------------------------------------------------------------- eviction policies
@pytest.mark.parametrize("policy", ["allkeys-random", "volatile-random", "volatile-ttl",
                                    "volatile-lru"])
def test_eviction_policy_end_to_end(kv_server, policy):
    s = kv_server(maxmemory="12mb", maxmemory_policy=policy)
    r = s.client()
    # Keys without a TTL: only allkeys-* may evict them.
    fill(r, 2000, "keep")
    # Keys with a TTL; under volatile-ttl the nearest expiry goes first.
    p = r.pipeline(transaction=False)
    for i in range(60000):
        p.set(f"ttl:{i}", "v" * 200, ex=100000 + i)
        if i % 1000 == 999:
            p.execute()
    p.execute()
    evicted = int(r.info("stats")["evicted_keys"])
    assert evicted > 0
    assert int(r.info("memory")["used_memory"]) <= 12 * 1024 * 1024 + 1024 * 1024
    kept = sum(r.exists(f"keep:{i}") for i in range(0, 2000, 10))
    if policy.startswith("volatile"):
        assert kept == 200  # keys without a TTL are never evicted
    else:
        assert kept < 200  # allkeys-random picks among every key
    if policy == "volatile-ttl":
        # The survivors are the keys with the furthest expiries.
        survivors = [i for i in range(0, 60000, 100) if r.exists(f"ttl:{i}")]
        assert survivors, "every TTL key was evicted"
        lost = [i for i in range(0, 60000, 100) if not r.exists(f"ttl:{i}")]
        assert sum(lost) / len(lost) < sum(survivors) / len(survivors)
