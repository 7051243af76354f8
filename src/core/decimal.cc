// Decimal over Intel's BID library. The algorithms (literal parsing, canonical text, the
// exact-or-error checks of the library's per-call status flags, and single-rounding scaled
// division) live in core/decimal128.h, a header-only C file shared with the DECIMAL
// plugin so the engine and the plugin can never disagree on a literal or a result. That header
// selects the library variant (libbidgcc000: by value, rounding mode and flags per call).
#include "core/decimal.h"

#include "core/decimal128.h"

namespace kv {

namespace {

BID_UINT128 ToBid(const Decimal& d) {
  BID_UINT128 x;
  x.w[0] = d.low();
  x.w[1] = d.high();
  return x;
}

Decimal FromBid(const BID_UINT128& x) { return Decimal::FromWords(x.w[0], x.w[1]); }

DecimalStatus StatusOf(int st) {
  switch (st) {
    case KVDEC_OK:
      return DecimalStatus::kOk;
    case KVDEC_SYNTAX:
      return DecimalStatus::kSyntax;
    case KVDEC_NOT_FINITE:
      return DecimalStatus::kNotFinite;
    case KVDEC_INEXACT:
      return DecimalStatus::kInexact;
    case KVDEC_OUT_OF_RANGE:
      return DecimalStatus::kOutOfRange;
    case KVDEC_DIV_BY_ZERO:
      return DecimalStatus::kDivisionByZero;
    case KVDEC_SCALE_TOO_BIG:
      return DecimalStatus::kScaleTooBig;
    default:
      return DecimalStatus::kBadScale;
  }
}

Decimal::Result Finish(int st, const BID_UINT128& r) {
  Decimal::Result res;
  res.status = StatusOf(st);
  if (st == KVDEC_OK) res.value = FromBid(r);
  return res;
}

}  // namespace

static_assert(sizeof(BID_UINT128) == sizeof(Decimal));
static_assert(Decimal::kMaxStringSize >= KVDEC_STRING_MAX);
static_assert(Decimal::kMaxScale == KVDEC_MAX_SCALE && Decimal::kDigits == KVDEC_DIGITS);

std::string_view DecimalStatusText(DecimalStatus st) {
  switch (st) {
    case DecimalStatus::kOk:
      return "ok";
    case DecimalStatus::kSyntax:
      return "not a valid decimal";
    case DecimalStatus::kNotFinite:
      return "NaN and Infinity are not supported";
    case DecimalStatus::kInexact:
      return "not exact (more than 34 significant digits)";
    case DecimalStatus::kOutOfRange:
      return "out of range";
    case DecimalStatus::kDivisionByZero:
      return "division by zero";
    case DecimalStatus::kScaleTooBig:
      return "more than 34 significant digits at the requested scale";
    case DecimalStatus::kBadScale:
      return "scale out of range";
  }
  return "unknown";
}

std::optional<Decimal> Decimal::Parse(std::string_view text, DecimalStatus* why) {
  BID_UINT128 x;
  const int st = kvdec_parse(text.data(), text.size(), &x);
  if (why) *why = StatusOf(st);
  if (st != KVDEC_OK) return std::nullopt;
  return FromBid(x);
}

Decimal::Result Decimal::FromInt(int64_t coefficient, int exponent) {
  // Through the literal parser, so the range and digit rules are Parse's, exactly.
  const std::string text = std::to_string(coefficient) + "E" + std::to_string(exponent);
  Result res;
  if (auto d = Parse(text, &res.status)) res.value = *d;
  return res;
}

size_t Decimal::ToString(char* buf) const { return kvdec_format(ToBid(*this), buf); }

std::string Decimal::ToString() const {
  char buf[kMaxStringSize];
  return std::string(buf, ToString(buf));
}

bool Decimal::IsZero() const { return kvdec_is_zero(ToBid(*this)) != 0; }

int Decimal::Exponent() const {
  int neg, e;
  kvdec_u128 c;
  if (kvdec_unpack(ToBid(*this), &neg, &c, &e) != KVDEC_KIND_FINITE) return 0;
  return e;
}

Decimal::Result Decimal::Add(const Decimal& a, const Decimal& b) {
  BID_UINT128 r{};
  const int st = kvdec_add(ToBid(a), ToBid(b), &r);
  return Finish(st, r);
}

Decimal::Result Decimal::Sub(const Decimal& a, const Decimal& b) {
  BID_UINT128 r{};
  const int st = kvdec_sub(ToBid(a), ToBid(b), &r);
  return Finish(st, r);
}

Decimal::Result Decimal::Mul(const Decimal& a, const Decimal& b) {
  BID_UINT128 r{};
  const int st = kvdec_mul(ToBid(a), ToBid(b), &r);
  return Finish(st, r);
}

Decimal::Result Decimal::Div(const Decimal& a, const Decimal& b, std::optional<int> scale) {
  BID_UINT128 r{};
  const int st = scale ? kvdec_op_scaled(KVDEC_OP_DIV, ToBid(a), ToBid(b), *scale, &r)
                       : kvdec_div(ToBid(a), ToBid(b), &r);
  return Finish(st, r);
}

Decimal::Result Decimal::MulScaled(const Decimal& a, const Decimal& b, int scale) {
  BID_UINT128 r{};
  const int st = kvdec_op_scaled(KVDEC_OP_MUL, ToBid(a), ToBid(b), scale, &r);
  return Finish(st, r);
}

int Decimal::Compare(const Decimal& a, const Decimal& b) {
  return kvdec_compare(ToBid(a), ToBid(b));
}

}  // namespace kv
