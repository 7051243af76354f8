// ShardMutex: a shard's lock, which an atomic batch (commands/atomic_batch.h: MULTI/EXEC,
// scripts) can hold for every command it runs.
//
// Outside a batch it is a plain std::mutex. A batch locks its whole shard set up front, in
// ascending order, through LockForBatch, and marks this thread as running it; while it runs, the
// lock()/unlock() calls its commands make on those shards (the dispatcher's per-command locking,
// handlers that lock shard by shard such as KEYS or FLUSHDB, COPY ... DB's destination) are
// no-ops, so the commands run unchanged with the batch's locks held. The batch's lock set must
// cover every shard its commands lock: a shard outside it would be locked out of order.
#pragma once

#include <atomic>
#include <mutex>

namespace kv {

// The batch this thread is running, or nullptr (set by AtomicBatch).
inline thread_local const void* t_current_batch = nullptr;

class ShardMutex {
 public:
  void lock() {
    if (!HeldByCurrentBatch()) mu_.lock();
  }
  bool try_lock() { return HeldByCurrentBatch() || mu_.try_lock(); }
  void unlock() {
    if (!HeldByCurrentBatch()) mu_.unlock();
  }

  void LockForBatch(const void* batch) {
    mu_.lock();
    batch_.store(batch, std::memory_order_relaxed);
  }
  void UnlockForBatch() {
    batch_.store(nullptr, std::memory_order_relaxed);
    mu_.unlock();
  }

 private:
  // Only this thread ever stores its own batch here, so a relaxed load is exact for the question
  // "does my batch hold it".
  bool HeldByCurrentBatch() const {
    const void* b = t_current_batch;
    return b != nullptr && batch_.load(std::memory_order_relaxed) == b;
  }

  std::mutex mu_;
  std::atomic<const void*> batch_{nullptr};
};

}  // namespace kv
