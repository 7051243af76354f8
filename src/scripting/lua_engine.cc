#include "scripting/lua_engine.h"

extern "C" {
#include <lauxlib.h>
#include <lua.h>
}

#include <fmt/format.h>

#include <charconv>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <stdexcept>

#include "core/ascii.h"
#include "scripting/lua_reply.h"
#include "scripting/lua_sandbox.h"

namespace kv::scripting {

size_t FormatNumberArg(double n, char* buf, size_t size) {
  // An integral value below 1e17 in magnitude has at most 17 digits, so "%.17g" prints it as
  // those digits, which to_chars writes without printf's parsing and rounding machinery; -0
  // ("-0" for printf) takes the slow path.
  if (n > -1e17 && n < 1e17 && n == std::trunc(n) && !(n == 0 && std::signbit(n))) {
    return static_cast<size_t>(std::to_chars(buf, buf + size, static_cast<int64_t>(n)).ptr - buf);
  }
  return static_cast<size_t>(std::snprintf(buf, size, "%.17g", n));
}

namespace {

LuaEngine* EngineOf(lua_State* L);

// Raises the error table on top of the stack the way redis.call raises (luaError).
int RaiseTop(lua_State* L) { return lua_error(L); }

// luaPushError + luaError: an error table "ERR <msg>" raised from a redis.* function.
int RaiseError(lua_State* L, std::string_view msg) {
  PushErrorTable(L, msg);
  return RaiseTop(L);
}

// Redis's redisLrand48: the 48-bit linear congruential generator of drand48.
constexpr uint64_t kRandMask = (uint64_t{1} << 48) - 1;
uint64_t SeedState(int32_t seed) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
}
int32_t NextRand(uint64_t& state) {
  state = (state * 0x5DEECE66DULL + 0xB) & kRandMask;
  return static_cast<int32_t>(state >> 17);
}

int ErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  size_t len;
  const char* s = lua_tolstring(L, -1, &len);
  std::string_view err(s, len);
  if (!err.empty() && err.front() == '-') {
    PushErrorTable(L, err);
  } else {
    std::string text = "-";
    text.append(err);
    PushErrorTable(L, text);
  }
  return 1;
}

int StatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushErrorTable(L, "wrong number or type of arguments");
    return 1;
  }
  lua_createtable(L, 0, 1);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "ok");
  return 1;
}

int Sha1HexFn(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string hex = Sha1Hex(s == nullptr ? std::string_view() : std::string_view(s, len));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int ReplicateCommands(lua_State* L) {
  // Redis 7 always replicates scripts as their effects.
  lua_pushboolean(L, 1);
  return 1;
}

int Breakpoint(lua_State* L) {
  // No debugging session (SCRIPT DEBUG) ever runs: as in Redis outside one.
  lua_pushboolean(L, 0);
  return 1;
}

int DebugFn(lua_State*) { return 0; }

uint32_t VersionNum(const std::string& v) {
  uint32_t parts[3] = {0, 0, 0};
  const char* p = v.data();
  const char* end = v.data() + v.size();
  for (uint32_t& part : parts) {
    auto res = std::from_chars(p, end, part);
    p = res.ptr;
    if (p < end && *p == '.') ++p;
  }
  return (parts[0] << 16) | (parts[1] << 8) | parts[2];
}

void SetNumber(lua_State* L, const char* name, lua_Number v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, name);
}

void SetFunction(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

}  // namespace

struct EngineAccess {
  static LuaEngine* FromState(lua_State* L) {
    void* ud = nullptr;
    lua_getallocf(L, &ud);
    return static_cast<LuaEngine*>(ud);
  }
};

namespace {
LuaEngine* EngineOf(lua_State* L) { return EngineAccess::FromState(L); }
}  // namespace

void* LuaEngine::Alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* e = static_cast<LuaEngine*>(ud);
  if (nsize == 0) {
    e->mem_used_ -= osize;
    std::free(ptr);
    return nullptr;
  }
  if (nsize > osize && e->enforce_limit_ && e->mem_used_ + (nsize - osize) > e->options_.memory_limit) {
    return nullptr;  // Lua raises "not enough memory"
  }
  void* p = std::realloc(ptr, nsize);
  if (p == nullptr) return nullptr;
  e->mem_used_ = e->mem_used_ - (ptr == nullptr ? 0 : osize) + nsize;
  return p;
}

