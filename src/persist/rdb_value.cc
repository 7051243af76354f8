#include "persist/rdb_value.h"

#include <liblzf/lzf.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "core/crc64.h"
#include "core/scalar.h"
#include "persist/rdb_internal.h"

namespace kv {

namespace rdb {

// RDB object type bytes (Redis's rdb.h).
enum : uint8_t {
  kTypeString = 0,
  kTypeList = 1,
  kTypeSet = 2,
  kTypeZSet = 3,
  kTypeHash = 4,
  kTypeZSet2 = 5,
  kTypeSetIntSet = 11,
  kTypeHashListPack = 16,
  kTypeZSetListPack = 17,
  kTypeListQuickList2 = 18,
  kTypeStreamListPacks = 15,
  kTypeStreamListPacks2 = 19,
};
enum : uint64_t { kNodePlain = 1, kNodePacked = 2 };
// Special string encodings after an 11xxxxxx length byte.
enum : uint8_t { kEncInt8 = 0, kEncInt16 = 1, kEncInt32 = 2, kEncLzf = 3 };

// A list node is closed at this many elements or bytes, near Redis's default node size
// (list-max-listpack-size -2: 8 KB).
constexpr size_t kNodeMaxItems = 128;
constexpr size_t kNodeMaxBytes = 8192;
// Largest string a payload may expand to (proto-max-bulk-len's default), and LZF's best ratio
// bound, so a hostile length cannot make the reader reserve memory the input does not justify.
constexpr uint64_t kMaxString = 512ull * 1024 * 1024;
constexpr uint64_t kLzfMaxRatio = 256;

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void PutLen(std::string* out, uint64_t len) {
  if (len < 64) {
    out->push_back(static_cast<char>(len));
  } else if (len < 16384) {
    out->push_back(static_cast<char>(0x40 | (len >> 8)));
    out->push_back(static_cast<char>(len & 0xff));
  } else if (len <= std::numeric_limits<uint32_t>::max()) {
    out->push_back(static_cast<char>(0x80));
    for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>(len >> (8 * i)));
  } else {
    out->push_back(static_cast<char>(0x81));
    for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(len >> (8 * i)));
  }
}

// Redis's rdbSaveRawString: small integers as integers, longer strings LZF-compressed when
// that saves at least four bytes, the rest raw.
void PutString(std::string* out, std::string_view s) {
  if (s.size() <= 11) {
    if (const auto v = ParseInt64(s)) {
      if (*v >= -128 && *v <= 127) {
        out->push_back(static_cast<char>(0xC0 | kEncInt8));
        PutLe(out, static_cast<uint64_t>(*v), 1);
        return;
      }
      if (*v >= -32768 && *v <= 32767) {
        out->push_back(static_cast<char>(0xC0 | kEncInt16));
        PutLe(out, static_cast<uint64_t>(*v), 2);
        return;
      }
      if (*v >= std::numeric_limits<int32_t>::min() && *v <= std::numeric_limits<int32_t>::max()) {
        out->push_back(static_cast<char>(0xC0 | kEncInt32));
        PutLe(out, static_cast<uint64_t>(*v), 4);
        return;
      }
    }
  }
  if (s.size() > 20 && s.size() <= std::numeric_limits<unsigned>::max()) {
    std::string packed(s.size() - 4, '\0');
    const unsigned n = lzf_compress(s.data(), static_cast<unsigned>(s.size()), packed.data(),
                                    static_cast<unsigned>(packed.size()));
    if (n > 0) {
      out->push_back(static_cast<char>(0xC0 | kEncLzf));
      PutLen(out, n);
      PutLen(out, s.size());
      out->append(packed.data(), n);
      return;
    }
  }
  PutLen(out, s.size());
  out->append(s);
}

// Redis's lpEncodeBacklen: the entry size, 7 bits per byte, read backwards.
void PutBacklen(std::string* out, uint64_t l) {
  if (l <= 127) {
    out->push_back(static_cast<char>(l));
    return;
  }
  // The first byte holds the top bits; every later one has its high bit set.
  const int n = l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  out->push_back(static_cast<char>(l >> (7 * (n - 1))));
  for (int i = n - 2; i >= 0; --i) out->push_back(static_cast<char>(((l >> (7 * i)) & 127) | 128));
}

