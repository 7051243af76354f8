// Dispatcher: runs one parsed request. Looks the command up, checks authentication and arity,
// validates the keys (--strict-keys), frees memory under maxmemory for commands that may grow
// it, locks the shards of the command's keys in ascending order, and calls the handler.
//
// A write that changed data is appended to the WAL while its shard locks are still held, so the
// log orders conflicting writes as they were applied.
//
// Protocol sessions call Execute for every request; they never touch shards themselves.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "commands/command.h"
#include "commands/server_state.h"
#include "core/clock.h"
#include "persist/wal_record.h"

namespace kv {

class Dispatcher {
 public:
  explicit Dispatcher(ServerState& server) : server_(server) {}

  // Runs args (args[0] = command name) for `client`, replying through `rb`.
  // typed: a native client's typed values for some arguments (CommandContext::Typed); empty
  // for RESP.
  void Execute(ClientState& client, std::span<const std::string_view> args, ReplyBuilder& rb,
               std::span<const TypedArg> typed = {});

  // Recovery: applies one logged record through the command table, with the record's clock,
  // without checks meant for clients and without logging it again. Returns "" or an error.
  std::string Replay(const persist::WalRecord& record);

  // Checks one key against the key rules; returns "" or the error text.
  std::string_view CheckKey(std::string_view key) const;

  ServerState& server() { return server_; }

 private:
  CommandContext Context(ClientState& client, std::span<const std::string_view> args,
                         ReplyBuilder& rb, const CommandSpec& spec, int64_t now_ms,
                         std::span<const TypedArg> typed);
  // Runs the handler under the shard locks of its keys and logs it when it changed data.
  void Run(const CommandSpec& spec, CommandContext& ctx, std::span<const size_t> key_positions);
  void Log(const CommandContext& ctx);

  ServerState& server_;
};

}  // namespace kv
