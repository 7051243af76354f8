"""Process set-up as in Redis: `logfile`, `pidfile`, `daemonize`.

A daemonizing start returns only once the server serves (its data loaded), with the server's exit code when it
cannot start, so a script sees a busy port or a locked data directory at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import pytest

from conftest import KV_BIN, free_port, wait_for

pytestmark = pytest.mark.kv_only


def test_logfile_and_pidfile(kv_server, tmp_path):
    log, pid = tmp_path / "kv.log", tmp_path / "kv.pid"
    s = kv_server(logfile=str(log), pidfile=str(pid), log_level="info")
    assert pid.read_text() == f"{s.pid}\n"
    wait_for(lambda: "ready to accept connections" in log.read_text(), what="ready in logfile")
    assert "ready to accept connections" not in s.stderr_text()
    s.stop()
    assert not pid.exists()
    assert "kv-server stopped" in log.read_text()


def test_logfile_is_appended_to(kv_server, tmp_path):
    log = tmp_path / "kv.log"
    log.write_text("earlier line\n")
    s = kv_server(logfile=str(log), log_level="info")
    wait_for(lambda: "ready to accept connections" in log.read_text(), what="ready in logfile")
    s.stop()
    assert log.read_text().startswith("earlier line\n")


def test_unwritable_logfile_is_a_clear_error(tmp_path):
    (tmp_path / "file").write_text("")  # not a directory: no log file can be created in it
    r = subprocess.run([KV_BIN, "--logfile", str(tmp_path / "file" / "kv.log"),
                        "--appendonly", "no", "--port", str(free_port()), "--native-port", "0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "logfile" in r.stderr, r.stderr


def test_unwritable_pidfile_only_warns(kv_server, tmp_path):
    (tmp_path / "file").write_text("")
    s = kv_server(pidfile=str(tmp_path / "file" / "kv.pid"), log_level="info")
    assert s.client().ping()
    assert "cannot write pidfile" in s.stderr_text()


def test_logfile_and_pidfile_are_protected_configs(kv_server, tmp_path):
    s = kv_server(logfile=str(tmp_path / "kv.log"))
    c = s.client()
    assert c.config_get("logfile") == {"logfile": str(tmp_path / "kv.log")}
    for name in ("logfile", "pidfile", "daemonize"):
        with pytest.raises(Exception) as e:
            c.config_set(name, str(tmp_path / "elsewhere"))
        assert "can't set" in str(e.value) or "immutable" in str(e.value), (name, e.value)


def test_daemonize_value_is_checked():
    r = subprocess.run([KV_BIN, "--daemonize", "maybe", "--appendonly", "no"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "daemonize" in r.stderr, r.stderr


def daemon_argv(tmp_path, port):
    return [KV_BIN, "--daemonize", "yes", "--pidfile", str(tmp_path / "kv.pid"),
            "--logfile", str(tmp_path / "kv.log"), "--port", str(port), "--native-port", "0",
            "--appendonly", "yes", "--dir", str(tmp_path / "data"), "--bind", "127.0.0.1"]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_daemonize_returns_once_serving_and_stops_cleanly(tmp_path):
    port = free_port()
    r = subprocess.run(daemon_argv(tmp_path, port), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    pid = int((tmp_path / "kv.pid").read_text())
    try:
        assert pid != os.getpid()
        # Serving as soon as the command returned: no retry loop.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"SET k v\r\n")
            assert sock.recv(100) == b"+OK\r\n"
        # The same command again: the data directory is taken; the failure shows in the exit
        # code, and the log names the running server.
        r2 = subprocess.run(daemon_argv(tmp_path, port), capture_output=True, text=True,
                            timeout=30)
        assert r2.returncode == 1
        assert f"pid {pid}" in (tmp_path / "kv.log").read_text()
        # The first daemon still serves and still owns its pidfile.
        assert int((tmp_path / "kv.pid").read_text()) == pid
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET k\r\n")
            assert sock.recv(100) == b"$1\r\nv\r\n"
    finally:
        os.kill(pid, signal.SIGTERM)
    wait_for(lambda: _gone(pid), what="the daemon exits on SIGTERM")
    assert not (tmp_path / "kv.pid").exists()
    assert "kv-server stopped" in (tmp_path / "kv.log").read_text()
