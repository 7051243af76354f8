#include "commands/dispatch.h"

#include <time.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <numeric>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands/acl_commands.h"
#include "commands/atomic_batch.h"
#include "commands/cluster.h"
#include "commands/errors.h"
#include "commands/monitor.h"
#include "commands/replication.h"
#include "commands/scripting.h"
#include "commands/tracking.h"
#include "commands/transactions.h"
#include "core/eviction.h"
#include "core/latency_monitor.h"
#include "core/utf8.h"
#include "persist/persistence.h"

namespace kv {

namespace {
constexpr size_t kMaxStrictKeyChars = 256;
constexpr std::string_view kInvalidKey =
    "ERR invalid key: keys must be valid UTF-8 of at most 256 characters (see --strict-keys)";

// Replay answers nobody; it only keeps the first error for the recovery log.

// A DEL record for a key the server removed on its own (eviction): logged and replicated.
void AppendDel(persist::Wal* wal, Replication* repl, std::string_view ns, std::string_view key,
               int64_t now) {
  thread_local std::string body;
  body.clear();
  persist::RecordBodyWriter w(&body, 1);
  w.AddCommand(ns, 2);
  w.AddArg("DEL");
  w.AddArg(key);
  if (wal) wal->Append(now, body);
  if (repl) repl->Feed(body);
}
}  // namespace

std::string_view Dispatcher::CheckKey(std::string_view key) const {
  if (!server_.config.strict_keys.load(std::memory_order_relaxed)) return {};
  // A UTF-8 character is at most 4 bytes: longer keys cannot pass, skip the scan.
  if (key.size() > kMaxStrictKeyChars * 4) return kInvalidKey;
  const ptrdiff_t chars = Utf8Length(key);
  if (chars < 0 || static_cast<size_t>(chars) > kMaxStrictKeyChars) return kInvalidKey;
  return {};
}

namespace {
bool AllowedWhileSubscribed(std::string_view name) {
  static constexpr std::string_view kAllowed[] = {"ping",         "subscribe",  "ssubscribe",
                                                  "unsubscribe",  "sunsubscribe", "psubscribe",
                                                  "punsubscribe", "quit",       "reset"};
  return std::find(std::begin(kAllowed), std::end(kAllowed), name) != std::end(kAllowed);
}
}  // namespace

void Dispatcher::Execute(ClientState& client, std::span<const std::string_view> args,
                         ReplyBuilder& rb, std::span<const TypedArg> typed) {
  ThreadStats& stats = server_.thread_stats.Local();
  // Every error reply counts, whether the dispatcher or a handler sent it. (A reply with
  // several errors counts them all under the last one's code.)
  struct ErrorCounter {
    ReplyBuilder& rb;
    ThreadStats& stats;
    const uint64_t before = rb.error_count();
    ~ErrorCounter() {
      if (rb.error_count() != before)
        stats.CountErrors(rb.last_error_code(), rb.error_count() - before);
    }
  } counter{rb, stats};
  const CommandSpec* spec = server_.commands.Find(args[0]);
  // CLIENT CACHING covers the next command (refused ones included) or the next transaction;
  // CLIENT subcommands in between keep it (Redis's resetClient).
  struct CachingChoiceEnds {
    ClientState& client;
    const CommandSpec* spec;
    ~CachingChoiceEnds() {
      if ((client.tracking.load(std::memory_order_relaxed) & tracking::kCaching) &&
          !client.tx.in_multi && !(spec && spec->name == "client"))
        client.tracking.fetch_and(~uint32_t{tracking::kCaching}, std::memory_order_relaxed);
    }
  } caching_choice{client, spec};
  // Inside MULTI every refusal below also dooms the transaction (Redis's flagTransaction).
  TxState& tx = client.tx;
  if (!spec || (spec->has(kCmdInternal) && !client.replaying && !client.master)) {
    rb.SendError(errors::UnknownCommand(args[0], args.subspan(1)));
    if (tx.in_multi) tx.errored = true;
    return;
  }
  // A container's subcommand is a command of its own, as in Redis 7: its arity, its statistics
  // slot. An unknown one is refused at once and counted nowhere but in errorstats.
  const SubcommandSpec* sub = nullptr;
  if (!spec->subcommands.empty() && args.size() >= 2) [[unlikely]] {
    sub = spec->FindSubcommand(args[1]);
    if (!sub) {
      rb.SendError(errors::UnknownSubcommand(spec->name, args[1]));
      if (tx.in_multi) tx.errored = true;
      return;
    }
  }
  if (client.user && client.user->stale()) {
    // The user changed: pick up its new rules. Deleted or disabled: the connection goes, as
    // Redis disconnects such clients (here on their next command).
    // A connection that has not authenticated yet only needs to AUTH: it stays.
    std::shared_ptr<const acl::User> now = server_.acl.Get(client.user->name());
    if (client.authenticated && (!now || !now->enabled())) {
      client.close_after_reply = true;
      return;
    }
    if (now) {
      std::lock_guard lock(server_.clients.mu());
      client.user = std::move(now);
    }
  }
  CommandCounters* counters = stats.For(sub ? sub->id : spec->id);
  // Refused before it ran: INFO commandstats rejected_calls.
  // EXEC refused this way discards the transaction, saying why (Redis's execCommandAbort).
  const bool exec = spec->has(kCmdNoQueue) && spec->handler == ExecHandler();
  auto reject = [&](std::string_view err) {
    if (exec) {
      if (err.starts_with("ERR ")) err.remove_prefix(4);
      rb.SendError(fmt::format("EXECABORT Transaction discarded because of: {}", err));
      DiscardTransaction(client);
      UnwatchAll(client);
    } else {
      rb.SendError(err);
      if (tx.in_multi) tx.errored = true;
    }
    if (counters) counters->rejected.Add(1);
  };
  if (!client.authenticated && !spec->has(kCmdNoAuth)) {
    reject(errors::kNoAuth);
    return;
  }
  if (!ArityFits(sub ? sub->arity : spec->arity, args.size())) {
    reject(errors::WrongArity(sub ? sub->full_name : spec->name));
    return;
  }

  // A subcommand's own flags, as Redis acts on (CONFIG HELP runs while loading, XGROUP CREATE is
  // a write), and what the call's arguments add (EVAL's shebang).
  uint32_t flags = spec->CallFlags(args);
  persist::Persistence* persistence = server_.persistence;
  if (persistence && persistence->loading() && !(flags & kCmdLoading)) {
    reject(errors::kLoading);
    return;
  }
  persist::Wal* wal = persistence ? persistence->wal() : nullptr;
  // EXEC counts as what its queue holds (Redis's mstate.cmd_flags): a write, one that may grow
  // memory.
  if (exec)
    for (const QueuedCommand& q : tx.queued) flags |= q.CallFlags() & (kCmdWrite | kCmdDenyOom);
  // A replica's data is its primary's: only the primary's stream writes it (Redis's check,
  // EXEC included through its queue's flags).
  if ((flags & kCmdWrite) && !client.master && server_.replication &&
      server_.replication->ReadOnly()) {
    reject(kReadOnlyReplica);
    return;
  }
  if (wal && (flags & kCmdWrite) && wal->failed()) {
    reject(fmt::format(fmt::runtime(errors::kMisconfWal), wal->error()));
    return;
  }

  // Reused across requests; a request answered from inside a busy script's hook (scripting.h
  // ServeLoopWhileBusy) runs while the script's own request still reads it, so gets its own.
  thread_local std::vector<size_t> reused_positions;
  std::vector<size_t> nested_positions;
  std::vector<size_t>& positions = ServingLoopWhileBusy() ? nested_positions : reused_positions;
  spec->KeyPositions(args, &positions);
  for (size_t pos : positions) {
    std::string_view err = CheckKey(args[pos]);
    if (!err.empty()) {
      reject(err);
      return;
    }
  }

  // The default path (a user with every command and key) costs this one branch.
  if (client.user && !client.user->unrestricted() && client.authenticated) {
    DiscardReplies denial;
    if (!AclAllowsOrReply(server_, client, *spec, args, positions, exec ? denial : rb)) {
      // -NOPERM: refused before it ran, as in Redis
      if (exec) {
        reject(denial.first_error);
      } else {
        if (counters) counters->rejected.Add(1);
        if (tx.in_multi) tx.errored = true;
      }
      return;
    }
  }
  // RESP2's subscribed mode: messages and replies share one stream, so only the commands
  // whose replies look like messages may run (RESP3 tells them apart by the push type).
  if (client.resp.load(std::memory_order_relaxed) == 2 && client.pubsub.Any() &&
      !AllowedWhileSubscribed(spec->name)) {
    reject(fmt::format(fmt::runtime(errors::kSubscribedMode), CallName(*spec, args)));
    return;
  }

  // A script past busy-reply-threshold holds its namespace's shards: other clients get -BUSY
  // at once rather than waiting behind it, except for what stops it (SCRIPT KILL, SHUTDOWN).
  // The primary's stream is never refused (a refused write would be lost on this replica): it
  // waits on the script's locks instead.
  if (ScriptBusy() && !AtomicBatch::Current() && !client.master &&
      !AllowedWhileScriptBusy(spec->name, args.size() > 1 ? args[1] : std::string_view())) {
    reject(BusyError());
    return;
  }

  // Inside an atomic batch (the native all-or-nothing MSET): the batch's clock, and no eviction,
  // which locks shards outside the batch's set; the batch freed memory before it locked.
  AtomicBatch* const batch = AtomicBatch::Current();
  uint64_t start = Ticks();
  const int64_t now = batch ? batch->now_ms() : NowMsAtTicks(start);

  // Cluster mode: a command for keys another node serves is redirected (Redis's processCommand
  // after the ACL check). A batch's commands were routed as a whole; the batch holds locks.
  if (server_.cluster && !batch) [[unlikely]] {
    if (std::string err = cluster::Route(server_, client, *spec, args, positions, exec, now);
        !err.empty()) {
      if (exec) {  // the redirect itself, not EXECABORT, as Redis
        DiscardTransaction(client);
        UnwatchAll(client);
        rb.SendError(err);
        if (counters) counters->rejected.Add(1);
      } else {
        reject(err);
      }
      return;
    }
  }
  const bool queue = tx.in_multi && !spec->has(kCmdNoQueue);
  // Queueing takes memory however small the command: Redis refuses any of them over maxmemory.
  // A replica's memory follows its primary's data: its stream is neither refused nor evicts
  // (Redis's replica-ignore-maxmemory yes).
  if (((flags & kCmdDenyOom) || queue) && !batch && !client.master &&
      server_.config.maxmemory.load(std::memory_order_relaxed) > 0) {
    if (!FreeMemory(now)) {
      reject(errors::kOom);
      return;
    }
    start = Ticks();  // the eviction is not the command's time, as in Redis
  }

  // As Redis's processCommand, before every command while a client tracks keys; what it
  // invalidates leaves before this command's reply, as in Redis.
  if (tracking::Clients() > 0) {
    {
      tracking::CommandScope scope(client);
      tracking::LimitKeys(static_cast<size_t>(server_.config.tracking_table_max_keys.load()));
    }
    tracking::DeliverPending();
  }
  tracking::CommandScope tracking_scope(client);

  if (queue) {
    if (flags & kCmdNoMulti) {
      reject("ERR Command not allowed inside a transaction");
      return;
    }
    Queue(client, *spec, args, typed, rb);
    return;
  }

  CommandContext ctx = Context(client, args, rb, *spec, now, typed);
  stats.commands_processed.Add(1);
  client.last_cmd.store(sub ? &sub->full_name : &spec->name, std::memory_order_relaxed);
  // Saved and restored: a request served from inside a busy script's hook nests in another's.
  const bool outer_no_touch = t_no_touch;
  t_no_touch = client.no_touch.load(std::memory_order_relaxed) && spec->name != "touch";
  RunCounted(*spec, ctx, positions, counters, start);
  t_no_touch = outer_no_touch;
}

void Dispatcher::Queue(ClientState& client, const CommandSpec& spec,
                       std::span<const std::string_view> args, std::span<const TypedArg> typed,
                       ReplyBuilder& rb) {
  TxState& tx = client.tx;
  QueuedCommand& q = tx.queued.emplace_back();
  q.spec = &spec;
  q.args.assign(args.begin(), args.end());
  for (const TypedArg& t : typed) q.typed.push_back({t.pos, t.value, std::string(t.value.bytes)});
  tx.queued_count.store(static_cast<int32_t>(tx.queued.size()), std::memory_order_relaxed);
  rb.SendSimple("QUEUED");
}

void Dispatcher::RunCounted(const CommandSpec& spec, CommandContext& ctx,
                            std::span<const size_t> positions, CommandCounters* counters,
                            uint64_t start_ticks) {
  // Monitors see a command after it ran, as Redis's call() shows it (admin commands never);
  // a script (skip_monitor: EVAL, FCALL...) before it runs, so before the commands it calls.
  const uint32_t flags = spec.DeclaredFlags(ctx.args);
  const bool shown = monitor::Active() && !(flags & kCmdAdmin);
  if (shown && (flags & kCmdSkipMonitor)) monitor::Feed(*ctx.client, ctx.args);
  struct FeedMonitors {
    bool after;
    const CommandContext& ctx;
    ~FeedMonitors() {
      if (after) monitor::Feed(*ctx.client, ctx.args);
    }
  } feed{shown && !(flags & kCmdSkipMonitor), ctx};
  if (!counters) {
    Run(spec, ctx, positions);
    return;
  }
  ReplyBuilder& rb = *ctx.rb;
  ThreadStats& stats = server_.thread_stats.Local();
  const uint64_t errors_before = rb.error_count();
  Run(spec, ctx, positions);
  const uint64_t ns = TicksBetweenNs(start_ticks, Ticks());
  counters->calls.Add(1);
  counters->ns.Add(ns);
  if (rb.error_count() != errors_before) counters->failed.Add(1);
  if (server_.config.latency_tracking.load(std::memory_order_relaxed))
    stats.RecordLatency(*counters, ns);
  GlobalLatencyMonitor().Report((flags & kCmdFast) ? "fast-command" : "command", ns,
                                ctx.now_ms / 1000);
  // -1 (off) reads as the largest unsigned value: one comparison for a fast command.
  const uint64_t us = ns / 1000;
  Config& cfg = server_.config;
  if (us >= static_cast<uint64_t>(cfg.slowlog_log_slower_than.load(std::memory_order_relaxed)) &&
      !(flags & kCmdSkipSlowlog))
    server_.slowlog.Push(*ctx.client, ctx.args, us, ctx.now_ms,
                         static_cast<size_t>(cfg.slowlog_max_len.load(std::memory_order_relaxed)));
}

bool Dispatcher::FreeMemory(int64_t now) {
  Config& cfg = server_.config;
  const int64_t maxmemory = cfg.maxmemory.load(std::memory_order_relaxed);
  if (maxmemory <= 0) return true;
  persist::Persistence* persistence = server_.persistence;
  persist::Wal* wal = persistence ? persistence->wal() : nullptr;
  Replication* repl = server_.replication;
  EvictionListener log_eviction;
  if (wal || (repl && repl->active()))
    log_eviction = [wal, repl, now](Keyspace& ns, std::string_view key) {
      AppendDel(wal, repl, ns.name(), key, now);
    };
  const uint64_t t0 = Ticks();
  const bool ok = FreeMemoryIfNeeded(server_.store, maxmemory, cfg.maxmemory_policy.load(),
                                     cfg.maxmemory_samples.load(), now, log_eviction);
  GlobalLatencyMonitor().Report("eviction-cycle", TicksBetweenNs(t0, Ticks()), now / 1000);
  return ok;
}

CommandContext Dispatcher::Context(ClientState& client, std::span<const std::string_view> args,
                                   ReplyBuilder& rb, const CommandSpec& spec, int64_t now_ms,
                                   std::span<const TypedArg> typed) {
  CommandContext ctx;
  ctx.args = args;
  ctx.rb = &rb;
  ctx.client = &client;
  ctx.server = &server_;
  ctx.spec = &spec;
  ctx.now_ms = now_ms;
  ctx.typed = typed;
  return ctx;
}

std::mutex& CrossNamespaceMutex() {
  static std::mutex mu;
  return mu;
}

void Dispatcher::Run(const CommandSpec& spec, CommandContext& ctx,
                     std::span<const size_t> positions) {
  const uint64_t changes_before = t_data_changes;
  const uint64_t unkeyed_before = t_unkeyed_writes;
  AtomicBatch* const batch = AtomicBatch::Current();
  const uint64_t errors_before = ctx.rb->error_count();
  const uint32_t flags = spec.DeclaredFlags(ctx.args);
  // Logged before the locks go: the log then orders conflicting writes as they were applied.
  // An error reply means nothing to replay (a replay that answers an error stops the start):
  // a handler that changed data and then failed breaks that contract, and is not logged.
  auto run = [&] {
    struct ReleaseAfterLog {
      CommandContext& ctx;
      ~ReleaseAfterLog() { ctx.held_until_logged.clear(); }
    } release{ctx};
    spec.handler(ctx);
    // Client-side caching: the keys a read-only command read, remembered while their shards
    // are still locked (a script's are remembered by the commands it runs).
    if ((flags & kCmdReadonly) &&
        (ctx.client->tracking.load(std::memory_order_relaxed) & tracking::kOn) &&
        spec.group != "scripting")
      tracking::RememberKeys(*ctx.client, ctx.args, positions);
    // A write (XGROUP CREATE, FUNCTION LOAD: their subcommand's flag) is logged as sent. EVAL
    // and FCALL, whose CallFlags make them writes, are not: their batch logs the writes they ran.
    if (t_data_changes == changes_before || !(flags & kCmdWrite)) return;
    // The shard told WATCH about every change it saw by key; one made in place (NoteWrite)
    // names no key, so every key the command may have written counts as modified.
    if (t_unkeyed_writes != unkeyed_before) {
      for (size_t pos : positions) {
        const int p = static_cast<int>(pos);
        if ((spec.read_keys_from > 0 && p >= spec.read_keys_from) ||
            (spec.write_keys_from > 0 && p < spec.write_keys_from))
          continue;
        ctx.ShardFor(ctx.args[pos]).TouchWatched(ctx.args[pos]);
      }
    }
    if (ctx.rb->error_count() == errors_before) {
      if (batch)
        batch->Add(ctx);
      else
        Log(ctx);
    } else
      spdlog::warn("{} changed data and answered an error: not logged", spec.name);
  };
  Keyspace& ks = *ctx.client->ns;
  // A batch that runs a cross-namespace command took this mutex (and every shard) itself.
  std::unique_lock<std::mutex> cross_namespace;
  if (spec.has(kCmdCrossNamespace) && !batch)
    cross_namespace = std::unique_lock(CrossNamespaceMutex());
  // The keys are hashed here, once: the handler's lookups reuse these hashes.
  KeyHashScope hashes;
  if (spec.locks_all_shards && spec.locks_all_shards(ctx.args)) {
    for (size_t pos : positions) hashes.Add(ctx.args[pos]);
    std::vector<uint32_t> all(ks.shard_count());
    std::iota(all.begin(), all.end(), 0u);
    ShardLocks locks(&ks, std::move(all));
    run();
  } else if (positions.empty()) {
    run();
  } else if (positions.size() == 1) {
    const std::string_view key = ctx.args[positions[0]];
    std::lock_guard lock(ks.shard(ks.ShardOf(key, hashes.Add(key))).mu());
    run();
  } else {
    std::vector<uint32_t> shards;
    shards.reserve(positions.size());
    for (size_t pos : positions)
      shards.push_back(ks.ShardOf(ctx.args[pos], hashes.Add(ctx.args[pos])));
    ShardLocks locks(&ks, std::move(shards));
    run();
  }
}

void Dispatcher::Log(const CommandContext& ctx) {
  persist::Persistence* persistence = server_.persistence;
  if (!persistence || ctx.client->replaying) return;
  persistence->NoteChange();
  persist::Wal* wal = persistence->wal();
  Replication* repl = server_.replication;
  if (!wal && !(repl && repl->active())) return;
  thread_local std::string body;
  body.clear();
  persist::RecordBodyWriter w(&body, 1);
  const uint32_t commands = WriteLoggedCommand(w, ctx);
  if (commands == 0) return;
  if (commands != 1) persist::SetRecordBodyCount(&body, commands);
  if (wal) {
    const uint64_t lsn = wal->Append(ctx.now_ms, body);
    if (wal->policy() == persist::FsyncPolicy::kAlways) ctx.client->durable_wait_lsn = lsn;
  }
  if (repl)
    if (const uint64_t offset = repl->Feed(body)) ctx.client->repl_write_offset = offset;
}

uint32_t WriteLoggedCommand(persist::RecordBodyWriter& w, const CommandContext& ctx) {
  if (ctx.log_effects) {
    for (const std::vector<std::string>& cmd : ctx.effects) {
      w.AddCommand(ctx.client->ns_name, static_cast<uint32_t>(cmd.size()));
      for (const std::string& arg : cmd) w.AddArg(arg);
    }
    return static_cast<uint32_t>(ctx.effects.size());
  }
  if (!ctx.log_as.empty()) {
    w.AddCommand(ctx.client->ns_name, static_cast<uint32_t>(ctx.log_as.size()));
    for (size_t i = 0; i < ctx.log_as.size(); ++i) {
      const LoggedTypedArg* typed = nullptr;
      for (const LoggedTypedArg& t : ctx.log_as_typed)
        if (t.pos == i) typed = &t;
      if (typed) {
        w.AddArg(typed->View());
      } else {
        w.AddArg(ctx.log_as[i]);
      }
    }
  } else {
    w.AddCommand(ctx.client->ns_name, static_cast<uint32_t>(ctx.args.size()));
    for (size_t i = 0; i < ctx.args.size(); ++i) {
      if (const ScalarView* typed = ctx.Typed(i)) {
        w.AddArg(*typed);
      } else {
        w.AddArg(ctx.args[i]);
      }
    }
  }
  return 1;
}

std::string Dispatcher::Replay(const persist::WalRecord& record) {
  thread_local ClientState client;
  thread_local const Store* replay_store = nullptr;
  client.replaying = true;
  thread_local std::vector<std::string_view> args;
  thread_local std::vector<TypedArg> typed;
  thread_local std::vector<std::string> texts;
  for (const persist::LoggedCommand& cmd : record.commands) {
    if (texts.size() < cmd.args.size()) texts.resize(cmd.args.size());
    args.clear();
    typed.clear();
    for (size_t i = 0; i < cmd.args.size(); ++i) {
      const persist::LoggedArg& a = cmd.args[i];
      if (a.type == ScalarType::kBytes) {
        args.push_back(a.raw);
        continue;
      }
      // As the native session passes them: the canonical text stands in args (empty for
      // nested values), the typed value beside it.
      const ScalarView v = ReadRaw(a.type, a.raw.data(), static_cast<uint32_t>(a.raw.size()));
      texts[i].clear();
      if (!IsNested(a.type)) {
        char buf[kScalarBufSize];
        texts[i].assign(CanonicalString(v, buf));
      }
      args.push_back(texts[i]);
      typed.push_back({i, v});
    }
    const CommandSpec* spec = server_.commands.Find(args[0]);
    if (!spec)
      return fmt::format("record {} runs the unknown command '{}' (a plugin that is not loaded?)",
                         record.lsn, args[0]);
    if (!Store::ValidName(cmd.ns))
      return fmt::format("record {} names the invalid namespace '{}'", record.lsn, cmd.ns);
    // The client is the thread's, the store this dispatcher's: a namespace of another store
    // (another dispatcher replayed on this thread before) is looked up again.
    if (!client.ns || client.ns_name != cmd.ns || replay_store != &server_.store) {
      client.ns_name.assign(cmd.ns);
      client.ns = server_.store.Get(cmd.ns);
      replay_store = &server_.store;
    }
    DiscardReplies rb;
    CommandContext ctx = Context(client, args, rb, *spec, record.time_ms, typed);
    thread_local std::vector<size_t> positions;
    spec->KeyPositions(args, &positions);
    Run(*spec, ctx, positions);
    // A logged write changed data and answered no error when it ran; replayed on the same state
    // it does the same. An error here means the log and the data disagree: skipping the record
    // would lose an acknowledged write without a word, so the start stops.
    if (rb.error_count() != 0)
      return fmt::format("record {} ({}) answered an error on replay: {}", record.lsn,
                         spec->name, rb.first_error);
  }
  return "";
}

}  // namespace kv
