// The cursor order SCAN, SSCAN, HSCAN and ZSCAN walk a power-of-two bucket array in: Redis's
// dictScan reverse-binary increment. Counting up in the reversed bits visits every bucket once
// and keeps a cursor valid across a resize (a grown table's buckets for one old bucket come
// right after it in this order), so an element present for the whole scan is returned at least
// once, whatever resizes happen between calls.
#pragma once

#include <cstdint>

namespace kv {

inline uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
  return __builtin_bswap64(v);
}

// The cursor after `cursor` for a table of mask + 1 buckets; 0 when the walk is complete.
inline uint64_t NextScanCursor(uint64_t cursor, uint64_t mask) {
  return ReverseBits(ReverseBits(cursor | ~mask) + 1);
}

}  // namespace kv
