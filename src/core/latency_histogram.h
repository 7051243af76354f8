// LatencyHistogram: durations in nanoseconds counted in log-linear buckets (16 per power of two,
// so a reported percentile is within 1/16 = 6.25% of the true value), for INFO latencystats.
//
// One writer thread per histogram (each I/O thread keeps its own, so recording is a plain
// relaxed load and store: no lock prefix, no shared cache line); readers on any thread merge
// several histograms with Add and read percentiles from the merged copy.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <vector>

namespace kv {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 4;  // 16 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  // The owner thread only.
  void Record(uint64_t ns) {
    std::atomic<uint64_t>& b = buckets_[Index(ns)];
    b.store(b.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void Reset() {
    for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
  }

  // A plain copy that merges histograms (any thread).
  struct Snapshot {
    std::vector<uint64_t> counts = std::vector<uint64_t>(kBuckets, 0);
    uint64_t total = 0;
    void Add(const LatencyHistogram& h) {
      for (int i = 0; i < kBuckets; ++i) {
        const uint64_t n = h.buckets_[i].load(std::memory_order_relaxed);
        counts[i] += n;
        total += n;
      }
    }
    // The upper bound of the bucket holding the `p`-th percentile (0 < p <= 100), in ns; 0 when
    // nothing was recorded.
    uint64_t Percentile(double p) const;
  };

  static int Index(uint64_t ns) {
    if (ns < kSub) return static_cast<int>(ns);
    const int msb = 63 - std::countl_zero(ns);  // >= kSubBits
    const int shift = msb - kSubBits;
    return (shift + 1) * kSub + static_cast<int>((ns >> shift) & (kSub - 1));
  }
  // The largest value that falls in bucket `i`.
  static uint64_t UpperBound(int i) {
    if (i < kSub) return static_cast<uint64_t>(i);
    const int shift = i / kSub - 1;
    const uint64_t base = (uint64_t{1} << (shift + kSubBits)) |
                          (static_cast<uint64_t>(i % kSub) << shift);
    return base + ((uint64_t{1} << shift) - 1);
  }

 private:
  std::atomic<uint64_t> buckets_[kBuckets] = {};
};

inline uint64_t LatencyHistogram::Snapshot::Percentile(double p) const {
  if (total == 0) return 0;
  // The smallest value with at least p% of the samples at or below it.
  const double want = p / 100.0 * static_cast<double>(total);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (counts[i] != 0 && static_cast<double>(seen) >= want) return UpperBound(i);
  }
  return UpperBound(kBuckets - 1);
}

}  // namespace kv
