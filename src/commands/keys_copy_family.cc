// COPY, MOVE and SWAPDB: a key's value, of any type, copied or moved within a namespace or to another
// one, TTL included, with Redis 7.0's replies and errors (db.c copyCommand, moveCommand).
//
// kv-server's namespaces are named (SELECT takes any valid name, "0" the default), so the DB
// argument is a namespace name: "1" works as in Redis, and so does "sessions".
//
// Locking: the dispatcher locks the declared keys' shards in the client's namespace. A copy or
// move into another namespace also needs the destination's shard there, taken here while the
// source's is held. Two such commands going opposite ways could each hold what the other
// waits for, so every command flagged kCmdCrossNamespace runs under one process-wide mutex,
// taken by the dispatcher before any shard lock: at most one command holds shards of two
// namespaces at a time, and the others (one namespace, ascending shard order) cannot close a
// cycle with it. The destination's lock is held until the dispatcher has logged the write.
#include <functional>
#include <mutex>
#include <utility>
#include <optional>
#include <string_view>

#include "commands/args.h"
#include "commands/blocking.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/copy_value.h"
#include "core/keyspace.h"
#include "core/object.h"

namespace kv {
namespace {

namespace ev = keyspace_events;

constexpr std::string_view kSameObject = "ERR source and destination objects are the same";

// The namespace a DB argument names, or nullopt after answering the error.
std::optional<Keyspace*> TargetNamespace(CommandContext& ctx, std::string_view name) {
  if (!Store::ValidName(name)) {
    ctx.rb->SendError(errors::kInvalidNamespace);
    return std::nullopt;
  }
  return ctx.server->store.Get(name);
}

// The destination shard, locked until the write is logged when it lies outside the client's
// namespace (the dispatcher holds the client's own).
Shard& LockDestination(CommandContext& ctx, Keyspace* target, std::string_view key) {
  if (target == ctx.client->ns) return ctx.ShardFor(key);
  Shard& shard = target->ShardFor(key);
  ctx.held_until_logged.emplace_back(shard.mu());
  return shard;
}

// COPY source destination [DB destination-db] [REPLACE]
void CmdCopy(CommandContext& ctx) {
  const std::string_view src = ctx.args[1], dst = ctx.args[2];
  Keyspace* target = ctx.client->ns;
  bool replace = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[i], "db") && i + 1 < ctx.args.size()) {
      const auto ns = TargetNamespace(ctx, ctx.args[++i]);
      if (!ns) return;
      target = *ns;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  // Redis Cluster has database 0 only.
  if (ctx.server->cluster && target != ctx.client->ns) {
    ctx.rb->SendError("ERR Copying to another database is not allowed in cluster mode");
    return;
  }
  if (target == ctx.client->ns && src == dst) {
    ctx.rb->SendError(kSameObject);
    return;
  }
  Shard& from = ctx.ShardFor(src);
  const Entry* e = from.Find(src, ctx.now_ms);
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  Shard& to = LockDestination(ctx, target, dst);
  // Peek, not Find: the destination is not read, and Find on the source's shard could not
  // move `e` either way (lookups never reallocate entries).
  if (to.Peek(dst, ctx.now_ms)) {
    if (!replace) {
      ctx.rb->SendLong(0);
      return;
    }
    // Deleted, then added (Redis's copyCommand), so COPY ... REPLACE announces `new` too;
    // erasing the destination never moves the source's entry.
    to.Erase(dst, ctx.now_ms);
  }
  CopyValue(*e, to, dst, e->expire_at());
  ev::Emit(ev::kGeneric, "copy_to", dst, target->name());
  ctx.rb->SendLong(1);
}

// MOVE key db
void CmdMove(CommandContext& ctx) {
  if (ctx.server->cluster) {
    ctx.rb->SendError("ERR MOVE is not allowed in cluster mode");
    return;
  }
  const std::string_view key = ctx.args[1];
  const auto target = TargetNamespace(ctx, ctx.args[2]);
  if (!target) return;
  if (*target == ctx.client->ns) {
    ctx.rb->SendError(kSameObject);
    return;
  }
  Shard& from = ctx.ShardFor(key);
  Entry* e = from.Find(key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  Shard& to = LockDestination(ctx, *target, key);
  if (to.Peek(key, ctx.now_ms)) {
    ctx.rb->SendLong(0);
    return;
  }
  MoveValue(e, from, key, to, key, ctx.now_ms);
  ctx.Notify(ev::kGeneric, "move_from", key);
  ev::Emit(ev::kGeneric, "move_to", key, (*target)->name());
  ctx.rb->SendLong(1);
}

// SWAPDB index1 index2: every shard of both namespaces is locked (in one order: the namespace
// at the lower address first, shards ascending) before any is swapped, so no client sees half
// a swap; clients selected into either namespace see the other's data from then on.
void CmdSwapDb(CommandContext& ctx) {
  if (ctx.server->cluster) {
    ctx.rb->SendError("ERR SWAPDB is not allowed in cluster mode");
    return;
  }
  if (!Store::ValidName(ctx.args[1]) || !Store::ValidName(ctx.args[2])) {
    ctx.rb->SendError(errors::kInvalidNamespace);
    return;
  }
  Keyspace* a = ctx.server->store.Get(ctx.args[1]);
  Keyspace* b = ctx.server->store.Get(ctx.args[2]);
  if (a != b) {
    if (std::less<Keyspace*>()(b, a)) std::swap(a, b);
    for (Keyspace* ks : {a, b})
      for (uint32_t i = 0; i < ks->shard_count(); ++i)
        ctx.held_until_logged.emplace_back(ks->shard(i).mu());
    for (uint32_t i = 0; i < a->shard_count(); ++i) a->shard(i).SwapContents(b->shard(i));
    // A key waited on in either database may hold a list or sorted set now.
    blocking::WakeAll();
  }
  ctx.rb->SendOk();
}

}  // namespace

void RegisterKeysCopyFamily(CommandTable& t) {
  CommandSpec copy = MakeSpec("copy", -3, kCmdWrite | kCmdDenyOom | kCmdCrossNamespace, kTwoKeys,
                              CmdCopy, "generic", "6.2.0", "Copy a key",
                              "source destination [DB destination-db] [REPLACE]");
  copy.write_keys_from = 2;  // the source is only read (Redis's RO key spec)
  t.Register(std::move(copy));
  t.Register(MakeSpec("move", 3, kCmdWrite | kCmdFast | kCmdCrossNamespace, kOneKey, CmdMove,
                      "generic", "1.0.0", "Move a key to another database", "key db"));
  CommandSpec swapdb =
      MakeSpec("swapdb", 3, kCmdWrite | kCmdFast | kCmdCrossNamespace | kCmdAllShards, kNoKeys,
               CmdSwapDb, "server", "4.0.0", "Swaps two Redis databases", "index1 index2");
  swapdb.acl_categories = acl::kKeyspace | acl::kDangerous;  // as Redis's, beyond the flags'
  t.Register(std::move(swapdb));
}

}  // namespace kv
