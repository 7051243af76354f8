// Connection and server commands: PING ECHO SELECT HELLO AUTH CLIENT QUIT RESET INFO TIME. They
// read and change the caller's ClientState and the process-wide ServerState (COMMAND is in
// command_family.cc).

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kv_version.h"

#include "commands/acl_commands.h"
#include "commands/args.h"
#include "commands/blocking.h"
#include "commands/client_modes.h"
#include "commands/client_pause.h"
#include "commands/client_tracking.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/monitor.h"
#include "commands/server_state.h"
#include "commands/tracking.h"
#include "commands/transactions.h"
#include "core/config.h"
#include "core/memory.h"
#include "core/secret.h"
#include "core/shard.h"
#include "persist/persistence.h"

namespace kv {

namespace {


// ------------------------------------------------------------------------------------------
// Connection commands
// ------------------------------------------------------------------------------------------

void CmdPing(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.rb->SendError(errors::WrongArity("ping"));
    return;
  }
  if (ctx.client->pubsub.Any() && ctx.client->resp == 2) {
    // RESP2's subscribed mode: replies must look like messages, so PING answers in an array.
    ctx.rb->StartArray(2);
    ctx.rb->SendBulk("pong");
    ctx.rb->SendBulk(ctx.args.size() == 2 ? ctx.args[1] : "");
    return;
  }
  if (ctx.args.size() == 2)
    ctx.rb->SendBulk(ctx.args[1]);
  else
    ctx.rb->SendSimple("PONG");
}

void CmdEcho(CommandContext& ctx) { ctx.rb->SendBulk(ctx.args[1]); }

void CmdSelect(CommandContext& ctx) {
  const std::string_view name = ctx.args[1];
  // Redis Cluster serves database 0 only; Redis reads the index as a number first.
  if (ctx.server->cluster) {
    int64_t id = 0;
    if (!ParseIntOrReply(ctx, name, &id)) return;
    if (id != 0) {
      ctx.rb->SendError("ERR SELECT is not allowed in cluster mode");
      return;
    }
  }
  if (!Store::ValidName(name)) {
    ctx.rb->SendError(errors::kInvalidNamespace);
    return;
  }
  ctx.client->ns = ctx.server->store.Get(name);
  std::lock_guard lock(ctx.server->clients.mu());  // CLIENT LIST reads it on other threads
  ctx.client->ns_name = std::string(name);
  ctx.rb->SendOk();
}

void CmdAuth(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  if (ctx.args.size() == 2 && !ctx.server->config.has_password()) {
    ctx.rb->SendError(errors::kAuthNotSet);
    return;
  }
  const std::string_view user = ctx.args.size() == 3 ? ctx.args[1] : "default";
  if (AuthenticateOrReply(ctx, user, ctx.args.back())) ctx.rb->SendOk();
}

bool ValidClientName(std::string_view name) {
  return std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c <= '~'; });
}

