// ReplyBuilder: the one sink every command handler (built-in or plugin) replies through.
//
// Handlers never produce wire bytes. They describe a reply with these calls and each protocol
// (RESP2, RESP3, the native binary protocol) implements the interface, so one handler answers
// every client. Aggregates are announced with their length up front (as RESP requires); the
// builder trusts the caller to then send exactly that many elements (maps: 2 per pair). An
// array whose length is only known once its elements are produced (a stream range walked
// once) is opened with StartDeferredArray and closed with its length, as Redis's
// addReplyDeferredLen / setDeferredArrayLen.
//
// Thread contract: a builder belongs to one connection and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/scalar.h"

namespace kv {

class ReplyBuilder {
 public:
  virtual ~ReplyBuilder() = default;

  // "+OK" style status line. `s` must not contain CR or LF.
  virtual void SendSimple(std::string_view s) = 0;
  // Error reply. `msg` is the whole text, including its code prefix ("ERR ...", "WRONGTYPE ...").
  virtual void SendError(std::string_view msg) = 0;
  virtual void SendLong(int64_t v) = 0;
  virtual void SendDouble(double v) = 0;  // RESP3 double; RESP2 sends it as a bulk string
  // A double with the text it must read as over RESP (Redis's addReplyHumanLongDouble: GEOPOS
  // coordinates). Protocols that carry a float whole send `v`.
  virtual void SendDoubleText(double v, std::string_view /*text*/) { SendDouble(v); }
  virtual void SendBulk(std::string_view s) = 0;
  // RESP3 verbatim string (format is a 3-letter type such as "txt"); RESP2 sends a bulk string.
  virtual void SendVerbatim(std::string_view s, std::string_view format = "txt") = 0;
  virtual void SendNull() = 0;       // missing value: RESP2 "$-1", RESP3 "_"
  virtual void SendNullArray() = 0;  // RESP2 "*-1", RESP3 "_"
  virtual void SendBool(bool v) = 0;  // RESP3 boolean; RESP2 integer 1/0
  virtual void StartArray(uint32_t n) = 0;
  virtual void StartMap(uint32_t pairs) = 0;  // RESP2 flattens to an array of 2*pairs
  virtual void StartSet(uint32_t n) = 0;      // RESP2 sends an array
  // Opens an array of a length not known yet and returns its handle; the elements follow
  // (nested aggregates included), then EndDeferredArray(handle, n) with their count. Deferred
  // arrays nest like any other; each is closed before its parent.
  virtual size_t StartDeferredArray() = 0;
  virtual void EndDeferredArray(size_t handle, uint32_t n) = 0;
  // An out-of-band message (pub/sub): RESP3's push type, an array elsewhere.
  virtual void StartPush(uint32_t n) { StartArray(n); }
  // A stored scalar: RESP sends its canonical string as a bulk string; the native protocol keeps
  // its type (Int stays Int).
  virtual void SendScalar(const ScalarView& v) = 0;

  // Whether the protocol carries typed values whole (the native protocol: a GET of a list
  // reads a List). RESP does not: GET on a list answers WRONGTYPE there, as in Redis.
  virtual bool keeps_types() const { return false; }
  // Whether a list of pairs (HRANDFIELD WITHVALUES) goes out flat (RESP2) rather than as an
  // array of 2-element arrays (RESP3, native).
  virtual bool flat_pairs() const { return false; }

  // HELLO changed the connection's RESP version; the reply to HELLO itself already uses the
  // new one, as in Redis. Protocols without versions ignore it.
  virtual void SetProtocolVersion(int /*resp*/) {}

  // Convenience, shared by every protocol.
  void SendOk() { SendSimple("OK"); }

  // Error replies sent so far (INFO total_error_replies); implementations count in SendError.
  uint64_t error_count() const { return error_count_; }
  // The code (first word: ERR, WRONGTYPE...) of the last error sent, for INFO errorstats.
  std::string_view last_error_code() const { return {last_code_, last_code_len_}; }

 protected:
  // Implementations call it from SendError.
  void NoteError(std::string_view msg) {
    ++error_count_;
    if (!msg.empty() && msg.front() == '-') msg.remove_prefix(1);
    size_t n = 0;
    while (n < msg.size() && n < sizeof last_code_ && msg[n] != ' ') ++n;
    for (size_t i = 0; i < n; ++i) last_code_[i] = msg[i];
    last_code_len_ = n;
  }
  uint64_t error_count_ = 0;

 private:
  char last_code_[32] = {};
  size_t last_code_len_ = 0;
};

// Swallows a reply, keeping its first error (checks run for their verdict only).
class DiscardReplies final : public ReplyBuilder {
 public:
  void SendSimple(std::string_view) override {}
  void SendError(std::string_view msg) override {
    if (error_count_++ == 0) first_error.assign(msg);
  }
  void SendLong(int64_t) override {}
  void SendDouble(double) override {}
  void SendBulk(std::string_view) override {}
  void SendVerbatim(std::string_view, std::string_view) override {}
  void SendNull() override {}
  void SendNullArray() override {}
  void SendBool(bool) override {}
  void StartArray(uint32_t) override {}
  void StartMap(uint32_t) override {}
  void StartSet(uint32_t) override {}
  size_t StartDeferredArray() override { return 0; }
  void EndDeferredArray(size_t, uint32_t) override {}
  void SendScalar(const ScalarView&) override {}
  std::string first_error;
};

}  // namespace kv
