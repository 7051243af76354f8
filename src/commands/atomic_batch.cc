#include "commands/atomic_batch.h"

#include <algorithm>

#include "commands/acl_commands.h"
#include "commands/args.h"
#include "commands/dispatch.h"
#include "commands/errors.h"
#include "commands/replication.h"
#include "commands/server_state.h"
#include "core/clock.h"
#include "core/keyspace.h"
#include "persist/persistence.h"
#include "persist/wal_record.h"

namespace kv {

namespace {

// Commands without keys that touch no shard: a batch needs no lock for them. Any other command
// without keys may lock shards of its own (INFO, MEMORY STATS, DEBUG, SAVE...), so a batch
// holding it plans everything. A container's HELP only answers text.
bool TouchesNoShard(const CommandSpec& spec, std::span<const std::string_view> args) {
  if (const SubcommandSpec* sub = spec.SubcommandOf(args); sub && sub->name == "help")
    return true;
  if (spec.group == "connection") return spec.name != "select";
  // Pub/Sub keeps its own registry (core/pubsub.h): PUBLISH from a script or EXEC locks no shard.
  if (spec.group == "pubsub") return true;
  static constexpr std::string_view kPure[] = {"time", "lastsave", "command", "multi", "exec",
                                               "discard", "watch", "unwatch"};
  return std::find(std::begin(kPure), std::end(kPure), spec.name) != std::end(kPure);
}
}  // namespace

bool LockPlan::Within(Keyspace* ns) {
  if (everything_) return false;
  if (ns_ == nullptr) ns_ = ns;
  if (ns_ == ns) return true;
  everything_ = true;
  return false;
}

void LockPlan::AddKey(Keyspace* ns, std::string_view key) {
  if (Within(ns) && !whole_ns_) shards_.push_back(ns->ShardIndex(key));
}

void LockPlan::AddNamespace(Keyspace* ns) {
  if (Within(ns)) whole_ns_ = true;
}

namespace {
bool ReachesOtherNamespaces(const CommandSpec& spec) {
  return spec.name == "select" || spec.name == "flushall" || spec.has(kCmdCrossNamespace);
}
bool LocksWholeNamespace(const CommandSpec& spec, std::span<const std::string_view> args) {
  return spec.has(kCmdAllShards) || (spec.locks_all_shards && spec.locks_all_shards(args));
}
}  // namespace

bool LockPlan::StaysInNamespace(const CommandSpec& spec, std::span<const std::string_view> args) {
  if (ReachesOtherNamespaces(spec)) return false;
  if (LocksWholeNamespace(spec, args)) return true;
  thread_local std::vector<size_t> positions;
  spec.KeyPositions(args, &positions);
  return !positions.empty() || TouchesNoShard(spec, args);
}

bool LockPlan::StaysInNamespace(const CommandSpec& spec, std::span<const std::string_view> args,
                                std::span<const size_t> positions) {
  if (ReachesOtherNamespaces(spec)) return false;
  if (LocksWholeNamespace(spec, args)) return true;
  return !positions.empty() || TouchesNoShard(spec, args);
}

void LockPlan::AddCommand(const CommandSpec& spec, std::span<const std::string_view> args,
                          Keyspace* ns) {
  // Namespaces the command names: created before the batch locks, so that it locks them too.
  auto named = [&](std::string_view name) {
    if (Store::ValidName(name)) store_.Get(name);
  };
  if (ReachesOtherNamespaces(spec)) {
    if (spec.name == "select" && args.size() > 1) named(args[1]);
    if (spec.name == "move" && args.size() > 2) named(args[2]);
    if (spec.name == "swapdb" && args.size() > 2) {
      named(args[1]);
      named(args[2]);
    }
    if (spec.name == "copy")
      for (size_t i = 3; i + 1 < args.size(); ++i)
        if (EqualsIgnoreCase(args[i], "db")) named(args[i + 1]);
    AddEverything();
    return;
  }
  if (LocksWholeNamespace(spec, args)) {
    AddNamespace(ns);
    return;
  }
  std::vector<size_t> positions;
  spec.KeyPositions(args, &positions);
  if (positions.empty()) {
    if (!TouchesNoShard(spec, args)) AddEverything();
    return;
  }
  for (size_t pos : positions) AddKey(ns, args[pos]);
}

AtomicBatch::AtomicBatch(Dispatcher& dispatcher, ClientState& client, const LockPlan& plan,
                         int64_t now_ms)
    : dispatcher_(dispatcher), client_(client), now_ms_(now_ms) {
  auto lock_all = [&](Keyspace* ks) {
    for (uint32_t i = 0; i < ks->shard_count(); ++i) locked_.push_back(&ks->shard(i));
  };
  if (plan.everything_) {
    // The order StoreFreeze takes: namespaces in creation order, shards ascending.
    cross_namespace_ = std::unique_lock(CrossNamespaceMutex());
    for (Keyspace* ks : plan.store_.All()) lock_all(ks);
  } else if (plan.whole_ns_) {
    // One gate instead of every shard's lock (core/shard_mutex.h).
    gated_ = plan.ns_;
    gated_->gate().Close(this);
  } else if (plan.ns_) {
    std::vector<uint32_t> shards = plan.shards_;
    std::sort(shards.begin(), shards.end());
    shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
    for (uint32_t i : shards) locked_.push_back(&plan.ns_->shard(i));
  }
  for (Shard* s : locked_) s->mu().LockForBatch(this);
  t_atomic_batch = this;
  t_current_batch = this;
}

AtomicBatch::~AtomicBatch() {
  Commit();
  t_atomic_batch = nullptr;
  t_current_batch = nullptr;
  for (auto it = locked_.rbegin(); it != locked_.rend(); ++it) (*it)->mu().UnlockForBatch();
  if (gated_) gated_->gate().Open();
}

void AtomicBatch::Run(std::span<const std::string_view> args, std::span<const TypedArg> typed,
                      ReplyBuilder& rb) {
  ServerState& server = dispatcher_.server();
  const CommandSpec* spec = server.commands.Find(args[0]);
  if (!spec) {  // a plugin unloaded since the command was queued
    rb.SendError(errors::UnknownCommand(args[0], args.subspan(1)));
    return;
  }
  Run(*spec, args, typed, rb);
}

void AtomicBatch::Run(const CommandSpec& spec, std::span<const std::string_view> args,
                      std::span<const TypedArg> typed, ReplyBuilder& rb) {
  std::vector<size_t> positions;
  spec.KeyPositions(args, &positions);
  Run(spec, args, typed, rb, positions);
}

void AtomicBatch::Run(const CommandSpec& spec, std::span<const std::string_view> args,
                      std::span<const TypedArg> typed, ReplyBuilder& rb,
                      std::span<const size_t> positions) {
  ServerState& server = dispatcher_.server();
  ThreadStats& stats = server.thread_stats.Local();
  // A subcommand counts in its own slot; an unknown one (a script's call) nowhere, as in Redis.
  const SubcommandSpec* sub = spec.SubcommandOf(args);
  CommandCounters* counters = sub ? stats.For(sub->id)
                              : spec.subcommands.empty() || args.size() < 2 ? stats.For(spec.id)
                                                                            : nullptr;
  // A script's write on a read-only replica (EXEC's were refused before it ran).
  if ((spec.CallFlags(args) & kCmdWrite) && !client_.master && server.replication &&
      server.replication->ReadOnly()) {
    rb.SendError(kReadOnlyReplica);
    if (counters) counters->rejected.Add(1);
    return;
  }
  if (client_.user && !client_.user->unrestricted() && client_.authenticated &&
      !AclAllowsOrReply(server, client_, spec, args, positions, rb)) {
    if (counters) counters->rejected.Add(1);
    return;
  }
  CommandContext ctx = dispatcher_.Context(client_, args, rb, spec, now_ms_, typed);
  stats.commands_processed.Add(1);
  client_.last_cmd.store(sub ? &sub->full_name : &spec.name, std::memory_order_relaxed);
  const bool timed_out = client_.block_timed_out;
  client_.block_timed_out = true;
  dispatcher_.RunCounted(spec, ctx, positions, counters, Ticks());
  client_.block_timed_out = timed_out;
  client_.block_requested = false;
}

void AtomicBatch::Add(const CommandContext& ctx) {
  persist::Persistence* persistence = dispatcher_.server().persistence;
  if (!persistence || client_.replaying) return;
  persistence->NoteChange();
  Replication* repl = dispatcher_.server().replication;
  if (!persistence->wal() && !(repl && repl->active())) return;
  if (logged_ == 0) body_.clear();
  // The count comes first in the body; Commit writes the real one.
  persist::RecordBodyWriter w(&body_, 0);
  if (logged_ > 0) body_.resize(body_.size() - sizeof(uint32_t));
  logged_ += WriteLoggedCommand(w, ctx);
}

void AtomicBatch::Commit() {
  if (logged_ == 0) return;
  persist::Wal* wal = dispatcher_.server().persistence->wal();
  persist::SetRecordBodyCount(&body_, logged_);
  if (wal) {
    const uint64_t lsn = wal->Append(now_ms_, body_);
    if (wal->policy() == persist::FsyncPolicy::kAlways) client_.durable_wait_lsn = lsn;
  }
  if (Replication* repl = dispatcher_.server().replication)
    if (const uint64_t offset = repl->Feed(body_)) client_.repl_write_offset = offset;
  logged_ = 0;
}

}  // namespace kv
