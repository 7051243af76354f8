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

}  // namespace kv
