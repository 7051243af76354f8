// The object model: every stored value has a type (what TYPE says and WRONGTYPE checks) and an
// encoding (how it is stored). The entry's type byte is the encoding; the type derives from it
// here, in one place, so a command family asks "is this a string?" and no new type can pass
// for one by accident. docs/object-model.md is the design this grows into (lists, hashes,
// sets and sorted sets with their own encodings).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/entry.h"
#include "core/scalar.h"
#include "core/value_encoding.h"

namespace kv {

// Redis's OBJ_* numbers, plus kv-server's null (a native client's Null value).
enum class ObjType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,
  kHash = 4,
  kNull = 5,
  kStream = 6,
};

// TYPE's reply and SCAN TYPE's filter.
constexpr std::string_view ObjTypeName(ObjType t) {
  switch (t) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kSet:
      return "set";
    case ObjType::kZSet:
      return "zset";
    case ObjType::kHash:
      return "hash";
    case ObjType::kNull:
      return "null";
    case ObjType::kStream:
      return "stream";
  }
  return "none";
}

// An entry's encoding byte. 0-5 are the ScalarType values (the string encodings and a native
// Null / Map stored whole); the rest hold a pointer to a container (Entry::container()).
// Part of the in-memory format only: files carry values in the value encoding.
enum class Encoding : uint8_t {
  kListPack = Entry::kFirstContainerEncoding,  // char*: one listpack (core/listpack.h)
  kQuickList = 7,  // QuickList* (core/quicklist.h)
  kHashPack = 8,   // char*: one listpack of field, value, ... (core/hash.h)
  kHashTable = 9,  // HashTable* (core/hash.h)
  kIntSet = 10,    // char*: one intset (core/intset.h)
  kSetPack = 11,   // char*: one listpack of members (core/listpack.h)
  kSetTable = 12,  // SetTable* (core/set_table.h)
  kZSetPack = 13,  // char*: one listpack of member, score pairs (core/zset.h)
  kZSetTree = 14,  // ZSetTree* (core/zset.h)
  kStream = 15,    // Stream* (core/stream.h)
};

inline bool IsContainer(const Entry& e) { return e.is_container(); }
inline bool Is(const Entry& e, Encoding enc) { return e.encoding() == static_cast<uint8_t>(enc); }

// The type of a stored value. Every scalar encoding is a string. A whole nested value (a
// native Null in an entry; a List or Map as a value, e.g. in a snapshot, before Shard::Set
// makes it a list or hash container) is a list, a hash or null by its encoded type.
inline ObjType TypeOf(ScalarType encoding, std::string_view value) {
  if (!IsNested(encoding)) return ObjType::kString;
  switch (EncodedTypeOf(value)) {
    case EncodedType::kList:
      return ObjType::kList;
    case EncodedType::kMap:
      return ObjType::kHash;
    default:
      return ObjType::kNull;
  }
}
inline ObjType TypeOf(const ScalarView& v) { return TypeOf(v.type, v.bytes); }
inline ObjType TypeOf(const Entry& e) {
  switch (e.encoding()) {
    case static_cast<uint8_t>(Encoding::kListPack):
    case static_cast<uint8_t>(Encoding::kQuickList):
      return ObjType::kList;
    case static_cast<uint8_t>(Encoding::kHashPack):
    case static_cast<uint8_t>(Encoding::kHashTable):
      return ObjType::kHash;
    case static_cast<uint8_t>(Encoding::kIntSet):
    case static_cast<uint8_t>(Encoding::kSetPack):
    case static_cast<uint8_t>(Encoding::kSetTable):
      return ObjType::kSet;
    case static_cast<uint8_t>(Encoding::kZSetPack):
    case static_cast<uint8_t>(Encoding::kZSetTree):
      return ObjType::kZSet;
    case static_cast<uint8_t>(Encoding::kStream):
      return ObjType::kStream;
    default:
      break;
  }
  return TypeOf(e.type(), {e.value_data(), e.value_len()});
}
inline bool IsString(const Entry& e) { return TypeOf(e) == ObjType::kString; }
inline bool IsString(const ScalarView& v) { return TypeOf(v) == ObjType::kString; }

}  // namespace kv

namespace kv {

// The encoding thresholds, under Redis's directive names (config.cc binds them; read on every
// change of a collection, so CONFIG SET takes effect at once). Process-wide, like the LRU clock.
struct EncodingLimits {
  // list-max-listpack-size: < 0 caps a node at 4 KB << (-n - 1), > 0 at n elements.
  std::atomic<int64_t> list_max_listpack_size{-2};
  // Sets (core/set.h): intset up to this many members, listpack up to -entries members of at
  // most -value bytes each.
  std::atomic<int64_t> set_max_intset_entries{512};
  std::atomic<int64_t> set_max_listpack_entries{128};
  std::atomic<int64_t> set_max_listpack_value{64};
  // A hash stays a listpack up to this many fields, each field and value at most -value bytes.
  std::atomic<int64_t> hash_max_listpack_entries{128};
  std::atomic<int64_t> hash_max_listpack_value{64};
  // zset-max-listpack-entries / -value: past either a sorted set becomes a tree.
  std::atomic<int64_t> zset_max_listpack_entries{128};
  std::atomic<int64_t> zset_max_listpack_value{64};
  // A stream node holds at most this many bytes / entries (0: no cap; core/stream.h).
  std::atomic<int64_t> stream_node_max_bytes{4096};
  std::atomic<int64_t> stream_node_max_entries{100};
};
EncodingLimits& GlobalEncodingLimits();

// What OBJECT ENCODING answers.
std::string_view EncodingName(const Entry& e);
// Bytes a container entry's container holds beyond the entry (0 for inline values): memory
// accounting adds it to Entry::AllocSize.
size_t ContainerBytes(const Entry& e);
inline size_t EntryBytes(const Entry& e) { return Entry::AllocSize(&e) + ContainerBytes(e); }
// Frees a container entry's container (the entry itself stays).
void FreeContainer(Entry& e);
// Frees the entry and its container.
inline void DestroyEntry(Entry* e) {
  if (IsContainer(*e)) FreeContainer(*e);
  Entry::Destroy(e);
}

// The entry's value as one value: a scalar or nested value as stored; a container encoded into
// *scratch in the value encoding (a list as a List, a set as a List of its members), as snapshots, plugins and native GET see it.
ScalarView WholeValue(const Entry& e, std::string* scratch);

}  // namespace kv