void CmdHello(CommandContext& ctx) {
  int proto = ctx.client->resp;
  size_t i = 1;
  if (ctx.args.size() >= 2) {
    int64_t v;
    auto parsed = ParseInt64(ctx.args[1]);
    if (!parsed) {
      ctx.rb->SendError("ERR Protocol version is not an integer or out of range");
      return;
    }
    v = *parsed;
    if (v < 2 || v > 3) {
      ctx.rb->SendError(errors::kNoProto);
      return;
    }
    proto = static_cast<int>(v);
    i = 2;
  }
  std::string_view setname;
  bool has_setname = false;
  for (; i < ctx.args.size(); ++i) {
    const bool more = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[i], "AUTH") && i + 2 < ctx.args.size()) {
      if (!AuthenticateOrReply(ctx, ctx.args[i + 1], ctx.args[i + 2])) return;
      i += 2;
    } else if (EqualsIgnoreCase(ctx.args[i], "SETNAME") && more) {
      setname = ctx.args[++i];
      has_setname = true;
    } else {
      ctx.rb->SendError(fmt::format("ERR Syntax error in HELLO option '{}'", ctx.args[i]));
      return;
    }
  }
  if (!ctx.client->authenticated) {
    ctx.rb->SendError(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "<proto> AUTH <user> <pass> option can be used to authenticate the client and select "
        "the RESP protocol version at the same time");
    return;
  }
  if (has_setname) {
    if (!ValidClientName(setname)) {
      ctx.rb->SendError(
          "ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    std::lock_guard lock(ctx.server->clients.mu());
    ctx.client->name = std::string(setname);
  }
  ctx.client->resp = proto;
  ctx.rb->SetProtocolVersion(proto);
  // The reply already uses the new protocol, as in Redis.
  ctx.rb->StartMap(7);
  ctx.rb->SendBulk("server");
  ctx.rb->SendBulk("kv-server");
  ctx.rb->SendBulk("version");
  ctx.rb->SendBulk(kRedisCompatVersion);
  ctx.rb->SendBulk("proto");
  ctx.rb->SendLong(proto);
  ctx.rb->SendBulk("id");
  ctx.rb->SendLong(static_cast<int64_t>(ctx.client->id));
  ctx.rb->SendBulk("mode");
  ctx.rb->SendBulk(ctx.server->cluster ? "cluster" : "standalone");
  ctx.rb->SendBulk("role");
  ctx.rb->SendBulk("master");
  ctx.rb->SendBulk("modules");
  ctx.rb->StartArray(0);
}

void CmdQuit(CommandContext& ctx) {
  ctx.client->close_after_reply = true;
  ctx.rb->SendOk();
}

void CmdReset(CommandContext& ctx) {
  DiscardTransaction(*ctx.client);
  UnwatchAll(*ctx.client);
  tracking::Disable(*ctx.client);
  monitor::Remove(*ctx.client);
  // Out of subscribed mode, without an UNSUBSCRIBE reply (as Redis).
  if (ctx.client->pubsub.Any()) ctx.server->pubsub.RemoveClient(ctx.client->pubsub, ctx.client->id);
  {
    std::lock_guard lock(ctx.server->clients.mu());
    ctx.client->name.clear();
    ctx.client->ns_name.assign(1, '0');
  }
  ctx.client->resp = 2;
  ctx.client->reply_off = false;  // CLIENT REPLY OFF and a pending SKIP end; NO-EVICT stays
  ctx.client->reply_skip_next = false;
  ctx.client->asking = false;
  ctx.client->cluster_readonly = false;
  ctx.rb->SetProtocolVersion(2);
  ctx.client->ns = ctx.server->store.Get("0");
  // Back to the default user, authenticated only if it needs no password.
  auto def = ctx.server->acl.Default();
  ctx.client->authenticated = !def->RequiresAuth();
  if (ctx.client->user) {
    std::lock_guard lock(ctx.server->clients.mu());
    ctx.client->user = std::move(def);
  }
  ctx.rb->SendSimple("RESET");
}

// CLIENT LIST's flags, in Redis's order: S (a replica), M (the link to the primary), P
// (subscribed), x (in MULTI), t R B (tracking, its redirect broken, BCAST), e (NO-EVICT), T
// (NO-TOUCH), N for none.
std::string ClientFlags(const ClientState& c) {
  std::string flags;
  if (c.replica.load(std::memory_order_relaxed)) flags += 'S';
  if (c.master) flags += 'M';
  if (c.pubsub.Any()) flags += 'P';
  if (c.tx.queued_count.load(std::memory_order_relaxed) >= 0) flags += 'x';
  AppendClientTrackingFlags(c, &flags);
  AppendClientModeFlags(c, &flags);
  return flags.empty() ? "N" : flags;
}

// A client type name CLIENT LIST / KILL accept: a primary's replicas, a replica's link to its
// primary (master), subscribers (pubsub) and the others (normal).
bool ClientTypeMatches(std::string_view type, const ClientState& c, bool* known) {
  *known = IsOneOf(type, {"normal", "replica", "slave", "master", "pubsub"});
  const bool replica = c.replica.load(std::memory_order_relaxed);
  if (EqualsIgnoreCase(type, "replica") || EqualsIgnoreCase(type, "slave")) return replica;
  if (EqualsIgnoreCase(type, "master")) return c.master;
  if (EqualsIgnoreCase(type, "pubsub")) return c.pubsub.Any();
  return EqualsIgnoreCase(type, "normal") && !c.pubsub.Any() && !replica && !c.master;
}

std::string ClientLine(const ClientState& c, int64_t now_ms) {
  const std::string* cmd = c.last_cmd.load(std::memory_order_relaxed);
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} "
      "multi={} qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 "
      "tot-mem=0 events=r cmd={} user={} redir={} resp={} lib-name={} lib-ver={} "
      "io-thread={}\n",
      c.id, c.addr, c.laddr, c.fd, c.name,
      (now_ms - c.created_ms.load(std::memory_order_relaxed)) / 1000,
      (now_ms - c.last_active_ms.load(std::memory_order_relaxed)) / 1000,
      ClientFlags(c), c.ns_name, c.pubsub.n_channels.load(std::memory_order_relaxed),
      c.pubsub.n_patterns.load(std::memory_order_relaxed),
      c.pubsub.n_shard.load(std::memory_order_relaxed),
      c.tx.queued_count.load(std::memory_order_relaxed),
      cmd ? std::string_view(*cmd) : "NULL",
      c.user ? std::string_view(c.user->name()) : "default", ClientTrackingRedirect(c),
      c.resp.load(std::memory_order_relaxed), c.lib_name, c.lib_ver, c.io_thread);
}

