"""BullMQ (npm, test/node/package-lock.json) against the server. A Queue adds three jobs and a
Worker runs them (two complete, one fails) through BullMQ's Lua scripts, its BZPOPMIN marker
wait and its event stream (XADD in the scripts); should a command BullMQ's scripts call go
missing, the test names it (from the script line the error points at). Then the end-to-end run
(test/node/bullmq_e2e.js) on --threads 2: a worker at concurrency 4 with completed and failed
jobs, QueueEvents (XREAD BLOCK) receiving completed, failed and progress, delayed jobs, retries
with backoff, priorities, getJobCounts / clean / obliterate, a FlowProducer parent reading its
children's values, a job scheduler, a rate-limited worker; no job lost or run twice."""

from __future__ import annotations

import pytest

import json

from queue_util import NODE_DIR, known_commands, node_client, run_bounded



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
    raise AssertionError(f"commands BullMQ needs are missing: {missing_in_scripts}, "
                         f"BZPOPMIN missing: {blocking_pop_missing}")


@pytest.mark.kv_only
def test_kv_server_has_every_command_bullmq_scripts_call(bullmq_run):
    server, out = bullmq_run
    names = out["script_commands"]
    assert len(names) > 40
    assert set(names) - known_commands(server, names) == set()


def run_e2e(server) -> dict:
    res = run_bounded(["node", str(NODE_DIR / "bullmq_e2e.js"), str(server.port)], 120,
                      cwd=NODE_DIR)
    assert res.returncode == 0, f"bullmq_e2e.js exited {res.returncode}: {res.stderr[-4000:]}"
    return json.loads(res.stdout.strip().splitlines()[-1])


def check_e2e(server, out):
    assert out["errors"] == []
    b = out["basics"]
    # Every job ran once, but the retried one, which ran three times (two failures, backoff).
    assert b["runs"] == {**{f"n{i}": 1 for i in range(20)}, **{f"fail{i}": 1 for i in range(3)},
                         "progress": 1, "retry": 3, "delayed": 1}
    assert b["concurrent"]
    assert b["completed"] == {**{f"n{i}": 2 * i for i in range(20)}, "progress": 10,
                              "retry": 14, "delayed": 18}
    assert b["failed"] == {f"fail{i}": f"failed fail{i}" for i in range(3)}
    assert b["progress"] == 50
    assert b["delayed_waited"]
    assert b["counts"] == {"completed": 23, "failed": 3, "wait": 0, "active": 0, "delayed": 0}
    assert b["cleaned"] == 23 and b["after_clean"] == {"completed": 0, "failed": 3}
    assert server.client().keys("bull:e2e:*") == []  # obliterated
    assert out["priorities"] == ["plain", "high", "mid", "low"]
    assert out["flow"] == [3, 4]
    assert out["scheduler_ticks"] and out["schedulers_left"] == 0
    assert out["rate_limited"] == {"all": 6, "span_ok": True}


def test_bullmq_end_to_end(kv):
    check_e2e(kv, run_e2e(kv))


@pytest.mark.kv_only
def test_bullmq_end_to_end_on_two_threads(kv_server):
    server = kv_server(threads=2)
    check_e2e(server, run_e2e(server))
