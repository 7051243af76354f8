// EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT: the Lua runtime (src/scripting, docs/scripting.md)
// wired into the dispatcher, with Redis 7.0's replies.
//
// Each I/O thread owns one LuaEngine (created on its first script); the script cache is one for
// the server, so SCRIPT LOAD on one connection serves EVALSHA on any thread.
//
// A script runs as one AtomicBatch (atomic_batch.h) that locks every shard of the client's
// namespace for the script's whole run: scripts may touch keys they did not declare (BullMQ's,
// Sidekiq's do), and the batch is what makes them atomic and logs their writes as ONE WAL record,
// so replay applies the script's effects and never runs Lua. A command the namespace's locks do
// not cover (SELECT, FLUSHALL, MOVE, COPY ... DB, SWAPDB, keyless commands that lock shards of
// their own) is refused inside a script: it would escape the batch or lock against its order.
// Inside EXEC the transaction's batch, which already locks everything, runs the script.
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <spdlog/spdlog.h>

#include "commands/acl_commands.h"
#include "commands/args.h"
#include "commands/atomic_batch.h"
#include "commands/cluster.h"
#include "commands/command_table.h"
#include "commands/dispatch.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/monitor.h"
#include "commands/scripting.h"
#include "commands/server_state.h"
#include "scripting/lua_engine.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

constexpr std::string_view kErrOutsideNamespace =
    "ERR This command is not allowed from scripts in kv-server: it reaches beyond the "
    "script's database";
constexpr std::string_view kNotBusy = "NOTBUSY No scripts in execution right now.";
constexpr std::string_view kUnkillable =
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
    "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
    "NOSAVE command.";

scripting::ScriptCache& Cache() {
  static scripting::ScriptCache cache;
  return cache;
}

std::atomic<int> g_busy_scripts{0};
thread_local bool t_in_script_call = false;
std::atomic<int> g_busy_functions{0};  // of them, FCALLs

struct LoopServer {
  ServeLoopWhileBusy serve = nullptr;
  void* arg = nullptr;
  bool serving = false;
};
thread_local LoopServer t_loop_server;

// How often a busy script lets its loop's other clients in: often enough that SCRIPT KILL is
// answered at once, rarely enough that polling idle sockets costs the script little.
constexpr std::chrono::milliseconds kServeEvery{5};

// The server side of one thread's engine: runs each redis.call inside the running script's batch.
class Host final : public scripting::ScriptHost {
 public:
  // holds_everything: the batch locks every namespace (EXEC's), so no command escapes it.
  // function: FCALL's (FUNCTION KILL stops it, SCRIPT KILL does not), not EVAL's.
  // oom: started over maxmemory without allow-oom (RunScript). function_name: FCALL's function
  // as registered, empty for EVAL.
  void Begin(CommandContext& ctx, AtomicBatch& batch, bool read_only, bool holds_everything,
             std::string_view function_name, bool oom) {
    ctx_ = &ctx;
    oom_ = oom;
    function_ = !function_name.empty();
    function_name_ = function_name;
    batch_ = &batch;
    read_only_ = read_only;
    holds_everything_ = holds_everything;
    wrote_.store(false, std::memory_order_relaxed);
  }
  void End() {
    if (busy_) {
      g_busy_scripts.fetch_sub(1, std::memory_order_relaxed);
      if (function_) g_busy_functions.fetch_sub(1, std::memory_order_relaxed);
      std::lock_guard lock(busy_mu_);
      busy_info_.reset();
    }
    busy_ = false;
    ctx_ = nullptr;
    batch_ = nullptr;
  }
  bool wrote() const { return wrote_.load(std::memory_order_acquire); }
  bool function() const { return function_; }
  std::optional<BusyFunction> busy_info() const {
    std::lock_guard lock(busy_mu_);
    return busy_info_;
  }

