// Value encoding: the one byte format for typed values that are not plain scalars.
//
// The engine stores a Null, List or Map value (ScalarType::kNested) as these bytes, and the
// native protocol (src/native_proto, docs/native-protocol.md section 3) carries every value in
// the same format, so a stored nested value is exactly what a native client sent, re-encoded in
// canonical form. It lives in core because the engine must read it back (GET over RESP walks it
// into ReplyBuilder calls); native_proto builds its Value decoder on WalkEncodedValue, so there
// is one decoder.
//
//   0 Null    (no body)            4 String  [len u32] + UTF-8
//   1 Int     i64                  5 Bytes   [len u32] + bytes
//   2 Float   f64 (IEEE 754 bits)  6 List    [count u32] + count values
//   3 Decimal [len u32] + ASCII    7 Map     [count u32] + count x ([len u32] + UTF-8 key, value)
//
// Every integer is big-endian. The walker validates UTF-8 and decimal text, bounds nesting and
// total size, and checks every length and count against the bytes that remain before trusting
// it, so hostile input costs nothing.
//
// Thread contract: none; the functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/decimal.h"

namespace kv {

class ReplyBuilder;
struct ScalarView;  // core/scalar.h, not installed with this header

// The type bytes; the enumerator values are the bytes of the format.
enum class EncodedType : uint8_t {
  kNull = 0,
  kInt = 1,
  kFloat = 2,
  kDecimal = 3,
  kString = 4,
  kBytes = 5,
  kList = 6,
  kMap = 7,
};

// The type of an encoded value (its first byte); `encoded` must be a valid, non-empty encoding.
inline EncodedType EncodedTypeOf(std::string_view encoded) {
  return static_cast<EncodedType>(encoded[0]);
}

// Big-endian integer helpers shared by the value format and the native frame layer.
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
  // Encoded size of one value, in bytes (the native frame payload limit by default).
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
// "invalid value at offset 7: invalid UTF-8", the text native clients get with INVALID.
std::string DecodeErrorMessage(DecodeError e, size_t offset);

// Receives a value depth-first as WalkEncodedValue reads it. A List announces its count and
// then its elements; a Map its count and then, per entry, MapKey followed by the entry's value.
// EndContainer closes the innermost List or Map. Views are into the walked buffer.
class EncodedValueVisitor {
 public:
  virtual ~EncodedValueVisitor() = default;
  virtual void Null() = 0;
  virtual void Int(int64_t v) = 0;
  virtual void Float(double v) = 0;
  virtual void Dec(const Decimal& v) = 0;
  virtual void String(std::string_view utf8) = 0;
  virtual void Bytes(std::string_view bytes) = 0;
  virtual void BeginList(uint32_t count) = 0;
  virtual void BeginMap(uint32_t count) = 0;
  virtual void MapKey(std::string_view utf8) = 0;
  virtual void EndContainer() = 0;
};

// Walks the one value at the front of `buf`. kOk: every part was visited and *consumed holds its
// encoded size (bytes after it are left alone). Otherwise the visitor saw a prefix of it,
// *consumed is 0, and *error_offset (when non-null) is the offset of the offending byte.
DecodeError WalkEncodedValue(std::string_view buf, const DecodeLimits& limits,
                             EncodedValueVisitor& visitor, size_t* consumed,
                             size_t* error_offset = nullptr);

// True when `encoded` is exactly one well-formed value (every count, length, type byte and
// Decimal text checked): what readers of bytes from outside the engine (a snapshot frame) ask
// before ForEachListElement and the others, which trust the counts they read.
bool IsWholeEncodedValue(std::string_view encoded);

// Appends `v` in this encoding: a scalar as its typed value (Bytes, String, Int, Float, Decimal),
// a nested value (ScalarType::kNested) as the encoded bytes it already is.
void AppendEncodedScalar(const ScalarView& v, std::string* out);
// Appends a List header announcing `count` elements (then append each element).
void AppendListHeader(uint32_t count, std::string* out);
// Calls fn(element) for each element of a stored (valid) encoded List: scalars as scalar views,
// a Null, List or Map element as a nested view of its encoding. Views point into `encoded`.
void ForEachListElement(std::string_view encoded,
                        const std::function<void(const ScalarView&)>& fn);

// Calls fn(key, value) for each entry of a stored (valid) encoded Map, values as
// ForEachListElement gives them.
void ForEachMapEntry(std::string_view encoded,
                     const std::function<void(std::string_view, const ScalarView&)>& fn);

// A stored (valid) encoded value as one line of text for kv-check and logs: Bytes quoted with
// escapes, the other scalars tagged as (string)"x" (int)7 (float)1.5 (decimal)2.50, null,
// [a, b] for a List and {"key": value} for a Map.
std::string EncodedValueText(std::string_view encoded);
// The quoting it uses for bytes: "..." with \" \\ and \xNN escapes.
std::string QuoteBytes(std::string_view s);

// Replies with a stored encoded value (valid, as the engine only stores what it validated):
// Null as nil, Int as an integer, Float as a double, Decimal as its canonical string, String and
// Bytes as bulk strings, a List as an array and a Map as a map (RESP2: a flat key/value array).
void SendEncodedValue(std::string_view encoded, ReplyBuilder& rb);

}  // namespace kv
