#include "commands/sort_family.h"

#include <doctest/doctest.h>

#include "commands/command_table.h"
#include "core/object.h"
#include "core/shard.h"
#include "test_harness.h"

#include <string>
#include <string_view>
#include <vector>

namespace kv::sort {

TEST_CASE("sort LimitWindow clamps offset and count as Redis") {
  auto w = [](int64_t off, int64_t count, int64_t len) {
    const Window x = LimitWindow(off, count, len);
    return std::vector<int64_t>{x.start, x.end, x.size()};
  };
  CHECK(w(0, -1, 5) == std::vector<int64_t>{0, 4, 5});   // no LIMIT: everything
  CHECK(w(1, 2, 5) == std::vector<int64_t>{1, 2, 2});
  CHECK(w(-3, 2, 5) == std::vector<int64_t>{0, 1, 2});   // a negative offset is 0
  CHECK(w(2, -7, 5) == std::vector<int64_t>{2, 4, 3});   // a negative count: to the end
  CHECK(w(3, 100, 5) == std::vector<int64_t>{3, 4, 2});
  CHECK(w(2, 0, 5).back() == 0);
  CHECK(w(5, 1, 5).back() == 0);                          // offset past the end
  CHECK(w(INT64_MAX, INT64_MAX, 5).back() == 0);
  CHECK(w(0, INT64_MAX, 5) == std::vector<int64_t>{0, 4, 5});
  CHECK(w(0, -1, 0).back() == 0);                         // empty input
}

TEST_CASE("sort ExpandPattern substitutes the first star and splits ->field") {
  Expanded e;
  REQUIRE(ExpandPattern("w_*", "a", &e));
  CHECK(e.key == "w_a");
  CHECK_FALSE(e.has_field);
  REQUIRE(ExpandPattern("h_*_x->f", "7", &e));
  CHECK(e.key == "h_7_x");
  CHECK(e.has_field);
  CHECK(e.field == "f");
  REQUIRE(ExpandPattern("*-*", "a", &e));  // only the first star
  CHECK(e.key == "a-*");
  REQUIRE(ExpandPattern("h_*->", "a", &e));  // an empty field name is part of the key
  CHECK(e.key == "h_a->");
  CHECK_FALSE(e.has_field);
  REQUIRE(ExpandPattern("a->b*", "x", &e));  // "->" counts only after the star
  CHECK(e.key == "a->bx");
  CHECK_FALSE(e.has_field);
  CHECK_FALSE(ExpandPattern("nosort", "x", &e));
  // Searched as a C string: a star after a NUL byte is not a star.
  CHECK_FALSE(ExpandPattern(std::string_view("k\0*", 3), "x", &e));
}

TEST_CASE("sort patterns: # and nosort") {
  CHECK(IsSelfPattern("#"));
  CHECK_FALSE(IsSelfPattern("#a"));
  CHECK(PatternSorts("w_*"));
  CHECK_FALSE(PatternSorts("nosort"));
}

TEST_CASE("sort ParseScore reads numbers as strtod over the whole string") {
  double d = -1;
  CHECK(ParseScore("1.5", &d));
  CHECK(d == 1.5);
  CHECK(ParseScore("", &d));  // nothing to convert: 0, as in Redis
  CHECK(d == 0);
  CHECK(ParseScore(" 3", &d));
  CHECK(ParseScore("inf", &d));
  CHECK(ParseScore("0x10", &d));
  CHECK(d == 16);
  CHECK_FALSE(ParseScore("3 ", &d));
  CHECK_FALSE(ParseScore("abc", &d));
  CHECK_FALSE(ParseScore("nan", &d));
  CHECK_FALSE(ParseScore("1e400", &d));
}

TEST_CASE("sort ReadsPatternKeys: BY and GET patterns that name keys") {
  using V = std::vector<std::string_view>;
  auto reads = [](V v) { return ReadsPatternKeys(v); };
  CHECK_FALSE(reads({"SORT", "k"}));
  CHECK_FALSE(reads({"SORT", "k", "BY", "nosort", "GET", "#"}));
  CHECK(reads({"SORT", "k", "by", "w_*"}));
  CHECK(reads({"SORT", "k", "GET", "#", "get", "h_*->f"}));
  CHECK_FALSE(reads({"SORT", "k", "STORE", "by", "LIMIT", "get", "by"}));
}

}  // namespace kv::sort

