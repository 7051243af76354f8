#include "persist/rdb_value.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/crc64.h"

namespace kv {

namespace {

RdbValue Make(RdbValue::Kind kind, bool compact, std::vector<std::string> items,
              std::vector<double> scores = {}) {
  RdbValue v;
  v.kind = kind;
  v.compact = compact;
  v.items = std::move(items);
  v.scores = std::move(scores);
  return v;
}

RdbValue RoundTrip(const RdbValue& v) {
  RdbValue out;
  REQUIRE(ParseRdbValue(DumpRdbValue(v), &out) == RdbError::kOk);
  CHECK(out.kind == v.kind);
  return out;
}

// A payload with a valid footer around `body` (type byte included).
std::string Seal(std::string body, char version = 10) {
  body.push_back(version);
  body.push_back(0);
  const uint64_t crc = Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  return body;
}

std::vector<std::string> Ints(int64_t from, int n, int64_t step) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(std::to_string(from + i * step));
  return out;
}

}  // namespace

TEST_CASE("rdb value: strings, raw, integer and LZF forms") {
  for (const std::string& s : {std::string(), std::string("hello"), std::string("-5"),
                              std::string("300"), std::string("-70000"), std::string("012"),
                              std::string("9223372036854775807"), std::string(1000, 'a'),
                              std::string("\0\xff\x01", 3)}) {
    const RdbValue out = RoundTrip(Make(RdbValue::Kind::kString, false, {s}));
    CHECK(out.items == std::vector<std::string>{s});
  }
  // A long repetitive string is stored compressed (type, 0xC3 LZF marker).
  const std::string dump = DumpRdbValue(Make(RdbValue::Kind::kString, false, {std::string(1000, 'a')}));
  CHECK(dump.size() < 100);
  CHECK(static_cast<uint8_t>(dump[1]) == 0xC3);
}

TEST_CASE("rdb value: lists split into listpack nodes") {
  std::vector<std::string> items = Ints(-100000, 300, 777);
  items.push_back(std::string(5000, 'x'));
  items.push_back("");
  items.push_back(std::string(70, 'y'));
  items.push_back(std::string(10000, 'z'));
  const RdbValue out = RoundTrip(Make(RdbValue::Kind::kList, false, items));
  CHECK(out.items == items);
}

TEST_CASE("rdb value: sets as intset and as plain set") {
  for (int64_t step : {int64_t{1}, int64_t{40000}, int64_t{5000000000}}) {
    const std::vector<std::string> items = Ints(-3 * step, 7, step);
    RdbValue out = RoundTrip(Make(RdbValue::Kind::kSet, true, items));
    CHECK(out.compact);
    CHECK(out.items == items);  // sorted already
  }
  const std::vector<std::string> mixed{"a", "1", "bcd"};
  RdbValue out = RoundTrip(Make(RdbValue::Kind::kSet, true, mixed));
  CHECK_FALSE(out.compact);  // Redis 7.0 has no set listpack
  CHECK(out.items == mixed);
}

TEST_CASE("rdb value: hashes in both encodings") {
  const std::vector<std::string> items{"f", "v", "n", "-12", "big", std::string(300, 'b'), "e", ""};
  for (bool compact : {true, false}) {
    const RdbValue out = RoundTrip(Make(RdbValue::Kind::kHash, compact, items));
    CHECK(out.compact == compact);
    CHECK(out.items == items);
  }
}

TEST_CASE("rdb value: sorted sets in both encodings") {
  const std::vector<std::string> members{"a", "b", "c", "d", "e", "f"};
  const std::vector<double> scores{-INFINITY, -2.5, 0, 3, 1e300, INFINITY};
  for (bool compact : {true, false}) {
    RdbValue out = RoundTrip(Make(RdbValue::Kind::kZSet, compact, members, scores));
    CHECK(out.compact == compact);
    if (!compact) {  // written from the highest score down
      std::reverse(out.items.begin(), out.items.end());
      std::reverse(out.scores.begin(), out.scores.end());
    }
    CHECK(out.items == members);
    CHECK(out.scores == scores);
  }
  RdbValue out = RoundTrip(Make(RdbValue::Kind::kZSet, true, {"x"}, {0.1}));
  CHECK(out.scores[0] == 0.1);
}