LuaEngine::LuaEngine(ScriptCache& cache, ScriptHost& host, EngineOptions options)
    : cache_(cache), host_(host), options_(std::move(options)) {
  L_ = lua_newstate(Alloc, this);
  if (L_ == nullptr) throw std::bad_alloc();
  // redisLrand48's state before any seeding: Redis 7.0 never reseeds between scripts, so every
  // new state starts the same sequence (841, 354, 447 for math.random(1000) after one call).
  rand_state_ = 0x1234ABCD330EULL;
  epoch_ = cache_.epoch();
  // Set up under protection: a failure there (out of memory) must not reach Lua's panic.
  const int rc = lua_cpcall(L_, [](lua_State* L) {
    EngineAccess::FromState(L)->SetupState();
    return 0;
  }, nullptr);
  if (rc != 0) {
    std::string msg = lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "unknown error";
    lua_close(L_);
    throw std::runtime_error("Lua state setup failed: " + msg);
  }
}

LuaEngine::~LuaEngine() { lua_close(L_); }

void LuaEngine::SetupState() {
  OpenLibraries(L_);

  lua_pushcfunction(L_, LuaCollectGarbage);
  lua_setglobal(L_, "collectgarbage");

  lua_getglobal(L_, "math");
  SetFunction(L_, "random", LuaMathRandom);
  SetFunction(L_, "randomseed", LuaMathRandomSeed);
  lua_pop(L_, 1);

  lua_createtable(L_, 0, 32);
  SetFunction(L_, "call", LuaCall);
  SetFunction(L_, "pcall", LuaPcall);
  SetFunction(L_, "acl_check_cmd", LuaAclCheck);
  SetFunction(L_, "log", LuaLog);
  SetFunction(L_, "setresp", LuaSetResp);
  SetFunction(L_, "set_repl", LuaSetRepl);
  SetFunction(L_, "replicate_commands", ReplicateCommands);
  SetFunction(L_, "sha1hex", Sha1HexFn);
  SetFunction(L_, "error_reply", ErrorReply);
  SetFunction(L_, "status_reply", StatusReply);
  SetFunction(L_, "breakpoint", Breakpoint);
  SetFunction(L_, "debug", DebugFn);
  SetNumber(L_, "LOG_DEBUG", static_cast<int>(LogLevel::kDebug));
  SetNumber(L_, "LOG_VERBOSE", static_cast<int>(LogLevel::kVerbose));
  SetNumber(L_, "LOG_NOTICE", static_cast<int>(LogLevel::kNotice));
  SetNumber(L_, "LOG_WARNING", static_cast<int>(LogLevel::kWarning));
  SetNumber(L_, "REPL_NONE", 0);
  SetNumber(L_, "REPL_AOF", 1);
  SetNumber(L_, "REPL_SLAVE", 2);
  SetNumber(L_, "REPL_REPLICA", 2);
  SetNumber(L_, "REPL_ALL", 3);
  lua_pushlstring(L_, options_.redis_version.data(), options_.redis_version.size());
  lua_setfield(L_, -2, "REDIS_VERSION");
  SetNumber(L_, "REDIS_VERSION_NUM", VersionNum(options_.redis_version));
  lua_setglobal(L_, "redis");

  SealState(L_);
  lua_settop(L_, 0);
  lua_getfield(L_, LUA_REGISTRYINDEX, kRegErrHandler);
  err_handler_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  lua_pushliteral(L_, "KEYS");
  keys_name_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
  lua_pushliteral(L_, "ARGV");
  argv_name_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
}

void LuaEngine::SyncEpoch() {
  uint64_t epoch = cache_.epoch();
  if (epoch == epoch_) return;
  epoch_ = epoch;
  eval_bodies_.clear();
  for (auto& [sha, script] : compiled_) luaL_unref(L_, LUA_REGISTRYINDEX, script.ref);
  compiled_.clear();
  lua_gc(L_, LUA_GCCOLLECT, 0);
}

