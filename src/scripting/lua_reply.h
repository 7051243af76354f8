// Redis's conversions between replies and Lua values, both ways, RESP2 and RESP3.
//
// LuaReplyBuilder is the ReplyBuilder a command writes to when a script calls it: it builds the
// Lua value on the Lua stack as the host describes the reply (integer -> number, bulk -> string,
// nil -> false or nil, status -> {ok=}, error -> {err=}, array -> table, and with setresp(3)
// map -> {map=}, set -> {set=}, double -> {double=}, bool -> boolean). LuaToReply goes the other
// way for a script's return value.
//
// Both follow Redis 7.0's script_lua.c rule for rule; the tests compare their output with what
// redis-server 7.0 writes for the same script.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/reply_builder.h"

struct lua_State;

namespace kv::scripting {

// Pushes Redis's error table {err="CODE msg"} for `text` (luaPushErrorBuff): "-CODE msg" keeps
// CODE, any other text gets "ERR ", and CR/LF at either end of the message are trimmed.
void PushErrorTable(lua_State* L, std::string_view text);

// A reply written to this builder becomes one Lua value on top of L's stack. It never raises a
// Lua error (a host's C++ frames may be on the stack): when the Lua stack cannot grow deep
// enough, the value becomes the error table "ERR reached lua stack limit".
class LuaReplyBuilder final : public ReplyBuilder {
 public:
  LuaReplyBuilder(lua_State* L, int resp);

  void SendSimple(std::string_view s) override;
  void SendError(std::string_view msg) override;
  void SendLong(int64_t v) override;
  void SendDouble(double v) override;
  void SendDoubleText(double v, std::string_view text) override;
  void SendBulk(std::string_view s) override;
  void SendVerbatim(std::string_view s, std::string_view format = "txt") override;
  void SendNull() override;
  void SendNullArray() override;
  void SendBool(bool v) override;
  void StartArray(uint32_t n) override;
  void StartMap(uint32_t pairs) override;
  void StartSet(uint32_t n) override;
  size_t StartDeferredArray() override;
  void EndDeferredArray(size_t handle, uint32_t n) override;
  void SendScalar(const ScalarView& v) override;
  bool flat_pairs() const override { return resp_ == 2; }

  // Whether one whole reply was written (the value is then on top of the stack).
  bool complete() const { return complete_; }
  // Whether that reply is an error (redis.call raises it, redis.pcall returns it).
  bool is_error() const { return top_error_; }

 private:
  enum class Kind : uint8_t { kArray, kMap, kSet };
  struct Frame {
    Kind kind;
    uint32_t remaining;  // elements (maps: pairs) still expected
    int next_index = 0;  // arrays: last index stored
    bool have_key = false;
  };

  // Reserves Lua stack room for one more value; false once the stack is exhausted.
  bool Room();
  void Start(Kind kind, uint32_t n);
  // A value was pushed (or skipped after overflow): stores it in the open aggregate and closes
  // every aggregate it completes.
  void Attach();

  lua_State* L_;
  int resp_;
  int base_;  // stack top before the reply
  std::vector<Frame> frames_;
  bool overflow_ = false;
  bool complete_ = false;
  bool top_error_ = false;
};

// Converts the value on top of the stack into a reply written to `rb` and pops it
// (luaReplyToRedisReply). `resp` is the script's protocol (redis.setresp).
void LuaToReply(lua_State* L, int resp, ReplyBuilder& rb);

}  // namespace kv::scripting