  void Call(std::span<const std::string_view> argv, int /*resp*/, ReplyBuilder& rb) override {
    ServerState& server = *ctx_->server;
    const CommandSpec* spec = server.commands.Find(argv[0]);
    if (!spec || spec->has(kCmdInternal)) {
      rb.SendError(scripting::kErrUnknownCommand);
      return;
    }
    // As Redis's scriptCall, a container's subcommand is looked up and checked as a command of
    // its own: its arity, its flags (CONFIG HELP may run, CONFIG GET is noscript).
    const SubcommandSpec* sub = spec->SubcommandOf(argv);
    if (!sub && !spec->subcommands.empty() && argv.size() >= 2) {
      rb.SendError(scripting::kErrUnknownCommand);
      return;
    }
    if (!ArityFits(sub ? sub->arity : spec->arity, argv.size())) {
      rb.SendError(scripting::kErrWrongArity);
      return;
    }
    const uint32_t flags = spec->DeclaredFlags(argv);
    // A plugin's blocking command is refused (it has no non-blocking answer to give); BLMPOP
    // and BZMPOP, blocking but not noscript in Redis 7.0, run as their non-blocking forms.
    if ((flags & kCmdNoScript) || ((flags & kCmdBlocking) && !spec->module.empty())) {
      rb.SendError(scripting::kErrNotAllowed);
      return;
    }
    if (read_only_ && (flags & kCmdWrite)) {
      rb.SendError(scripting::kErrWriteInReadOnly);
      return;
    }
    // A script that wrote must go on: refusing it now would leave its work half done.
    if (oom_ && (flags & kCmdDenyOom) && !wrote()) {
      rb.SendError(errors::kOom);
      return;
    }
    // Computed once, for the namespace check and the run (a call never re-enters this host:
    // scripts cannot call scripts).
    spec->KeyPositions(argv, &positions_);
    if (!holds_everything_ && !LockPlan::StaysInNamespace(*spec, argv, positions_)) {
      rb.SendError(kErrOutsideNamespace);
      return;
    }
    // Cluster mode: keys the script did not declare may live on another node; the script gets
    // an error rather than a redirect (what it wrote so far stays, as in Redis). Commands from a
    // primary or the WAL are obeyed.
    ClientState& client = *ctx_->client;
    if (server.cluster && !client.master && !client.replaying) [[unlikely]] {
      if (std::string err = cluster::RouteScriptCall(server, client, *spec, argv, positions_,
                                                     batch_->now_ms());
          !err.empty()) {
        rb.SendError(err);
        return;
      }
    }
    if (flags & kCmdWrite) wrote_.store(true, std::memory_order_release);
    t_in_script_call = true;
    monitor::ScriptScope shown_as_lua;
    batch_->Run(*spec, argv, {}, rb, positions_);
    t_in_script_call = false;
  }

  int AclCheck(std::span<const std::string_view> argv) override {
    const CommandSpec* spec = ctx_->server->commands.Find(argv[0]);
    if (!spec || spec->has(kCmdInternal)) return -1;
    ClientState& client = *ctx_->client;
    if (!client.user || client.user->unrestricted()) return 1;
    std::vector<size_t> positions;
    spec->KeyPositions(argv, &positions);
    DiscardReplies discard;
    return AclAllowsOrReply(*ctx_->server, client, *spec, argv, positions, discard) ? 1 : 0;
  }

  void Log(scripting::LogLevel level, std::string_view message) override {
    switch (level) {
      case scripting::LogLevel::kDebug:
      case scripting::LogLevel::kVerbose: spdlog::debug("{}", message); break;
      case scripting::LogLevel::kNotice: spdlog::info("{}", message); break;
      case scripting::LogLevel::kWarning: spdlog::warn("{}", message); break;
    }
  }

  void OnBusy(std::chrono::milliseconds elapsed) override {
    if (!busy_) {
      g_busy_scripts.fetch_add(1, std::memory_order_relaxed);
      if (function_) g_busy_functions.fetch_add(1, std::memory_order_relaxed);
      served_at_ = elapsed - kServeEvery;
      // Other clients may now ask FUNCTION STATS about it: a copy they can read.
      BusyFunction info{function_name_, {ctx_->args.begin(), ctx_->args.end()},
                        std::chrono::steady_clock::now() - elapsed};
      std::lock_guard lock(busy_mu_);
      busy_info_ = std::move(info);
    }
    busy_ = true;
    LoopServer& loop = t_loop_server;
    if (!loop.serve || loop.serving || elapsed - served_at_ < kServeEvery) return;
    served_at_ = elapsed;
    AtomicBatch::Suspended not_the_scripts;
    loop.serving = true;
    loop.serve(loop.arg);
    loop.serving = false;
  }

 private:
  CommandContext* ctx_ = nullptr;
  AtomicBatch* batch_ = nullptr;
  bool read_only_ = false;
  bool oom_ = false;
  // The batch's locks cover what the command locks: the whole namespace for a script,
  // everything inside EXEC.
  bool holds_everything_ = false;
  std::vector<size_t> positions_;  // the current call's key positions, reused across calls
  std::atomic<bool> function_{false};
  bool busy_ = false;
  std::chrono::milliseconds served_at_{0};  // when the loop's clients were last served
  std::atomic<bool> wrote_{false};
  std::string function_name_;
  mutable std::mutex busy_mu_;
  std::optional<BusyFunction> busy_info_;  // while busy
};

