// The part of LuaEngine that serves Redis 7 functions: loading a library's code in the narrow
// environment Redis 7.0 gives it (redis.register_function, redis.log, the LOG_* and version
// fields, nothing else), keeping the registered callbacks per library, and calling them.
//
// Library code and every function it defines share one environment table whose reads switch
// with the engine's state: while a library loads they see the load-time globals, afterwards the
// read-only globals scripts see. A helper the library defined at load time therefore reaches
// redis.call when a registered function calls it, as in Redis, which flips the same switch.
#include <fmt/format.h>

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <cctype>
#include <chrono>

#include "scripting/lua_engine.h"
#include "scripting/lua_reply.h"
#include "scripting/lua_sandbox.h"

namespace kv::scripting {

namespace {

constexpr char kRegFunctionEnv[] = "kv_function_env";
constexpr auto kLoadTimeout = std::chrono::milliseconds(500);

LuaEngine* Owner(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<LuaEngine*>(ud);
}

int Raise(lua_State* L, std::string_view msg) {
  PushErrorTable(L, msg);
  return lua_error(L);
}

// __index of the load-time tables: what is not there is refused as Redis refuses it.
int MissingIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return 1;
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_tostring(L, 2));
}

int ReadonlyWrite(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }

// With [table, metatable, `nup` upvalues] on top of the stack: makes the metatable read through
// `index` (closed over the upvalues), refuse writes and hide itself, and sets it on the table.
void SealReadonly(lua_State* L, lua_CFunction index, int nup) {
  lua_pushcclosure(L, index, nup);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadonlyWrite);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

// Pushes an empty table that reads through `idx` with MissingIndex and refuses writes.
void PushStrictProxy(lua_State* L, int idx) {
  idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
  lua_newtable(L);
  lua_createtable(L, 0, 3);
  lua_pushvalue(L, idx);
  SealReadonly(L, MissingIndex, 1);
}

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
      return false;
  return true;
}

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::chrono::steady_clock::time_point g_load_start;  // only read on the loading thread

void LoadHook(lua_State* L, lua_Debug*) {
  if (std::chrono::steady_clock::now() - g_load_start < kLoadTimeout) return;
  lua_sethook(L, LoadHook, LUA_MASKLINE, 0);
  Raise(L, "FUNCTION LOAD timeout");
}

}  // namespace

// Upvalues: the load-time globals, the real globals. The error is raised here, not in a nested
// metamethod, so its position is the script line that read the name.
int LuaEngine::FunctionEnvIndex(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(Owner(L)->registering_ != nullptr ? 1 : 2));
  if (!lua_isnil(L, -1)) return 1;
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_tostring(L, 2));
}

void LuaEngine::PushFunctionEnv() {
  lua_getfield(L_, LUA_REGISTRYINDEX, kRegFunctionEnv);
  if (!lua_isnil(L_, -1)) return;
  lua_pop(L_, 1);
  // The load-time `redis`: register_function, log and the constant fields of the real one.
  lua_newtable(L_);
  lua_getglobal(L_, "redis");
  for (const char* field : {"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING",
                            "REDIS_VERSION", "REDIS_VERSION_NUM"}) {
    lua_getfield(L_, -1, field);
    lua_setfield(L_, -3, field);
  }
  lua_pop(L_, 1);
  lua_pushcfunction(L_, LuaRegisterFunction);
  lua_setfield(L_, -2, "register_function");
  PushStrictProxy(L_, -1);
  lua_remove(L_, -2);
  lua_createtable(L_, 0, 1);  // the load-time globals
  lua_insert(L_, -2);
  lua_setfield(L_, -2, "redis");
  lua_newtable(L_);  // the environment
  lua_createtable(L_, 0, 3);
  lua_pushvalue(L_, -3);
  lua_pushvalue(L_, LUA_GLOBALSINDEX);
  SealReadonly(L_, FunctionEnvIndex, 2);
  lua_remove(L_, -2);
  lua_pushvalue(L_, -1);
  lua_setfield(L_, LUA_REGISTRYINDEX, kRegFunctionEnv);
}

int LuaEngine::LuaRegisterFunction(lua_State* L) { return Owner(L)->RegisterFunction(L); }

