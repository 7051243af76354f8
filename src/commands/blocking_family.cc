// Blocking pops: BLPOP BRPOP BRPOPLPUSH BLMOVE BLMPOP BZPOPMIN BZPOPMAX BZMPOP, with Redis
// 7.0's replies, errors and argument order.
//
// A blocking pop is its non-blocking form as soon as a key it names can serve it: the pop runs
// through that command's own handler (LPOP, LMOVE, LMPOP, ZMPOP...) and is logged as it, so the
// WAL never holds a command that could wait and replay never blocks. Otherwise the client
// queues on every key it names (commands/blocking.h, first come first served) and the session
// keeps its request; the request runs again when a push makes one of the keys ready, and
// answers nil at its deadline. Inside MULTI or a script it answers nil at once: the batch runs
// it as already timed out, as Redis does, and so does a script BLMPOP and BZMPOP (the others
// are refused in scripts, as by Redis 7.0).
#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/blocking.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "commands/zset_family.h"
#include "core/ascii.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {
namespace {

// Redis's getTimeoutFromObjectOrReply in seconds: strtold of the whole argument, times 1000,
// rounded up. Junk or NaN is "not a float"; below zero "negative", and so is anything past
// int64 milliseconds (inf, 1e300), as Redis's cast turns those negative. 0: wait forever, and
// so does a tiny negative such as -0.0001, which rounds up to 0.
bool ParseTimeoutOrReply(CommandContext& ctx, std::string_view arg, int64_t* ms) {
  char buf[256];
  const bool fits = !arg.empty() && arg.size() < sizeof buf &&
                    !std::isspace(static_cast<unsigned char>(arg[0]));
  long double v = 0;
  bool ok = false;
  if (fits) {
    std::memcpy(buf, arg.data(), arg.size());
    buf[arg.size()] = '\0';
    char* end = nullptr;
    errno = 0;
    v = std::strtold(buf, &end);
    ok = end == buf + arg.size() && errno != ERANGE && !std::isnan(v);
  }
  if (!ok) {
    ctx.rb->SendError("ERR timeout is not a float or out of range");
    return false;
  }
  v = std::ceil(v * 1000.0L);
  if (v < 0 || !(v < 9223372036854775807.0L)) {
    ctx.rb->SendError("ERR timeout is negative");
    return false;
  }
  *ms = static_cast<int64_t>(v);
  return true;
}

// The first of the keys at `positions` that holds a `type` this client may take from now (no
// other client queued ahead of it there). On the request's first run a key of another type is
// answered WRONGTYPE (*replied), as Redis checks before it blocks; once the client waits, such
// a key is passed over: a waiter keeps waiting when its key changes type.
Entry* FirstReady(CommandContext& ctx, std::span<const size_t> positions, ObjType type,
                  std::string_view* key, bool* replied) {
  *replied = false;
  const bool waiting = !ctx.client->blocked_keys.empty();
  for (size_t pos : positions) {
    const std::string_view k = ctx.args[pos];
    Shard& shard = ctx.ShardFor(k);
    Entry* e = shard.Find(k, ctx.now_ms);
    if (!e) continue;
    if (TypeOf(*e) != type) {
      if (waiting) continue;
      ctx.rb->SendError(errors::kWrongType);
      *replied = true;
      return nullptr;
    }
    if (!blocking::MayServe(shard, k, type, *ctx.client)) continue;
    *key = k;
    return e;
  }
  return nullptr;
}

constexpr uint8_t kUnblockTimeout = 1;
constexpr uint8_t kUnblockError = 2;

// Nothing to take: queue on every key and keep the request, or, at the deadline (and always
// inside MULTI or a script), leave the queues and answer nil. A client that really blocked gets
// a nil array whatever the command, as Redis 7.0 answers every timed-out list or zset wait
// (BLMOVE and BRPOPLPUSH included); `null_array` is the command's own nil when it did not block.
void WaitOrTimeOut(CommandContext& ctx, std::span<const size_t> positions, ObjType type,
                   int64_t timeout_ms, bool null_array) {
  ClientState& client = *ctx.client;
  if (client.block_deadline_ms != 0) null_array = true;
  const uint8_t unblock = client.unblock.exchange(0, std::memory_order_relaxed);
  if (unblock == kUnblockError) {
    blocking::Release(client);
    ctx.rb->SendError("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    return;
  }
  if (client.block_timed_out || unblock == kUnblockTimeout) {
    blocking::Release(client);
    null_array ? ctx.rb->SendNullArray() : ctx.rb->SendNull();
    return;
  }
  for (size_t pos : positions) blocking::Wait(ctx.ShardFor(ctx.args[pos]), ctx.args[pos], type, client);
  blocking::Block(client, ctx.now_ms, timeout_ms);
}

// Runs `argv` (a non-blocking command on keys this command declared, so their shards are
// locked) through its own handler, replying through ctx, and logs this command as it.
void RunAs(CommandContext& ctx, std::vector<std::string_view> argv) {
  const CommandSpec* spec = ctx.server->commands.Find(argv[0]);
  CommandContext sub;
  sub.args = argv;
  sub.rb = ctx.rb;
  sub.client = ctx.client;
  sub.server = ctx.server;
  sub.spec = spec;
  sub.now_ms = ctx.now_ms;
  spec->handler(sub);
  ctx.log_as.assign(argv.begin(), argv.end());
  ctx.log_as_typed.clear();
}

// The positions args[first, first + n).
std::vector<size_t> Positions(size_t first, size_t n) {
  std::vector<size_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = first + i;
  return out;
}

// BLPOP / BRPOP key [key ...] timeout: [key, element] from the first non-empty list.
void PopGeneric(CommandContext& ctx, bool left) {
  int64_t timeout_ms;
  if (!ParseTimeoutOrReply(ctx, ctx.args.back(), &timeout_ms)) return;
  const std::vector<size_t> keys = Positions(1, ctx.args.size() - 2);
  std::string_view key;
  bool replied;
  if (FirstReady(ctx, keys, ObjType::kList, &key, &replied)) {
    ctx.rb->StartArray(2);
    ctx.rb->SendBulk(key);
    RunAs(ctx, {left ? "lpop" : "rpop", key});
    blocking::Release(*ctx.client);
    return;
  }
  if (!replied) WaitOrTimeOut(ctx, keys, ObjType::kList, timeout_ms, true);
}

void CmdBLPop(CommandContext& ctx) { PopGeneric(ctx, true); }
void CmdBRPop(CommandContext& ctx) { PopGeneric(ctx, false); }

// BLMOVE / BRPOPLPUSH: `move` is the LMOVE (or RPOPLPUSH) to run once the source has elements.
void MoveGeneric(CommandContext& ctx, std::string_view timeout,
                 std::vector<std::string_view> move) {
  int64_t timeout_ms;
  if (!ParseTimeoutOrReply(ctx, timeout, &timeout_ms)) return;
  const size_t src[] = {1};
  std::string_view key;
  bool replied;
  if (FirstReady(ctx, src, ObjType::kList, &key, &replied)) {
    RunAs(ctx, std::move(move));
    blocking::Release(*ctx.client);
    return;
  }
  if (!replied) WaitOrTimeOut(ctx, src, ObjType::kList, timeout_ms, false);
}

void CmdBRPopLPush(CommandContext& ctx) {
  MoveGeneric(ctx, ctx.args[3], {"rpoplpush", ctx.args[1], ctx.args[2]});
}

void CmdBLMove(CommandContext& ctx) {
  for (size_t i : {3, 4})
    if (!EqualsIgnoreCase(ctx.args[i], "LEFT") && !EqualsIgnoreCase(ctx.args[i], "RIGHT")) {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  MoveGeneric(ctx, ctx.args[5], {"lmove", ctx.args[1], ctx.args[2], ctx.args[3], ctx.args[4]});
}

// BLMPOP / BZMPOP timeout numkeys key [key ...] <side> [COUNT count]: LMPOP's and ZMPOP's
// checks first, in Redis's order, then the timeout; served by LMPOP / ZMPOP on the one key.
void MPopGeneric(CommandContext& ctx, std::string_view mpop, std::string_view side_a,
                 std::string_view side_b, ObjType type) {
  MPopArgs m;
  if (!ParseMPopOrReply(ctx, 2, side_a, side_b, &m)) return;
  int64_t timeout_ms;
  if (!ParseTimeoutOrReply(ctx, ctx.args[1], &timeout_ms)) return;
  const std::vector<size_t> keys = Positions(m.first_key, m.numkeys);
  std::string_view key;
  bool replied;
  if (FirstReady(ctx, keys, type, &key, &replied)) {
    const std::string count = std::to_string(m.count);
    RunAs(ctx, {mpop, "1", key, ctx.args[m.side_idx], "COUNT", count});
    blocking::Release(*ctx.client);
    return;
  }
  if (!replied) WaitOrTimeOut(ctx, keys, type, timeout_ms, true);
}

void CmdBLMPop(CommandContext& ctx) { MPopGeneric(ctx, "lmpop", "LEFT", "RIGHT", ObjType::kList); }
void CmdBZMPop(CommandContext& ctx) { MPopGeneric(ctx, "zmpop", "MIN", "MAX", ObjType::kZSet); }

// BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score].
void ZPopGeneric(CommandContext& ctx, bool max) {
  int64_t timeout_ms;
  if (!ParseTimeoutOrReply(ctx, ctx.args.back(), &timeout_ms)) return;
  const std::vector<size_t> keys = Positions(1, ctx.args.size() - 2);
  std::string_view key;
  bool replied;
  if (Entry* e = FirstReady(ctx, keys, ObjType::kZSet, &key, &replied)) {
    ZPopOneWithKey(ctx, key, e, max);
    ctx.LogAs({max ? "zpopmax" : "zpopmin", key});
    blocking::Release(*ctx.client);
    return;
  }
  if (!replied) WaitOrTimeOut(ctx, keys, ObjType::kZSet, timeout_ms, true);
}

void CmdBZPopMin(CommandContext& ctx) { ZPopGeneric(ctx, false); }
void CmdBZPopMax(CommandContext& ctx) { ZPopGeneric(ctx, true); }

// find_keys of BLMPOP / BZMPOP: numkeys at args[2].
void NumKeysAt2(std::span<const std::string_view> args, std::vector<size_t>* out) {
  NumKeysAt(args, 2, out);
}

constexpr KeyRange kKeysThenTimeout{1, -2, 1};

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string group, std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags | kCmdBlocking, keys, h, std::move(group),
                  std::move(since), std::move(summary), std::move(syntax));
}

}  // namespace

