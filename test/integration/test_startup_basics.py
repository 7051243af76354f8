"""Small start-up contracts: --version, the version logged at start and shown by INFO (one
string, meson's project version), no server without a listener, and kv-check refusing a path
that is not a directory instead of calling it an empty data directory."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, REPO_ROOT, free_port, wait_for

pytestmark = pytest.mark.kv_only

KV_CHECK = str(Path(KV_BIN).parent / "kv-check")


def project_version() -> str:
    text = (REPO_ROOT / "meson.build").read_text()
    return re.search(r"version\s*:\s*'([^']+)'", text).group(1)


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_version_flag(flag):
    res = subprocess.run([KV_BIN, flag], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"kv-server {project_version()} ")


def test_version_is_logged_and_in_info(kv_server):
    s = kv_server(log_level="info")
    assert f"kv-server {project_version()} starting (pid {s.pid})" in s.stderr_text()
    assert s.client().info("server")["kv_server_version"] == project_version()


def test_no_listener_at_all_is_refused():
    res = subprocess.run([KV_BIN, "--port", "0", "--native-port", "0", "--appendonly", "no"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert "no listener left" in res.stderr


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_kv_check_refuses_a_path_that_is_not_a_directory(tmp_path, kind):
    path = tmp_path / "nothing"
    if kind == "file":
        path.write_text("not a data directory\n")
    res = subprocess.run([KV_CHECK, str(path)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    assert f"kv-check: {path} is not a directory" in res.stderr
    # An empty directory is still fine (a server that never wrote).
    empty = tmp_path / "empty"
    empty.mkdir()
    assert subprocess.run([KV_CHECK, str(empty)], capture_output=True, text=True,
                          timeout=30).returncode == 0


def test_ready_is_logged_after_the_data_is_loaded(kv_persist):
    s = kv_persist(log_level="info")
    s.client().set("k", "v")
    s.stop()
    s.restart()
    log = s.stderr_text()
    loaded = log.find("data loaded from")
    ready = log.find("ready to accept connections")
    assert 0 <= loaded < ready, log
    assert log.find("kv-server listening") < loaded


def test_config_file_as_first_argument(tmp_path):
    """`kv-server kv.conf --port N`, as redis-server takes it; the command line wins."""
    conf = tmp_path / "kv.conf"
    conf.write_text("maxmemory 12mb\nrequirepass pw\nmaxmemory-samples 7\n")
    port = free_port()
    proc = subprocess.Popen([KV_BIN, str(conf), "--port", str(port), "--native-port", "0",
                             "--appendonly", "no", "--maxmemory-samples", "9"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        r = redis.Redis(port=port, password="pw", decode_responses=True)
        wait_for(lambda: _pings(r), what="the server to answer")
        assert r.config_get("maxmemory") == {"maxmemory": str(12 * 1024 * 1024)}
        assert r.config_get("maxmemory-samples") == {"maxmemory-samples": "9"}
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
    twice = subprocess.run([KV_BIN, str(conf), "--config", str(conf)], capture_output=True,
                           text=True, timeout=30)
    assert twice.returncode == 2 and "config file given twice" in twice.stderr


def _pings(r) -> bool:
    try:
        return r.ping()
    except redis.ConnectionError:
        return False
