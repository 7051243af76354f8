#include "core/repl_backlog.h"

#include <doctest/doctest.h>

#include <string>

namespace kv {
namespace {

std::string From(const ReplBacklog& b, uint64_t offset) {
  std::string out;
  b.CopyFrom(offset, &out);
  return out;
}

TEST_CASE("ReplBacklog: offsets count bytes from 1, as Redis's") {
  ReplBacklog b(8, 0);
  CHECK(b.end_offset() == 0);
  CHECK(b.histlen() == 0);
  CHECK(b.first_offset() == 1);
  CHECK(b.Covers(1));  // nothing to send, but a continue is possible
  CHECK_FALSE(b.Covers(2));
  b.Append("abc");
  CHECK(b.end_offset() == 3);
  CHECK(b.first_offset() == 1);
  CHECK(From(b, 1) == "abc");
  CHECK(From(b, 3) == "c");
  CHECK(From(b, 4).empty());
  CHECK_FALSE(b.Covers(0));
  CHECK_FALSE(b.Covers(5));
}

TEST_CASE("ReplBacklog: wraps around and forgets the oldest bytes") {
  ReplBacklog b(8, 100);
  b.Append("abcdef");   // offsets 101-106
  b.Append("ghijk");    // 107-111: the ring wrapped, a b c are gone
  CHECK(b.end_offset() == 111);
  CHECK(b.histlen() == 8);
  CHECK(b.first_offset() == 104);
  CHECK_FALSE(b.Covers(103));
  CHECK(From(b, 104) == "defghijk");
  CHECK(From(b, 109) == "ijk");
  b.Append("0123456789");  // longer than the ring: only its last 8 bytes stay
  CHECK(b.end_offset() == 121);
  CHECK(From(b, 114) == "23456789");
  CHECK_FALSE(b.Covers(113));
}

TEST_CASE("ReplBacklog: resizing keeps the newest bytes and the offsets") {
  ReplBacklog b(8, 0);
  b.Append("abcdefghij");
  b.Resize(4);
  CHECK(b.end_offset() == 10);
  CHECK(b.first_offset() == 7);
  CHECK(From(b, 7) == "ghij");
  b.Resize(16);
  CHECK(From(b, 7) == "ghij");
  b.Append("klmnopqrstuv");
  CHECK(b.histlen() == 16);
  CHECK(From(b, 7) == "ghijklmnopqrstuv");
}

}  // namespace
}  // namespace kv
