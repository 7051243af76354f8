// NamespaceGate: a batch that closes it is alone in the namespace, whoever locks its shards and
// however (one shard, several, nested, try_lock), and nobody deadlocks.
#include "core/shard_mutex.h"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace kv {
namespace {

struct Namespace {
  NamespaceGate gate;
  ShardMutex shards[8];
  Namespace() {
    for (ShardMutex& m : shards) m.set_gate(&gate);
  }
};

TEST_CASE("namespace gate: a closer is alone; lockers of one or two shards wait for it") {
  Namespace ns;
  std::atomic<int> inside{0};      // threads holding a shard of ns right now
  std::atomic<bool> violated{false};
  std::atomic<bool> stop{false};
  std::vector<std::thread> lockers;
  for (int t = 0; t < 3; ++t) {
    lockers.emplace_back([&, t] {
      for (uint32_t i = 0; !stop.load(); ++i) {
        ShardMutex& a = ns.shards[(i + t) % 8];
        ShardMutex& b = ns.shards[(i + t + 3) % 8];
        ShardMutex& first = &a < &b ? a : b;
        ShardMutex& second = &a < &b ? b : a;
        std::lock_guard l1(first);
        std::unique_lock l2(second, std::try_to_lock);  // nested entry, try_lock path
        inside.fetch_add(1);
        inside.fetch_sub(1);
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    const int batch_tag = 0;
    t_current_batch = &batch_tag;
    ns.gate.Close(&batch_tag);
    if (inside.load() != 0) violated = true;
    {
      // The closer's own commands lock shards as usual.
      std::lock_guard own(ns.shards[round % 8]);
      if (inside.load() != 0) violated = true;
    }
    std::this_thread::yield();
    if (inside.load() != 0) violated = true;
    ns.gate.Open();
    t_current_batch = nullptr;
  }
  stop = true;
  for (std::thread& t : lockers) t.join();
  CHECK_FALSE(violated.load());
}

TEST_CASE("namespace gate: try_lock fails while the gate is closed by another, then succeeds") {
  Namespace ns;
  const int tag = 0;
  std::atomic<bool> closed{false}, reopen{false};
  std::thread closer([&] {
    t_current_batch = &tag;
    ns.gate.Close(&tag);
    closed = true;
    while (!reopen.load()) std::this_thread::yield();
    ns.gate.Open();
    t_current_batch = nullptr;
  });
  while (!closed.load()) std::this_thread::yield();
  CHECK_FALSE(ns.shards[0].try_lock());
  reopen = true;
  closer.join();
  CHECK(ns.shards[0].try_lock());
  ns.shards[0].unlock();
}

TEST_CASE("namespace gate: a thread inside one namespace waits at a closed other one") {
  Namespace a, b;
  const int tag = 0;
  std::atomic<bool> b_closed{false}, done{false};
  std::thread closer([&] {
    t_current_batch = &tag;
    b.gate.Close(&tag);
    b_closed = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK_FALSE(done.load());  // still waiting at b's gate
    b.gate.Open();
    t_current_batch = nullptr;
  });
  while (!b_closed.load()) std::this_thread::yield();
  {
    std::lock_guard in_a(a.shards[1]);  // inside a; b's closer does not wait for this thread
    std::lock_guard in_b(b.shards[2]);
    done = true;
  }
  closer.join();
  CHECK(done.load());
}

}  // namespace
}  // namespace kv
