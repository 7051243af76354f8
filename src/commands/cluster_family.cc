// Redis Cluster mode with Redis 7.0's replies (cluster.c): the routing check the dispatcher runs
// for every command (Route), CLUSTER and its subcommands, ASKING, READONLY and READWRITE.
//
// The slot map is static per node (core/cluster_map.h): no cluster bus, no gossip, no failover.
// Slot changes made here (ADDSLOTS, SETSLOT...) change this node's map and its config file only;
// the operator makes the same change on every node (docs/scale-out.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <string>
#include <vector>

#include "commands/args.h"
#include "commands/cluster.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/cluster_map.h"
#include "core/shard.h"

namespace kv {

namespace cluster {

namespace {

constexpr uint16_t kNone = ClusterMap::kNone;

// The keys a command names for routing: its key positions, EVAL's and FCALL's declared keys
// (which their scripts lock themselves, so the table gives them none) and the channels of
// sharded pub/sub, which Redis hashes like keys.
void RoutingKeys(const CommandSpec& spec, std::span<const std::string_view> args,
                 std::span<const size_t> positions, std::vector<std::string_view>* keys,
                 bool* pubsub_shard) {
  for (size_t p : positions) keys->push_back(args[p]);
  *pubsub_shard = false;
  const std::string& name = spec.name;
  if (spec.script_keys) {
    std::vector<size_t> declared;
    spec.script_keys(args, &declared);
    for (size_t p : declared) keys->push_back(args[p]);
  } else if (name == "spublish" && args.size() >= 2) {
    keys->push_back(args[1]);
    *pubsub_shard = true;
  } else if (name == "ssubscribe" || name == "sunsubscribe") {
    for (size_t i = 1; i < args.size(); ++i) keys->push_back(args[i]);
    *pubsub_shard = true;
  }
}

std::string NodeAddress(const ClusterMap& map, uint16_t node) {
  const ClusterNode& n = map.nodes()[node];
  return fmt::format("{}:{}", n.ip, n.port);
}

}  // namespace

namespace {

// Route's decision: whether the command runs here, and if not the error it gets. `down` tells
// the one refusal scripts answer in words of their own (the whole cluster is down) from the
// others.
struct Decision {
  std::string error;  // "" to run here
  bool down = false;
};

// Route's decision, without its bookkeeping of the ASKING flag. `locked`: the caller's atomic
// batch already holds the shards' locks (a script's calls), so keys are looked up without
// taking them again.
Decision Decide(ServerState& server, ClientState& client, bool asking, const CommandSpec& spec,
                std::span<const std::string_view> args, std::span<const size_t> positions,
                bool exec, int64_t now_ms, bool locked) {
  const ClusterMap& map = *server.cluster;
  const uint16_t me = static_cast<uint16_t>(map.myself());
  std::string_view first;
  bool have_first = false, multiple = false, migrating = false, importing = false;
  bool pubsub_shard = false;
  int slot = 0, missing = 0;
  uint16_t node = kNone;
  std::vector<std::string_view> keys;
  std::vector<size_t> queued_positions;
  std::vector<std::string_view> queued_args;
  auto check = [&](const CommandSpec& cmd, std::span<const std::string_view> cmd_args,
                   std::span<const size_t> cmd_positions) -> std::string {
    keys.clear();
    bool shard_channels = false;
    RoutingKeys(cmd, cmd_args, cmd_positions, &keys, &shard_channels);
    pubsub_shard = pubsub_shard || shard_channels;
    for (std::string_view key : keys) {
      const int this_slot = KeyHashSlot(key);
      if (!have_first) {
        have_first = true;
        first = key;
        slot = this_slot;
        node = map.owner(slot);
        if (node == kNone) return "CLUSTERDOWN Hash slot not served";
        if (node == me && map.migrating_to(slot) != kNone) migrating = true;
        else if (map.importing_from(slot) != kNone) importing = true;
      } else if (key != first) {
        if (this_slot != slot) return "CROSSSLOT Keys in request don't hash to the same slot";
        multiple = true;
      }
      // During a migration the keys this node still has are served here; the others are
      // asked of the other node.
      if ((migrating || importing) && !shard_channels) {
        Shard& shard = client.ns->ShardFor(key);
        std::unique_lock lock(shard.mu(), std::defer_lock);
        if (!locked) lock.lock();
        if (!shard.Peek(key, now_ms)) ++missing;
      }
    }
    return "";
  };
  if (exec) {
    for (const QueuedCommand& q : client.tx.queued) {
      queued_args.assign(q.args.begin(), q.args.end());
      q.spec->KeyPositions(queued_args, &queued_positions);
      if (std::string err = check(*q.spec, queued_args, queued_positions); !err.empty())
        return {std::move(err)};
    }
  } else if (std::string err = check(spec, args, positions); !err.empty()) {
    return {std::move(err)};
  }
  if (!have_first) return {};
  if (server.config.cluster_require_full_coverage.load(std::memory_order_relaxed) &&
      map.slots_assigned() != kClusterSlots)
    return {"CLUSTERDOWN The cluster is down", true};
  // MIGRATE works on the keys this node has, whatever the slot's state.
  if ((migrating || importing) && spec.name == "migrate") return {};
  if (migrating && missing > 0) {
    if (multiple) return {"TRYAGAIN Multiple keys request during rehashing of slot"};
    return {fmt::format("ASK {} {}", slot, NodeAddress(map, map.migrating_to(slot)))};
  }
  if (importing && (asking || spec.name == "restore-asking")) {
    if (multiple && missing > 0) return {"TRYAGAIN Multiple keys request during rehashing of slot"};
    return {};
  }
  if (node != me) return {fmt::format("MOVED {} {}", slot, NodeAddress(map, node))};
  return {};
}

}  // namespace

std::string Route(ServerState& server, ClientState& client, const CommandSpec& spec,
                  std::span<const std::string_view> args, std::span<const size_t> positions,
                  bool exec, int64_t now_ms) {
  const bool asking = client.asking;
  client.asked = asking;
  // Cleared after this command unless it is ASKING or the client is (or, after MULTI, will
  // be) inside a transaction, whose EXEC ends it.
  if (spec.name != "asking" && (exec || (!client.tx.in_multi && spec.name != "multi")))
    client.asking = false;
  if (exec && !client.tx.in_multi) return "";  // EXEC answers its own error
  return Decide(server, client, asking, spec, args, positions, exec, now_ms, false).error;
}

std::string RouteScriptCall(ServerState& server, ClientState& client, const CommandSpec& spec,
                            std::span<const std::string_view> args,
                            std::span<const size_t> positions, int64_t now_ms) {
  const Decision d =
      Decide(server, client, client.asked, spec, args, positions, false, now_ms, true);
  if (d.error.empty()) return "";
  if (d.down) return "ERR Script attempted to execute a command while the cluster is down";
  return "ERR Script attempted to access a non local key in a cluster node";
}

int64_t KeysInSlot(Keyspace& ns, int slot, int64_t now_ms, int64_t limit,
                   std::vector<std::string>* keys) {
  int64_t count = 0;
  // In cluster mode the slot's keys share one shard; otherwise (in-process tests) every shard
  // is scanned.
  const uint32_t mask = ns.shard_count() - 1;
  const uint32_t first = ns.shard_by_slot() ? static_cast<uint32_t>(slot) & mask : 0;
  const uint32_t last = ns.shard_by_slot() ? first : mask;
  for (uint32_t i = first; i <= last; ++i) {
    Shard& shard = ns.shard(i);
    std::lock_guard lock(shard.mu());
    shard.ForEachLive(now_ms, [&](const Entry* e) {
      if (KeyHashSlot(e->key()) != slot) return;
      ++count;
      if (keys && static_cast<int64_t>(keys->size()) < limit) keys->emplace_back(e->key());
    });
  }
  return count;
}

}  // namespace cluster

namespace {

constexpr std::string_view kDisabled = "ERR This instance has cluster support disabled";

// Redis's getSlotOrReply.
int SlotOrReply(CommandContext& ctx, std::string_view arg) {
  int64_t slot = 0;
  auto [p, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), slot);
  if (arg.empty() || ec != std::errc() || p != arg.data() + arg.size() || slot < 0 ||
      slot >= kClusterSlots) {
    ctx.rb->SendError("ERR Invalid or out of range slot");
    return -1;
  }
  return static_cast<int>(slot);
}

void Save(CommandContext& ctx, const ClusterMap& map) {
  if (std::string err = map.Save(); !err.empty()) {
    spdlog::error("cluster config: {}", err);
    ctx.rb->SendError("ERR " + err);
    return;
  }
  ctx.rb->SendOk();
}

// ADDSLOTS DELSLOTS ADDSLOTSRANGE DELSLOTSRANGE: every slot is checked before any changes.
void ChangeSlots(CommandContext& ctx, ClusterMap& map, bool add, bool ranges) {
  const auto args = ctx.args.subspan(2);
  std::vector<int> slots;
  for (size_t i = 0; i < args.size(); i += ranges ? 2 : 1) {
    const int start = SlotOrReply(ctx, args[i]);
    if (start < 0) return;
    int end = start;
    if (ranges) {
      end = SlotOrReply(ctx, args[i + 1]);
      if (end < 0) return;
      if (start > end) {
        ctx.rb->SendError(fmt::format("ERR start slot number {} is greater than end slot "
                                      "number {}", start, end));
        return;
      }
    }
    for (int s = start; s <= end; ++s) slots.push_back(s);
  }
  std::lock_guard lock(map.mu());
  std::vector<bool> seen(kClusterSlots);
  for (int s : slots) {
    if (add && map.owner(s) != ClusterMap::kNone) {
      ctx.rb->SendError(fmt::format("ERR Slot {} is already busy", s));
      return;
    }
    if (!add && map.owner(s) == ClusterMap::kNone) {
      ctx.rb->SendError(fmt::format("ERR Slot {} is already unassigned", s));
      return;
    }
    if (seen[static_cast<size_t>(s)]) {
      ctx.rb->SendError(fmt::format("ERR Slot {} specified multiple times", s));
      return;
    }
    seen[static_cast<size_t>(s)] = true;
  }
  const uint16_t me = static_cast<uint16_t>(map.myself());
  for (int s : slots) {
    // Owning the slot ends importing it, as in Redis.
    if (add) map.SetImporting(s, ClusterMap::kNone);
    map.SetOwner(s, add ? me : ClusterMap::kNone);
  }
  Save(ctx, map);
}

// CLUSTER SETSLOT <slot> IMPORTING <node> | MIGRATING <node> | STABLE | NODE <node>
void SetSlot(CommandContext& ctx, ClusterMap& map) {
  const int slot = SlotOrReply(ctx, ctx.args[2]);
  if (slot < 0) return;
  const std::string_view action = ctx.args[3];
  const bool with_node = EqualsIgnoreCase(action, "MIGRATING") ||
                         EqualsIgnoreCase(action, "IMPORTING") || EqualsIgnoreCase(action, "NODE");
  if (!(with_node && ctx.args.size() == 5) &&
      !(EqualsIgnoreCase(action, "STABLE") && ctx.args.size() == 4)) {
    ctx.rb->SendError(
        "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP");
    return;
  }
  std::lock_guard lock(map.mu());
  const uint16_t me = static_cast<uint16_t>(map.myself());
  const int found = with_node ? map.FindNode(ctx.args[4]) : -1;
  const uint16_t node = found < 0 ? ClusterMap::kNone : static_cast<uint16_t>(found);
  if (EqualsIgnoreCase(action, "MIGRATING")) {
    if (map.owner(slot) != me) {
      ctx.rb->SendError(fmt::format("ERR I'm not the owner of hash slot {}", slot));
      return;
    }
    if (node == ClusterMap::kNone) {
      ctx.rb->SendError(fmt::format("ERR I don't know about node {}", ctx.args[4]));
      return;
    }
    map.SetMigrating(slot, node);
  } else if (EqualsIgnoreCase(action, "IMPORTING")) {
    if (map.owner(slot) == me) {
      ctx.rb->SendError(fmt::format("ERR I'm already the owner of hash slot {}", slot));
      return;
    }
    if (node == ClusterMap::kNone) {
      ctx.rb->SendError(fmt::format("ERR I don't know about node {}", ctx.args[4]));
      return;
    }
    map.SetImporting(slot, node);
  } else if (EqualsIgnoreCase(action, "STABLE")) {
    map.SetImporting(slot, ClusterMap::kNone);
    map.SetMigrating(slot, ClusterMap::kNone);
  } else {
    if (node == ClusterMap::kNone) {
      ctx.rb->SendError(fmt::format("ERR Unknown node {}", ctx.args[4]));
      return;
    }
    // Keys left here would become unreachable.
    const bool keys_here = map.owner(slot) == me &&
                           cluster::KeysInSlot(ctx.db(), slot, ctx.now_ms, 0, nullptr) > 0;
    if (keys_here && node != me) {
      ctx.rb->SendError(fmt::format("ERR Can't assign hashslot {} to a different node while I "
                                    "still hold keys for this hash slot.", slot));
      return;
    }
    if (map.migrating_to(slot) != ClusterMap::kNone && !keys_here)
      map.SetMigrating(slot, ClusterMap::kNone);
    if (node == me && map.importing_from(slot) != ClusterMap::kNone) {
      map.SetImporting(slot, ClusterMap::kNone);
      map.BumpMyEpoch();
    }
    map.SetOwner(slot, node);
  }
  Save(ctx, map);
}

void SendNodeEntry(CommandContext& ctx, const ClusterNode& n) {
  ctx.rb->StartArray(4);
  ctx.rb->SendBulk(n.ip);
  ctx.rb->SendLong(n.port);
  ctx.rb->SendBulk(n.id);
  ctx.rb->StartMap(n.hostname.empty() ? 0 : 1);
  if (!n.hostname.empty()) {
    ctx.rb->SendBulk("hostname");
    ctx.rb->SendBulk(n.hostname);
  }
}

// Contiguous runs of slots with the same owner, in slot order: [start, end, owner].
struct SlotRun {
  int start, end;
  uint16_t node;
};
std::vector<SlotRun> SlotRuns(const ClusterMap& map) {
  std::vector<SlotRun> runs;
  for (int s = 0; s < kClusterSlots; ++s) {
    const uint16_t n = map.owner(s);
    if (n == ClusterMap::kNone) continue;
    if (!runs.empty() && runs.back().node == n && runs.back().end == s - 1) runs.back().end = s;
    else runs.push_back({s, s, n});
  }
  return runs;
}

void Slots(CommandContext& ctx, const ClusterMap& map) {
  const std::vector<SlotRun> runs = SlotRuns(map);
  ctx.rb->StartArray(static_cast<uint32_t>(runs.size()));
  for (const SlotRun& r : runs) {
    ctx.rb->StartArray(3);
    ctx.rb->SendLong(r.start);
    ctx.rb->SendLong(r.end);
    SendNodeEntry(ctx, map.nodes()[r.node]);
  }
}

void Shards(CommandContext& ctx, const ClusterMap& map) {
  const std::vector<SlotRun> runs = SlotRuns(map);
  ctx.rb->StartArray(static_cast<uint32_t>(map.nodes().size()));
  for (size_t i = 0; i < map.nodes().size(); ++i) {
    const ClusterNode& n = map.nodes()[i];
    ctx.rb->StartMap(2);
    ctx.rb->SendBulk("slots");
    const auto mine = std::count_if(runs.begin(), runs.end(),
                                    [&](const SlotRun& r) { return r.node == i; });
    ctx.rb->StartArray(static_cast<uint32_t>(mine * 2));
    for (const SlotRun& r : runs) {
      if (r.node != i) continue;
      ctx.rb->SendLong(r.start);
      ctx.rb->SendLong(r.end);
    }
    ctx.rb->SendBulk("nodes");
    ctx.rb->StartArray(1);
    ctx.rb->StartMap(n.hostname.empty() ? 7 : 8);
    ctx.rb->SendBulk("id");
    ctx.rb->SendBulk(n.id);
    ctx.rb->SendBulk("port");
    ctx.rb->SendLong(n.port);
    ctx.rb->SendBulk("ip");
    ctx.rb->SendBulk(n.ip);
    ctx.rb->SendBulk("endpoint");
    ctx.rb->SendBulk(n.ip);
    if (!n.hostname.empty()) {
      ctx.rb->SendBulk("hostname");
      ctx.rb->SendBulk(n.hostname);
    }
    ctx.rb->SendBulk("role");
    ctx.rb->SendBulk("master");
    ctx.rb->SendBulk("replication-offset");
    ctx.rb->SendLong(0);
    ctx.rb->SendBulk("health");
    ctx.rb->SendBulk("online");
  }
}

void Info(CommandContext& ctx, const ClusterMap& map) {
  const int assigned = map.slots_assigned();
  const bool ok = assigned == kClusterSlots ||
                  !ctx.server->config.cluster_require_full_coverage.load();
  std::vector<bool> serving(map.nodes().size());
  for (int s = 0; s < kClusterSlots; ++s)
    if (map.owner(s) != ClusterMap::kNone) serving[map.owner(s)] = true;
  const auto size = std::count(serving.begin(), serving.end(), true);
  ctx.rb->SendVerbatim(fmt::format(
      "cluster_state:{}\r\ncluster_slots_assigned:{}\r\ncluster_slots_ok:{}\r\n"
      "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:{}\r\n"
      "cluster_size:{}\r\ncluster_current_epoch:{}\r\ncluster_my_epoch:{}\r\n"
      "cluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
      "total_cluster_links_buffer_limit_exceeded:0\r\n",
      ok ? "ok" : "fail", assigned, assigned, map.nodes().size(), size, map.current_epoch(),
      map.me().config_epoch));
}

void Help(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ADDSLOTS <slot> [<slot> ...]",
      "    Assign slots to current node.",
      "ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
      "    Assign slots which are between <start-slot> and <end-slot> to current node.",
      "COUNTKEYSINSLOT <slot>",
      "    Return the number of keys in <slot>.",
      "DELSLOTS <slot> [<slot> ...]",
      "    Delete slots information from current node.",
      "DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
      "    Delete slots information which are between <start-slot> and <end-slot>.",
      "GETKEYSINSLOT <slot> <count>",
      "    Return key names stored by current node in a slot.",
      "INFO",
      "    Return information about the cluster.",
      "KEYSLOT <key>",
      "    Return the hash slot for <key>.",
      "MYID",
      "    Return the node id.",
      "NODES",
      "    Return cluster configuration seen by node. Output format:",
      "    <id> <ip:port@bus-port[,hostname]> <flags> <master> <pings> <pongs> <epoch> <link> "
      "<slot> ...",
      "SAVECONFIG",
      "    Force saving cluster configuration on disk.",
      "SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
      "    Set slot state.",
      "SHARDS",
      "    Return information about slot range mappings and the nodes associated with them.",
      "SLOTS",
      "    Return information about slots range mappings. Each range is made of:",
      "    start, end, master and replicas IP addresses, ports and ids",
      "HELP",
      "    Print this help.",
  };
  ctx.rb->StartArray(static_cast<uint32_t>(std::size(kLines)));
  for (std::string_view l : kLines) ctx.rb->SendSimple(l);
}

