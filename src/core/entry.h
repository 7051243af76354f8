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
// collection (list, hash, set, sorted set) has no value bytes: its type byte is its container's
// encoding (>= kFirstContainerEncoding; core/object.h says which and frees them; Destroy frees
// only the entry) and the container's address sits in the header's last 6 bytes, 48 bits as
// in the table's slots. A small collection's entry is then header + key: 32 bytes for a key of
// up to 16 bytes, where an 8-byte pointer after the key made it 48. Entries are owned by their Shard; a pointer to one is valid only while the shard's lock is held and until the
// next mutating shard call on that key (which may reallocate it).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/scalar.h"

namespace kv {

inline constexpr int64_t kNoExpire = -1;

class Entry {
 public:
  static constexpr uint8_t kHasExpire = 1;
  // Encodings from this one on hold a container pointer, not value bytes.
  static constexpr uint8_t kFirstContainerEncoding = 6;

  // Allocates an entry; the value bytes are left for the caller to fill through mutable_value().
  static Entry* Create(std::string_view key, ScalarType type, uint32_t val_len, bool has_expire) {
    return CreateEncoded(key, static_cast<uint8_t>(type), val_len, has_expire);
  }
  // The same with any value encoding byte (core/object.h's Encoding below the containers).
  static Entry* CreateEncoded(std::string_view key, uint8_t encoding, uint32_t val_len,
                              bool has_expire);
  // An entry of a container encoding holding `container`.
  static Entry* CreateContainer(std::string_view key, uint8_t encoding, void* container,
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
  bool is_container() const { return type_ >= kFirstContainerEncoding; }
  // A container entry's pointer (the header's last 6 bytes).
  void* container() const {
    return reinterpret_cast<void*>(uint64_t{reserved_} << 32 | val_len_);
  }
  void set_container(void* p) {
    const auto bits = reinterpret_cast<uint64_t>(p);
    if (bits >> 48) std::abort();  // user-space addresses fit 48 bits (as the table's slots)
    reserved_ = static_cast<uint16_t>(bits >> 32);
    val_len_ = static_cast<uint32_t>(bits);
  }
  uint32_t value_len() const { return is_container() ? 0 : val_len_; }
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
  uint16_t reserved_;  // a container's address, bits 32-47
  uint32_t lru_;
  uint32_t key_len_;
  uint32_t val_len_;  // value bytes; a container's address, bits 0-31
};
static_assert(sizeof(Entry) == 16);

}  // namespace kv
