// Value codec: the wire form of a native-protocol Value (DESIGN.md section 5, docs/native-protocol.md).
//
// A value is a type byte followed by its body; every integer is big-endian:
//   0 Null    (no body)            4 String  [len u32] + UTF-8
//   1 Int     i64                  5 Bytes   [len u32] + bytes
//   2 Float   f64 (IEEE 754 bits)  6 List    [count u32] + count values
//   3 Decimal [len u32] + ASCII    7 Map     [count u32] + count x ([len u32] + UTF-8 key, value)
// The encoder writes the canonical decimal string (Decimal::ToString). The decoder (a Value
// builder over core's WalkEncodedValue) accepts any text Decimal::Parse accepts, validates UTF-8,
// bounds nesting and total size, and checks every length and count against the bytes that remain
// before allocating anything, so a hostile header costs nothing. It knows nothing of frames,
// commands or connections.
//
// Thread contract: ValueDecoder is immutable after construction; the functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "native_proto/value.h"

namespace kv::native {

// The format, its limits and its errors are the engine's (core/value_encoding.h): one decoder,
// WalkEncodedValue, serves the engine and this codec.
namespace wire = kv::wire;
using kv::DecodeError;
using kv::DecodeErrorMessage;
using kv::DecodeErrorText;
using kv::DecodeLimits;

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

}  // namespace kv::native
