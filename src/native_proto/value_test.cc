// Value: equality rules and the kv-cli printed form.
#include "native_proto/value.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

namespace kv::native {
namespace {

Decimal D(std::string_view s) { return *Decimal::Parse(s); }

TEST_CASE("Value: printer gives the kv-cli form of every type") {
  CHECK(ToDebugString(Value()) == "null");
  CHECK(ToDebugString(Value::Int(42)) == "42");
  CHECK(ToDebugString(Value::Int(std::numeric_limits<int64_t>::min())) == "-9223372036854775808");
  CHECK(ToDebugString(Value::Float(1.5)) == "1.5");
  CHECK(ToDebugString(Value::Float(2.0)) == "2.0");
  CHECK(ToDebugString(Value::Float(-0.0)) == "-0.0");
  CHECK(ToDebugString(Value::Float(1e300)) == "1e+300");
  CHECK(ToDebugString(Value::Float(std::numeric_limits<double>::infinity())) == "inf");
  CHECK(ToDebugString(Value::Float(std::nan(""))) == "nan");
  CHECK(ToDebugString(Value::Dec(D("19.99"))) == "19.99d");
  CHECK(ToDebugString(Value::Dec(D("1e5"))) == "1E+5d");
  CHECK(ToDebugString(Value::String("text")) == "\"text\"");
  CHECK(ToDebugString(Value::String("a\"b\\c\n\x01")) == "\"a\\\"b\\\\c\\n\\x01\"");
  CHECK(ToDebugString(Value::String("h\xc3\xa9")) == "\"h\xc3\xa9\"");
  CHECK(ToDebugString(Value::Bytes(std::string("\x00\x01", 2))) == "b\"\\x00\\x01\"");
  CHECK(ToDebugString(Value::Bytes("ok\xff")) == "b\"ok\\xff\"");
  CHECK(ToDebugString(Value::MakeList({Value::Int(1), Value::String("a")})) == "[1, \"a\"]");
  CHECK(ToDebugString(Value::MakeList()) == "[]");
  CHECK(ToDebugString(Value::MakeMap({{"k", Value::Int(1)}})) == "{\"k\": 1}");
  CHECK(ToDebugString(Value::MakeMap({{"a", Value::MakeList({Value()})}, {"b", Value::MakeMap()}})) ==
        "{\"a\": [null], \"b\": {}}");
}

TEST_CASE("Value: equality is by type and exact representation") {
  CHECK(Value() == Value::Null());
  CHECK(Value::Int(1) != Value::Float(1.0));
  CHECK(Value::String("a") != Value::Bytes("a"));
  CHECK(Value::Bytes("a") == Value::Bytes("a"));
  CHECK(Value::Float(std::nan("")) == Value::Float(std::nan("")));
  CHECK(Value::Float(0.0) != Value::Float(-0.0));
  CHECK(Value::Dec(D("1.0")) != Value::Dec(D("1.00")));
  CHECK(Value::Dec(D("1.0")) == Value::Dec(D("1.0")));
  CHECK(Value::MakeMap({{"a", Value::Int(1)}, {"b", Value::Int(2)}}) !=
        Value::MakeMap({{"b", Value::Int(2)}, {"a", Value::Int(1)}}));
  CHECK(Value::MakeList({Value::Int(1)}) != Value::MakeList({Value::Int(1), Value()}));
}

TEST_CASE("Value: type names and accessors") {
  CHECK(ValueTypeName(ValueType::kDecimal) == "decimal");
  CHECK(Value::Bytes("x").as_string() == "x");
  CHECK(Value::String("y").as_string() == "y");
  Value l = Value::MakeList();
  l.as_list().push_back(Value::Int(3));
  CHECK(l.as_list().size() == 1);
  CHECK(Value::Int(3).type() == ValueType::kInt);
}

}  // namespace
}  // namespace kv::native
