#include "native_proto/native_writer.h"

#include "native_proto/value_codec.h"

namespace kv::native {

void NativeWriter::Reset() {
  stack_.clear();
  root_ = Value::Null();
  nil_ = false;
  has_error_ = false;
  error_.clear();
}

void NativeWriter::SendError(std::string_view msg) {
  NoteError(msg);
  // An error is the whole reply (the native protocol has no error element inside a List).
  if (!has_error_) {
    has_error_ = true;
    error_ = std::string(msg);
  }
}

void NativeWriter::SendScalar(const ScalarView& v) {
  switch (v.type) {
    case ScalarType::kInt:
      return Put(Value::Int(v.i));
    case ScalarType::kFloat:
      return Put(Value::Float(v.d));
    case ScalarType::kDecimal:
      return Put(Value::Dec(v.dec));
    case ScalarType::kString:
      return Put(Value::String(std::string(v.bytes)));
    case ScalarType::kNested: {
      Value decoded;
      size_t used = 0;
      // The engine stores only encodings this codec produced, so decoding cannot fail.
      if (ValueDecoder().Decode(v.bytes, &used, &decoded) != DecodeError::kOk) decoded = Value();
      return Put(std::move(decoded));
    }
    case ScalarType::kBytes:
      break;
  }
  Put(Value::Bytes(std::string(v.bytes)));
}

void NativeWriter::PutNil() {
  if (stack_.empty()) nil_ = true;
  Put(Value::Null());
}

void NativeWriter::Open(bool is_map, uint32_t n) {
  stack_.push_back(Frame{is_map, n, is_map ? Value::MakeMap() : Value::MakeList(), {}});
  if (n == 0) {
    Value done = std::move(stack_.back().value);
    stack_.pop_back();
    Put(std::move(done));
  }
}

size_t NativeWriter::StartDeferredArray() {
  stack_.push_back(Frame{false, UINT32_MAX, Value::MakeList(), {}});
  return stack_.size() - 1;
}

void NativeWriter::EndDeferredArray(size_t handle, uint32_t /*n*/) {
  // Every element since the start went into this frame, so it is the top one again.
  if (handle + 1 != stack_.size()) return;
  Value done = std::move(stack_.back().value);
  stack_.pop_back();
  Put(std::move(done));
}

void NativeWriter::Put(Value v) {
  while (true) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = stack_.back();
    if (top.is_map) {
      if (top.remaining % 2 == 0) {
        // A map key: its text (Redis map keys are strings).
        top.pending_key = v.type() == ValueType::kString || v.type() == ValueType::kBytes
                              ? v.as_string()
                              : ToDebugString(v);
      } else {
        top.value.as_map().emplace_back(std::move(top.pending_key), std::move(v));
      }
    } else {
      top.value.as_list().push_back(std::move(v));
    }
    if (--top.remaining != 0) return;
    v = std::move(top.value);
    stack_.pop_back();
  }
}

}  // namespace kv::native
