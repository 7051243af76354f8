// Scalar values as the engine stores them and as replies carry them.
//
// RESP-written values are Bytes. INCR-family results are Int and INCRBYFLOAT results are Float, so
// a native client reads them typed; over RESP every scalar reads as its canonical string (the
// form Redis would return for the same operations). Decimal values (decimal128, written by the
// DECIMAL.* commands and native clients) read as their canonical decimal text (core/decimal.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.h"

namespace kv {

// Stored in an entry's type byte: values are part of the in-memory format, never renumber.
// The numbers are part of the on-disk format too (the WAL logs entries as type and raw bytes):
// only ever append.
enum class ScalarType : uint8_t {
  kBytes = 0,
  kInt = 1,
  kFloat = 2,
  kDecimal = 3,
  kString = 4,
  // A Null, List or Map: its bytes are the value's canonical encoding (core/value_encoding.h,
  // the native protocol's format), so type and bytes describe it fully. Not a string: string
  // commands answer WRONGTYPE for it, GET replies with the aggregate.
  kNested = 5,
};

// kString is text a native client wrote as a String: stored like Bytes and identical to Bytes over
// RESP, but read back as a String by native clients. Any RESP write turns it into Bytes.
inline bool IsText(ScalarType t) { return t == ScalarType::kBytes || t == ScalarType::kString; }
inline bool IsNested(ScalarType t) { return t == ScalarType::kNested; }

// A non-owning view of one stored value. `bytes` (kBytes, kString, kNested) is valid only while
// its owner (the shard, locked; a request's arguments) lives; the numbers are copies.
struct ScalarView {
  ScalarType type = ScalarType::kBytes;
  std::string_view bytes;
  int64_t i = 0;
  double d = 0;
  Decimal dec;

  static ScalarView Bytes(std::string_view b) { return {ScalarType::kBytes, b, 0, 0, {}}; }
  static ScalarView String(std::string_view b) { return {ScalarType::kString, b, 0, 0, {}}; }
  static ScalarView Int(int64_t v) { return {ScalarType::kInt, {}, v, 0, {}}; }
  static ScalarView Float(double v) { return {ScalarType::kFloat, {}, 0, v, {}}; }
  static ScalarView Dec(const Decimal& v) { return {ScalarType::kDecimal, {}, 0, 0, v}; }
  // `encoded`: one value in the encoding of core/value_encoding.h, canonical (as encoded by the
  // native codec), so that equal values have equal bytes.
  static ScalarView Nested(std::string_view encoded) {
    return {ScalarType::kNested, encoded, 0, 0, {}};
  }
};

// The value bytes an entry (and the snapshot and WAL files) hold for a scalar: Bytes and String
// as they are, Int and Float as 8 bytes, Decimal as its 16 BID bytes (host byte order, which
// the persistence formats declare as little-endian: x86-64 and AArch64 Linux).
uint32_t RawSize(const ScalarView& v);
void WriteRaw(const ScalarView& v, char* out);  // writes RawSize(v) bytes
// The inverse; `len` must be what RawSize gave. Bytes/String views point into `p`.
ScalarView ReadRaw(ScalarType type, const char* p, uint32_t len);
// Whether `t` is a type this build knows (a persisted file may come from a newer one).
bool KnownScalarType(uint8_t t);
// ReadRaw for bytes read from a file: false when `t` is unknown or `len` is not a size a value
// of that type has (a damaged Int of 3 bytes must not be read as 8).
bool ReadRawChecked(uint8_t t, std::string_view raw, ScalarView* out);
// Equal in type and value, as CAS compares: String never equals Bytes, an Int never equals the
// text of its digits; Floats compare by their bits (0.0 and -0.0 differ, a NaN equals itself);
// Decimals by representation, i.e. by canonical string (2.50 != 2.5, as GET shows them apart);
// nested values by their canonical encoding (order of map entries included).
bool SameValue(const ScalarView& a, const ScalarView& b);

// Writes the canonical string of `v` into `buf` (at least kScalarBufSize bytes) when it is not
// Bytes; returns a view of the canonical string either way. A nested value has no string form
// (callers answer WRONGTYPE first): it gives the empty view. Floats too long for `buf` (about
// 1e45 and up) are formatted into thread-local storage, valid until the next call on the thread.
// A Decimal always fits `buf` (at most 42 characters).
inline constexpr size_t kScalarBufSize = 64;
static_assert(kScalarBufSize >= Decimal::kMaxStringSize);
std::string_view CanonicalString(const ScalarView& v, char* buf);

// Redis's integer rules: optional '-', no leading '+', no leading zeros, no spaces, fits i64.
std::optional<int64_t> ParseInt64(std::string_view s);
// Redis's float rules for INCRBYFLOAT and friends: strtold-like, no spaces, not NaN.
std::optional<long double> ParseLongDouble(std::string_view s);
// Formats like Redis does for INCRBYFLOAT results (%.17Lf, then trailing zeros trimmed).
// Returns 0 when the untrimmed text and its NUL do not fit `cap`.
size_t FormatLongDouble(long double v, char* buf, size_t cap);
// Shortest round-trip form of a double (std::to_chars), with Redis's inf/-inf/nan spellings.
size_t FormatDouble(double v, char* buf, size_t cap);

}  // namespace kv