bool RunClientUnblockCommand(CommandContext& ctx) {
  if (!EqualsIgnoreCase(ctx.args[1], "UNBLOCK")) return false;
  const size_t argc = ctx.args.size();
  if (argc < 3) {
    ctx.rb->SendError(errors::WrongArity("client|unblock"));
    return true;
  }
  if (argc > 4) {
    ctx.rb->SendError(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
        ctx.args[1]));
    return true;
  }
  int64_t id;
  if (!ParseIntOrReply(ctx, ctx.args[2], &id)) return true;
  uint8_t mode = kUnblockTimeout;
  if (argc == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "ERROR")) {
      mode = kUnblockError;
    } else if (!EqualsIgnoreCase(ctx.args[3], "TIMEOUT")) {
      ctx.rb->SendError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
      return true;
    }
  }
  // Only a client waiting in a blocking pop: a plugin's waiter is the plugin's to answer.
  int loop = -1;
  ctx.server->clients.ForEach([&](const ClientState& c) {
    if (c.id != static_cast<uint64_t>(id) ||
        c.blocked_owner.load(std::memory_order_relaxed) != &blocking::kKeysOwner)
      return;
    const_cast<ClientState&>(c).unblock.store(mode, std::memory_order_relaxed);
    loop = c.io_thread;
  });
  if (loop >= 0) blocking::Wake(loop, static_cast<uint64_t>(id));
  ctx.rb->SendLong(loop >= 0 ? 1 : 0);
  return true;
}