// One listpack entry in Redis's encoding: canonical integers as integers.
void PutListpackEntry(std::string* out, std::string_view s) {
  const size_t start = out->size();
  if (const auto parsed = ParseInt64(s)) {
    const int64_t v = *parsed;
    const uint64_t u = static_cast<uint64_t>(v);
    if (v >= 0 && v <= 127) {
      out->push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
      const uint64_t w = v < 0 ? (uint64_t{1} << 13) + u : u;
      out->push_back(static_cast<char>(0xC0 | (w >> 8)));
      out->push_back(static_cast<char>(w & 0xff));
    } else if (v >= -32768 && v <= 32767) {
      out->push_back(static_cast<char>(0xF1));
      PutLe(out, u, 2);
    } else if (v >= -(1 << 23) && v < (1 << 23)) {
      out->push_back(static_cast<char>(0xF2));
      PutLe(out, u, 3);
    } else if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
      out->push_back(static_cast<char>(0xF3));
      PutLe(out, u, 4);
    } else {
      out->push_back(static_cast<char>(0xF4));
      PutLe(out, u, 8);
    }
  } else if (s.size() < 64) {
    out->push_back(static_cast<char>(0x80 | s.size()));
    out->append(s);
  } else if (s.size() < 4096) {
    out->push_back(static_cast<char>(0xE0 | (s.size() >> 8)));
    out->push_back(static_cast<char>(s.size() & 0xff));
    out->append(s);
  } else {
    out->push_back(static_cast<char>(0xF0));
    PutLe(out, s.size(), 4);
    out->append(s);
  }
  PutBacklen(out, out->size() - start);
}

// A listpack blob of `items` [first, last).
std::string Listpack(const std::vector<std::string>& items, size_t first, size_t last) {
  std::string lp(6, '\0');
  for (size_t i = first; i < last; ++i) PutListpackEntry(&lp, items[i]);
  lp.push_back(static_cast<char>(0xFF));
  const uint64_t count = std::min<uint64_t>(last - first, 65535);
  for (int i = 0; i < 4; ++i) lp[i] = static_cast<char>(lp.size() >> (8 * i));
  lp[4] = static_cast<char>(count & 0xff);
  lp[5] = static_cast<char>(count >> 8);
  return lp;
}

// Redis 7.0's d2string: integral scores within 2^52 as integers, others with 17 digits.
std::string ScoreText(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  if (d > -4503599627370495.0 && d < 4503599627370496.0 && d == std::trunc(d))
    return std::to_string(static_cast<int64_t>(d));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", d);
  return buf;
}

void PutIntSet(std::string* out, const std::vector<std::string>& items) {
  std::vector<int64_t> v;
  v.reserve(items.size());
  for (const std::string& s : items) v.push_back(*ParseInt64(s));
  std::sort(v.begin(), v.end());
  int width = 2;
  for (int64_t x : v) {
    if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max())
      width = 8;
    else if ((x < -32768 || x > 32767) && width < 4)
      width = 4;
  }
  std::string blob;
  PutLe(&blob, static_cast<uint64_t>(width), 4);
  PutLe(&blob, v.size(), 4);
  for (int64_t x : v) PutLe(&blob, static_cast<uint64_t>(x), width);
  PutString(out, blob);
}

bool AllIntegers(const std::vector<std::string>& items) {
  return std::all_of(items.begin(), items.end(),
                     [](const std::string& s) { return ParseInt64(s).has_value(); });
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}
// The low `bits` of `u` as a two's complement number.
int64_t Signed(uint64_t u, int bits) {
  if (bits == 64) return static_cast<int64_t>(u);
  const uint64_t half = uint64_t{1} << (bits - 1);
  return u >= half ? static_cast<int64_t>(u) - static_cast<int64_t>(half << 1)
                   : static_cast<int64_t>(u);
}

class Reader {
 public:
  explicit Reader(std::string_view d) : d_(d) {}
  size_t remaining() const { return d_.size() - pos_; }

