// Copying and moving one key's value between shards, of any type: what COPY, MOVE and RENAME
// do to the engine. Callers hold both shards' locks (the same shard may be both).
//
// A copy is deep: a collection is rebuilt from its value encoding (the form snapshots hold),
// so the copy's encoding follows today's thresholds and it shares nothing with the source.
// A move hands a container's pointer over without copying it.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/entry.h"
#include "core/shard.h"

namespace kv {

// Stores a deep copy of `src`'s value under `key` in `to`, expiring at `expire_at`, replacing
// any value there. `src` may live in `to` (its pointer may be invalid afterwards).
void CopyValue(const Entry& src, Shard& to, std::string_view key, int64_t expire_at);

// Moves the live entry `e` (key `from_key` in `from`) to `to_key` in `to`, TTL included,
// replacing any value there. `from_key` and `to_key` differ or the shards do.
void MoveValue(Entry* e, Shard& from, std::string_view from_key, Shard& to,
               std::string_view to_key, int64_t now_ms);

}  // namespace kv
