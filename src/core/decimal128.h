/* decimal128.h - exact IEEE 754-2008 decimal128 over Intel's BID library (libintelrdfpmath).
 *
 * Header-only C (every function is static inline), shared by the engine's Decimal
 * (src/core/decimal.cc) and the built-in DECIMAL plugin (src/modules/builtin/decimal.c), so both
 * accept the same literals, print the same canonical text and refuse the same results. It is the
 * engine's decimal binding, so it lives in core; the plugin includes it as it includes the BID
 * library's headers (pure functions, no server state), and otherwise reaches the server only
 * through include/kvmodule.h.
 *
 * Library variant: link libbidgcc000.a, the build with arguments passed by value, the rounding
 * mode passed to each call and the status flags passed by pointer to each call. Nothing is
 * global, so every function here is thread-safe. The three DECIMAL_* macros below must match
 * that variant (they select the prototypes bid_functions.h declares); a mismatch links but
 * passes arguments wrongly, which src/core/decimal_test.cc would catch.
 *
 * Values are BID_UINT128 (w[0] low 64 bits, w[1] high 64 bits), the layout of KVDecimal in
 * include/kvmodule.h. Rules, documented for users in docs/decimal.md:
 *   - Literals follow Python's Decimal string syntax restricted to ASCII, without surrounding
 *     spaces and without '_' separators: [+|-] (digits [. [digits]] | . digits) [(e|E) [+|-]
 *     digits]. NaN, sNaN, Inf and Infinity are recognised and refused (KVDEC_NOT_FINITE).
 *   - Exactness: a literal or result whose value cannot be held exactly in 34 significant digits
 *     is refused (KVDEC_INEXACT), as is one beyond the exponent range (KVDEC_OUT_OF_RANGE:
 *     magnitude 1E+6145 or more, or a non-zero value that would need digits below 1E-6176).
 *     Dropping trailing zeros to fit (1.000...0 with 40 digits) keeps the value, so it is not an
 *     error: the result is what an IEEE decimal128 operation returns (Python's decimal module
 *     with prec=34, Emax=6144, Emin=-6143, clamp=1 and Inexact trapped gives the same).
 *   - Canonical text is Python's str(Decimal) (the IEEE / General Decimal Arithmetic
 *     to-scientific-string): the exponent is kept, so 19.99 + 0.01 prints 20.00. */
#ifndef KV_CORE_DECIMAL128_H
#define KV_CORE_DECIMAL128_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The libbidgcc000 variant: call by value, rounding mode and status flags per call. */
#define DECIMAL_CALL_BY_REFERENCE 0
#define DECIMAL_GLOBAL_ROUNDING 0
#define DECIMAL_GLOBAL_EXCEPTION_FLAGS 0
#include <bid_conf.h>
#include <bid_functions.h>

/* Status codes; 0 is success. */
#define KVDEC_OK 0
#define KVDEC_SYNTAX 1        /* not a decimal literal */
#define KVDEC_NOT_FINITE 2    /* NaN or Infinity (as a literal, or as a stored operand) */
#define KVDEC_INEXACT 3       /* needs more than 34 significant digits */
#define KVDEC_OUT_OF_RANGE 4  /* exponent overflow, or non-zero digits below 1E-6176 */
#define KVDEC_DIV_BY_ZERO 5   /* division by zero (0/0 included) */
#define KVDEC_SCALE_TOO_BIG 6 /* the result rounded to the requested scale needs > 34 digits */
#define KVDEC_BAD_SCALE 7     /* scale outside 0..KVDEC_MAX_SCALE */

#define KVDEC_DIGITS 34
#define KVDEC_EMAX 6144          /* largest adjusted exponent */
#define KVDEC_ETOP 6111          /* largest exponent of the coefficient's last digit */
#define KVDEC_ETINY (-6176)      /* smallest exponent of the coefficient's last digit */
#define KVDEC_MAX_SCALE 6176     /* digits after the point: 10^-6176 is the finest quantum */
#define KVDEC_STRING_MAX 48      /* longest canonical text (42) and its NUL, rounded up */