// CLIENT KILL addr (the old form: +OK or "No such client", and a client may kill itself) or
// CLIENT KILL with ID / TYPE / ADDR / LADDR / USER / SKIPME filters (the number killed), as
// Redis 7.0. A client served by another I/O loop is closed on its own loop, right after this
// reply (its loop may finish a request already read); the caller, when it matches, after its
// reply.
void ClientKill(CommandContext& ctx) {
  const size_t argc = ctx.args.size();
  std::string_view addr, laddr, user;
  std::optional<std::string_view> type;
  uint64_t id = 0;
  bool skipme = argc != 3;
  if (argc == 3) {
    addr = ctx.args[2];
  } else {
    for (size_t i = 2; i < argc; i += 2) {
      const std::string_view opt = ctx.args[i];
      if (i + 1 >= argc) {
        ctx.rb->SendError(errors::kSyntax);
        return;
      }
      const std::string_view val = ctx.args[i + 1];
      if (EqualsIgnoreCase(opt, "ID")) {
        const auto v = ParseInt64(val);
        if (!v || *v < 1) {
          ctx.rb->SendError("ERR client-id should be greater than 0");
          return;
        }
        id = static_cast<uint64_t>(*v);
      } else if (EqualsIgnoreCase(opt, "TYPE")) {
        bool known = false;
        ClientTypeMatches(val, *ctx.client, &known);
        if (!known) {
          ctx.rb->SendError(fmt::format("ERR Unknown client type '{}'", val));
          return;
        }
        type = val;
      } else if (EqualsIgnoreCase(opt, "ADDR")) {
        addr = val;
      } else if (EqualsIgnoreCase(opt, "LADDR")) {
        laddr = val;
      } else if (EqualsIgnoreCase(opt, "USER")) {
        if (!ctx.server->acl.Get(val)) {
          ctx.rb->SendError(fmt::format("ERR No such user '{}'", val));
          return;
        }
        user = val;
      } else if (EqualsIgnoreCase(opt, "SKIPME") && IsOneOf(val, {"yes", "no"})) {
        skipme = EqualsIgnoreCase(val, "yes");
      } else {
        ctx.rb->SendError(errors::kSyntax);
        return;
      }
    }
  }
  std::vector<uint64_t> others;
  bool self = false;
  ctx.server->clients.ForEach([&](const ClientState& c) {
    bool known = false;
    if (!addr.empty() && c.addr != addr) return;
    if (!laddr.empty() && c.laddr != laddr) return;
    if (type && !ClientTypeMatches(*type, c, &known)) return;
    if (id != 0 && c.id != id) return;
    if (!user.empty() && (c.user ? std::string_view(c.user->name()) : "default") != user) return;
    if (&c == ctx.client) {
      if (!skipme) self = true;
      return;
    }
    others.push_back(c.id);
  });
  if (ctx.server->close_client_if)
    for (uint64_t other : others)
      ctx.server->close_client_if(other, "killed by CLIENT KILL",
                                  [](const ClientState&) { return true; });
  const size_t killed = others.size() + (self ? 1 : 0);
  if (argc == 3) {
    if (killed == 0) {
      ctx.rb->SendError("ERR No such client");
      return;
    }
    ctx.rb->SendSimple("OK");
  } else {
    ctx.rb->SendLong(static_cast<int64_t>(killed));
  }
  if (self) ctx.client->close_after_reply = true;
}

