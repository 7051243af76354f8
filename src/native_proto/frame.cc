// Framing, payload fields, and request payloads by shape.
#include "native_proto/frame.h"

namespace kv::native {

// ---------------------------------------------------------------------------------------------
// Framing

FrameParser::Result FrameParser::Parse(std::string_view buf, size_t* consumed, Frame* frame) {
  *consumed = 0;
  pending_ = 0;
  if (buf.size() < kFrameHeaderSize) return Result::kNeedMore;
  declared_ = wire::GetU32(buf.data() + 1);
  // The limit is decided on the header alone: a hostile length never makes us wait for (or
  // buffer) its body.
  if (declared_ > limits_.max_payload) return Result::kTooLarge;
  const size_t total = kFrameHeaderSize + declared_;
  if (buf.size() < total) {
    pending_ = total;
    return Result::kNeedMore;
  }
  frame->code = static_cast<uint8_t>(buf[0]);
  frame->payload = buf.substr(kFrameHeaderSize, declared_);
  *consumed = total;
  return Result::kOk;
}

void AppendFrame(std::string* out, uint8_t code, std::string_view payload) {
  wire::PutU8(out, code);
  wire::PutU32(out, static_cast<uint32_t>(payload.size()));
  out->append(payload);
}

void AppendOkValue(std::string* out, const Value& v) {
  const size_t header = out->size();
  wire::PutU8(out, static_cast<uint8_t>(Status::kOk));
  wire::PutU32(out, 0);
  EncodeValue(v, out);
  const auto len = static_cast<uint32_t>(out->size() - header - kFrameHeaderSize);
  std::string patch;
  wire::PutU32(&patch, len);
  out->replace(header + 1, 4, patch);
}

// ---------------------------------------------------------------------------------------------
// PayloadReader

bool PayloadReader::Truncated(std::string_view what) {
  error_ = "truncated payload: ";
  error_.append(what);
  error_ += " at offset " + std::to_string(pos_);
  return false;
}

bool PayloadReader::ReadU8(uint8_t* v) {
  if (remaining() < 1) return Truncated("u8");
  *v = static_cast<uint8_t>(buf_[pos_]);
  pos_ += 1;
  return true;
}

bool PayloadReader::ReadU16(uint16_t* v) {
  if (remaining() < 2) return Truncated("u16");
  *v = wire::GetU16(buf_.data() + pos_);
  pos_ += 2;
  return true;
}

bool PayloadReader::ReadU32(uint32_t* v) {
  if (remaining() < 4) return Truncated("u32");
  *v = wire::GetU32(buf_.data() + pos_);
  pos_ += 4;
  return true;
}

bool PayloadReader::ReadU64(uint64_t* v) {
  if (remaining() < 8) return Truncated("u64");
  *v = wire::GetU64(buf_.data() + pos_);
  pos_ += 8;
  return true;
}

bool PayloadReader::ReadI64(int64_t* v) {
  uint64_t u = 0;
  if (!ReadU64(&u)) return false;
  *v = static_cast<int64_t>(u);
  return true;
}

bool PayloadReader::ReadBytes(size_t n, std::string_view* v) {
  if (remaining() < n) return Truncated("bytes");
  *v = buf_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool PayloadReader::ReadKey16(std::string_view* v) {
  const size_t start = pos_;
  uint16_t len = 0;
  if (!ReadU16(&len)) return false;
  if (remaining() < len) {
    pos_ = start;
    return Truncated("key");
  }
  *v = buf_.substr(pos_, len);
  pos_ += len;
  return true;
}

std::string_view PayloadReader::ReadRest() {
  std::string_view rest = buf_.substr(pos_);
  pos_ = buf_.size();
  return rest;
}

bool PayloadReader::ReadValue(Value* v) {
  size_t used = 0;
  size_t at = 0;
  const DecodeError e = decoder_.Decode(buf_.substr(pos_), &used, v, &at);
  if (e != DecodeError::kOk) {
    error_ = DecodeErrorMessage(e, pos_ + at);
    return false;
  }
  pos_ += used;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Request payloads

namespace {

constexpr size_t kMinKey16Size = 2;
constexpr size_t kMinBatchItemSize = 2 + 8 + 1;  // empty key, ttl, Null

bool ReadCount(PayloadReader& r, size_t min_item, uint32_t* count, std::string* error) {
  if (!r.ReadU32(count)) return false;
  if (*count > r.remaining() / min_item) {
    *error = "count " + std::to_string(*count) + " larger than the payload can hold";
    return false;
  }
  return true;
}

bool ParseShape(PayloadShape shape, PayloadReader& r, Request* req, std::string* error) {
  switch (shape) {
    case PayloadShape::kEmpty: return true;
    case PayloadShape::kKey:
    case PayloadShape::kName: req->key = r.ReadRest(); return true;
    case PayloadShape::kKeyTtlValue:
      return r.ReadKey16(&req->key) && r.ReadU64(&req->ttl_ms) && r.ReadValue(&req->value);
    case PayloadShape::kKeyTtlTwoValues:
      return r.ReadKey16(&req->key) && r.ReadU64(&req->ttl_ms) && r.ReadValue(&req->expected) &&
             r.ReadValue(&req->value);
    case PayloadShape::kKeyOwnerTtl:
      return r.ReadKey16(&req->key) && r.ReadKey16(&req->owner) && r.ReadU64(&req->ttl_ms);
    case PayloadShape::kKeyOwner:
    case PayloadShape::kAuth: return r.ReadKey16(&req->key) && r.ReadKey16(&req->owner);
    case PayloadShape::kKeyDelta: return r.ReadKey16(&req->key) && r.ReadI64(&req->delta);
    case PayloadShape::kKeyTtl: return r.ReadKey16(&req->key) && r.ReadU64(&req->ttl_ms);
    case PayloadShape::kKeyList: {
      uint32_t count = 0;
      if (!ReadCount(r, kMinKey16Size, &count, error)) return false;
      req->keys.resize(count);
      for (auto& k : req->keys) {
        if (!r.ReadKey16(&k)) return false;
      }
      return true;
    }
    case PayloadShape::kBatchSet: {
      uint8_t mode = 0;
      if (!r.ReadU8(&mode)) return false;
      if (mode > static_cast<uint8_t>(BatchMode::kBestEffort)) {
        *error = "unknown batch mode " + std::to_string(mode);
        return false;
      }
      req->mode = static_cast<BatchMode>(mode);
      uint32_t count = 0;
      if (!ReadCount(r, kMinBatchItemSize, &count, error)) return false;
      req->items.resize(count);
      for (auto& it : req->items) {
        if (!r.ReadKey16(&it.key) || !r.ReadU64(&it.ttl_ms) || !r.ReadValue(&it.value)) {
          return false;
        }
      }
      return true;
    }
    case PayloadShape::kCall: {
      uint16_t argc = 0;
      if (!r.ReadU16(&argc)) return false;
      if (argc == 0) {
        *error = "CALL needs a command name";
        return false;
      }
      if (argc > r.remaining()) {  // every value takes at least one byte
        *error = "argc " + std::to_string(argc) + " larger than the payload can hold";
        return false;
      }
      req->args.resize(argc);
      for (auto& a : req->args) {
        if (!r.ReadValue(&a)) return false;
      }
      const ValueType t = req->args[0].type();
      if (t != ValueType::kString && t != ValueType::kBytes) {
        *error = "CALL command name must be a String or Bytes value";
        return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

bool ParseRequest(uint8_t code, std::string_view payload, Request* req, std::string* error,
                  DecodeLimits limits) {
  *req = Request{};
  error->clear();
  req->info = FindOpcode(code);
  if (req->info == nullptr) {
    *error = "unknown command byte " + std::to_string(code);
    return false;
  }
  PayloadReader r(payload, limits);
  if (!ParseShape(req->info->shape, r, req, error)) {
    if (error->empty()) *error = r.error();
    error->insert(0, std::string(req->info->name) + ": ");
    return false;
  }
  if (!r.AtEnd()) {
    *error = std::string(req->info->name) + ": " + std::to_string(r.remaining()) +
             " trailing bytes after the payload";
    return false;
  }
  return true;
}

std::string EncodeRequestPayload(const Request& req) {
  PayloadWriter w;
  switch (req.info->shape) {
    case PayloadShape::kEmpty: break;
    case PayloadShape::kKey:
    case PayloadShape::kName: w.Raw(req.key); break;
    case PayloadShape::kKeyTtlValue: w.Key16(req.key).U64(req.ttl_ms).Val(req.value); break;
    case PayloadShape::kKeyTtlTwoValues:
      w.Key16(req.key).U64(req.ttl_ms).Val(req.expected).Val(req.value);
      break;
    case PayloadShape::kKeyOwnerTtl: w.Key16(req.key).Key16(req.owner).U64(req.ttl_ms); break;
    case PayloadShape::kKeyOwner:
    case PayloadShape::kAuth: w.Key16(req.key).Key16(req.owner); break;
    case PayloadShape::kKeyDelta: w.Key16(req.key).I64(req.delta); break;
    case PayloadShape::kKeyTtl: w.Key16(req.key).U64(req.ttl_ms); break;
    case PayloadShape::kKeyList:
      w.U32(static_cast<uint32_t>(req.keys.size()));
      for (std::string_view k : req.keys) w.Key16(k);
      break;
    case PayloadShape::kBatchSet:
      w.U8(static_cast<uint8_t>(req.mode)).U32(static_cast<uint32_t>(req.items.size()));
      for (const BatchItem& it : req.items) w.Key16(it.key).U64(it.ttl_ms).Val(it.value);
      break;
    case PayloadShape::kCall:
      w.U16(static_cast<uint16_t>(req.args.size()));
      for (const Value& a : req.args) w.Val(a);
      break;
  }
  return w.Take();
}

}  // namespace kv::native
