"""The C++ client (src/client) against a real server: kv-client-smoke runs typed calls, a
pipeline and a pool (src/client/kv_client_smoke.cc), through URLs with a password and a namespace,
and a pool across a server kill and restart (--pool-restart, driven step by step from here).
The binary is build/src/client/kv-client-smoke next to KV_SERVER_BIN, or KV_CLIENT_SMOKE_BIN.
"""

from __future__ import annotations

import os
import select
import subprocess
from pathlib import Path

import pytest

from conftest import KV_BIN

pytestmark = pytest.mark.kv_only

SMOKE = os.environ.get("KV_CLIENT_SMOKE_BIN",
                       str(Path(KV_BIN).parent / "src" / "client" / "kv-client-smoke"))


def run_smoke(url: str) -> subprocess.CompletedProcess:
    assert Path(SMOKE).is_file(), f"no kv-client-smoke binary at {SMOKE}"
    return subprocess.run([SMOKE, url], capture_output=True, text=True, timeout=60, check=False)


def test_smoke_plain(kv_server):
    server = kv_server(native_port="auto")
    proc = run_smoke(f"kv://{server.host}:{server.native_port}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\n"


def test_smoke_password_and_namespace(kv_server):
    server = kv_server(native_port="auto", requirepass="s3cret")
    proc = run_smoke(f"kv://s3cret@{server.host}:{server.native_port}/smoke_ns")
    assert proc.returncode == 0, proc.stderr
    # The keys went to the namespace, not the default one.
    r = server.client()
    assert r.exists("smoke:pool") == 0
    one = server.client(single_connection_client=True)
    one.execute_command("SELECT", "smoke_ns")
    assert one.get("smoke:pool") == "800"


def test_wrong_password_and_bad_url(kv_server):
    server = kv_server(native_port="auto", requirepass="s3cret")
    proc = run_smoke(f"kv://nope@{server.host}:{server.native_port}")
    assert proc.returncode == 1
    assert "AUTH: WRONGPASS" in proc.stderr
    proc = run_smoke("kv://localhost")
    assert proc.returncode == 1
    assert "bad url" in proc.stderr


def _read_line(proc: subprocess.Popen, timeout: float = 20.0) -> str:
    """The program's next stdout line; fails on a hang instead of waiting forever."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, f"kv-client-smoke printed nothing within {timeout}s"
    return proc.stdout.readline()


def test_pool_recovers_after_server_kill_and_restart(kv_server):
    server = kv_server(native_port="auto")
    port = server.native_port
    assert Path(SMOKE).is_file(), f"no kv-client-smoke binary at {SMOKE}"
    proc = subprocess.Popen([SMOKE, "--pool-restart", f"kv://{server.host}:{port}/jobs"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert _read_line(proc) == "up\n", proc.stderr.read() if proc.poll() is not None else ""
        one = server.client(single_connection_client=True)
        one.execute_command("SELECT", "jobs")
        assert one.get("restart:k") == "before"
        one.close()

        server.proc.kill()  # no shutdown: connections die as in a crash
        server.proc.wait(10)
        server.stop(check=False)
        proc.stdin.write("killed\n")
        proc.stdin.flush()
        assert _read_line(proc) == "down\n", proc.stderr.read() if proc.poll() is not None else ""

        again = kv_server(native_port=port)
        assert again.native_port == port
        proc.stdin.write("restarted\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == "ok\n", err
    # The pool's writes after the restart went to the namespace of its URL.
    one = again.client(single_connection_client=True)
    one.execute_command("SELECT", "jobs")
    assert one.get("restart:after") == "100"
    one.close()
