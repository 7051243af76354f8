// Decimal: an IEEE 754-2008 decimal128 value (34 significant digits), exact or an error.
//
// The engine's typed Decimal scalar (DESIGN.md section 4). Arithmetic goes through Intel's BID
// library (libintelrdfpmath, never through double) and is exact: a result that cannot be held
// exactly in 34 digits and the exponent range is refused with a status, never rounded. The only
// rounding is the explicit one of Div with a scale (half-even). Every call carries its own
// rounding mode and status flags, so all of it is thread-safe.
//
// Text: Parse accepts Python's Decimal syntax (ASCII, no spaces, no '_'): "19.99", "+1", "-0",
// ".5", "5.", "1e5", "1.5E-3". NaN and Infinity are refused. ToString gives the canonical form,
// Python's str(Decimal): the exponent is kept (19.99 + 0.01 is "20.00", "1e5" is "1E+5"), and
// Parse(ToString(x)) gives back the same 16 bytes. docs/decimal.md is the user-facing contract.
//
// Layout: 16 bytes of BID128, w[0] the low 64 bits and w[1] the high ones: the layout of
// BID_UINT128 and of KVDecimal in include/kvmodule.h, so converting is a 16-byte copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace kv {

enum class DecimalStatus : uint8_t {
  kOk,
  kSyntax,            // not a decimal literal
  kNotFinite,         // NaN or Infinity (spelled as a literal, or an operand's stored bits)
  kInexact,           // needs more than 34 significant digits
  kOutOfRange,        // magnitude 1E+6145 or more, or non-zero digits below 1E-6176
  kDivisionByZero,    // x / 0, 0 / 0 included
  kScaleTooBig,       // the result rounded to the requested scale needs more than 34 digits
  kBadScale,          // scale outside 0..Decimal::kMaxScale
};

// A short English phrase for logs and tests ("not exact (more than 34 significant digits)").
// Command families choose their own error texts.
std::string_view DecimalStatusText(DecimalStatus st);

struct DecimalResult;

class Decimal {
 public:
  static constexpr int kDigits = 34;
  static constexpr int kMaxScale = 6176;
  // Room for the longest canonical text (42 characters, e.g.
  // "-0.000001234567890123456789012345678901234") and its NUL.
  static constexpr size_t kMaxStringSize = 48;

  // The result of an operation (below): a value when status is kOk.
  using Result = DecimalResult;

  // Zero (0, exponent 0).
  constexpr Decimal() : w_{0, 0x3040000000000000ULL} {}

  // From/to 16 raw bytes in BID128 layout (an Entry's value, a KVDecimal, a BID_UINT128). Any
  // bytes are accepted; IsFinite() tells whether they hold a number.
  static Decimal FromBytes(const void* p) {
    Decimal d;
    std::memcpy(d.w_, p, 16);
    return d;
  }
  void ToBytes(void* p) const { std::memcpy(p, w_, 16); }
  static Decimal FromWords(uint64_t low, uint64_t high) {
    Decimal d;
    d.w_[0] = low;
    d.w_[1] = high;
    return d;
  }
  uint64_t low() const { return w_[0]; }
  uint64_t high() const { return w_[1]; }

  // Exact parse of a literal; nullopt (with the reason in *why) when it is not one, is NaN or
  // Infinity, needs more than 34 digits, or is out of range.
  static std::optional<Decimal> Parse(std::string_view text, DecimalStatus* why = nullptr);
  // Builds coefficient * 10^exponent exactly (Parse's rules apply: a coefficient that does not
  // fit is kInexact, an exponent too large is kOutOfRange).
  static Result FromInt(int64_t coefficient, int exponent = 0);

  // Canonical text into buf (at least kMaxStringSize bytes, NUL-terminated); returns its length.
  size_t ToString(char* buf) const;
  std::string ToString() const;

  bool IsFinite() const { return (w_[1] & 0x7800000000000000ULL) != 0x7800000000000000ULL; }
  bool IsNegative() const { return (w_[1] >> 63) != 0; }  // sign bit: true for -0 too
  bool IsZero() const;
  // Exponent of the last coefficient digit (19.99 -> -2); 0 for non-finite values.
  int Exponent() const;

  // Exact or refused (kInexact, kOutOfRange, kNotFinite for NaN/Infinity operands).
  static Result Add(const Decimal& a, const Decimal& b);
  static Result Sub(const Decimal& a, const Decimal& b);
  static Result Mul(const Decimal& a, const Decimal& b);
  // Without a scale: the exact quotient or kInexact. With one: the quotient rounded half-even to
  // `scale` digits after the point (exponent -scale), with a single rounding of the exact
  // quotient; kScaleTooBig when that needs more than 34 digits, kBadScale when scale is outside
  // 0..kMaxScale. x / 0 is kDivisionByZero either way.
  static Result Div(const Decimal& a, const Decimal& b, std::optional<int> scale = std::nullopt);
  // a * b rounded half-even to `scale` digits after the point (same rules as Div).
  static Result MulScaled(const Decimal& a, const Decimal& b, int scale);

  // -1, 0 or 1 by numeric value: 1.0 == 1.00 and -0 == 0. Both must be finite.
  static int Compare(const Decimal& a, const Decimal& b);

  // Same 16 bytes (so 1.0 and 1.00 differ; use Compare for numeric equality).
  bool SameRepresentation(const Decimal& o) const { return w_[0] == o.w_[0] && w_[1] == o.w_[1]; }

 private:
  uint64_t w_[2];
};
static_assert(sizeof(Decimal) == 16);

struct DecimalResult {
  DecimalStatus status = DecimalStatus::kOk;
  Decimal value;
  bool ok() const { return status == DecimalStatus::kOk; }
};

}  // namespace kv