std::optional<ScriptShebang> ParseScriptShebang(std::string_view body, std::string* err) {
  ScriptShebang sh;
  if (!body.starts_with("#!")) return sh;
  const size_t nl = body.find('\n');
  if (nl == std::string_view::npos) {
    *err = "Invalid script shebang";
    return std::nullopt;
  }
  sh.present = true;
  sh.length = nl;
  const std::vector<std::string_view> parts = SplitWhitespace(body.substr(0, nl));
  if (parts.front() != "#!lua") {
    *err = fmt::format("Unexpected engine in script shebang: {}", parts.front());
    return std::nullopt;
  }
  for (size_t p = 1; p < parts.size(); ++p) {
    if (!parts[p].starts_with("flags=")) {
      *err = fmt::format("Unknown lua shebang option: {}", parts[p]);
      return std::nullopt;
    }
    // As sdssplitlen: "flags=" has no flag, "a," has "a" and "".
    std::string_view list = parts[p].substr(6);
    for (bool more = !list.empty(); more;) {
      const size_t comma = list.find(',');
      const std::string_view flag = list.substr(0, comma);
      more = comma != std::string_view::npos;
      if (more) list.remove_prefix(comma + 1);
      bool known = false;
      for (const auto& [bit, name] : kFunctionFlagNames)
        if (name == flag) {
          sh.flags |= bit;
          known = true;
        }
      if (!known) {
        *err = fmt::format("Unexpected flag in script shebang: {}", flag);
        return std::nullopt;
      }
    }
  }
  return sh;
}

bool LuaEngine::Compile(const std::string& sha, std::string_view body, ReplyBuilder& out) {
  std::string err;
  const std::optional<ScriptShebang> shebang = ParseScriptShebang(body, &err);
  if (!shebang) {
    out.SendError("ERR " + err);
    return false;
  }
  // The shebang line is skipped but its newline kept, so errors count lines as the user does.
  body.remove_prefix(shebang->length);
  enforce_limit_ = true;
  int rc = LoadText(L_, body.data(), body.size(), "@user_script");
  enforce_limit_ = false;
  if (rc != 0) {
    size_t len = 0;
    const char* msg = lua_tolstring(L_, -1, &len);
    out.SendError(fmt::format("ERR Error compiling script (new function): {}",
                              std::string_view(msg == nullptr ? "" : msg, len)));
    lua_settop(L_, 0);
    lua_gc(L_, LUA_GCCOLLECT, 0);
    return false;
  }
  SetScriptEnv(L_);
  compiled_[sha] = Compiled{luaL_ref(L_, LUA_REGISTRYINDEX), *shebang};
  return true;
}

void LuaEngine::Eval(std::string_view body, std::span<const std::string_view> keys,
                     std::span<const std::string_view> args, ReplyBuilder& out) {
  if (Reentered(out)) return;
  SyncEpoch();
  if (auto memo = eval_bodies_.find(body); memo != eval_bodies_.end()) {
    Run(memo->second.script->first, memo->second.script->second.ref, keys, args, out);
    return;
  }
  std::string sha = Sha1Hex(body);
  auto it = compiled_.find(sha);
  if (it == compiled_.end()) {
    if (!Compile(sha, body, out)) return;
    cache_.Add(body);
    it = compiled_.find(sha);
  }
  // Null when SCRIPT FLUSH ran on another thread meanwhile: this run goes on, unremembered.
  if (std::shared_ptr<const std::string> kept = cache_.Find(sha)) {
    const std::string_view key(*kept);
    eval_bodies_.try_emplace(key, EvalMemo{std::move(kept), &*it});
  }
  Run(it->first, it->second.ref, keys, args, out);
}

namespace {

// The lowercase form of a client's 40-character SHA1 in `buf`; empty for any other length
// (no script has such a name).
std::string_view LowerSha(std::string_view sha, char (&buf)[40]) {
  if (sha.size() != sizeof buf) return {};
  for (size_t i = 0; i < sizeof buf; ++i) buf[i] = AsciiLowerChar(sha[i]);
  return {buf, sizeof buf};
}

}  // namespace

const ScriptShebang* LuaEngine::CompiledShebang(std::string_view sha_arg) {
  SyncEpoch();
  char buf[40];
  auto it = compiled_.find(LowerSha(sha_arg, buf));
  return it == compiled_.end() ? nullptr : &it->second.shebang;
}

void LuaEngine::EvalSha(std::string_view sha_arg, std::span<const std::string_view> keys,
                        std::span<const std::string_view> args, ReplyBuilder& out) {
  if (Reentered(out)) return;
  SyncEpoch();
  char buf[40];
  const std::string_view sha = LowerSha(sha_arg, buf);
  auto it = compiled_.find(sha);
  if (it == compiled_.end()) {
    std::shared_ptr<const std::string> body = cache_.Find(sha);
    if (body == nullptr) {
      out.SendError("NOSCRIPT No matching script. Please use EVAL.");
      return;
    }
    const std::string key(sha);
    if (!Compile(key, *body, out)) return;
    it = compiled_.find(sha);
  }
  Run(it->first, it->second.ref, keys, args, out);
}