  bool U8(uint8_t* b) {
    if (remaining() < 1) return false;
    *b = static_cast<uint8_t>(d_[pos_++]);
    return true;
  }
  bool Take(uint64_t n, std::string_view* out) {
    if (n > remaining()) return false;
    *out = d_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  // A length; *encoded when it is one of the special string encodings instead.
  bool Len(uint64_t* len, bool* encoded = nullptr) {
    uint8_t b;
    if (!U8(&b)) return false;
    if (encoded) *encoded = false;
    switch (b >> 6) {
      case 0:
        *len = b & 0x3f;
        return true;
      case 1: {
        uint8_t c;
        if (!U8(&c)) return false;
        *len = static_cast<uint64_t>(b & 0x3f) << 8 | c;
        return true;
      }
      case 2: {
        const int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
        std::string_view raw;
        if (n == 0 || !Take(n, &raw)) return false;
        *len = 0;
        for (char c : raw) *len = *len << 8 | static_cast<uint8_t>(c);
        return true;
      }
      default:
        if (!encoded) return false;
        *encoded = true;
        *len = b & 0x3f;
        return true;
    }
  }
  bool String(std::string* out) {
    uint64_t len;
    bool encoded;
    if (!Len(&len, &encoded)) return false;
    if (!encoded) {
      std::string_view raw;
      if (!Take(len, &raw)) return false;
      out->assign(raw);
      return true;
    }
    std::string_view raw;
    switch (len) {
      case kEncInt8:
      case kEncInt16:
      case kEncInt32: {
        const int n = 1 << len;
        if (!Take(n, &raw)) return false;
        *out = std::to_string(Signed(GetLe(raw.data(), n), 8 * n));
        return true;
      }
      case kEncLzf: {
        uint64_t clen, ulen;
        if (!Len(&clen) || !Len(&ulen) || !Take(clen, &raw)) return false;
        if (ulen == 0 || ulen > kMaxString || ulen > clen * kLzfMaxRatio) return false;
        out->resize(ulen);
        return lzf_decompress(raw.data(), static_cast<unsigned>(raw.size()), out->data(),
                              static_cast<unsigned>(ulen)) == ulen;
      }
      default:
        return false;
    }
  }
  // A count of things that each take at least one more byte.
  bool Count(uint64_t* n) { return Len(n) && *n > 0 && *n <= remaining(); }

 private:
  std::string_view d_;
  size_t pos_ = 0;
};

// Appends a Redis listpack's elements to *out; false when it is malformed.
bool ParseListpack(std::string_view lp, std::vector<std::string>* out) {
  if (lp.size() < 7 || GetLe(lp.data(), 4) != lp.size()) return false;
  const uint64_t declared = GetLe(lp.data() + 4, 2);
  size_t p = 6;
  uint64_t n = 0;
  for (;;) {
    if (p >= lp.size()) return false;
    const uint8_t b = static_cast<uint8_t>(lp[p]);
    if (b == 0xFF) {
      if (p + 1 != lp.size()) return false;
      break;
    }
    const size_t left = lp.size() - p;
    size_t hdr = 1, body = 0;
    std::optional<int64_t> iv;
    if ((b & 0x80) == 0) {
      iv = b & 0x7f;
    } else if ((b & 0xC0) == 0x80) {
      body = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {
      if (left < 2) return false;
      hdr = 2;
      iv = Signed(static_cast<uint64_t>(b & 0x1f) << 8 | static_cast<uint8_t>(lp[p + 1]), 13);
    } else if ((b & 0xF0) == 0xE0) {
      if (left < 2) return false;
      hdr = 2;
      body = static_cast<size_t>(b & 0x0f) << 8 | static_cast<uint8_t>(lp[p + 1]);
    } else if (b == 0xF0) {
      if (left < 5) return false;
      hdr = 5;
      body = GetLe(lp.data() + p + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF4) {
      const int bytes = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
      if (left < static_cast<size_t>(1 + bytes)) return false;
      hdr = 1 + bytes;
      iv = Signed(GetLe(lp.data() + p + 1, bytes), 8 * bytes);
    } else {
      return false;
    }
    if (body > left - hdr) return false;
    const size_t entry = hdr + body;
    std::string backlen;
    PutBacklen(&backlen, entry);
    if (lp.substr(p + entry, backlen.size()) != backlen) return false;
    if (iv)
      out->push_back(std::to_string(*iv));
    else
      out->emplace_back(lp.substr(p + hdr, body));
    p += entry + backlen.size();
    ++n;
  }
  return declared == 65535 || declared == n;
}

bool ParseIntSet(std::string_view blob, std::vector<std::string>* out) {
  if (blob.size() < 8) return false;
  const uint64_t width = GetLe(blob.data(), 4), n = GetLe(blob.data() + 4, 4);
  if ((width != 2 && width != 4 && width != 8) || n == 0 || blob.size() != 8 + width * n)
    return false;
  int64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const int64_t v = Signed(GetLe(blob.data() + 8 + i * width, static_cast<int>(width)),
                             static_cast<int>(8 * width));
    if (i > 0 && v <= prev) return false;  // an intset is sorted, without duplicates
    out->push_back(std::to_string(v));
    prev = v;
  }
  return true;
}

bool ParseScoreText(std::string_view s, double* d) {
  if (s.empty() || s.size() > 127) return false;
  const std::string z(s);
  char* end = nullptr;
  *d = std::strtod(z.c_str(), &end);
  return *end == '\0' && !std::isnan(*d);
}

bool Unique(const std::vector<std::string>& items, size_t step) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(items.size() / step);
  for (size_t i = 0; i < items.size(); i += step)
    if (!seen.insert(items[i]).second) return false;
  return true;
}

// Splits a listpack of member, score pairs into `v`.
bool ZSetFromPairs(std::vector<std::string>&& flat, RdbValue* v) {
  if (flat.empty() || flat.size() % 2 != 0) return false;
  for (size_t i = 0; i < flat.size(); i += 2) {
    double d;
    if (!ParseScoreText(flat[i + 1], &d)) return false;
    v->items.push_back(std::move(flat[i]));
    v->scores.push_back(d);
  }
  return true;
}

bool ParseBody(Reader& r, uint8_t type, RdbValue* v) {
  std::string s;
  uint64_t n;
  switch (type) {
    case kTypeString:
      v->kind = RdbValue::Kind::kString;
      if (!r.String(&s)) return false;
      v->items.push_back(std::move(s));
      return true;
    case kTypeList:
    case kTypeSet:
      v->kind = type == kTypeList ? RdbValue::Kind::kList : RdbValue::Kind::kSet;
      if (!r.Count(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!r.String(&s)) return false;
        v->items.push_back(std::move(s));
      }
      return type == kTypeList || Unique(v->items, 1);
    case kTypeSetIntSet:
      v->kind = RdbValue::Kind::kSet;
      v->compact = true;
      return r.String(&s) && ParseIntSet(s, &v->items);
    case kTypeHash:
      v->kind = RdbValue::Kind::kHash;
      if (!r.Count(&n)) return false;
      for (uint64_t i = 0; i < 2 * n; ++i) {
        if (!r.String(&s)) return false;
        v->items.push_back(std::move(s));
      }
      return Unique(v->items, 2);
    case kTypeHashListPack:
      v->kind = RdbValue::Kind::kHash;
      v->compact = true;
      return r.String(&s) && ParseListpack(s, &v->items) && !v->items.empty() &&
             v->items.size() % 2 == 0 && Unique(v->items, 2);
    case kTypeZSet:
    case kTypeZSet2:
      v->kind = RdbValue::Kind::kZSet;
      if (!r.Count(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        if (!r.String(&s)) return false;
        double d;
        std::string_view raw;
        if (type == kTypeZSet2) {
          if (!r.Take(8, &raw)) return false;
          d = std::bit_cast<double>(GetLe(raw.data(), 8));
        } else {
          uint8_t len;
          if (!r.U8(&len)) return false;
          if (len == 253) return false;  // NaN
          if (len == 254 || len == 255) {
            d = len == 254 ? HUGE_VAL : -HUGE_VAL;
          } else if (!r.Take(len, &raw) || !ParseScoreText(raw, &d)) {
            return false;
          }
        }
        if (std::isnan(d)) return false;
        v->items.push_back(std::move(s));
        v->scores.push_back(d);
      }
      return Unique(v->items, 1);
    case kTypeZSetListPack: {
      v->kind = RdbValue::Kind::kZSet;
      v->compact = true;
      std::vector<std::string> flat;
      return r.String(&s) && ParseListpack(s, &flat) && ZSetFromPairs(std::move(flat), v) &&
             Unique(v->items, 1);
    }
    case kTypeListQuickList2:
      v->kind = RdbValue::Kind::kList;
      if (!r.Count(&n)) return false;
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t container;
        if (!r.Len(&container) || !r.String(&s)) return false;
        if (container == kNodePlain) {
          v->items.push_back(std::move(s));
        } else if (container != kNodePacked || !ParseListpack(s, &v->items)) {
          return false;
        }
      }
      return !v->items.empty();
    case kTypeStreamListPacks:
    case kTypeStreamListPacks2:
      v->kind = RdbValue::Kind::kStream;
      v->stream = ParseStreamBody(r, type == kTypeStreamListPacks2);
      return v->stream != nullptr;
    default:
      return false;
  }
}

// The reader for the type files beside this one (persist/rdb_internal.h).
bool ReadLen(Reader& r, uint64_t* n) { return r.Len(n); }
bool ReadCount(Reader& r, uint64_t* n) { return r.Count(n); }
bool ReadString(Reader& r, std::string* out) { return r.String(out); }
bool ReadRaw(Reader& r, uint64_t n, std::string_view* out) { return r.Take(n, out); }
size_t Remaining(const Reader& r) { return r.remaining(); }

}  // namespace rdb

