#include "core/clock.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace kv {
namespace clock_detail {
namespace {

bool HasInvariantTsc() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0x80000000u, nullptr) < 0x80000007u) return false;
  __get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx);
  return (edx & (1u << 8)) != 0;  // "TscInvariant"
#else
  return false;
#endif
}

// Nanoseconds per tick, measured against CLOCK_MONOTONIC over 2 ms the first time a duration
// is converted (a 30 ns error at each end is 3e-5 of the result: nothing for µs command
// times).
double NsPerTick() {
  if (!g_use_tsc) return 1.0;
  const uint64_t ns0 = MonotonicNs();
  const uint64_t t0 = ReadTsc();
  uint64_t ns1 = ns0;
  while (ns1 - ns0 < 2000000u) ns1 = MonotonicNs();
  const uint64_t t1 = ReadTsc();
  return t1 > t0 ? static_cast<double>(ns1 - ns0) / static_cast<double>(t1 - t0) : 1.0;
}

double ScaleNs() {
  static const double ns_per_tick = NsPerTick();
  return ns_per_tick;
}

}  // namespace

const bool g_use_tsc = HasInvariantTsc();

}  // namespace clock_detail

uint64_t TicksBetweenNs(uint64_t start, uint64_t end) {
  if (end <= start) return 0;
  return static_cast<uint64_t>(static_cast<double>(end - start) * clock_detail::ScaleNs());
}

int64_t NowMsAtTicks(uint64_t ticks) {
  thread_local uint64_t sampled_ticks = 0;
  thread_local int64_t sampled_wall_ns = 0;
  // A counter behind the sample (another core's) resamples too.
  uint64_t since_ns = 0;
  if (sampled_ticks == 0 || ticks < sampled_ticks ||
      (since_ns = TicksBetweenNs(sampled_ticks, ticks)) >= 1000000u) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sampled_wall_ns = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
    sampled_ticks = ticks;
    since_ns = 0;
  }
  return (sampled_wall_ns + static_cast<int64_t>(since_ns)) / 1000000;
}

}  // namespace kv