struct ThreadScripting {
  explicit ThreadScripting(scripting::EngineOptions options)
      : engine(Cache(), host, std::move(options)) {}
  Host host;
  scripting::LuaEngine engine;
};

// Every thread's engine, for SCRIPT KILL from another thread.
std::mutex g_engines_mu;
std::vector<ThreadScripting*> g_engines;

struct EngineSlot {
  std::unique_ptr<ThreadScripting> ts;
  ~EngineSlot() {
    if (!ts) return;
    std::lock_guard lock(g_engines_mu);
    std::erase(g_engines, ts.get());
  }
};
thread_local EngineSlot t_engine;

// This thread's engine; Evaluate gives it the current busy-reply-threshold before each run.
ThreadScripting& Local() {
  if (!t_engine.ts) {
    t_engine.ts = std::make_unique<ThreadScripting>(scripting::EngineOptions{});
    std::lock_guard lock(g_engines_mu);
    g_engines.push_back(t_engine.ts.get());
  }
  return *t_engine.ts;
}

}  // namespace

scripting::LuaEngine& LocalEngine() { return Local().engine; }

void RunScript(CommandContext& ctx, bool read_only, std::string_view function, bool allow_oom,
               const std::function<void(scripting::LuaEngine&)>& body) {
  ThreadScripting& ts = Local();
  ts.engine.set_busy_threshold(std::chrono::milliseconds(
      ctx.server->config.busy_reply_threshold.load(std::memory_order_relaxed)));
  // Evicted before the batch locks anything, as Redis evicts before every command; inside EXEC
  // the EXEC was checked.
  const bool oom = !allow_oom && !AtomicBatch::Current() && !ctx.client->replaying &&
                   ctx.server->config.maxmemory.load(std::memory_order_relaxed) > 0 &&
                   !ctx.server->dispatcher->FreeMemory(ctx.now_ms);
  auto run = [&](AtomicBatch& batch, bool everything) {
    ts.host.Begin(ctx, batch, read_only, everything, function, oom);
    body(ts.engine);
    ts.host.End();
  };
  if (AtomicBatch* outer = AtomicBatch::Current()) {
    run(*outer, true);
    return;
  }
  LockPlan plan(ctx.server->store);
  plan.AddNamespace(ctx.client->ns);
  AtomicBatch batch(*ctx.server->dispatcher, *ctx.client, plan, ctx.now_ms);
  run(batch, false);
}

bool NumKeysInRange(CommandContext& ctx, int64_t numkeys) {
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 3) {
    ctx.rb->SendError("ERR Number of keys can't be greater than number of args");
    return false;
  }
  if (numkeys < 0) {
    ctx.rb->SendError("ERR Number of keys can't be negative");
    return false;
  }
  return true;
}

namespace {
// Redis's evalGetKeys: numkeys keys after numkeys, none when it is not a count that fits.
void ScriptKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  NumKeysAt(args, 2, out);
}
}  // namespace

CommandSpec ScriptCommandSpec(CommandSpec spec,
                              uint32_t (*flags_of)(std::span<const std::string_view> args,
                                                   uint32_t flags)) {
  spec.flags |= kCmdNoMandatoryKeys;
  spec.flags_of = flags_of;
  spec.script_keys = ScriptKeys;
  return spec;
}

uint32_t ScriptCallFlags(uint32_t cmd_flags, uint32_t script_flags) {
  cmd_flags &= ~(kCmdStale | kCmdDenyOom | kCmdWrite | kCmdMayReplicate);
  if (!(script_flags & (scripting::kFnAllowOom | scripting::kFnNoWrites))) cmd_flags |= kCmdDenyOom;
  if (!(script_flags & scripting::kFnNoWrites)) cmd_flags |= kCmdWrite;
  if (script_flags & scripting::kFnAllowStale) cmd_flags |= kCmdStale;
  return cmd_flags;
}

std::optional<BusyFunction> BusyFunctionInfo() {
  std::lock_guard lock(g_engines_mu);
  for (ThreadScripting* ts : g_engines)
    if (ts->host.function())
      if (auto info = ts->host.busy_info()) return info;
  return std::nullopt;
}

bool KillRunningScript(ReplyBuilder& rb, bool function) {
  std::lock_guard lock(g_engines_mu);
  for (ThreadScripting* ts : g_engines) {
    if (!ts->engine.running()) continue;
    if (ts->host.wrote()) {
      rb.SendError(kUnkillable);
      return true;
    }
    if (ts->host.function() != function) {
      rb.SendError(function ? kErrBusy : kErrBusyFunction);
      return true;
    }
    if (ts->engine.Kill()) {
      rb.SendOk();
      return true;
    }
  }
  return false;
}

