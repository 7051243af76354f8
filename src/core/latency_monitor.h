// LatencyMonitor: Redis's latency monitor (LATENCY LATEST / HISTORY / RESET / DOCTOR). Events
// that took at least latency-monitor-threshold milliseconds are kept per event name, the last
// 160 seconds that had one (the worst of each second), with the worst ever seen.
//
// Process-wide, so every layer that measures an event reports it: the dispatcher (`command`,
// `fast-command`), eviction (`eviction-cycle`), the cron (`expire-cycle`), persistence (`fork`,
// `aof-fsync-always`). With the monitor off (threshold 0, the default) a report is one relaxed
// load and one comparison.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

class LatencyMonitor {
 public:
  static constexpr size_t kSamples = 160;  // Redis's LATENCY_TS_LEN

  struct Sample {
    int64_t time_s = 0;
    uint64_t latency_ms = 0;
  };
  struct Series {
    Sample samples[kSamples] = {};
    size_t next = 0;  // where the next second's sample goes
    uint64_t max_ms = 0;
  };

  // latency-monitor-threshold in ms; 0 = off.
  void SetThresholdMs(int64_t ms) {
    threshold_ms_.store(ms, std::memory_order_relaxed);
    threshold_ns_.store(ms > 0 ? static_cast<uint64_t>(ms) * 1000000 : UINT64_MAX,
                        std::memory_order_relaxed);
  }
  int64_t threshold_ms() const { return threshold_ms_.load(std::memory_order_relaxed); }
  // The cheap check every report makes first.
  bool Exceeds(uint64_t ns) const { return ns >= threshold_ns_.load(std::memory_order_relaxed); }
  // Records `event` when `ns` reaches the threshold.
  void Report(std::string_view event, uint64_t ns, int64_t now_s) {
    if (Exceeds(ns)) Add(event, ns / 1000000, now_s);
  }
  void Add(std::string_view event, uint64_t latency_ms, int64_t now_s);

  struct Latest {
    std::string event;
    Sample last;
    uint64_t max_ms;
  };
  std::vector<Latest> LatestAll() const;
  // Oldest first; empty for an unknown event.
  std::vector<Sample> History(std::string_view event) const;
  std::map<std::string, Series, std::less<>> All() const;
  // Forgets these events (all when empty); returns how many were known.
  size_t Reset(const std::vector<std::string>& events);

 private:
  std::atomic<int64_t> threshold_ms_{0};
  std::atomic<uint64_t> threshold_ns_{UINT64_MAX};
  mutable std::mutex mu_;
  std::map<std::string, Series, std::less<>> events_;
};

LatencyMonitor& GlobalLatencyMonitor();

}  // namespace kv
