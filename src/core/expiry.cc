#include "core/expiry.h"

#include <chrono>
#include <mutex>

#include "core/keyspace.h"

namespace kv {

namespace {
constexpr int kSamplesPerStep = 20;
constexpr int kMaxStepsPerShard = 16;
// Hashes visited and fields reclaimed per shard and cycle: a shard with a huge backlog of
// expired fields is worked through over several cycles, within the time budget.
constexpr int kFieldHashesPerShard = 20;
constexpr size_t kFieldsPerShard = 1000;

int64_t MonoMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

ActiveExpireStats ActiveExpireCycle(Store& store, int64_t now_ms, int64_t budget_us) {
  // The cycle only ever runs on one thread (the cron), so a plain static cursor is enough.
  static size_t next_ns = 0;
  static uint32_t next_shard = 0;
  static uint64_t rnd = 0x9E3779B97F4A7C15ULL;
  ActiveExpireStats stats;
  const int64_t deadline = MonoMicros() + budget_us;
  if (ExpiryPaused(now_ms)) return stats;
  auto namespaces = store.All();
  if (namespaces.empty()) return stats;
  const size_t total = namespaces.size() * store.shard_count();
  for (size_t visited = 0; visited < total; ++visited) {
    if (next_ns >= namespaces.size()) next_ns = 0;
    Shard& shard = namespaces[next_ns]->shard(next_shard);
    if (++next_shard == store.shard_count()) {
      next_shard = 0;
      ++next_ns;
    }
    // try_lock: a shard held by a long command, or by a busy script holding its whole
    // namespace, is left for a later cycle. Waiting would stall the cron's loop, and with it
    // every client and new connection that loop serves, until the script ends.
    {
      std::unique_lock lock(shard.mu(), std::try_to_lock);
      if (!lock.owns_lock()) continue;
      if (shard.field_ttl_hashes() > 0) {
        auto [hashes, fields] =
            shard.ActiveExpireFields(now_ms, kFieldHashesPerShard, kFieldsPerShard);
        stats.sampled += static_cast<uint64_t>(hashes);
        stats.fields_reclaimed += fields;
      }
    }
    for (int step = 0; step < kMaxStepsPerShard; ++step) {
      std::unique_lock lock(shard.mu(), std::try_to_lock);
      if (!lock.owns_lock() || shard.volatile_size() == 0) break;
      rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
      auto [sampled, deleted] = shard.ActiveExpire(now_ms, kSamplesPerStep, rnd);
      stats.sampled += sampled;
      stats.deleted += deleted;
      if (deleted * 4 <= sampled) break;
    }
    if ((visited & 15) == 15 && MonoMicros() > deadline) {
      stats.timed_out = true;
      break;
    }
  }
  return stats;
}

}  // namespace kv
