#include "core/eviction.h"

#include <algorithm>
#include <mutex>
#include <random>
#include <string>

#include "core/ascii.h"
#include "core/keyspace.h"
#include "core/keyspace_events.h"
#include "core/lazy_free.h"
#include "core/memory.h"

namespace kv {

namespace {
constexpr struct {
  const char* name;
  EvictionPolicy policy;
} kPolicies[] = {
    {"noeviction", EvictionPolicy::kNoEviction},
    {"allkeys-lru", EvictionPolicy::kAllKeysLru},
    {"allkeys-random", EvictionPolicy::kAllKeysRandom},
    {"volatile-lru", EvictionPolicy::kVolatileLru},
    {"volatile-random", EvictionPolicy::kVolatileRandom},
    {"volatile-ttl", EvictionPolicy::kVolatileTtl},
};

bool Volatile(EvictionPolicy p) {
  return p == EvictionPolicy::kVolatileLru || p == EvictionPolicy::kVolatileRandom ||
         p == EvictionPolicy::kVolatileTtl;
}

// Lower score = better candidate.
int64_t Score(EvictionPolicy p, const Entry* e) {
  switch (p) {
    case EvictionPolicy::kAllKeysLru:
    case EvictionPolicy::kVolatileLru:
      return e->lru();
    case EvictionPolicy::kVolatileTtl:
      return e->expire_at();
    default:
      return 0;
  }
}

struct Candidate {
  Keyspace* ks = nullptr;
  uint32_t shard = 0;
  std::string key;
  int64_t score = 0;
};

// Samples keys and evicts the best one; false when there was nothing to sample.
bool EvictOne(Store& store, EvictionPolicy policy, int samples, int64_t now_ms,
              std::mt19937_64& rng, const EvictionListener& on_evict) {
  auto namespaces = store.All();
  if (namespaces.empty()) return false;
  Candidate best;
  // Empty shards are common in small keyspaces: allow several misses per wanted sample.
  for (int tries = 0, got = 0; got < samples && tries < samples * 64; ++tries) {
    Keyspace* ks = namespaces[rng() % namespaces.size()];
    const uint32_t si = static_cast<uint32_t>(rng()) & (store.shard_count() - 1);
    Shard& shard = ks->shard(si);
    std::lock_guard lock(shard.mu());
    const Entry* e = Volatile(policy) ? shard.RandomVolatile(rng()) : shard.RandomEntry(rng());
    if (!e) continue;
    ++got;
    const int64_t score = Score(policy, e);
    if (!best.ks || score < best.score) best = {ks, si, std::string(e->key()), score};
  }
  // Random picks miss the last few keys of a nearly empty keyspace: look at every shard before
  // answering that nothing is left (which makes the write fail with OOM).
  for (size_t n = 0; !best.ks && n < namespaces.size(); ++n) {
    for (uint32_t si = 0; si < store.shard_count() && !best.ks; ++si) {
      Shard& shard = namespaces[n]->shard(si);
      std::lock_guard lock(shard.mu());
      const Entry* e = Volatile(policy) ? shard.RandomVolatile(rng()) : shard.RandomEntry(rng());
      if (e) best = {namespaces[n], si, std::string(e->key()), 0};
    }
  }
  if (!best.ks) return false;
  Shard& shard = best.ks->shard(best.shard);
  std::lock_guard lock(shard.mu());
  FreeCauseScope eviction(FreeCause::kEviction);
  if (shard.Erase(best.key, now_ms)) {
    GlobalEngineStats().evicted_keys.fetch_add(1, std::memory_order_relaxed);
    keyspace_events::Emit(keyspace_events::kEvicted, "evicted", best.key, best.ks->name());
    if (on_evict) on_evict(*best.ks, best.key);
  }
  return true;
}
}  // namespace

std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name) {
  for (const auto& p : kPolicies) {
    if (AsciiEqualsIgnoreCase(name, p.name)) return p.policy;
  }
  return std::nullopt;
}

const char* EvictionPolicyName(EvictionPolicy p) {
  for (const auto& e : kPolicies)
    if (e.policy == p) return e.name;
  return "noeviction";
}

bool FreeMemoryIfNeeded(Store& store, int64_t maxmemory, EvictionPolicy policy, int samples,
                        int64_t now_ms, const EvictionListener& on_evict) {
  if (maxmemory <= 0 || UsedMemoryAfterPendingFrees() <= maxmemory) return true;
  if (ExpiryPaused(now_ms)) return true;  // CLIENT PAUSE: nothing is evicted, as in Redis
  if (policy == EvictionPolicy::kNoEviction) return false;
  thread_local std::mt19937_64 rng(std::random_device{}());
  // Bounded so one command never spends unbounded time evicting. Reaching the bound is not a
  // reason to refuse the write: as in Redis, OOM means eviction found nothing left to evict.
  // Several threads writing at once each evict for their own commands, and the allocator's
  // figure lags the evictions by up to a cron tick, so a cache can sit above the limit for a
  // moment with plenty still evictable; it converges as every further write evicts again.
  constexpr int kMaxEvictionsPerCall = 10000;
  for (int i = 0; i < kMaxEvictionsPerCall; ++i) {
    if (UsedMemoryAfterPendingFrees() <= maxmemory) return true;
    if (!EvictOne(store, policy, samples, now_ms, rng, on_evict)) return false;
  }
  return true;
}

}  // namespace kv
