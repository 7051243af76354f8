// Redis Cluster mode (docs/scale-out.md): the dispatcher's routing check, and the helpers the
// CLUSTER and MIGRATE commands share. Only used when ServerState::cluster is set.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"

namespace kv {

class Entry;
class ServerState;

namespace cluster {

// Where a command must run, as Redis's getNodeByQuery decides it: "" to run it here, or the
// error to answer instead (-MOVED, -ASK, -CROSSSLOT, -TRYAGAIN, -CLUSTERDOWN). `positions` are
// the command's key positions; EXEC checks the keys of its queued commands. Consumes the
// client's ASKING flag as Redis's resetClient does.
std::string Route(ServerState& server, ClientState& client, const CommandSpec& spec,
                  std::span<const std::string_view> args, std::span<const size_t> positions,
                  bool exec, int64_t now_ms);

// A call a script makes (redis.call / redis.pcall), as Redis's scriptVerifyClusterState checks
// it: "" when this node serves the call's keys, else the error the script gets. The keys a
// script declares were routed with EVAL/FCALL; this catches the ones it did not declare. Uses
// the ASKING flag as it applied to the EVAL/FCALL (or EXEC) that runs the script. The caller's
// batch holds the namespace's locks.
std::string RouteScriptCall(ServerState& server, ClientState& client, const CommandSpec& spec,
                            std::span<const std::string_view> args,
                            std::span<const size_t> positions, int64_t now_ms);

// Keys of `ns` in hash slot `slot`: how many, and up to `limit` of their names into *keys
// (when not null). Scans the one shard that holds the slot (docs/scale-out.md).
int64_t KeysInSlot(Keyspace& ns, int slot, int64_t now_ms, int64_t limit,
                   std::vector<std::string>* keys);

}  // namespace cluster

// The DUMP payload of a stored value (dump_family.cc), for DUMP and MIGRATE.
std::string DumpPayload(const Entry& e);

}  // namespace kv
