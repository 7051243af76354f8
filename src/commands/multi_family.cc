// MULTI EXEC DISCARD WATCH UNWATCH with Redis 7.0's semantics (multi.c).
//
// MULTI: the dispatcher queues the commands that follow (dispatch.cc, Dispatcher::Queue), after
// the checks Redis makes at that point; a refusal makes EXEC answer EXECABORT.
//
// EXEC runs the queue as one AtomicBatch (atomic_batch.h): the union of the shards its commands
// and the client's watched keys lock, taken in the global order, held while every queued command
// runs, and one WAL record for all its writes. SELECT, FLUSHALL and the cross-namespace commands
// (MOVE, COPY ... DB, SWAPDB) make the batch lock every namespace; KEYS, SCAN, FLUSHDB and the
// other whole-namespace commands make it lock its namespace.
//
// WATCH registers the client's flag (TxState::watch) with each key's shard; the shard sets it
// when the key is written, deleted, expires, or is flushed or swapped away (shard.h), on any
// thread, under its lock. EXEC locks the watched keys' shards too, so the flag it reads there
// orders every write to them before or after the transaction. A watched key whose TTL passed
// by EXEC counts as modified, as in Redis 7.0 (its expiry runs under the batch's locks).
#include "commands/atomic_batch.h"
#include "commands/command_table.h"
#include "commands/dispatch.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "commands/transactions.h"

namespace kv {

void DiscardTransaction(ClientState& client) {
  TxState& tx = client.tx;
  tx.in_multi = false;
  tx.errored = false;
  tx.queued.clear();
  tx.queued.shrink_to_fit();
  tx.queued_count.store(-1, std::memory_order_relaxed);
}

void UnwatchAll(ClientState& client) {
  TxState& tx = client.tx;
  for (const WatchedKey& w : tx.watched) {
    Shard& shard = w.ns->ShardFor(w.key);
    std::lock_guard lock(shard.mu());
    shard.Unwatch(w.key, &tx.watch);
  }
  tx.watched.clear();
  tx.watched.shrink_to_fit();
  tx.watch.dirty.store(false, std::memory_order_relaxed);
}

namespace {

constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";

void CmdMulti(CommandContext& ctx) {
  TxState& tx = ctx.client->tx;
  if (tx.in_multi) {
    ctx.rb->SendError("ERR MULTI calls can not be nested");
    return;
  }
  tx.in_multi = true;
  tx.errored = false;
  tx.queued_count.store(0, std::memory_order_relaxed);
  ctx.rb->SendOk();
}

void CmdDiscard(CommandContext& ctx) {
  if (!ctx.client->tx.in_multi) {
    ctx.rb->SendError("ERR DISCARD without MULTI");
    return;
  }
  DiscardTransaction(*ctx.client);
  UnwatchAll(*ctx.client);
  ctx.rb->SendOk();
}

void CmdExec(CommandContext& ctx) {
  ClientState& client = *ctx.client;
  TxState& tx = client.tx;
  if (!tx.in_multi) {
    ctx.rb->SendError("ERR EXEC without MULTI");
    return;
  }
  if (tx.errored) {
    DiscardTransaction(client);
    UnwatchAll(client);
    ctx.rb->SendError(kExecAbort);
    return;
  }
  // The client stays in MULTI while the queue runs (CLIENT INFO inside EXEC says flags=x, as
  // in Redis); its commands go straight to the batch, never back to the queue.
  std::vector<QueuedCommand> queued = std::move(tx.queued);
  // The dispatcher refused EXEC already (EXECABORT) when the queue writes and the WAL failed,
  // or may grow memory and none could be freed: the whole EXEC, not a command in its middle.
  Dispatcher& dispatcher = *ctx.server->dispatcher;

  std::vector<std::vector<std::string_view>> argv(queued.size());
  LockPlan plan(ctx.server->store);
  for (const WatchedKey& w : tx.watched) plan.AddKey(w.ns, w.key);
  for (size_t i = 0; i < queued.size(); ++i) {
    argv[i].assign(queued[i].args.begin(), queued[i].args.end());
    plan.AddCommand(*queued[i].spec, argv[i], client.ns);
  }
  {
    AtomicBatch batch(dispatcher, client, plan, ctx.now_ms);
    // Expiring here (under the batch's locks) sets the flag of a watched key whose TTL passed.
    for (const WatchedKey& w : tx.watched) w.ns->ShardFor(w.key).Peek(w.key, ctx.now_ms);
    if (tx.watch.dirty.load(std::memory_order_relaxed)) {
      ctx.rb->SendNullArray();
    } else {
      ctx.rb->StartArray(static_cast<uint32_t>(queued.size()));
      std::vector<TypedArg> typed;
      for (size_t i = 0; i < queued.size(); ++i) {
        typed.clear();
        for (const LoggedTypedArg& t : queued[i].typed) typed.push_back({t.pos, t.View()});
        batch.Run(argv[i], typed, *ctx.rb);
      }
    }
  }
  DiscardTransaction(client);
  UnwatchAll(client);
}

void CmdWatch(CommandContext& ctx) {
  ClientState& client = *ctx.client;
  TxState& tx = client.tx;
  if (tx.in_multi) {
    ctx.rb->SendError("ERR WATCH inside MULTI is not allowed");
    return;
  }
  // The dispatcher holds the keys' shards. The shard knows whether this client already watches
  // a key (a repeated WATCH adds nothing), so a long key list costs linear time.
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    const std::string_view key = ctx.args[i];
    Shard& shard = ctx.ShardFor(key);
    // A key already past its TTL goes now: its expiry is not a change this client can miss.
    shard.Peek(key, ctx.now_ms);
    if (shard.Watch(key, &tx.watch)) tx.watched.push_back({client.ns, std::string(key)});
  }
  ctx.rb->SendOk();
}

void CmdUnwatch(CommandContext& ctx) {
  UnwatchAll(*ctx.client);
  ctx.rb->SendOk();
}

}  // namespace

CommandHandler ExecHandler() { return CmdExec; }

void RegisterMultiFamily(CommandTable& t) {
  constexpr uint32_t kTx = kCmdNoScript | kCmdLoading | kCmdStale;
  t.Register(MakeSpec("multi", 1, kTx | kCmdFast | kCmdNoQueue, kNoKeys, CmdMulti, "transactions",
                      "1.2.0", "Starts a transaction.", ""));
  t.Register(MakeSpec("exec", 1, kTx | kCmdNoQueue | kCmdSkipSlowlog, kNoKeys, CmdExec, "transactions", "1.2.0",
                      "Executes all commands in a transaction.", ""));
  t.Register(MakeSpec("discard", 1, kTx | kCmdFast | kCmdNoQueue, kNoKeys, CmdDiscard,
                      "transactions", "2.0.0", "Discards a transaction.", ""));
  t.Register(MakeSpec("watch", -2, kTx | kCmdFast | kCmdNoQueue, kAllKeys, CmdWatch,
                      "transactions", "2.2.0",
                      "Monitors changes to keys to determine the execution of a transaction.",
                      "key [key ...]"));
  t.Register(MakeSpec("unwatch", 1, kTx | kCmdFast, kNoKeys, CmdUnwatch, "transactions", "2.2.0",
                      "Forgets about watched keys of a transaction.", ""));
}

}  // namespace kv
