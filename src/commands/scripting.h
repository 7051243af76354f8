// What the rest of the server asks of the scripting family (scripting_family.cc): whether a
// script has run past busy-reply-threshold (the dispatcher then answers other clients -BUSY),
// and the hook through which the server answers the clients of the busy script's own loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/reply_builder.h"

namespace kv::scripting {
class LuaEngine;
}

namespace kv {

// True while some thread's script runs past busy-reply-threshold.
bool ScriptBusy();
// Whether `name` (lower case) with `sub` may run while a script is busy: SCRIPT KILL,
// FUNCTION KILL / STATS, SHUTDOWN, and the commands Redis flags allow-busy. For a client of the
// busy script's own loop (ServingLoopWhileBusy) not WATCH: the script holds its shards' locks
// on that very thread, so taking one would deadlock.
bool AllowedWhileScriptBusy(std::string_view name, std::string_view sub);

// True on a thread while a command a script called (redis.call) runs: Redis's CLIENT_LUA,
// which XREAD / XREADGROUP check to refuse BLOCK.
bool InScriptCall();

// A script runs on its client's I/O loop, which cannot turn meanwhile; so past
// busy-reply-threshold the script itself hands control to `serve` every few milliseconds, and
// the server answers the loop's other clients from there (as Redis's
// processEventsWhileBlocked), or SCRIPT KILL could never reach a server with one I/O thread.
// Set by each I/O thread for itself (thread-local); nullptr: nothing to serve.
using ServeLoopWhileBusy = void (*)(void* arg);
void SetServeLoopWhileBusy(ServeLoopWhileBusy serve, void* arg);
// True on a thread while it serves its loop from inside a busy script.
bool ServingLoopWhileBusy();

struct CommandContext;
// This thread's Lua engine (created on first use).
scripting::LuaEngine& LocalEngine();
// Runs `body` on this thread's engine as EVAL runs a script: inside one atomic batch over the
// client's namespace (or the enclosing EXEC's), redis.call going through it; read_only refuses
// write commands; function: FCALL's function (see KillRunningScript), empty for an EVAL
// script; allow_oom: the script declared
// allow-oom. Without it, a script started over maxmemory (after eviction) gets -OOM from the
// commands that may grow memory until it has written, as Redis's scriptVerifyOOM.
void RunScript(CommandContext& ctx, bool read_only, std::string_view function, bool allow_oom,
               const std::function<void(scripting::LuaEngine&)>& body);
// FUNCTION STATS's running_script: a function past busy-reply-threshold (another client can
// only ask then, as in Redis, which runs nothing else meanwhile).
struct BusyFunction {
  std::string name;
  std::vector<std::string> command;
  std::chrono::steady_clock::time_point started;
};
std::optional<BusyFunction> BusyFunctionInfo();
// EVAL, FCALL and their _RO forms as the table declares them: `flags_of` gives a call's flags
// (the script's or function's), script_keys the keys after numkeys, which are optional
// (kCmdNoMandatoryKeys).
CommandSpec ScriptCommandSpec(CommandSpec spec,
                              uint32_t (*flags_of)(std::span<const std::string_view> args,
                                                   uint32_t flags));
// EVAL's and FCALL's numkeys against the arguments that follow it: false (error sent) when it
// is negative or exceeds them, with Redis's texts.
bool NumKeysInRange(CommandContext& ctx, int64_t numkeys);
// SCRIPT KILL (function false) / FUNCTION KILL: stops the running script and replies OK, or
// UNKILLABLE once it wrote, or -BUSY naming the other KILL when it is an EVAL and FUNCTION KILL
// was asked or the reverse (as Redis 7.0); false (nothing sent) when no script runs.
bool KillRunningScript(ReplyBuilder& rb, bool function);
// Redis's scriptFlagsToCmdFlags: a script or function that declared `script_flags`
// (scripting::FunctionFlag) writes unless no-writes, may grow memory (refused over maxmemory)
// unless allow-oom or no-writes, and is no longer "may replicate": its flags say what it does.
uint32_t ScriptCallFlags(uint32_t cmd_flags, uint32_t script_flags);

inline constexpr std::string_view kErrBusy =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
inline constexpr std::string_view kErrBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
// Scripts in the EVAL cache (INFO memory's number_of_cached_scripts).
size_t CachedScriptCount();
// The -BUSY reply while ScriptBusy(): kErrBusyFunction when the busy script is an FCALL.
std::string_view BusyError();

}  // namespace kv
