// ScriptHost: what the Lua runtime (scripting/lua_engine.h) needs from the server.
//
// The engine runs scripts; everything a script does to the data goes through this interface, so
// the runtime knows nothing about shards, locks or the WAL. The dispatcher's wiring implements it
// (running each redis.call inside the script's atomic batch); unit tests use a fake that records
// argv and answers canned replies.
//
// Thread contract: one host per engine, called only from the thread running the script, except
// where a method says otherwise.
#pragma once

#include <chrono>
#include <span>
#include <string_view>

#include "core/reply_builder.h"

namespace kv::scripting {

// Error texts Redis 7.0 gives for calls a script makes; hosts send them through the builder
// (SendError) so the script sees exactly what Redis scripts see.
inline constexpr std::string_view kErrUnknownCommand = "ERR Unknown Redis command called from script";
inline constexpr std::string_view kErrWrongArity =
    "ERR Wrong number of args calling Redis command from script";
inline constexpr std::string_view kErrNotAllowed = "ERR This Redis command is not allowed from script";
inline constexpr std::string_view kErrWriteInReadOnly =
    "ERR Write commands are not allowed from read-only scripts.";

// Levels of redis.log, as Redis numbers them (LL_DEBUG..LL_WARNING).
enum class LogLevel { kDebug = 0, kVerbose = 1, kNotice = 2, kWarning = 3 };

class ScriptHost {
 public:
  virtual ~ScriptHost() = default;

  // redis.call / redis.pcall: runs argv (argv[0] is the command name, as the script spelled it)
  // and writes exactly one reply to `rb`, errors included (unknown command, arity, ACL, OOM:
  // kErr* above). `resp` is the protocol the script chose with redis.setresp (2 or 3); `rb`
  // answers flat_pairs() accordingly. `rb` never raises a Lua error while the host writes to it.
  virtual void Call(std::span<const std::string_view> argv, int resp, ReplyBuilder& rb) = 0;

  // redis.acl_check_cmd: -1 when argv[0] names no command, else 1 when the running user may run
  // argv and 0 when not.
  virtual int AclCheck(std::span<const std::string_view> argv) = 0;

  // redis.log: the arguments joined by spaces.
  virtual void Log(LogLevel level, std::string_view message) = 0;

  // Called from the instruction hook, on the script's thread, once the script has run longer
  // than EngineOptions::busy_threshold and then at every hook tick: the wiring answers -BUSY to
  // other clients and serves SCRIPT KILL (LuaEngine::Kill) meanwhile.
  virtual void OnBusy(std::chrono::milliseconds /*elapsed*/) {}
};

}  // namespace kv::scripting
