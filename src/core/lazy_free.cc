#include "core/lazy_free.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "core/object.h"

namespace kv {
namespace {

// Containers holding fewer bytes are freed inline: a few frees cost less than a hand-off.
constexpr size_t kLazyBytes = 64 * 1024;

// A container whose free touches one allocation per element (nodes, buckets, members).
bool ManyAllocations(const Entry& e) {
  return Is(e, Encoding::kQuickList) || Is(e, Encoding::kHashTable) ||
         Is(e, Encoding::kSetTable) || Is(e, Encoding::kZSetTree);
}

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

  void Push(Entry* e) {
    pending_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      queue_.push_back(e);
    }
    wake_.notify_one();
  }

  void Drain() {
    std::unique_lock lock(mu_);
    drained_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }

  uint64_t pending() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (true) {
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      Entry* e = queue_.front();
      queue_.pop_front();
      busy_ = true;
      lock.unlock();
      DestroyEntry(e);
      pending_.fetch_sub(1, std::memory_order_relaxed);
      freed_.fetch_add(1, std::memory_order_relaxed);
      lock.lock();
      busy_ = false;
      if (queue_.empty()) drained_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, drained_;
  std::deque<Entry*> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::atomic<uint64_t> pending_{0}, freed_{0};
  std::thread thread_;  // last: starts once the rest is built
};

LazyFreer& Freer() {
  static LazyFreer freer;  // joined at exit, after freeing what is queued
  return freer;
}

}  // namespace

void DisposeEntry(Entry* e) {
  if (IsContainer(*e) && ManyAllocations(*e) && ContainerBytes(*e) >= kLazyBytes) {
    Freer().Push(e);
    return;
  }
  DestroyEntry(e);
}

uint64_t LazyFreePendingObjects() { return Freer().pending(); }
uint64_t LazyFreedObjects() { return Freer().freed(); }
void LazyFreeDrain() { Freer().Drain(); }

}  // namespace kv
