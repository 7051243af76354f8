#include "core/hyperloglog.h"

#include <cmath>
#include <cstring>

namespace kv::hll {

namespace {

constexpr uint64_t kHashSeed = 0xadc83b19ULL;
constexpr uint32_t kZeroMaxLen = 64;
constexpr uint32_t kValMaxLen = 4;
constexpr uint8_t kCacheStale = 0x80;  // in the last cardinality byte

// Sparse opcodes (see the header).
bool IsZero(uint8_t b) { return (b & 0xc0) == 0; }
bool IsXZero(uint8_t b) { return (b & 0xc0) == 0x40; }
bool IsVal(uint8_t b) { return (b & 0x80) != 0; }
uint32_t ZeroLen(uint8_t b) { return (b & 0x3f) + 1u; }
uint32_t XZeroLen(uint8_t b, uint8_t b2) { return ((static_cast<uint32_t>(b & 0x3f) << 8) | b2) + 1; }
uint8_t ValValue(uint8_t b) { return static_cast<uint8_t>(((b >> 2) & 0x1f) + 1); }
uint32_t ValLen(uint8_t b) { return (b & 0x3) + 1u; }
uint8_t ValOp(uint32_t value, uint32_t len) {
  return static_cast<uint8_t>(0x80 | ((value - 1) << 2) | (len - 1));
}
uint8_t ZeroOp(uint32_t len) { return static_cast<uint8_t>(len - 1); }
void XZeroOp(uint8_t* out, uint32_t len) {
  out[0] = static_cast<uint8_t>(((len - 1) >> 8) | 0x40);
  out[1] = static_cast<uint8_t>((len - 1) & 0xff);
}

// A byte of `s`, zero past its end: a truncated XZERO reads its missing half as Redis does
// (from the NUL that ends every sds string).
uint8_t At(std::string_view s, size_t i) {
  return i < s.size() ? static_cast<uint8_t>(s[i]) : 0;
}

uint8_t* RegistersOf(std::string* s) { return reinterpret_cast<uint8_t*>(s->data()) + kHeaderSize; }
const uint8_t* RegistersOf(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data()) + kHeaderSize;
}

// Walks the opcodes of a sparse value, calling zero(run) and val(value, run). Stops early when
// val() returns false. Returns the number of registers covered.
template <typename ZeroFn, typename ValFn>
uint64_t WalkSparse(std::string_view s, ZeroFn&& zero, ValFn&& val) {
  uint64_t idx = 0;
  size_t p = kHeaderSize;
  while (p < s.size()) {
    const uint8_t b = At(s, p);
    if (IsZero(b)) {
      idx += ZeroLen(b);
      zero(ZeroLen(b));
      p += 1;
    } else if (IsXZero(b)) {
      const uint32_t run = XZeroLen(b, At(s, p + 1));
      idx += run;
      zero(run);
      p += 2;
    } else {
      if (!val(idx, ValValue(b), ValLen(b))) break;
      idx += ValLen(b);
      p += 1;
    }
  }
  return idx;
}

// Ertl's sigma and tau series ("New cardinality estimation algorithms for HyperLogLog
// sketches", arXiv:1702.01284), summed in the order Redis sums them so the doubles agree.
double Sigma(double x) {
  if (x == 1.0) return INFINITY;
  double y = 1.0;
  double z = x;
  double before;
  do {
    x *= x;
    before = z;
    z += x * y;
    y += y;
  } while (before != z);
  return z;
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double before;
  do {
    x = std::sqrt(x);
    before = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (before != z);
  return z / 3.0;
}

uint64_t Estimate(const int64_t (&histo)[64]) {
  constexpr double m = kRegisters;
  constexpr double kAlphaInf = 0.721347520444481703680;  // 0.5 / ln 2
  double z = m * Tau((m - static_cast<double>(histo[kQ + 1])) / m);
  for (int j = kQ; j >= 1; --j) {
    z += static_cast<double>(histo[j]);
    z *= 0.5;
  }
  z += m * Sigma(static_cast<double>(histo[0]) / m);
  return static_cast<uint64_t>(std::llroundl(kAlphaInf * m * m / z));
}

// A sparse register update that must become dense (or a corrupt value: -1).
int Promote(std::string* hll, uint32_t index, uint8_t count) {
  if (!SparseToDense(hll)) return -1;
  uint8_t* regs = RegistersOf(hll);
  if (DenseGet(regs, index) >= count) return 0;
  DenseSet(regs, index, count);
  return 1;
}

int SparseSet(std::string* hll, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (count > kSparseValMax) return Promote(hll, index, count);
  std::string& s = *hll;
  const size_t len = s.size();

  // Find the opcode covering `index`: it starts at register `first` and spans `span`.
  size_t p = kHeaderSize;
  size_t prev = 0;
  bool has_prev = false;
  uint64_t first = 0, span = 0;
  while (p < len) {
    const uint8_t b = At(s, p);
    size_t oplen = 1;
    if (IsZero(b)) {
      span = ZeroLen(b);
    } else if (IsVal(b)) {
      span = ValLen(b);
    } else {
      span = XZeroLen(b, At(s, p + 1));
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    has_prev = true;
    p += oplen;
    first += span;
  }
  if (span == 0 || p >= len) return -1;

  const uint8_t op = At(s, p);
  const bool is_xzero = IsXZero(op);
  const bool is_zero = IsZero(op);
  const size_t next = p + (is_xzero ? 2 : 1);
  const bool has_next = next < len;

  bool rewritten = false;
  if (IsVal(op)) {
    if (ValValue(op) >= count) return 0;
    if (ValLen(op) == 1) {
      s[p] = static_cast<char>(ValOp(count, 1));
      rewritten = true;
    }
  } else if (is_zero && ZeroLen(op) == 1) {
    s[p] = static_cast<char>(ValOp(count, 1));
    rewritten = true;
  }

  if (!rewritten) {
    // Split the opcode into up to three: what lies before `index`, the new VAL, what follows.
    uint8_t seq[5];
    size_t n = 0;
    const uint64_t last = first + span - 1;
    auto zeros = [&](uint64_t run) {
      if (run > kZeroMaxLen) {
        XZeroOp(seq + n, static_cast<uint32_t>(run));
        n += 2;
      } else {
        seq[n++] = ZeroOp(static_cast<uint32_t>(run));
      }
    };
    if (is_zero || is_xzero) {
      if (index != first) zeros(index - first);
      seq[n++] = ValOp(count, 1);
      if (index != last) zeros(last - index);
    } else {
      const uint8_t cur = ValValue(op);
      if (index != first) seq[n++] = ValOp(cur, static_cast<uint32_t>(index - first));
      seq[n++] = ValOp(count, 1);
      if (index != last) seq[n++] = ValOp(cur, static_cast<uint32_t>(last - index));
    }
    const size_t oldlen = is_xzero ? 2 : 1;
    const ptrdiff_t delta = static_cast<ptrdiff_t>(n) - static_cast<ptrdiff_t>(oldlen);
    if (delta > 0 && len + static_cast<size_t>(delta) > sparse_max_bytes)
      return Promote(hll, index, count);
    const char* seq_chars = reinterpret_cast<const char*>(seq);
    if (has_next) {
      s.replace(p, oldlen, seq_chars, n);
    } else {
      // The last opcode (possibly a truncated XZERO): the new length is the old one plus the
      // difference, whatever of the sequence fits.
      s.resize(p);
      s.append(seq_chars, n);
      s.resize(static_cast<size_t>(static_cast<ptrdiff_t>(len) + delta));
    }
  }

  // Merge adjacent VAL opcodes of equal value, scanning at most five opcodes from the one
  // before the change (Redis's window, so both produce the same bytes).
  size_t q = has_prev ? prev : kHeaderSize;
  size_t end = s.size();
  int scanlen = 5;
  while (q < end && scanlen-- > 0) {
    const uint8_t b = At(s, q);
    if (IsXZero(b)) {
      q += 2;
      continue;
    }
    if (IsZero(b)) {
      q += 1;
      continue;
    }
    if (q + 1 < end && IsVal(At(s, q + 1))) {
      const uint8_t b2 = At(s, q + 1);
      if (ValValue(b) == ValValue(b2)) {
        const uint32_t run = ValLen(b) + ValLen(b2);
        if (run <= kValMaxLen) {
          s[q + 1] = static_cast<char>(ValOp(ValValue(b), run));
          s.erase(q, 1);
          --end;
          continue;  // the merged opcode may merge with the next one too
        }
      }
    }
    q += 1;
  }
  InvalidateCache(s.data());
  return 1;
}

}  // namespace

uint64_t MurmurHash64A(const void* key, size_t len, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const auto* data = static_cast<const uint8_t*>(key);
  uint64_t h = seed ^ (len * m);
  const size_t blocks = len / 8;
  for (size_t i = 0; i < blocks; ++i, data += 8) {
    uint64_t k = 0;
    for (int b = 7; b >= 0; --b) k = (k << 8) | data[b];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const size_t tail = len & 7;
  if (tail) {
    for (size_t b = tail; b-- > 0;) h ^= static_cast<uint64_t>(data[b]) << (8 * b);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Pattern PatternOf(std::string_view element) {
  uint64_t hash = MurmurHash64A(element.data(), element.size(), kHashSeed);
  const uint32_t index = static_cast<uint32_t>(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t{1} << kQ;  // the run ends by bit Q, so the count is at most Q + 1
  return {index, static_cast<uint8_t>(__builtin_ctzll(hash) + 1)};
}

bool IsHll(std::string_view v) {
  if (v.size() < kHeaderSize || v.substr(0, 4) != "HYLL") return false;
  const auto enc = static_cast<uint8_t>(v[4]);
  if (enc > static_cast<uint8_t>(Encoding::kSparse)) return false;
  return enc != static_cast<uint8_t>(Encoding::kDense) || v.size() == kDenseSize;
}

Encoding EncodingOf(std::string_view v) { return static_cast<Encoding>(v[4]); }

std::string NewSparse() {
  std::string s(kHeaderSize + 2, '\0');
  std::memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(Encoding::kSparse);
  XZeroOp(reinterpret_cast<uint8_t*>(s.data()) + kHeaderSize, kRegisters);
  return s;
}

std::optional<uint64_t> CachedCardinality(std::string_view v) {
  if (static_cast<uint8_t>(v[15]) & kCacheStale) return std::nullopt;
  uint64_t card = 0;
  for (int i = 7; i >= 0; --i) card = (card << 8) | static_cast<uint8_t>(v[8 + i]);
  return card;
}

void StoreCachedCardinality(char* v, uint64_t card) {
  for (int i = 0; i < 8; ++i) v[8 + i] = static_cast<char>((card >> (8 * i)) & 0xff);
}

void InvalidateCache(char* v) { v[15] = static_cast<char>(static_cast<uint8_t>(v[15]) | kCacheStale); }

uint8_t DenseGet(const uint8_t* regs, uint32_t index) {
  const size_t bit = static_cast<size_t>(index) * kBits;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  // The last register ends inside the last byte, so byte + 1 is always in the register area.
  const unsigned word = regs[byte] | (static_cast<unsigned>(regs[byte + 1]) << 8);
  return static_cast<uint8_t>((word >> shift) & kRegisterMax);
}

void DenseSet(uint8_t* regs, uint32_t index, uint8_t v) {
  const size_t bit = static_cast<size_t>(index) * kBits;
  const size_t byte = bit / 8;
  const unsigned shift = bit & 7;
  unsigned word = regs[byte] | (static_cast<unsigned>(regs[byte + 1]) << 8);
  word = (word & ~(static_cast<unsigned>(kRegisterMax) << shift)) |
         (static_cast<unsigned>(v & kRegisterMax) << shift);
  regs[byte] = static_cast<uint8_t>(word & 0xff);
  regs[byte + 1] = static_cast<uint8_t>(word >> 8);
}

int DenseAdd(uint8_t* regs, std::string_view element) {
  const Pattern pat = PatternOf(element);
  if (DenseGet(regs, pat.index) >= pat.count) return 0;
  DenseSet(regs, pat.index, pat.count);
  return 1;
}

int Set(std::string* hll, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (EncodingOf(*hll) == Encoding::kDense) {
    uint8_t* regs = RegistersOf(hll);
    if (DenseGet(regs, index) >= count) return 0;
    DenseSet(regs, index, count);
    return 1;
  }
  return SparseSet(hll, index, count, sparse_max_bytes);
}

int Add(std::string* hll, std::string_view element, size_t sparse_max_bytes) {
  const Pattern pat = PatternOf(element);
  return Set(hll, pat.index, pat.count, sparse_max_bytes);
}

bool SparseToDense(std::string* hll) {
  if (EncodingOf(*hll) == Encoding::kDense) return true;
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), hll->data(), kHeaderSize);  // magic and cache
  dense[4] = static_cast<char>(Encoding::kDense);
  uint8_t* regs = RegistersOf(&dense);
  bool overflow = false;
  const uint64_t covered = WalkSparse(
      *hll, [](uint32_t) {},
      [&](uint64_t idx, uint8_t value, uint32_t run) {
        overflow = idx + run > kRegisters;
        if (overflow) return false;
        for (uint32_t i = 0; i < run; ++i) DenseSet(regs, static_cast<uint32_t>(idx + i), value);
        return true;
      });
  if (overflow || covered != kRegisters) return false;
  *hll = std::move(dense);
  return true;
}

bool MergeInto(Registers* max, std::string_view hll) {
  if (EncodingOf(hll) == Encoding::kDense) {
    const uint8_t* regs = RegistersOf(hll);
    for (uint32_t i = 0; i < kRegisters; ++i) {
      const uint8_t v = DenseGet(regs, i);
      if (v > (*max)[i]) (*max)[i] = v;
    }
    return true;
  }
  bool overflow = false;
  const uint64_t covered = WalkSparse(
      hll, [](uint32_t) {},
      [&](uint64_t idx, uint8_t value, uint32_t run) {
        overflow = idx + run > kRegisters;
        if (overflow) return false;
        for (uint32_t i = 0; i < run; ++i)
          if (value > (*max)[idx + i]) (*max)[idx + i] = value;
        return true;
      });
  return !overflow && covered == kRegisters;
}

std::optional<uint64_t> Count(std::string_view hll) {
  int64_t histo[64] = {};
  if (EncodingOf(hll) == Encoding::kDense) {
    const uint8_t* regs = RegistersOf(hll);
    for (uint32_t i = 0; i < kRegisters; ++i) ++histo[DenseGet(regs, i)];
    return Estimate(histo);
  }
  const uint64_t covered = WalkSparse(
      hll, [&](uint32_t run) { histo[0] += run; },
      [&](uint64_t, uint8_t value, uint32_t run) {
        histo[value] += run;
        return true;
      });
  if (covered != kRegisters) return std::nullopt;
  return Estimate(histo);
}

uint64_t CountRegisters(const Registers& regs) {
  int64_t histo[64] = {};
  for (uint8_t v : regs) ++histo[v & 63];
  return Estimate(histo);
}

std::string DecodeSparse(std::string_view hll) {
  std::string out;
  size_t p = kHeaderSize;
  while (p < hll.size()) {
    const uint8_t b = At(hll, p);
    if (!out.empty()) out += ' ';
    if (IsZero(b)) {
      out += "z:" + std::to_string(ZeroLen(b));
      p += 1;
    } else if (IsXZero(b)) {
      out += "Z:" + std::to_string(XZeroLen(b, At(hll, p + 1)));
      p += 2;
    } else {
      out += "v:" + std::to_string(ValValue(b)) + "," + std::to_string(ValLen(b));
      p += 1;
    }
  }
  return out;
}

}  // namespace kv::hll
