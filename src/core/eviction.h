// maxmemory eviction with Redis's policy names and its approximate-LRU-by-sampling approach.
//
// Before a command that may grow memory (flag denyoom) runs, the dispatcher calls
// FreeMemoryIfNeeded. It samples `samples` keys from random shards (all keys, or keys with a TTL
// for volatile-*), evicts the best candidate (oldest LRU clock, nearest expiry, or any for
// *-random), and repeats until usage is under the limit. It locks one shard at a time and must
// be called with no shard lock held.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace kv {

class Keyspace;
class Store;

// Called for each evicted key while its shard is still locked (the WAL logs a DEL there, since
// eviction depends on memory figures a replay would not reproduce).
using EvictionListener = std::function<void(Keyspace& ns, std::string_view key)>;

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileRandom,
  kVolatileTtl,
};

std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name);
const char* EvictionPolicyName(EvictionPolicy p);

// Returns false when memory is over `maxmemory` and nothing more can be evicted (the command
// must then be refused with OOM): always under noeviction, and under a volatile-* policy once
// no key has a TTL. maxmemory 0 means no limit.
bool FreeMemoryIfNeeded(Store& store, int64_t maxmemory, EvictionPolicy policy, int samples,
                        int64_t now_ms, const EvictionListener& on_evict = nullptr);

}  // namespace kv
