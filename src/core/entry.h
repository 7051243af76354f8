// Entry: one key and its value packed in a single allocation.
//
// Memory per key is a product goal (DESIGN.md section 3), so an entry is one malloc'd block:
//
//   [header 16 B][expiry 16 B, only if kHasExpire][key bytes][value bytes]
//
// For the benchmark shape (16-byte key, 32-byte value) that is 64 bytes, one jemalloc size
// class, plus an 8-byte table slot. Ints and Floats are stored as 8 raw bytes, Decimals as their
// 16 BID128 bytes (unaligned: read and written with memcpy), a nested value (Null, List, Map) as
// its encoding (core/value_encoding.h): an entry is always (type byte, raw value bytes). A
// collection too big for inline bytes (a list) keeps an 8-byte pointer to its container as its
// value, and its type byte is the container's encoding (core/object.h says which bytes those
// are and frees them; Destroy frees only the entry). Entries are owned by their Shard; a pointer to one is valid only while the shard's lock is held and until the
// next mutating shard call on that key (which may reallocate it).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/scalar.h"

namespace kv {

inline constexpr int64_t kNoExpire = -1;

class Entry {
 public:
  static constexpr uint8_t kHasExpire = 1;

  // Allocates an entry; the value bytes are left for the caller to fill through mutable_value().
  static Entry* Create(std::string_view key, ScalarType type, uint32_t val_len, bool has_expire) {
    return CreateEncoded(key, static_cast<uint8_t>(type), val_len, has_expire);
  }
  // The same with any encoding byte (core/object.h's Encoding).
  static Entry* CreateEncoded(std::string_view key, uint8_t encoding, uint32_t val_len,
                              bool has_expire);
  static void Destroy(Entry* e);
  // Bytes the allocator really holds for `e` (size class included): the memory accounting unit.
  static size_t AllocSize(const Entry* e);

  std::string_view key() const { return {data() + ExpiryBytes(), key_len_}; }
  // The scalar type of a string or nested entry; for a container, its encoding byte (not a
  // ScalarType: ask core/object.h's IsContainer first).
  ScalarType type() const { return static_cast<ScalarType>(type_); }
  uint8_t encoding() const { return type_; }
  void set_encoding(uint8_t enc) { type_ = enc; }
  // A container entry's pointer (its 8 value bytes).
  void* container() const {
    void* p;
    std::memcpy(&p, value_data(), sizeof p);
    return p;
  }
  void set_container(void* p) { std::memcpy(mutable_value(), &p, sizeof p); }
  uint32_t value_len() const { return val_len_; }
  const char* value_data() const { return data() + ExpiryBytes() + key_len_; }
  char* mutable_value() { return data() + ExpiryBytes() + key_len_; }
  ScalarView value() const;
  void SetInt(int64_t v) { std::memcpy(mutable_value(), &v, 8); }
  void SetFloat(double v) { std::memcpy(mutable_value(), &v, 8); }
  void SetDecimal(const Decimal& v) { v.ToBytes(mutable_value()); }

  bool has_expire() const { return flags_ & kHasExpire; }
  int64_t expire_at() const;  // kNoExpire when none
  bool expired(int64_t now_ms) const { return has_expire() && expire_at() <= now_ms; }
  // Only valid on an entry created with has_expire.
  void set_expire_at(int64_t at);
  uint32_t volatile_index() const;
  void set_volatile_index(uint32_t i);

  uint32_t lru() const { return lru_; }
  void set_lru(uint32_t v) { lru_ = v; }

 private:
  Entry() = default;
  size_t ExpiryBytes() const { return has_expire() ? 16 : 0; }
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  uint8_t type_;
  uint8_t flags_;
  uint16_t reserved_;
  uint32_t lru_;
  uint32_t key_len_;
  uint32_t val_len_;
};
static_assert(sizeof(Entry) == 16);

}  // namespace kv
