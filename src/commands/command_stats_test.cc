#include "commands/command_stats.h"

#include <doctest/doctest.h>

#include <thread>

namespace kv {

TEST_CASE("LatencyHistogram buckets hold their values within 1/16") {
  for (uint64_t v : {0ull, 1ull, 15ull, 16ull, 17ull, 31ull, 32ull, 33ull, 1000ull, 123456789ull,
                     ~0ull}) {
    const int i = LatencyHistogram::Index(v);
    CHECK(i < LatencyHistogram::kBuckets);
    CHECK(LatencyHistogram::UpperBound(i) >= v);
    if (i > 0) CHECK(LatencyHistogram::UpperBound(i - 1) < v);
    CHECK(static_cast<double>(LatencyHistogram::UpperBound(i) - v) <= static_cast<double>(v) / 16);
  }
}

TEST_CASE("LatencyHistogram percentiles") {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 1000; ++v) h.Record(v * 1000);  // 1..1000 us
  LatencyHistogram::Snapshot snap;
  snap.Add(h);
  CHECK(snap.total == 1000);
  const double p50 = static_cast<double>(snap.Percentile(50)), p99 =
                                                                 static_cast<double>(snap.Percentile(99));
  CHECK(p50 >= 500000);
  CHECK(p50 <= 500000 * 17.0 / 16);
  CHECK(p99 >= 990000);
  CHECK(p99 <= 990000 * 17.0 / 16);
  CHECK(snap.Percentile(100) >= 1000000);
  LatencyHistogram::Snapshot empty;
  CHECK(empty.Percentile(50) == 0);
}

TEST_CASE("StatsRegistry sums every thread's block and resets them") {
  StatsRegistry reg;
  auto work = [&](int calls) {
    ThreadStats& ts = reg.Local();
    CHECK(&ts == &reg.Local());  // one block per thread
    for (int i = 0; i < calls; ++i) {
      ts.For(3)->calls.Add(1);
      ts.RecordLatency(*ts.For(3), 2000);
      ts.commands_processed.Add(1);
    }
    ts.CountErrors("ERR", 2);
    ts.CountErrors("WRONGTYPE", 1);
  };
  std::thread a(work, 10), b(work, 5);
  a.join();
  b.join();
  const auto t = reg.Command(3);
  CHECK(t.calls == 15);
  CHECK(t.latency.total == 15);
  CHECK(reg.Command(4).calls == 0);
  CHECK(reg.Command(ThreadStats::kMaxCommands).calls == 0);
  CHECK(reg.Sum(&ThreadStats::commands_processed) == 15);
  CHECK(reg.Sum(&ThreadStats::errors) == 6);
  const auto codes = reg.ErrorCodes();
  CHECK(codes.at("ERR") == 4);
  CHECK(codes.at("WRONGTYPE") == 2);
  reg.Reset();
  CHECK(reg.Command(3).calls == 0);
  CHECK(reg.Command(3).latency.total == 0);
  CHECK(reg.ErrorCodes().empty());
  CHECK(reg.Sum(&ThreadStats::errors) == 0);
}

TEST_CASE("A new registry gets new blocks, even at an old one's address") {
  for (int round = 0; round < 3; ++round) {
    StatsRegistry reg;
    reg.Local().commands_processed.Add(1);
    CHECK(reg.Sum(&ThreadStats::commands_processed) == 1);
  }
}

TEST_CASE("ThreadStats keeps at most kMaxErrorCodes codes") {
  StatsRegistry reg;
  ThreadStats& ts = reg.Local();
  for (size_t i = 0; i < ThreadStats::kMaxErrorCodes + 10; ++i)
    ts.CountErrors("E" + std::to_string(i), 1);
  CHECK(reg.ErrorCodes().size() == ThreadStats::kMaxErrorCodes);
  CHECK(reg.Sum(&ThreadStats::errors) == ThreadStats::kMaxErrorCodes + 10);
}

TEST_CASE("InstantRate averages the last samples, one per 100 ms at most") {
  InstantRate r;
  r.Sample(1000, 0);
  r.Sample(1050, 999);  // too soon: ignored
  CHECK(r.Rate() == 0);
  r.Sample(1100, 100);  // 100 in 100 ms
  CHECK(r.Rate() == doctest::Approx(1000));
  r.Sample(1300, 100);  // nothing in 200 ms
  CHECK(r.Rate() == doctest::Approx(500));
  for (int i = 0; i < InstantRate::kSamples; ++i) r.Sample(1400 + 100 * i, 100);
  CHECK(r.Rate() == 0);
  r.Sample(3100, 0);  // a reset: the total went back
  CHECK(r.Rate() == 0);
}

}  // namespace kv
