#include "scripting/lua_cmsgpack.h"

#include <msgpack.h>

#include <lua.hpp>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

namespace kv::scripting {
namespace {

// Tables nested deeper than this pack as nil, so that a table holding itself still packs.
constexpr int kMaxNesting = 16;

// The stack checks and their texts are Redis's, at the same points and of the same sizes, so
// that a script near Lua's stack limit (8000 slots) fails where and as it fails on Redis.
constexpr char kTooManyValues[] =
    "too many return values at once; use unpack_one or unpack_limit instead.";

int AppendToString(void* data, const char* buf, size_t len) {
  static_cast<std::string*>(data)->append(buf, len);
  return 0;
}

// Lua 5.1 numbers are doubles: integral ones that fit an int64 pack as the smallest integer
// type, the others as float32 when that loses nothing, else float64 (NaN and the infinities
// included, their bits kept).
void PackNumber(msgpack_packer* pk, double n) {
  if (n >= -0x1p63 && n < 0x1p63 && static_cast<double>(static_cast<int64_t>(n)) == n) {
    msgpack_pack_int64(pk, static_cast<int64_t>(n));
    return;
  }
  const auto f = static_cast<float>(n);
  if (static_cast<double>(f) == n) {
    msgpack_pack_float(pk, f);
  } else {
    msgpack_pack_double(pk, n);
  }
}

// A table packs as an array when its keys are exactly the numbers 1..n (n = the key count),
// each an int; anything else (an empty table is an array) packs as a map.
bool IsArray(lua_State* L) {
  const int top = lua_gettop(L);
  int count = 0;
  int max = 0;
  luaL_checkstack(L, 2, "in function table_is_an_array");
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lua_settop(L, top);
      return false;
    }
    const double n = lua_tonumber(L, -1);
    if (n <= 0 || n > INT_MAX || static_cast<double>(static_cast<int>(n)) != n) {
      lua_settop(L, top);
      return false;
    }
    max = std::max(max, static_cast<int>(n));
    ++count;
  }
  lua_settop(L, top);
  return max == count;
}

void PackTop(lua_State* L, msgpack_packer* pk, int level);

void PackTable(lua_State* L, msgpack_packer* pk, int level) {
  if (IsArray(L)) {
    const size_t len = lua_objlen(L, -1);
    msgpack_pack_array(pk, len);
    luaL_checkstack(L, 1, "in function mp_encode_lua_table_as_array");
    for (size_t i = 1; i <= len; ++i) {
      lua_pushnumber(L, static_cast<lua_Number>(i));
      lua_gettable(L, -2);
      PackTop(L, pk, level + 1);
    }
    return;
  }
  luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
  size_t len = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++len;
  }
  msgpack_pack_map(pk, len);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pushvalue(L, -2);
    PackTop(L, pk, level + 1);  // the key
    PackTop(L, pk, level + 1);  // the value
  }
}

// Packs the value on top of the stack and pops it. Functions, userdata and threads pack as nil.
void PackTop(lua_State* L, msgpack_packer* pk, int level) {
  int type = lua_type(L, -1);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len;
      const char* s = lua_tolstring(L, -1, &len);
      msgpack_pack_str(pk, len);
      msgpack_pack_str_body(pk, s, len);
      break;
    }
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, -1) != 0) {
        msgpack_pack_true(pk);
      } else {
        msgpack_pack_false(pk);
      }
      break;
    case LUA_TNUMBER:
      PackNumber(pk, lua_tonumber(L, -1));
      break;
    case LUA_TTABLE:
      PackTable(L, pk, level);
      break;
    default:
      msgpack_pack_nil(pk);
      break;
  }
  lua_pop(L, 1);
}

// cmsgpack.pack(v1, v2, ...): each value packed, the results concatenated. Each value's bytes
// are pushed before the next is packed, as lua_cmsgpack does, which keeps the stack use (and
// so the point where a huge argument list fails) the same.
int Pack(lua_State* L) {
  const int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  if (lua_checkstack(L, nargs) == 0) {
    return luaL_argerror(L, 0, "Too many arguments for MessagePack pack.");
  }
  std::string out;
  msgpack_packer pk;
  msgpack_packer_init(&pk, &out, AppendToString);
  for (int i = 1; i <= nargs; ++i) {
    luaL_checkstack(L, 1, "in function mp_check");
    lua_pushvalue(L, i);
    PackTop(L, &pk, 0);
    lua_pushlstring(L, out.data(), out.size());
    out.clear();
  }
  lua_concat(L, nargs);
  return 1;
}

