// COPY and MOVE: a key's value, of any type, copied or moved within a namespace or to another
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
// cycle with it.
#include <mutex>
#include <optional>
#include <string_view>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/copy_value.h"
#include "core/keyspace.h"
#include "core/object.h"

namespace kv {
namespace {

constexpr std::string_view kSameObject = "ERR source and destination objects are the same";

// The namespace a DB argument names, or nullopt after answering the error.
std::optional<Keyspace*> TargetNamespace(CommandContext& ctx, std::string_view name) {
  if (!Store::ValidName(name)) {
    ctx.rb->SendError(errors::kInvalidNamespace);
    return std::nullopt;
  }
  return ctx.server->store.Get(name);
}

// The destination shard, locked by `lock` when it lies outside the client's namespace (the
// dispatcher holds the client's own).
Shard& LockDestination(CommandContext& ctx, Keyspace* target, std::string_view key,
                       std::unique_lock<std::mutex>* lock) {
  if (target == ctx.client->ns) return ctx.ShardFor(key);
  Shard& shard = target->ShardFor(key);
  *lock = std::unique_lock(shard.mu());
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
  std::unique_lock<std::mutex> dst_lock;
  Shard& to = LockDestination(ctx, target, dst, &dst_lock);
  // Peek, not Find: the destination is not read, and Find on the source's shard could not
  // move `e` either way (lookups never reallocate entries).
  if (!replace && to.Peek(dst, ctx.now_ms)) {
    ctx.rb->SendLong(0);
    return;
  }
  CopyValue(*e, to, dst, e->expire_at());
  ctx.rb->SendLong(1);
}

// MOVE key db
void CmdMove(CommandContext& ctx) {
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
  std::unique_lock<std::mutex> dst_lock;
  Shard& to = LockDestination(ctx, *target, key, &dst_lock);
  if (to.Peek(key, ctx.now_ms)) {
    ctx.rb->SendLong(0);
    return;
  }
  MoveValue(e, from, key, to, key, ctx.now_ms);
  ctx.rb->SendLong(1);
}

}  // namespace

void RegisterKeysCopyFamily(CommandTable& t) {
  t.Register(MakeSpec("copy", -3, kCmdWrite | kCmdDenyOom | kCmdCrossNamespace, kTwoKeys, CmdCopy,
                      "generic", "6.2.0", "Copy a key",
                      "source destination [DB destination-db] [REPLACE]"));
  t.Register(MakeSpec("move", 3, kCmdWrite | kCmdFast | kCmdCrossNamespace, kOneKey, CmdMove,
                      "generic", "1.0.0", "Move a key to another database", "key db"));
}

}  // namespace kv