namespace {

void Evaluate(CommandContext& ctx, bool by_sha, bool read_only) {
  constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";
  // Redis refuses a SHA1 of the wrong length at once, then reads numkeys, then looks it up.
  if (by_sha && ctx.args[1].size() != 40) {
    ctx.rb->SendError(kNoScript);
    return;
  }
  int64_t numkeys = 0;
  if (!ParseIntOrReply(ctx, ctx.args[2], &numkeys)) return;
  if (!NumKeysInRange(ctx, numkeys)) return;
  // A shebang declares what the script does (scripting::ScriptShebang); without one it may do
  // anything, as in Redis's compatibility mode. A script this thread's engine has compiled has
  // its shebang parsed already, and needs no look-up in the shared cache.
  std::optional<scripting::ScriptShebang> shebang;
  if (const scripting::ScriptShebang* known =
          by_sha ? Local().engine.CompiledShebang(ctx.args[1]) : nullptr) {
    shebang = *known;
  } else {
    std::shared_ptr<const std::string> cached;
    if (by_sha && !(cached = Cache().Find(ctx.args[1]))) {
      ctx.rb->SendError(kNoScript);
      return;
    }
    std::string err;
    shebang = scripting::ParseScriptShebang(by_sha ? *cached : ctx.args[1], &err);
    if (!shebang) {
      ctx.rb->SendError("ERR " + err);
      return;
    }
  }
  const bool no_writes = (shebang->flags & scripting::kFnNoWrites) != 0;
  if (shebang->present && read_only && !no_writes) {
    ctx.rb->SendError("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  const auto keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  const auto argv = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  const bool allow_oom = (shebang->flags & scripting::kFnAllowOom) != 0;
  RunScript(ctx, read_only || no_writes, {}, allow_oom, [&](scripting::LuaEngine& engine) {
    if (by_sha)
      engine.EvalSha(ctx.args[1], keys, argv, *ctx.rb);
    else
      engine.Eval(ctx.args[1], keys, argv, *ctx.rb);
  });
}

// The flags of a call running `body` (Redis's evalGetCommandFlags): those its shebang declares.
uint32_t BodyCallFlags(std::string_view body, uint32_t flags) {
  if (!body.starts_with("#!")) return flags;
  std::string err;
  const auto shebang = scripting::ParseScriptShebang(body, &err);
  return shebang && shebang->present ? ScriptCallFlags(flags, shebang->flags) : flags;
}

uint32_t EvalCallFlags(std::span<const std::string_view> args, uint32_t flags) {
  return args.size() > 1 ? BodyCallFlags(args[1], flags) : flags;
}

uint32_t EvalShaCallFlags(std::span<const std::string_view> args, uint32_t flags) {
  if (args.size() < 2 || !Cache().any_shebang()) return flags;
  const std::shared_ptr<const std::string> body = Cache().Find(args[1]);
  return body ? BodyCallFlags(*body, flags) : flags;
}

void CmdEval(CommandContext& ctx) { Evaluate(ctx, false, false); }
void CmdEvalSha(CommandContext& ctx) { Evaluate(ctx, true, false); }
void CmdEvalRo(CommandContext& ctx) { Evaluate(ctx, false, true); }
void CmdEvalShaRo(CommandContext& ctx) { Evaluate(ctx, true, true); }

void ScriptHelp(CommandContext& ctx) {
  static constexpr std::string_view kHelp[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DEBUG (YES|SYNC|NO)",
      "    Set the debug mode for subsequent scripts executed.",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
  for (std::string_view line : kHelp) ctx.rb->SendSimple(line);
}

void ScriptKill(CommandContext& ctx) {
  if (!KillRunningScript(*ctx.rb, false)) ctx.rb->SendError(kNotBusy);
}

void CmdScript(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t n = ctx.args.size();
  auto wrong_arity = [&](std::string_view name) {
    ctx.rb->SendError(
        fmt::format("ERR wrong number of arguments for 'script|{}' command", name));
  };
  if (EqualsIgnoreCase(sub, "help") && n == 2) {
    ScriptHelp(ctx);
  } else if (EqualsIgnoreCase(sub, "load")) {
    if (n != 3) return wrong_arity("load");
    Local().engine.Load(ctx.args[2], *ctx.rb);
  } else if (EqualsIgnoreCase(sub, "exists")) {
    if (n < 3) return wrong_arity("exists");
    const std::vector<bool> found = Cache().Exists(ctx.args.subspan(2));
    ctx.rb->StartArray(static_cast<uint32_t>(found.size()));
    for (bool f : found) ctx.rb->SendLong(f ? 1 : 0);
  } else if (EqualsIgnoreCase(sub, "flush")) {
    if (n > 3) return wrong_arity("flush");
    if (n == 3 && !EqualsIgnoreCase(ctx.args[2], "sync") &&
        !EqualsIgnoreCase(ctx.args[2], "async")) {
      ctx.rb->SendError("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
      return;
    }
    Cache().Flush();
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "kill")) {
    if (n != 2) return wrong_arity("kill");
    ScriptKill(ctx);
  } else {
    ctx.rb->SendError(fmt::format("ERR unknown subcommand '{}'. Try SCRIPT HELP.",
                                  sub.substr(0, 128)));
  }
}

}  // namespace

bool ScriptBusy() { return g_busy_scripts.load(std::memory_order_relaxed) > 0; }

std::string_view BusyError() {
  return g_busy_functions.load(std::memory_order_relaxed) > 0 ? kErrBusyFunction : kErrBusy;
}

void SetServeLoopWhileBusy(ServeLoopWhileBusy serve, void* arg) {
  t_loop_server.serve = serve;
  t_loop_server.arg = arg;
}

bool ServingLoopWhileBusy() { return t_loop_server.serving; }

bool InScriptCall() { return t_in_script_call; }

bool AllowedWhileScriptBusy(std::string_view name, std::string_view sub) {
  if (name == "script" || name == "function")
    return EqualsIgnoreCase(sub, "kill") || (name == "function" && EqualsIgnoreCase(sub, "stats"));
  // WATCH takes a shard lock, which on the busy script's own thread it may hold.
  if (t_loop_server.serving && name == "watch") return false;
  static constexpr std::string_view kAllowed[] = {"shutdown", "auth", "hello", "quit", "reset",
                                                  "multi", "discard", "watch", "unwatch"};
  return std::find(std::begin(kAllowed), std::end(kAllowed), name) != std::end(kAllowed);
}

void RegisterScriptingFamily(CommandTable& t) {
  constexpr uint32_t kEval = kCmdNoScript | kCmdStale | kCmdSkipMonitor;
  const std::string syntax = "script numkeys [key [key ...]] [arg [arg ...]]";
  const std::string sha_syntax = "sha1 numkeys [key [key ...]] [arg [arg ...]]";
  const auto with_flags = ScriptCommandSpec;
  t.Register(with_flags(MakeSpec("eval", -3, kEval | kCmdMayReplicate, kNoKeys, CmdEval,
                                 "scripting", "2.6.0", "Executes a server-side Lua script.",
                                 syntax),
                        EvalCallFlags));
  t.Register(with_flags(MakeSpec("evalsha", -3, kEval | kCmdMayReplicate, kNoKeys, CmdEvalSha,
                                 "scripting", "2.6.0",
                                 "Executes a server-side Lua script by SHA1 digest.", sha_syntax),
                        EvalShaCallFlags));
  t.Register(with_flags(MakeSpec("eval_ro", -3, kEval | kCmdReadonly, kNoKeys, CmdEvalRo,
                                 "scripting", "7.0.0",
                                 "Executes a read-only server-side Lua script.", syntax),
                        EvalCallFlags));
  t.Register(with_flags(MakeSpec("evalsha_ro", -3, kEval | kCmdReadonly, kNoKeys, CmdEvalShaRo,
                                 "scripting", "7.0.0",
                                 "Executes a read-only server-side Lua script by SHA1 digest.",
                                 sha_syntax),
                        EvalShaCallFlags));
  t.Register(WithSubcommands(
      MakeSpec("script", -2, kCmdNoScript, kNoKeys, CmdScript, "scripting", "2.6.0",
               "A container for Lua scripts management commands.",
               "LOAD|EXISTS|FLUSH|KILL|HELP [arg ...]"),
      {{"load", 3, "", "Load the specified Lua script into the script cache.",
        kCmdNoScript | kCmdStale},
       {"exists", -3, "", "Check existence of scripts in the script cache."},
       {"flush", -2, "", "Remove all the scripts from the script cache."},
       {"kill", 2, "", "Kill the script currently in execution."}, HelpSubcommand("5.0.0")},
      {.sub_categories = acl::kScripting}));
}

size_t CachedScriptCount() { return Cache().size(); }

}  // namespace kv
