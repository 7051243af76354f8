// Replication commands (docs/replication.md): REPLICAOF / SLAVEOF, ROLE, REPLCONF, PSYNC, SYNC
// and WAIT. The work is the server layer's (commands/replication.h); these parse and reply as
// Redis 7 does.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "commands/args.h"
#include "commands/atomic_batch.h"
#include "commands/blocking.h"
#include "commands/command_table.h"
#include "commands/families.h"
#include "commands/replication.h"
#include "commands/server_state.h"
#include "core/scalar.h"

namespace kv {

namespace {

Replication* ReplicationOrReply(CommandContext& ctx) {
  if (!ctx.server->replication) ctx.rb->SendError("ERR replication is not available");
  return ctx.server->replication;
}

void CmdReplicaOf(CommandContext& ctx) {
  Replication* repl = ReplicationOrReply(ctx);
  if (!repl) return;
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    repl->ReplicaOf("", 0);
    ctx.rb->SendOk();
    return;
  }
  int64_t port = 0;
  if (!ParseRangeOrReply(ctx, ctx.args[2], 0, 65535, "ERR Invalid master port", &port)) return;
  if (ctx.client->master) {
    ctx.rb->SendError("ERR Command is not valid when client is a replica.");
    return;
  }
  ctx.rb->SendSimple(repl->ReplicaOf(std::string(ctx.args[1]), static_cast<int>(port)));
}

void CmdRole(CommandContext& ctx) {
  if (Replication* repl = ReplicationOrReply(ctx)) repl->Role(*ctx.rb);
}

// REPLCONF <option> <value> ... (Redis's replconfCommand): a replica describes itself, acks
// offsets; the primary asks its replicas for an ack (GETACK).
void CmdReplconf(CommandContext& ctx) {
  Replication* repl = ReplicationOrReply(ctx);
  if (!repl) return;
  if (ctx.args.size() % 2 == 0) {
    ctx.rb->SendError("ERR syntax error");
    return;
  }
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    const std::string_view opt = ctx.args[i], value = ctx.args[i + 1];
    if (EqualsIgnoreCase(opt, "listening-port")) {
      int64_t port = 0;
      if (!ParseIntOrReply(ctx, value, &port)) return;
      ctx.client->replica_listening_port = static_cast<int>(port);
    } else if (EqualsIgnoreCase(opt, "ack")) {
      // No reply, ever: the replica does not read them (Redis's replconf ack).
      const std::optional<int64_t> offset = ParseInt64(value);
      if (!ctx.client->replica.load(std::memory_order_relaxed) || !offset) return;
      repl->Ack(*ctx.client, static_cast<uint64_t>(std::max<int64_t>(*offset, 0)));
      return;
    } else if (EqualsIgnoreCase(opt, "getack")) {
      if (ctx.client->master) repl->SendAckSoon();
      return;
    } else if (EqualsIgnoreCase(opt, "capa") || EqualsIgnoreCase(opt, "ip-address") ||
               EqualsIgnoreCase(opt, "rdb-only") || EqualsIgnoreCase(opt, "rdb-filter-only")) {
      // Understood; every capability the replica may announce is one this primary needs not use.
    } else {
      ctx.rb->SendError(fmt::format("ERR Unrecognized REPLCONF option: {}", opt));
      return;
    }
  }
  ctx.rb->SendOk();
}

void CmdPsync(CommandContext& ctx) {
  if (Replication* repl = ReplicationOrReply(ctx)) repl->Psync(ctx, ctx.args[1], ctx.args[2]);
}

void CmdSync(CommandContext& ctx) {
  if (Replication* repl = ReplicationOrReply(ctx)) repl->Psync(ctx, {}, {});
}

// WAIT numreplicas timeout: blocks the client (not its loop) until that many replicas acked the
// offset of its last write; run again at each acknowledgement that moves a replica forward.
void CmdWait(CommandContext& ctx) {
  Replication* repl = ReplicationOrReply(ctx);
  if (!repl) return;
  if (repl->IsReplica()) {
    ctx.rb->SendError(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 "
        "if a replica is configured to be writable (which is not the default) writes to "
        "replicas are just local and are not propagated.");
    return;
  }
  int64_t wanted = 0;
  if (!ParseIntOrReply(ctx, ctx.args[1], &wanted)) return;
  const std::optional<int64_t> parsed = ParseInt64(ctx.args[2]);
  if (!parsed) {
    ctx.rb->SendError("ERR timeout is not an integer or out of range");
    return;
  }
  const int64_t timeout = *parsed;
  if (timeout < 0) {
    ctx.rb->SendError("ERR timeout is negative");
    return;
  }
  const uint64_t offset = ctx.client->repl_write_offset;
  int acked = repl->AckedReplicas(offset);
  // Inside MULTI or a script it cannot wait: it answers what it sees (as Redis).
  if (acked >= wanted || ctx.client->block_timed_out || AtomicBatch::Current()) {
    ctx.rb->SendLong(acked);
    return;
  }
  ctx.client->block_on_acks = true;
  repl->WakeOnAck(*ctx.client);
  // An acknowledgement that came between the count above and the registration woke no one.
  if ((acked = repl->AckedReplicas(offset)) >= wanted) {
    ctx.rb->SendLong(acked);
    return;
  }
  if (ctx.client->block_deadline_ms == 0) repl->RequestAcks(offset);
  blocking::Block(*ctx.client, ctx.now_ms, timeout);
}

}  // namespace

void RegisterReplicationFamily(CommandTable& t) {
  constexpr uint32_t kAdmin = kCmdAdmin | kCmdNoScript | kCmdStale;
  for (const char* name : {"replicaof", "slaveof"})
    t.Register(MakeSpec(name, 3, kAdmin, kNoKeys, CmdReplicaOf, "server",
                        name[0] == 'r' ? "5.0.0" : "1.0.0",
                        "Configures a server as replica of another, or promotes it to a master.",
                        "host port"));
  t.Register(MakeSpec("role", 1, kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast, kNoKeys,
                      CmdRole, "server", "2.8.12", "Returns the replication role.", ""));
  t.Register(MakeSpec("replconf", -1, kAdmin | kCmdLoading, kNoKeys, CmdReplconf, "server",
                      "3.0.0", "An internal command for configuring the replication stream.",
                      ""));
  // PSYNC and SYNC turn the connection into a replica link: not from inside a transaction,
  // whose locks the snapshot's freeze would wait for (no_multi, as Redis).
  t.Register(MakeSpec("psync", -3, kCmdAdmin | kCmdNoScript | kCmdNoMulti, kNoKeys, CmdPsync,
                      "server", "2.8.0", "An internal command used in replication.",
                      "replicationid offset"));
  t.Register(MakeSpec("sync", 1, kCmdAdmin | kCmdNoScript | kCmdNoMulti, kNoKeys, CmdSync,
                      "server", "1.0.0", "An internal command used in replication.", ""));
  t.Register(MakeSpec("wait", 3, kCmdNoScript, kNoKeys, CmdWait, "generic", "3.0.0",
                      "Blocks until the asynchronous replication of all preceding write commands "
                      "sent by the connection is completed.",
                      "numreplicas timeout"));
}

}  // namespace kv
