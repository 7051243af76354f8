// Value encoding walker (the one decoder of the format; native_proto's value_codec_test covers
// the round trips through native::Value), SendEncodedValue's replies, nested entries in a shard,
// and SameValue.
#include "core/value_encoding.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/object.h"
#include "core/reply_builder.h"
#include "core/scalar.h"
#include "core/shard.h"

namespace kv {
namespace {

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Records what a walk or a reply visits as one line of text.
struct Trace final : EncodedValueVisitor {
  std::string out;
  void Null() override { out += "null "; }
  void Int(int64_t v) override { out += "i" + std::to_string(v) + " "; }
  void Float(double v) override { out += "f" + std::to_string(v) + " "; }
  void Dec(const Decimal& v) override {
    char buf[Decimal::kMaxStringSize];
    out += "d" + std::string(buf, v.ToString(buf)) + " ";
  }
  void String(std::string_view s) override { out += "s:" + std::string(s) + " "; }
  void Bytes(std::string_view s) override { out += "b:" + std::string(s) + " "; }
  void BeginList(uint32_t n) override { out += "[" + std::to_string(n) + " "; }
  void BeginMap(uint32_t n) override { out += "{" + std::to_string(n) + " "; }
  void MapKey(std::string_view k) override { out += "k:" + std::string(k) + " "; }
  void EndContainer() override { out += "end "; }
};

struct Walked {
  DecodeError err;
  std::string trace;
  size_t consumed = 0;
  size_t offset = 0;
};

Walked Walk(std::string_view buf, DecodeLimits limits = {}) {
  Trace t;
  Walked w;
  w.err = WalkEncodedValue(buf, limits, t, &w.consumed, &w.offset);
  w.trace = t.out;
  return w;
}

// A ReplyBuilder that records calls, as the RESP writers would see them.
struct RecordingBuilder final : ReplyBuilder {
  std::string out;
  void SendSimple(std::string_view s) override { out += "+" + std::string(s) + " "; }
  void SendError(std::string_view s) override { out += "-" + std::string(s) + " "; }
  void SendLong(int64_t v) override { out += ":" + std::to_string(v) + " "; }
  void SendDouble(double v) override { out += "," + std::to_string(v) + " "; }
  void SendBulk(std::string_view s) override { out += "$" + std::string(s) + " "; }
  void SendVerbatim(std::string_view s, std::string_view) override {
    out += "=" + std::string(s) + " ";
  }
  void SendNull() override { out += "nil "; }
  void SendNullArray() override { out += "nil* "; }
  void SendBool(bool v) override { out += v ? "#t " : "#f "; }
  void StartArray(uint32_t n) override { out += "*" + std::to_string(n) + " "; }
  void StartMap(uint32_t n) override { out += "%" + std::to_string(n) + " "; }
  void StartSet(uint32_t n) override { out += "~" + std::to_string(n) + " "; }
  size_t StartDeferredArray() override { return out.size(); }
  void EndDeferredArray(size_t at, uint32_t n) override {
    out.insert(at, "*" + std::to_string(n) + " ");
  }
  void SendScalar(const ScalarView& v) override {
    char buf[kScalarBufSize];
    out += "$" + std::string(CanonicalString(v, buf)) + " ";
  }
};

// {"name": "Ada", "tags": ["x", null]} (the spec's GET typed map vector).
const std::string kMap = B({0x07, 0, 0, 0, 2, 0, 0, 0, 4, 'n', 'a', 'm', 'e', 0x04, 0, 0, 0, 3,
                            'A', 'd', 'a', 0, 0, 0, 4, 't', 'a', 'g', 's', 0x06, 0, 0, 0, 2,
                            0x04, 0, 0, 0, 1, 'x', 0x00});

TEST_CASE("value encoding: walks scalars and containers depth-first") {
  CHECK(Walk(B({0x00})).trace == "null ");
  CHECK(Walk(B({0x01, 0, 0, 0, 0, 0, 0, 0, 42})).trace == "i42 ");
  CHECK(Walk(B({0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})).trace == "i-1 ");
  CHECK(Walk(B({0x02, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0})).trace == "f1.500000 ");
  CHECK(Walk(B({0x03, 0, 0, 0, 3, '1', 'e', '5'})).trace == "d1E+5 ");
  CHECK(Walk(B({0x05, 0, 0, 0, 2, 'h', 'i'})).trace == "b:hi ");
  const Walked m = Walk(kMap + "trailing");
  REQUIRE(m.err == DecodeError::kOk);
  CHECK(m.consumed == kMap.size());
  CHECK(m.trace == "{2 k:name s:Ada k:tags [2 s:x null end end ");
}

TEST_CASE("value encoding: every error is reported with its offset") {
  CHECK(Walk("").err == DecodeError::kTruncated);
  CHECK(Walk(B({0x01, 0, 0})).err == DecodeError::kTruncated);
  const Walked unknown = Walk(B({0x06, 0, 0, 0, 1, 0x08}));
  CHECK(unknown.err == DecodeError::kUnknownType);
  CHECK(unknown.offset == 5);
  CHECK(unknown.consumed == 0);
  CHECK(Walk(B({0x04, 0, 0, 0, 2, 0xc3, 0x28})).err == DecodeError::kInvalidUtf8);
  CHECK(Walk(B({0x03, 0, 0, 0, 3, 'N', 'a', 'N'})).err == DecodeError::kInvalidDecimal);
  CHECK(Walk(B({0x06, 0xff, 0xff, 0xff, 0xff})).err == DecodeError::kCountTooLarge);
  CHECK(Walk(B({0x06, 0, 0, 0, 1, 0x06, 0, 0, 0, 0}), {1, 1024}).err == DecodeError::kTooDeep);
  CHECK(Walk(B({0x05, 0, 0, 0, 4, 'a', 'b', 'c', 'd'}), {64, 6}).err == DecodeError::kTooLarge);
  CHECK(DecodeErrorMessage(DecodeError::kInvalidUtf8, 7) ==
        "invalid value at offset 7: invalid UTF-8");
}

TEST_CASE("value encoding: SendEncodedValue replies with the aggregate") {
  RecordingBuilder rb;
  SendEncodedValue(kMap, rb);
  CHECK(rb.out == "%2 $name $Ada $tags *2 $x nil ");
  RecordingBuilder nums;
  SendEncodedValue(B({0x06, 0, 0, 0, 3, 0x01, 0, 0, 0, 0, 0, 0, 0, 7, 0x03, 0, 0, 0, 4, '2', '.',
                      '5', '0', 0x00}),
                   nums);
  CHECK(nums.out == "*3 :7 $2.50 nil ");
  RecordingBuilder null;
  SendEncodedValue(B({0x00}), null);
  CHECK(null.out == "nil ");
}

TEST_CASE("value encoding: a shard stores a Null as type and bytes, a Map as a hash") {
  Shard shard;
  std::string null = B({0x00});
  shard.Set("n", ScalarView::Nested(null), kNoExpire);
  null.assign(null.size(), 'x');  // the entry holds its own copy
  const Entry* n = shard.Find("n", 0);
  REQUIRE(n != nullptr);
  CHECK(n->type() == ScalarType::kNested);
  CHECK(SameValue(n->value(), ScalarView::Nested(B({0x00}))));
  // A Map is the key's hash (its nested List value kept whole) and reads back as the same Map.
  std::string encoded = kMap;
  shard.Set("k", ScalarView::Nested(encoded), kNoExpire);
  encoded.assign(encoded.size(), 'x');
  const Entry* e = shard.Find("k", 0);
  REQUIRE(e != nullptr);
  CHECK(TypeOf(*e) == ObjType::kHash);
  std::string whole;
  CHECK(SameValue(WholeValue(*e, &whole), ScalarView::Nested(kMap)));
}

TEST_CASE("SameValue compares type and value") {
  CHECK(SameValue(ScalarView::Int(42), ScalarView::Int(42)));
  CHECK_FALSE(SameValue(ScalarView::Int(42), ScalarView::Bytes("42")));
  CHECK_FALSE(SameValue(ScalarView::String("a"), ScalarView::Bytes("a")));
  CHECK(SameValue(ScalarView::String("a"), ScalarView::String("a")));
  CHECK(SameValue(ScalarView::Float(2.5), ScalarView::Float(2.5)));
  CHECK_FALSE(SameValue(ScalarView::Float(0.0), ScalarView::Float(-0.0)));
  CHECK_FALSE(SameValue(ScalarView::Float(2.5), ScalarView::Dec(*Decimal::Parse("2.5"))));
  CHECK(SameValue(ScalarView::Dec(*Decimal::Parse("2.5")), ScalarView::Dec(*Decimal::Parse("2.5"))));
  CHECK_FALSE(
      SameValue(ScalarView::Dec(*Decimal::Parse("2.50")), ScalarView::Dec(*Decimal::Parse("2.5"))));
  CHECK(SameValue(ScalarView::Dec(*Decimal::Parse("1e5")), ScalarView::Dec(*Decimal::Parse("1E+5"))));
  CHECK(SameValue(ScalarView::Nested(B({0x00})), ScalarView::Nested(B({0x00}))));
  CHECK_FALSE(SameValue(ScalarView::Nested(B({0x00})), ScalarView::Bytes(B({0x00}))));
}

}  // namespace
}  // namespace kv
