// RespWriter: the ReplyBuilder that speaks RESP2 or RESP3 (after HELLO 3), byte for byte as
// redis-server 7.0 writes each reply type.
//
// It only appends to a caller-owned std::string; the connection decides when and how to send it.
// Thread contract: like every ReplyBuilder, one connection, one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/reply_builder.h"

namespace kv::resp {

class RespWriter final : public kv::ReplyBuilder {
 public:
  // Appends every reply to *out, which must outlive the writer. Starts in RESP2.
  explicit RespWriter(std::string* out) : out_(out) {}

  void set_resp3(bool v) { resp3_ = v; }
  void SetProtocolVersion(int resp) override { resp3_ = resp == 3; }
  bool resp3() const { return resp3_; }
  bool flat_pairs() const override { return !resp3_; }

  void SendSimple(std::string_view s) override;
  // CR and LF cannot appear inside an error line: leading and trailing ones are dropped and the
  // rest become spaces, as Redis's addReplyErrorFormat does. A leading '-' is not doubled.
  void SendError(std::string_view msg) override;
  void SendLong(int64_t v) override;
  // "%.17g" like Redis 7.0's addReplyDouble ("inf", "-inf", "nan" spelled out): RESP3 ",<d>",
  // RESP2 a bulk string of the same text.
  void SendDouble(double v) override;
  // RESP3 ",<text>", RESP2 a bulk string of `text`.
  void SendDoubleText(double v, std::string_view text) override;
  void SendBulk(std::string_view s) override;
  void SendVerbatim(std::string_view s, std::string_view format = "txt") override;
  void SendNull() override;
  void SendNullArray() override;
  void SendBool(bool v) override;
  void StartArray(uint32_t n) override;
  void StartMap(uint32_t pairs) override;
  void StartSet(uint32_t n) override;
  void StartPush(uint32_t n) override { AppendHeader(resp3_ ? '>' : '*', n); }
  // The handle is the header's place in the output; EndDeferredArray inserts the header there
  // (moving the elements' bytes once, which costs less than walking a range twice).
  size_t StartDeferredArray() override { return out_->size(); }
  void EndDeferredArray(size_t handle, uint32_t n) override;
  void SendScalar(const ScalarView& v) override;

 private:
  // Appends `<prefix><n>\r\n`.
  void AppendHeader(char prefix, uint64_t n);

  std::string* out_;
  bool resp3_ = false;
};

}  // namespace kv::resp
