#include "core/object.h"

#include <doctest/doctest.h>

#include <string>

namespace kv {

namespace {
// One value in the value encoding: [type byte] + body.
std::string Encoded(EncodedType t, std::string body = {}) {
  return std::string(1, static_cast<char>(t)) + body;
}
}  // namespace

TEST_CASE("Every scalar encoding is a string") {
  for (ScalarType t : {ScalarType::kBytes, ScalarType::kInt, ScalarType::kFloat,
                       ScalarType::kDecimal, ScalarType::kString}) {
    CHECK(TypeOf(t, "whatever") == ObjType::kString);
  }
  CHECK(IsString(ScalarView::Int(7)));
  CHECK(IsString(ScalarView::Bytes("x")));
}

TEST_CASE("A nested value is a list, a hash or null by its encoded type") {
  const std::string list = Encoded(EncodedType::kList, std::string(4, '\0'));
  const std::string map = Encoded(EncodedType::kMap, std::string(4, '\0'));
  const std::string null = Encoded(EncodedType::kNull);
  CHECK(TypeOf(ScalarType::kNested, list) == ObjType::kList);
  CHECK(TypeOf(ScalarType::kNested, map) == ObjType::kHash);
  CHECK(TypeOf(ScalarType::kNested, null) == ObjType::kNull);
  CHECK_FALSE(IsString(ScalarView::Nested(list)));
  CHECK_FALSE(IsString(ScalarView::Nested(null)));
}

TEST_CASE("TYPE names are Redis's, plus null") {
  CHECK(ObjTypeName(ObjType::kString) == "string");
  CHECK(ObjTypeName(ObjType::kList) == "list");
  CHECK(ObjTypeName(ObjType::kSet) == "set");
  CHECK(ObjTypeName(ObjType::kZSet) == "zset");
  CHECK(ObjTypeName(ObjType::kHash) == "hash");
  CHECK(ObjTypeName(ObjType::kNull) == "null");
}

TEST_CASE("Entries answer through the same table") {
  const std::string list = Encoded(EncodedType::kList, std::string(4, '\0'));
  Entry* e = Entry::Create("k", ScalarType::kNested, static_cast<uint32_t>(list.size()), false);
  std::memcpy(e->mutable_value(), list.data(), list.size());
  CHECK(TypeOf(*e) == ObjType::kList);
  CHECK_FALSE(IsString(*e));
  Entry::Destroy(e);
  Entry* s = Entry::Create("k", ScalarType::kInt, 8, false);
  s->SetInt(3);
  CHECK(TypeOf(*s) == ObjType::kString);
  Entry::Destroy(s);
}

}  // namespace kv
