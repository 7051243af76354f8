// Intset: a set of integers as one sorted array, Redis's intset encoding.
//
// The small encoding of a set whose members are all canonical integers (Redis's string2ll
// rules: core/scalar.h ParseInt64). One malloc'd block, [width u32][count u32] then count
// little-endian integers of `width` bytes (2, 4 or 8), sorted ascending; the width grows (one
// way) when a member needs more, as Redis's intsetUpgradeAndAdd. Lookups are binary searches.
// Functions that change the set may move it (realloc) and return its new address.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv::intset {

char* New();
void Free(char* is);
uint32_t Count(const char* is);
// Bytes per member: 2, 4 or 8.
uint32_t Width(const char* is);
size_t AllocSize(const char* is);

int64_t Get(const char* is, uint32_t index);
bool Contains(const char* is, int64_t v);
// Adds `v` (no-op if present); *added says whether it was new.
char* Add(char* is, int64_t v, bool* added);
// Removes `v` if present; *removed says whether it was there.
char* Remove(char* is, int64_t v, bool* removed);

}  // namespace kv::intset