void CmdClient(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  ClientRegistry& reg = ctx.server->clients;
  if (EqualsIgnoreCase(sub, "ID") && argc == 2) {
    ctx.rb->SendLong(static_cast<int64_t>(ctx.client->id));
  } else if (EqualsIgnoreCase(sub, "GETNAME") && argc == 2) {
    std::lock_guard lock(reg.mu());
    if (ctx.client->name.empty())
      ctx.rb->SendNull();
    else
      ctx.rb->SendBulk(ctx.client->name);
  } else if (EqualsIgnoreCase(sub, "SETNAME") && argc == 3) {
    if (!ValidClientName(ctx.args[2])) {
      ctx.rb->SendError(
          "ERR Client names cannot contain spaces, newlines or special characters.");
      return;
    }
    std::lock_guard lock(reg.mu());
    ctx.client->name = std::string(ctx.args[2]);
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "SETINFO") && argc == 4) {
    const bool name = EqualsIgnoreCase(ctx.args[2], "LIB-NAME");
    if (!name && !EqualsIgnoreCase(ctx.args[2], "LIB-VER")) {
      ctx.rb->SendError(fmt::format("ERR Unrecognized option '{}'", ctx.args[2]));
      return;
    }
    if (!ValidClientName(ctx.args[3])) {
      ctx.rb->SendError(fmt::format(
          "ERR {} cannot contain spaces, newlines or special characters.", AsciiUpper(ctx.args[2])));
      return;
    }
    std::lock_guard lock(reg.mu());
    (name ? ctx.client->lib_name : ctx.client->lib_ver) = std::string(ctx.args[3]);
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "LIST")) {
    // Redis 7.0's forms: no filter, `TYPE t` (exactly), or `ID id [id ...]` (one line per
    // argument naming a connected client, in argument order).
    std::string out;
    const int64_t now = ctx.now_ms;
    if (argc == 4 && EqualsIgnoreCase(ctx.args[2], "TYPE")) {
      const std::string_view type = ctx.args[3];
      bool known = false;
      reg.ForEach([&](const ClientState& c) {
        if (ClientTypeMatches(type, c, &known)) out += ClientLine(c, now);
      });
      if (!known && !ClientTypeMatches(type, *ctx.client, &known)) {
        ctx.rb->SendError(fmt::format("ERR Unknown client type '{}'", type));
        return;
      }
    } else if (argc > 3 && EqualsIgnoreCase(ctx.args[2], "ID")) {
      std::vector<int64_t> ids;
      for (size_t i = 3; i < ctx.args.size(); ++i) {
        const auto id = ParseInt64(ctx.args[i]);
        if (!id) {
          ctx.rb->SendError("ERR Invalid client ID");
          return;
        }
        ids.push_back(*id);
      }
      std::vector<std::string> lines(ids.size());
      reg.ForEach([&](const ClientState& c) {
        for (size_t i = 0; i < ids.size(); ++i)
          if (static_cast<uint64_t>(ids[i]) == c.id) lines[i] = ClientLine(c, now);
      });
      for (const std::string& line : lines) out += line;
    } else if (argc != 2) {
      ctx.rb->SendError(errors::kSyntax);
      return;
    } else {
      reg.ForEach([&](const ClientState& c) { out += ClientLine(c, now); });
    }
    ctx.rb->SendVerbatim(out);
  } else if (EqualsIgnoreCase(sub, "INFO") && argc == 2) {
    std::lock_guard lock(reg.mu());
    ctx.rb->SendVerbatim(ClientLine(*ctx.client, ctx.now_ms));
  } else if (EqualsIgnoreCase(sub, "KILL") && argc >= 3) {
    ClientKill(ctx);
  } else if (EqualsIgnoreCase(sub, "HELP") && argc == 2) {
    SendHelpReply(ctx, "CLIENT",
             {"ID", "    Return the ID of the current connection.", "GETNAME",
              "    Return the name of the current connection.", "SETNAME <name>",
              "    Assign the name <name> to the current connection.",
              "SETINFO <LIB-NAME|LIB-VER> <value>", "    Set client library name or version.",
              "LIST", "    Return information about client connections.", "INFO",
              "    Return information about the current client connection.",
              "KILL <ip:port>", "    Kill connection made from <ip:port>.",
              "KILL <option> <value> [<option> <value> [...]]",
              "    Kill connections. Options are:",
              "    * ADDR (<ip:port>|<unixsocket>:0)",
              "      Kill connections made from the specified address",
              "    * LADDR (<ip:port>|<unixsocket>:0)",
              "      Kill connections made to specified local address",
              "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
              "    * USER <username>",
              "      Kill connections authenticated by <username>.",
              "    * SKIPME (YES|NO)",
              "      Skip killing current connection (default: yes).",
              "    * ID <client-id>", "      Kill connections by client id.",
              "UNPAUSE", "    Stop the current client pause, resuming traffic.",
              "PAUSE <timeout> [WRITE|ALL]",
              "    Suspend all, or just write, clients for <timeout> milliseconds.",
              "REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
              "NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
              "NO-TOUCH (ON|OFF)",
              "    Will not touch LRU/LFU stats when this mode is on.",
              "UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
              "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
              "         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
              "TRACKINGINFO", "    Report tracking status for the current connection.",
              "CACHING (YES|NO)",
              "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
              "GETREDIR",
              "    Return the client ID we are redirecting to when tracking is enabled."});
  } else if (RunClientModeCommand(ctx) || RunClientPauseCommand(ctx) ||
             RunClientUnblockCommand(ctx) || RunClientTrackingCommand(ctx)) {
  } else if (IsOneOf(sub, {"ID", "GETNAME", "SETNAME", "SETINFO", "LIST", "INFO", "HELP",
                           "KILL"})) {
    ctx.rb->SendError(errors::WrongArity(fmt::format("client|{}", AsciiLower(sub))));
  } else {
    ctx.rb->SendError(errors::UnknownSubcommand("client", sub));
  }
}

