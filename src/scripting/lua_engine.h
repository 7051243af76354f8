// LuaEngine: one Lua 5.1 interpreter, as one I/O thread runs scripts (EVAL, EVALSHA, SCRIPT).
//
// It owns a lua_State set up as Redis 7.0 sets up its own: the base, table, string and math
// libraries, cjson and bit, the `redis` table, KEYS and ARGV, a read-only global table, binary
// chunks refused, Redis's math.random. Every command a script runs goes through the ScriptHost;
// replies come back through LuaReplyBuilder and the script's result leaves through LuaToReply,
// with Redis's conversion rules and error texts.
//
// Bounds: the state's memory is capped (EngineOptions::memory_limit; a script that exceeds it
// fails with an error and its garbage is collected), and an instruction-count hook lets a
// long script be reported busy (ScriptHost::OnBusy) and stopped by Kill from any thread.
//
// Thread contract: every method but Kill, running and busy runs on the engine's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/reply_builder.h"
#include "scripting/script_cache.h"
#include "scripting/script_host.h"

struct lua_State;
struct lua_Debug;

namespace kv::scripting {

// The text redis.call gives a number argument: Redis 7.0's "%.17g" (Lua's own %.14g would lose
// digits). Writes it to buf (64 bytes are enough) and returns its length.
size_t FormatNumberArg(double n, char* buf, size_t size);

struct EngineOptions {
  // Bytes the Lua state may hold; allocations past it fail with "not enough memory".
  size_t memory_limit = 256u << 20;
  // busy-reply-threshold (lua-time-limit): past it the hook calls ScriptHost::OnBusy.
  std::chrono::milliseconds busy_threshold{5000};
  // VM instructions between two hook calls (Redis: 100000).
  int hook_instructions = 100000;
  // redis.REDIS_VERSION; REDIS_VERSION_NUM is derived from it.
  std::string redis_version = "7.0.15";
};

// Flags of redis.register_function, in the order FUNCTION LIST shows them.
enum FunctionFlag : uint32_t {
  kFnNoWrites = 1,
  kFnAllowOom = 2,
  kFnAllowStale = 4,
  kFnNoCluster = 8,
  kFnAllowCrossSlotKeys = 16,
};
inline constexpr std::pair<FunctionFlag, std::string_view> kFunctionFlagNames[] = {
    {kFnNoWrites, "no-writes"},
    {kFnAllowOom, "allow-oom"},
    {kFnAllowStale, "allow-stale"},
    {kFnNoCluster, "no-cluster"},
    {kFnAllowCrossSlotKeys, "allow-cross-slot-keys"}};

// An EVAL script's first line `#!lua flags=no-writes,...` (Redis 7's evalExtractShebangFlags).
// A script with one declares what it does (no-writes: it runs read-only; without allow-oom it is
// refused over maxmemory); a script without one runs in Redis's compatibility mode.
struct ScriptShebang {
  bool present = false;
  uint32_t flags = 0;  // FunctionFlag bits
  size_t length = 0;   // of the line, its newline excluded: the code starts there
};
// nullopt for a malformed line, with Redis's message (no "ERR ") in *err.
std::optional<ScriptShebang> ParseScriptShebang(std::string_view body, std::string* err);

// One function a library registered.
struct FunctionDef {
  std::string name;
  std::string description;
  uint32_t flags = 0;
};

class LuaEngine {
 public:
  LuaEngine(ScriptCache& cache, ScriptHost& host, EngineOptions options = {});
  ~LuaEngine();
  LuaEngine(const LuaEngine&) = delete;
  LuaEngine& operator=(const LuaEngine&) = delete;

  // EVAL: compiles `body` (once per engine), stores it in the cache as Redis does, runs it.
  void Eval(std::string_view body, std::span<const std::string_view> keys,
            std::span<const std::string_view> args, ReplyBuilder& out);
  // EVALSHA: -NOSCRIPT when the cache has no body for `sha` (any case).
  void EvalSha(std::string_view sha, std::span<const std::string_view> keys,
               std::span<const std::string_view> args, ReplyBuilder& out);
  // SCRIPT LOAD: compiles `body`; replies its SHA1 (bulk) or the compile error.
  void Load(std::string_view body, ReplyBuilder& out);
  // The shebang of the script this engine compiled under `sha` (any case), or null when it has
  // none compiled for it: EVALSHA then finds its flags without the shared cache's lock.
  const ScriptShebang* CompiledShebang(std::string_view sha);

  // FUNCTION LOAD on this engine: runs `code` (the library body with its shebang line removed,
  // its newline kept) where only redis.register_function, redis.log and the LOG_* and version
  // fields exist, as Redis 7.0 loads libraries. On success the functions are kept under
  // (library, generation), replacing an older generation, and `fns` lists them; on failure
  // `err` is Redis's message (without "ERR ") and nothing is kept.
  bool LoadLibrary(const std::string& library, uint64_t generation, std::string_view code,
                   std::vector<FunctionDef>* fns, std::string* err);
  bool HasLibrary(const std::string& library, uint64_t generation) const;
  // Drops every library this engine holds that `keep` rejects.
  template <typename Keep>
  void DropLibraries(Keep keep) {
    for (auto it = libs_.begin(); it != libs_.end();) {
      if (keep(it->first, it->second.generation)) {
        ++it;
      } else {
        ReleaseLibrary(it->second);
        it = libs_.erase(it);
      }
    }
  }
  // FCALL: runs `function` of a library loaded here, with KEYS and ARGV as its two arguments.
  void CallFunction(const std::string& library, const std::string& function,
                    std::span<const std::string_view> keys, std::span<const std::string_view> args,
                    ReplyBuilder& out);