// ---- Unpacking ----

enum class DecodeError { kNone, kMissingBytes, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  DecodeError err = DecodeError::kNone;

  bool Need(size_t n) {
    if (left >= n) return true;
    err = DecodeError::kMissingBytes;
    return false;
  }
  void Consume(size_t n) {
    p += n;
    left -= n;
  }
  // The n-byte big-endian unsigned number at offset `at`.
  uint64_t Uint(size_t at, int n) const {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | p[at + static_cast<size_t>(i)];
    return v;
  }
};

void Decode(lua_State* L, Cursor& c);

void DecodeArray(lua_State* L, Cursor& c, uint64_t len) {
  lua_newtable(L);
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  for (uint64_t i = 1; i <= len; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    Decode(L, c);
    if (c.err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

// A nil or NaN key fails in lua_settable with Lua's own error, as in Redis.
void DecodeMap(lua_State* L, Cursor& c, uint64_t len) {
  lua_newtable(L);
  for (uint64_t i = 0; i < len; ++i) {
    Decode(L, c);
    if (c.err != DecodeError::kNone) return;
    Decode(L, c);
    if (c.err != DecodeError::kNone) return;
    lua_settable(L, -3);
  }
}

// A string whose length is the `n`-byte number after the tag (n = 0: the tag's low 5 bits).
void DecodeString(lua_State* L, Cursor& c, int n) {
  size_t len;
  if (n == 0) {
    len = c.p[0] & 0x1f;
  } else {
    if (!c.Need(1 + static_cast<size_t>(n))) return;
    len = c.Uint(1, n);
  }
  const size_t header = 1 + static_cast<size_t>(n);
  if (!c.Need(header + len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c.p + header), len);
  c.Consume(header + len);
}

// An array or map whose count is the `n`-byte number after the tag (n = 0: the low 4 bits).
template <void (*Container)(lua_State*, Cursor&, uint64_t)>
void DecodeContainer(lua_State* L, Cursor& c, int n) {
  uint64_t len;
  if (n == 0) {
    len = c.p[0] & 0x0f;
  } else {
    if (!c.Need(1 + static_cast<size_t>(n))) return;
    len = c.Uint(1, n);
  }
  c.Consume(1 + static_cast<size_t>(n));
  Container(L, c, len);
}

// Pushes the value at the cursor (or sets c.err). Integers become Lua numbers; a uint64 goes
// through lua_Integer (int64) as in Redis, so values from 2^63 up come out negative. bin, ext
// and the never-used 0xc1 are bad format: Redis's decoder predates them.
void Decode(lua_State* L, Cursor& c) {
  if (!c.Need(1)) return;
  luaL_checkstack(L, 1, kTooManyValues);
  const unsigned char tag = c.p[0];
  if (tag <= 0x7f) {
    lua_pushinteger(L, tag);
    c.Consume(1);
    return;
  }
  if (tag >= 0xe0) {
    lua_pushinteger(L, static_cast<int8_t>(tag));
    c.Consume(1);
    return;
  }
  switch (tag & 0xf0) {
    case 0x80:
      return DecodeContainer<DecodeMap>(L, c, 0);
    case 0x90:
      return DecodeContainer<DecodeArray>(L, c, 0);
    case 0xa0:
    case 0xb0:
      return DecodeString(L, c, 0);
    default:
      break;
  }
  // Fixed-size scalars: the byte count after the tag.
  int size = 0;
  switch (tag) {
    case 0xc0:
      lua_pushnil(L);
      c.Consume(1);
      return;
    case 0xc2:
    case 0xc3:
      lua_pushboolean(L, tag == 0xc3);
      c.Consume(1);
      return;
    case 0xd9:
      return DecodeString(L, c, 1);
    case 0xda:
      return DecodeString(L, c, 2);
    case 0xdb:
      return DecodeString(L, c, 4);
    case 0xdc:
      return DecodeContainer<DecodeArray>(L, c, 2);
    case 0xdd:
      return DecodeContainer<DecodeArray>(L, c, 4);
    case 0xde:
      return DecodeContainer<DecodeMap>(L, c, 2);
    case 0xdf:
      return DecodeContainer<DecodeMap>(L, c, 4);
    case 0xcc:
    case 0xd0:
      size = 1;
      break;
    case 0xcd:
    case 0xd1:
      size = 2;
      break;
    case 0xca:
    case 0xce:
    case 0xd2:
      size = 4;
      break;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      size = 8;
      break;
    default:
      c.err = DecodeError::kBadFormat;
      return;
  }
  if (!c.Need(1 + static_cast<size_t>(size))) return;
  const uint64_t raw = c.Uint(1, size);
  switch (tag) {
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      lua_pushinteger(L, static_cast<lua_Integer>(raw));
      break;
    case 0xd0:
      lua_pushinteger(L, static_cast<int8_t>(raw));
      break;
    case 0xd1:
      lua_pushinteger(L, static_cast<int16_t>(raw));
      break;
    case 0xd2:
      lua_pushinteger(L, static_cast<int32_t>(raw));
      break;
    case 0xd3:
      lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(raw)));
      break;
    case 0xca: {
      const auto bits = static_cast<uint32_t>(raw);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      lua_pushnumber(L, f);
      break;
    }
    default: {  // 0xcb
      double d;
      std::memcpy(&d, &raw, sizeof d);
      lua_pushnumber(L, d);
      break;
    }
  }
  c.Consume(1 + static_cast<size_t>(size));
}

// Decodes up to `limit` values from `offset` of the string argument. limit = offset = 0 (unpack)
// returns every value; otherwise the offset after the last one comes first (-1 at the end).
int UnpackFull(lua_State* L, lua_Integer limit, lua_Integer offset) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  const bool decode_all = limit == 0 && offset == 0;
  if (offset < 0 || limit < 0) {
    // Redis prints the input length where the text says limit.
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.",
                      static_cast<int>(offset), static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", static_cast<int>(offset),
                      static_cast<int>(len));
  }
  if (decode_all) limit = INT_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset)};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    Decode(L, c);
    if (c.err == DecodeError::kMissingBytes) return luaL_error(L, "Missing bytes in input.");
    if (c.err == DecodeError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (!decode_all) {
    luaL_checkstack(L, 1, "in function mp_unpack_full");
    lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
    lua_insert(L, 2);
    ++count;
  }
  return count;
}

