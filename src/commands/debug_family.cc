// DEBUG: the introspection and test hooks of Redis's DEBUG that tools and test suites use
// (HELP, SLEEP, SET-ACTIVE-EXPIRE, OBJECT, LISTPACK, RELOAD, CHANGE-REPL-ID, DIGEST,
// DIGEST-VALUE), plus kv-server's
// LAZYFREE-HOLD, which parks the lazy-free thread so a test sees a free in progress. Like
// Redis 7 it is refused unless enable-debug-command allows the client. Every other Redis subcommand (the
// crash, leak and allocator hooks among them) answers Redis's unknown-subcommand error.
#include <time.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <mutex>
#include <string>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "core/object.h"
#include "commands/server_state.h"
#include "commands/tracking.h"
#include "core/config.h"
#include "core/digest.h"
#include "core/lazy_free.h"
#include "core/object.h"
#include "core/shard.h"
#include "persist/persistence.h"

namespace kv {

namespace {

constexpr std::string_view kDebugNotAllowed =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.";

// Redis's addReplySubcommandSyntaxError: the subcommand as sent, the command in upper case.
std::string SubcommandSyntaxError(std::string_view sub) {
  return fmt::format(
      "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
      sub.substr(0, 128));
}

// C's atoi and strtod, which Redis applies to these arguments: a number prefix counts, the
// rest is ignored, and no prefix reads as 0.
int AtoI(std::string_view s) { return std::atoi(std::string(s).c_str()); }
double StrToD(std::string_view s) { return std::strtod(std::string(s).c_str(), nullptr); }

void SendDebugHelp(CommandContext& ctx) {
  static constexpr const char* kHelp[] = {
      "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANGE-REPL-ID",
      "    Change the replication IDs of the instance (kv-server: accepted, no effect).",
      "DIGEST",
      "    Output a hex signature representing the current namespace content.",
      "DIGEST-VALUE <key> [<key> ...]",
      "    Output a hex signature of the values of all the specified keys.",
      "LISTPACK <key>",
      "    Show low level info about the listpack encoding of <key> (in the server log).",
      "OBJECT <key>",
      "    Show low level info about `key` and associated value.",
      "RELOAD",
      "    Save a snapshot and reload it back to memory: the data a restart from it gives.",
      "LAZYFREE-HOLD <0|1>",
      "    1 parks the background free thread: big collections dropped meanwhile wait in its",
      "    queue (INFO lazyfree_pending_objects). 0 lets it free them (kv-server).",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Setting it to 0 disables expiring keys in background when they are not",
      "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
      "    default.",
      "SLEEP <seconds>",
      "    Stop the connection's I/O thread for <seconds>. Decimals allowed.",
      "HELP",
      "    Prints this help."};
  ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
  for (const char* line : kHelp) ctx.rb->SendSimple(line);
}

// Blocks the thread of the calling connection, as Redis's blocks its only thread: the other
// clients of that I/O thread wait too, those of other threads do not.
void DebugSleep(CommandContext& ctx) {
  const double seconds = StrToD(ctx.args[2]);
  if (std::isfinite(seconds) && seconds > 0) {
    const double capped = std::min(seconds, 1e9);  // about 30 years: no overflow of time_t
    const double whole = std::floor(capped);
    timespec ts{static_cast<time_t>(whole), static_cast<long>((capped - whole) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  ctx.rb->SendOk();
}

// Looks `key` up without counting an access; the reply is sent here when it is missing.
template <typename Fn>
void WithEntryOrReply(CommandContext& ctx, Fn&& fn) {
  const std::string_view key = ctx.args[2];
  // The key is not a declared key of DEBUG (Redis declares none), so its shard is locked here.
  Shard& shard = ctx.ShardFor(key);
  std::lock_guard lock(shard.mu());
  const Entry* e = shard.Peek(key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendError(errors::kNoSuchKey);
    return;
  }
  fn(*e);
}

void DebugObject(CommandContext& ctx) {
  WithEntryOrReply(ctx, [&](const Entry& e) {
    const uint32_t now = LruClock();
    // serializedlength: the bytes of the value in a snapshot entry (its u32 length and body;
    // a list is written as its List value).
    std::string whole;
    const size_t body = IsContainer(e) ? WholeValue(e, &whole).bytes.size() : e.value_len();
    ctx.rb->SendSimple(fmt::format(
        "Value at:{} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        fmt::ptr(&e), EncodingName(e), size_t{4} + body, e.lru(),
        now >= e.lru() ? now - e.lru() : 0));
  });
}

void DebugListpack(CommandContext& ctx) {
  WithEntryOrReply(ctx, [&](const Entry& e) {
    if (EncodingName(e) != "listpack") {
      ctx.rb->SendError("ERR Not a listpack encoded object.");
      return;
    }
    // The key stays out of the log: it may hold any bytes, newlines included.
    spdlog::info("DEBUG LISTPACK from client {}: a {} in one {} block of {} bytes",
                 ctx.client->id, ObjTypeName(TypeOf(e)), EncodingName(e),
                 IsContainer(e) ? ContainerBytes(e) : e.value_len());
    ctx.rb->SendSimple("Listpack structure printed in the server log");
  });
}

// The namespace's digest (core/digest.h), shard by shard: under concurrent writes it is not
// one point in time, as KEYS is not.
void DebugDigest(CommandContext& ctx) {
  Keyspace& ks = ctx.db();
  Digest all;
  for (uint32_t i = 0; i < ks.shard_count(); ++i) {
    Shard& shard = ks.shard(i);
    std::lock_guard lock(shard.mu());
    shard.ForEachLive(ctx.now_ms, [&](const Entry* e) { all.Xor(KeyDigest(*e)); });
  }
  ctx.rb->SendSimple(all.Hex());
}

// One digest per key named, all zeros for a missing one (as Redis).
void DebugDigestValue(CommandContext& ctx) {
  const auto keys = ctx.args.subspan(2);
  ctx.rb->StartArray(static_cast<uint32_t>(keys.size()));
  for (std::string_view key : keys) {
    Shard& shard = ctx.ShardFor(key);
    std::lock_guard lock(shard.mu());
    const Entry* e = shard.Peek(key, ctx.now_ms);
    ctx.rb->SendSimple(e ? ValueDigest(*e).Hex() : Digest().Hex());
  }
}

void DebugReload(CommandContext& ctx) {
  const auto options = ctx.args.subspan(2);
  for (std::string_view opt : options) {
    if (!EqualsIgnoreCase(opt, "MERGE") && !EqualsIgnoreCase(opt, "NOFLUSH") &&
        !EqualsIgnoreCase(opt, "NOSAVE")) {
      ctx.rb->SendError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
      return;
    }
  }
  if (!options.empty()) {
    // Each loads a file other than the image of the data as it is, or beside it: with a WAL
    // that is not what any restart would give.
    ctx.rb->SendError(
        "ERR DEBUG RELOAD MERGE, NOFLUSH and NOSAVE are not supported by kv-server: it reloads "
        "a snapshot it has just taken, never an older file");
    return;
  }
  persist::Persistence* p = ctx.server->persistence;
  if (!p) {
    ctx.rb->SendError("ERR persistence is not available");
    return;
  }
  if (p->loading()) {
    // DEBUG may run while the data loads (as Redis's), but not reload half of it.
    ctx.rb->SendError(errors::kLoading);
    return;
  }
  std::string err;
  {
    tracking::Quiet quiet;
    err = p->Reload();
  }
  if (!err.empty()) {
    spdlog::warn("DEBUG RELOAD failed: {}", err);
    ctx.rb->SendError(fmt::format("ERR Error trying to save and reload the data: {}", err));
    return;
  }
  spdlog::info("DEBUG RELOAD: data reloaded from a fresh snapshot");
  tracking::Flushed();  // the data was emptied and loaded again: Redis's flush invalidation
  ctx.rb->SendOk();
}

void CmdDebug(CommandContext& ctx) {
  // Reloading, sleeping and introspecting the process are the operator's to allow, as in Redis 7.
  if (!EnableAllows(ctx.server->config.enable_debug_command.load(),
                    IsLocalClient(*ctx.client))) {
    ctx.rb->SendError(kDebugNotAllowed);
    return;
  }
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  if (EqualsIgnoreCase(sub, "HELP") && argc == 2) {
    SendDebugHelp(ctx);
  } else if (EqualsIgnoreCase(sub, "SLEEP") && argc == 3) {
    DebugSleep(ctx);
  } else if (EqualsIgnoreCase(sub, "SET-ACTIVE-EXPIRE") && argc == 3) {
    ctx.server->active_expire.store(AtoI(ctx.args[2]) != 0);
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "LAZYFREE-HOLD") && argc == 3) {
    LazyFreeHold(AtoI(ctx.args[2]) != 0);
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "OBJECT") && argc == 3) {
    DebugObject(ctx);
  } else if (EqualsIgnoreCase(sub, "LISTPACK") && argc == 3) {
    DebugListpack(ctx);
  } else if (EqualsIgnoreCase(sub, "DIGEST") && argc == 2) {
    DebugDigest(ctx);
  } else if (EqualsIgnoreCase(sub, "DIGEST-VALUE")) {
    DebugDigestValue(ctx);
  } else if (EqualsIgnoreCase(sub, "RELOAD")) {
    DebugReload(ctx);
  } else if (EqualsIgnoreCase(sub, "CHANGE-REPL-ID") && argc == 2) {
    // No replication yet, so no IDs to change; Redis's test suites call it between tests.
    ctx.rb->SendOk();
  } else {
    ctx.rb->SendError(SubcommandSyntaxError(sub));
  }
}

}  // namespace

void RegisterDebugFamily(CommandTable& t) {
  t.Register(MakeSpec("debug", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kNoKeys,
                      CmdDebug, "server", "1.0.0",
                      "A container for debugging commands (refused unless enable-debug-command "
                      "allows the client).",
                      "HELP|SLEEP|SET-ACTIVE-EXPIRE|LAZYFREE-HOLD|OBJECT|LISTPACK|RELOAD|CHANGE-REPL-ID|"
                      "DIGEST|DIGEST-VALUE "
                      "[arg ...]"));
}

}  // namespace kv
