// Metrics and health: what the HTTP endpoint (server/metrics_http.h) serves, built from the
// server's state without knowing about HTTP.
//
// Everything here reads atomics, per-thread counters and figures the server cron samples: no
// shard lock, so a scrape or a probe never waits behind a long command on an I/O loop.
// docs/operations.md lists every metric and the meaning of each health state.
#pragma once

#include <cstdint>
#include <string>

namespace kv {

class ServerState;

// Prometheus text exposition format (version 0.0.4).
std::string RenderPrometheus(ServerState& server, int64_t now_ms);

enum class Health { kReady, kLoading, kReadOnly, kFailed };

struct HealthReport {
  Health state = Health::kReady;
  int http_status = 200;  // ready and read-only 200, loading 503, failed 500
  std::string body;       // one line: the state's name, and for failed, why
};

HealthReport CheckHealth(const ServerState& server);

// The upper bounds (in seconds, as Prometheus labels them) of the buckets of the per-command
// latency histograms, and the bucket each LatencyHistogram bucket is counted in: the first
// whose bound is at or above that bucket's largest value (so a count is never put in a bucket
// faster than its sample, and at most 6.25% slower).
struct PromBuckets {
  static constexpr int kCount = 22;  // +Inf not included
  static const uint64_t kBoundNs[kCount];
  static const char* const kLabel[kCount];
  // Index into kBoundNs for LatencyHistogram bucket `i`, or kCount for +Inf.
  static int For(int histogram_bucket);
};

}  // namespace kv
