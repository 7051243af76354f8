// Bit operations on byte strings, as Redis's bitmap commands see a string: bit 0 is the most
// significant bit of byte 0, and bit fields read and write big-endian across bytes.
//
// Pure functions on caller-owned bytes, shared by SETBIT, BITCOUNT, BITPOS and BITFIELD; the
// overflow rules of BITFIELD (WRAP, SAT, FAIL) are Redis 7's to the last corner, including
// the ones that follow from its unsigned arithmetic.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv::bits {

inline bool GetBit(const uint8_t* p, uint64_t offset) {
  return (p[offset >> 3] >> (7 - (offset & 7))) & 1;
}
inline void SetBit(uint8_t* p, uint64_t offset, bool on) {
  const uint8_t mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
  p[offset >> 3] = static_cast<uint8_t>(on ? (p[offset >> 3] | mask) : (p[offset >> 3] & ~mask));
}

// Set bits among bits first..last (inclusive) of `p`, which must hold them.
uint64_t CountBits(const uint8_t* p, uint64_t first, uint64_t last);
// Position of the first bit equal to `bit` among bits first..last, or -1.
int64_t FindBit(const uint8_t* p, uint64_t first, uint64_t last, bool bit);

// Bit fields of 1..64 bits at any bit offset; `p` must hold them.
uint64_t GetUnsigned(const uint8_t* p, uint64_t offset, unsigned bits);
int64_t GetSigned(const uint8_t* p, uint64_t offset, unsigned bits);
void SetUnsigned(uint8_t* p, uint64_t offset, unsigned bits, uint64_t value);
inline void SetSigned(uint8_t* p, uint64_t offset, unsigned bits, int64_t value) {
  SetUnsigned(p, offset, bits, static_cast<uint64_t>(value));
}

enum class Overflow { kWrap, kSat, kFail };

// Whether `value + incr` leaves the range of an unsigned (bits <= 63) or signed (bits <= 64)
// field: 0 no, else non-zero, with *limit set to what WRAP or SAT stores (untouched for FAIL).
int CheckUnsignedOverflow(uint64_t value, int64_t incr, unsigned bits, Overflow ow,
                          uint64_t* limit);
int CheckSignedOverflow(int64_t value, int64_t incr, unsigned bits, Overflow ow,
                        int64_t* limit);

}  // namespace kv::bits
