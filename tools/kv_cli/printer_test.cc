// kv-cli's reply printer: redis-cli's formatted layout (numbered, nested, maps with '#') with
// native type tags, and the raw layout.
#include "printer.h"

#include <doctest/doctest.h>

#include <string>

namespace kv::cli {
namespace {

using native::Value;

std::string F(const Value& v) { return FormatValue(v, OutputMode::kFormatted); }
std::string R(const Value& v) { return FormatValue(v, OutputMode::kRaw); }

TEST_CASE("FormatValue formatted: scalars carry their type") {
  CHECK(F(Value::Int(42)) == "(integer) 42\n");
  CHECK(F(Value::Float(1.5)) == "(float) 1.5\n");
  CHECK(F(Value::Float(3.0)) == "(float) 3.0\n");
  CHECK(F(Value::Dec(*Decimal::Parse("19.99"))) == "(decimal) 19.99\n");
  CHECK(F(Value::String("text")) == "\"text\"\n");
  CHECK(F(Value::String("a\"b\n")) == "\"a\\\"b\\n\"\n");
  CHECK(F(Value::Bytes(std::string("\x00\xff" "a", 3))) == "b\"\\x00\\xffa\"\n");
  CHECK(F(Value::Null()) == "(nil)\n");
  CHECK(F(Value::MakeList()) == "(empty array)\n");
  CHECK(F(Value::MakeMap()) == "(empty hash)\n");
}

TEST_CASE("FormatValue formatted: lists are numbered, nested ones indented as in redis-cli") {
  Value v = Value::MakeList({Value::String("a"), Value::MakeList({Value::Int(1), Value::Null()}),
                             Value::Int(3)});
  CHECK(F(v) ==
        "1) \"a\"\n"
        "2) 1) (integer) 1\n"
        "   2) (nil)\n"
        "3) (integer) 3\n");
  // Ten items: the index column is two wide, right-aligned.
  Value::List ten;
  for (int i = 0; i < 10; ++i) ten.push_back(Value::Int(i));
  std::string out = F(Value::MakeList(ten));
  CHECK(out.substr(0, 15) == " 1) (integer) 0");
  CHECK(out.find("\n10) (integer) 9\n") != std::string::npos);
}

TEST_CASE("FormatValue formatted: maps as redis-cli shows RESP3 maps") {
  Value::Map m;
  m.emplace_back("k", Value::Int(1));
  m.emplace_back("n", Value::MakeList({Value::Int(1), Value::Int(2)}));
  CHECK(F(Value::MakeMap(m)) ==
        "1# \"k\" => (integer) 1\n"
        "2# \"n\" => 1) (integer) 1\n"
        "   2) (integer) 2\n");
}

TEST_CASE("FormatValue raw: plain values, one per line") {
  CHECK(R(Value::Int(-7)) == "-7\n");
  CHECK(R(Value::Float(1.5)) == "1.5\n");
  CHECK(R(Value::Dec(*Decimal::Parse("19.99"))) == "19.99\n");
  CHECK(R(Value::String("a b")) == "a b\n");
  CHECK(R(Value::Bytes(std::string("\x00", 1))) == std::string("\x00\n", 2));
  CHECK(R(Value::Null()) == "\n");
  Value::Map m;
  m.emplace_back("k", Value::MakeList({Value::Int(1), Value::String("x")}));
  CHECK(R(Value::MakeMap(m)) == "k\n1\nx\n");
  CHECK(R(Value::MakeList()).empty());
}

TEST_CASE("FormatError") {
  CHECK(FormatError("ERR x", OutputMode::kFormatted) == "(error) ERR x\n");
  CHECK(FormatError("ERR x", OutputMode::kRaw) == "ERR x\n");
}

}  // namespace
}  // namespace kv::cli
