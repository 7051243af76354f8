// kv-cli's literal grammar (docs/kv-cli.md, "Literals"): every form, the key-versus-value rule,
// one-shot words, and the errors for malformed input (nothing half-parsed gets through).
#include "literal.h"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

namespace kv::cli {
namespace {

using native::Value;
using native::ValueType;

Value V(std::string_view word) {
  auto v = BareValue(word);
  REQUIRE_MESSAGE(v.ok(), v.error().message);
  return *v;
}

std::vector<Arg> Line(std::string_view line) {
  auto a = ParseLine(line);
  REQUIRE_MESSAGE(a.ok(), a.error().message);
  return *a;
}

std::string LineError(std::string_view line) {
  auto a = ParseLine(line);
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code == client::ErrorCode::kUsage);
  return a.error().message;
}

TEST_CASE("BareValue: numbers, decimals, null, text") {
  CHECK(V("42") == Value::Int(42));
  CHECK(V("-7") == Value::Int(-7));
  CHECK(V("+3") == Value::Int(3));
  CHECK(V("9223372036854775807") == Value::Int(INT64_MAX));
  CHECK(V("1.5") == Value::Float(1.5));
  CHECK(V(".5") == Value::Float(0.5));
  CHECK(V("2.") == Value::Float(2.0));
  CHECK(V("1e3") == Value::Float(1000.0));
  CHECK(V("-2.5E-3") == Value::Float(-0.0025));
  CHECK(V("inf") == Value::Float(INFINITY));
  CHECK(V("-inf") == Value::Float(-INFINITY));
  CHECK(std::isnan(V("nan").as_float()));
  CHECK(V("19.99d") == Value::Dec(*Decimal::Parse("19.99")));
  CHECK(V("19.99d").as_decimal().ToString() == "19.99");
  CHECK(V("-5d") == Value::Dec(*Decimal::Parse("-5")));
  CHECK(V("1e3d").type() == ValueType::kDecimal);
  CHECK(V("null").is_null());
  CHECK(V("hello") == Value::String("hello"));
  CHECK(V("NULL") == Value::String("NULL"));  // only lower-case null is Null
  CHECK(V("true") == Value::String("true"));  // no boolean type
  CHECK(V("0x1f") == Value::String("0x1f"));
  CHECK(V("12abc") == Value::String("12abc"));
  CHECK(V("1.2.3") == Value::String("1.2.3"));
  CHECK(V("1e") == Value::String("1e"));
  CHECK(V("d") == Value::String("d"));
  CHECK(V("2nd") == Value::String("2nd"));  // not made of number characters: a word
  CHECK(V("ed") == Value::String("ed"));
  CHECK(V("") == Value::String(""));
  CHECK(V("héllo") == Value::String("héllo"));
  CHECK(V("\xff\x01") == Value::Bytes("\xff\x01"));
}

TEST_CASE("BareValue: out-of-range numbers and bad decimals are errors, not strings") {
  for (const char* bad : {"9223372036854775808", "-9223372036854775809", "1e999",
                          "12345678901234567890123456789012345d", "1.2.3d", "1e2e3d", "--5d",
                          "1..5d"}) {
    CAPTURE(bad);
    auto v = BareValue(bad);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().message.find(bad) != std::string::npos);
  }
}

TEST_CASE("ParseLine: bare words, quoted strings, bytes, blanks") {
  auto a = Line("  SET  key   \"a b\\n\" ");
  REQUIRE(a.size() == 3);
  CHECK(a[0].kind == Arg::Kind::kBare);
  CHECK(a[0].text == "SET");
  CHECK(a[1].text == "key");
  CHECK(a[2].kind == Arg::Kind::kString);
  CHECK(a[2].value == Value::String("a b\n"));
  CHECK(a[2].column == 14);

  a = Line(R"(set k b"\x00\xff\"" 'it\'s' "\t\r\\\0")");
  REQUIRE(a.size() == 5);
  CHECK(a[2].kind == Arg::Kind::kBytes);
  CHECK(a[2].value == Value::Bytes(std::string("\x00\xff\"", 3)));
  CHECK(a[3].value == Value::String("it's"));
  CHECK(a[4].value == Value::String(std::string("\t\r\\\0", 4)));

  CHECK(Line("").empty());
  CHECK(Line(" \t ").empty());
  // Top-level bare words end only at blanks.
  a = Line("get job:1 a,b x\"y");
  REQUIRE(a.size() == 4);
  CHECK(a[1].text == "job:1");
  CHECK(a[2].text == "a,b");
  CHECK(a[3].text == "x\"y");
}

TEST_CASE("ParseLine: lists and maps nest") {
  auto a = Line(R"(set tags ["a", "b", 3])");
  REQUIRE(a.size() == 3);
  CHECK(a[2].kind == Arg::Kind::kList);
  CHECK(a[2].value ==
        Value::MakeList({Value::String("a"), Value::String("b"), Value::Int(3)}));

  a = Line(R"(set m {"k": 1, n: [1, 2.5, 3d, null, b"\x01"], "e": {}, 'l': []})");
  REQUIRE(a.size() == 3);
  CHECK(a[2].kind == Arg::Kind::kMap);
  Value::Map want;
  want.emplace_back("k", Value::Int(1));
  want.emplace_back("n", Value::MakeList({Value::Int(1), Value::Float(2.5),
                                          Value::Dec(*Decimal::Parse("3")), Value::Null(),
                                          Value::Bytes("\x01")}));
  want.emplace_back("e", Value::MakeMap());
  want.emplace_back("l", Value::MakeList());
  CHECK(a[2].value == Value::MakeMap(want));

  a = Line("set x [[1,[2]],{a:{b:c}}]");
  CHECK(native::ToDebugString(a[2].value) == R"([[1, [2]], {"a": {"b": "c"}}])");
}

