"""The C++ client (src/client) against a real server: kv-client-smoke runs typed calls, a
pipeline and a pool (src/client/kv_client_smoke.cc), through URLs with a password and a namespace.
The binary is build/src/client/kv-client-smoke next to KV_SERVER_BIN, or KV_CLIENT_SMOKE_BIN.
"""

from __future__ import annotations

import os
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
