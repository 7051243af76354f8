// Value codec. The decoder is a recursive descent bounded by DecodeLimits::max_depth, so its
// stack use is bounded too.
#include "native_proto/value_codec.h"

#include <bit>
#include <cstring>

#include "core/utf8.h"

namespace kv::native {

std::string_view DecodeErrorText(DecodeError e) {
  switch (e) {
    case DecodeError::kOk: return "ok";
    case DecodeError::kTruncated: return "truncated value";
    case DecodeError::kUnknownType: return "unknown value type byte";
    case DecodeError::kInvalidUtf8: return "invalid UTF-8";
    case DecodeError::kInvalidDecimal: return "invalid decimal text";
    case DecodeError::kTooDeep: return "value nested too deeply";
    case DecodeError::kCountTooLarge: return "element count larger than the remaining bytes";
    case DecodeError::kTooLarge: return "value too large";
  }
  return "unknown error";
}

std::string DecodeErrorMessage(DecodeError e, size_t offset) {
  std::string msg = "invalid value at offset " + std::to_string(offset) + ": ";
  msg.append(DecodeErrorText(e));
  return msg;
}

// ---------------------------------------------------------------------------------------------
// Encoder

namespace {

void PutBlob(std::string* out, std::string_view s) {
  wire::PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

}  // namespace

void EncodeValue(const Value& v, std::string* out) {
  wire::PutU8(out, static_cast<uint8_t>(v.type()));
  switch (v.type()) {
    case ValueType::kNull: return;
    case ValueType::kInt: wire::PutU64(out, static_cast<uint64_t>(v.as_int())); return;
    case ValueType::kFloat: wire::PutU64(out, std::bit_cast<uint64_t>(v.as_float())); return;
    case ValueType::kDecimal: {
      char buf[Decimal::kMaxStringSize];
      const size_t n = v.as_decimal().ToString(buf);
      PutBlob(out, std::string_view(buf, n));
      return;
    }
    case ValueType::kString:
    case ValueType::kBytes: PutBlob(out, v.as_string()); return;
    case ValueType::kList:
      wire::PutU32(out, static_cast<uint32_t>(v.as_list().size()));
      for (const Value& e : v.as_list()) EncodeValue(e, out);
      return;
    case ValueType::kMap:
      wire::PutU32(out, static_cast<uint32_t>(v.as_map().size()));
      for (const auto& [k, e] : v.as_map()) {
        PutBlob(out, k);
        EncodeValue(e, out);
      }
      return;
  }
}

std::string EncodeValue(const Value& v) {
  std::string out;
  EncodeValue(v, &out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoder

namespace {

// Smallest encodings, used to refuse counts that cannot fit before reserving anything.
constexpr size_t kMinValueSize = 1;            // Null
constexpr size_t kMinMapEntrySize = 4 + 1;     // empty key + Null

class Reader {
 public:
  // `window` is buf cut to max_size; `cut` tells whether bytes beyond it were dropped, so that
  // running out of window is kTooLarge rather than kTruncated.
  Reader(std::string_view window, bool cut, size_t max_depth)
      : buf_(window), cut_(cut), max_depth_(max_depth) {}

  DecodeError Value(size_t depth, native::Value* out) {
    if (pos_ >= buf_.size()) return Short();
    const auto type = static_cast<uint8_t>(buf_[pos_]);
    if (type > static_cast<uint8_t>(ValueType::kMap)) return FailAt(DecodeError::kUnknownType);
    ++pos_;
    switch (static_cast<ValueType>(type)) {
      case ValueType::kNull: *out = native::Value::Null(); return DecodeError::kOk;
      case ValueType::kInt:
      case ValueType::kFloat: {
        if (Remaining() < 8) return Short();
        const uint64_t bits = wire::GetU64(buf_.data() + pos_);
        pos_ += 8;
        *out = type == 1 ? native::Value::Int(static_cast<int64_t>(bits))
                         : native::Value::Float(std::bit_cast<double>(bits));
        return DecodeError::kOk;
      }
      case ValueType::kDecimal: {
        std::string_view text;
        if (DecodeError e = Blob(&text); e != DecodeError::kOk) return e;
        auto d = Decimal::Parse(text);
        if (!d) return FailAt(DecodeError::kInvalidDecimal, pos_ - text.size() - 4);
        *out = native::Value::Dec(*d);
        return DecodeError::kOk;
      }
      case ValueType::kString: {
        std::string_view text;
        if (DecodeError e = Blob(&text); e != DecodeError::kOk) return e;
        if (Utf8Length(text) < 0) return FailAt(DecodeError::kInvalidUtf8, pos_ - text.size());
        *out = native::Value::String(std::string(text));
        return DecodeError::kOk;
      }
      case ValueType::kBytes: {
        std::string_view bytes;
        if (DecodeError e = Blob(&bytes); e != DecodeError::kOk) return e;
        *out = native::Value::Bytes(std::string(bytes));
        return DecodeError::kOk;
      }
      case ValueType::kList: {
        if (depth + 1 > max_depth_) return FailAt(DecodeError::kTooDeep, pos_ - 1);
        uint32_t count = 0;
        if (DecodeError e = Count(kMinValueSize, &count); e != DecodeError::kOk) return e;
        native::Value::List list;
        list.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
          list.emplace_back();
          if (DecodeError e = Value(depth + 1, &list.back()); e != DecodeError::kOk) return e;
        }
        *out = native::Value::MakeList(std::move(list));
        return DecodeError::kOk;
      }
      case ValueType::kMap: {
        if (depth + 1 > max_depth_) return FailAt(DecodeError::kTooDeep, pos_ - 1);
        uint32_t count = 0;
        if (DecodeError e = Count(kMinMapEntrySize, &count); e != DecodeError::kOk) return e;
        native::Value::Map map;
        map.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
          std::string_view key;
          if (DecodeError e = Blob(&key); e != DecodeError::kOk) return e;
          if (Utf8Length(key) < 0) return FailAt(DecodeError::kInvalidUtf8, pos_ - key.size());
          map.emplace_back(std::string(key), native::Value());
          if (DecodeError e = Value(depth + 1, &map.back().second); e != DecodeError::kOk) {
            return e;
          }
        }
        *out = native::Value::MakeMap(std::move(map));
        return DecodeError::kOk;
      }
    }
    return FailAt(DecodeError::kUnknownType);
  }

  size_t pos() const { return pos_; }
  size_t error_offset() const { return error_offset_; }

 private:
  size_t Remaining() const { return buf_.size() - pos_; }

  DecodeError FailAt(DecodeError e) { return FailAt(e, pos_); }
  DecodeError FailAt(DecodeError e, size_t at) {
    error_offset_ = at;
    return e;
  }
  // The bytes ran out at pos_: the input is short, or the value outgrew max_size.
  DecodeError Short() { return FailAt(cut_ ? DecodeError::kTooLarge : DecodeError::kTruncated); }

  // [len u32] + len bytes, checked against the remaining bytes before anything is copied.
  DecodeError Blob(std::string_view* out) {
    if (Remaining() < 4) return Short();
    const uint32_t len = wire::GetU32(buf_.data() + pos_);
    if (Remaining() - 4 < len) return Short();
    pos_ += 4;
    *out = buf_.substr(pos_, len);
    pos_ += len;
    return DecodeError::kOk;
  }

  DecodeError Count(size_t min_element_size, uint32_t* count) {
    if (Remaining() < 4) return Short();
    const uint32_t n = wire::GetU32(buf_.data() + pos_);
    if (n > (Remaining() - 4) / min_element_size) {
      // Within the window it cannot fit; if the window was cut, a bigger buffer might have held
      // it but then the value would exceed max_size anyway.
      return FailAt(cut_ ? DecodeError::kTooLarge : DecodeError::kCountTooLarge);
    }
    pos_ += 4;
    *count = n;
    return DecodeError::kOk;
  }

  std::string_view buf_;
  bool cut_;
  size_t max_depth_;
  size_t pos_ = 0;
  size_t error_offset_ = 0;
};

}  // namespace

DecodeError ValueDecoder::Decode(std::string_view buf, size_t* consumed, Value* out,
                                 size_t* error_offset) const {
  *consumed = 0;
  const bool cut = buf.size() > limits_.max_size;
  Reader r(cut ? buf.substr(0, limits_.max_size) : buf, cut, limits_.max_depth);
  const DecodeError e = r.Value(0, out);
  if (e != DecodeError::kOk) {
    if (error_offset != nullptr) *error_offset = r.error_offset();
    return e;
  }
  *consumed = r.pos();
  return DecodeError::kOk;
}

}  // namespace kv::native