int LuaEngine::RegisterFunction(lua_State* L) {
  if (registering_ == nullptr)
    return Raise(L, "redis.register_function can only be called on FUNCTION LOAD command");
  FunctionDef def;
  const int argc = lua_gettop(L);
  int callback = 0;
  if (argc == 1) {
    if (!lua_istable(L, 1))
      return Raise(L,
                   "calling redis.register_function with a single argument is only applicable "
                   "to Lua table (representing named arguments).");
    bool named = false;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
      const char* key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      const std::string_view k(key);
      if (k == "function_name") {
        if (!lua_isstring(L, -1))
          return Raise(L, "function_name argument given to redis.register_function must be a "
                          "string");
        def.name = lua_tostring(L, -1);
        named = true;
      } else if (k == "description") {
        if (!lua_isstring(L, -1))
          return Raise(L, "description argument given to redis.register_function must be a "
                          "string");
        def.description = lua_tostring(L, -1);
      } else if (k == "callback") {
        if (!lua_isfunction(L, -1))
          return Raise(L, "callback argument given to redis.register_function must be a function");
        lua_pushvalue(L, -1);
        lua_insert(L, 2);  // keep it below the iteration
        callback = 2;
      } else if (k == "flags") {
        if (!lua_istable(L, -1))
          return Raise(L, "flags argument to redis.register_function must be a table "
                          "representing function flags");
        for (int i = 1;; ++i) {
          lua_rawgeti(L, -1, i);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          bool known = false;
          if (lua_type(L, -1) == LUA_TSTRING) {
            const std::string_view flag = lua_tostring(L, -1);
            for (const auto& [bit, name] : kFunctionFlagNames)
              if (flag == name) {
                def.flags |= bit;
                known = true;
              }
          }
          if (!known) return Raise(L, "unknown flag given");
          lua_pop(L, 1);
        }
      } else {
        return Raise(L, "unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (!named) return Raise(L, "redis.register_function must get a function name argument");
    if (callback == 0) return Raise(L, "redis.register_function must get a callback argument");
  } else if (argc == 2) {
    if (!lua_isstring(L, 1))
      return Raise(L, "first argument to redis.register_function must be a string");
    if (!lua_isfunction(L, 2))
      return Raise(L, "second argument to redis.register_function must be a function");
    def.name = lua_tostring(L, 1);
    callback = 2;
  } else {
    return Raise(L, "wrong number of arguments to redis.register_function");
  }
  if (!ValidName(def.name))
    return Raise(L, "Library names can only contain letters, numbers, or underscores(_) and "
                    "must be at least one character long");
  for (const auto& [existing, ref] : *registering_)
    if (SameName(existing.name, def.name)) return Raise(L, "Function already exists in the library");
  lua_pushvalue(L, callback);
  const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  registering_->emplace_back(std::move(def), ref);
  return 0;
}

bool LuaEngine::LoadLibrary(const std::string& library, uint64_t generation,
                            std::string_view code, std::vector<FunctionDef>* fns,
                            std::string* err) {
  if (running()) {
    *err = "This Redis command is not allowed from script";
    return false;
  }
  std::vector<std::pair<FunctionDef, int>> pending;
  lua_settop(L_, 0);
  lua_getfield(L_, LUA_REGISTRYINDEX, kRegErrHandler);
  PushFunctionEnv();
  enforce_limit_ = true;
  int rc = LoadText(L_, code.data(), code.size(), "@user_function");
  enforce_limit_ = false;
  if (rc != 0) {
    *err = fmt::format("Error compiling function: {}", lua_tostring(L_, -1));
    lua_settop(L_, 0);
    lua_gc(L_, LUA_GCCOLLECT, 0);
    return false;
  }
  lua_pushvalue(L_, 2);
  lua_setfenv(L_, -2);
  registering_ = &pending;
  g_load_start = std::chrono::steady_clock::now();
  enforce_limit_ = true;
  lua_sethook(L_, LoadHook, LUA_MASKCOUNT, options_.hook_instructions);
  rc = lua_pcall(L_, 0, 0, 1);
  lua_sethook(L_, nullptr, 0, 0);
  enforce_limit_ = false;
  registering_ = nullptr;
  if (rc != 0) {
    std::string msg = "execution failure";
    if (lua_istable(L_, -1)) {
      lua_pushstring(L_, "err");
      lua_rawget(L_, -2);
      if (lua_isstring(L_, -1)) msg = lua_tostring(L_, -1);
      lua_pop(L_, 1);
    } else if (lua_isstring(L_, -1)) {
      msg = lua_tostring(L_, -1);
    }
    *err = "Error registering functions: " + msg;
  } else if (pending.empty()) {
    *err = "No functions registered";
  }
  lua_settop(L_, 0);
  if (!err->empty()) {
    for (auto& [def, ref] : pending) luaL_unref(L_, LUA_REGISTRYINDEX, ref);
    lua_gc(L_, LUA_GCCOLLECT, 0);
    return false;
  }
  Library lib;
  lib.generation = generation;
  for (auto& [def, ref] : pending) {
    lib.refs[def.name] = ref;
    fns->push_back(std::move(def));
  }
  auto it = libs_.find(library);
  if (it != libs_.end()) ReleaseLibrary(it->second);
  libs_[library] = std::move(lib);
  return true;
}

bool LuaEngine::HasLibrary(const std::string& library, uint64_t generation) const {
  auto it = libs_.find(library);
  return it != libs_.end() && it->second.generation == generation;
}

void LuaEngine::ReleaseLibrary(Library& lib) {
  for (auto& [name, ref] : lib.refs) luaL_unref(L_, LUA_REGISTRYINDEX, ref);
  lib.refs.clear();
}

void LuaEngine::CallFunction(const std::string& library, const std::string& function,
                             std::span<const std::string_view> keys,
                             std::span<const std::string_view> args, ReplyBuilder& out) {
  if (Reentered(out)) return;
  auto lib = libs_.find(library);
  auto fn = lib == libs_.end() ? decltype(lib->second.refs)::iterator() : lib->second.refs.find(function);
  if (lib == libs_.end() || fn == lib->second.refs.end()) {
    out.SendError("ERR Function not found");
    return;
  }
  Run(function, fn->second, keys, args, out, true);
}

}  // namespace kv::scripting