void LuaEngine::Load(std::string_view body, ReplyBuilder& out) {
  if (Reentered(out)) return;
  SyncEpoch();
  std::string sha = Sha1Hex(body);
  if (!compiled_.contains(sha) && !Compile(sha, body, out)) return;
  cache_.Add(body);
  out.SendBulk(sha);
}

bool LuaEngine::Reentered(ReplyBuilder& out) {
  // Only a host that runs EVAL or SCRIPT from inside redis.call gets here while a script runs
  // on this thread; Redis refuses those commands in scripts.
  if (!running()) return false;
  out.SendError(kErrNotAllowed);
  return true;
}

bool LuaEngine::Kill() {
  if (!running()) return false;
  kill_.store(true, std::memory_order_release);
  return true;
}

namespace {

void PushStringArray(lua_State* L, std::span<const std::string_view> items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

}  // namespace

void LuaEngine::Run(const std::string& sha, int ref, std::span<const std::string_view> keys,
                    std::span<const std::string_view> args, ReplyBuilder& out, bool as_function) {
  resp_ = 2;  // every script starts in RESP2 (redis.setresp changes it)
  kill_.store(false, std::memory_order_relaxed);
  busy_.store(false, std::memory_order_relaxed);
  start_ = std::chrono::steady_clock::now();
  running_.store(true, std::memory_order_release);

  lua_rawgeti(L_, LUA_REGISTRYINDEX, err_handler_ref_);
  const int handler = lua_gettop(L_);
  lua_rawgeti(L_, LUA_REGISTRYINDEX, ref);
  // KEYS and ARGV are fresh tables in the real globals. They are built outside the limit (this
  // is not a protected call, and the arguments are in the server's memory already) but count
  // against it once the script runs. Raw sets: the real globals' metatable has no __newindex.
  if (as_function) {
    PushStringArray(L_, keys);
    PushStringArray(L_, args);
  } else {
    lua_rawgeti(L_, LUA_REGISTRYINDEX, keys_name_ref_);
    PushStringArray(L_, keys);
    lua_rawset(L_, LUA_GLOBALSINDEX);
    lua_rawgeti(L_, LUA_REGISTRYINDEX, argv_name_ref_);
    PushStringArray(L_, args);
    lua_rawset(L_, LUA_GLOBALSINDEX);
  }
  enforce_limit_ = true;
  lua_sethook(L_, Hook, LUA_MASKCOUNT, options_.hook_instructions);
  const int rc = lua_pcall(L_, as_function ? 2 : 0, 1, handler);
  lua_sethook(L_, nullptr, 0, 0);
  enforce_limit_ = false;
  running_.store(false, std::memory_order_release);
  busy_.store(false, std::memory_order_release);

  if (rc == 0) {
    LuaToReply(L_, resp_, out);
  } else {
    ReplyRunError(sha, out);
  }
  lua_settop(L_, 0);
  // The arguments die with the run (large ones would otherwise hold memory until the next).
  if (!as_function) {
    lua_rawgeti(L_, LUA_REGISTRYINDEX, keys_name_ref_);
    lua_pushnil(L_);
    lua_rawset(L_, LUA_GLOBALSINDEX);
    lua_rawgeti(L_, LUA_REGISTRYINDEX, argv_name_ref_);
    lua_pushnil(L_);
    lua_rawset(L_, LUA_GLOBALSINDEX);
  }
  // A script may have stopped or slowed the collector (collectgarbage("stop"), "setpause");
  // later scripts get Lua's defaults back.
  // LUA_GCRESTART also moves the collector's threshold down to the bytes in use, so the next
  // allocation would start a collection step: done only after a script stopped it (that step
  // on every EVAL was about a third of the server's instructions per call).
  if (gc_stopped_) {
    lua_gc(L_, LUA_GCRESTART, 0);
    gc_stopped_ = false;
  }
  lua_gc(L_, LUA_GCSETPAUSE, 200);
  lua_gc(L_, LUA_GCSETSTEPMUL, 200);
  if (mem_used_ > options_.memory_limit / 2) lua_gc(L_, LUA_GCCOLLECT, 0);
}

void LuaEngine::ReplyRunError(const std::string& sha, ReplyBuilder& out) {
  if (!lua_istable(L_, -1)) {
    const char* msg = lua_isstring(L_, -1) ? lua_tostring(L_, -1) : "execution failure";
    out.SendError(fmt::format("ERR Error running script {}, {:.100}", sha, msg));
    return;
  }
  // luaExtractErrorInformation, with rawget where Redis uses lua_getfield: no metamethod of a
  // script's error object runs here, outside the hook and outside any protected call.
  std::string msg;
  std::string source;
  std::string line;
  bool has_msg = false;
  bool has_pos = true;
  for (const char* field : {"err", "source", "line"}) {
    lua_pushstring(L_, field);
    lua_rawget(L_, -2);
    if (lua_isstring(L_, -1)) {
      size_t len;
      const char* s = lua_tolstring(L_, -1, &len);
      std::string& dst = field[0] == 'e' ? msg : field[0] == 's' ? source : line;
      dst.assign(s, len);
      if (field[0] == 'e') has_msg = true;
    } else if (field[0] != 'e') {
      has_pos = false;
    }
    lua_pop(L_, 1);
  }
  if (!has_msg) {
    // Redis 7.0 dereferences a null message here and crashes; an answer is better.
    out.SendError(fmt::format("ERR Error running script {}, execution failure", sha));
    return;
  }
  if (has_pos) fmt::format_to(std::back_inserter(msg), " script: {}, on {}:{}.", sha, source, line);
  out.SendError(msg);
}

void LuaEngine::Hook(lua_State* L, lua_Debug*) {
  LuaEngine* e = EngineOf(L);
  if (!e->kill_.load(std::memory_order_acquire)) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - e->start_);
    if (elapsed < e->options_.busy_threshold) return;
    e->busy_.store(true, std::memory_order_release);
    e->host_.OnBusy(elapsed);
    if (!e->kill_.load(std::memory_order_acquire)) return;
  }
  // Fire on every line from now on, so a pcall in the script cannot swallow the kill.
  lua_sethook(L, Hook, LUA_MASKLINE, 0);
  RaiseError(L, "Script killed by user with SCRIPT KILL...");
}

