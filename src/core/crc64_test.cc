#include "core/crc64.h"

#include <doctest/doctest.h>

namespace kv {

TEST_CASE("crc64: Redis's check value") {
  CHECK(Crc64(0, "123456789") == 0xe9c6d914c4b8d9caULL);
  CHECK(Crc64(0, "") == 0);
  // Continuing over a split gives the same result as one pass.
  CHECK(Crc64(Crc64(0, "1234"), "56789") == 0xe9c6d914c4b8d9caULL);
}

}  // namespace kv
