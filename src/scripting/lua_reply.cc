#include "scripting/lua_reply.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <charconv>
#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>

#include "core/scalar.h"
#include "core/value_encoding.h"

namespace kv::scripting {

namespace {

// The text Redis 7.0's addReplyDouble sends as a RESP2 bulk string ("%.17g", inf spelled out).
std::string DoubleText(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17);
  return std::string(buf, res.ptr);
}

// (long long) of a Lua number as Redis's x86-64 build computes it: out of range and NaN give
// the "integer indefinite" value, INT64_MIN (cvttsd2si), where a plain C++ cast is undefined.
int64_t TruncateLikeRedis(double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (std::isnan(d) || d >= kTwo63 || d < -kTwo63) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

// Redis maps CR and LF to spaces in status and big-number replies built from Lua strings.
std::string NoNewlines(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

bool IsNilOrNaNKey(lua_State* L, int idx) {
  if (lua_isnil(L, idx)) return true;
  if (lua_type(L, idx) != LUA_TNUMBER) return false;
  double d = lua_tonumber(L, idx);
  return d != d;
}

// Reads t[field] with rawget (Redis ignores metatables here); leaves it on the stack.
int RawField(lua_State* L, const char* field) {
  lua_pushstring(L, field);
  lua_rawget(L, -2);
  return lua_type(L, -1);
}

}  // namespace

void PushErrorTable(lua_State* L, std::string_view text) {
  std::string_view code = "ERR";
  std::string_view msg = text;
  if (!text.empty() && text.front() == '-') {
    size_t sp = text.find(' ');
    if (sp == std::string_view::npos) {
      msg = text.substr(1);
    } else {
      code = text.substr(1, sp - 1);
      msg = text.substr(sp + 1);
    }
  }
  while (!msg.empty() && (msg.front() == '\r' || msg.front() == '\n')) msg.remove_prefix(1);
  while (!msg.empty() && (msg.back() == '\r' || msg.back() == '\n')) msg.remove_suffix(1);
  std::string final_msg;
  final_msg.reserve(code.size() + 1 + msg.size());
  final_msg.append(code).append(" ").append(msg);
  lua_createtable(L, 0, 1);
  lua_pushlstring(L, final_msg.data(), final_msg.size());
  lua_setfield(L, -2, "err");
}

LuaReplyBuilder::LuaReplyBuilder(lua_State* L, int resp) : L_(L), resp_(resp), base_(lua_gettop(L)) {}

bool LuaReplyBuilder::Room() {
  if (overflow_) return false;
  if (!lua_checkstack(L_, 4)) overflow_ = true;
  return !overflow_;
}

void LuaReplyBuilder::Attach() {
  for (;;) {
    if (frames_.empty()) {
      complete_ = true;
      if (overflow_) {
        lua_settop(L_, base_);
        PushErrorTable(L_, "reached lua stack limit");
        top_error_ = true;
      }
      return;
    }
    Frame& f = frames_.back();
    switch (f.kind) {
      case Kind::kArray:
        if (!overflow_) lua_rawseti(L_, -2, ++f.next_index);
        break;
      case Kind::kSet:
        if (!overflow_) {
          if (IsNilOrNaNKey(L_, -1)) {
            lua_pop(L_, 1);
          } else {
            lua_pushboolean(L_, 1);
            lua_rawset(L_, -3);
          }
        }
        break;
      case Kind::kMap:
        if (!f.have_key) {
          f.have_key = true;  // the key waits on the stack for its value
          return;
        }
        f.have_key = false;
        if (!overflow_) {
          if (IsNilOrNaNKey(L_, -2)) {
            lua_pop(L_, 2);
          } else {
            lua_rawset(L_, -3);
          }
        }
        break;
    }
    if (--f.remaining > 0) return;
    Kind kind = f.kind;
    frames_.pop_back();
    // RESP3 maps and sets are {map=inner} / {set=inner}: the inner table sits above the outer.
    if (!overflow_ && kind != Kind::kArray) lua_setfield(L_, -2, kind == Kind::kMap ? "map" : "set");
    // The closed aggregate is now a value of its parent.
  }
}

void LuaReplyBuilder::Start(Kind kind, uint32_t n) {
  if (Room()) {
    if (kind == Kind::kArray) {
      lua_createtable(L_, static_cast<int>(std::min<uint32_t>(n, 1024)), 0);
    } else {
      lua_createtable(L_, 0, 1);
      lua_createtable(L_, 0, static_cast<int>(std::min<uint32_t>(n, 1024)));
    }
  }
  if (n > 0) {
    frames_.push_back(Frame{kind, n});
    return;
  }
  if (!overflow_ && kind != Kind::kArray) lua_setfield(L_, -2, kind == Kind::kMap ? "map" : "set");
  Attach();
}

size_t LuaReplyBuilder::StartDeferredArray() {
  if (Room()) lua_createtable(L_, 0, 0);
  // Its count never reaches 0: EndDeferredArray closes it.
  frames_.push_back(Frame{Kind::kArray, UINT32_MAX});
  return frames_.size() - 1;
}

void LuaReplyBuilder::EndDeferredArray(size_t handle, uint32_t /*n*/) {
  if (handle + 1 != frames_.size()) return;
  frames_.pop_back();
  Attach();  // the closed array is now a value of its parent
}

void LuaReplyBuilder::SendSimple(std::string_view s) {
  if (Room()) {
    lua_createtable(L_, 0, 1);
    lua_pushlstring(L_, s.data(), s.size());
    lua_setfield(L_, -2, "ok");
  }
  Attach();
}

void LuaReplyBuilder::SendError(std::string_view msg) {
  NoteError(msg);
  if (frames_.empty()) top_error_ = true;
  if (Room()) {
    if (!msg.empty() && msg.front() == '-') {
      PushErrorTable(L_, msg);
    } else {
      std::string text;
      text.reserve(msg.size() + 1);
      text.append("-").append(msg);
      PushErrorTable(L_, text);
    }
    // Redis marks errors that come from a command so they are not counted twice in the
    // error stats; scripts can see the field.
    lua_pushboolean(L_, 1);
    lua_setfield(L_, -2, "ignore_error_stats_update");
  }
  Attach();
}

void LuaReplyBuilder::SendLong(int64_t v) {
  if (Room()) lua_pushnumber(L_, static_cast<lua_Number>(v));
  Attach();
}

void LuaReplyBuilder::SendDouble(double v) {
  if (resp_ == 2) return SendBulk(DoubleText(v));
  if (Room()) {
    lua_createtable(L_, 0, 1);
    lua_pushnumber(L_, v);
    lua_setfield(L_, -2, "double");
  }
  Attach();
}

void LuaReplyBuilder::SendDoubleText(double v, std::string_view text) {
  if (resp_ == 2) return SendBulk(text);
  SendDouble(v);
}

void LuaReplyBuilder::SendBulk(std::string_view s) {
  if (Room()) lua_pushlstring(L_, s.data(), s.size());
  Attach();
}

void LuaReplyBuilder::SendVerbatim(std::string_view s, std::string_view format) {
  if (resp_ == 2) return SendBulk(s);
  if (Room()) {
    lua_createtable(L_, 0, 1);
    lua_createtable(L_, 0, 2);
    lua_pushlstring(L_, s.data(), s.size());
    lua_setfield(L_, -2, "string");
    lua_pushlstring(L_, format.data(), format.size());
    lua_setfield(L_, -2, "format");
    lua_setfield(L_, -2, "verbatim_string");
  }
  Attach();
}

void LuaReplyBuilder::SendNull() {
  // RESP2's null bulk and null array read as false; RESP3's null is nil.
  if (Room()) {
    if (resp_ == 2) {
      lua_pushboolean(L_, 0);
    } else {
      lua_pushnil(L_);
    }
  }
  Attach();
}

void LuaReplyBuilder::SendNullArray() { SendNull(); }

void LuaReplyBuilder::SendBool(bool v) {
  if (resp_ == 2) return SendLong(v ? 1 : 0);
  if (Room()) lua_pushboolean(L_, v ? 1 : 0);
  Attach();
}

void LuaReplyBuilder::StartArray(uint32_t n) { Start(Kind::kArray, n); }

void LuaReplyBuilder::StartMap(uint32_t pairs) {
  if (resp_ == 2) return Start(Kind::kArray, 2 * pairs);
  Start(Kind::kMap, pairs);
}

void LuaReplyBuilder::StartSet(uint32_t n) {
  if (resp_ == 2) return Start(Kind::kArray, n);
  Start(Kind::kSet, n);
}

void LuaReplyBuilder::SendScalar(const ScalarView& v) {
  if (IsNested(v.type)) return SendEncodedValue(v.bytes, *this);
  char buf[kScalarBufSize];
  SendBulk(CanonicalString(v, buf));
}

void LuaToReply(lua_State* L, int resp, ReplyBuilder& rb) {
  if (!lua_checkstack(L, 4)) {
    rb.SendError("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      rb.SendBulk({s, len});
      break;
    }
    case LUA_TBOOLEAN:
      if (resp == 2) {
        if (lua_toboolean(L, -1)) {
          rb.SendLong(1);
        } else {
          rb.SendNull();
        }
      } else {
        rb.SendBool(lua_toboolean(L, -1) != 0);
      }
      break;
    case LUA_TNUMBER:
      rb.SendLong(TruncateLikeRedis(lua_tonumber(L, -1)));
      break;
    case LUA_TTABLE: {
      // Redis's order: err, ok, double, big_number, verbatim_string, map, set, then array.
      size_t len;
      if (RawField(L, "err") == LUA_TSTRING) {
        const char* s = lua_tolstring(L, -1, &len);
        rb.SendError({s, len});
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "ok") == LUA_TSTRING) {
        const char* s = lua_tolstring(L, -1, &len);
        rb.SendSimple(NoNewlines({s, len}));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "double") == LUA_TNUMBER) {
        rb.SendDouble(lua_tonumber(L, -1));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "big_number") == LUA_TSTRING) {
        // The engine's replies have no big-number type: RESP2 sends a bulk string too, RESP3
        // gets a bulk string where Redis sends "(" (docs/scripting.md).
        const char* s = lua_tolstring(L, -1, &len);
        rb.SendBulk(NoNewlines({s, len}));
        lua_pop(L, 2);
        return;
      }
      lua_pop(L, 1);
      if (RawField(L, "verbatim_string") == LUA_TTABLE) {
        if (RawField(L, "format") == LUA_TSTRING) {
          lua_pushstring(L, "string");
          lua_rawget(L, -3);
          if (lua_type(L, -1) == LUA_TSTRING) {
            size_t flen;
            const char* fmt = lua_tolstring(L, -2, &flen);
            const char* s = lua_tolstring(L, -1, &len);
            rb.SendVerbatim({s, len}, {fmt, flen});
            lua_pop(L, 4);
            return;
          }
          lua_pop(L, 1);
        }
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      for (const char* kind : {"map", "set"}) {
        if (RawField(L, kind) != LUA_TTABLE) {
          lua_pop(L, 1);
          continue;
        }
        const bool is_map = kind[0] == 'm';
        uint32_t n = 0;
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          lua_pop(L, 1);
          ++n;
        }
        if (is_map) {
          rb.StartMap(n);
        } else {
          rb.StartSet(n);
        }
        lua_pushnil(L);
        while (lua_next(L, -2)) {
          if (is_map) {
            lua_pushvalue(L, -2);
            LuaToReply(L, resp, rb);  // the key
            LuaToReply(L, resp, rb);  // the value
          } else {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            LuaToReply(L, resp, rb);
          }
        }
        lua_pop(L, 2);
        return;
      }
      uint32_t n = 0;
      for (;;) {
        lua_rawgeti(L, -1, static_cast<int>(n) + 1);
        const bool nil = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (nil) break;
        ++n;
      }
      rb.StartArray(n);
      for (uint32_t j = 1; j <= n; ++j) {
        lua_rawgeti(L, -1, static_cast<int>(j));
        LuaToReply(L, resp, rb);
      }
      break;
    }
    default:
      rb.SendNull();
      break;
  }
  lua_pop(L, 1);
}

}  // namespace kv::scripting
