#include "core/listpack.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace kv::listpack {

namespace {

// Tags above 0x7f are 0x80 | ScalarType; below, a short Bytes element of that length.
constexpr uint8_t kLongTag = 0x80;
constexpr uint32_t kShortMax = 0x7f;

uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void Store32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }
void SetBytes(char* lp, uint32_t v) { Store32(lp, v); }
void SetCount(char* lp, uint32_t v) { Store32(lp + 4, v); }

bool VariableLength(ScalarType t) {
  return t == ScalarType::kBytes || t == ScalarType::kString || t == ScalarType::kNested;
}

uint32_t VarintSize(uint64_t v) {
  uint32_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

const char* GetVarint(const char* p, uint64_t* v) {
  uint64_t out = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*p++);
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *v = out;
  return p;
}

// Size of tag + body.
uint32_t EntrySize(const ScalarView& v) {
  const uint32_t raw = RawSize(v);
  if (v.type == ScalarType::kBytes && raw <= kShortMax) return 1 + raw;
  return 1 + (VariableLength(v.type) ? VarintSize(raw) : 0) + raw;
}

// The backlen of an entry of `n` bytes: most significant group first, each group but the first
// (in memory order) flagged, so a backwards reader stops at the unflagged one.
uint32_t BacklenSize(uint32_t n) { return VarintSize(n); }

void PutBacklen(char* p, uint32_t n) {
  const uint32_t size = BacklenSize(n);
  for (uint32_t i = 0; i < size; ++i) {
    const uint8_t group = static_cast<uint8_t>((n >> (7 * (size - 1 - i))) & 0x7f);
    p[i] = static_cast<char>(i == 0 ? group : group | 0x80);
  }
}

// Reads the backlen that ends just before `end`; *size gets its own length.
uint32_t GetBacklen(const char* end, uint32_t* size) {
  uint32_t v = 0, shift = 0, n = 0;
  for (;;) {
    const auto b = static_cast<uint8_t>(*--end);
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    shift += 7;
    ++n;
    if (!(b & 0x80)) break;
  }
  *size = n;
  return v;
}

// Size of tag + body of the element at `p`.
uint32_t StoredEntrySize(const char* p) {
  const auto tag = static_cast<uint8_t>(*p);
  if (tag <= kShortMax) return 1 + tag;
  const auto type = static_cast<ScalarType>(tag & 0x7f);
  if (!VariableLength(type)) return 1 + (type == ScalarType::kDecimal ? 16 : 8);
  uint64_t len;
  const char* body = GetVarint(p + 1, &len);
  return static_cast<uint32_t>(body - p + len);
}

void WriteElement(char* p, const ScalarView& v, uint32_t entry_size) {
  const uint32_t raw = RawSize(v);
  char* body;
  if (v.type == ScalarType::kBytes && raw <= kShortMax) {
    *p = static_cast<char>(raw);
    body = p + 1;
  } else {
    *p = static_cast<char>(kLongTag | static_cast<uint8_t>(v.type));
    body = VariableLength(v.type) ? PutVarint(p + 1, raw) : p + 1;
  }
  WriteRaw(v, body);
  PutBacklen(p + entry_size, entry_size);
}

char* Grow(char* lp, uint32_t bytes) {
  if (malloc_usable_size(lp) >= bytes) return lp;
  void* fresh = std::realloc(lp, bytes);
  if (!fresh) throw std::bad_alloc();
  return static_cast<char*>(fresh);
}

char* Shrink(char* lp, uint32_t bytes) {
  // Give memory back only when the block is much larger than needed: a pack that shrinks and
  // grows again around a size class boundary would otherwise realloc on every change.
  if (malloc_usable_size(lp) < 2 * static_cast<size_t>(bytes) + 64) return lp;
  void* fresh = std::realloc(lp, bytes);
  return fresh ? static_cast<char*>(fresh) : lp;
}

}  // namespace

char* New() {
  char* lp = static_cast<char*>(std::malloc(kHeader));
  if (!lp) throw std::bad_alloc();
  SetBytes(lp, kHeader);
  SetCount(lp, 0);
  return lp;
}

void Free(char* lp) { std::free(lp); }
uint32_t Bytes(const char* lp) { return Load32(lp); }
uint32_t Count(const char* lp) { return Load32(lp + 4); }
size_t AllocSize(const char* lp) { return malloc_usable_size(const_cast<char*>(lp)); }