TEST_CASE("rdb value: payloads Redis 7.0.15 wrote") {
  RdbValue v;
  // DUMP of a string "bar", of a list [a, b, 1] and of a set {1, 2, 3} (intset).
  REQUIRE(ParseRdbValue(Seal(std::string("\x00\x03" "bar", 5)), &v) == RdbError::kOk);
  CHECK(v.items == std::vector<std::string>{"bar"});
  const std::string lp("\x0f\x00\x00\x00\x03\x00\x81\x61\x02\x81\x62\x02\x01\x01\xff", 15);
  REQUIRE(ParseRdbValue(Seal(std::string("\x12\x01\x02\x0f", 4) + lp), &v) == RdbError::kOk);
  CHECK(v.kind == RdbValue::Kind::kList);
  CHECK(v.items == std::vector<std::string>{"a", "b", "1"});
  const std::string is("\x02\x00\x00\x00\x03\x00\x00\x00\x01\x00\x02\x00\x03\x00", 14);
  REQUIRE(ParseRdbValue(Seal(std::string("\x0b\x0e", 2) + is), &v) == RdbError::kOk);
  CHECK(v.items == std::vector<std::string>{"1", "2", "3"});
  // Old forms: a linked list, a zset with text scores.
  REQUIRE(ParseRdbValue(Seal(std::string("\x01\x02\x01x\xc0\x07", 6)), &v) == RdbError::kOk);
  CHECK(v.items == std::vector<std::string>{"x", "7"});
  REQUIRE(ParseRdbValue(Seal(std::string("\x03\x02\x01m\x03" "1.5\x01n\xfe", 11)), &v) ==
          RdbError::kOk);
  CHECK(v.scores == std::vector<double>{1.5, INFINITY});
}

TEST_CASE("rdb value: malformed payloads") {
  RdbValue v;
  const std::string good = DumpRdbValue(Make(RdbValue::Kind::kString, false, {"hello"}));
  CHECK(ParseRdbValue("", &v) == RdbError::kBadFooter);
  CHECK(ParseRdbValue("short", &v) == RdbError::kBadFooter);
  std::string flipped = good;
  flipped[2] ^= 1;
  CHECK(ParseRdbValue(flipped, &v) == RdbError::kBadFooter);
  // A newer RDB version, correctly checksummed, is refused as Redis 7.0 does.
  CHECK(ParseRdbValue(Seal(std::string("\x00\x01x", 3), 11), &v) == RdbError::kBadFooter);
  CHECK(ParseRdbValue(Seal(std::string("\x00\x01x", 3), 9), &v) == RdbError::kOk);
  // Well sealed, bad bodies.
  for (const std::string& body : {
           std::string(),                                    // no type
           std::string("\x00\x05" "ab", 4),                  // string cut short
           std::string("\x06\x00", 2),                       // module type
           std::string("\x0a\x00", 2),                       // ziplist list: refused
           std::string("\x02\x00", 2),                       // empty set
           std::string("\x02\x02\x01" "a\x01" "a", 6),       // duplicate member
           std::string("\x04\x01\x01" "f", 4),               // hash missing its value
           std::string("\x05\x01\x01m\x00\x00\x00\x00\x00\x00\xf8\x7f", 12),  // NaN score
           std::string("\x03\x01\x01m\xfd", 5),              // NaN text score
           std::string("\x0b\x0e\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00", 14),  // unsorted
           std::string("\x0b\x04\x03\x00\x00\x00", 6),       // bad intset width
           std::string("\x12\x01\x02\x07\x07\x00\x00\x00\x01\x00\xff", 11),  // count mismatch
           std::string("\x12\x01\x03\x01" "a", 4),           // unknown node container
           std::string("\x12\x01\x02\x07\x08\x00\x00\x00\x00\x00\xff", 11),  // size mismatch
           std::string("\x12\x01\x02\x09\x09\x00\x00\x00\x01\x00\x05\x02\xff", 13),  // backlen
           std::string("\x12\x01\x02\x08\x08\x00\x00\x00\x01\x00\xf5\xff", 12),  // bad tag
           std::string("\x00\xc3\x02\x40\x00\x00\x00", 7),   // LZF length past the ratio bound
           std::string("\x00\xc3\x02\x05\x00\x01", 6),       // LZF that does not decompress
           std::string("\x00\x82", 2),                       // unknown length form
           std::string("\x02\x80\xff\xff\xff\xff", 6),       // count past the payload
           std::string("\x11\x0a\x0a\x00\x00\x00\x01\x00\x81m\x02\xff", 12),  // odd zset listpack
       }) {
    CAPTURE(body);
    CHECK(ParseRdbValue(Seal(body), &v) == RdbError::kBadData);
  }
}

}  // namespace kv
