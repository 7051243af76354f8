// Scalar parsing and formatting: expectations are what redis-server 7.0 does for the same input.
#include "core/scalar.h"

#include <doctest/doctest.h>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

namespace kv {
namespace {

std::string LongDoubleStr(long double v) {
  char buf[5 * 1024];
  const size_t n = FormatLongDouble(v, buf, sizeof(buf));
  return std::string(buf, n);
}

std::string DoubleStr(double v) {
  char buf[64];
  const size_t n = FormatDouble(v, buf, sizeof(buf));
  return std::string(buf, n);
}

std::string Canonical(const ScalarView& v) {
  char buf[kScalarBufSize];
  return std::string(CanonicalString(v, buf));
}

}  // namespace

TEST_CASE("ParseInt64 accepts what string2ll accepts") {
  CHECK(ParseInt64("0") == 0);
  CHECK(ParseInt64("1") == 1);
  CHECK(ParseInt64("-1") == -1);
  CHECK(ParseInt64("1234567890") == 1234567890);
  CHECK(ParseInt64("9223372036854775807") == std::numeric_limits<int64_t>::max());
  CHECK(ParseInt64("-9223372036854775808") == std::numeric_limits<int64_t>::min());
  // Either side of the 18-digit fast path.
  CHECK(ParseInt64("999999999999999999") == 999999999999999999LL);
  CHECK(ParseInt64("-999999999999999999") == -999999999999999999LL);
  CHECK(ParseInt64("1000000000000000000") == 1000000000000000000LL);
  CHECK(ParseInt64("-1000000000000000001") == -1000000000000000001LL);
}

TEST_CASE("ParseInt64 rejects signs, spaces, leading zeros and overflow") {
  const auto rejects_all = [](std::initializer_list<std::string_view> inputs) {
    for (std::string_view bad : inputs) {
      CAPTURE(bad);
      CHECK_FALSE(ParseInt64(bad).has_value());
    }
  };
  rejects_all({"", "-", "--1", "+1", " 1", "1 ", "1-"});       // signs and spaces
  rejects_all({"01", "00", "-0", "-01"});                      // leading zeros
  rejects_all({"1a", "a1", "1.0", "1e3", "0x10"});             // not decimal digits
  rejects_all({"1/", "1:", "12\xff", "-9\x80"});               // bytes either side of 0-9
  rejects_all({"9223372036854775808", "-9223372036854775809",  // overflow
               "18446744073709551616", "99999999999999999999"});
  // string2ll refuses 21+ characters before parsing, even when they would be a valid number.
  CHECK_FALSE(ParseInt64(std::string(21, '1')).has_value());
  // An embedded NUL is just a bad character.
  CHECK_FALSE(ParseInt64(std::string_view("1\0", 2)).has_value());
}

TEST_CASE("ParseLongDouble follows string2ld") {
  CHECK(ParseLongDouble("1.5") == 1.5L);
  CHECK(ParseLongDouble("-2") == -2.0L);
  CHECK(ParseLongDouble("+1.5") == 1.5L);  // strtold allows a '+'
  CHECK(ParseLongDouble("1e3") == 1000.0L);
  CHECK(ParseLongDouble(".5") == 0.5L);
  CHECK(ParseLongDouble("5.") == 5.0L);
  CHECK(ParseLongDouble("0x1p3") == 8.0L);
  CHECK(ParseLongDouble("inf") == std::numeric_limits<long double>::infinity());
  CHECK(ParseLongDouble("-inf") == -std::numeric_limits<long double>::infinity());
  CHECK(ParseLongDouble("Infinity") == std::numeric_limits<long double>::infinity());
  // A denormal sets ERANGE but is not zero, so it is kept.
  CHECK(ParseLongDouble("1e-4940").has_value());

  for (const char* bad : {"", " 1", "1 ", "\t1", "abc", "1.5x", "nan", "-nan", "NaN", "1e5000",
                          "-1e5000", "1e-5000", "e3", "--1", "."}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseLongDouble(bad).has_value());
  }
  CHECK_FALSE(ParseLongDouble(std::string_view("1\0", 2)).has_value());
  CHECK_FALSE(ParseLongDouble(std::string(5 * 1024, '1')).has_value());
  CHECK(ParseLongDouble(std::string("1.").append(5 * 1024 - 3, '0')) == 1.0L);  // 5119 chars fit
}

TEST_CASE("FormatLongDouble matches ld2string human mode") {
  CHECK(LongDoubleStr(10.5L + *ParseLongDouble("0.1")) == "10.6");
  CHECK(LongDoubleStr(*ParseLongDouble("3.0e3")) == "3000");
  CHECK(LongDoubleStr(0) == "0");
  CHECK(LongDoubleStr(-0.0L) == "0");
  CHECK(LongDoubleStr(*ParseLongDouble("-1e-20")) == "0");  // "-0" becomes "0"
  CHECK(LongDoubleStr(*ParseLongDouble("1e-20")) == "0");
  CHECK(LongDoubleStr(*ParseLongDouble("-2.5")) == "-2.5");
  CHECK(LongDoubleStr(*ParseLongDouble("0.1")) == "0.1");
  CHECK(LongDoubleStr(*ParseLongDouble("1.5")) == "1.5");
  CHECK(LongDoubleStr(*ParseLongDouble("1e20")) == "100000000000000000000");
  CHECK(LongDoubleStr(std::numeric_limits<long double>::infinity()) == "inf");
  CHECK(LongDoubleStr(-std::numeric_limits<long double>::infinity()) == "-inf");
  CHECK(LongDoubleStr(std::numeric_limits<long double>::quiet_NaN()) == "nan");
  // Redis: SET k 1e300; INCRBYFLOAT k 0 prints every integer digit.
  const std::string big = LongDoubleStr(*ParseLongDouble("1e300"));
  CHECK(big.size() == 301);
  CHECK(big.rfind("10000000000000000000089973240795591938705239442732907479382600823212", 0) == 0);

  // Like ld2string, the untrimmed "%.17Lf" text plus its NUL must fit: "1.50000000000000000" is 19.
  char small[19];
  CHECK(FormatLongDouble(1.5L, small, sizeof(small)) == 0);
  CHECK(FormatLongDouble(std::numeric_limits<long double>::infinity(), small, 4) == 0);
  char ok[20];
  CHECK(FormatLongDouble(1.5L, ok, sizeof(ok)) == 3);
  CHECK(std::string(ok) == "1.5");
}

