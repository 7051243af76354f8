// The active expiry cycle: lazy expiry (Shard::Find) only removes keys that are read again, so
// the server cron runs this every 100 ms to reclaim keys nobody touches, the way Redis's
// activeExpireCycle does: sample 20 keys with a TTL per shard, delete the expired ones, and go
// on with a shard while more than a quarter of its sample was expired, within a time budget.
// Each shard's hashes with field TTLs get a step of their own in the same pass, so fields of
// hashes nobody reads are reclaimed too.
#pragma once

#include <cstdint>

namespace kv {

class Store;

struct ActiveExpireStats {
  uint64_t sampled = 0;
  uint64_t deleted = 0;
  uint64_t fields_reclaimed = 0;
  bool timed_out = false;
};

// Runs one cycle over every namespace, resuming where the previous cycle stopped when it ran
// out of time. Locks one shard at a time.
ActiveExpireStats ActiveExpireCycle(Store& store, int64_t now_ms, int64_t budget_us);

}  // namespace kv
