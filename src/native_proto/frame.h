// Frames of the native protocol and the readers/writers of their payloads.
//
//   request:  [command u8][payload length u32][payload]
//   response: [status u8][payload length u32][payload]
// Integers are big-endian. FrameParser splits either kind from a byte stream (the first byte is
// the command for requests, the status for responses); it checks the declared length against the
// 64 MB limit on the 5-byte header alone, before any body is awaited. PayloadReader /
// PayloadWriter read and build payload fields; ParsePayload reads a request payload by its
// opcode's shape (opcodes.h). Nothing here knows sockets or commands: server, client, tools and
// fuzzers share it.
//
// Thread contract: one FrameParser per connection; the rest are value types or functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "native_proto/opcodes.h"
#include "native_proto/value.h"
#include "native_proto/value_codec.h"

namespace kv::native {

inline constexpr size_t kFrameHeaderSize = 5;
inline constexpr size_t kMaxPayloadSize = 64ull * 1024 * 1024;  // 64 MB: allowed; one more is not

enum class Status : uint8_t {
  kOk = 0,
  kNull = 1,     // no such key, or nothing to return; empty payload
  kError = 2,    // the command failed; payload: UTF-8 message
  kInvalid = 3,  // unknown command or malformed payload; payload: UTF-8 message
};

// ---------------------------------------------------------------------------------------------
// Framing

struct Frame {
  uint8_t code = 0;          // command (request) or status (response)
  std::string_view payload;  // a view into the buffer passed to Parse
};

struct FrameLimits {
  size_t max_payload = kMaxPayloadSize;
};

// What a connection that must still authenticate may declare: enough for AUTH and HELLO, too
// little to make the server hold memory for someone who has not logged in (as Redis's
// unauthenticated bulk length).
inline constexpr size_t kUnauthMaxPayloadSize = 16 * 1024;

class FrameParser {
 public:
  enum class Result { kOk, kNeedMore, kTooLarge };

  explicit FrameParser(FrameLimits limits = {}) : limits_(limits) {}
  void set_limits(FrameLimits limits) { limits_ = limits; }
  const FrameLimits& limits() const { return limits_; }

  // Parses the frame at the front of `buf`.
  // kOk: *frame holds it (payload views `buf`), *consumed = 5 + payload length.
  // kNeedMore: nothing consumed; pending_hint() is the total frame size when the header is
  //   complete (so the caller can reserve it), else 0.
  // kTooLarge: the header declares a payload over the limit; nothing consumed, declared_length()
  //   tells how much. The caller answers INVALID and closes the connection (DESIGN.md 5).
  // Stateless between calls apart from the two accessors, so `buf` may move freely.
  Result Parse(std::string_view buf, size_t* consumed, Frame* frame);

  size_t pending_hint() const { return pending_; }
  uint32_t declared_length() const { return declared_; }

 private:
  FrameLimits limits_;
  size_t pending_ = 0;
  uint32_t declared_ = 0;
};

// Appends one whole frame (header + payload). `payload` must be at most 4 GB - 1; the peer's
// limit is the caller's business.
void AppendFrame(std::string* out, uint8_t code, std::string_view payload);
inline void AppendRequest(std::string* out, Opcode op, std::string_view payload) {
  AppendFrame(out, static_cast<uint8_t>(op), payload);
}
inline void AppendResponse(std::string* out, Status st, std::string_view payload = {}) {
  AppendFrame(out, static_cast<uint8_t>(st), payload);
}
// OK with an encoded value as payload (encoded in place, no temporary copy).
void AppendOkValue(std::string* out, const Value& v);
inline void AppendNull(std::string* out) { AppendResponse(out, Status::kNull); }
inline void AppendError(std::string* out, std::string_view msg) {
  AppendResponse(out, Status::kError, msg);
}
inline void AppendInvalid(std::string* out, std::string_view msg) {
  AppendResponse(out, Status::kInvalid, msg);
}

// ---------------------------------------------------------------------------------------------
// Payload fields

// A cursor over a payload. Every Read returns false, leaves the cursor where it was and sets
// error() when the field does not fit in the bytes left; values also fail on decode errors.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view payload, DecodeLimits limits = {})
      : buf_(payload), decoder_(limits) {}

