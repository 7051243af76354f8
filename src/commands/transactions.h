// Transaction state a connection drops outside its commands (multi_family.cc): on disconnect
// and RESET.
#pragma once

#include "commands/command.h"

namespace kv {

// Leaves MULTI, forgetting the queue.
void DiscardTransaction(ClientState& client);
// EXEC's handler, which the dispatcher recognises: its refusals abort the transaction.
CommandHandler ExecHandler();
// Drops every WATCH of the client (each from its shard, under the shard's lock).
void UnwatchAll(ClientState& client);

}  // namespace kv
