#include "commands/command_stats.h"

namespace kv {

namespace {
// Registries are told apart by a number, never by address: a unit test may build a new one
// where an old one was, and a thread's cached block must not outlive its registry.
std::atomic<uint64_t> g_next_registry_id{1};
struct LocalBlock {
  uint64_t registry_id = 0;
  ThreadStats* block = nullptr;
};
thread_local LocalBlock t_local;
}  // namespace

ThreadStats::~ThreadStats() {
  for (auto& c : commands_) delete c.latency.load(std::memory_order_relaxed);
}

void ThreadStats::RecordLatency(CommandCounters& c, uint64_t ns) {
  LatencyHistogram* h = c.latency.load(std::memory_order_relaxed);
  if (!h) {
    h = new LatencyHistogram();
    c.latency.store(h, std::memory_order_release);
  }
  h->Record(ns);
}

void ThreadStats::CountErrors(std::string_view code, uint64_t n) {
  errors.Add(n);
  std::lock_guard lk(error_mu_);
  auto it = error_codes_.find(code);
  if (it != error_codes_.end()) {
    it->second += n;
  } else if (error_codes_.size() < kMaxErrorCodes) {
    error_codes_.emplace(std::string(code), n);
  }
}

StatsRegistry::StatsRegistry() : id_(g_next_registry_id.fetch_add(1)) {}

ThreadStats& StatsRegistry::Local() {
  if (t_local.registry_id == id_) return *t_local.block;
  std::lock_guard lk(mu_);
  blocks_.push_back(std::make_unique<ThreadStats>());
  t_local = {id_, blocks_.back().get()};
  return *t_local.block;
}

StatsRegistry::CommandTotals StatsRegistry::Command(uint32_t command_id) {
  CommandTotals t;
  if (command_id >= ThreadStats::kMaxCommands) return t;
  std::lock_guard lk(mu_);
  for (auto& b : blocks_) {
    const CommandCounters& c = b->commands_[command_id];
    t.calls += c.calls.Get();
    t.ns += c.ns.Get();
    t.rejected += c.rejected.Get();
    t.failed += c.failed.Get();
    if (const LatencyHistogram* h = c.latency.load(std::memory_order_acquire)) {
      t.latency.Add(*h);
      t.has_latency = true;
    }
  }
  return t;
}

std::map<std::string, uint64_t> StatsRegistry::ErrorCodes() {
  std::map<std::string, uint64_t> out;
  std::lock_guard lk(mu_);
  for (auto& b : blocks_) {
    std::lock_guard elk(b->error_mu_);
    for (const auto& [code, n] : b->error_codes_) out[code] += n;
  }
  return out;
}

uint64_t StatsRegistry::Sum(Counter ThreadStats::*member) {
  uint64_t n = 0;
  std::lock_guard lk(mu_);
  for (auto& b : blocks_) n += ((*b).*member).Get();
  return n;
}

void StatsRegistry::Reset() {
  std::lock_guard lk(mu_);
  for (auto& b : blocks_) {
    for (auto& c : b->commands_) {
      c.calls.Reset();
      c.ns.Reset();
      c.rejected.Reset();
      c.failed.Reset();
      if (LatencyHistogram* h = c.latency.load(std::memory_order_acquire)) h->Reset();
    }
    for (Counter ThreadStats::*m : {&ThreadStats::commands_processed, &ThreadStats::errors,
                                    &ThreadStats::reads, &ThreadStats::writes,
                                    &ThreadStats::net_input, &ThreadStats::net_output,
                                    &ThreadStats::net_repl_input, &ThreadStats::net_repl_output})
      ((*b).*m).Reset();
    std::lock_guard elk(b->error_mu_);
    b->error_codes_.clear();
  }
}

void InstantRate::Sample(int64_t now_ms, uint64_t total) {
  if (last_ms_ == 0) {
    last_ms_ = now_ms;
    last_total_ = total;
    return;
  }
  const int64_t elapsed = now_ms - last_ms_;
  if (elapsed < 100) return;
  // A reset (CONFIG RESETSTAT) makes the total go back: count that sample as zero.
  const uint64_t delta = total >= last_total_ ? total - last_total_ : 0;
  samples_[next_] = static_cast<double>(delta) * 1000.0 / static_cast<double>(elapsed);
  next_ = (next_ + 1) % kSamples;
  if (count_ < kSamples) ++count_;
  last_ms_ = now_ms;
  last_total_ = total;
  double sum = 0;
  for (int i = 0; i < count_; ++i) sum += samples_[i];
  rate_.store(sum / count_, std::memory_order_relaxed);
}

}  // namespace kv