// Drops every argument but the first (none stays none).
void KeepFirstArg(lua_State* L) { lua_settop(L, lua_gettop(L) > 0 ? 1 : 0); }

int Unpack(lua_State* L) { return UnpackFull(L, 0, 0); }

int UnpackOne(lua_State* L) {
  const lua_Integer offset = luaL_optinteger(L, 2, 0);
  KeepFirstArg(L);
  return UnpackFull(L, 1, offset);
}

int UnpackLimit(lua_State* L) {
  const lua_Integer limit = luaL_checkinteger(L, 2);
  const lua_Integer offset = luaL_optinteger(L, 3, 0);
  KeepFirstArg(L);
  return UnpackFull(L, limit, offset);
}

}  // namespace

int OpenCmsgpack(lua_State* L) {
  lua_newtable(L);
  static constexpr luaL_Reg kFunctions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"unpack_one", UnpackOne}, {"unpack_limit", UnpackLimit}};
  for (const luaL_Reg& f : kFunctions) {
    lua_pushcfunction(L, f.func);
    lua_setfield(L, -2, f.name);
  }
  // The module's description fields, which Redis's scripts can read too.
  static constexpr const char* kFields[][2] = {
      {"_NAME", "cmsgpack"},
      {"_VERSION", "lua-cmsgpack 0.4.0"},
      {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
      {"_DESCRIPTION", "MessagePack C implementation for Lua"}};
  for (const auto& field : kFields) {
    lua_pushstring(L, field[1]);
    lua_setfield(L, -2, field[0]);
  }
  return 1;
}

}  // namespace kv::scripting
