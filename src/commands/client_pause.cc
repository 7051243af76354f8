#include "commands/client_pause.h"

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "commands/args.h"
#include "commands/errors.h"
#include "commands/server_state.h"
#include "commands/transactions.h"
#include "core/shard.h"

namespace kv {

namespace {

// Redis 7.0's CMD_MAY_REPLICATE commands kv-server has: not writes, but a WRITE pause holds them.
bool WritesOrReplicates(uint32_t call_flags) {
  return (call_flags & (kCmdWrite | kCmdMayReplicate)) != 0;
}

}  // namespace

bool ClientPause::Holds(const CommandSpec* spec, std::span<const std::string_view> args,
                        const ClientState& client, int64_t now_ms) {
  const int type = type_.load(std::memory_order_relaxed);
  if (type == kNone || spec == nullptr) return false;
  if (now_ms >= end_ms_.load(std::memory_order_relaxed)) {
    // Over by time: each held connection's own timer has woken it (or is about to).
    std::lock_guard lock(mu_);
    if (now_ms >= end_ms_.load(std::memory_order_relaxed)) {
      type_.store(kNone, std::memory_order_relaxed);
      held_.clear();
    }
    return false;
  }
  if (type == kAll) return true;
  if (WritesOrReplicates(spec->CallFlags(args))) return true;
  // EXEC counts as what its queue holds (Redis's mstate.cmd_flags).
  if (spec->handler == ExecHandler())
    return std::any_of(client.tx.queued.begin(), client.tx.queued.end(),
                       [](const QueuedCommand& q) { return WritesOrReplicates(q.CallFlags()); });
  return false;
}

void ClientPause::Pause(int64_t end_ms, Type type) {
  std::lock_guard lock(mu_);
  const int now_type = type_.load(std::memory_order_relaxed);
  if (now_type == kNone) end_ms_.store(0, std::memory_order_relaxed);
  if (type > now_type) type_.store(type, std::memory_order_relaxed);
  if (end_ms > end_ms_.load(std::memory_order_relaxed))
    end_ms_.store(end_ms, std::memory_order_relaxed);
  g_expiry_paused_until_ms.store(end_ms_.load(std::memory_order_relaxed),
                                 std::memory_order_relaxed);
}

void ClientPause::Unpause() {
  std::vector<std::pair<int, uint64_t>> held;
  {
    std::lock_guard lock(mu_);
    type_.store(kNone, std::memory_order_relaxed);
    end_ms_.store(0, std::memory_order_relaxed);
    g_expiry_paused_until_ms.store(0, std::memory_order_relaxed);
    held.swap(held_);
  }
  if (wake)
    for (const auto& [thread, id] : held) wake(thread, id);
}

bool ClientPause::AddHeld(int io_thread, uint64_t conn_id) {
  std::lock_guard lock(mu_);
  if (type_.load(std::memory_order_relaxed) == kNone) return false;
  held_.emplace_back(io_thread, conn_id);
  return true;
}

bool RunClientPauseCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  ClientPause& pause = ctx.server->pause;
  if (EqualsIgnoreCase(sub, "unpause")) {
    if (argc != 2) {
      ctx.rb->SendError(errors::WrongArity("client|unpause"));
      return true;
    }
    pause.Unpause();
    ctx.rb->SendOk();
    return true;
  }
  if (!EqualsIgnoreCase(sub, "pause")) return false;
  if (argc < 3) {
    ctx.rb->SendError(errors::WrongArity("client|pause"));
    return true;
  }
  if (argc > 4) {
    ctx.rb->SendError(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.", sub));
    return true;
  }
  ClientPause::Type type = ClientPause::kAll;
  if (argc == 4) {
    if (EqualsIgnoreCase(ctx.args[3], "write")) {
      type = ClientPause::kWrite;
    } else if (!EqualsIgnoreCase(ctx.args[3], "all")) {
      ctx.rb->SendError("ERR CLIENT PAUSE mode must be WRITE or ALL");
      return true;
    }
  }
  const auto timeout = ParseInt64(ctx.args[2]);
  if (!timeout) {
    ctx.rb->SendError("ERR timeout is not an integer or out of range");
    return true;
  }
  if (*timeout < 0) {
    ctx.rb->SendError("ERR timeout is negative");
    return true;
  }
  // Redis 7.0 adds the timeout to the clock unchecked: a sum past the range wraps into the
  // past, and the pause is over at once. So it is here, without the overflow.
  if (*timeout <= LLONG_MAX - ctx.now_ms) pause.Pause(ctx.now_ms + *timeout, type);
  ctx.rb->SendOk();
  return true;
}

}  // namespace kv