// ------------------------------------------------------------------------------------------
// TIME
// ------------------------------------------------------------------------------------------

void CmdTime(CommandContext& ctx) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ctx.rb->StartArray(2);
  ctx.rb->SendBulk(std::to_string(ts.tv_sec));
  ctx.rb->SendBulk(std::to_string(ts.tv_nsec / 1000));
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, CommandHandler h,
                 std::string group, std::string summary, std::string syntax = "") {
  return MakeSpec(std::move(name), arity, flags, kNoKeys, h, std::move(group), "1.0.0",
                  std::move(summary), std::move(syntax));
}

}  // namespace

std::string ClientInfoLine(const ClientState& c, int64_t now_ms) {
  std::string line = ClientLine(c, now_ms);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

void RegisterServerFamily(CommandTable& t) {
  constexpr uint32_t kConn = kCmdNoScript | kCmdLoading | kCmdStale | kCmdFast;
  t.Register(Spec("ping", -1, kCmdFast | kCmdLoading, CmdPing, "connection", "Returns the server's liveliness "
                  "response.", "[message]"));
  t.Register(Spec("echo", 2, kCmdFast | kCmdLoading | kCmdStale, CmdEcho, "connection", "Returns the given string.",
                  "message"));
  t.Register(Spec("select", 2, kConn, CmdSelect, "connection",
                  "Changes the selected namespace (a Redis database).", "index-or-name"));
  t.Register(Spec("hello", -1, kConn | kCmdNoAuth, CmdHello, "connection",
                  "Handshakes with the server.",
                  "[protover [AUTH username password] [SETNAME clientname]]"));
  t.Register(Spec("auth", -2, kConn | kCmdNoAuth, CmdAuth, "connection",
                  "Authenticates the connection.", "[username] password"));
  // SETINFO and NO-TOUCH are Redis 7.2's (with 7.2's arities).
  constexpr uint32_t kClientAdmin = kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale;
  CommandSpec client = Spec("client", -2, kCmdNoScript | kCmdLoading | kCmdStale, CmdClient,
                            "connection", "A container for client connection commands.",
                            "ID|GETNAME|SETNAME|SETINFO|LIST|INFO|KILL|PAUSE|UNPAUSE|REPLY|"
                            "NO-EVICT|NO-TOUCH|UNBLOCK|TRACKING|CACHING|GETREDIR|TRACKINGINFO|"
                            "HELP [arg ...]");
  client.since = "2.4.0";
  t.Register(WithSubcommands(
      std::move(client),
      {{"id", 2, "5.0.0", "Returns the client ID for the current connection"},
       {"getname", 2, "2.6.9", "Get the current connection name"},
       {"setname", 3, "2.6.9", "Set the current connection name"},
       {"setinfo", 4, "7.2.0", "Set client or connection specific info"},
       {"list", -2, "", "Get the list of client connections", kClientAdmin},
       {"info", 2, "6.2.0", "Returns information about the current client connection."},
       {"kill", -3, "", "Kill the connection of a client", kClientAdmin},
       {"pause", -3, "2.9.50", "Stop processing commands from clients for some time",
        kClientAdmin},
       {"unpause", 2, "6.2.0", "Resume processing of clients that were paused", kClientAdmin},
       {"reply", 3, "3.2.0", "Instruct the server whether to reply to commands"},
       {"no-evict", 3, "7.0.0", "Set client eviction mode for the current connection",
        kClientAdmin},
       {"no-touch", 3, "7.2.0",
        "Controls whether commands sent by the client will alter the LRU/LFU of the keys they "
        "access"},
       {"unblock", -3, "5.0.0",
        "Unblock a client blocked in a blocking command from a different connection",
        kClientAdmin},
       {"tracking", -3, "6.0.0", "Enable or disable server assisted client side caching support"},
       {"caching", 3, "6.0.0", "Instruct the server about tracking or not keys in the next request"},
       {"getredir", 2, "6.0.0", "Get tracking notifications redirection client ID if any"},
       {"trackinginfo", 2, "6.2.0",
        "Return information about server assisted client side caching for the current "
        "connection"},
       HelpSubcommand("5.0.0")},
      {.sub_categories = acl::kConnection}));
  t.Register(Spec("quit", -1, kConn | kCmdNoAuth | kCmdNoQueue, CmdQuit, "connection",
                  "Closes the connection."));
  t.Register(Spec("reset", 1, kConn | kCmdNoAuth | kCmdNoQueue, CmdReset, "connection",
                  "Resets the connection."));
  RegisterInfo(t);
  t.Register(Spec("time", 1, kCmdLoading | kCmdStale | kCmdFast, CmdTime, "server",
                  "Returns the server time."));
}

}  // namespace kv
