"""Sidekiq (Debian ruby-sidekiq 6.4, ruby-redis 4.8) with the server as its Redis: a Ruby client
pushes jobs (now, scheduled with perform_in, one that fails twice before it succeeds and one
that always fails), then `sidekiq` started by the test processes them: jobs run, the retry
set holds the failing jobs until their retry is due, scheduled jobs wait for their time and
a job out of retries lands in the dead set. Sidekiq's fetcher waits with BRPOP; its scheduler
polls the schedule and retry sets with a Lua script (ZRANGEBYSCORE + ZREM)."""

from __future__ import annotations

import json
import time

from conftest import wait_for
from queue_util import Background, run_bounded

APP = '''
require "sidekiq"

Sidekiq.configure_client { |c| c.redis = { url: ENV.fetch("KV_SIDEKIQ_URL") } }
Sidekiq.configure_server do |c|
  c.redis = { url: ENV.fetch("KV_SIDEKIQ_URL") }
  # Poll the schedule and retry sets about once a second (the default is every 5 s after a
  # start delay of 10 s), so scheduled jobs and retries come back within the test.
  c.options[:poll_interval_average] = 1
end

# Retry after 1 s exactly: Sidekiq 6.4 adds up to 9 * (count + 1) s of random jitter to the
# delay sidekiq_retry_in gives, which would make a test of two retries take up to half a
# minute. The retries still go through the retry set and the scheduler's poll.
require "sidekiq/job_retry"
Sidekiq::JobRetry.prepend(Module.new { def delay_for(*) = 1 })

class AddJob
  include Sidekiq::Worker

  def perform(a, b)
    Sidekiq.redis { |r| r.rpush("sidekiq-test:ran", "add:#{a}:#{b}:#{a + b}") }
  end
end

class FlakyJob
  include Sidekiq::Worker
  sidekiq_options retry: 3

  def perform(key)
    n = Sidekiq.redis { |r| r.incr(key) }
    raise "flaky attempt #{n}" if n < 3
    Sidekiq.redis { |r| r.rpush("sidekiq-test:ran", "flaky:#{n}") }
  end
end

class DoomedJob
  include Sidekiq::Worker
  sidekiq_options retry: 1

  def perform
    Sidekiq.redis { |r| r.incr("sidekiq-test:doomed") }
    raise ArgumentError, "always fails"
  end
end
'''

CLIENT = '''
require_relative "app"
require "json"

ids = {
  add: AddJob.perform_async(1, 2),
  add2: AddJob.perform_async(20, 22),
  flaky: FlakyJob.perform_async("sidekiq-test:flaky"),
  doomed: DoomedJob.perform_async,
  later: AddJob.perform_in(2, 100, 1),
}
puts JSON.generate(ids)
'''

STATS = '''
require_relative "app"
require "sidekiq/api"
require "json"

dead = Sidekiq::DeadSet.new.map { |j| [j.klass, j["error_class"], j["error_message"], j["retry_count"]] }
puts JSON.generate(
  processed: Sidekiq::Stats.new.processed,
  failed: Sidekiq::Stats.new.failed,
  retry: Sidekiq::RetrySet.new.size,
  scheduled: Sidekiq::ScheduledSet.new.size,
  dead: dead,
  enqueued: Sidekiq::Queue.new("default").size,
)
'''

WAIT = 90


def ruby(script: str, workdir, url: str) -> dict:
    res = run_bounded(["ruby", script], timeout=60, cwd=workdir, env={"KV_SIDEKIQ_URL": url})
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_sidekiq_jobs_retries_scheduled_and_dead(kv, tmp_path):
    (tmp_path / "app.rb").write_text(APP)
    (tmp_path / "client.rb").write_text(CLIENT)
    (tmp_path / "stats.rb").write_text(STATS)
    url = f"redis://{kv.host}:{kv.port}/0"
    c = kv.client()

    pushed_at = time.monotonic()
    ids = ruby("client.rb", tmp_path, url)
    assert set(ids) == {"add", "add2", "flaky", "doomed", "later"} and all(ids.values())
    assert c.llen("queue:default") == 4
    assert c.zcard("schedule") == 1
    assert c.smembers("queues") == {"default"}
    job = json.loads(c.lindex("queue:default", -1))  # pushed with LPUSH: the oldest is last
    assert (job["class"], job["args"], job["jid"]) == ("AddJob", [1, 2], ids["add"])

    with Background(["sidekiq", "-r", "./app.rb", "-c", "2", "-q", "default", "-t", "5"],
                    cwd=tmp_path, env={"KV_SIDEKIQ_URL": url},
                    log=tmp_path / "sidekiq.log") as worker:
        def finished():
            assert worker.alive(), worker.log_text()
            done = c.lrange("sidekiq-test:ran", 0, -1)
            return len(done) == 4 and c.zcard("dead") == 1 and c.zcard("retry") == 0 and done
        done = wait_for(finished, timeout=WAIT, interval=0.2, what="every sidekiq job")
        rc = worker.stop()
    ready_at = time.monotonic()
    assert rc == 0, worker.log_text()

    assert sorted(done) == sorted(["add:1:2:3", "add:20:22:42", "add:100:1:101", "flaky:3"])
    assert ready_at - pushed_at >= 2  # the scheduled job waited for its time
    assert c.get("sidekiq-test:flaky") == "3"  # two failures, then success on the 3rd run
    assert c.get("sidekiq-test:doomed") == "2"  # the first run and its one retry
    stats = ruby("stats.rb", tmp_path, url)
    assert stats["dead"] == [["DoomedJob", "ArgumentError", "always fails", 1]]
    assert (stats["retry"], stats["scheduled"], stats["enqueued"]) == (0, 0, 0)
    # processed counts every run, failed every failing run (flaky 2, doomed 2)
    assert (stats["processed"], stats["failed"]) == (8, 4)
    assert c.llen("queue:default") == 0
