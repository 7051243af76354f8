#include "commands/metrics.h"

#include <doctest/doctest.h>

#include <string>

#include "commands/server_state.h"
#include "core/clock.h"
#include "core/latency_histogram.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;

// The value of the first sample line starting with `prefix` (name and labels), or "".
std::string SampleValue(const std::string& text, const std::string& prefix) {
  const size_t at = text.find("\n" + prefix + " ");
  if (at == std::string::npos) return "";
  const size_t start = at + 1 + prefix.size() + 1;
  return text.substr(start, text.find('\n', start) - start);
}

TEST_CASE("Prometheus buckets: a sample is never counted faster than it was") {
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    const int b = PromBuckets::For(i);
    const uint64_t upper = LatencyHistogram::UpperBound(i);
    if (b < PromBuckets::kCount) {
      CHECK(upper <= PromBuckets::kBoundNs[b]);
      // And in the first bucket that can hold it.
      if (b > 0) CHECK(upper > PromBuckets::kBoundNs[b - 1]);
    } else {
      CHECK(upper > PromBuckets::kBoundNs[PromBuckets::kCount - 1]);
    }
  }
  CHECK(PromBuckets::For(LatencyHistogram::Index(900)) == 0);
  CHECK(PromBuckets::For(LatencyHistogram::Index(999)) == 1);  // its bucket reaches 1023 ns
  CHECK(PromBuckets::For(LatencyHistogram::Index(2'000'000)) == 10);  // 2 ms: le 0.0025
}

TEST_CASE("Metrics count commands, failures and error codes per command") {
  Harness h;
  for (int i = 0; i < 3; ++i) h.Run({"SET", "k", "v"});
  h.Run({"INCR", "k"});  // ERR value is not an integer
  h.Run({"GET"});        // rejected: arity
  const std::string m = RenderPrometheus(h.server(), NowMs());
  CHECK(m.find("# TYPE kv_commands_total counter\n") != std::string::npos);
  CHECK(SampleValue(m, R"(kv_commands_total{command="set",family="string"})") == "3");
  CHECK(SampleValue(m, R"(kv_command_failed_calls_total{command="incr",family="string"})") ==
        "1");
  CHECK(SampleValue(m, R"(kv_command_rejected_calls_total{command="get",family="string"})") ==
        "1");
  CHECK(SampleValue(m, R"(kv_errors_total{code="ERR"})") == "2");
  // The histogram is cumulative and ends with +Inf = _count = the calls.
  CHECK(SampleValue(m, R"(kv_command_duration_seconds_bucket{command="set",family="string",le="+Inf"})") == "3");
  CHECK(SampleValue(m, R"(kv_command_duration_seconds_count{command="set",family="string"})") == "3");
  CHECK(SampleValue(m, R"(kv_command_duration_seconds_bucket{command="set",family="string",le="10"})") == "3");
}

TEST_CASE("Metrics: keys per namespace come from the cron's sample") {
  Harness h;
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "2", "EX", "100"});
  h.Run({"SELECT", "app"});
  h.Run({"SET", "c", "3"});
  h.server().sampled.SampleKeyspace(h.store(), NowMs());
  const std::string m = RenderPrometheus(h.server(), NowMs());
  CHECK(SampleValue(m, R"(kv_keys{namespace="0"})") == "2");
  CHECK(SampleValue(m, R"(kv_keys_expiring{namespace="0"})") == "1");
  CHECK(SampleValue(m, R"(kv_keys{namespace="app"})") == "1");
  CHECK(SampleValue(m, R"(kv_keys_expiring{namespace="app"})") == "0");
}

// Read-only (a read-only replica) is tested end to end in test_replication.py.
TEST_CASE("Health: ready") {
  Harness h;
  HealthReport r = CheckHealth(h.server());
  CHECK(r.state == Health::kReady);
  CHECK(r.http_status == 200);
  CHECK(r.body == "ready\n");
}

}  // namespace
}  // namespace kv