bool LuaEngine::CollectArgv(lua_State* L) {
  const int argc = lua_gettop(L);
  argv_.clear();
  number_texts_.clear();
  number_texts_.reserve(static_cast<size_t>(argc));  // views into it must not move
  for (int j = 1; j <= argc; ++j) {
    if (lua_type(L, j) == LUA_TNUMBER) {
      char buf[64];
      const size_t n = FormatNumberArg(static_cast<double>(lua_tonumber(L, j)), buf, sizeof buf);
      number_texts_.emplace_back(buf, n);
      argv_.push_back(number_texts_.back());
      continue;
    }
    if (lua_type(L, j) != LUA_TSTRING) {
      PushErrorTable(L, "Lua redis lib command arguments must be strings or integers");
      return false;
    }
    size_t len;
    const char* s = lua_tolstring(L, j, &len);
    argv_.emplace_back(s, len);
  }
  return true;
}

int LuaEngine::CallCommand(lua_State* L, bool raise) {
  if (lua_gettop(L) == 0) {
    PushErrorTable(L, "Please specify at least one argument for this redis lib call");
    return raise ? RaiseTop(L) : 1;
  }
  if (!CollectArgv(L)) return raise ? RaiseTop(L) : 1;
  const int top = lua_gettop(L);
  LuaReplyBuilder rb(L, resp_);
  // The reply is built outside the limit: a Lua error must not unwind the host's frames, and
  // the reply is as large as the one a client would have received. The limit is checked after.
  enforce_limit_ = false;
  host_.Call(argv_, resp_, rb);
  enforce_limit_ = true;
  if (!rb.complete()) {
    lua_settop(L, top);
    PushErrorTable(L, "the command sent no reply");
  } else if (mem_used_ > options_.memory_limit) {
    lua_gc(L, LUA_GCCOLLECT, 0);  // the reply stays reachable: only garbage goes
    if (mem_used_ > options_.memory_limit) {
      lua_settop(L, top);
      lua_gc(L, LUA_GCCOLLECT, 0);
      return luaL_error(L, "not enough memory");
    }
  }
  if (raise && rb.is_error()) return RaiseTop(L);
  return 1;
}