using Subcommand = SubcommandDecl;
constexpr uint32_t kAdmin = kCmdAdmin | kCmdStale;
constexpr Subcommand kSubcommands[] = {
    {"addslots", -3, "", "Assign new hash slots to receiving node", kAdmin},
    {"addslotsrange", -4, "7.0.0", "Assign new hash slots to receiving node", kAdmin},
    {"countkeysinslot", 3, "", "Return the number of local keys in the specified hash slot",
     kCmdStale},
    {"delslots", -3, "", "Set hash slots as unbound in receiving node", kAdmin},
    {"delslotsrange", -4, "7.0.0", "Set hash slots as unbound in receiving node", kAdmin},
    {"getkeysinslot", 4, "", "Return local key names in the specified hash slot", kCmdStale},
    HelpSubcommand("5.0.0"),
    {"info", 2, "", "Provides info about Redis Cluster node state", kCmdStale},
    {"keyslot", 3, "", "Returns the hash slot of the specified key", kCmdStale},
    {"myid", 2, "", "Return the node id", kCmdStale},
    {"nodes", 2, "", "Get Cluster config for the node", kCmdStale},
    {"saveconfig", 2, "", "Forces the node to save cluster state on disk", kAdmin},
    {"setslot", -4, "", "Bind a hash slot to a specific node", kAdmin},
    {"shards", 2, "7.0.0", "Get array of cluster slots to node mappings", kCmdStale},
    {"slots", 2, "", "Get array of Cluster slot to node mappings", kCmdStale},
};