uint32_t ElementSize(const ScalarView& v) {
  const uint32_t n = EntrySize(v);
  return n + BacklenSize(n);
}

uint32_t Last(const char* lp) {
  const uint32_t end = Bytes(lp);
  return end == kHeader ? end : Prev(lp, end);
}

uint32_t Next(const char* lp, uint32_t off) {
  const uint32_t n = StoredEntrySize(lp + off);
  return off + n + BacklenSize(n);
}

uint32_t Prev(const char* lp, uint32_t off) {
  if (off <= kHeader) return 0;
  uint32_t size;
  const uint32_t n = GetBacklen(lp + off, &size);
  return off - size - n;
}

ScalarView Get(const char* lp, uint32_t off) {
  const char* p = lp + off;
  const auto tag = static_cast<uint8_t>(*p);
  if (tag <= kShortMax) return ScalarView::Bytes({p + 1, tag});
  const auto type = static_cast<ScalarType>(tag & 0x7f);
  if (!VariableLength(type)) return ReadRaw(type, p + 1, type == ScalarType::kDecimal ? 16 : 8);
  uint64_t len;
  const char* body = GetVarint(p + 1, &len);
  return ReadRaw(type, body, static_cast<uint32_t>(len));
}

uint32_t Seek(const char* lp, uint32_t index) {
  const uint32_t count = Count(lp);
  if (index < count / 2) {
    uint32_t off = kHeader;
    for (uint32_t i = 0; i < index; ++i) off = Next(lp, off);
    return off;
  }
  uint32_t off = Last(lp);
  for (uint32_t i = count - 1; i > index; --i) off = Prev(lp, off);
  return off;
}

char* Insert(char* lp, uint32_t off, const ScalarView& v) {
  const uint32_t entry = EntrySize(v);
  const uint32_t size = entry + BacklenSize(entry);
  const uint32_t bytes = Bytes(lp);
  lp = Grow(lp, bytes + size);
  std::memmove(lp + off + size, lp + off, bytes - off);
  WriteElement(lp + off, v, entry);
  SetBytes(lp, bytes + size);
  SetCount(lp, Count(lp) + 1);
  return lp;
}

char* Erase(char* lp, uint32_t off, uint32_t n) {
  uint32_t end = off;
  for (uint32_t i = 0; i < n; ++i) end = Next(lp, end);
  const uint32_t bytes = Bytes(lp);
  std::memmove(lp + off, lp + end, bytes - end);
  SetBytes(lp, bytes - (end - off));
  SetCount(lp, Count(lp) - n);
  return Shrink(lp, Bytes(lp));
}

char* Replace(char* lp, uint32_t off, const ScalarView& v) {
  const uint32_t old_size = Next(lp, off) - off;
  const uint32_t entry = EntrySize(v);
  const uint32_t size = entry + BacklenSize(entry);
  const uint32_t bytes = Bytes(lp);
  const uint32_t tail = off + old_size;
  if (size > old_size) lp = Grow(lp, bytes - old_size + size);
  std::memmove(lp + off + size, lp + tail, bytes - tail);
  WriteElement(lp + off, v, entry);
  SetBytes(lp, bytes - old_size + size);
  return size < old_size ? Shrink(lp, Bytes(lp)) : lp;
}

char* Slice(const char* lp, uint32_t from, uint32_t to, uint32_t count) {
  const uint32_t bytes = kHeader + (to - from);
  char* out = static_cast<char*>(std::malloc(bytes));
  if (!out) throw std::bad_alloc();
  std::memcpy(out + kHeader, lp + from, to - from);
  SetBytes(out, bytes);
  SetCount(out, count);
  return out;
}

char* Append(char* lp, const char* tail) {
  const uint32_t bytes = Bytes(lp);
  const uint32_t add = Bytes(tail) - kHeader;
  lp = Grow(lp, bytes + add);
  std::memcpy(lp + bytes, tail + kHeader, add);
  SetBytes(lp, bytes + add);
  SetCount(lp, Count(lp) + Count(tail));
  return lp;
}

bool TextEquals(const char* lp, uint32_t off, std::string_view text) {
  const ScalarView v = Get(lp, off);
  if (IsText(v.type)) return v.bytes == text;
  if (IsNested(v.type)) return false;
  char buf[kScalarBufSize];
  return CanonicalString(v, buf) == text;
}

}  // namespace kv::listpack
