// Transaction state a connection drops outside its commands (multi_family.cc): on disconnect
// and RESET.
#pragma once

namespace kv {

struct ClientState;

// Leaves MULTI, forgetting the queue.
void DiscardTransaction(ClientState& client);
// Drops every WATCH of the client (each from its shard, under the shard's lock).
void UnwatchAll(ClientState& client);

}  // namespace kv
