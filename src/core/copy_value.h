// A key's value as it travels outside its shard, of any type: written out and stored back by
// snapshots, copied and moved by COPY, MOVE and RENAME. Callers hold the shards' locks (the
// same shard may be both source and destination).
//
// Strings, a native Null and lists travel as their value (a list as a nested List, which
// Shard::Set makes a list again). Sets, sorted sets and hashes, which no native value describes
// as Redis sees them, travel as an encoded List read by its form. A value stored back is
// rebuilt, so its encoding follows today's thresholds and it shares nothing with the source.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/entry.h"
#include "core/scalar.h"
#include "core/shard.h"

namespace kv {

enum class TransferForm : uint8_t {
  kValue,        // the value itself
  kSet,          // a List of members
  kZSet,         // a List of [member, score] pairs
  kHashPairs,    // a List of field, value, ...
  kHashTriples,  // a List of field, value, deadline (Int, -1 for none), ...: field TTLs
  kStream,       // Bytes: Stream::Serialize's form (core/stream.h)
};

// The value of `e` and its form. The bytes are in *scratch, or (a string's) the entry's own,
// which a change to its shard may move.
ScalarView EncodeForTransfer(const Entry& e, std::string* scratch, TransferForm* form);
// Stores a value EncodeForTransfer gave under `key`, replacing any value there (an empty
// collection stores nothing).
void StoreTransferred(Shard& to, std::string_view key, TransferForm form, const ScalarView& v,
                      int64_t expire_at);

// Stores a deep copy of `src`'s value under `key` in `to`, expiring at `expire_at`, replacing
// any value there. `src` may live in `to` (its pointer may be invalid afterwards).
void CopyValue(const Entry& src, Shard& to, std::string_view key, int64_t expire_at);

// Moves the live entry `e` (key `from_key` in `from`) to `to_key` in `to`, TTL included,
// replacing any value there; a container changes hands without being copied. `from_key` and
// `to_key` differ or the shards do.
void MoveValue(Entry* e, Shard& from, std::string_view from_key, Shard& to,
               std::string_view to_key, int64_t now_ms);

}  // namespace kv
