// The command stopwatch and the wall-clock time derived from it.
#include "core/clock.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

namespace kv {
namespace {

TEST_CASE("clock: a stopwatch reading agrees with the monotonic clock") {
  const uint64_t mono0 = MonotonicNs();
  const uint64_t t0 = Ticks();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t t1 = Ticks();
  const uint64_t mono1 = MonotonicNs();
  const uint64_t ticks_ns = TicksBetweenNs(t0, t1);
  // The stopwatch interval lies inside the monotonic one (read outside it), give or take the
  // calibration error (3e-5) and a read.
  CHECK(ticks_ns >= 20000000u);
  CHECK(ticks_ns <= (mono1 - mono0) + (mono1 - mono0) / 1000 + 1000);
}

TEST_CASE("clock: a counter that went backwards gives 0, never a huge interval") {
  CHECK(TicksBetweenNs(1000, 999) == 0);
  CHECK(TicksBetweenNs(5, 5) == 0);
}

TEST_CASE("clock: the wall time at a stopwatch reading is the wall clock's") {
  for (int i = 0; i < 3; ++i) {
    const int64_t before = NowMs();
    const int64_t derived = NowMsAtTicks(Ticks());
    const int64_t after = NowMs();
    CHECK(derived >= before - 1);  // 1 ms: the derivation truncates ns to ms after adding
    CHECK(derived <= after + 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // forces a fresh sample
  }
}

}  // namespace
}  // namespace kv
