// The sandbox a LuaEngine's state runs scripts in, as Redis 7.0 builds it: which libraries are
// open, what is removed, the read-only globals and library tables, binary chunks refused.
// Internal to src/scripting.
#pragma once

#include <cstddef>

struct lua_State;

namespace kv::scripting {

// Registry fields the engine reads.
inline constexpr char kRegErrHandler[] = "kv_err_handler";  // Redis's __redis__err__handler
inline constexpr char kRegEnv[] = "kv_env";                 // the read-only globals scripts see

// Opens base, table, string, math, cjson, bit, struct and cmsgpack, and the debug library for the error
// handler only. Runs first, on a fresh state.
void OpenLibraries(lua_State* L);

// Installs the error handler, removes what scripts may not reach (os, io, print, loadfile,
// dofile, package, require, module, setfenv, getfenv, newproxy, debug), replaces loadstring and
// load by versions that refuse bytecode, and makes the globals and every library table
// read-only. Runs last: the `redis` table must already be a global.
void SealState(lua_State* L);

// Sets the environment of the function on top of the stack to the read-only globals.
void SetScriptEnv(lua_State* L);

// lua_load of `body` as Redis's patched Lua loads text: a chunk that starts like bytecode is
// parsed as text (and fails there), so bytecode never runs.
int LoadText(lua_State* L, const char* body, size_t len, const char* chunkname);

}  // namespace kv::scripting
