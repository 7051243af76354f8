"""Helpers for the end-to-end tests that run real task-queue workers and client libraries
against the server (test_rq.py, test_celery.py, test_sidekiq.py, test_bullmq.py,
test_node_clients.py): child processes bounded in time and always stopped, and the node
client driver of test/node."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from conftest import REPO_ROOT

NODE_DIR = REPO_ROOT / "test" / "node"


def run_bounded(argv: list[str], timeout: float, cwd: Path | str | None = None,
                env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs a process (in a process group of its own) to completion; kills the whole group and
    fails if it is still running after `timeout` seconds (a liveness cap, not a speed check)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError(f"{argv[:3]} still running after {timeout}s\nstdout:\n{out[-4000:]}"
                             f"\nstderr:\n{err[-4000:]}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


class Background:
    """A worker process started by a test: stopped (SIGTERM, then SIGKILL of its whole process
    group) by stop() or at the end of a `with` block, so none outlives its test."""

    def __init__(self, argv: list[str], cwd: Path | str | None = None, env: dict | None = None,
                 log: Path | None = None):
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.log_path = log
        self._log = open(log, "wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)

    def log_text(self, limit: int = 6000) -> str:
        if not self.log_path:
            return ""
        data = Path(self.log_path).read_bytes()
        return data[-limit:].decode(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 15.0) -> int:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # stray children of the group
        except ProcessLookupError:
            pass
        rc = self.proc.wait(5)
        if self._log is not subprocess.DEVNULL:
            self._log.close()
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def node_client(mode: str, port: int, timeout: float = 90) -> dict:
    """Runs test/node/clients.js MODE PORT and returns the JSON it printed."""
    assert (NODE_DIR / "node_modules").is_dir(), \
        "test/node/node_modules is missing: run scripts/node-deps.sh (scripts/deps.sh does)"
    res = run_bounded(["node", str(NODE_DIR / "clients.js"), mode, str(port)], timeout,
                      cwd=NODE_DIR)
    assert res.returncode == 0, f"clients.js {mode} exited {res.returncode}: {res.stderr[-4000:]}"
    return json.loads(res.stdout.strip().splitlines()[-1])


def known_commands(server, names) -> set[str]:
    """The names among `names` the server knows (COMMAND INFO answers nil for the others)."""
    names = sorted(set(names))
    with server.raw() as conn:
        infos = conn.call("COMMAND", "INFO", *names)
    return {n for n, info in zip(names, infos) if info}