TEST_CASE("ParseLine: what ToDebugString prints reads back as the same value") {
  Value::Map m;
  m.emplace_back("k\"ey", Value::MakeList({Value::Float(-0.5), Value::Float(1e300)}));
  Value v = Value::MakeList({Value::Int(INT64_MIN), Value::Float(3.0), Value::String("tab\there"),
                             Value::Bytes(std::string("\x00\x7f\x80", 3)), Value::Null(),
                             Value::Dec(*Decimal::Parse("1E+5")), Value::MakeMap(m)});
  auto a = Line("set k " + native::ToDebugString(v));
  REQUIRE(a.size() == 3);
  CHECK(a[2].value == v);
}

TEST_CASE("ParseLine: malformed literals name the column and the problem") {
  CHECK(LineError(R"(set k "abc)") == "syntax error at column 7: unterminated string (missing closing \")");
  CHECK(LineError("set k b'ab") == "syntax error at column 7: unterminated bytes (missing closing ')");
  CHECK(LineError("set k [1, 2") == "syntax error at column 7: unterminated list (missing ']')");
  CHECK(LineError("set k {\"a\": 1") == "syntax error at column 7: unterminated map (missing '}')");
  CHECK(LineError("set k [1 2]").find("column 10: expected ',' or ']'") != std::string::npos);
  CHECK(LineError("set k [1,]").find("expected a value, found ']'") != std::string::npos);
  CHECK(LineError("set k {a 1}").find("expected ':' after the map key") != std::string::npos);
  CHECK(LineError(R"(set k "a"b)").find("column 10: unexpected 'b' right after a literal") !=
        std::string::npos);
  CHECK(LineError(R"(set k "\q")").find("column 8: unknown escape \\q") != std::string::npos);
  CHECK(LineError(R"(set k "\x4")").find("\\x needs two hex digits") != std::string::npos);
  CHECK(LineError(R"(set k "\xff")").find("not valid UTF-8") != std::string::npos);
  CHECK(LineError("set k [99999999999999999999]").find("column 8: integer") != std::string::npos);
  std::string deep(kMaxNesting, '[');
  deep += std::string(kMaxNesting, ']');
  CHECK(Line("set k " + deep).size() == 3);
  CHECK(LineError("set k [" + deep + "]").find("nest at most 64 deep") != std::string::npos);
}

TEST_CASE("ArgText and ArgValue: keys are text as typed, values are typed") {
  auto a = Line(R"(x 42 "42" 1.50 19.99d null [1] b"\x00")");
  CHECK(*ArgText(a[1]) == "42");
  CHECK(*ArgValue(a[1]) == Value::Int(42));
  CHECK(*ArgText(a[2]) == "42");
  CHECK(*ArgValue(a[2]) == Value::String("42"));
  CHECK(*ArgText(a[3]) == "1.50");  // as typed, not re-printed
  CHECK(*ArgValue(a[3]) == Value::Float(1.5));
  CHECK(*ArgText(a[4]) == "19.99d");
  CHECK(ArgValue(a[4])->type() == ValueType::kDecimal);
  CHECK(*ArgText(a[5]) == "null");
  CHECK(ArgValue(a[5])->is_null());
  auto list_text = ArgText(a[6]);
  REQUIRE_FALSE(list_text.ok());
  CHECK(list_text.error().message.find("a list (column 28) is not allowed here") == 0);
  CHECK(*ArgText(a[7]) == std::string("\x00", 1));
  auto bad = Line("set k 99999999999999999999");
  auto v = ArgValue(bad[2]);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().message.find("syntax error at column 7: integer") == 0);
}

TEST_CASE("ParseWord: one-shot words are bare as a whole unless they open a literal") {
  auto w = ParseWord("hello world");
  REQUIRE(w.ok());
  CHECK(w->kind == Arg::Kind::kBare);
  CHECK(w->text == "hello world");
  CHECK(*ArgValue(*w) == Value::String("hello world"));
  w = ParseWord("-5");
  CHECK(*ArgValue(*w) == Value::Int(-5));
  w = ParseWord(R"(["a", "b", 3])");
  REQUIRE(w.ok());
  CHECK(w->kind == Arg::Kind::kList);
  CHECK(w->column == 0);
  w = ParseWord(R"("quoted key")");
  CHECK(*ArgText(*w) == "quoted key");
  w = ParseWord("");
  CHECK(*ArgValue(*w) == Value::String(""));
  for (const char* bad : {"[1, 2", "\"abc", "[1] x", "b\"\\xZZ\""}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseWord(bad).ok());
  }
}

}  // namespace
}  // namespace kv::cli
