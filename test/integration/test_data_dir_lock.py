"""One server per data directory: a second kv-server started on the same directory stops with
the first one's PID instead of splitting the clients and deleting the first one's live WAL
segment; the lock goes with the process (kill -9 included) and not with a snapshot child; and
kv-check does not repair a directory a live server holds."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import KV_BIN, Server, wait_for
from test_persistence_crash import single_segment_dir

pytestmark = pytest.mark.kv_only

KV_CHECK = str(Path(KV_BIN).parent / "kv-check")


def second_server_on(first: Server) -> Server:
    return Server({"appendonly": "yes"}, workdir=str(first.workdir))


def test_second_server_on_the_same_directory_refuses_to_start(kv_persist):
    a = kv_persist()
    r = a.client()
    for i in range(100):
        r.set(f"k{i}", i)
    lock = a.data_dir / "kv.lock"
    assert lock.read_text() == f"{a.pid}\n"
    b = second_server_on(a)
    assert b.start_expecting_exit() != 0
    err = b.stderr_text()
    assert f"is in use by another kv-server (pid {a.pid}" in err, err
    # The first server lost nothing and keeps serving; its data survives a restart.
    r.set("after", "yes")
    assert r.dbsize() == 101
    a.stop()
    a.restart()
    r = a.client()
    assert r.dbsize() == 101 and r.get("k99") == "99"


def test_the_lock_goes_with_a_killed_server(kv_persist):
    a = kv_persist(appendfsync="always")
    a.client().set("k", "v")
    a.kill9()
    a.restart()  # the same directory, no stale lock in the way
    assert a.client().get("k") == "v"
    assert (a.data_dir / "kv.lock").read_text() == f"{a.pid}\n"


def test_a_snapshot_child_does_not_keep_the_lock(kv_persist):
    a = kv_persist(snapshot_ops=0, snapshot_interval=0)
    r = a.client()
    p = r.pipeline(transaction=False)
    for i in range(300_000):
        p.set(f"key:{i}", "x" * 50)
        if i % 10_000 == 9_999:
            p.execute()
    p.execute()
    r.bgsave()
    children = wait_for(a.children, what="the snapshot child")
    a.proc.send_signal(signal.SIGKILL)  # the parent only: the child goes on writing
    a.proc.wait(10)
    a._stopped = True
    child_alive = all(Path(f"/proc/{c}").exists() for c in children)
    b = second_server_on(a)
    b.start()  # must not be refused by the child's copy of the lock file descriptor
    try:
        assert b.client().ping()
        if child_alive:
            # The child held the lock's descriptor when b started: proof it did not hold it.
            assert f"pid {a.pid}" not in b.stderr_text()
    finally:
        b.stop()
    for c in children:
        try:
            os.kill(c, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_kv_check_does_not_repair_a_directory_in_use(kv_persist):
    s, seg = single_segment_dir(kv_persist, 10)
    data = bytearray(seg.read_bytes())
    data[40] ^= 0xFF  # damage in the middle: repair would cut the log
    seg.write_bytes(bytes(data) + b"garbage")
    with open(s.data_dir / "kv.lock", "w") as f:
        f.write("4242\n")
        f.flush()
        fcntl.flock(f, fcntl.LOCK_EX)  # a live server holds the directory
        res = subprocess.run([KV_CHECK, "--repair", "--yes", str(s.data_dir)],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode != 0
        assert "not repairing: kv-server (pid 4242) holds" in res.stdout, res.stdout
        assert seg.read_bytes().endswith(b"garbage")  # untouched
    res = subprocess.run([KV_CHECK, "--repair", "--yes", str(s.data_dir)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout
    assert "repaired" in res.stdout


def test_in_memory_servers_do_not_lock(kv_server, tmp_path):
    """--appendonly no never touches the directory, so it takes no lock either."""
    a = kv_server(dir=str(tmp_path))
    b = kv_server(dir=str(tmp_path))
    assert a.client().ping() and b.client().ping()
    assert not (tmp_path / "kv.lock").exists()
