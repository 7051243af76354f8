// Scalar parsing and formatting with Redis 7's exact rules (util.c: string2ll, string2ld,
// ld2string), so replies and errors match redis-server byte for byte.
#include "core/scalar.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace kv {

namespace {

// Redis's MAX_LONG_DOUBLE_CHARS: the longest input string2ld accepts (minus its NUL) and the room
// "%.17Lf" needs for any long double.
constexpr size_t kMaxLongDoubleChars = 5 * 1024;
// Redis's LONG_STR_SIZE: string2ll rejects inputs this long or longer without looking at them.
constexpr size_t kLongStrSize = 21;

bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Enough for any double printed with "%.17Lf": sign, 309 integer digits, '.', 17 decimals, NUL.
constexpr size_t kMaxFloatCanonical = 1 + 309 + 1 + 17 + 1;

}  // namespace

std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() >= kLongStrSize) return std::nullopt;
  if (s.size() == 1 && s[0] == '0') return 0;

  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == s.size()) return std::nullopt;
  }
  // The first digit must be 1-9: this is what rejects "01", "-0" and "+1".
  if (s[i] < '1' || s[i] > '9') return std::nullopt;
  uint64_t v = 0;
  // Up to 18 digits cannot overflow, so the common case (bulk lengths, counters) skips the
  // overflow checks; this parser runs several times per request.
  if (s.size() - i <= 18) {
    for (; i < s.size(); ++i) {
      const auto digit = static_cast<uint64_t>(static_cast<unsigned char>(s[i]) - '0');
      if (digit > 9) return std::nullopt;
      v = v * 10 + digit;
    }
    return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > kMax / 10) return std::nullopt;
    v *= 10;
    if (v > kMax - digit) return std::nullopt;
    v += digit;
  }
  if (negative) {
    constexpr uint64_t kMinMagnitude =
        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1;
    if (v > kMinMagnitude) return std::nullopt;
    // Two's complement negation of the magnitude; well defined for INT64_MIN too.
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<long double> ParseLongDouble(std::string_view s) {
  char buf[kMaxLongDoubleChars];
  if (s.empty() || s.size() >= sizeof(buf)) return std::nullopt;
  // strtold needs a terminated string; it also defines what Redis accepts (hex floats, "inf",
  // "infinity", a leading '+'), so it is used rather than from_chars.
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';

  errno = 0;
  char* end = nullptr;
  const long double value = std::strtold(buf, &end);
  const int err = errno;
  if (IsCSpace(buf[0]) || static_cast<size_t>(end - buf) != s.size()) return std::nullopt;
  // Overflow and underflow to zero are rejected; a denormal (ERANGE but non-zero) is accepted.
  if (err == ERANGE && (std::isinf(value) || value == 0)) return std::nullopt;
  if (err == EINVAL || std::isnan(value)) return std::nullopt;
  return value;
}

size_t FormatLongDouble(long double v, char* buf, size_t cap) {
  if (std::isinf(v)) {
    if (cap < 5) return 0;
    const size_t n = v > 0 ? 3 : 4;
    std::memcpy(buf, v > 0 ? "inf" : "-inf", n + 1);
    return n;
  }
  if (std::isnan(v)) {
    if (cap < 4) return 0;
    std::memcpy(buf, "nan", 4);
    return 3;
  }
  // 17 decimals make most short decimal inputs print back exactly as typed (10.5 + 0.1 -> 10.6).
  const int written = std::snprintf(buf, cap, "%.17Lf", v);
  if (written < 0 || static_cast<size_t>(written) + 1 > cap) return 0;
  size_t len = static_cast<size_t>(written);
  if (std::memchr(buf, '.', len) != nullptr) {
    while (buf[len - 1] == '0') --len;
    if (buf[len - 1] == '.') --len;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    len = 1;
  }
  buf[len] = '\0';
  return len;
}

size_t FormatDouble(double v, char* buf, size_t cap) {
  // Spell non-finite values the way RESP3 does, whatever sign bit a NaN carries.
  std::string_view special;
  if (std::isnan(v)) {
    special = "nan";
  } else if (std::isinf(v)) {
    special = v > 0 ? "inf" : "-inf";
  }
  if (!special.empty()) {
    if (cap < special.size()) return 0;
    std::memcpy(buf, special.data(), special.size());
    return special.size();
  }
  const auto [ptr, ec] = std::to_chars(buf, buf + cap, v);
  if (ec != std::errc()) return 0;
  return static_cast<size_t>(ptr - buf);
}

std::string_view CanonicalString(const ScalarView& v, char* buf) {
  switch (v.type) {
    case ScalarType::kBytes:
    case ScalarType::kString:
      return v.bytes;
    case ScalarType::kInt: {
      const auto [ptr, ec] = std::to_chars(buf, buf + kScalarBufSize, v.i);
      (void)ec;  // 20 digits and a sign always fit in kScalarBufSize.
      return {buf, static_cast<size_t>(ptr - buf)};
    }
    case ScalarType::kFloat: {
      // The Float holds the double nearest to what INCRBYFLOAT computed in long double. Going
      // through its shortest decimal form recovers the long double Redis would have stored (10.6,
      // not 10.5999999999999996447...), which then prints as Redis prints it.
      char shortest[64];
      const size_t n = FormatDouble(v.d, shortest, sizeof(shortest) - 1);
      shortest[n] = '\0';
      long double ld = v.d;
      if (std::isfinite(v.d)) ld = std::strtold(shortest, nullptr);
      size_t len = FormatLongDouble(ld, buf, kScalarBufSize);
      if (len != 0) return {buf, len};
      // Values of about 1e45 and more print with more digits than kScalarBufSize holds. Rare, so
      // they use per-thread storage instead of widening every caller's buffer; such a view is
      // valid until the next CanonicalString call on this thread.
      thread_local char big[kMaxFloatCanonical];
      len = FormatLongDouble(ld, big, sizeof(big));
      return {big, len};
    }
    case ScalarType::kDecimal:
      return {buf, v.dec.ToString(buf)};
    case ScalarType::kNested:
      break;
  }
  return {};
}

uint32_t RawSize(const ScalarView& v) {
  switch (v.type) {
    case ScalarType::kBytes:
    case ScalarType::kString:
    case ScalarType::kNested:
      return static_cast<uint32_t>(v.bytes.size());
    case ScalarType::kDecimal:
      return 16;
    case ScalarType::kInt:
    case ScalarType::kFloat:
      break;
  }
  return 8;
}

void WriteRaw(const ScalarView& v, char* out) {
  switch (v.type) {
    case ScalarType::kBytes:
    case ScalarType::kString:
    case ScalarType::kNested:
      if (!v.bytes.empty()) std::memcpy(out, v.bytes.data(), v.bytes.size());
      break;
    case ScalarType::kInt:
      std::memcpy(out, &v.i, 8);
      break;
    case ScalarType::kFloat:
      std::memcpy(out, &v.d, 8);
      break;
    case ScalarType::kDecimal:
      v.dec.ToBytes(out);
      break;
  }
}

bool ReadRawChecked(uint8_t t, std::string_view raw, ScalarView* out) {
  if (!KnownScalarType(t) || raw.size() > UINT32_MAX) return false;
  const auto type = static_cast<ScalarType>(t);
  const size_t fixed = type == ScalarType::kInt || type == ScalarType::kFloat ? 8
                       : type == ScalarType::kDecimal                          ? 16
                                                                               : raw.size();
  if (raw.size() != fixed) return false;
  *out = ReadRaw(type, raw.data(), static_cast<uint32_t>(raw.size()));
  return RawSize(*out) == raw.size();
}

ScalarView ReadRaw(ScalarType type, const char* p, uint32_t len) {
  switch (type) {
    case ScalarType::kInt: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return ScalarView::Int(v);
    }
    case ScalarType::kFloat: {
      double v;
      std::memcpy(&v, p, 8);
      return ScalarView::Float(v);
    }
    case ScalarType::kDecimal:
      return ScalarView::Dec(Decimal::FromBytes(p));
    case ScalarType::kString:
      return ScalarView::String({p, len});
    case ScalarType::kNested:
      return ScalarView::Nested({p, len});
    case ScalarType::kBytes:
      break;
  }
  return ScalarView::Bytes({p, len});
}

bool KnownScalarType(uint8_t t) { return t <= static_cast<uint8_t>(ScalarType::kNested); }

bool SameValue(const ScalarView& a, const ScalarView& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case ScalarType::kInt:
      return a.i == b.i;
    case ScalarType::kFloat:
      return std::memcmp(&a.d, &b.d, sizeof a.d) == 0;
    case ScalarType::kDecimal:
      return a.dec.SameRepresentation(b.dec);
    case ScalarType::kBytes:
    case ScalarType::kString:
    case ScalarType::kNested:
      break;
  }
  return a.bytes == b.bytes;
}

}  // namespace kv
