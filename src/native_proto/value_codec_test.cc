// Value codec: seeded random round trips, boundary sizes, and one test per decode error.
#include "native_proto/value_codec.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

namespace kv::native {
namespace {

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

struct Decoded {
  DecodeError err;
  Value value;
  size_t consumed = 0;
  size_t offset = 0;
};

Decoded Dec(std::string_view buf, DecodeLimits limits = {}) {
  Decoded d;
  d.err = ValueDecoder(limits).Decode(buf, &d.consumed, &d.value, &d.offset);
  return d;
}

Value Nest(size_t depth) {
  Value v = Value::Int(7);
  for (size_t i = 0; i < depth; ++i) v = Value::MakeList({std::move(v)});
  return v;
}

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  Value Make(int depth) {
    const int kinds = depth >= 6 ? 6 : 8;
    switch (Pick(kinds)) {
      case 0: return Value();
      case 1: return Value::Int(static_cast<int64_t>(rng_()));
      case 2: {
        const uint64_t bits = rng_();
        double d;
        std::memcpy(&d, &bits, 8);
        return Value::Float(d);
      }
      case 3: {
        auto r = Decimal::FromInt(static_cast<int64_t>(rng_() % 2000000) - 1000000,
                                  static_cast<int>(Pick(20)) - 10);
        return Value::Dec(r.value);
      }
      case 4: return Value::String(Text());
      case 5: {
        std::string s(Pick(20), '\0');
        for (char& c : s) c = static_cast<char>(rng_());
        return Value::Bytes(std::move(s));
      }
      case 6: {
        Value::List l;
        for (size_t n = Pick(5); n > 0; --n) l.push_back(Make(depth + 1));
        return Value::MakeList(std::move(l));
      }
      default: {
        Value::Map m;
        for (size_t n = Pick(5); n > 0; --n) m.emplace_back(Text(), Make(depth + 1));
        return Value::MakeMap(std::move(m));
      }
    }
  }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  std::string Text() {
    static const char* const kPieces[] = {"a", "Z", "0", " ", "\xc3\xa9", "\xe2\x82\xac",
                                          "\xf0\x9f\x98\x80", "\"", "\n", ""};
    std::string s;
    for (size_t n = Pick(8); n > 0; --n) s += kPieces[Pick(10)];
    return s;
  }
  std::mt19937_64 rng_;
};

TEST_CASE("ValueCodec: seeded random nested values round trip byte for byte") {
  Gen gen(0x6b76'6e61'7469'7665ULL);
  for (int i = 0; i < 2000; ++i) {
    const Value v = gen.Make(0);
    const std::string wire = EncodeValue(v);
    const Decoded d = Dec(wire + "tail");
    REQUIRE(d.err == DecodeError::kOk);
    CHECK(d.consumed == wire.size());
    CHECK(d.value == v);
    CHECK(EncodeValue(d.value) == wire);
  }
}

TEST_CASE("ValueCodec: scalar encodings are big-endian, as in DESIGN 5") {
  CHECK(EncodeValue(Value()) == B({0}));
  CHECK(EncodeValue(Value::Int(42)) == B({1, 0, 0, 0, 0, 0, 0, 0, 42}));
  CHECK(EncodeValue(Value::Int(-1)) == B({1, 255, 255, 255, 255, 255, 255, 255, 255}));
  CHECK(EncodeValue(Value::Float(1.5)) == B({2, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}));
  CHECK(EncodeValue(Value::Dec(*Decimal::Parse("19.99"))) ==
        B({3, 0, 0, 0, 5}) + "19.99");
  CHECK(EncodeValue(Value::Dec(*Decimal::Parse("1e5"))) == B({3, 0, 0, 0, 4}) + "1E+5");
  CHECK(EncodeValue(Value::String("hi")) == B({4, 0, 0, 0, 2}) + "hi");
  CHECK(EncodeValue(Value::Bytes(std::string("\0", 1))) == B({5, 0, 0, 0, 1, 0}));
  CHECK(EncodeValue(Value::MakeList({Value::Int(1), Value()})) ==
        B({6, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0}));
  CHECK(EncodeValue(Value::MakeMap({{"k", Value()}})) == B({7, 0, 0, 0, 1, 0, 0, 0, 1, 'k', 0}));
}

TEST_CASE("ValueCodec: boundary sizes (empty string, empty bytes, empty list and map)") {
  for (const Value& v : {Value::String(""), Value::Bytes(""), Value::MakeList(), Value::MakeMap(),
                         Value::MakeMap({{"", Value()}})}) {
    const std::string wire = EncodeValue(v);
    const Decoded d = Dec(wire);
    REQUIRE(d.err == DecodeError::kOk);
    CHECK(d.value == v);
    CHECK(d.consumed == wire.size());
  }
  CHECK(EncodeValue(Value::MakeList()).size() == 5);
}

TEST_CASE("ValueCodec: nesting to max_depth decodes, max_depth + 1 is kTooDeep") {
  CHECK(Dec(EncodeValue(Nest(64))).err == DecodeError::kOk);
  CHECK(Dec(EncodeValue(Nest(64))).value == Nest(64));
  const Decoded deep = Dec(EncodeValue(Nest(65)));
  CHECK(deep.err == DecodeError::kTooDeep);
  CHECK(deep.offset == 64 * 5);  // the 65th list's type byte
  CHECK(Dec(EncodeValue(Nest(3)), {.max_depth = 2}).err == DecodeError::kTooDeep);
  CHECK(Dec(EncodeValue(Nest(2)), {.max_depth = 2}).err == DecodeError::kOk);
  // Maps count too.
  Value m = Value::MakeMap({{"k", Nest(64)}});
  CHECK(Dec(EncodeValue(m)).err == DecodeError::kTooDeep);
  CHECK(Dec(EncodeValue(Value::MakeMap({{"k", Nest(63)}}))).err == DecodeError::kOk);
}

TEST_CASE("ValueCodec: every proper prefix of an encoding is kTruncated or kCountTooLarge") {
  const Value v = Value::MakeMap({{"a", Value::MakeList({Value::Int(1), Value::Float(2.5)})},
                                  {"b", Value::Dec(*Decimal::Parse("3.25"))},
                                  {"c", Value::String("x")},
                                  {"d", Value::Bytes("yz")}});
  const std::string wire = EncodeValue(v);
  for (size_t n = 0; n < wire.size(); ++n) {
    CAPTURE(n);
    const Decoded d = Dec(std::string_view(wire).substr(0, n));
    // Once a list or map count is read, the missing elements make the count impossible.
    CHECK((d.err == DecodeError::kTruncated || d.err == DecodeError::kCountTooLarge));
    CHECK(d.consumed == 0);
  }
}

TEST_CASE("ValueCodec: unknown type byte reports its offset") {
  CHECK(Dec(B({8})).err == DecodeError::kUnknownType);
  CHECK(Dec(B({0xff})).err == DecodeError::kUnknownType);
  const Decoded d = Dec(B({6, 0, 0, 0, 2, 0, 9}));
  CHECK(d.err == DecodeError::kUnknownType);
  CHECK(d.offset == 6);
}

TEST_CASE("ValueCodec: invalid UTF-8 in a String or a map key is refused, Bytes accept anything") {
  CHECK(Dec(B({4, 0, 0, 0, 1, 0xff})).err == DecodeError::kInvalidUtf8);
  CHECK(Dec(B({4, 0, 0, 0, 2, 0xc0, 0x80})).err == DecodeError::kInvalidUtf8);  // overlong NUL
  CHECK(Dec(B({4, 0, 0, 0, 3, 0xed, 0xa0, 0x80})).err == DecodeError::kInvalidUtf8);  // surrogate
  CHECK(Dec(B({5, 0, 0, 0, 1, 0xff})).err == DecodeError::kOk);
  const Decoded d = Dec(B({7, 0, 0, 0, 1, 0, 0, 0, 1, 0xfe, 0}));
  CHECK(d.err == DecodeError::kInvalidUtf8);
  CHECK(d.offset == 9);
}

TEST_CASE("ValueCodec: decimal text must parse; non-canonical literals are accepted") {
  for (std::string_view bad : {"", "abc", "NaN", "Infinity", "1_0", " 1", "1e99999",
                               "12345678901234567890123456789012345"}) {
    CAPTURE(bad);
    std::string wire = B({3, 0, 0, 0, static_cast<int>(bad.size())});
    wire.append(bad);
    const Decoded d = Dec(wire);
    CHECK(d.err == DecodeError::kInvalidDecimal);
    CHECK(d.offset == 1);
  }
  const Decoded ok = Dec(B({3, 0, 0, 0, 3}) + "1e5");
  REQUIRE(ok.err == DecodeError::kOk);
  CHECK(ok.value.as_decimal().ToString() == "1E+5");
}

TEST_CASE("ValueCodec: hostile counts are refused before anything is allocated") {
  // 4 billion list elements, 4 bytes of body.
  CHECK(Dec(B({6, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})).err == DecodeError::kCountTooLarge);
  // A count equal to the bytes left is possible for a list (all Nulls), not for a map.
  CHECK(Dec(B({6, 0, 0, 0, 3, 0, 0, 0})).err == DecodeError::kOk);
  CHECK(Dec(B({6, 0, 0, 0, 4, 0, 0, 0})).err == DecodeError::kCountTooLarge);
  CHECK(Dec(B({7, 0, 0, 0, 2, 0, 0, 0, 0, 0})).err == DecodeError::kCountTooLarge);
  CHECK(Dec(B({7, 0, 0, 0, 1, 0, 0, 0, 0, 0})).err == DecodeError::kOk);
  // A huge string length is truncation, without a copy.
  CHECK(Dec(B({4, 0xff, 0xff, 0xff, 0xff, 'a'})).err == DecodeError::kTruncated);
}

TEST_CASE("ValueCodec: max_size bounds the encoded size") {
  const std::string wire = EncodeValue(Value::Bytes(std::string(100, 'x')));  // 105 bytes
  CHECK(Dec(wire, {.max_size = 105}).err == DecodeError::kOk);
  CHECK(Dec(wire, {.max_size = 104}).err == DecodeError::kTooLarge);
  const std::string list = EncodeValue(Value::MakeList(Value::List(50)));  // 55 bytes
  CHECK(Dec(list, {.max_size = 54}).err == DecodeError::kTooLarge);
  // A short buffer within the limit is still plain truncation.
  CHECK(Dec(std::string_view(wire).substr(0, 50), {.max_size = 104}).err ==
        DecodeError::kTruncated);
}

TEST_CASE("ValueCodec: error texts") {
  CHECK(DecodeErrorText(DecodeError::kTooDeep) == "value nested too deeply");
  CHECK(DecodeErrorMessage(DecodeError::kInvalidUtf8, 7) ==
        "invalid value at offset 7: invalid UTF-8");
  for (int e = 0; e <= static_cast<int>(DecodeError::kTooLarge); ++e) {
    CHECK(!DecodeErrorText(static_cast<DecodeError>(e)).empty());
  }
}

}  // namespace
}  // namespace kv::native
