// The wall clock every layer reads: Unix milliseconds, for expiry deadlines, command times and
// the time stamps of log records and snapshots. One definition, so the engine, the dispatcher
// and persistence never disagree on what "now" means.
#pragma once

#include <time.h>

#include <cstdint>

namespace kv {

inline int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// A monotonic clock in nanoseconds, for durations.
inline uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

// NowMs() at the moment MonotonicNs() read `mono_ns`, without reading the wall clock again:
// the dispatcher reads the monotonic clock for each command's duration anyway, and a third
// clock read per command was a tenth of the server's CPU on a pipelined INCR. The two clocks
// run at the same rate, so the derived time is exact but for a step of the wall clock (an
// administrator's `date -s`), which this thread sees within 1 ms, when it samples the wall
// clock again.
inline int64_t NowMsAt(uint64_t mono_ns) {
  thread_local uint64_t sampled_mono_ns = 0;
  thread_local int64_t sampled_wall_ns = 0;
  if (sampled_mono_ns == 0 || mono_ns - sampled_mono_ns >= 1000000u) {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sampled_wall_ns = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
    sampled_mono_ns = mono_ns;
  }
  return (sampled_wall_ns + static_cast<int64_t>(mono_ns - sampled_mono_ns)) / 1000000;
}

}  // namespace kv
