// ShardMutex: a shard's lock, which an atomic batch (commands/atomic_batch.h: MULTI/EXEC,
// scripts) can hold for every command it runs; and NamespaceGate, through which one batch holds
// a whole namespace at once.
//
// Outside a batch a ShardMutex is a plain std::mutex. A batch locks its whole shard set up
// front, in ascending order, through LockForBatch, and marks this thread as running it; while it
// runs, the lock()/unlock() calls its commands make on those shards (the dispatcher's
// per-command locking, handlers that lock shard by shard such as KEYS or FLUSHDB, COPY ... DB's
// destination) are no-ops, so the commands run unchanged with the batch's locks held. The
// batch's lock set must cover every shard its commands lock: a shard outside it would be locked
// out of order.
//
// A batch that needs every shard of a namespace (a script may touch keys it did not declare)
// closes the namespace's gate instead of locking its 256 shards one by one, which cost more
// than the whole script: every thread that locks a shard of the namespace first enters the
// gate, publishing that it is inside (Dekker: a seq_cst write of its own slot, then a read of
// the gate), and the closer, after marking the gate closed, waits until no other thread is
// inside. From then on it alone enters; its commands lock the shards they touch as usual,
// uncontended. A thread already inside a namespace enters again without checking (it is one of
// those the closer waits for), so only the outermost lock of a namespace pays the fence.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace kv {

// The batch this thread is running, or nullptr (set by AtomicBatch).
inline thread_local const void* t_current_batch = nullptr;

class NamespaceGate {
 public:
  NamespaceGate();
  ~NamespaceGate();
  NamespaceGate(const NamespaceGate&) = delete;
  NamespaceGate& operator=(const NamespaceGate&) = delete;

  // The calling thread is about to lock one of the namespace's shards / has unlocked one.
  // Enter waits while another batch holds the gate closed.
  void Enter();
  // False (nothing entered) when another batch holds the gate closed.
  bool TryEnter();
  void Exit();

  // Holds the namespace for `batch`: waits for other closers, closes, waits until no other
  // thread is inside. The calling thread must not be inside this namespace.
  void Close(const void* batch);
  void Open();

 private:
  // One per thread (by a small thread index): how many of this namespace's shard locks the
  // thread is inside. Written by its thread only, read by a closer.
  struct alignas(64) Slot {
    std::atomic<uint32_t> depth{0};
  };
  Slot& MySlot();
  bool Admits(const void* owner) const { return owner == nullptr || owner == t_current_batch; }

  std::unique_ptr<Slot[]> slots_;
  std::atomic<const void*> owner_{nullptr};
  std::mutex closers_;  // one closer at a time
};

class ShardMutex {
 public:
  // The namespace this shard belongs to (set once, before any lock); none: a plain mutex.
  void set_gate(NamespaceGate* gate) { gate_ = gate; }

  void lock() {
    if (HeldByCurrentBatch()) return;
    if (gate_) gate_->Enter();
    mu_.lock();
  }
  bool try_lock() {
    if (HeldByCurrentBatch()) return true;
    if (gate_ && !gate_->TryEnter()) return false;
    if (mu_.try_lock()) return true;
    if (gate_) gate_->Exit();
    return false;
  }
  void unlock() {
    if (HeldByCurrentBatch()) return;
    mu_.unlock();
    if (gate_) gate_->Exit();
  }

  void LockForBatch(const void* batch) {
    if (gate_) gate_->Enter();
    mu_.lock();
    batch_.store(batch, std::memory_order_relaxed);
  }
  void UnlockForBatch() {
    batch_.store(nullptr, std::memory_order_relaxed);
    mu_.unlock();
    if (gate_) gate_->Exit();
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
  NamespaceGate* gate_ = nullptr;
};

}  // namespace kv
