// Listpack: a sequence of typed elements in one contiguous heap block, walkable from both ends.
//
// The compact encoding of small collections (docs/object-model.md) and the node of a quicklist.
// One malloc'd block:
//
//   [bytes u32][count u32] then count x ([tag u8][body][backlen 1-5 B])
//
// `bytes` counts the whole used block (header included). The tag says the element's type and,
// for short Bytes, its length, so the common RESP element ("foo") costs its length plus two
// bytes, as in Redis's listpack:
//
//   0x00-0x7f  Bytes of that length (0-127), body = the bytes
//   0x80 Bytes / 0x81 String / 0x85 nested: body = [len varint] + bytes (a nested value in the
//              value encoding of core/value_encoding.h, so elements nest with no new format)
//   0x82 Int (8 B) / 0x83 Float (8 B) / 0x84 Decimal (16 BID bytes)
//
// `backlen` is the size of tag + body, written so that it reads backwards from the next
// element's start: the byte nearest that start holds the low 7 bits, a set high bit means more
// bytes precede it. Positions are byte offsets into the block; kHeader is the first element's.
//
// Functions that grow or shrink a pack may move it (realloc) and return its new address.
// Element views (ScalarView) point into the pack and die with the next change to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/scalar.h"

namespace kv::listpack {

inline constexpr uint32_t kHeader = 8;

char* New();
void Free(char* lp);
uint32_t Bytes(const char* lp);
uint32_t Count(const char* lp);
// What the allocator holds for the block (memory accounting).
size_t AllocSize(const char* lp);

// Encoded size of `v` as an element, tag and backlen included.
uint32_t ElementSize(const ScalarView& v);

// Offset of the first / last element; Bytes(lp) (the end) when the pack is empty.
inline uint32_t First(const char*) { return kHeader; }
uint32_t Last(const char* lp);
// The element after / before the one at `off`: Bytes(lp) after the last one, 0 before the first.
uint32_t Next(const char* lp, uint32_t off);
uint32_t Prev(const char* lp, uint32_t off);
// The element at `off` (`off` < Bytes(lp)).
ScalarView Get(const char* lp, uint32_t off);
// The offset of element `index` (0-based, < Count), walking from the nearer end.
uint32_t Seek(const char* lp, uint32_t index);

// Inserts `v` so that it starts at `off` (Bytes(lp) appends).
char* Insert(char* lp, uint32_t off, const ScalarView& v);
// Removes `n` elements starting with the one at `off`.
char* Erase(char* lp, uint32_t off, uint32_t n);
// Replaces the element at `off` with `v`.
char* Replace(char* lp, uint32_t off, const ScalarView& v);
// A pack holding the elements [from, to) of `lp` (offsets), a copy.
char* Slice(const char* lp, uint32_t from, uint32_t to, uint32_t count);
// Appends every element of `tail` to `lp` (elements are self-delimiting, so this is one copy).
char* Append(char* lp, const char* tail);

// Whether the element at `off` reads as `text` over RESP: a scalar whose canonical string is
// `text`. A nested element (a List inside a list) has no text and matches nothing.
bool TextEquals(const char* lp, uint32_t off, std::string_view text);

}  // namespace kv::listpack