namespace kv {
namespace {

using test::Bulk;
using test::Harness;
using test::Int;

std::string Arr(std::initializer_list<std::string_view> items) {
  std::string out = "*" + std::to_string(items.size()) + "\r\n";
  for (std::string_view s : items) out += Bulk(s);
  return out;
}

TEST_CASE("SORT's keys: the source and the STORE destination a call that parses writes") {
  Harness h;
  const CommandSpec* s = h.table().Find("sort");
  REQUIRE(s);
  std::vector<size_t> pos;
  auto keys = [&](std::vector<std::string_view> args) {
    s->KeyPositions(args, &pos);
    return pos;
  };
  using V = std::vector<size_t>;
  CHECK(keys({"SORT", "k"}) == V{1});
  CHECK(keys({"SORT", "k", "STORE", "d"}) == V{1, 3});
  // STORE's argument is not read as an option (Redis's sortGetKeys would report "limit").
  CHECK(keys({"SORT", "k", "STORE", "limit", "STORE", "d"}) == V{1, 5});
  CHECK(keys({"SORT", "k", "STORE", "by", "ALPHA", "STORE", "d"}) == V{1, 6});
  CHECK(keys({"SORT", "k", "GET", "store", "STORE", "d"}) == V{1, 5});
  CHECK(keys({"SORT", "k", "LIMIT", "0", "1", "STORE", "d", "GET", "store", "BY", "x"}) ==
        V{1, 6});
  CHECK(keys({"SORT", "k", "STORE"}) == V{1});
  CHECK(s->write_keys_from == 2);  // ACL: the source is read, the destination written
}

TEST_CASE("SORT ALPHA: a reply compares C strings, STORE whole bytes; set ties by bytes") {
  Harness h;
  const std::string az("a\0z", 3), ab("a\0b", 3);
  REQUIRE(h.Run({"RPUSH", "l", az, "b", "a", ab}) == Int(4));
  CHECK(h.Run({"SORT", "l", "ALPHA"}) == Arr({az, "a", ab, "b"}));  // ties keep their order
  CHECK(h.Run({"SORT", "l", "ALPHA", "STORE", "d"}) == Int(4));
  CHECK(h.Run({"LRANGE", "d", "0", "-1"}) == Arr({"a", ab, az, "b"}));
  REQUIRE(h.Run({"SADD", "s", az, "a", ab}) == Int(3));
  CHECK(h.Run({"SORT", "s", "ALPHA"}) == Arr({"a", ab, az}));
  CHECK(h.Run({"SORT", "s", "ALPHA", "DESC"}) == Arr({az, ab, "a"}));
}

TEST_CASE("SORT makes a small sorted set a tree: memory accounted, no write counted") {
  Harness h;
  REQUIRE(h.Run({"ZADD", "z", "1", "a", "2", "b"}) == Int(2));
  Shard& shard = h.client().ns->ShardFor("z");
  auto container = [&] {
    Entry* e = shard.Peek("z", 0);
    REQUIRE(e);
    return static_cast<int64_t>(ContainerBytes(*e));
  };
  const int64_t memory_before = shard.memory_bytes(), container_before = container();
  const uint64_t writes = t_data_changes;
  CHECK(h.Run({"SORT_RO", "z", "ALPHA"}) == Arr({"a", "b"}));
  CHECK(t_data_changes == writes);
  CHECK(h.Run({"OBJECT", "ENCODING", "z"}) == Bulk("skiplist"));
  CHECK(container() != container_before);
  CHECK(shard.memory_bytes() - memory_before == container() - container_before);
}

}  // namespace
}  // namespace kv