TEST_CASE("FormatDouble is the shortest round-trip form") {
  CHECK(DoubleStr(0.1) == "0.1");
  CHECK(DoubleStr(1.5) == "1.5");
  CHECK(DoubleStr(3) == "3");
  CHECK(DoubleStr(-2.25) == "-2.25");
  CHECK(DoubleStr(0.1 + 0.2) == "0.30000000000000004");
  CHECK(DoubleStr(1e20) == "1e+20");
  CHECK(DoubleStr(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(DoubleStr(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(DoubleStr(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(DoubleStr(-std::numeric_limits<double>::quiet_NaN()) == "nan");
  const double tricky = 0.1 + 0.7;
  CHECK(std::stod(DoubleStr(tricky)) == tricky);
  char tiny[2];
  CHECK(FormatDouble(0.25, tiny, sizeof(tiny)) == 0);
  CHECK(FormatDouble(-std::numeric_limits<double>::infinity(), tiny, sizeof(tiny)) == 0);
}

TEST_CASE("CanonicalString gives the Redis form of each scalar") {
  CHECK(Canonical(ScalarView::Bytes("hello")) == "hello");
  CHECK(Canonical(ScalarView::Bytes("")) == "");
  CHECK(Canonical(ScalarView::Int(0)) == "0");
  CHECK(Canonical(ScalarView::Int(-42)) == "-42");
  CHECK(Canonical(ScalarView::Int(std::numeric_limits<int64_t>::min())) == "-9223372036854775808");
  CHECK(Canonical(ScalarView::Float(10.6)) == "10.6");
  CHECK(Canonical(ScalarView::Float(3000)) == "3000");
  CHECK(Canonical(ScalarView::Float(0.3)) == "0.3");
  CHECK(Canonical(ScalarView::Float(-0.5)) == "-0.5");
  CHECK(Canonical(ScalarView::Float(-0.0)) == "0");
  CHECK(Canonical(ScalarView::Float(1e20)) == "100000000000000000000");
  CHECK(Canonical(ScalarView::Float(1e-20)) == "0");  // INCRBYFLOAT prints 17 decimals at most
  CHECK(Canonical(ScalarView::Float(std::numeric_limits<double>::infinity())) == "inf");

  // Bytes views are the stored bytes, not a copy.
  const std::string stored = "abc";
  char buf[kScalarBufSize];
  CHECK(CanonicalString(ScalarView::Bytes(stored), buf).data() == stored.data());
}

TEST_CASE("CanonicalString prints huge Floats in full like INCRBYFLOAT") {
  // Same digits redis-server returns for SET k 1e300; INCRBYFLOAT k 0.
  const std::string s = Canonical(ScalarView::Float(1e300));
  CHECK(s.size() == 301);
  CHECK(s == LongDoubleStr(*ParseLongDouble("1e300")));
  // SET k -1.7976931348623157e+308; INCRBYFLOAT k 0 (the long double nearest the shortest form).
  const std::string max = Canonical(ScalarView::Float(-std::numeric_limits<double>::max()));
  CHECK(max.size() == 310);
  CHECK(max.rfind("-1797693134862315699959210467741044340483864469443291784853144207651766", 0) ==
        0);
  CHECK(max.substr(294) == "2466863339536384");
}


TEST_CASE("ReadRawChecked refuses sizes a type cannot have") {
  ScalarView v;
  // An Int or Float is 8 bytes, a Decimal 16: fewer (or more) is damage, never read past.
  for (uint8_t t : {static_cast<uint8_t>(ScalarType::kInt), static_cast<uint8_t>(ScalarType::kFloat)}) {
    CHECK_FALSE(ReadRawChecked(t, std::string_view("\x01\x02\x03", 3), &v));
    CHECK_FALSE(ReadRawChecked(t, std::string(9, '\0'), &v));
    CHECK(ReadRawChecked(t, std::string(8, '\0'), &v));
  }
  CHECK_FALSE(ReadRawChecked(static_cast<uint8_t>(ScalarType::kDecimal), std::string(8, '\0'), &v));
  CHECK_FALSE(ReadRawChecked(200, "x", &v));
  char raw[8];
  WriteRaw(ScalarView::Int(-42), raw);
  REQUIRE(ReadRawChecked(static_cast<uint8_t>(ScalarType::kInt), std::string_view(raw, 8), &v));
  CHECK(v.type == ScalarType::kInt);
  CHECK(v.i == -42);
  REQUIRE(ReadRawChecked(static_cast<uint8_t>(ScalarType::kString), "text", &v));
  CHECK(v.bytes == "text");
}

}  // namespace kv