  // SCRIPT KILL, from any thread: stops the running script at its next hook call with Redis's
  // "Script killed by user with SCRIPT KILL..." error. False when no script runs.
  bool Kill();
  bool running() const { return running_.load(std::memory_order_acquire); }
  // Whether the running script has passed busy_threshold (the wiring answers -BUSY meanwhile).
  bool busy() const { return busy_.load(std::memory_order_acquire); }

  // busy-reply-threshold changed (CONFIG SET): applies from the next script on.
  void set_busy_threshold(std::chrono::milliseconds t) { options_.busy_threshold = t; }

  size_t memory_used() const { return mem_used_; }
  size_t compiled_scripts() const { return compiled_.size(); }

 private:
  friend struct EngineAccess;

  // True (with an error reply) when called from inside a running script on this thread.
  bool Reentered(ReplyBuilder& out);
  // Compiles `body` into a registry reference; on failure replies the compile error.
  bool Compile(const std::string& sha, std::string_view body, ReplyBuilder& out);
  // as_function: KEYS and ARGV are passed as the two arguments (FCALL), not set as globals.
  void Run(const std::string& sha, int ref, std::span<const std::string_view> keys,
           std::span<const std::string_view> args, ReplyBuilder& out, bool as_function = false);
  void ReplyRunError(const std::string& sha, ReplyBuilder& out);
  // Drops the compiled functions when SCRIPT FLUSH moved the cache to a new epoch.
  void SyncEpoch();
  // Runs inside lua_cpcall: opens the libraries, builds `redis`, seals the state.
  void SetupState();

  struct Library {
    uint64_t generation = 0;
    std::unordered_map<std::string, int> refs;  // function name -> registry reference
  };
  void ReleaseLibrary(Library& lib);
  // The environment library code and its functions run in (built on first use).
  void PushFunctionEnv();
  static int FunctionEnvIndex(lua_State* L);
  static int LuaRegisterFunction(lua_State* L);
  int RegisterFunction(lua_State* L);

  static void* Alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  static void Hook(lua_State* L, lua_Debug* ar);

  // redis.* functions.
  static int LuaCall(lua_State* L);
  static int LuaPcall(lua_State* L);
  static int LuaAclCheck(lua_State* L);
  static int LuaLog(lua_State* L);
  static int LuaSetResp(lua_State* L);
  static int LuaSetRepl(lua_State* L);
  static int LuaMathRandom(lua_State* L);
  static int LuaMathRandomSeed(lua_State* L);
  static int LuaCollectGarbage(lua_State* L);
  int CallCommand(lua_State* L, bool raise);
  // Collects the call's arguments into argv_; false (with the error table pushed) when one is
  // neither a string nor a number.
  bool CollectArgv(lua_State* L);

  ScriptCache& cache_;
  ScriptHost& host_;
  EngineOptions options_;
  lua_State* L_ = nullptr;

  size_t mem_used_ = 0;
  bool enforce_limit_ = false;

  uint64_t epoch_ = 0;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct Compiled {
    int ref = 0;  // registry reference of the function
    ScriptShebang shebang;
  };
  std::unordered_map<std::string, Compiled, StringHash, std::equal_to<>> compiled_;  // by sha
  // The bodies EVAL ran, so that running one again skips its SHA1: the body (the cache's own
  // copy, kept alive here), its entry in compiled_.
  struct EvalMemo {
    std::shared_ptr<const std::string> body;
    const std::pair<const std::string, Compiled>* script = nullptr;
  };
  std::unordered_map<std::string_view, EvalMemo, StringHash, std::equal_to<>> eval_bodies_;
  // Registry references of the error handler and of the names "KEYS" and "ARGV", so that a run
  // neither looks the handler up by name nor hashes the names again.
  int err_handler_ref_ = 0;
  int keys_name_ref_ = 0;
  int argv_name_ref_ = 0;

  // The running script.
  int resp_ = 2;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> running_{false};
  std::atomic<bool> busy_{false};
  std::atomic<bool> kill_{false};
  bool gc_stopped_ = false;  // a script ran collectgarbage("stop")

  std::unordered_map<std::string, Library> libs_;
  // While LoadLibrary runs: the functions registered so far (their references held).
  std::vector<std::pair<FunctionDef, int>>* registering_ = nullptr;

  // redis.call's argument views and the texts of its number arguments, reused across calls.
  std::vector<std::string_view> argv_;
  std::vector<std::string> number_texts_;

  // redisLrand48's 48-bit state (math.random): per state, as Redis 7.0 keeps one per server.
  uint64_t rand_state_ = 0;
};

}  // namespace kv::scripting
