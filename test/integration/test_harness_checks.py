"""The suite's own guards: run_parallel fails on workers that hang or raise, and
scripts/check_skips.py fails on skips not on the allow-list and on stale entries."""

import subprocess
import threading

import pytest

from conftest import REPO_ROOT, run_parallel

pytestmark = pytest.mark.kv_only  # checks the test harness, not a server

CHECK_SKIPS = REPO_ROOT / "scripts" / "check_skips.py"


def test_run_parallel_reraises_a_workers_exception():
    def worker(i):
        if i == 2:
            raise ValueError("worker 2 failed")

    with pytest.raises(ValueError, match="worker 2 failed"):
        run_parallel(worker, 4, 30)


def test_run_parallel_fails_when_a_worker_is_still_running():
    release = threading.Event()
    try:
        with pytest.raises(AssertionError, match="1 of 3 workers still running"):
            run_parallel(lambda i: i == 1 and release.wait(60), 3, 0.2)
    finally:
        release.set()


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
<testcase classname="test.integration.test_server" name="test_resp3_double_encoding">
  <skipped type="pytest.skip" message="no sorted sets">skipped</skipped></testcase>
<testcase classname="test.integration.test_keys" name="test_rename" />
<testcase classname="test.integration.test_native" name="test_vector[CALL lrange]">
  <skipped type="pytest.skip" message="needs RPUSH">skipped</skipped></testcase>
</testsuite></testsuites>
"""


def check(tmp_path, allowlist: str, *flags: str) -> subprocess.CompletedProcess:
    (tmp_path / "junit.xml").write_text(JUNIT)
    (tmp_path / "allow.txt").write_text(allowlist)
    return subprocess.run(["/usr/bin/python3", str(CHECK_SKIPS), *flags,
                           str(tmp_path / "junit.xml"), str(tmp_path / "allow.txt")],
                          capture_output=True, text=True, timeout=60)


SERVER = "test/integration/test_server.py::test_resp3_double_encoding | no ZADD yet\n"
VECTOR = "test/integration/test_native.py::test_vector[CALL lrange] | no RPUSH yet\n"


def test_check_skips_passes_when_every_skip_is_listed(tmp_path):
    res = check(tmp_path, "# comment\n\n" + SERVER + VECTOR)
    assert res.returncode == 0, res.stdout
    assert "skips: 2 (2 allowed, 0 not), 0 stale" in res.stdout


def test_check_skips_fails_on_an_unlisted_skip(tmp_path):
    res = check(tmp_path, SERVER)
    assert res.returncode == 1
    assert ("skip not on the allow-list: test/integration/test_native.py::"
            "test_vector[CALL lrange]: needs RPUSH") in res.stdout


def test_check_skips_fails_on_a_stale_entry(tmp_path):
    ran = "test/integration/test_keys.py::test_rename | it used to skip\n"
    gone = "test/integration/test_gone.py::test_x | removed\n"
    res = check(tmp_path, SERVER + VECTOR + ran + gone)
    assert res.returncode == 1
    assert "stale allow-list entry (the test did not skip): " \
           "test/integration/test_keys.py::test_rename" in res.stdout
    assert "test_gone.py::test_x" in res.stdout
    # A subset run only calls an entry stale when its test ran.
    res = check(tmp_path, SERVER + VECTOR + ran + gone, "--subset")
    assert res.returncode == 1
    assert "test_rename" in res.stdout and "test_gone" not in res.stdout
    # The Redis pass checks one way only.
    assert check(tmp_path, SERVER + VECTOR + ran, "--no-stale").returncode == 0


def test_check_skips_refuses_an_entry_without_a_reason(tmp_path):
    res = check(tmp_path, "test/integration/test_server.py::test_resp3_double_encoding\n")
    assert res.returncode != 0
    assert "expected '<test id> | <reason>'" in res.stderr


def test_check_skips_star_matches_and_brackets_are_literal(tmp_path):
    res = check(tmp_path, SERVER + "test/integration/test_native.py::test_vector[* lrange] | x\n")
    assert res.returncode == 0, res.stdout
    # `[` is not a character class: test_vector[CALL lrange] is not matched by this one.
    res = check(tmp_path, SERVER + "test/integration/test_native.py::test_vector[C] | x\n")
    assert res.returncode == 1


def test_check_skips_conditional_entry_is_never_stale(tmp_path):
    maybe = "? test/integration/test_keys.py::* | needs a non-loopback address\n"
    res = check(tmp_path, SERVER + VECTOR + maybe)
    assert res.returncode == 0, res.stdout
    # ...but still allows the skip when it happens.
    res = check(tmp_path, SERVER + "? test/integration/test_native.py::* | machine-dependent\n")
    assert res.returncode == 0, res.stdout
