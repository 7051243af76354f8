"""Celery (Debian python3-celery 5.2, kombu 5.2) with the server as broker and result backend
(redis://127.0.0.1:PORT/0): a worker started by the test (solo pool) runs plain tasks, a
group, a chord, a task that retries, countdown and ETA tasks, and a revoked task is not run.
Kombu's Redis transport waits for tasks with BRPOP and broadcasts control commands (revoke)
over pub/sub; the result backend waits on pub/sub too."""

from __future__ import annotations

import datetime
import importlib.util
import os
import sys
import time

import pytest

from conftest import Server, wait_for
from queue_util import Background

TASKS = '''
import os

import redis
from celery import Celery

URL = os.environ["KV_CELERY_URL"]
app = Celery("kv_celery_tasks", broker=URL, backend=URL)
app.conf.update(
    task_default_queue="kvq",
    result_expires=600,
    broker_transport_options={"visibility_timeout": 600},
    worker_prefetch_multiplier=1,
)
_r = redis.Redis.from_url(URL)


@app.task
def add(x, y):
    _r.rpush("celery-test:ran", f"add:{x}:{y}")
    return x + y


@app.task
def total(values):
    return sum(values)


@app.task(bind=True, max_retries=5)
def flaky(self, key, succeed_on):
    n = _r.incr(key)
    if n < succeed_on:
        raise self.retry(countdown=0.2, exc=RuntimeError(f"attempt {n}"))
    return n


@app.task
def fail():
    raise ValueError("this task fails")
'''

WAIT = 60  # liveness cap for one result


@pytest.fixture(scope="module")
def celery_env(tmp_path_factory):
    """One server and one worker for the module (a worker takes seconds to start)."""
    server = Server().start()
    workdir = tmp_path_factory.mktemp("celery")
    (workdir / "kv_celery_tasks.py").write_text(TASKS)
    url = f"redis://{server.host}:{server.port}/0"
    env = {"KV_CELERY_URL": url, "PYTHONPATH": str(workdir)}
    worker = Background(
        [sys.executable, "-m", "celery", "-A", "kv_celery_tasks", "worker", "--pool=solo",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-Q", "kvq", "-n", f"kvtest{server.port}@localhost"],
        cwd=workdir, env=env, log=workdir / "worker.log")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    sys.path.insert(0, str(workdir))
    try:
        spec = importlib.util.spec_from_file_location("kv_celery_tasks",
                                                      workdir / "kv_celery_tasks.py")
        tasks = importlib.util.module_from_spec(spec)
        sys.modules["kv_celery_tasks"] = tasks
        spec.loader.exec_module(tasks)
        # The worker is up when it answers a ping over the broker's control channel.
        wait_for(lambda: tasks.app.control.ping(timeout=0.5) or not worker.alive(), timeout=WAIT,
                 interval=0.2, what="the celery worker to answer ping")
        assert worker.alive(), worker.log_text()
        yield server, tasks, worker
    finally:
        # Results never waited for (a chord's header) unsubscribe when they are collected at
        # exit; with no result consumer left they do not reconnect to the stopped server.
        consumer = tasks.app.backend.result_consumer
        consumer.stop()
        consumer._pubsub = None
        sys.modules.pop("kv_celery_tasks", None)
        sys.path.remove(str(workdir))
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        worker.stop()
        server.stop()


def ran(server) -> list[str]:
    return server.client().lrange("celery-test:ran", 0, -1)


def test_task_result(celery_env):
    server, tasks, worker = celery_env
    res = tasks.add.delay(2, 3)
    assert res.get(timeout=WAIT) == 5, worker.log_text()
    assert res.successful() and res.state == "SUCCESS"
    assert "add:2:3" in ran(server)


def test_failed_task_result(celery_env):
    _server, tasks, worker = celery_env
    res = tasks.fail.delay()
    with pytest.raises(ValueError, match="this task fails"):
        res.get(timeout=WAIT)
    assert res.state == "FAILURE"


def test_group(celery_env):
    _server, tasks, worker = celery_env
    from celery import group
    res = group(tasks.add.s(i, i) for i in range(6))()
    assert res.get(timeout=WAIT) == [0, 2, 4, 6, 8, 10], worker.log_text()


def test_chord(celery_env):
    _server, tasks, worker = celery_env
    from celery import chord
    res = chord(tasks.add.s(i, 10) for i in range(5))(tasks.total.s())
    assert res.get(timeout=WAIT) == 60, worker.log_text()


def test_retries(celery_env):
    server, tasks, worker = celery_env
    res = tasks.flaky.delay("celery-test:flaky", 3)
    assert res.get(timeout=WAIT) == 3, worker.log_text()
    assert server.client().get("celery-test:flaky") == "3"


def test_countdown_and_eta(celery_env):
    server, tasks, worker = celery_env
    sent = time.monotonic()
    by_countdown = tasks.add.apply_async((100, 1), countdown=1)
    eta = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)
    by_eta = tasks.add.apply_async((100, 2), eta=eta)
    assert by_countdown.get(timeout=WAIT) == 101, worker.log_text()
    assert by_eta.get(timeout=WAIT) == 102
    assert time.monotonic() - sent >= 1.0  # neither ran before its time
    assert {"add:100:1", "add:100:2"} <= set(ran(server))


def test_revoke(celery_env):
    server, tasks, worker = celery_env
    doomed = tasks.add.apply_async((7, 7), countdown=2)
    doomed.revoke()
    # The worker holds the countdown task until its time; a task sent after it and due at
    # once shows the queue moved on, then the revoked one must end REVOKED without running.
    assert tasks.add.delay(8, 8).get(timeout=WAIT) == 16
    from celery.exceptions import TaskRevokedError
    with pytest.raises(TaskRevokedError):
        doomed.get(timeout=WAIT)
    assert doomed.state == "REVOKED"
    assert "add:7:7" not in ran(server)
