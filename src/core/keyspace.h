// Keyspace and Store: namespaces of sharded keys.
//
// A Keyspace is one namespace (RESP `SELECT name`, native `host:6380/name`): a power-of-two array
// of Shards; shard of a key = XXH3(key) & (shards - 1). Multi-key commands lock every shard they
// touch in ascending index order (ShardLocks), so they are atomic and never deadlock. Commands
// over the whole keyspace (KEYS, SCAN, DBSIZE, FLUSHDB) lock one shard at a time.
//
// The Store owns every namespace; they are created on first use and live until shutdown
// (FLUSHALL empties them). Thread contract: Store methods are thread-safe; shard contents need
// the shard's lock.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/crc16.h"
#include "core/shard.h"

namespace kv {

class Keyspace {
 public:
  // shard_by_slot: cluster mode places a key by its Redis Cluster hash slot, so the keys of
  // one slot share a shard (CLUSTER GETKEYSINSLOT and COUNTKEYSINSLOT scan that shard only);
  // otherwise by the key's hash.
  Keyspace(std::string name, uint32_t shard_count, bool shard_by_slot = false);

  const std::string& name() const { return name_; }
  uint32_t shard_count() const { return static_cast<uint32_t>(shards_.size()); }
  uint32_t ShardIndex(std::string_view key) const {
    if (by_slot_) [[unlikely]] return static_cast<uint32_t>(KeyHashSlot(key)) & mask_;
    return static_cast<uint32_t>(Table::Hash(key)) & mask_;
  }
  // ShardIndex when the key's hash (Table::Hash) is known already.
  uint32_t ShardOf(std::string_view key, uint64_t hash) const {
    if (by_slot_) [[unlikely]] return static_cast<uint32_t>(KeyHashSlot(key)) & mask_;
    return static_cast<uint32_t>(hash) & mask_;
  }
  bool shard_by_slot() const { return by_slot_; }
  Shard& shard(uint32_t i) { return *shards_[i]; }
  Shard& ShardFor(std::string_view key) { return *shards_[ShardIndex(key)]; }
  // Every shard's lock enters it: a batch that closes it holds the whole namespace
  // (core/shard_mutex.h).
  NamespaceGate& gate() { return gate_; }

  // Totals over shards, each read under its shard's lock (not one atomic snapshot).
  size_t Size();
  size_t VolatileSize();
  // Keys with a TTL, and their mean time to live in ms at `now_ms` (INFO keyspace avg_ttl).
  struct Volatile {
    size_t keys = 0;
    int64_t avg_ttl_ms = 0;
  };
  Volatile VolatileStats(int64_t now_ms);
  void Clear();

 private:
  std::string name_;
  uint32_t mask_;
  bool by_slot_;
  NamespaceGate gate_;  // before shards_: their mutexes point to it
  std::vector<std::unique_ptr<Shard>> shards_;
};

// Locks a set of shards of one keyspace in ascending index order; unlocks on destruction.
class ShardLocks {
 public:
  ShardLocks() = default;
  ShardLocks(Keyspace* ks, std::vector<uint32_t> indexes);  // indexes: any order, duplicates ok
  ~ShardLocks() { Release(); }
  ShardLocks(const ShardLocks&) = delete;
  ShardLocks& operator=(const ShardLocks&) = delete;
  void Release();

 private:
  Keyspace* ks_ = nullptr;
  std::vector<uint32_t> indexes_;
};

class Store;

// Holds every shard of every namespace locked (each namespace's shards in ascending order, as
// commands lock them) and keeps new namespaces from appearing: the instant a snapshot is forked.
class StoreFreeze {
 public:
  explicit StoreFreeze(Store& store);
  ~StoreFreeze();
  StoreFreeze(const StoreFreeze&) = delete;
  StoreFreeze& operator=(const StoreFreeze&) = delete;
  const std::vector<Keyspace*>& spaces() const { return spaces_; }

 private:
  Store& store_;
  std::vector<Keyspace*> spaces_;
};

class Store {
 public:
  // shard_by_slot: every namespace places keys by hash slot (Keyspace), for cluster mode.
  explicit Store(uint32_t shard_count, bool shard_by_slot = false);

  uint32_t shard_count() const { return shard_count_; }
  // The namespace named `name`, created if needed. Never null; the pointer stays valid.
  Keyspace* Get(std::string_view name);
  // Existing namespaces, in creation order.
  std::vector<Keyspace*> All();
  void ClearAll();

  // Valid namespace names: 1-64 characters of [A-Za-z0-9_.:-].
  static bool ValidName(std::string_view name);

 private:
  friend class StoreFreeze;
  const uint32_t shard_count_;
  const bool shard_by_slot_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Keyspace>> by_name_;
  std::vector<Keyspace*> order_;
};

}  // namespace kv