  bool ReadU8(uint8_t* v);
  bool ReadU16(uint16_t* v);
  bool ReadU32(uint32_t* v);
  bool ReadU64(uint64_t* v);
  bool ReadI64(int64_t* v);
  bool ReadBytes(size_t n, std::string_view* v);
  // [len u16] + bytes: a key, an owner, a user name. Views the payload.
  bool ReadKey16(std::string_view* v);
  // The rest of the payload (possibly empty); always succeeds.
  std::string_view ReadRest();
  bool ReadValue(Value* v);

  bool AtEnd() const { return pos_ == buf_.size(); }
  size_t remaining() const { return buf_.size() - pos_; }
  size_t position() const { return pos_; }
  const std::string& error() const { return error_; }

 private:
  bool Truncated(std::string_view what);

  std::string_view buf_;
  ValueDecoder decoder_;
  size_t pos_ = 0;
  std::string error_;
};

// Builds payloads (clients, tests, the vectors file). Key16 fields must be at most 65535 bytes.
class PayloadWriter {
 public:
  PayloadWriter& U8(uint8_t v) { return wire::PutU8(&out_, v), *this; }
  PayloadWriter& U16(uint16_t v) { return wire::PutU16(&out_, v), *this; }
  PayloadWriter& U32(uint32_t v) { return wire::PutU32(&out_, v), *this; }
  PayloadWriter& U64(uint64_t v) { return wire::PutU64(&out_, v), *this; }
  PayloadWriter& I64(int64_t v) { return U64(static_cast<uint64_t>(v)); }
  PayloadWriter& Key16(std::string_view k) {
    U16(static_cast<uint16_t>(k.size()));
    out_.append(k);
    return *this;
  }
  PayloadWriter& Raw(std::string_view b) { return out_.append(b), *this; }
  PayloadWriter& Val(const Value& v) { return EncodeValue(v, &out_), *this; }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// ---------------------------------------------------------------------------------------------
// Request payloads by shape

struct BatchItem {
  std::string_view key;
  uint64_t ttl_ms = 0;
  Value value;
};

// The fields of a request payload; which ones are set depends on the opcode's shape. Views point
// into the payload. Keys are not validated here (UTF-8 / length rules are the server's, and
// configurable): only the layout is.
struct Request {
  const OpcodeInfo* info = nullptr;
  std::string_view key;    // kKey* shapes; the name for kName; the user for kAuth
  std::string_view owner;  // lock owner; the password for kAuth
  uint64_t ttl_ms = 0;
  int64_t delta = 0;                   // INCRBY
  BatchMode mode = BatchMode::kAllOrNothing;  // MSET
  Value value;                         // SET / SETNX value, CAS new value
  Value expected;                      // CAS expected value
  std::vector<std::string_view> keys;  // MGET / MDEL
  std::vector<BatchItem> items;        // MSET
  std::vector<Value> args;             // CALL: args[0] is the command name
};

// Reads `payload` for the opcode `code`. false: the opcode is unknown or the payload does not
// match its shape (truncated, trailing bytes, bad value, bad mode byte, CALL without a name); *error
// is the message for the INVALID reply. The connection stays open.
bool ParseRequest(uint8_t code, std::string_view payload, Request* req, std::string* error,
                  DecodeLimits limits = {});

// The inverse of ParseRequest: the payload for req.info's shape from the fields that shape uses
// (clients, tests). req.info must be set.
std::string EncodeRequestPayload(const Request& req);

// The INVALID message sent before closing a connection whose frame header declares more than
// 64 MB (docs/native-protocol.md).
inline constexpr std::string_view kPayloadTooLargeMessage = "payload larger than 64 MB";
inline constexpr std::string_view kUnauthPayloadTooLargeMessage =
    "payload larger than 16 KB before authentication";

}  // namespace kv::native
