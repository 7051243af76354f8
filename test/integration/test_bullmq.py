"""BullMQ (npm, test/node/package-lock.json) against the server: a Queue adds three jobs and a
Worker runs them (two complete, one fails), through BullMQ's Lua scripts and its BZPOPMIN
marker wait. BullMQ's scripts also write job events to a stream (XADD), and kv-server has no
streams yet: there the test records exactly which commands stopped BullMQ (from the script
line each error names) and that nothing else failed, so a missing command that appears or goes
away changes the result."""

from __future__ import annotations

import pytest

from queue_util import known_commands, node_client

STREAM_COMMANDS = {"XADD", "XDEL", "XLEN", "XRANGE", "XREAD", "XTRIM"}


@pytest.fixture(scope="module")
def bullmq_run(_kv_module):
    """One BullMQ run per module (it starts node, a queue and a worker: about two seconds)."""
    server = _kv_module.get()
    server.flushall()
    out = node_client("bullmq", server.port)
    return server, out


def test_bullmq_jobs_or_the_commands_that_stop_them(bullmq_run):
    server, out = bullmq_run
    missing_in_scripts = set(out["script_commands"]) - known_commands(server, out["script_commands"])
    blocking_pop_missing = not known_commands(server, ["BZPOPMIN"])
    assert out["other_errors"] == []
    if not missing_in_scripts and not blocking_pop_missing:
        assert out["missing"] == {}
        assert out["add_errors"] == []
        assert out["completed"] == {"a": 2, "b": 40}
        assert out["failed"] == [["c", "job asked to fail"]]
        assert out["counts"] == {"completed": 2, "failed": 1, "wait": 0}
        return
    # Adding a job emits an 'added' event with XADD in the same script, and the worker's stall
    # check trims the event stream: every add fails, so no job runs.
    expected = {"XADD": ["addStandardJob"], "XTRIM": ["moveStalledJobsToWait"]}
    if blocking_pop_missing:
        expected["BZPOPMIN"] = ["client"]
    assert out["missing"] == expected
    assert out["add_errors"] == ["a", "b", "c"]
    assert out["completed"] == {}


@pytest.mark.kv_only  # Redis has streams
def test_bullmq_script_commands_kv_server_lacks(bullmq_run):
    """Of every command BullMQ's scripts call, kv-server lacks exactly the stream commands."""
    server, out = bullmq_run
    names = out["script_commands"]
    assert len(names) > 40
    assert set(names) - known_commands(server, names) == STREAM_COMMANDS
