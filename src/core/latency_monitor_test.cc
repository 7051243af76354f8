#include "core/latency_monitor.h"

#include <doctest/doctest.h>

namespace kv {
namespace {

TEST_CASE("Latency monitor: off by default, threshold in milliseconds") {
  LatencyMonitor m;
  CHECK_FALSE(m.Exceeds(UINT64_MAX - 1));
  m.Report("command", 50'000'000, 100);
  CHECK(m.LatestAll().empty());
  m.SetThresholdMs(5);
  m.Report("command", 4'999'999, 100);  // 4.99 ms: under
  CHECK(m.LatestAll().empty());
  m.Report("command", 5'000'000, 100);
  REQUIRE(m.LatestAll().size() == 1);
  CHECK(m.LatestAll()[0].last.latency_ms == 5);
}

TEST_CASE("Latency monitor: one sample per second, the worst; 160 seconds kept") {
  LatencyMonitor m;
  m.SetThresholdMs(1);
  m.Add("fork", 3, 10);
  m.Add("fork", 7, 10);
  m.Add("fork", 2, 10);
  m.Add("fork", 4, 11);
  std::vector<LatencyMonitor::Sample> h = m.History("fork");
  REQUIRE(h.size() == 2);
  CHECK(h[0].time_s == 10);
  CHECK(h[0].latency_ms == 7);
  CHECK(h[1].latency_ms == 4);
  const auto latest = m.LatestAll();
  CHECK(latest[0].last.time_s == 11);
  CHECK(latest[0].max_ms == 7);
  for (int64_t t = 12; t < 12 + 200; ++t) m.Add("fork", 1, t);
  h = m.History("fork");
  CHECK(h.size() == LatencyMonitor::kSamples);
  CHECK(h.front().time_s == 12 + 200 - 160);
  CHECK(h.back().time_s == 12 + 199);
  CHECK(m.LatestAll()[0].max_ms == 7);  // the worst ever outlives the history
}

TEST_CASE("Latency monitor: reset by name or all") {
  LatencyMonitor m;
  m.Add("a", 1, 1);
  m.Add("b", 1, 1);
  m.Add("c", 1, 1);
  CHECK(m.Reset({"a", "zz"}) == 1);
  CHECK(m.History("a").empty());
  CHECK(m.Reset({}) == 2);
  CHECK(m.LatestAll().empty());
}

}  // namespace
}  // namespace kv
