#include "core/bitops.h"

#include <bit>
#include <cstring>
#include <limits>

namespace kv::bits {

namespace {

// Mask of the bits of a byte from bit position `from` (0 = MSB) through `to`, inclusive.
uint8_t ByteMask(unsigned from, unsigned to) {
  return static_cast<uint8_t>((0xffu >> from) & (0xffu << (7 - to)));
}

}  // namespace

uint64_t CountBits(const uint8_t* p, uint64_t first, uint64_t last) {
  if (first > last) return 0;
  const uint64_t fb = first >> 3, lb = last >> 3;
  if (fb == lb) return std::popcount(static_cast<unsigned>(p[fb] & ByteMask(first & 7, last & 7)));
  uint64_t n = std::popcount(static_cast<unsigned>(p[fb] & ByteMask(first & 7, 7)));
  n += std::popcount(static_cast<unsigned>(p[lb] & ByteMask(0, last & 7)));
  uint64_t i = fb + 1;
  for (; i + 8 <= lb; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    n += std::popcount(w);
  }
  for (; i < lb; ++i) n += std::popcount(static_cast<unsigned>(p[i]));
  return n;
}

int64_t FindBit(const uint8_t* p, uint64_t first, uint64_t last, bool bit) {
  if (first > last) return -1;
  const uint8_t skip = bit ? 0x00 : 0xff;  // a byte that cannot hold the bit sought
  auto scan_byte = [&](uint64_t byte, unsigned from, unsigned to) -> int64_t {
    for (unsigned b = from; b <= to; ++b)
      if (((p[byte] >> (7 - b)) & 1) == bit) return static_cast<int64_t>(byte * 8 + b);
    return -1;
  };
  const uint64_t fb = first >> 3, lb = last >> 3;
  if (fb == lb) return scan_byte(fb, first & 7, last & 7);
  if (int64_t pos = scan_byte(fb, first & 7, 7); pos >= 0) return pos;
  uint64_t i = fb + 1;
  const uint64_t skip_word = bit ? 0 : std::numeric_limits<uint64_t>::max();
  for (; i + 8 <= lb; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (w != skip_word) break;
  }
  for (; i < lb; ++i)
    if (p[i] != skip) return scan_byte(i, 0, 7);
  return scan_byte(lb, 0, last & 7);
}

uint64_t GetUnsigned(const uint8_t* p, uint64_t offset, unsigned bits) {
  uint64_t v = 0;
  for (unsigned j = 0; j < bits; ++j) v = (v << 1) | (GetBit(p, offset + j) ? 1 : 0);
  return v;
}

int64_t GetSigned(const uint8_t* p, uint64_t offset, unsigned bits) {
  uint64_t v = GetUnsigned(p, offset, bits);
  // Two's complement: spread the field's sign bit over the higher bits.
  if (bits < 64 && (v & (uint64_t{1} << (bits - 1)))) v |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(v);
}

void SetUnsigned(uint8_t* p, uint64_t offset, unsigned bits, uint64_t value) {
  for (unsigned j = 0; j < bits; ++j) SetBit(p, offset + j, (value >> (bits - 1 - j)) & 1);
}

int CheckUnsignedOverflow(uint64_t value, int64_t incr, unsigned bits, Overflow ow,
                          uint64_t* limit) {
  const uint64_t max = bits == 64 ? std::numeric_limits<uint64_t>::max()
                                  : (uint64_t{1} << bits) - 1;
  // Redis computes these in int64_t from unsigned operands: modular, then reinterpreted.
  const auto maxincr = static_cast<int64_t>(max - value);
  const auto minincr = static_cast<int64_t>(uint64_t{0} - value);
  auto wrap = [&] {
    const uint64_t mask = bits == 64 ? 0 : ~uint64_t{0} << bits;
    *limit = (value + static_cast<uint64_t>(incr)) & ~mask;
    return 1;
  };
  if (value > max || (incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = max;
    return 1;
  }
  if (incr < 0 && incr < minincr) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = 0;
    return -1;
  }
  return 0;
}

int CheckSignedOverflow(int64_t value, int64_t incr, unsigned bits, Overflow ow,
                        int64_t* limit) {
  const int64_t max = bits == 64 ? std::numeric_limits<int64_t>::max()
                                 : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  // Modular, as Redis computes them (its comment: used only where they cannot have wrapped;
  // where they did, its answer is what it is, and ours must be the same).
  const auto maxincr = static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const auto minincr = static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  auto wrap = [&] {
    const uint64_t msb = uint64_t{1} << (bits - 1);
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      const uint64_t mask = ~uint64_t{0} << bits;
      c = (c & msb) ? (c | mask) : (c & ~mask);
    }
    *limit = static_cast<int64_t>(c);
    return 1;
  };
  if (value > max || (bits != 64 && incr > maxincr) ||
      (value >= 0 && incr > 0 && incr > maxincr)) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = max;
    return 1;
  }
  if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
    if (ow == Overflow::kWrap) return wrap();
    if (ow == Overflow::kSat) *limit = min;
    return -1;
  }
  return 0;
}

}  // namespace kv::bits