void RegisterBlockingFamily(CommandTable& t) {
  // As Redis 7.0: refused in scripts, but BLMPOP and BZMPOP, which a script runs as LMPOP and
  // ZMPOP.
  constexpr uint32_t kWrite = kCmdWrite | kCmdNoScript;
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom | kCmdNoScript;
  t.Register(Spec("blpop", -3, kWrite, kKeysThenTimeout, CmdBLPop, "list", "2.0.0",
                  "Remove and get the first element in a list, or block until one is available",
                  "key [key ...] timeout"));
  t.Register(Spec("brpop", -3, kWrite, kKeysThenTimeout, CmdBRPop, "list", "2.0.0",
                  "Remove and get the last element in a list, or block until one is available",
                  "key [key ...] timeout"));
  t.Register(Spec("brpoplpush", 4, kGrow, kTwoKeys, CmdBRPopLPush, "list", "2.2.0",
                  "Pop an element from a list, push it to another list and return it; or block "
                  "until one is available",
                  "source destination timeout"));
  t.Register(Spec("blmove", 6, kGrow, kTwoKeys, CmdBLMove, "list", "6.2.0",
                  "Pop an element from a list, push it to another list and return it; or block "
                  "until one is available",
                  "source destination LEFT|RIGHT LEFT|RIGHT timeout"));
  CommandSpec blmpop = Spec("blmpop", -5, kCmdWrite, kNoKeys, CmdBLMPop, "list", "7.0.0",
                            "Pop elements from a list, or block until one is available",
                            "timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]");
  blmpop.find_keys = NumKeysAt2;
  t.Register(std::move(blmpop));
  t.Register(Spec("bzpopmin", -3, kWrite | kCmdFast, kKeysThenTimeout, CmdBZPopMin, "sorted_set",
                  "5.0.0",
                  "Remove and return the member with the lowest score from one or more sorted "
                  "sets, or block until one is available",
                  "key [key ...] timeout"));
  t.Register(Spec("bzpopmax", -3, kWrite | kCmdFast, kKeysThenTimeout, CmdBZPopMax, "sorted_set",
                  "5.0.0",
                  "Remove and return the member with the highest score from one or more sorted "
                  "sets, or block until one is available",
                  "key [key ...] timeout"));
  CommandSpec bzmpop = Spec("bzmpop", -5, kCmdWrite, kNoKeys, CmdBZMPop, "sorted_set", "7.0.0",
                            "Remove and return members with scores in a sorted set or block until "
                            "one is available",
                            "timeout numkeys key [key ...] MIN|MAX [COUNT count]");
  bzmpop.find_keys = NumKeysAt2;
  t.Register(std::move(bzmpop));
}

}  // namespace kv
