"""RQ (Debian python3-rq 1.13) end to end: jobs are enqueued (one failing, one depending on
another, one scheduled with enqueue_in), then `rq worker --burst --with-scheduler` runs them;
results, the failed, finished, deferred and scheduled registries are checked.

RQ 1.13 stores each job's result in a stream (XADD rq:results:<id> MAXLEN 10 inside the
worker's completion transaction, read back with XREVRANGE) when the server reports version 5 or
later, so the results need streams (docs/streams.md)."""

from __future__ import annotations

import datetime
import time

import pytest
import redis
from rq import Queue
from rq.job import Job

from queue_util import run_bounded

JOBS = '''
from rq import get_current_job


def add(a, b):
    get_current_job().connection.rpush("rq-test:ran", f"add:{a}:{b}")
    return a + b


def boom():
    get_current_job().connection.rpush("rq-test:ran", "boom")
    raise ValueError("boom from the job")
'''


@pytest.fixture
def rq_env(kv, tmp_path):
    (tmp_path / "rq_jobs.py").write_text(JOBS)
    conn = redis.Redis(host=kv.host, port=kv.port)
    yield kv, conn, tmp_path
    conn.close()


def run_worker(server, jobs_dir, *extra) -> str:
    res = run_bounded(["rq", "worker", "--burst", *extra, "--url",
                       f"redis://{server.host}:{server.port}/0", "default"],
                      timeout=120, cwd=jobs_dir, env={"PYTHONPATH": str(jobs_dir)})
    return res.returncode, res.stdout + res.stderr


def test_rq_enqueue_worker_results_registries(rq_env):
    server, conn, jobs_dir = rq_env
    q = Queue("default", connection=conn)
    j1 = q.enqueue("rq_jobs.add", 1, 2)
    j2 = q.enqueue("rq_jobs.boom")
    j3 = q.enqueue("rq_jobs.add", 3, 4, depends_on=j1)
    j4 = q.enqueue_in(datetime.timedelta(seconds=1), "rq_jobs.add", 5, 6)
    due = time.time() + 1
    assert q.job_ids == [j1.id, j2.id]
    assert q.deferred_job_registry.get_job_ids() == [j3.id]
    assert q.scheduled_job_registry.get_job_ids() == [j4.id]
    assert j3.get_status() == "deferred" and j4.get_status() == "scheduled"
    # A burst worker's scheduler moves only the jobs that are due when it starts.
    while time.time() < due + 0.2:
        time.sleep(0.05)

    rc, log = run_worker(server, jobs_dir, "--with-scheduler")
    ran = [v.decode() for v in conn.lrange("rq-test:ran", 0, -1)]
    for j in (j1, j2, j3, j4):
        j.refresh()
    assert q.scheduled_job_registry.get_job_ids() == []  # the scheduler enqueued j4

    assert rc == 0, log
    assert "unknown command" not in log
    assert ran.index("add:3:4") > ran.index("add:1:2")  # the dependency ran first
    assert sorted(ran) == ["add:1:2", "add:3:4", "add:5:6", "boom"]
    assert [j.get_status() for j in (j1, j2, j3, j4)] == ["finished", "failed", "finished",
                                                          "finished"]
    assert (j1.return_value(), j3.return_value(), j4.return_value()) == (3, 7, 11)
    assert Job.fetch(j1.id, connection=conn).latest_result().return_value == 3
    assert q.failed_job_registry.get_job_ids() == [j2.id]
    assert "ValueError: boom from the job" in j2.latest_result().exc_string
    assert sorted(q.finished_job_registry.get_job_ids()) == sorted([j1.id, j3.id, j4.id])
    assert q.deferred_job_registry.get_job_ids() == []
    assert q.started_job_registry.get_job_ids() == []
    assert q.count == 0

    # A failed job requeued from the failed registry runs again (and fails again).
    q.failed_job_registry.requeue(j2.id)
    assert q.job_ids == [j2.id]
    rc, log = run_worker(server, jobs_dir)
    assert rc == 0, log
    assert [v.decode() for v in conn.lrange("rq-test:ran", 0, -1)].count("boom") == 2
    assert q.failed_job_registry.get_job_ids() == [j2.id]


def test_rq_queue_bookkeeping_without_a_worker(rq_env):
    """What RQ does with the server alone: queues, job hashes, cancelation, registries."""
    _server, conn, _ = rq_env
    q = Queue("books", connection=conn)
    jobs = [q.enqueue("rq_jobs.add", i, i, job_id=f"job-{i}") for i in range(3)]
    assert q.count == 3 and q.job_ids == ["job-0", "job-1", "job-2"]
    assert Queue.all(connection=conn)[0].name == "books"
    assert Job.fetch("job-1", connection=conn).args == (1, 1)
    jobs[1].cancel()
    assert q.job_ids == ["job-0", "job-2"]
    assert q.canceled_job_registry.get_job_ids() == ["job-1"]
    jobs[0].delete()
    assert q.job_ids == ["job-2"]
    assert not conn.exists("rq:job:job-0")
    assert q.empty() == 1  # the Lua script that deletes the queued jobs counts them
    assert q.count == 0 and not conn.exists("rq:job:job-2")
