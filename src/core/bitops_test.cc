#include "core/bitops.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace kv {
namespace {

TEST_CASE("bits: count and find over bit ranges") {
  const uint8_t p[] = {0x00, 0xff, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  CHECK(bits::CountBits(p, 0, 95) == 13);
  CHECK(bits::CountBits(p, 9, 19) == 11);
  CHECK(bits::CountBits(p, 20, 94) == 0);
  CHECK(bits::CountBits(p, 5, 4) == 0);
  CHECK(bits::FindBit(p, 0, 95, true) == 8);
  CHECK(bits::FindBit(p, 20, 95, true) == 95);
  CHECK(bits::FindBit(p, 20, 94, true) == -1);
  CHECK(bits::FindBit(p, 8, 15, false) == -1);
  CHECK(bits::FindBit(p, 8, 95, false) == 20);
  CHECK(bits::FindBit(p, 3, 3, false) == 3);
}

TEST_CASE("bits: count and find agree with a bit-by-bit scan over random ranges") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 300; ++round) {
    // Long runs of 0x00 / 0xff bytes exercise the word-at-a-time paths.
    std::vector<uint8_t> buf(1 + rng() % 80);
    const int fill = static_cast<int>(rng() % 3);
    for (auto& b : buf)
      b = fill == 0 ? 0 : fill == 1 ? 0xff : static_cast<uint8_t>(rng());
    if (rng() % 2) buf[rng() % buf.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    const uint64_t nbits = buf.size() * 8;
    const uint64_t first = rng() % nbits;
    const uint64_t last = first + rng() % (nbits - first);
    uint64_t count = 0;
    int64_t first_one = -1, first_zero = -1;
    for (uint64_t i = first; i <= last; ++i) {
      const bool b = bits::GetBit(buf.data(), i);
      count += b;
      if (b && first_one < 0) first_one = static_cast<int64_t>(i);
      if (!b && first_zero < 0) first_zero = static_cast<int64_t>(i);
    }
    REQUIRE(bits::CountBits(buf.data(), first, last) == count);
    REQUIRE(bits::FindBit(buf.data(), first, last, true) == first_one);
    REQUIRE(bits::FindBit(buf.data(), first, last, false) == first_zero);
  }
}

TEST_CASE("bits: fields read and write big-endian at any offset") {
  uint8_t p[9] = {};
  bits::SetUnsigned(p, 3, 12, 0xabc);
  CHECK(bits::GetUnsigned(p, 3, 12) == 0xabc);
  CHECK(p[0] == 0x15);  // 000 10101 | 01111 00 0
  CHECK(bits::GetSigned(p, 3, 4) == -6);
  bits::SetSigned(p, 1, 64, -2);
  CHECK(bits::GetSigned(p, 1, 64) == -2);
  CHECK(bits::GetBit(p, 0) == false);
  CHECK(bits::GetBit(p, 64) == false);
  CHECK(bits::GetBit(p, 63) == true);
}

TEST_CASE("bits: BITFIELD overflow rules, Redis's corners included") {
  using bits::Overflow;
  uint64_t u = 0;
  CHECK(bits::CheckUnsignedOverflow(250, 10, 8, Overflow::kWrap, &u) == 1);
  CHECK(u == 4);
  CHECK(bits::CheckUnsignedOverflow(250, 10, 8, Overflow::kSat, &u) == 1);
  CHECK(u == 255);
  CHECK(bits::CheckUnsignedOverflow(5, -10, 8, Overflow::kSat, &u) == -1);
  CHECK(u == 0);
  CHECK(bits::CheckUnsignedOverflow(5, 10, 8, Overflow::kFail, &u) == 0);
  // SET u8 with -1: the value itself is out of range, and saturates high.
  CHECK(bits::CheckUnsignedOverflow(static_cast<uint64_t>(-1), 0, 8, Overflow::kSat, &u) == 1);
  CHECK(u == 255);
  int64_t s = 0;
  CHECK(bits::CheckSignedOverflow(120, 10, 8, Overflow::kWrap, &s) == 1);
  CHECK(s == -126);
  CHECK(bits::CheckSignedOverflow(-120, -10, 8, Overflow::kSat, &s) == -1);
  CHECK(s == -128);
  CHECK(bits::CheckSignedOverflow(INT64_MAX, 1, 64, Overflow::kWrap, &s) == 1);
  CHECK(s == INT64_MIN);
  CHECK(bits::CheckSignedOverflow(-1, 1, 64, Overflow::kFail, &s) == 0);
  // Redis's modular maxincr makes SET i8 of a value near INT64_MIN saturate to the maximum.
  CHECK(bits::CheckSignedOverflow(INT64_MIN, 0, 8, Overflow::kSat, &s) == 1);
  CHECK(s == 127);
}

}  // namespace
}  // namespace kv