int LuaEngine::LuaCall(lua_State* L) { return EngineOf(L)->CallCommand(L, true); }
int LuaEngine::LuaPcall(lua_State* L) { return EngineOf(L)->CallCommand(L, false); }

int LuaEngine::LuaAclCheck(lua_State* L) {
  LuaEngine* e = EngineOf(L);
  if (lua_gettop(L) == 0) return RaiseError(L, "Please specify at least one argument for this redis lib call");
  if (!e->CollectArgv(L)) return RaiseTop(L);
  int allowed = e->host_.AclCheck(e->argv_);
  if (allowed < 0) return RaiseError(L, "Invalid command passed to redis.acl_check_cmd()");
  lua_pushboolean(L, allowed);
  return 1;
}

int LuaEngine::LuaLog(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc < 2) return RaiseError(L, "redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1)) return RaiseError(L, "First argument must be a number (log level).");
  const lua_Number level = lua_tonumber(L, 1);
  if (level < 0 || level > 3) return RaiseError(L, "Invalid debug level.");
  std::string message;
  for (int j = 2; j <= argc; ++j) {
    size_t len;
    const char* s = lua_tolstring(L, j, &len);
    if (s == nullptr) continue;  // Redis skips what is neither string nor number
    if (j != 2) message.push_back(' ');
    message.append(s, len);
  }
  EngineOf(L)->host_.Log(static_cast<LogLevel>(static_cast<int>(level)), message);
  return 0;
}

int LuaEngine::LuaSetResp(lua_State* L) {
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.setresp() requires one argument.");
  const lua_Number resp = lua_tonumber(L, 1);
  if (resp != 2 && resp != 3) return RaiseError(L, "RESP version must be 2 or 3.");
  EngineOf(L)->resp_ = static_cast<int>(resp);
  return 0;
}

int LuaEngine::LuaSetRepl(lua_State* L) {
  // Scripts are always replicated as their effects; the flags are checked as Redis checks them
  // and have no other effect.
  if (lua_gettop(L) != 1) return RaiseError(L, "redis.set_repl() requires two arguments.");
  const auto flags = static_cast<int64_t>(lua_tonumber(L, 1));
  if ((flags & ~int64_t{3}) != 0) {
    return RaiseError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
  }
  return 0;
}

int LuaEngine::LuaMathRandom(lua_State* L) {
  // Redis's redis_math_random: Lua 5.1's math.random over redisLrand48.
  constexpr int32_t kMax = 2147483647;
  LuaEngine* e = EngineOf(L);
  const lua_Number r =
      static_cast<lua_Number>(NextRand(e->rand_state_) % kMax) / static_cast<lua_Number>(kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      const int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      break;
    }
    case 2: {
      const int l = luaL_checkint(L, 1);
      const int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (u - l + 1)) + l);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int LuaEngine::LuaCollectGarbage(lua_State* L) {
  // Lua 5.1.5's luaB_collectgarbage, which scripts call by the same global name (so its
  // argument errors read the same), noting "stop" so that Run restarts the collector.
  static const char* const kOpts[] = {"stop", "restart", "collect", "count",
                                      "step", "setpause", "setstepmul", nullptr};
  static const int kOptsNum[] = {LUA_GCSTOP, LUA_GCRESTART, LUA_GCCOLLECT, LUA_GCCOUNT,
                                 LUA_GCSTEP, LUA_GCSETPAUSE, LUA_GCSETSTEPMUL};
  const int o = luaL_checkoption(L, 1, "collect", kOpts);
  const int ex = luaL_optint(L, 2, 0);
  const int res = lua_gc(L, kOptsNum[o], ex);
  switch (kOptsNum[o]) {
    case LUA_GCSTOP:
      EngineOf(L)->gc_stopped_ = true;
      break;
    case LUA_GCCOUNT: {
      const int b = lua_gc(L, LUA_GCCOUNTB, 0);
      lua_pushnumber(L, res + (static_cast<lua_Number>(b) / 1024));
      return 1;
    }
    case LUA_GCSTEP:
      lua_pushboolean(L, res);
      return 1;
    default:
      break;
  }
  lua_pushnumber(L, res);
  return 1;
}

int LuaEngine::LuaMathRandomSeed(lua_State* L) {
  EngineOf(L)->rand_state_ = SeedState(luaL_checkint(L, 1));
  return 0;
}

}  // namespace kv::scripting
