#include "core/shard_mutex.h"

#include <chrono>
#include <thread>
#include <unordered_map>
#include <vector>

namespace kv {
namespace {

// Threads that lock shards get a small index for their slot in every gate; indexes are reused
// when threads end. Past kPrivate concurrent threads, the rest share the last slot, counting
// themselves in and out with read-modify-writes and keeping their own depth per gate.
constexpr uint32_t kSlots = 128;
constexpr uint32_t kShared = kSlots - 1;

class ThreadIndexes {
 public:
  uint32_t Take() {
    std::lock_guard lock(mu_);
    for (uint32_t i = 0; i < kShared; ++i) {
      if (!used_[i]) {
        used_[i] = true;
        if (i + 1 > high_.load(std::memory_order_relaxed))
          high_.store(i + 1, std::memory_order_seq_cst);
        return i;
      }
    }
    high_.store(kSlots, std::memory_order_seq_cst);
    return kShared;
  }
  // One past the highest index ever handed out: a closer reads slots below it only.
  uint32_t high() const { return high_.load(std::memory_order_seq_cst); }
  void Give(uint32_t i) {
    if (i == kShared) return;
    std::lock_guard lock(mu_);
    used_[i] = false;
  }

 private:
  std::mutex mu_;
  bool used_[kShared] = {};
  std::atomic<uint32_t> high_{0};
};

ThreadIndexes& Indexes() {
  static ThreadIndexes* indexes = new ThreadIndexes;  // outlives every thread's release
  return *indexes;
}

struct ThreadIndex {
  const uint32_t value = Indexes().Take();
  ~ThreadIndex() { Indexes().Give(value); }
};
thread_local ThreadIndex t_index;

// Depth per gate of a thread on the shared slot (its slot's depth counts every such thread).
thread_local std::unordered_map<const NamespaceGate*, uint32_t> t_shared_depth;

void Pause(int spins) {
  if (spins < 64) return;
  if (spins < 1024) {
    std::this_thread::yield();
    return;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(50));
}

}  // namespace

NamespaceGate::NamespaceGate() : slots_(new Slot[kSlots]) {}
NamespaceGate::~NamespaceGate() = default;

NamespaceGate::Slot& NamespaceGate::MySlot() { return slots_[t_index.value]; }

void NamespaceGate::Enter() {
  Slot& slot = MySlot();
  uint32_t* shared_depth = t_index.value == kShared ? &t_shared_depth[this] : nullptr;
  // Inside already: a closer waits for this thread to leave, so it must not wait for the closer.
  if (shared_depth ? *shared_depth > 0 : slot.depth.load(std::memory_order_relaxed) > 0) {
    slot.depth.fetch_add(1, std::memory_order_relaxed);
    if (shared_depth) ++*shared_depth;
    return;
  }
  for (;;) {
    slot.depth.fetch_add(1, std::memory_order_seq_cst);
    const void* owner = owner_.load(std::memory_order_seq_cst);
    if (Admits(owner)) break;
    slot.depth.fetch_sub(1, std::memory_order_seq_cst);
    owner_.wait(owner, std::memory_order_acquire);
  }
  if (shared_depth) ++*shared_depth;
}

bool NamespaceGate::TryEnter() {
  Slot& slot = MySlot();
  uint32_t* shared_depth = t_index.value == kShared ? &t_shared_depth[this] : nullptr;
  if (shared_depth ? *shared_depth > 0 : slot.depth.load(std::memory_order_relaxed) > 0) {
    slot.depth.fetch_add(1, std::memory_order_relaxed);
    if (shared_depth) ++*shared_depth;
    return true;
  }
  slot.depth.fetch_add(1, std::memory_order_seq_cst);
  if (!Admits(owner_.load(std::memory_order_seq_cst))) {
    slot.depth.fetch_sub(1, std::memory_order_seq_cst);
    return false;
  }
  if (shared_depth) ++*shared_depth;
  return true;
}

void NamespaceGate::Exit() {
  if (t_index.value == kShared) --t_shared_depth[this];
  MySlot().depth.fetch_sub(1, std::memory_order_release);
}

void NamespaceGate::Close(const void* batch) {
  closers_.lock();
  owner_.store(batch, std::memory_order_seq_cst);
  const uint32_t me = t_index.value;
  // A thread that takes a new index after this read enters after the gate closed, and sees it.
  const uint32_t high = Indexes().high();
  for (uint32_t i = 0; i < high; ++i) {
    if (i == me && i != kShared) continue;
    // The shared slot may count this very thread only if it were inside, which Close forbids.
    for (int spins = 0; slots_[i].depth.load(std::memory_order_seq_cst) != 0; ++spins) Pause(spins);
  }
}

void NamespaceGate::Open() {
  owner_.store(nullptr, std::memory_order_seq_cst);
  owner_.notify_all();
  closers_.unlock();
}

}  // namespace kv