using namespace rdb;

std::string DumpRdbValue(const RdbValue& v) {
  std::string out;
  switch (v.kind) {
    case RdbValue::Kind::kString:
      out.push_back(static_cast<char>(kTypeString));
      PutString(&out, v.items.empty() ? std::string_view() : std::string_view(v.items[0]));
      break;
    case RdbValue::Kind::kList: {
      out.push_back(static_cast<char>(kTypeListQuickList2));
      std::vector<std::string> nodes;
      size_t first = 0, bytes = 0;
      for (size_t i = 0; i < v.items.size(); ++i) {
        bytes += v.items[i].size() + 11;
        if (i + 1 == v.items.size() || i + 1 - first >= kNodeMaxItems || bytes >= kNodeMaxBytes) {
          nodes.push_back(Listpack(v.items, first, i + 1));
          first = i + 1;
          bytes = 0;
        }
      }
      PutLen(&out, nodes.size());
      for (const std::string& lp : nodes) {
        PutLen(&out, kNodePacked);
        PutString(&out, lp);
      }
      break;
    }
    case RdbValue::Kind::kSet:
      // Redis 7.0 has no set listpack: a compact set is an intset or nothing.
      if (v.compact && AllIntegers(v.items)) {
        out.push_back(static_cast<char>(kTypeSetIntSet));
        PutIntSet(&out, v.items);
      } else {
        out.push_back(static_cast<char>(kTypeSet));
        PutLen(&out, v.items.size());
        for (const std::string& s : v.items) PutString(&out, s);
      }
      break;
    case RdbValue::Kind::kHash:
      if (v.compact) {
        out.push_back(static_cast<char>(kTypeHashListPack));
        PutString(&out, Listpack(v.items, 0, v.items.size()));
      } else {
        out.push_back(static_cast<char>(kTypeHash));
        PutLen(&out, v.items.size() / 2);
        for (const std::string& s : v.items) PutString(&out, s);
      }
      break;
    case RdbValue::Kind::kStream:
      return v.stream ? DumpRdbStream(*v.stream) : std::string();
    case RdbValue::Kind::kZSet:
      if (v.compact) {
        std::vector<std::string> flat;
        flat.reserve(2 * v.items.size());
        for (size_t i = 0; i < v.items.size(); ++i) {
          flat.push_back(v.items[i]);
          flat.push_back(ScoreText(v.scores[i]));
        }
        out.push_back(static_cast<char>(kTypeZSetListPack));
        PutString(&out, Listpack(flat, 0, flat.size()));
      } else {
        // Redis writes a skiplist zset from the highest score down, so loading appends at the head.
        out.push_back(static_cast<char>(kTypeZSet2));
        PutLen(&out, v.items.size());
        for (size_t i = v.items.size(); i-- > 0;) {
          PutString(&out, v.items[i]);
          PutLe(&out, std::bit_cast<uint64_t>(v.scores[i]), 8);
        }
      }
      break;
  }
  PutLe(&out, kRdbVersion, 2);
  PutLe(&out, Crc64(0, out), 8);
  return out;
}

