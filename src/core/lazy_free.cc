#include "core/lazy_free.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/object.h"
#include "core/table.h"

namespace kv {
namespace {

// Containers holding fewer bytes are freed inline: a few frees cost less than a hand-off.
constexpr size_t kLazyBytes = 64 * 1024;
// Tables with fewer keys are emptied inline by a flush (their big containers still go lazily).
constexpr size_t kLazyTableKeys = 64;

thread_local FreeCause t_cause = FreeCause::kServerDel;

// A container whose free touches one allocation per element (nodes, buckets, members).
bool ManyAllocations(const Entry& e) {
  return Is(e, Encoding::kQuickList) || Is(e, Encoding::kHashTable) ||
         Is(e, Encoding::kSetTable) || Is(e, Encoding::kZSetTree) ||
         Is(e, Encoding::kStream);
}

// One unit of work: an entry, or a whole table of them (the other pointer null).
struct Job {
  Entry* entry = nullptr;
  Table* table = nullptr;
  uint64_t objects = 0;
  int64_t bytes = 0;
};

class LazyFreer {
 public:
  LazyFreer() : thread_([this] { Run(); }) {}
  ~LazyFreer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void Push(const Job& job) {
    pending_.fetch_add(job.objects, std::memory_order_relaxed);
    pending_bytes_.fetch_add(job.bytes, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      queue_.push_back(job);
    }
    wake_.notify_one();
  }

  void Drain() {
    std::unique_lock lock(mu_);
    drained_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

  void Hold(bool hold) {
    {
      std::lock_guard lock(mu_);
      held_ = hold;
    }
    wake_.notify_one();
  }

  uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  int64_t pending_bytes() const { return pending_bytes_.load(std::memory_order_relaxed); }
  uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      // Stopping frees what is left even when held: nothing may leak at exit.
      wake_.wait(lock, [this] { return stop_ || (!held_ && !queue_.empty()); });
      if (queue_.empty()) return;  // stopping, nothing left
      const Job job = queue_.front();
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      Free(job);
      // The allocator has the bytes back before the figures say so: used_memory never counts
      // them twice (pending and allocated) for long, nor drops before they are free.
      pending_bytes_.fetch_sub(job.bytes, std::memory_order_relaxed);
      pending_.fetch_sub(job.objects, std::memory_order_relaxed);
      freed_.fetch_add(job.objects, std::memory_order_relaxed);
      lock.lock();
      busy_ = false;
      if (queue_.empty()) drained_.notify_all();
    }
  }

  static void Free(const Job& job) {
    if (job.entry) DestroyEntry(job.entry);
    if (job.table) {
      job.table->ForEach([](Entry* e) { DestroyEntry(e); });
      delete job.table;
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, drained_;
  std::deque<Job> queue_;
  bool busy_ = false;
  bool held_ = false;
  bool stop_ = false;
  std::atomic<uint64_t> pending_{0}, freed_{0};
  std::atomic<int64_t> pending_bytes_{0};
  std::thread thread_;  // last: starts once the rest is built
};

LazyFreer& Freer() {
  static LazyFreer freer;  // joined at exit, after freeing what is queued
  return freer;
}

}  // namespace

LazyFreeSwitches& GlobalLazyFreeSwitches() {
  static LazyFreeSwitches switches;
  return switches;
}

FreeCauseScope::FreeCauseScope(FreeCause cause) : saved_(t_cause) { t_cause = cause; }
FreeCauseScope::~FreeCauseScope() { t_cause = saved_; }

bool LazyFreeAllowed() {
  const LazyFreeSwitches& s = GlobalLazyFreeSwitches();
  switch (t_cause) {
    case FreeCause::kServerDel: return s.server_del.load(std::memory_order_relaxed);
    case FreeCause::kUserDel: return s.user_del.load(std::memory_order_relaxed);
    case FreeCause::kUserFlush: return s.user_flush.load(std::memory_order_relaxed);
    case FreeCause::kExpire: return s.expire.load(std::memory_order_relaxed);
    case FreeCause::kEviction: return s.eviction.load(std::memory_order_relaxed);
    case FreeCause::kAsync: return true;
    case FreeCause::kSync: return false;
  }
  return false;
}

void DisposeEntry(Entry* e) {
  if (IsContainer(*e) && ManyAllocations(*e) && ContainerBytes(*e) >= kLazyBytes &&
      LazyFreeAllowed()) {
    Freer().Push({e, nullptr, 1, static_cast<int64_t>(EntryBytes(*e))});
    return;
  }
  DestroyEntry(e);
}

void DisposeTable(std::unique_ptr<Table> table, int64_t bytes) {
  if (table->size() >= kLazyTableKeys && LazyFreeAllowed()) {
    const uint64_t keys = table->size();
    Freer().Push({nullptr, table.release(), keys, bytes});
    return;
  }
  table->ForEach([](Entry* e) { DisposeEntry(e); });
}

uint64_t LazyFreePendingObjects() { return Freer().pending(); }
uint64_t LazyFreedObjects() { return Freer().freed(); }
int64_t LazyFreePendingBytes() { return Freer().pending_bytes(); }
void LazyFreeDrain() { Freer().Drain(); }
void LazyFreeHold(bool hold) { Freer().Hold(hold); }

}  // namespace kv
