#include "scripting/lua_sandbox.h"

extern "C" {
#include <lauxlib.h>
#include <lua-bitop.h>
#include <lua-cjson.h>
#include <lua.h>
#include <lualib.h>
}

#include <cstring>
#include <initializer_list>

#include "scripting/lua_cmsgpack.h"
#include "scripting/lua_struct.h"

namespace kv::scripting {

namespace {

constexpr char kRegProtected[] = "kv_protected";  // set of read-only proxies
constexpr char kReadonlyError[] = "Attempt to modify a readonly table";

// Redis 7.0's error handler (eval.c): tables pass through, anything else becomes
// {err='ERR ' .. tostring(err)}, and the position of the script line that failed is added.
constexpr char kErrHandlerSource[] = R"(
local dbg = ...
return function (err)
  local i = dbg.getinfo(2,'nSl')
  if i and i.what == 'C' then
    i = dbg.getinfo(3,'nSl')
  end
  if type(err) ~= 'table' then
    err = {err='ERR ' .. tostring(err)}
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end
)";

void OpenLib(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  lua_setglobal(L, name);
}

int ReadonlyNewIndex(lua_State* L) { return luaL_error(L, kReadonlyError); }

// Redis refuses reads of undefined globals too. The globals proxy's __index is the real
// globals table, so a read that finds its name costs a table lookup and no C call; a miss there
// reaches this function, the real table's own __index.
int GlobalMissing(lua_State* L) {
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_tostring(L, 2));
}

// What getmetatable(_G).__index shows: the reads the proxy makes, as a function (the real
// table must stay out of reach, or scripts could write to it).
int GlobalIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return 1;
  return GlobalMissing(L);
}

bool IsProtected(lua_State* L, int idx) {
  if (!lua_istable(L, idx)) return false;
  lua_getfield(L, LUA_REGISTRYINDEX, kRegProtected);
  lua_pushvalue(L, idx);
  lua_rawget(L, -2);
  bool yes = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return yes;
}

