// CommandStats: what INFO commandstats, errorstats, latencystats and the totals of INFO stats
// report, counted per thread.
//
// Every thread that runs commands (each I/O loop) owns one ThreadStats block and is its only
// writer: a counter update is a relaxed load and store on a line no other thread writes, so
// counting costs no atomic read-modify-write on the request path however many loops run.
// INFO sums the blocks; CONFIG RESETSTAT zeroes them (a count racing with a reset may survive
// it, as in any statistics reset).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/latency_histogram.h"

namespace kv {

struct CommandSpec;

// One owner writes, anyone reads.
class Counter {
 public:
  void Add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }
  void Reset() { v_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct CommandCounters {
  Counter calls, ns, rejected, failed;  // ns: time in the handler, summed
  // Allocated by the owner on the command's first call (most commands never run).
  std::atomic<LatencyHistogram*> latency{nullptr};
};

class ThreadStats {
 public:
  // Command ids beyond this (thousands of plugin commands) are run but not counted.
  static constexpr uint32_t kMaxCommands = 1024;
  // Distinct error codes counted; others go uncounted in errorstats (Redis: 128).
  static constexpr size_t kMaxErrorCodes = 128;

  ~ThreadStats();

  CommandCounters* For(uint32_t command_id) {
    return command_id < kMaxCommands ? &commands_[command_id] : nullptr;
  }
  void RecordLatency(CommandCounters& c, uint64_t ns);
  // `n` error replies with this code (ERR, WRONGTYPE...).
  void CountErrors(std::string_view code, uint64_t n);

  Counter commands_processed, errors, reads, writes, net_input, net_output;
  // Replication traffic, apart from the clients' (Redis 7's total_net_repl_*_bytes): what a
  // replica's link to its primary reads, and what a primary writes to its replicas.
  Counter net_repl_input, net_repl_output;

 private:
  friend class StatsRegistry;
  std::array<CommandCounters, kMaxCommands> commands_;
  std::mutex error_mu_;  // errors are rare; INFO reads the map from another thread
  std::map<std::string, uint64_t, std::less<>> error_codes_;
};

// All threads' blocks. A block lives as long as the registry (threads come and go with the
// server, a few per process).
class StatsRegistry {
 public:
  StatsRegistry();
  // The calling thread's block, made on first use (then a thread-local read).
  ThreadStats& Local();

  struct CommandTotals {
    uint64_t calls = 0, ns = 0, rejected = 0, failed = 0;
    LatencyHistogram::Snapshot latency;
    bool has_latency = false;
  };
  CommandTotals Command(uint32_t command_id);
  std::map<std::string, uint64_t> ErrorCodes();
  // Sum of one Counter member over every block.
  uint64_t Sum(Counter ThreadStats::*member);
  void Reset();

 private:
  const uint64_t id_;
  std::mutex mu_;
  std::vector<std::unique_ptr<ThreadStats>> blocks_;
};

// Redis's instantaneous_* figures: a rate averaged over the last 16 samples, one sample at
// least every 100 ms (the server cron calls Sample; INFO reads Rate from any thread).
class InstantRate {
 public:
  static constexpr int kSamples = 16;
  void Sample(int64_t now_ms, uint64_t total);
  // Per second, averaged over the samples taken.
  double Rate() const { return rate_.load(std::memory_order_relaxed); }

 private:
  int64_t last_ms_ = 0;
  uint64_t last_total_ = 0;
  double samples_[kSamples] = {};
  int next_ = 0, count_ = 0;
  std::atomic<double> rate_{0};
};

}  // namespace kv
