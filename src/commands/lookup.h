// Key lookups for command handlers, as Redis's lookupKeyRead / lookupKeyWrite: reads count
// keyspace hits and misses, and a typed lookup answers WRONGTYPE for a key of another type, so
// every family checks types the same way (core/object.h's TypeOf).
#pragma once

#include <string_view>

#include "commands/command.h"
#include "commands/errors.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

// Counts a read lookup's hit or miss; a miss is a "keymiss" keyspace event.
inline Entry* CountRead(Shard& shard, std::string_view key, Entry* e) {
  EngineStats& stats = GlobalEngineStats();
  (e ? stats.keyspace_hits : stats.keyspace_misses).fetch_add(1, std::memory_order_relaxed);
  if (!e) keyspace_events::Emit(keyspace_events::kKeyMiss, "keymiss", key, shard.db());
  return e;
}

inline Entry* FindRead(Shard& shard, std::string_view key, int64_t now_ms) {
  return CountRead(shard, key, shard.Find(key, now_ms));
}

enum class Access { kRead, kWrite };

// The entry of `key` when it holds a `type`; nullptr when it is missing. A key of another type
// gets WRONGTYPE replied and *wrong set (the handler then returns).
inline Entry* FindTypedOrReply(CommandContext& ctx, std::string_view key, ObjType type,
                               Access access, bool* wrong) {
  Shard& shard = ctx.ShardFor(key);
  Entry* e = access == Access::kRead ? FindRead(shard, key, ctx.now_ms)
                                     : shard.Find(key, ctx.now_ms);
  *wrong = e && TypeOf(*e) != type;
  if (*wrong) {
    ctx.rb->SendError(errors::kWrongType);
    return nullptr;
  }
  return e;
}

}  // namespace kv
