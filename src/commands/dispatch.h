// Dispatcher: runs one parsed request. Looks the command up, checks authentication and arity,
// validates the keys (--strict-keys), frees memory under maxmemory for commands that may grow
// it, locks the shards of the command's keys in ascending order, and calls the handler.
//
// A write that changed data is appended to the WAL while its shard locks are still held, so the
// log orders conflicting writes as they were applied.
//
// Inside MULTI, Execute makes the checks Redis makes when it queues a command (unknown command,
// arity, authentication, ACL, memory...), queues it and answers +QUEUED; a refusal marks the
// transaction so that EXEC answers EXECABORT. EXEC runs the queue as an AtomicBatch
// (commands/atomic_batch.h), which runs each command through this dispatcher's usual path with
// the batch's locks held and logs them all as one record.
//
// Protocol sessions call Execute for every request; they never touch shards themselves.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string_view>

#include "commands/command.h"
#include "commands/server_state.h"
#include "core/clock.h"
#include "persist/wal_record.h"

namespace kv {

class AtomicBatch;

class Dispatcher {
 public:
  explicit Dispatcher(ServerState& server) : server_(server) { server.dispatcher = this; }

  // Runs args (args[0] = command name) for `client`, replying through `rb`.
  // typed: a native client's typed values for some arguments (CommandContext::Typed); empty
  // for RESP.
  void Execute(ClientState& client, std::span<const std::string_view> args, ReplyBuilder& rb,
               std::span<const TypedArg> typed = {});

  // Recovery: applies one logged record through the command table, with the record's clock,
  // without checks meant for clients and without logging it again. Returns "" or an error.
  std::string Replay(const persist::WalRecord& record);

  // Evicts keys until used memory is under maxmemory (when set); false when it cannot.
  bool FreeMemory(int64_t now_ms);

  // Checks one key against the key rules; returns "" or the error text.
  std::string_view CheckKey(std::string_view key) const;

  ServerState& server() { return server_; }

 private:
  CommandContext Context(ClientState& client, std::span<const std::string_view> args,
                         ReplyBuilder& rb, const CommandSpec& spec, int64_t now_ms,
                         std::span<const TypedArg> typed);
  // Runs the handler under the shard locks of its keys and logs it when it changed data.
  void Run(const CommandSpec& spec, CommandContext& ctx, std::span<const size_t> key_positions);
  // Run, with the command's statistics (calls, time since start_ticks (core/clock.h Ticks),
  // failures, latency).
  void RunCounted(const CommandSpec& spec, CommandContext& ctx, std::span<const size_t> positions,
                  CommandCounters* counters, uint64_t start_ticks);
  void Log(const CommandContext& ctx);
  // Queues a command after MULTI (copying its arguments) and answers +QUEUED.
  void Queue(ClientState& client, const CommandSpec& spec, std::span<const std::string_view> args,
             std::span<const TypedArg> typed, ReplyBuilder& rb);

  friend class AtomicBatch;
  ServerState& server_;
};

// Appends ctx's command, as it is logged (its log_as replacement if any, typed arguments kept, or
// its effects), to a WAL record body; returns how many commands it wrote (0 for no effects).
uint32_t WriteLoggedCommand(persist::RecordBodyWriter& w, const CommandContext& ctx);

// Taken before any shard lock by every command that locks shards of two namespaces (COPY ... DB,
// MOVE, SWAPDB) and by atomic batches that lock every namespace: at most one such holder runs at
// a time, so it cannot close a lock cycle with commands that lock one namespace, ascending.
std::mutex& CrossNamespaceMutex();

}  // namespace kv
