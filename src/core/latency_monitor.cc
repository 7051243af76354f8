#include "core/latency_monitor.h"

namespace kv {

void LatencyMonitor::Add(std::string_view event, uint64_t latency_ms, int64_t now_s) {
  std::lock_guard lock(mu_);
  auto it = events_.find(event);
  if (it == events_.end()) it = events_.emplace(std::string(event), Series{}).first;
  Series& s = it->second;
  if (latency_ms > s.max_ms) s.max_ms = latency_ms;
  // One sample per second: the worst of that second.
  Sample& prev = s.samples[(s.next + kSamples - 1) % kSamples];
  if (prev.time_s == now_s) {
    if (latency_ms > prev.latency_ms) prev.latency_ms = latency_ms;
    return;
  }
  s.samples[s.next] = {now_s, latency_ms};
  s.next = (s.next + 1) % kSamples;
}

std::vector<LatencyMonitor::Latest> LatencyMonitor::LatestAll() const {
  std::lock_guard lock(mu_);
  std::vector<Latest> out;
  for (const auto& [name, s] : events_)
    out.push_back({name, s.samples[(s.next + kSamples - 1) % kSamples], s.max_ms});
  return out;
}

std::vector<LatencyMonitor::Sample> LatencyMonitor::History(std::string_view event) const {
  std::lock_guard lock(mu_);
  std::vector<Sample> out;
  const auto it = events_.find(event);
  if (it == events_.end()) return out;
  const Series& s = it->second;
  for (size_t i = 0; i < kSamples; ++i) {
    const Sample& x = s.samples[(s.next + i) % kSamples];
    if (x.time_s != 0) out.push_back(x);
  }
  return out;
}

std::map<std::string, LatencyMonitor::Series, std::less<>> LatencyMonitor::All() const {
  std::lock_guard lock(mu_);
  return events_;
}

size_t LatencyMonitor::Reset(const std::vector<std::string>& events) {
  std::lock_guard lock(mu_);
  if (events.empty()) {
    const size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (const std::string& e : events) n += events_.erase(e);
  return n;
}

LatencyMonitor& GlobalLatencyMonitor() {
  static LatencyMonitor monitor;
  return monitor;
}

}  // namespace kv
