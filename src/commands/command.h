// Commands: what a command declares (CommandSpec) and what its handler sees (CommandContext).
//
// Every command, built-in or plugin, is one CommandSpec in the CommandTable, with Redis's
// vocabulary: arity (negative = at least), flags, first/last/step key positions. The dispatcher
// uses the key positions to validate keys and lock their shards in ascending order before the
// handler runs, so a handler simply reads and writes `ctx.ShardFor(key)`.
//
// Handlers know nothing of sockets or wire formats: they parse ctx.args, call shard operations
// and reply through ctx.rb (a ReplyBuilder). Per-connection state they may touch lives in
// ClientState.
#pragma once

#include <atomic>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/acl.h"
#include "core/keyspace.h"
#include "core/keyspace_events.h"
#include "core/pubsub.h"
#include "core/reply_builder.h"

namespace kv {

class ServerState;
struct ClientState;
struct CommandContext;

enum CommandFlag : uint32_t {
  kCmdWrite = 1u << 0,
  kCmdReadonly = 1u << 1,
  kCmdDenyOom = 1u << 2,   // may grow memory: refused with OOM when over maxmemory
  kCmdFast = 1u << 3,
  kCmdAdmin = 1u << 4,
  kCmdNoScript = 1u << 5,
  kCmdLoading = 1u << 6,   // allowed while loading data
  kCmdStale = 1u << 7,
  kCmdNoAuth = 1u << 8,    // allowed before AUTH (AUTH, HELLO, QUIT, RESET)
  kCmdBlocking = 1u << 9,
  kCmdPubSub = 1u << 10,
  kCmdSkipMonitor = 1u << 11,
  kCmdAllShards = 1u << 12,  // touches every shard of the namespace (KEYS, SCAN, FLUSHDB...)
  // Only WAL replay (later replication) may run it; clients get "unknown command" and COMMAND
  // does not list it (LOCK.RESTORE: sets a lock with any token, which would break fencing).
  kCmdInternal = 1u << 13,
  // Locks a shard of another namespace besides its keys' (COPY ... DB, MOVE): the dispatcher
  // runs such commands one at a time (keys_copy_family.cc says why).
  kCmdCrossNamespace = 1u << 14,
  // Runs at once inside MULTI instead of being queued (EXEC DISCARD MULTI WATCH QUIT RESET).
  kCmdNoQueue = 1u << 15,
  // May write or publish depending on its arguments (Redis's may-replicate: EVAL, FCALL,
  // PUBLISH, PFCOUNT): CLIENT PAUSE WRITE holds it. Not shown by COMMAND INFO, as in Redis 7.0.
  kCmdMayReplicate = 1u << 16,
  // Never in SLOWLOG (EXEC: the commands it ran are logged one by one, as in Redis).
  kCmdSkipSlowlog = 1u << 17,
  // May be called without keys (EVAL, FCALL): COMMAND GETKEYS then answers an empty array rather
  // than an error. COMMAND INFO shows it as Redis does.
  kCmdNoMandatoryKeys = 1u << 18,
  // Refused inside MULTI, which the refusal dooms (Redis's no-multi: SAVE, SHUTDOWN, SYNC,
  // PSYNC: a transaction cannot hold a server stop or a connection turning into a replica).
  kCmdNoMulti = 1u << 19,
};

using CommandHandler = void (*)(CommandContext& ctx);

// Key positions in Redis's first/last/step form (last < 0 counts from the end).
struct KeyRange {
  int first;
  int last;
  int step;
};
inline constexpr KeyRange kNoKeys{0, 0, 0};
inline constexpr KeyRange kOneKey{1, 1, 1};
inline constexpr KeyRange kTwoKeys{1, 2, 1};
inline constexpr KeyRange kAllKeys{1, -1, 1};
inline constexpr KeyRange kKeyValuePairs{1, -1, 2};
// A container's subcommand's key: the argument after the subcommand (OBJECT ENCODING key).
inline constexpr KeyRange kSubcommandKey{2, 2, 1};

// A subcommand declared without flags has its container's.
inline constexpr uint32_t kContainerFlags = ~0u;
// Flags that say how kv-server runs a container as a whole rather than what Redis declares per
// subcommand: a subcommand's call keeps its container's (CommandSpec::DeclaredFlags).
inline constexpr uint32_t kContainerWideFlags = kCmdNoAuth | kCmdAllShards | kCmdInternal |
                                                kCmdCrossNamespace | kCmdNoQueue | kCmdSkipSlowlog;

// How a family declares a container's subcommand, one line each: its name, Redis's arity for
// <container>|<name> (which counts the container and the subcommand: CONFIG GET <p> is -3), and
// what COMMAND INFO and COMMAND DOCS report for it: the version it came in (empty: the
// container's), its summary, its flags (Redis's, as far as kv-server has them) and its keys.
struct SubcommandDecl {
  std::string_view name;
  int arity;
  std::string_view since = {};
  std::string_view summary = {};
  uint32_t flags = kContainerFlags;
  KeyRange keys = kNoKeys;
};
// Every container's HELP, as Redis declares it (allowed while loading and on a stale replica).
constexpr SubcommandDecl HelpSubcommand(std::string_view since = {}) {
  return {"help", 2, since, "Show helpful text about the different subcommands",
          kCmdLoading | kCmdStale};
}

// What a container is, beside its subcommands: the flags COMMAND INFO gives the container
// itself (none in Redis 7.0 but COMMAND's loading and stale: the subcommands carry theirs, and
// the dispatcher acts on the called subcommand's), and the ACL categories every subcommand has
// beside those its flags give (CLIENT's @connection, OBJECT's @keyspace).
struct ContainerTraits {
  uint32_t info_flags = 0;
  uint32_t sub_categories = 0;
};

// A container's subcommand (CONFIG GET) as the table keeps it. Redis 7 looks it up before the
// handler runs: an unknown one is refused and counted nowhere, a wrong argument count is
// refused under its own name, and INFO commandstats / latencystats count it apart
// (cmdstat_config|get), in its own statistics slot. COMMAND INFO and DOCS list it under its
// container, and ACL checks a call with its categories. The dispatcher runs a call with its
// flags (a script may call CONFIG HELP, not CONFIG GET; XGROUP CREATE is a logged write) and
// its keys (OBJECT ENCODING's key: its shard is locked, ACL checks it).
struct SubcommandSpec {
  std::string name;       // lower case: "get"
  std::string full_name;  // "config|get", as Redis names it in INFO, errors and ACL LOG
  int arity = 0;
  uint32_t flags = 0;
  KeyRange keys = kNoKeys;
  uint32_t acl_categories = 0;  // from the flags and ContainerTraits::sub_categories
  std::string since;
  std::string summary;
  uint32_t id = 0;        // statistics slot, given by CommandTable::Register
};
// Whether `argc` arguments (the name included) fit Redis's `arity`: exactly that many, or at
// least -arity when it is negative.
constexpr bool ArityFits(int arity, size_t argc) {
  return arity > 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

// Key positions of a command whose keys move with its arguments (LMPOP's numkeys): Redis's
// "movablekeys". Writes the positions into *out (nothing for malformed arguments: the handler
// then answers the error).
using KeyFinder = void (*)(std::span<const std::string_view> args, std::vector<size_t>* out);

struct CommandSpec {
  std::string name;  // lower case, as COMMAND reports it
  int arity = 0;     // counts the command name; negative = at least -arity
  uint32_t flags = 0;
  int first_key = 0;  // 0 = no keys
  int last_key = 0;   // negative counts from the end (-1 = last argument)
  int key_step = 0;
  CommandHandler handler = nullptr;
  void* data = nullptr;             // handler's own data (plugins keep their callback here)
  std::string group = "generic";   // COMMAND DOCS group: string, generic, connection, server...
  std::string summary;              // COMMAND DOCS summary
  std::string syntax;               // argument syntax after the name, as in Redis's docs
  std::string since = "1.0.0";
  std::string module;               // owning plugin's name; empty for built-ins
  // acl::Category bits. Families may set extra ones; CommandTable::Register adds those derived
  // from the flags and the group (DeriveAclCategories).
  uint32_t acl_categories = 0;
  // A write command whose keys from this argument position on are only read (Redis's RO key
  // specs: BITOP's and PFMERGE's sources): ACL asks read access for them. 0 = none.
  int read_keys_from = 0;
  // A write command whose keys before this argument position are only read (SORT: its source
  // is read, the STORE destination after it written): ACL asks read access for them. 0 = none.
  int write_keys_from = 0;
  uint32_t id = 0;                  // registration order, never reused (statistics slot)
  KeyFinder find_keys = nullptr;    // set for movable keys; first/last/step are then 0
  // The keys a script command declares (EVAL's and FCALL's numkeys): its script locks them
  // itself, so the dispatcher does not, but COMMAND GETKEYS and cluster routing name them.
  KeyFinder script_keys = nullptr;
  // For a command that may read keys it cannot declare (SORT's BY and GET patterns): true for
  // arguments that do, and the dispatcher then locks every shard of the namespace, not only the
  // declared keys' shards.
  bool (*locks_all_shards)(std::span<const std::string_view> args) = nullptr;
  // Redis's getCommandFlags: the flags of this call when they depend on more than its command
  // or subcommand (EVAL of a script whose shebang declares flags, FCALL of a function): given
  // the DeclaredFlags, returns the call's. The dispatcher, MULTI and CLIENT PAUSE read
  // CallFlags, not `flags`.
  uint32_t (*flags_of)(std::span<const std::string_view> args, uint32_t flags) = nullptr;
  // A container's subcommands (CONFIG, CLIENT, XINFO...); empty for every other command.
  std::vector<SubcommandSpec> subcommands;
  ContainerTraits container;  // a container's own COMMAND INFO flags, its subcommands' categories

  bool has(CommandFlag f) const { return (flags & f) != 0; }
  // The subcommand `name` (any case) of this container; nullptr when it has none of that name.
  const SubcommandSpec* FindSubcommand(std::string_view name) const;
  // The subcommand this call runs: args[1] of a container; nullptr for a plain command, a
  // container called alone (COMMAND) and an unknown subcommand.
  const SubcommandSpec* SubcommandOf(std::span<const std::string_view> args) const {
    if (subcommands.empty() || args.size() < 2) return nullptr;
    return FindSubcommand(args[1]);
  }
  // The name Redis reports for this call: "config|get" for a subcommand, else the name.
  std::string_view CallName(std::span<const std::string_view> args) const {
    const SubcommandSpec* sub = SubcommandOf(args);
    return sub ? std::string_view(sub->full_name) : std::string_view(name);
  }
  // The flags the command (or the container's subcommand) this call runs declares, as Redis's
  // c->cmd->flags: what decides MONITOR, SLOWLOG, latency events, tracking and whether a write
  // is logged as sent. An unknown subcommand has its container's (the dispatcher refuses it).
  uint32_t DeclaredFlags(std::span<const std::string_view> args) const {
    const SubcommandSpec* sub = SubcommandOf(args);
    return sub ? sub->flags | (flags & kContainerWideFlags) : flags;
  }
  // The flags of this call: DeclaredFlags, then flags_of for what the arguments add.
  uint32_t CallFlags(std::span<const std::string_view> args) const {
    const uint32_t declared = DeclaredFlags(args);
    return flags_of ? flags_of(args, declared) : declared;
  }
  // Positions of the key arguments in `args` (name included): a container's subcommand's from
  // its key range.
  void KeyPositions(std::span<const std::string_view> args, std::vector<size_t>* out) const;
  // Whether the key at argument `pos` is only read: every key of a command that does not write,
  // and a write's source keys (read_keys_from, write_keys_from). ACL asks read access for it,
  // COMMAND GETKEYSANDFLAGS reports it RO.
  bool KeyOnlyRead(size_t pos) const {
    return !has(kCmdWrite) || (read_keys_from > 0 && pos >= static_cast<size_t>(read_keys_from)) ||
           (write_keys_from > 0 && pos < static_cast<size_t>(write_keys_from));
  }
};

// The positions `keys` gives in a call of `argc` arguments (name included), appended to *out.
void KeyRangePositions(KeyRange keys, size_t argc, std::vector<size_t>* out);

// The one way families build their table entries (one Register line per command).
CommandSpec MakeSpec(std::string name, int arity, uint32_t flags, KeyRange keys,
                     CommandHandler handler, std::string group, std::string since,
                     std::string summary, std::string syntax);

// Declares `spec` a container of `subs` (names in any case), as its family registers it.
CommandSpec WithSubcommands(CommandSpec spec, std::span<const SubcommandDecl> subs,
                            ContainerTraits traits = {});
inline CommandSpec WithSubcommands(CommandSpec spec, std::initializer_list<SubcommandDecl> subs,
                                   ContainerTraits traits = {}) {
  return WithSubcommands(std::move(spec),
                         std::span<const SubcommandDecl>(subs.begin(), subs.size()), traits);
}

// A native client's typed value standing for argument `pos` (args[pos] then holds its canonical
// text, or is empty for Null, List and Map, which have none). The view's bytes belong to the
// request and live as long as the command runs.
struct TypedArg {
  size_t pos;
  ScalarView value;
};

// A typed argument of the logged replacement (log_as), owning its bytes.
struct LoggedTypedArg {
  size_t pos;
  ScalarView value;   // its bytes are `bytes`: read it through View()
  std::string bytes;
  ScalarView View() const {
    ScalarView v = value;
    v.bytes = bytes;
    return v;
  }
};

// A command queued after MULTI, its arguments copied (the request's buffer is gone by EXEC).
struct QueuedCommand {
  const CommandSpec* spec = nullptr;
  std::vector<std::string> args;
  std::vector<LoggedTypedArg> typed;  // a native client's typed arguments

  uint32_t CallFlags() const {
    if (!spec->flags_of && spec->subcommands.empty()) return spec->flags;
    const std::vector<std::string_view> views(args.begin(), args.end());
    return spec->CallFlags(views);
  }
};

// A key this connection WATCHes, in the namespace it was watched in.
struct WatchedKey {
  Keyspace* ns = nullptr;
  std::string key;
};

// MULTI/EXEC and WATCH state of a connection (commands/multi_family.cc). Only its own thread
// touches it, except `watch`, which writers on any thread set under the watched key's shard lock,
// and `queued_count`, which CLIENT LIST reads.
struct TxState {
  bool in_multi = false;
  bool errored = false;  // a command was refused while queueing: EXEC answers EXECABORT
  std::vector<QueuedCommand> queued;
  std::atomic<int32_t> queued_count{-1};  // CLIENT LIST multi=: -1 outside MULTI
  std::vector<WatchedKey> watched;
  WatchFlag watch;
};

// Per-connection state commands may read or change. Owned by the connection; the server layer
// registers it in a client registry for CLIENT LIST.
struct ClientState {
  uint64_t id = 0;
  std::string name;
  std::string lib_name, lib_ver;
  std::string addr, laddr;  // "ip:port"
  int fd = -1;
  int io_thread = 0;  // the loop serving it, for life (CLIENT LIST io-thread=, as Redis 8)
  // Fields CLIENT LIST reads from other threads are atomics (or, for strings, written under
  // the client registry's mutex); the rest belong to the connection's own thread.
  std::atomic<int> resp{2};  // protocol version: 2 or 3
  bool authenticated = true;
  // The ACL user this connection runs as (default until AUTH); null for the recovery client and
  // in-process tests, which are not checked. Replaced when the registry marks it stale.
  std::shared_ptr<const acl::User> user;
  bool close_after_reply = false;  // QUIT
  std::string ns_name = "0";
  Keyspace* ns = nullptr;
  std::atomic<int64_t> created_ms{0};
  std::atomic<int64_t> last_active_ms{0};
  // Blocking commands: a handler that must wait calls RequestBlock instead of replying; the
  // session then keeps the request, and re-runs it until it replies or the deadline passes, the
  // last run with block_timed_out set so the handler answers its timeout reply.
  bool block_requested = false;
  int64_t block_deadline_ms = 0;  // 0 = not blocked
  bool block_timed_out = false;
  std::atomic<void*> blocked_owner{nullptr};  // plugin whose command blocks this client
  // Blocking pops: the waiter queues this client stands in (commands/blocking.h), kept across
  // the re-runs of its request so it keeps its place.
  std::vector<std::string> blocked_keys;
  // A blocked XREAD's IDs as its first run resolved them ("$": the stream's last ID then), kept
  // across the re-runs: ms, seq per key (commands/stream_read_family.cc).
  std::vector<uint64_t> blocked_stream_ids;
  // CLIENT UNBLOCK from another client: 1 answer as at the timeout, 2 with -UNBLOCKED.
  std::atomic<uint8_t> unblock{0};
  // A plugin's blocked command (BlockClient) waits for a change to its declared keys, through
  // WATCH's registrations (commands/blocking.h WaitOnKeyChanges); block_wake_at_ms: the first
  // of those keys' expiry times (a key that expires changes without anyone writing it).
  WatchFlag block_watch;
  std::vector<WatchedKey> block_watched;
  int64_t block_wake_at_ms = 0;
  // WAIT: woken when a replica acknowledges (Replication::WakeOnAck) or at its deadline, not
  // polled.
  bool block_on_acks = false;
  // Under appendfsync always: the LSN of this client's last logged write. Its replies are held
  // until the WAL has fsynced that far.
  uint64_t durable_wait_lsn = 0;
  // The recovery client: runs logged records with their own clock, and logs nothing.
  bool replaying = false;
  // Replication (docs/replication.md). `master`: the replica's link to its primary, which
  // applies the stream (may write on a read-only replica, runs internal commands, its replies
  // are dropped). `replica`: a primary's connection that sent PSYNC (set by its own thread,
  // read by CLIENT LIST). `replica_listening_port`: what it said in REPLCONF listening-port.
  // `repl_write_offset`: the stream offset after this client's last replicated write (WAIT).
  bool master = false;
  std::atomic<bool> replica{false};
  int replica_listening_port = 0;
  uint64_t repl_write_offset = 0;
  // The last command's name as Redis reports it ("get", "client|list"): a CommandSpec's or
  // SubcommandSpec's, which live as long as the table. Written by the client's own thread,
  // read by CLIENT LIST on any thread.
  std::atomic<const std::string*> last_cmd{nullptr};
  TxState tx;
  // Channels, patterns and shard channels it is subscribed to (kept by ServerState::pubsub).
  PubSubClient pubsub;
  // CLIENT REPLY: the session drops a command's reply while `reply_off`, or when `reply_skip`
  // (the command right after CLIENT REPLY SKIP, which sets `reply_skip_next`).
  bool reply_off = false;
  bool reply_skip = false;
  bool reply_skip_next = false;
  // Cluster mode: ASKING covers the next command (or the next transaction), READONLY stays.
  bool asking = false;
  // Whether ASKING applied to the command running now: the calls of a script it runs are
  // routed with it, as Redis copies the flag to its script client.
  bool asked = false;
  bool cluster_readonly = false;
  // CLIENT NO-EVICT and NO-TOUCH (CLIENT LIST's e and T flags, read on any thread).
  std::atomic<bool> no_evict{false};
  std::atomic<bool> no_touch{false};
  // MONITOR: every command of every client is streamed to it (commands/monitor.h).
  std::atomic<bool> monitor{false};
  // CLIENT TRACKING (commands/tracking.h): tracking::Flag bits and the REDIRECT target, read
  // by CLIENT LIST on any thread. Set by the client's own thread, but for kBrokenRedir, which
  // its loop sets when an invalidation finds the target gone.
  std::atomic<uint32_t> tracking{0};
  std::atomic<uint64_t> tracking_redirect{0};
};

// Connected over loopback (127.0.0.0/8, ::1, IPv4-mapped 127.x): Redis's "local" client, for
// the enable-*-command options and protected mode. `addr` is "ip:port" as the server formats it.
inline bool IsLocalClient(const ClientState& c) {
  const std::string_view a = c.addr;
  return a.starts_with("127.") || a.starts_with("::1:") || a.starts_with("::ffff:127.");
}

struct CommandContext {
  std::span<const std::string_view> args;  // args[0] is the command name as sent
  ReplyBuilder* rb = nullptr;
  ClientState* client = nullptr;
  ServerState* server = nullptr;
  const CommandSpec* spec = nullptr;
  int64_t now_ms = 0;  // wall clock, read once per command
  // Native clients' typed arguments, by position (few: a request has at most a couple); empty
  // over RESP. Read them through Typed().
  std::span<const TypedArg> typed;
  // A deterministic replacement for this write in the log (plugins' LogCommandAs); empty =
  // the command as sent. Read by the dispatcher when it logs the write.
  std::vector<std::string> log_as;
  // Positions of log_as that stand for a typed value rather than their text (plugins'
  // LogArgValue: CAS logs a native client's typed new value this way).
  std::vector<LoggedTypedArg> log_as_typed;
  // Several commands standing for this write in the log, in order, instead of the command or
  // log_as, when log_effects is set (none at all when the call changed nothing worth
  // replaying): Redis's alsoPropagate, as XREADGROUP logs the XCLAIM of each entry it delivered
  // and the XGROUP SETID of the group's new position (commands/stream_read_family.cc).
  bool log_effects = false;
  std::vector<std::vector<std::string>> effects;

  // Shard locks a handler took beyond the dispatcher's (another namespace's: COPY ... DB, MOVE,
  // SWAPDB), released by the dispatcher after it has logged the write, so the log orders
  // conflicting writes as they were applied.
  std::vector<std::unique_lock<ShardMutex>> held_until_logged;

  Keyspace& db() const { return *client->ns; }
  // A keyspace notification (core/keyspace_events.h) of `event` on `key` of this namespace, in
  // class `type`, where Redis's command calls notifyKeyspaceEvent.
  void Notify(uint32_t type, std::string_view event, std::string_view key) const {
    if (keyspace_events::Wanted(type))
      keyspace_events::EmitSlow(keyspace_events::Flags().load(std::memory_order_relaxed), event,
                                key, client->ns->name());
  }
  // Logs this write as `replacement` instead of as sent: the deterministic form of a command
  // whose arguments are relative (EXPIRE 10 -> PEXPIREAT <ms>). `typed_from`: argument
  // positions whose typed value (a native client's) the replacement keeps at the same position.
  void LogAs(std::initializer_list<std::string_view> replacement,
             std::initializer_list<size_t> typed_from = {}) {
    log_as.assign(replacement.begin(), replacement.end());
    log_as_typed.clear();
    for (size_t pos : typed_from)
      if (const ScalarView* v = Typed(pos)) log_as_typed.push_back({pos, *v, std::string(v->bytes)});
  }
  // The typed value a native client sent for args[pos], or nullptr: plain bytes (RESP, CALL).
  const ScalarView* Typed(size_t pos) const {
    for (const TypedArg& t : typed)
      if (t.pos == pos) return &t.value;
    return nullptr;
  }
  // The shard holding `key`; the dispatcher already holds its lock when `key` is one of the
  // command's declared keys.
  kv::Shard& ShardFor(std::string_view key) const { return client->ns->ShardFor(key); }
};

}  // namespace kv
