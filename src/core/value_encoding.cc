// Value encoding walker. A recursive descent bounded by DecodeLimits::max_depth, so its stack
// use is bounded too.
#include "core/value_encoding.h"

#include <bit>

#include "core/reply_builder.h"
#include "core/scalar.h"
#include "core/utf8.h"

namespace kv {

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

namespace {

// Smallest encodings, used to refuse counts that cannot fit before trusting them.
constexpr size_t kMinValueSize = 1;         // Null
constexpr size_t kMinMapEntrySize = 4 + 1;  // empty key + Null

class Walker {
 public:
  // `window` is buf cut to max_size; `cut` tells whether bytes beyond it were dropped, so that
  // running out of window is kTooLarge rather than kTruncated.
  Walker(std::string_view window, bool cut, size_t max_depth, EncodedValueVisitor& v)
      : buf_(window), cut_(cut), max_depth_(max_depth), v_(v) {}

  DecodeError Value(size_t depth) {
    if (pos_ >= buf_.size()) return Short();
    const auto type = static_cast<uint8_t>(buf_[pos_]);
    if (type > static_cast<uint8_t>(EncodedType::kMap)) return FailAt(DecodeError::kUnknownType);
    ++pos_;
    switch (static_cast<EncodedType>(type)) {
      case EncodedType::kNull: v_.Null(); return DecodeError::kOk;
      case EncodedType::kInt:
      case EncodedType::kFloat: {
        if (Remaining() < 8) return Short();
        const uint64_t bits = wire::GetU64(buf_.data() + pos_);
        pos_ += 8;
        if (type == static_cast<uint8_t>(EncodedType::kInt))
          v_.Int(static_cast<int64_t>(bits));
        else
          v_.Float(std::bit_cast<double>(bits));
        return DecodeError::kOk;
      }
      case EncodedType::kDecimal: {
        std::string_view text;
        if (DecodeError e = Blob(&text); e != DecodeError::kOk) return e;
        auto d = Decimal::Parse(text);
        if (!d) return FailAt(DecodeError::kInvalidDecimal, pos_ - text.size() - 4);
        v_.Dec(*d);
        return DecodeError::kOk;
      }
      case EncodedType::kString: {
        std::string_view text;
        if (DecodeError e = Blob(&text); e != DecodeError::kOk) return e;
        if (Utf8Length(text) < 0) return FailAt(DecodeError::kInvalidUtf8, pos_ - text.size());
        v_.String(text);
        return DecodeError::kOk;
      }
      case EncodedType::kBytes: {
        std::string_view bytes;
        if (DecodeError e = Blob(&bytes); e != DecodeError::kOk) return e;
        v_.Bytes(bytes);
        return DecodeError::kOk;
      }
      case EncodedType::kList: {
        if (depth + 1 > max_depth_) return FailAt(DecodeError::kTooDeep, pos_ - 1);
        uint32_t count = 0;
        if (DecodeError e = Count(kMinValueSize, &count); e != DecodeError::kOk) return e;
        v_.BeginList(count);
        for (uint32_t i = 0; i < count; ++i)
          if (DecodeError e = Value(depth + 1); e != DecodeError::kOk) return e;
        v_.EndContainer();
        return DecodeError::kOk;
      }
      case EncodedType::kMap: {
        if (depth + 1 > max_depth_) return FailAt(DecodeError::kTooDeep, pos_ - 1);
        uint32_t count = 0;
        if (DecodeError e = Count(kMinMapEntrySize, &count); e != DecodeError::kOk) return e;
        v_.BeginMap(count);
        for (uint32_t i = 0; i < count; ++i) {
          std::string_view key;
          if (DecodeError e = Blob(&key); e != DecodeError::kOk) return e;
          if (Utf8Length(key) < 0) return FailAt(DecodeError::kInvalidUtf8, pos_ - key.size());
          v_.MapKey(key);
          if (DecodeError e = Value(depth + 1); e != DecodeError::kOk) return e;
        }
        v_.EndContainer();
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

  // [len u32] + len bytes, checked against the remaining bytes before anything is used.
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
  EncodedValueVisitor& v_;
  size_t pos_ = 0;
  size_t error_offset_ = 0;
};

// Replays a stored value into a ReplyBuilder; aggregates are announced with their counts, which
// the format carries up front, exactly as RESP needs them.
class ReplyVisitor final : public EncodedValueVisitor {
 public:
  explicit ReplyVisitor(ReplyBuilder& rb) : rb_(rb) {}
  void Null() override { rb_.SendNull(); }
  void Int(int64_t v) override { rb_.SendLong(v); }
  void Float(double v) override { rb_.SendDouble(v); }
  void Dec(const Decimal& v) override { rb_.SendScalar(ScalarView::Dec(v)); }
  void String(std::string_view s) override { rb_.SendBulk(s); }
  void Bytes(std::string_view s) override { rb_.SendBulk(s); }
  void BeginList(uint32_t n) override { rb_.StartArray(n); }
  void BeginMap(uint32_t n) override { rb_.StartMap(n); }
  void MapKey(std::string_view k) override { rb_.SendBulk(k); }
  void EndContainer() override {}

 private:
  ReplyBuilder& rb_;
};

}  // namespace

DecodeError WalkEncodedValue(std::string_view buf, const DecodeLimits& limits,
                             EncodedValueVisitor& visitor, size_t* consumed,
                             size_t* error_offset) {
  *consumed = 0;
  const bool cut = buf.size() > limits.max_size;
  Walker w(cut ? buf.substr(0, limits.max_size) : buf, cut, limits.max_depth, visitor);
  const DecodeError e = w.Value(0);
  if (e != DecodeError::kOk) {
    if (error_offset != nullptr) *error_offset = w.error_offset();
    return e;
  }
  *consumed = w.pos();
  return DecodeError::kOk;
}

void SendEncodedValue(std::string_view encoded, ReplyBuilder& rb) {
  ReplyVisitor visitor(rb);
  size_t consumed = 0;
  // Stored values were validated on the way in and never exceed the frame limit they came in.
  const DecodeError e = WalkEncodedValue(encoded, DecodeLimits{}, visitor, &consumed);
  if (e != DecodeError::kOk) rb.SendNull();
}

namespace {
void PutBlob(std::string* out, std::string_view b) {
  wire::PutU32(out, static_cast<uint32_t>(b.size()));
  out->append(b);
}

// Sees a value and remembers nothing: WalkEncodedValue then only measures it.
class Measure final : public EncodedValueVisitor {
 public:
  void Null() override {}
  void Int(int64_t) override {}
  void Float(double) override {}
  void Dec(const Decimal&) override {}
  void String(std::string_view) override {}
  void Bytes(std::string_view) override {}
  void BeginList(uint32_t) override {}
  void BeginMap(uint32_t) override {}
  void MapKey(std::string_view) override {}
  void EndContainer() override {}
};
}  // namespace

void AppendEncodedScalar(const ScalarView& v, std::string* out) {
  switch (v.type) {
    case ScalarType::kNested:
      out->append(v.bytes);
      return;
    case ScalarType::kBytes:
      wire::PutU8(out, static_cast<uint8_t>(EncodedType::kBytes));
      PutBlob(out, v.bytes);
      return;
    case ScalarType::kString:
      wire::PutU8(out, static_cast<uint8_t>(EncodedType::kString));
      PutBlob(out, v.bytes);
      return;
    case ScalarType::kInt:
      wire::PutU8(out, static_cast<uint8_t>(EncodedType::kInt));
      wire::PutU64(out, static_cast<uint64_t>(v.i));
      return;
    case ScalarType::kFloat:
      wire::PutU8(out, static_cast<uint8_t>(EncodedType::kFloat));
      wire::PutU64(out, std::bit_cast<uint64_t>(v.d));
      return;
    case ScalarType::kDecimal: {
      wire::PutU8(out, static_cast<uint8_t>(EncodedType::kDecimal));
      char buf[Decimal::kMaxStringSize];
      PutBlob(out, std::string_view(buf, v.dec.ToString(buf)));
      return;
    }
  }
}

void AppendListHeader(uint32_t count, std::string* out) {
  wire::PutU8(out, static_cast<uint8_t>(EncodedType::kList));
  wire::PutU32(out, count);
}

namespace {
// Reads the element at `pos` of a stored (valid) encoding, hands it to fn and returns the
// position after it.
size_t ReadElement(std::string_view encoded, size_t pos,
                   const std::function<void(const ScalarView&)>& fn) {
  const char* p = encoded.data() + pos;
  switch (static_cast<EncodedType>(*p)) {
    case EncodedType::kInt:
      fn(ScalarView::Int(static_cast<int64_t>(wire::GetU64(p + 1))));
      return pos + 9;
    case EncodedType::kFloat:
      fn(ScalarView::Float(std::bit_cast<double>(wire::GetU64(p + 1))));
      return pos + 9;
    case EncodedType::kDecimal:
    case EncodedType::kString:
    case EncodedType::kBytes: {
      const uint32_t len = wire::GetU32(p + 1);
      const std::string_view body(p + 5, len);
      const auto t = static_cast<EncodedType>(*p);
      fn(t == EncodedType::kBytes    ? ScalarView::Bytes(body)
         : t == EncodedType::kString ? ScalarView::String(body)
                                     : ScalarView::Dec(*Decimal::Parse(body)));
      return pos + 5 + len;
    }
    case EncodedType::kNull:
    case EncodedType::kList:
    case EncodedType::kMap:
      break;
  }
  Measure measure;
  size_t size = 0;
  WalkEncodedValue(encoded.substr(pos), DecodeLimits{}, measure, &size);
  fn(ScalarView::Nested(encoded.substr(pos, size)));
  return pos + size;
}
}  // namespace

void ForEachListElement(std::string_view encoded,
                        const std::function<void(const ScalarView&)>& fn) {
  const uint32_t count = wire::GetU32(encoded.data() + 1);
  size_t pos = 5;
  for (uint32_t i = 0; i < count; ++i) pos = ReadElement(encoded, pos, fn);
}

void ForEachMapEntry(std::string_view encoded,
                     const std::function<void(std::string_view, const ScalarView&)>& fn) {
  const uint32_t count = wire::GetU32(encoded.data() + 1);
  size_t pos = 5;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t len = wire::GetU32(encoded.data() + pos);
    const std::string_view key = encoded.substr(pos + 4, len);
    pos = ReadElement(encoded, pos + 4 + len, [&](const ScalarView& v) { fn(key, v); });
  }
}

std::string QuoteBytes(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  out.push_back('"');
  return out;
}

namespace {
class TextVisitor final : public EncodedValueVisitor {
 public:
  explicit TextVisitor(std::string* out) : out_(out) {}
  void Null() override { Put("null"); }
  void Int(int64_t v) override { Put("(int)" + std::to_string(v)); }
  void Float(double v) override {
    char buf[64];
    Put("(float)" + std::string(buf, FormatDouble(v, buf, sizeof buf)));
  }
  void Dec(const Decimal& v) override { Put("(decimal)" + v.ToString()); }
  void String(std::string_view s) override { Put("(string)" + QuoteBytes(s)); }
  void Bytes(std::string_view b) override { Put(QuoteBytes(b)); }
  void BeginList(uint32_t) override { Open('['); }
  void BeginMap(uint32_t) override { Open('{'); }
  void MapKey(std::string_view k) override {
    Separate();
    *out_ += QuoteBytes(k) + ": ";
    after_key_ = true;
  }
  void EndContainer() override {
    *out_ += closers_.back();
    closers_.pop_back();
    first_ = false;
  }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) *out_ += ", ";
    first_ = false;
  }
  void Put(const std::string& s) {
    Separate();
    *out_ += s;
  }
  void Open(char c) {
    Separate();
    out_->push_back(c);
    closers_.push_back(c == '[' ? ']' : '}');
    first_ = true;
  }
  std::string* out_;
  std::string closers_;
  bool first_ = true;
  bool after_key_ = false;
};
}  // namespace

bool IsWholeEncodedValue(std::string_view encoded) {
  Measure measure;
  size_t consumed = 0;
  // No size limit but the input's own: a stored collection may be far larger than one frame.
  DecodeLimits limits;
  limits.max_size = encoded.size();
  return WalkEncodedValue(encoded, limits, measure, &consumed) == DecodeError::kOk &&
         consumed == encoded.size();
}

std::string EncodedValueText(std::string_view encoded) {
  std::string out;
  TextVisitor visitor(&out);
  size_t consumed = 0;
  WalkEncodedValue(encoded, DecodeLimits{}, visitor, &consumed);
  return out;
}

}  // namespace kv
