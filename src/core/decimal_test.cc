// Decimal: the BID library pairing, literal syntax, canonical text, exactness and scaled
// division. Expected texts are what Python's decimal module prints for the same values in a
// decimal128 context (prec=34, Emax=6144, Emin=-6143, clamp=1); test/integration/test_decimal.py
// compares thousands of random operands with Python through the server.
#include "core/decimal.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "core/entry.h"
#include "core/scalar.h"
#include "core/shard.h"
#include "kvmodule.h"
#include "core/decimal128.h"

namespace kv {
namespace {

Decimal D(std::string_view text) {
  DecimalStatus why = DecimalStatus::kOk;
  const auto d = Decimal::Parse(text, &why);
  INFO("literal: ", std::string(text), " status: ", std::string(DecimalStatusText(why)));
  REQUIRE(d.has_value());
  return *d;
}

std::string Canon(std::string_view text) { return D(text).ToString(); }

DecimalStatus ParseStatus(std::string_view text) {
  DecimalStatus why = DecimalStatus::kOk;
  const auto d = Decimal::Parse(text, &why);
  CHECK(d.has_value() == (why == DecimalStatus::kOk));
  return why;
}

std::string Str(const Decimal::Result& r) {
  REQUIRE_MESSAGE(r.ok(), DecimalStatusText(r.status));
  return r.value.ToString();
}

BID_UINT128 Bid(const Decimal& d) {
  BID_UINT128 x;
  x.w[0] = d.low();
  x.w[1] = d.high();
  return x;
}

std::string BidStr(const BID_UINT128& x) {
  char buf[KVDEC_STRING_MAX];
  return std::string(buf, kvdec_format(x, buf));
}

}  // namespace

// ------------------------------------------------------------------------------------------
// The library variant and the DECIMAL_* macros must match (DESIGN.md section 9)
// ------------------------------------------------------------------------------------------

TEST_CASE("BID pairing: an inexact addition raises the inexact flag of that call only") {
  const BID_UINT128 one = Bid(D("1"));
  const BID_UINT128 tiny = Bid(D("1E-40"));
  _IDEC_flags flags = 0;
  const BID_UINT128 sum = bid128_add(one, tiny, BID_ROUNDING_TO_NEAREST, &flags);
  CHECK((flags & BID_INEXACT_EXCEPTION) != 0);
  CHECK(BidStr(sum) == "1.000000000000000000000000000000000");
  // Flags live in the caller's variable: an exact call with fresh flags sees none.
  _IDEC_flags fresh = 0;
  const BID_UINT128 two = bid128_add(one, one, BID_ROUNDING_TO_NEAREST, &fresh);
  CHECK(fresh == 0);
  CHECK(BidStr(two) == "2");
}

TEST_CASE("BID pairing: the rounding-mode argument changes the result") {
  const BID_UINT128 one = Bid(D("1"));
  const BID_UINT128 tiny = Bid(D("1E-40"));
  _IDEC_flags flags = 0;
  CHECK(BidStr(bid128_add(one, tiny, BID_ROUNDING_TO_NEAREST, &flags)) ==
        "1.000000000000000000000000000000000");
  CHECK(BidStr(bid128_add(one, tiny, BID_ROUNDING_UP, &flags)) ==
        "1.000000000000000000000000000000001");
  CHECK(BidStr(bid128_sub(one, tiny, BID_ROUNDING_DOWN, &flags)) ==
        "0.9999999999999999999999999999999999");
  CHECK(BidStr(bid128_sub(one, tiny, BID_ROUNDING_TO_NEAREST, &flags)) ==
        "1.000000000000000000000000000000000");
  // Arguments pass by value: the operands are intact and the same call works again.
  CHECK(BidStr(one) == "1");
  CHECK(BidStr(bid128_mul(one, tiny, BID_ROUNDING_TO_NEAREST, &flags)) == "1E-40");
}

TEST_CASE("BID pairing: status is per call, so threads do not see each other's flags") {
  std::atomic<int> wrong{0};
  const Decimal one = D("1"), tiny = D("1E-40"), half = D("0.5");
  std::thread inexact([&] {
    for (int i = 0; i < 20000; ++i)
      if (Decimal::Add(one, tiny).status != DecimalStatus::kInexact) ++wrong;
  });
  std::thread exact([&] {
    for (int i = 0; i < 20000; ++i)
      if (!Decimal::Add(one, half).ok()) ++wrong;
  });
  inexact.join();
  exact.join();
  CHECK(wrong.load() == 0);
}

// ------------------------------------------------------------------------------------------
// Layout
// ------------------------------------------------------------------------------------------

TEST_CASE("Decimal is 16 bytes in the KVDecimal / BID_UINT128 layout") {
  static_assert(sizeof(Decimal) == 16 && sizeof(KVDecimal) == 16);
  const Decimal d = D("19.99");
  KVDecimal kd;
  std::memcpy(&kd, &d, sizeof kd);
  CHECK(kd.w[0] == 1999);
  CHECK(kd.w[1] == 0x303c000000000000ULL);  // exponent -2, positive
  KVDecimal one = {{1, 0x3040000000000000ULL}};
  CHECK(Decimal::FromBytes(&one).ToString() == "1");
  KVDecimal back;
  d.ToBytes(&back);
  CHECK(std::memcmp(&back, &kd, 16) == 0);
  CHECK(Decimal().ToString() == "0");
}

// ------------------------------------------------------------------------------------------
// Literals and canonical text
// ------------------------------------------------------------------------------------------

TEST_CASE("Parse accepts Python's Decimal syntax and ToString prints str(Decimal)") {
  const std::pair<const char*, const char*> cases[] = {
      {"19.99", "19.99"},
      {"+1", "1"},
      {"-0", "-0"},
      {".5", "0.5"},
      {"5.", "5"},
      {"1e5", "1E+5"},
      {"1E+5", "1E+5"},
      {"1.5e-3", "0.0015"},
      {"0.000001", "0.000001"},
      {"0.0000001", "1E-7"},
      {"12E-8", "1.2E-7"},
      {"0.1E-5", "0.000001"},
      {"100", "100"},
      {"1E2", "1E+2"},
      {"123.456E3", "123456"},
      {"-0.00", "-0.00"},
      {"-00.0e-0", "-0.0"},
      {"00012", "12"},
      {"1234567890123456789012345678901234", "1234567890123456789012345678901234"},
      {"-123456789012345678901234567890.1234", "-123456789012345678901234567890.1234"},
      {"-1.5E-6170", "-1.5E-6170"},
      {"1E+6111", "1E+6111"},
      // Exponents above 6111 fold down: the coefficient is padded with zeros (IEEE clamp).
      {"1E+6112", "1.0E+6112"},
      {"1E+6144", "1.000000000000000000000000000000000E+6144"},
      {"9.999999999999999999999999999999999E+6144",
       "9.999999999999999999999999999999999E+6144"},
      {"1E-6176", "1E-6176"},
      // Zeros are exact at any exponent; it is clamped into range.
      {"0E-6176", "0E-6176"},
      {"0E+9999", "0E+6111"},
      {"0E-9999", "0E-6176"},
      // Trailing zeros beyond 34 digits are dropped: the value is unchanged.
      {"12345678901234567890123456789012340", "1.234567890123456789012345678901234E+34"},
      {"1.000000000000000000000000000000000000", "1.000000000000000000000000000000000"},
      {"1.0E-6176", "1E-6176"},
  };
  for (const auto& [in, want] : cases) {
    CAPTURE(in);
    CHECK(Canon(in) == want);
  }
}

TEST_CASE("Parse refuses non-numbers, NaN and Infinity, inexact and out-of-range values") {
  for (const char* bad : {"", " 1", "1 ", "abc", "1e", "1e+", "e5", ".", "-", "+", "+-1", "--1",
                          "1..2", "1.2.3", "1e1.5", "0x10", "1_000", "1,5", "1e5e5", "١",
                          "Infinity1", "NaNx", "in", "\xef\xbc\x91"}) {
    CAPTURE(bad);
    CHECK(ParseStatus(bad) == DecimalStatus::kSyntax);
  }
  CHECK(ParseStatus(std::string_view("1\0", 2)) == DecimalStatus::kSyntax);
  CHECK(ParseStatus(std::string_view()) == DecimalStatus::kSyntax);  // null data
  for (const char* special : {"NaN", "nan", "-NaN", "+nan", "sNaN", "NaN123", "Inf", "inf",
                              "-Infinity", "INFINITY"}) {
    CAPTURE(special);
    CHECK(ParseStatus(special) == DecimalStatus::kNotFinite);
  }
  for (const char* inexact : {"12345678901234567890123456789012345",
                              "1.0000000000000000000000000000000001",
                              "-99999999999999999999999999999999999"}) {
    CAPTURE(inexact);
    CHECK(ParseStatus(inexact) == DecimalStatus::kInexact);
  }
  for (const char* range : {"1E+6145", "1e99999", "-1E+6145", "10E+6144",
                            "1E+99999999999999999999999", "1E-6177", "1.5E-6176", "0.5E-6176",
                            "-1e-99999999999999999999", "99999999999999999999999999999999999E+6111",
                            // 35 digits whose last is below 1E-6176: underflow, not just inexact
                            "10000000000000000000000000000000001E-6178"}) {
    CAPTURE(range);
    CHECK(ParseStatus(range) == DecimalStatus::kOutOfRange);
  }
}

TEST_CASE("Parse handles long literals without rounding") {
  // 5000 leading zeros, then a digit: still exact.
  CHECK(Canon(std::string(5000, '0') + "7") == "7");
  CHECK(Canon("0." + std::string(5000, '0') + "7") == "7E-5001");
  // A long run of trailing zeros past 34 digits is exact; one stray digit is not.
  CHECK(Canon("1" + std::string(100, '0')) == "1.000000000000000000000000000000000E+100");
  CHECK(ParseStatus("1" + std::string(100, '0') + "1") == DecimalStatus::kInexact);
  CHECK(ParseStatus(std::string(7000, '9')) == DecimalStatus::kOutOfRange);
}

TEST_CASE("Canonical text round-trips to the same 16 bytes") {
  std::mt19937_64 rng(20240601);
  for (int i = 0; i < 20000; ++i) {
    // Coefficients of every length, exponents over the whole range, both signs.
    const int digits = 1 + static_cast<int>(rng() % 34);
    kvdec_u128 coeff = 0;
    for (int k = 0; k < digits; ++k) coeff = coeff * 10 + rng() % 10;
    const int exponent = KVDEC_ETINY + static_cast<int>(rng() % (KVDEC_ETOP - KVDEC_ETINY + 1));
    const BID_UINT128 x = kvdec_make(static_cast<int>(rng() & 1), coeff, exponent);
    const Decimal d = Decimal::FromWords(x.w[0], x.w[1]);
    const std::string text = d.ToString();
    CAPTURE(text);
    DecimalStatus why;
    const auto back = Decimal::Parse(text, &why);
    REQUIRE(back.has_value());
    CHECK(back->SameRepresentation(d));
    CHECK(text.size() < Decimal::kMaxStringSize);
  }
}

TEST_CASE("The longest canonical texts fit kMaxStringSize") {
  CHECK(Canon("-0.000001234567890123456789012345678901234").size() == 42);
  CHECK(Canon("-1.234567890123456789012345678901234E-6000").size() == 42);
  CHECK(Canon("-1.234567890123456789012345678901234E+6144").size() == 42);
}

TEST_CASE("Non-finite or non-canonical bytes print like Python and refuse arithmetic") {
  const Decimal nan = Decimal::FromWords(0, 0x7c00000000000000ULL);
  const Decimal snan = Decimal::FromWords(0, 0x7e00000000000000ULL);
  const Decimal ninf = Decimal::FromWords(0, 0xf800000000000000ULL);
  CHECK(nan.ToString() == "NaN");
  CHECK(snan.ToString() == "sNaN");
  CHECK(ninf.ToString() == "-Infinity");
  CHECK_FALSE(nan.IsFinite());
  CHECK(D("1").IsFinite());
  CHECK(Decimal::Add(nan, D("1")).status == DecimalStatus::kNotFinite);
  CHECK(Decimal::Mul(D("1"), ninf).status == DecimalStatus::kNotFinite);
  CHECK(Decimal::Div(D("1"), nan, 2).status == DecimalStatus::kNotFinite);
  // A coefficient of 10^34 or more is not canonical: IEEE reads it as zero.
  const Decimal big = Decimal::FromWords(~0ULL, 0x3041ffffffffffffULL);
  CHECK(big.ToString() == "0");
  CHECK(big.IsZero());
}

// ------------------------------------------------------------------------------------------
// Arithmetic: exact or refused
// ------------------------------------------------------------------------------------------

TEST_CASE("Add and Sub keep the exponent (the user story) and are exact or refused") {
  CHECK(Str(Decimal::Add(D("19.99"), D("0.01"))) == "20.00");
  CHECK(Str(Decimal::Add(D("1.0"), D("1.00"))) == "2.00");
  CHECK(Str(Decimal::Sub(D("20.00"), D("0.01"))) == "19.99");
  CHECK(Str(Decimal::Add(D("-0"), D("0"))) == "0");
  CHECK(Str(Decimal::Add(D("-0"), D("-0"))) == "-0");
  CHECK(Str(Decimal::Sub(D("0"), D("0"))) == "0");
  CHECK(Str(Decimal::Sub(D("-0"), D("0"))) == "-0");
  CHECK(Str(Decimal::Sub(D("1.5"), D("1.5"))) == "0.0");
  CHECK(Str(Decimal::Add(D("1E+3"), D("1"))) == "1001");
  // Exact but one digit too long at the ideal exponent: the trailing zero goes.
  CHECK(Str(Decimal::Add(D("9999999999999999999999999999999999"), D("1"))) ==
        "1.000000000000000000000000000000000E+34");
  CHECK(Str(Decimal::Add(D("1234567890123456789012345678901234"), D("0.0"))) ==
        "1234567890123456789012345678901234");
  CHECK(Decimal::Add(D("1"), D("1E-40")).status == DecimalStatus::kInexact);
  CHECK(Decimal::Add(D("9999999999999999999999999999999999"), D("0.1")).status ==
        DecimalStatus::kInexact);
  CHECK(Decimal::Sub(D("1E+34"), D("1")).status == DecimalStatus::kOk);
  CHECK(Decimal::Sub(D("1E+34"), D("0.5")).status == DecimalStatus::kInexact);
  const Decimal max = D("9.999999999999999999999999999999999E+6144");
  CHECK(Decimal::Add(max, max).status == DecimalStatus::kOutOfRange);
  CHECK(Decimal::Sub(D("-9.999999999999999999999999999999999E+6144"), max).status ==
        DecimalStatus::kOutOfRange);
  CHECK(Str(Decimal::Add(D("1E-6176"), D("1E-6176"))) == "2E-6176");
}

TEST_CASE("Mul is exact or refused; tiny and huge results are out of range") {
  CHECK(Str(Decimal::Mul(D("1.5"), D("1.5"))) == "2.25");
  CHECK(Str(Decimal::Mul(D("-2"), D("0"))) == "-0");
  CHECK(Str(Decimal::Mul(D("1.000000000000000000000000000000000"), D("10"))) ==
        "10.00000000000000000000000000000000");
  CHECK(Str(Decimal::Mul(D("0E-6000"), D("0E-6000"))) == "0E-6176");
  CHECK(Str(Decimal::Mul(D("1E-6170"), D("0.1"))) == "1E-6171");  // subnormal, exact
  CHECK(Decimal::Mul(D("1234567890123456789012345678901234"), D("9")).status ==
        DecimalStatus::kInexact);
  CHECK(Decimal::Mul(D("1E-6170"), D("1E-10")).status == DecimalStatus::kOutOfRange);
  CHECK(Decimal::Mul(D("1E+6000"), D("1E+6000")).status == DecimalStatus::kOutOfRange);
}

TEST_CASE("Div without a scale is exact or refused; x/0 is an error") {
  CHECK(Str(Decimal::Div(D("1"), D("4"))) == "0.25");
  CHECK(Str(Decimal::Div(D("6"), D("2.0"))) == "3");
  CHECK(Str(Decimal::Div(D("1.00"), D("2"))) == "0.50");
  CHECK(Str(Decimal::Div(D("0"), D("-5"))) == "-0");
  CHECK(Str(Decimal::Div(D("100"), D("1E+2"))) == "1.00");  // ideal exponent 0 - 2
  CHECK(Decimal::Div(D("1"), D("3")).status == DecimalStatus::kInexact);
  CHECK(Decimal::Div(D("1"), D("0")).status == DecimalStatus::kDivisionByZero);
  CHECK(Decimal::Div(D("0"), D("0")).status == DecimalStatus::kDivisionByZero);
  CHECK(Decimal::Div(D("1"), D("-0.00"), 2).status == DecimalStatus::kDivisionByZero);
  CHECK(Decimal::Div(D("1E+6000"), D("1E-1000")).status == DecimalStatus::kOutOfRange);
}

TEST_CASE("Div with a scale rounds half-even once, from the exact quotient") {
  CHECK(Str(Decimal::Div(D("1"), D("3"), 5)) == "0.33333");
  CHECK(Str(Decimal::Div(D("2"), D("3"), 5)) == "0.66667");
  CHECK(Str(Decimal::Div(D("-2"), D("3"), 5)) == "-0.66667");
  CHECK(Str(Decimal::Div(D("1"), D("8"), 2)) == "0.12");   // tie: to even
  CHECK(Str(Decimal::Div(D("3"), D("8"), 2)) == "0.38");   // tie: to even
  CHECK(Str(Decimal::Div(D("-1"), D("8"), 2)) == "-0.12");
  CHECK(Str(Decimal::Div(D("5"), D("2"), 0)) == "2");
  CHECK(Str(Decimal::Div(D("15"), D("2"), 0)) == "8");
  CHECK(Str(Decimal::Div(D("1"), D("1"), 3)) == "1.000");
  CHECK(Str(Decimal::Div(D("-1"), D("3000"), 2)) == "-0.00");
  CHECK(Str(Decimal::Div(D("100"), D("7"), 30)) == "14.285714285714285714285714285714");
  CHECK(Str(Decimal::Div(D("1E-6176"), D("3"), 6176)) == "0E-6176");
  CHECK(Str(Decimal::Div(D("2E-6176"), D("3"), 6176)) == "1E-6176");
  CHECK(Decimal::Div(D("1"), D("3"), 6176).status == DecimalStatus::kScaleTooBig);
  CHECK(Decimal::Div(D("1E+30"), D("1"), 10).status == DecimalStatus::kScaleTooBig);
  CHECK(Decimal::Div(D("1"), D("3"), -1).status == DecimalStatus::kBadScale);
  CHECK(Decimal::Div(D("1"), D("3"), 6177).status == DecimalStatus::kBadScale);
  // 0.99999...9 (34 nines) / 1 at scale 33 carries to 1.000...0: 34 digits, fits.
  CHECK(Str(Decimal::Div(D("0.9999999999999999999999999999999999"), D("1"), 33)) ==
        "1.000000000000000000000000000000000");
  // Exact, but 10^34 has 35 digits at scale 0.
  CHECK(Decimal::Div(D("9999999999999999999999999999999999"),
                     D("0.9999999999999999999999999999999999"), 0)
            .status == DecimalStatus::kScaleTooBig);
}

TEST_CASE("MulScaled never double-rounds") {
  // 0.5 + 1e-34 - 1e-68 rounds to 0.5 at 34 digits, which would then round to 0 (even); the
  // exact product is above one half, so the answer is 1.
  CHECK(Str(Decimal::MulScaled(D("0.5000000000000000000000000000000001"),
                               D("0.9999999999999999999999999999999999"), 0)) == "1");
  // 1.5 - 1.5e-34 rounds to 1.5 at 34 digits, then to 2; the exact product is below 1.5.
  CHECK(Str(Decimal::MulScaled(D("1.500000000000000000000000000000000"),
                               D("0.9999999999999999999999999999999999"), 0)) == "1");
  CHECK(Str(Decimal::MulScaled(D("0.125"), D("1"), 2)) == "0.12");
  CHECK(Str(Decimal::MulScaled(D("19.99"), D("1.075"), 2)) == "21.49");  // 21.48925
  CHECK(Str(Decimal::MulScaled(D("-2.5"), D("1"), 0)) == "-2");
  CHECK(Str(Decimal::MulScaled(D("0"), D("-1E+6000"), 2)) == "-0.00");
  CHECK(Decimal::MulScaled(D("1E+6000"), D("1E+6000"), 2).status ==
        DecimalStatus::kOutOfRange);
  CHECK(Decimal::MulScaled(D("1E+20"), D("1E+10"), 10).status == DecimalStatus::kScaleTooBig);
  // 4.1 * 2439024390243902439024390243902439 = 10^34 - 0.1: its 34-digit truncation has its
  // last digit at the scale, and rounding carries it to 10^34, a 35th digit.
  CHECK(Decimal::MulScaled(D("4.1"), D("2439024390243902439024390243902439"), 0).status ==
        DecimalStatus::kScaleTooBig);
  // 0.41 * the same = 10^33 - 0.01: the carry to 10^33 still fits 34 digits at scale 0.
  CHECK(Str(Decimal::MulScaled(D("-0.41"), D("2439024390243902439024390243902439"), 0)) ==
        "-1000000000000000000000000000000000");
  CHECK(Decimal::MulScaled(D("0.41"), D("2439024390243902439024390243902439"), 1).status ==
        DecimalStatus::kScaleTooBig);
}

TEST_CASE("Compare is numeric: 1.0 == 1.00 and -0 == 0") {
  CHECK(Decimal::Compare(D("1.0"), D("1.00")) == 0);
  CHECK(Decimal::Compare(D("-0"), D("0E+10")) == 0);
  CHECK(Decimal::Compare(D("1"), D("2")) == -1);
  CHECK(Decimal::Compare(D("2"), D("1")) == 1);
  CHECK(Decimal::Compare(D("-1"), D("-2")) == 1);
  CHECK(Decimal::Compare(D("1E-6176"), D("0")) == 1);
  CHECK(Decimal::Compare(D("9E+6143"), D("1E+6144")) == -1);
  CHECK_FALSE(D("1.0").SameRepresentation(D("1.00")));
}

TEST_CASE("FromInt builds coefficient * 10^exponent exactly") {
  CHECK(Str(Decimal::FromInt(1999, -2)) == "19.99");
  CHECK(Str(Decimal::FromInt(-9223372036854775807LL - 1)) == "-9223372036854775808");
  CHECK(Decimal::FromInt(1, 6145).status == DecimalStatus::kOutOfRange);
}

// ------------------------------------------------------------------------------------------
// Engine: the Decimal scalar
// ------------------------------------------------------------------------------------------

TEST_CASE("A Decimal scalar is stored as 16 bytes and reads back typed and canonical") {
  static_assert(sizeof(Entry) == 16);
  constexpr int64_t kNow = 1'000'000;
  Shard s;
  s.Set("price", ScalarView::Dec(D("19.99")), kNoExpire);
  s.Set("ttl", ScalarView::Dec(D("-1E+6144")), kNow + 1000);
  Entry* e = s.Find("price", kNow);
  REQUIRE(e != nullptr);
  CHECK(e->type() == ScalarType::kDecimal);
  CHECK(e->value_len() == 16);
  const ScalarView v = e->value();
  CHECK(v.type == ScalarType::kDecimal);
  CHECK(v.dec.SameRepresentation(D("19.99")));
  char buf[kScalarBufSize];
  CHECK(CanonicalString(v, buf) == "19.99");
  Entry* t = s.Find("ttl", kNow);
  REQUIRE(t != nullptr);
  CHECK(t->expire_at() == kNow + 1000);
  CHECK(CanonicalString(t->value(), buf) == "-1.000000000000000000000000000000000E+6144");
  // In-place update and a TTL change (which reallocates the entry) keep the 16 bytes.
  t->SetDecimal(D("0.00"));
  t = s.SetExpire("ttl", kNoExpire, kNow);
  REQUIRE(t != nullptr);
  CHECK(CanonicalString(t->value(), buf) == "0.00");
  // A plain Bytes write replaces the decimal.
  s.Set("price", ScalarView::Bytes("abc"), kNoExpire);
  CHECK(s.Find("price", kNow)->value().type == ScalarType::kBytes);
}

}  // namespace kv
