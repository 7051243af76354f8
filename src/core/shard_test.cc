#include "core/shard.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/eviction.h"
#include "core/expiry.h"
#include "core/keyspace.h"
#include "core/listpack.h"
#include "core/object.h"
#include "core/memory.h"

namespace kv {
namespace {

constexpr int64_t kNow = 1'000'000;

TEST_CASE("Shard: Set then Find returns the typed value") {
  Shard s;
  s.Set("b", ScalarView::Bytes("hello"), kNoExpire);
  s.Set("i", ScalarView::Int(-42), kNoExpire);
  s.Set("f", ScalarView::Float(1.5), kNoExpire);
  CHECK(s.Find("b", kNow)->value().bytes == "hello");
  CHECK(s.Find("i", kNow)->value().type == ScalarType::kInt);
  CHECK(s.Find("i", kNow)->value().i == -42);
  CHECK(s.Find("f", kNow)->value().d == 1.5);
  CHECK(s.Find("missing", kNow) == nullptr);
  CHECK(s.size() == 3);
}

TEST_CASE("Shard: an expired key is gone on access (lazy expiry)") {
  Shard s;
  s.Set("k", ScalarView::Bytes("v"), kNow + 10);
  CHECK(s.Find("k", kNow + 9) != nullptr);
  CHECK(s.Find("k", kNow + 10) == nullptr);
  CHECK(s.size() == 0);
  CHECK(s.volatile_size() == 0);
}

TEST_CASE("Shard: SetExpire adds, changes and removes a TTL, keeping the value") {
  Shard s;
  s.Set("k", ScalarView::Bytes("value"), kNoExpire);
  CHECK(s.SetExpire("k", kNow + 100, kNow)->expire_at() == kNow + 100);
  CHECK(s.volatile_size() == 1);
  CHECK(s.SetExpire("k", kNow + 200, kNow)->expire_at() == kNow + 200);
  Entry* e = s.SetExpire("k", kNoExpire, kNow);
  CHECK_FALSE(e->has_expire());
  CHECK(e->value().bytes == "value");
  CHECK(s.volatile_size() == 0);
  CHECK(s.SetExpire("nope", kNow + 1, kNow) == nullptr);
}

TEST_CASE("Shard: ResizeBytes keeps the prefix and the TTL") {
  Shard s;
  s.Set("k", ScalarView::Bytes("abc"), kNow + 1000);
  Entry* e = s.ResizeBytes("k", 6, kNow);
  std::memcpy(e->mutable_value() + 3, "def", 3);
  CHECK(s.Find("k", kNow)->value().bytes == "abcdef");
  CHECK(s.Find("k", kNow)->expire_at() == kNow + 1000);
}

TEST_CASE("Shard: ResizeBytes over an expired key counts it expired and starts empty") {
  Shard s;
  s.Set("k", ScalarView::Bytes("abc"), kNow + 10);
  const uint64_t expired_before = GlobalEngineStats().expired_keys.load();
  Entry* e = s.ResizeBytes("k", 2, kNow + 10);
  CHECK(GlobalEngineStats().expired_keys.load() == expired_before + 1);
  CHECK(e->value().bytes.size() == 2);  // the caller fills the bytes (SETRANGE, SETBIT)
  CHECK_FALSE(e->has_expire());
}

TEST_CASE("Shard: memory accounting returns to zero after Clear") {
  const int64_t before = GlobalEngineStats().tracked_bytes.load();
  {
    Shard s;
    for (int i = 0; i < 1000; ++i)
      s.Set("key:" + std::to_string(i), ScalarView::Bytes(std::string(32, 'x')),
            i % 2 ? kNow + i : kNoExpire);
    CHECK(s.memory_bytes() > 1000 * 48);
    CHECK(GlobalEngineStats().tracked_bytes.load() - before == s.memory_bytes());
    for (int i = 0; i < 500; ++i) s.Erase("key:" + std::to_string(i), kNow);
    s.Clear();
    CHECK(s.memory_bytes() == 0);
  }
  CHECK(GlobalEngineStats().tracked_bytes.load() == before);
}

TEST_CASE("Shard: ActiveExpire deletes expired keys without access") {
  Shard s;
  for (int i = 0; i < 100; ++i) s.Set("e" + std::to_string(i), ScalarView::Int(i), kNow - 1);
  for (int i = 0; i < 100; ++i) s.Set("l" + std::to_string(i), ScalarView::Int(i), kNow + 1e6);
  int deleted = 0;
  for (int round = 0; round < 200 && deleted < 100; ++round)
    deleted += s.ActiveExpire(kNow, 20, static_cast<uint64_t>(round) * 0x9E3779B97F4A7C15ULL).second;
  CHECK(deleted == 100);
  CHECK(s.size() == 100);
  CHECK(s.volatile_size() == 100);
}

TEST_CASE("ActiveExpireCycle reclaims expired keys across namespaces") {
  Store store(8);
  for (const char* ns : {"0", "app"}) {
    Keyspace* ks = store.Get(ns);
    for (int i = 0; i < 500; ++i) {
      const std::string k = "k" + std::to_string(i);
      std::lock_guard lock(ks->ShardFor(k).mu());
      ks->ShardFor(k).Set(k, ScalarView::Bytes("v"), kNow - 5);
    }
  }
  for (int i = 0; i < 50 && store.Get("0")->Size() + store.Get("app")->Size() > 0; ++i)
    ActiveExpireCycle(store, kNow, 1'000'000);
  CHECK(store.Get("0")->Size() == 0);
  CHECK(store.Get("app")->Size() == 0);
}

TEST_CASE("ShardLocks: concurrent multi-shard writers in opposite orders do not deadlock") {
  Store store(16);
  Keyspace* ks = store.Get("0");
  auto worker = [&](bool reverse) {
    for (int i = 0; i < 2000; ++i) {
      std::vector<uint32_t> idx = {1, 5, 9, 13};
      if (reverse) std::reverse(idx.begin(), idx.end());
      ShardLocks locks(ks, idx);
      Shard& s = ks->shard(idx[0]);
      s.Set("counter", ScalarView::Int(i), kNoExpire);
    }
  };
  std::thread a(worker, false), b(worker, true);
  a.join();
  b.join();
  std::lock_guard lock(ks->shard(1).mu());
  CHECK(ks->shard(1).Find("counter", kNow) != nullptr);
}

// maxmemory compares memory without what the lazy-free thread has queued (an earlier test's
// flush may still be in its queue).
TEST_CASE("Eviction: allkeys-lru frees memory down to the limit, noeviction refuses") {
  Store store(4);
  Keyspace* ks = store.Get("0");
  for (int i = 0; i < 2000; ++i) {
    const std::string k = "key:" + std::to_string(i);
    std::lock_guard lock(ks->ShardFor(k).mu());
    ks->ShardFor(k).Set(k, ScalarView::Bytes(std::string(100, 'x')), kNoExpire);
  }
  RefreshMemoryOverhead();
  const int64_t used = UsedMemoryAfterPendingFrees();
  const int64_t limit = used - 100 * 1024;
  CHECK_FALSE(FreeMemoryIfNeeded(store, limit, EvictionPolicy::kNoEviction, 5, kNow));
  CHECK(FreeMemoryIfNeeded(store, limit, EvictionPolicy::kAllKeysLru, 5, kNow));
  CHECK(UsedMemoryAfterPendingFrees() <= limit);
  CHECK(ks->Size() < 2000);
  CHECK(ks->Size() > 0);
  // volatile-* with no TTL keys has nothing to evict.
  CHECK_FALSE(FreeMemoryIfNeeded(store, UsedMemoryAfterPendingFrees() - 1024, EvictionPolicy::kVolatileLru, 5, kNow));
  store.ClearAll();
}

TEST_CASE("Eviction: volatile-ttl evicts the key closest to expiring") {
  Store store(1);
  Keyspace* ks = store.Get("0");
  {
    std::lock_guard lock(ks->shard(0).mu());
    ks->shard(0).Set("soon", ScalarView::Bytes(std::string(2000, 'x')), kNow + 10);
    ks->shard(0).Set("later", ScalarView::Bytes(std::string(2000, 'x')), kNow + 100000);
    ks->shard(0).Set("never", ScalarView::Bytes(std::string(2000, 'x')), kNoExpire);
  }
  RefreshMemoryOverhead();
  CHECK(FreeMemoryIfNeeded(store, UsedMemoryAfterPendingFrees() - 1000, EvictionPolicy::kVolatileTtl, 64, kNow));
  std::lock_guard lock(ks->shard(0).mu());
  CHECK(ks->shard(0).Find("soon", kNow) == nullptr);
  CHECK(ks->shard(0).Find("later", kNow) != nullptr);
  CHECK(ks->shard(0).Find("never", kNow) != nullptr);
  ks->shard(0).Clear();
}

TEST_CASE("Eviction policy names round-trip") {
  for (const char* n : {"noeviction", "allkeys-lru", "allkeys-random", "volatile-lru",
                        "volatile-random", "volatile-ttl"})
    CHECK(std::string(EvictionPolicyName(*ParseEvictionPolicy(n))) == n);
  CHECK_FALSE(ParseEvictionPolicy("allkeys-lfu").has_value());
}

}  // namespace
}  // namespace kv

namespace kv {
namespace {

TEST_CASE("Shard: a collection's entry is header + key; its container survives a TTL change") {
  Shard s;
  const std::string key = "list:0123456789A";  // 16 bytes
  char* lp = listpack::New();
  Entry* e = s.SetContainer(key, static_cast<uint8_t>(Encoding::kListPack), lp, kNoExpire);
  CHECK(e->container() == lp);
  CHECK(e->value_len() == 0);
  CHECK(Entry::AllocSize(e) == 32);  // 16-byte header + 16-byte key, no pointer after it
  e = s.SetExpire(key, kNow + 1000, kNow);  // the entry moves to the expiry layout
  REQUIRE(e != nullptr);
  CHECK(e->container() == lp);
  CHECK(e->expire_at() == kNow + 1000);
  e = s.SetExpire(key, kNoExpire, kNow);
  CHECK(s.Find(key, kNow)->container() == lp);
  CHECK(TypeOf(*s.Find(key, kNow)) == ObjType::kList);
}

}  // namespace
}  // namespace kv
