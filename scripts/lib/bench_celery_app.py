#!/usr/bin/python3
"""The Celery app of scripts/bench-celery.sh, and its producer.

As a module (the worker: celery -A bench_celery_app worker) it is an app whose broker and
result backend are KV_BENCH_URL, with one small task. Run as a script,
    bench_celery_app.py URL TASKS
it checks the worker answers, sends TASKS tasks, waits for every result and prints
"tasks_per_second N" (TASKS over the time from the first send to the last result)."""

import os
import sys
import time

from celery import Celery
from celery.result import ResultSet

URL = os.environ.get("KV_BENCH_URL", "redis://127.0.0.1:6379/0")
app = Celery("bench_celery_app", broker=URL, backend=URL)
app.conf.update(task_default_queue="bench", result_expires=3600)


@app.task
def add(x, y):
    return x + y


def main() -> int:
    global app
    url, tasks = sys.argv[1], int(sys.argv[2])
    app.conf.update(broker_url=url, result_backend=url)
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if time.monotonic() > deadline:
            print("bench_celery_app: no worker answered ping within 60 s", file=sys.stderr)
            return 1
    start = time.monotonic()
    results = ResultSet([add.delay(i, i) for i in range(tasks)])
    values = results.join(timeout=600)
    elapsed = time.monotonic() - start
    if values != [2 * i for i in range(tasks)]:
        print("bench_celery_app: wrong results", file=sys.stderr)
        return 1
    print(f"tasks_per_second {tasks / elapsed:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
