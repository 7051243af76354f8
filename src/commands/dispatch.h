// Dispatcher: runs one parsed request. Looks the command up, checks authentication and arity,
// validates the keys (--strict-keys), frees memory under maxmemory for commands that may grow
// it, locks the shards of the command's keys in ascending order, and calls the handler.
//
// Protocol sessions call Execute for every request; they never touch shards themselves.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "commands/command.h"
#include "commands/server_state.h"

namespace kv {

class Dispatcher {
 public:
  explicit Dispatcher(ServerState& server) : server_(server) {}

  // Runs args (args[0] = command name) for `client`, replying through `rb`.
  // typed: a native client's typed values for some arguments (CommandContext::Typed); empty
  // for RESP.
  void Execute(ClientState& client, std::span<const std::string_view> args, ReplyBuilder& rb,
               std::span<const TypedArg> typed = {});

  // Checks one key against the key rules; returns "" or the error text.
  std::string_view CheckKey(std::string_view key) const;

  ServerState& server() { return server_; }

 private:
  ServerState& server_;
};

// Wall clock in milliseconds.
int64_t NowMs();

}  // namespace kv
