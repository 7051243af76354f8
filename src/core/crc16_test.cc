#include "core/crc16.h"

#include <doctest/doctest.h>

#include <string>

namespace kv {

TEST_CASE("crc16: Redis's test vector") {
  CHECK(Crc16("123456789") == 0x31C3);
  CHECK(Crc16("") == 0);
}

TEST_CASE("crc16: key slots as Redis computes them") {
  // Values from redis-server 7.0's CLUSTER KEYSLOT.
  CHECK(KeyHashSlot("foo") == 12182);
  CHECK(KeyHashSlot("bar") == 5061);
  CHECK(KeyHashSlot("somekey") == 11058);
  CHECK(KeyHashSlot("") == 0);
  CHECK(KeyHashSlot("{user1000}.following") == KeyHashSlot("{user1000}.followers"));
  CHECK(KeyHashSlot("{user1000}.following") == KeyHashSlot("user1000"));
  // An empty tag hashes the whole key.
  CHECK(KeyHashSlot("foo{}{bar}") == (Crc16("foo{}{bar}") & 16383));
  // The tag ends at the first '}' after the first '{'.
  CHECK(KeyHashSlot("foo{{bar}}zap") == KeyHashSlot("{bar"));
  CHECK(KeyHashSlot("foo{{bar}}zap") == (Crc16("{bar") & 16383));
  CHECK(KeyHashSlot("foo{bar}{zap}") == KeyHashSlot("bar"));
  // No closing brace: the whole key.
  CHECK(KeyHashSlot("foo{bar") == (Crc16("foo{bar") & 16383));
  CHECK(KeyHashSlot("}foo{bar}") == KeyHashSlot("bar"));
  // Binary keys.
  const std::string bin("\x00\xff{\x01}", 5);
  CHECK(KeyHashSlot(bin) == (Crc16(std::string_view("\x01", 1)) & 16383));
}

}  // namespace kv
