// Value codec: the encoder, and the decoder as a Value builder over core's walker.
#include "native_proto/value_codec.h"

#include <bit>
#include <cstring>
#include <vector>

namespace kv::native {

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

// Builds the Value WalkEncodedValue reads: containers under construction form a stack, and each
// finished value lands in the innermost one (or becomes the root).
class Builder final : public EncodedValueVisitor {
 public:
  explicit Builder(Value* root) : root_(root) {}

  void Null() override { Put(Value::Null()); }
  void Int(int64_t v) override { Put(Value::Int(v)); }
  void Float(double v) override { Put(Value::Float(v)); }
  void Dec(const Decimal& v) override { Put(Value::Dec(v)); }
  void String(std::string_view s) override { Put(Value::String(std::string(s))); }
  void Bytes(std::string_view s) override { Put(Value::Bytes(std::string(s))); }
  void BeginList(uint32_t n) override {
    Value::List list;
    list.reserve(n);  // the walker checked n against the remaining bytes
    open_.push_back(Value::MakeList(std::move(list)));
  }
  void BeginMap(uint32_t n) override {
    Value::Map map;
    map.reserve(n);
    open_.push_back(Value::MakeMap(std::move(map)));
  }
  void MapKey(std::string_view k) override {
    open_.back().as_map().emplace_back(std::string(k), Value());
  }
  void EndContainer() override {
    Value done = std::move(open_.back());
    open_.pop_back();
    Put(std::move(done));
  }

 private:
  void Put(Value v) {
    if (open_.empty()) {
      *root_ = std::move(v);
    } else if (open_.back().type() == ValueType::kList) {
      open_.back().as_list().push_back(std::move(v));
    } else {
      open_.back().as_map().back().second = std::move(v);
    }
  }

  Value* root_;
  std::vector<Value> open_;
};

}  // namespace

DecodeError ValueDecoder::Decode(std::string_view buf, size_t* consumed, Value* out,
                                 size_t* error_offset) const {
  Builder builder(out);
  return WalkEncodedValue(buf, limits_, builder, consumed, error_offset);
}

}  // namespace kv::native
