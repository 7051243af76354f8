// What one key costs in memory: MEMORY USAGE's answer, and the unit the object model's memory
// accounting grows from. An entry is one allocation (core/entry.h) plus its share of the
// shard's table and, with a TTL, its place in the expiry index, plus the container of a
// collection held behind a pointer (a list's listpack or quicklist, docs/object-model.md).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/object.h"

namespace kv {

// A table slot is 8 bytes and a table grows at 0.8 load: a key pays for 8 / 0.8 = 10 bytes of
// slot array (a little more right after a growth, which this figure does not chase).
inline constexpr size_t kTableSlotShare = 10;

// Bytes `e` holds: its allocation as the allocator sizes it with its container's, its table
// slot share, and the expiry index pointer of a key with a TTL. The caller holds the shard's
// lock.
inline size_t EntryMemory(const Entry& e) {
  return EntryBytes(e) + kTableSlotShare + (e.has_expire() ? sizeof(Entry*) : 0);
}

}  // namespace kv