void CmdCluster(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const Subcommand* found = nullptr;
  for (const Subcommand& s : kSubcommands)
    if (EqualsIgnoreCase(sub, s.name)) found = &s;
  if (!found) {
    ctx.rb->SendError(errors::UnknownSubcommand("cluster", sub));
    return;
  }
  if (!ArityFits(found->arity, ctx.args.size())) {
    ctx.rb->SendError(errors::WrongArity(fmt::format("cluster|{}", found->name)));
    return;
  }
  const std::string_view name = found->name;
  if (name == "help") {
    Help(ctx);
    return;
  }
  ClusterMap* map = ctx.server->cluster;
  if (!map) {
    ctx.rb->SendError(kDisabled);
    return;
  }
  if (name == "keyslot") {
    ctx.rb->SendLong(KeyHashSlot(ctx.args[2]));
  } else if (name == "myid") {
    ctx.rb->SendBulk(map->me().id);
  } else if (name == "nodes") {
    std::lock_guard lock(map->mu());
    ctx.rb->SendVerbatim(map->Format(false));
  } else if (name == "slots") {
    Slots(ctx, *map);
  } else if (name == "shards") {
    Shards(ctx, *map);
  } else if (name == "info") {
    Info(ctx, *map);
  } else if (name == "countkeysinslot") {
    int64_t slot = 0;
    if (!ParseIntOrReply(ctx, ctx.args[2], &slot)) return;
    if (slot < 0 || slot >= kClusterSlots) {
      ctx.rb->SendError("ERR Invalid slot");
      return;
    }
    ctx.rb->SendLong(
        cluster::KeysInSlot(ctx.db(), static_cast<int>(slot), ctx.now_ms, 0, nullptr));
  } else if (name == "getkeysinslot") {
    int64_t slot = 0, count = 0;
    if (!ParseIntOrReply(ctx, ctx.args[2], &slot) || !ParseIntOrReply(ctx, ctx.args[3], &count))
      return;
    if (count < 0 || slot < 0 || slot >= kClusterSlots) {
      ctx.rb->SendError("ERR Invalid slot or number of keys");
      return;
    }
    std::vector<std::string> keys;
    cluster::KeysInSlot(ctx.db(), static_cast<int>(slot), ctx.now_ms, count, &keys);
    ctx.rb->StartArray(static_cast<uint32_t>(keys.size()));
    for (const std::string& k : keys) ctx.rb->SendBulk(k);
  } else if (name == "addslots" || name == "delslots") {
    ChangeSlots(ctx, *map, name == "addslots", false);
  } else if (name == "addslotsrange" || name == "delslotsrange") {
    if (ctx.args.size() % 2 == 1) {
      ctx.rb->SendError(errors::WrongArity(fmt::format("cluster|{}", name)));
      return;
    }
    ChangeSlots(ctx, *map, name == "addslotsrange", true);
  } else if (name == "setslot") {
    SetSlot(ctx, *map);
  } else if (name == "saveconfig") {
    std::lock_guard lock(map->mu());
    Save(ctx, *map);
  }
}