namespace {
// DUMP's trailer: 2 bytes of RDB version (not newer than ours) and a CRC64 of all before it.
bool FooterValid(std::string_view payload) {
  if (payload.size() < 10) return false;
  const char* footer = payload.data() + payload.size() - 10;
  return GetLe(footer, 2) <= kRdbVersion &&
         Crc64(0, payload.substr(0, payload.size() - 8)) == GetLe(footer + 2, 8);
}
}  // namespace

RdbError ParseRdbValue(std::string_view payload, RdbValue* out) {
  if (!FooterValid(payload)) return RdbError::kBadFooter;
  Reader r(payload.substr(0, payload.size() - 10));
  *out = RdbValue{};
  uint8_t type;
  if (!r.U8(&type) || !ParseBody(r, type, out)) return RdbError::kBadData;
  return RdbError::kOk;
}

namespace {
constexpr uint8_t kOpcodeFunction2 = 245;

void PutFooter(std::string* out) {
  PutLe(out, kRdbVersion, 2);
  PutLe(out, Crc64(0, *out), 8);
}
}  // namespace

std::string DumpFunctionPayload(const std::vector<std::string_view>& codes) {
  std::string out;
  for (std::string_view code : codes) {
    out.push_back(static_cast<char>(kOpcodeFunction2));
    PutString(&out, code);
  }
  PutFooter(&out);
  return out;
}

RdbError ParseFunctionPayload(std::string_view payload, std::vector<std::string>* codes) {
  if (!FooterValid(payload)) return RdbError::kBadFooter;
  Reader r(payload.substr(0, payload.size() - 10));
  codes->clear();
  while (r.remaining() > 0) {
    uint8_t type;
    std::string code;
    if (!r.U8(&type) || type != kOpcodeFunction2 || !r.String(&code)) return RdbError::kBadData;
    codes->push_back(std::move(code));
  }
  return RdbError::kOk;
}

}  // namespace kv
