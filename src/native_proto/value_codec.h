// Value codec: the wire form of a native-protocol Value (DESIGN.md section 5, docs/native-protocol.md).
//
// A value is a type byte followed by its body; every integer is big-endian:
//   0 Null    (no body)            4 String  [len u32] + UTF-8
//   1 Int     i64                  5 Bytes   [len u32] + bytes
//   2 Float   f64 (IEEE 754 bits)  6 List    [count u32] + count values
//   3 Decimal [len u32] + ASCII    7 Map     [count u32] + count x ([len u32] + UTF-8 key, value)
// The encoder writes the canonical decimal string (Decimal::ToString). The decoder accepts any
// text Decimal::Parse accepts, validates UTF-8, bounds nesting and total size, and checks every
// length and count against the bytes that remain before allocating anything, so a hostile header
// costs nothing. It knows nothing of frames, commands or connections.
//
// Thread contract: ValueDecoder is immutable after construction; the functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "native_proto/value.h"

namespace kv::native {

// Big-endian integer helpers shared by the codec and the frame layer.
namespace wire {
inline void PutU8(std::string* out, uint8_t v) { out->push_back(static_cast<char>(v)); }
inline void PutU16(std::string* out, uint16_t v) {
  PutU8(out, static_cast<uint8_t>(v >> 8));
  PutU8(out, static_cast<uint8_t>(v));
}
inline void PutU32(std::string* out, uint32_t v) {
  PutU16(out, static_cast<uint16_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v));
}
inline void PutU64(std::string* out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v >> 32));
  PutU32(out, static_cast<uint32_t>(v));
}
// `p` must hold at least 2 / 4 / 8 bytes.
inline uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) << 8 | static_cast<uint8_t>(p[1]));
}
inline uint32_t GetU32(const char* p) {
  return static_cast<uint32_t>(GetU16(p)) << 16 | GetU16(p + 2);
}
inline uint64_t GetU64(const char* p) {
  return static_cast<uint64_t>(GetU32(p)) << 32 | GetU32(p + 4);
}
}  // namespace wire

struct DecodeLimits {
  // Containers (List/Map) nested inside one another: a scalar is depth 0, [1] is depth 1,
  // [[1]] depth 2. A value nested deeper than this is refused with kTooDeep.
  size_t max_depth = 64;
  // Encoded size of one value, in bytes (the frame payload limit by default).
  size_t max_size = 64ull * 1024 * 1024;
};

enum class DecodeError : uint8_t {
  kOk,
  kTruncated,      // the bytes end inside the value
  kUnknownType,    // a type byte above 7
  kInvalidUtf8,    // a String body or a map key is not valid UTF-8
  kInvalidDecimal, // a Decimal body that Decimal::Parse refuses
  kTooDeep,        // nesting beyond DecodeLimits::max_depth
  kCountTooLarge,  // a List/Map count that the remaining bytes cannot possibly hold
  kTooLarge,       // the value needs more than DecodeLimits::max_size bytes
};

// A short English phrase ("truncated value", "unknown value type byte", ...).
std::string_view DecodeErrorText(DecodeError e);

// Appends the encoding of `v` to *out. Never fails; String text and map keys are written as is
// (the caller keeps them valid UTF-8, the decoder on the other side checks).
void EncodeValue(const Value& v, std::string* out);
std::string EncodeValue(const Value& v);

class ValueDecoder {
 public:
  explicit ValueDecoder(DecodeLimits limits = {}) : limits_(limits) {}

  // Decodes the one value at the front of `buf`. kOk: *out holds it and *consumed its encoded
  // size (bytes after it are left alone). Otherwise *out is unspecified, *consumed is 0, and
  // *error_offset (when non-null) is the offset in `buf` of the byte where the problem was found.
  DecodeError Decode(std::string_view buf, size_t* consumed, Value* out,
                     size_t* error_offset = nullptr) const;

  const DecodeLimits& limits() const { return limits_; }

 private:
  DecodeLimits limits_;
};

// The error text a server sends with INVALID for a decode failure, e.g.
// "invalid value at offset 7: invalid UTF-8 in string".
std::string DecodeErrorMessage(DecodeError e, size_t offset);

}  // namespace kv::native