// Redis 7.0's pcall: an error table caught by pcall reaches the script as its err string, as
// errors were strings before 7.0.
int CompatPcall(lua_State* L) {
  const int argc = lua_gettop(L);
  luaL_checkany(L, 1);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

// rawset, setmetatable and table.insert write past __newindex: on a read-only table they fail as
// in Redis (no position: the error comes from inside a C function). table.remove and table.sort
// need no guard: a proxy holds no array part, so they never write to it (Redis: they return nil).
int GuardedCall(lua_State* L) {
  if (IsProtected(L, 1)) {
    lua_pushstring(L, kReadonlyError);
    return lua_error(L);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void Guard(lua_State* L, int table_idx, const char* name) {
  table_idx = table_idx < 0 ? lua_gettop(L) + table_idx + 1 : table_idx;
  lua_getfield(L, table_idx, name);
  lua_pushcclosure(L, GuardedCall, 1);
  lua_setfield(L, table_idx, name);
}

// What getmetatable() of a proxy gives. A library proxy's metatable reads through to the real
// library table, so it is hidden (false); getmetatable(_G) gives a read-only view of a table of
// C functions (__index, __newindex) that stands for the globals' metatable, a table as in Redis.
enum class MetaView { kHidden, kReadOnlyView };

void PushProxy(lua_State* L, int idx, MetaView view);

// The table getmetatable(_G) reads through to: the globals proxy's metatable as it would be
// with a function as __index (GlobalIndex over the real globals at `globals_idx`).
void PushGlobalsMetaShown(lua_State* L, int globals_idx) {
  globals_idx = globals_idx < 0 ? lua_gettop(L) + globals_idx + 1 : globals_idx;
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, globals_idx);
  lua_pushcclosure(L, GlobalIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
}

// Pushes an empty proxy of the table at `idx` that reads through to it and refuses writes.
void PushProxy(lua_State* L, int idx, MetaView view) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_newtable(L);  // proxy
  lua_createtable(L, 0, 3);  // its metatable
  lua_pushvalue(L, idx);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  if (view == MetaView::kReadOnlyView) {
    PushGlobalsMetaShown(L, idx);
    PushProxy(L, -1, MetaView::kHidden);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__metatable");  // the shown table's own __metatable, as before
    lua_remove(L, -2);
  } else {
    lua_pushboolean(L, 0);
  }
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_getfield(L, LUA_REGISTRYINDEX, kRegProtected);
  lua_pushvalue(L, -2);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

// A reader that yields one space before the chunk: lua_load then never takes it for bytecode,
// and a space changes neither the meaning nor the line numbers of text.
struct PrefixReader {
  const char* body;
  size_t len;
  int step = 0;
};

const char* ReadPrefixed(lua_State*, void* ud, size_t* size) {
  auto* r = static_cast<PrefixReader*>(ud);
  switch (r->step++) {
    case 0:
      *size = 1;
      return " ";
    case 1:
      *size = r->len;
      return r->body;
    default:
      *size = 0;
      return nullptr;
  }
}

// loadstring(s [, chunkname]) as Redis's Lua has it; the loaded function sees the read-only
// globals, as the script does.
// Lua's own results for a load: the function (in the scripts' environment), or nil and the
// message.
int LoadResults(lua_State* L, const char* s, size_t len, const char* name) {
  if (LoadText(L, s, len, name) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  SetScriptEnv(L);
  return 1;
}

int SafeLoadString(lua_State* L) {
  size_t len;
  const char* s = luaL_checklstring(L, 1, &len);
  return LoadResults(L, s, len, luaL_optstring(L, 2, s));
}

// load(f [, chunkname]): the pieces f returns are joined first, then loaded like loadstring.
int SafeLoad(lua_State* L) {
  const char* name = luaL_optstring(L, 2, "=(load)");
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (;;) {
    lua_pushvalue(L, 1);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      break;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "reader function must return a string");
    if (lua_objlen(L, -1) == 0) {
      lua_pop(L, 1);
      break;
    }
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  size_t len;
  const char* s = lua_tolstring(L, -1, &len);
  return LoadResults(L, s, len, name);
}

}  // namespace

int LoadText(lua_State* L, const char* body, size_t len, const char* chunkname) {
  PrefixReader reader{body, len};
  return lua_load(L, ReadPrefixed, &reader, chunkname);
}

void SetScriptEnv(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kRegEnv);
  lua_setfenv(L, -2);
}

void OpenLibraries(lua_State* L) {
  OpenLib(L, "", luaopen_base);
  OpenLib(L, LUA_TABLIBNAME, luaopen_table);
  OpenLib(L, LUA_STRLIBNAME, luaopen_string);
  OpenLib(L, LUA_MATHLIBNAME, luaopen_math);
  OpenLib(L, LUA_DBLIBNAME, luaopen_debug);
  OpenLib(L, "cjson", luaopen_cjson);
  OpenLib(L, "bit", luaopen_bit);
  OpenLib(L, "struct", OpenStruct);
  OpenLib(L, "cmsgpack", OpenCmsgpack);
  // luaopen_base registers the globals itself and returns _G: undo the setglobal("", _G).
  lua_pushnil(L);
  lua_setglobal(L, "");
}

void SealState(lua_State* L) {
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kRegProtected);

  // The error handler keeps the debug library as an upvalue; scripts never see it.
  if (luaL_loadbuffer(L, kErrHandlerSource, std::strlen(kErrHandlerSource), "=err_handler") != 0) {
    lua_error(L);
  }
  lua_getglobal(L, LUA_DBLIBNAME);
  lua_call(L, 1, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, kRegErrHandler);

  for (const char* name : {"debug", "loadfile", "dofile", "print", "setfenv", "getfenv",
                           "newproxy", "module", "require", "package", "os", "io"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }

  // Writes that bypass __newindex are refused on read-only tables.
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  Guard(L, -1, "rawset");
  Guard(L, -1, "setmetatable");
  lua_pop(L, 1);
  lua_getglobal(L, LUA_TABLIBNAME);
  Guard(L, -1, "insert");
  lua_pop(L, 1);
  lua_pushcfunction(L, CompatPcall);
  lua_setglobal(L, "pcall");

  // Every library table a script can reach becomes a read-only proxy.
  for (const char* name : {"string", "table", "math", "coroutine", "redis", "cjson", "bit", "struct",
                           "cmsgpack"}) {
    lua_getglobal(L, name);
    if (!lua_istable(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    PushProxy(L, -1, MetaView::kHidden);
    lua_setglobal(L, name);
    lua_pop(L, 1);
  }
  // Strings' metatable: methods resolve through the string proxy, and getmetatable("") gives
  // a read-only view of the metatable.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_getglobal(L, "string");
  lua_setfield(L, -2, "__index");
  // The view's __index is the string proxy set just above, never the real string table.
  PushProxy(L, -1, MetaView::kHidden);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);

  // The globals scripts see: reads of undefined names and all writes fail. Reads of undefined
  // names fail on the real table too: no C code reads a global by name once the state is sealed
  // (KEYS and ARGV are written, and rawget is used elsewhere).
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, GlobalMissing);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  PushProxy(L, -1, MetaView::kReadOnlyView);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kRegEnv);
  lua_setfield(L, -2, "_G");
  lua_pushcfunction(L, SafeLoadString);
  lua_setfield(L, -2, "loadstring");
  lua_pushcfunction(L, SafeLoad);
  lua_setfield(L, -2, "load");
  lua_pop(L, 1);
}

}  // namespace kv::scripting
