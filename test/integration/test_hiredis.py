"""Compiles test/integration/hiredis_client.c against the system hiredis and runs it."""

import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import free_port

SOURCE = Path(__file__).with_name("hiredis_client.c")
EXPECTED_CHECKS = 1019  # every check the C client makes on a successful run


@pytest.fixture(scope="session")
def hiredis_client(tmp_path_factory):
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "hiredis"], capture_output=True,
                           text=True, check=True).stdout
    out = tmp_path_factory.mktemp("hiredis") / "hiredis_client"
    cmd = ["cc", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-o", str(out), str(SOURCE),
           *shlex.split(flags)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, f"compiling {SOURCE.name} failed:\n{' '.join(cmd)}\n{res.stderr}"
    return str(out)


def _run(binary, *args):
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=60)


def test_hiredis_client(kv, hiredis_client):
    res = _run(hiredis_client, kv.port, kv.host)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"hiredis_client: OK {EXPECTED_CHECKS} checks"
    # what it wrote is really in this server
    c = kv.client()
    assert c.get("hk:p:399") == f"value-{399 * 7}"
    assert c.get("hk:pc") == "200"
    assert c.get("hk:n") == "12"


def test_hiredis_client_twice_is_idempotent(kv, hiredis_client):
    for _ in range(2):
        res = _run(hiredis_client, kv.port)
        assert res.returncode == 0, res.stderr


def test_hiredis_client_with_password(kv_server, hiredis_client):
    s = kv_server(requirepass="hiredis-pw")
    res = _run(hiredis_client, s.port, s.host, "hiredis-pw")
    assert res.returncode == 0, res.stderr
    res = _run(hiredis_client, s.port, s.host)  # without AUTH: must notice NOAUTH
    assert res.returncode == 1
    assert "NOAUTH" in res.stderr


def test_hiredis_client_detects_missing_server(hiredis_client):
    res = _run(hiredis_client, free_port())
    assert res.returncode == 2
    assert "cannot connect" in res.stderr
