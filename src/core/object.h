// The object model: every stored value has a type (what TYPE says and WRONGTYPE checks) and an
// encoding (how it is stored). The entry's type byte is the encoding; the type derives from it
// here, in one place, so a command family asks "is this a string?" and no new type can pass
// for one by accident. docs/object-model.md is the design this grows into (lists, hashes,
// sets and sorted sets with their own encodings).
#pragma once

#include <cstdint>
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
  }
  return "none";
}

// The type of a stored value. Every scalar encoding is a string. A nested value (the native
// protocol's List, Map or Null, stored whole in its value encoding until the collection
// encodings land) is a list, a hash or null by its encoded type: a native List is the Redis
// list of its key and a native Map its hash.
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
  return TypeOf(e.type(), {e.value_data(), e.value_len()});
}
inline bool IsString(const Entry& e) { return TypeOf(e) == ObjType::kString; }
inline bool IsString(const ScalarView& v) { return TypeOf(v) == ObjType::kString; }

}  // namespace kv