#ifdef __cplusplus
extern "C" {
#endif

__extension__ typedef unsigned __int128 kvdec_u128;

/* What a BID_UINT128 holds (kvdec_unpack). */
#define KVDEC_KIND_FINITE 0
#define KVDEC_KIND_INF 1
#define KVDEC_KIND_QNAN 2
#define KVDEC_KIND_SNAN 3

static inline kvdec_u128 kvdec_pow10(int n) {
  kvdec_u128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

/* 10^34: the first coefficient that does not fit. */
#define KVDEC_COEFF_LIMIT \
  ((((kvdec_u128)0x0001ed09bead87c0ULL) << 64) | (kvdec_u128)0x378d8e6400000000ULL)

static inline int kvdec_num_digits(kvdec_u128 c) {
  int n = 1;
  kvdec_u128 p = 10;
  while (n < 39 && c >= p) {
    p *= 10;
    ++n;
  }
  return n;
}

/* Builds a finite value from sign, coefficient (< 10^34) and exponent (ETINY..ETOP). */
static inline BID_UINT128 kvdec_make(int negative, kvdec_u128 coeff, int exponent) {
  BID_UINT128 x;
  x.w[0] = (uint64_t)coeff;
  x.w[1] = (uint64_t)(coeff >> 64) | ((uint64_t)(exponent - KVDEC_ETINY) << 49) |
           (negative ? 0x8000000000000000ULL : 0);
  return x;
}

/* Splits x into sign, coefficient and exponent; returns its KVDEC_KIND_*. Non-canonical
 * encodings (a coefficient of 10^34 or more) read as zero, as IEEE 754 requires. */
static inline int kvdec_unpack(BID_UINT128 x, int *negative, kvdec_u128 *coeff, int *exponent) {
  const uint64_t hi = x.w[1];
  *negative = (int)(hi >> 63);
  *coeff = 0;
  *exponent = 0;
  if ((hi & 0x7800000000000000ULL) == 0x7800000000000000ULL) {
    if ((hi & 0x7c00000000000000ULL) != 0x7c00000000000000ULL) return KVDEC_KIND_INF;
    return (hi & 0x0200000000000000ULL) ? KVDEC_KIND_SNAN : KVDEC_KIND_QNAN;
  }
  if ((hi & 0x6000000000000000ULL) == 0x6000000000000000ULL) {
    /* The long-coefficient form: its coefficient is >= 2^113 > 10^34, so non-canonical. */
    *exponent = (int)((hi >> 47) & 0x3fff) + KVDEC_ETINY;
    return KVDEC_KIND_FINITE;
  }
  *exponent = (int)((hi >> 49) & 0x3fff) + KVDEC_ETINY;
  const kvdec_u128 c = ((kvdec_u128)(hi & 0x0001ffffffffffffULL) << 64) | x.w[0];
  if (c < KVDEC_COEFF_LIMIT) *coeff = c;
  return KVDEC_KIND_FINITE;
}

static inline int kvdec_is_finite(BID_UINT128 x) {
  return (x.w[1] & 0x7800000000000000ULL) != 0x7800000000000000ULL;
}

static inline int kvdec_exponent(BID_UINT128 x) {
  int neg, e;
  kvdec_u128 c;
  kvdec_unpack(x, &neg, &c, &e);
  return e;
}

static inline BID_UINT128 kvdec_abs(BID_UINT128 x) {
  x.w[1] &= ~0x8000000000000000ULL;
  return x;
}

/* ---- Text ------------------------------------------------------------------------------- */

static inline int kvdec_eq_nocase(const char *s, size_t len, const char *word) {
  size_t i = 0;
  for (; i < len; ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (word[i] == '\0' || c != word[i]) return 0;
  }
  return word[i] == '\0';
}

/* Python spells NaN [digits], sNaN [digits], Inf and Infinity in any case. */
static inline int kvdec_is_special_literal(const char *s, size_t len) {
  size_t n = 0;
  if (kvdec_eq_nocase(s, len, "inf") || kvdec_eq_nocase(s, len, "infinity")) return 1;
  if (len >= 3 && kvdec_eq_nocase(s, 3, "nan")) {
    n = 3;
  } else if (len >= 4 && kvdec_eq_nocase(s, 4, "snan")) {
    n = 4;
  } else {
    return 0;
  }
  for (; n < len; ++n)
    if (s[n] < '0' || s[n] > '9') return 0;
  return 1;
}

/* Parses a literal (see the header comment) into *out. Returns KVDEC_OK or the reason it was
 * refused; *out is untouched on failure. Exact or refused: never rounds. */
static inline int kvdec_parse(const char *s, size_t len, BID_UINT128 *out) {
  size_t i = 0;
  int negative = 0;
  if (len == 0) return KVDEC_SYNTAX; /* (s may then be NULL) */
  if (s[i] == '+' || s[i] == '-') negative = s[i++] == '-';
  if (kvdec_is_special_literal(s + i, len - i)) return KVDEC_NOT_FINITE;

  kvdec_u128 coeff = 0;
  int sig = 0;              /* significant digits kept in coeff (at most 34) */
  int64_t dropped = 0;      /* significant digits beyond 34, dropped */
  int dropped_nonzero = 0;  /* ... and whether any of them was not 0 */
  int64_t frac_digits = 0;  /* digits after the point */
  size_t digits = 0;
  int seen_point = 0;
  for (; i < len; ++i) {
    const char c = s[i];
    if (c == '.') {
      if (seen_point) return KVDEC_SYNTAX;
      seen_point = 1;
      continue;
    }
    if (c < '0' || c > '9') break;
    ++digits;
    if (seen_point) ++frac_digits;
    if (sig == 0 && c == '0') continue; /* leading zero */
    if (sig < KVDEC_DIGITS) {
      coeff = coeff * 10 + (kvdec_u128)(c - '0');
      ++sig;
    } else {
      ++dropped;
      if (c != '0') dropped_nonzero = 1;
    }
  }
  if (digits == 0) return KVDEC_SYNTAX; /* "", "+", ".", "e5", "abc" */

  int64_t exp10 = 0;
  if (i < len) {
    if (s[i] != 'e' && s[i] != 'E') return KVDEC_SYNTAX;
    ++i;
    int exp_negative = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i == len) return KVDEC_SYNTAX;
    for (; i < len; ++i) {
      if (s[i] < '0' || s[i] > '9') return KVDEC_SYNTAX;
      /* Saturate: anything this large is out of range (or an exact zero) anyway. */
      if (exp10 < 1000000000000LL) exp10 = exp10 * 10 + (s[i] - '0');
    }
    if (exp_negative) exp10 = -exp10;
  }

  /* The value is coeff * 10^e, with the dropped digits (exact only if all were zeros). */
  int64_t e = exp10 - frac_digits + dropped;
  if (coeff == 0) {
    /* Zero is exact at any exponent; IEEE clamps the exponent into range. */
    if (e > KVDEC_ETOP) e = KVDEC_ETOP;
    if (e < KVDEC_ETINY) e = KVDEC_ETINY;
    *out = kvdec_make(negative, 0, (int)e);
    return KVDEC_OK;
  }
  const int ndig = kvdec_num_digits(coeff);
  if (e + ndig - 1 > KVDEC_EMAX) return KVDEC_OUT_OF_RANGE;
  if (e > KVDEC_ETOP) {
    /* Fold down: pad the coefficient with zeros (fits: the adjusted exponent is in range). */
    coeff *= kvdec_pow10((int)(e - KVDEC_ETOP));
    e = KVDEC_ETOP;
  }
  if (e < KVDEC_ETINY) {
    /* Only trailing zeros may go: anything else is below the finest quantum (an underflow,
     * which is also what a value this small that lost digits past the 34th is). */
    const int64_t shift = KVDEC_ETINY - e;
    if (shift >= ndig || dropped_nonzero) return KVDEC_OUT_OF_RANGE;
    const kvdec_u128 p = kvdec_pow10((int)shift);
    if (coeff % p != 0) return KVDEC_OUT_OF_RANGE;
    coeff /= p;
    e = KVDEC_ETINY;
  }
  if (dropped_nonzero) return KVDEC_INEXACT;
  *out = kvdec_make(negative, coeff, (int)e);
  return KVDEC_OK;
}

/* Appends the decimal digits of c (no leading zeros; "0" for zero) at p; returns the count. */
static inline int kvdec_coeff_digits(kvdec_u128 c, char *p) {
  /* One 128-bit division, then 64-bit arithmetic (c < 10^34 = 10^17 * 10^17). */
  const uint64_t e17 = 100000000000000000ULL;
  uint64_t high = (uint64_t)(c / e17);
  uint64_t low = (uint64_t)(c % e17);
  char tmp[40];
  int n = 0;
  if (high != 0) {
    for (int k = 0; k < 17; ++k) {
      tmp[n++] = (char)('0' + (int)(low % 10));
      low /= 10;
    }
    low = high;
  }
  do {
    tmp[n++] = (char)('0' + (int)(low % 10));
    low /= 10;
  } while (low != 0);
  for (int k = 0; k < n; ++k) p[k] = tmp[n - 1 - k];
  return n;
}

/* Writes x's canonical text (Python's str(Decimal)) and a NUL into buf, which holds at least
 * KVDEC_STRING_MAX bytes; returns the length. Non-finite values (never stored by kv-server,
 * but any 16 bytes can be handed over) print as Python prints them: NaN, sNaN, Infinity. */
static inline size_t kvdec_format(BID_UINT128 x, char *buf) {
  int negative, exponent;
  kvdec_u128 coeff;
  const int kind = kvdec_unpack(x, &negative, &coeff, &exponent);
  char *p = buf;
  if (negative) *p++ = '-';
  if (kind != KVDEC_KIND_FINITE) {
    const char *word = kind == KVDEC_KIND_INF ? "Infinity"
                       : kind == KVDEC_KIND_QNAN ? "NaN"
                                                 : "sNaN";
    const size_t n = strlen(word);
    memcpy(p, word, n + 1);
    return (size_t)(p - buf) + n;
  }
  char digits[40];
  const int nd = kvdec_coeff_digits(coeff, digits);
  const int leftdigits = exponent + nd;
  const int dotplace = (exponent <= 0 && leftdigits > -6) ? leftdigits : 1;
  if (dotplace <= 0) {
    /* 0.000ddd: at most 5 zeros after the point (leftdigits > -6). */
    *p++ = '0';
    *p++ = '.';
    for (int k = 0; k < -dotplace && k < 5; ++k) *p++ = '0';
    memcpy(p, digits, (size_t)nd);
    p += nd;
  } else if (dotplace >= nd) {
    /* An integer with exponent 0, or one digit before an exponent: no padding ever needed. */
    memcpy(p, digits, (size_t)nd);
    p += nd;
  } else {
    memcpy(p, digits, (size_t)dotplace);
    p += dotplace;
    *p++ = '.';
    memcpy(p, digits + dotplace, (size_t)(nd - dotplace));
    p += nd - dotplace;
  }
  if (leftdigits != dotplace) {
    int adj = leftdigits - dotplace;
    *p++ = 'E';
    *p++ = adj < 0 ? '-' : '+';
    if (adj < 0) adj = -adj;
    char tmp[12];
    int n = 0;
    do {
      tmp[n++] = (char)('0' + adj % 10);
      adj /= 10;
    } while (adj != 0);
    while (n > 0) *p++ = tmp[--n];
  }
  *p = '\0';
  return (size_t)(p - buf);
}

/* ---- Arithmetic ------------------------------------------------------------------------- */

/* Maps the flags of one exact-or-error operation to a status. */
static inline int kvdec_status_of(_IDEC_flags flags, BID_UINT128 result) {
  if (flags & BID_ZERO_DIVIDE_EXCEPTION) return KVDEC_DIV_BY_ZERO;
  if (flags & (BID_OVERFLOW_EXCEPTION | BID_UNDERFLOW_EXCEPTION)) return KVDEC_OUT_OF_RANGE;
  if (flags & BID_INEXACT_EXCEPTION) return KVDEC_INEXACT;
  if ((flags & BID_INVALID_EXCEPTION) || !kvdec_is_finite(result)) return KVDEC_NOT_FINITE;
  return KVDEC_OK;
}

static inline int kvdec_add(BID_UINT128 a, BID_UINT128 b, BID_UINT128 *out) {
  if (!kvdec_is_finite(a) || !kvdec_is_finite(b)) return KVDEC_NOT_FINITE;
  _IDEC_flags flags = 0;
  const BID_UINT128 r = bid128_add(a, b, BID_ROUNDING_TO_NEAREST, &flags);
  const int st = kvdec_status_of(flags, r);
  if (st == KVDEC_OK) *out = r;
  return st;
}

static inline int kvdec_sub(BID_UINT128 a, BID_UINT128 b, BID_UINT128 *out) {
  if (!kvdec_is_finite(a) || !kvdec_is_finite(b)) return KVDEC_NOT_FINITE;
  _IDEC_flags flags = 0;
  const BID_UINT128 r = bid128_sub(a, b, BID_ROUNDING_TO_NEAREST, &flags);
  const int st = kvdec_status_of(flags, r);
  if (st == KVDEC_OK) *out = r;
  return st;
}

/* A product or quotient with zero as dividend is an exact zero whatever exponent clamping the
 * library reports; the library may flag that clamp as inexact, but no digit was lost. */
static inline int kvdec_is_zero(BID_UINT128 x) {
  int neg, e;
  kvdec_u128 c;
  return kvdec_unpack(x, &neg, &c, &e) == KVDEC_KIND_FINITE && c == 0;
}

static inline int kvdec_mul(BID_UINT128 a, BID_UINT128 b, BID_UINT128 *out) {
  if (!kvdec_is_finite(a) || !kvdec_is_finite(b)) return KVDEC_NOT_FINITE;
  _IDEC_flags flags = 0;
  const BID_UINT128 r = bid128_mul(a, b, BID_ROUNDING_TO_NEAREST, &flags);
  if (kvdec_is_zero(a) || kvdec_is_zero(b)) flags &= ~(_IDEC_flags)(BID_UNDERFLOW_INEXACT_EXCEPTION);
  const int st = kvdec_status_of(flags, r);
  if (st == KVDEC_OK) *out = r;
  return st;
}

/* Exact division: the quotient must fit 34 digits. */
static inline int kvdec_div(BID_UINT128 a, BID_UINT128 b, BID_UINT128 *out) {
  if (!kvdec_is_finite(a) || !kvdec_is_finite(b)) return KVDEC_NOT_FINITE;
  if (kvdec_is_zero(b)) return KVDEC_DIV_BY_ZERO;
  _IDEC_flags flags = 0;
  const BID_UINT128 r = bid128_div(a, b, BID_ROUNDING_TO_NEAREST, &flags);
  if (kvdec_is_zero(a)) flags &= ~(_IDEC_flags)(BID_UNDERFLOW_INEXACT_EXCEPTION);
  const int st = kvdec_status_of(flags, r);
  if (st == KVDEC_OK) *out = r;
  return st;
}

/* -1, 0 or 1 by numeric value (1.0 == 1.00, -0 == 0). Both operands must be finite. */
static inline int kvdec_compare(BID_UINT128 a, BID_UINT128 b) {
  _IDEC_flags flags = 0;
  if (bid128_quiet_less(a, b, &flags)) return -1;
  if (bid128_quiet_greater(a, b, &flags)) return 1;
  return 0;
}

#define KVDEC_OP_MUL 0
#define KVDEC_OP_DIV 1

static inline BID_UINT128 kvdec_apply(int op, BID_UINT128 a, BID_UINT128 b, _IDEC_round mode,
                                      _IDEC_flags *flags) {
  return op == KVDEC_OP_MUL ? bid128_mul(a, b, mode, flags) : bid128_div(a, b, mode, flags);
}

/* a*b or a/b rounded half-even to `scale` digits after the point (exponent -scale), with one
 * rounding of the exact result (never a rounding of a rounded 34-digit result):
 *   t = the operation truncated to 34 digits; the library's inexact flag says whether digits
 *       were cut (a sticky bit).
 *   exact t: quantize it, half-even.
 *   t's last digit below 10^-scale: truncate t to the scale (exact), and compare what was cut
 *       (exact too) with half a unit; since more was cut beyond t, a cut equal to half rounds
 *       up, and a larger one too.
 *   t's last digit at 10^-scale: the 34-digit grid is the scale's grid, so the operation
 *       rounded half-even to 34 digits is the answer (unless it carried to a 35th digit).
 *   t's last digit above 10^-scale: the answer needs more than 34 digits. */
static inline int kvdec_op_scaled(int op, BID_UINT128 a, BID_UINT128 b, int scale,
                                  BID_UINT128 *out) {
  if (scale < 0 || scale > KVDEC_MAX_SCALE) return KVDEC_BAD_SCALE;
  if (!kvdec_is_finite(a) || !kvdec_is_finite(b)) return KVDEC_NOT_FINITE;
  if (op == KVDEC_OP_DIV && kvdec_is_zero(b)) return KVDEC_DIV_BY_ZERO;
  const BID_UINT128 quantum = kvdec_make(0, 1, -scale);
  _IDEC_flags flags = 0;
  const BID_UINT128 t = kvdec_apply(op, a, b, BID_ROUNDING_TO_ZERO, &flags);
  if (flags & BID_OVERFLOW_EXCEPTION) return KVDEC_OUT_OF_RANGE;
  if (!kvdec_is_finite(t)) return KVDEC_NOT_FINITE;
  const int exact = !(flags & BID_INEXACT_EXCEPTION) || kvdec_is_zero(a) ||
                    (op == KVDEC_OP_MUL && kvdec_is_zero(b));
  BID_UINT128 r;
  if (exact) {
    flags = 0;
    r = bid128_quantize(t, quantum, BID_ROUNDING_TO_NEAREST, &flags);
    if (flags & BID_INVALID_EXCEPTION) return KVDEC_SCALE_TOO_BIG;
  } else {
    const int e = kvdec_exponent(t);
    if (e > -scale) return KVDEC_SCALE_TOO_BIG;
    if (e == -scale) {
      flags = 0;
      r = kvdec_apply(op, a, b, BID_ROUNDING_TO_NEAREST, &flags);
      if (flags & BID_OVERFLOW_EXCEPTION) return KVDEC_OUT_OF_RANGE;
      if (kvdec_exponent(r) != -scale) return KVDEC_SCALE_TOO_BIG; /* carried to 10^34 */
    } else {
      flags = 0;
      const BID_UINT128 trunc = bid128_quantize(t, quantum, BID_ROUNDING_TO_ZERO, &flags);
      const BID_UINT128 cut = bid128_sub(t, trunc, BID_ROUNDING_TO_NEAREST, &flags);
      const BID_UINT128 half = kvdec_make(0, 5, -scale - 1);
      r = trunc;
      if (kvdec_compare(kvdec_abs(cut), half) >= 0) {
        /* Away from zero by one unit of the scale; trunc has at most 33 digits. */
        BID_UINT128 unit = quantum;
        unit.w[1] |= t.w[1] & 0x8000000000000000ULL;
        flags = 0;
        r = bid128_add(trunc, unit, BID_ROUNDING_TO_NEAREST, &flags);
      }
    }
  }
  *out = r;
  return KVDEC_OK;
}

#ifdef __cplusplus
}
#endif

#endif /* KV_CORE_DECIMAL128_H */
