// NativeWriter: the ReplyBuilder for native-protocol clients. Handlers reply exactly as they do
// for RESP; this builder collects the reply as one typed Value (arrays become Lists, maps Maps,
// stored values keep their type, a stored List or Map is decoded whole), or an error, which the
// native session then frames.
#pragma once

#include <string>
#include <vector>

#include "core/reply_builder.h"
#include "native_proto/value.h"

namespace kv::native {

class NativeWriter final : public ReplyBuilder {
 public:
  void SendSimple(std::string_view s) override { Put(Value::String(std::string(s))); }
  void SendError(std::string_view msg) override;
  void SendLong(int64_t v) override { Put(Value::Int(v)); }
  void SendDouble(double v) override { Put(Value::Float(v)); }
  void SendBulk(std::string_view s) override { Put(Value::Bytes(std::string(s))); }
  void SendVerbatim(std::string_view s, std::string_view) override {
    Put(Value::String(std::string(s)));
  }
  void SendNull() override { PutNil(); }
  void SendNullArray() override { PutNil(); }
  void SendBool(bool v) override { Put(Value::Int(v ? 1 : 0)); }
  void StartArray(uint32_t n) override { Open(false, n); }
  void StartMap(uint32_t pairs) override { Open(true, pairs * 2); }
  void StartSet(uint32_t n) override { Open(false, n); }
  // A List that takes elements until EndDeferredArray closes it (its count never reaches 0).
  size_t StartDeferredArray() override;
  void EndDeferredArray(size_t handle, uint32_t n) override;
  void SendScalar(const ScalarView& v) override;
  bool keeps_types() const override { return true; }

  bool has_error() const { return has_error_; }
  const std::string& error() const { return error_; }
  const Value& value() const { return root_; }
  // The reply was nil (a missing key, "nothing"): the NULL status. A stored Null value read back
  // is a Null *value* instead (value().is_null() without nil()).
  bool nil() const { return nil_; }
  void Reset();

 private:
  struct Frame {
    bool is_map;
    uint32_t remaining;  // elements still to come (maps: keys and values)
    Value value;
    std::string pending_key;
  };
  void Open(bool is_map, uint32_t n);
  void Put(Value v);
  void PutNil();

  std::vector<Frame> stack_;
  Value root_;
  bool nil_ = false;
  bool has_error_ = false;
  std::string error_;
};

}  // namespace kv::native