// ASKING READONLY READWRITE: connection flags, refused outside cluster mode as in Redis.
void CmdAsking(CommandContext& ctx) {
  if (!ctx.server->cluster) {
    ctx.rb->SendError(kDisabled);
    return;
  }
  ctx.client->asking = true;
  ctx.rb->SendOk();
}

void CmdReadonly(CommandContext& ctx) {
  if (!ctx.server->cluster) {
    ctx.rb->SendError(kDisabled);
    return;
  }
  ctx.client->cluster_readonly = true;
  ctx.rb->SendOk();
}

void CmdReadwrite(CommandContext& ctx) {
  if (!ctx.server->cluster) {
    ctx.rb->SendError(kDisabled);
    return;
  }
  ctx.client->cluster_readonly = false;
  ctx.rb->SendOk();
}

}  // namespace

void RegisterClusterFamily(CommandTable& t) {
  t.Register(WithSubcommands(
      MakeSpec("cluster", -2, 0, kNoKeys, CmdCluster, "cluster", "3.0.0",
               "A container for cluster commands.",
               "ADDSLOTS|ADDSLOTSRANGE|COUNTKEYSINSLOT|DELSLOTS|DELSLOTSRANGE|"
               "GETKEYSINSLOT|HELP|INFO|KEYSLOT|MYID|NODES|SAVECONFIG|SETSLOT|SHARDS|"
               "SLOTS [arg ...]"),
      kSubcommands));
  // Redis files these three under @connection too.
  auto connection = [](CommandSpec s) {
    s.acl_categories = acl::kConnection;
    return s;
  };
  t.Register(connection(MakeSpec("asking", 1, kCmdFast, kNoKeys, CmdAsking, "cluster", "3.0.0",
                                 "Sent by cluster clients after an -ASK redirect", "")));
  t.Register(connection(MakeSpec("readonly", 1, kCmdFast | kCmdLoading | kCmdStale, kNoKeys,
                                 CmdReadonly, "cluster", "3.0.0",
                                 "Enables read queries for a connection to a cluster replica "
                                 "node", "")));
  t.Register(connection(MakeSpec("readwrite", 1, kCmdFast | kCmdLoading | kCmdStale, kNoKeys,
                                 CmdReadwrite, "cluster", "3.0.0",
                                 "Disables read queries for a connection to a cluster replica "
                                 "node", "")));
}

}  // namespace kv
