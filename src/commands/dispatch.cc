#include "commands/dispatch.h"

#include <time.h>

#include <mutex>
#include <vector>

#include "commands/errors.h"
#include "core/eviction.h"
#include "core/utf8.h"

namespace kv {

namespace {
constexpr size_t kMaxStrictKeyChars = 256;
constexpr std::string_view kInvalidKey =
    "ERR invalid key: keys must be valid UTF-8 of at most 256 characters (see --strict-keys)";
}  // namespace

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

std::string_view Dispatcher::CheckKey(std::string_view key) const {
  if (!server_.config.strict_keys.load(std::memory_order_relaxed)) return {};
  // A UTF-8 character is at most 4 bytes: longer keys cannot pass, skip the scan.
  if (key.size() > kMaxStrictKeyChars * 4) return kInvalidKey;
  const ptrdiff_t chars = Utf8Length(key);
  if (chars < 0 || static_cast<size_t>(chars) > kMaxStrictKeyChars) return kInvalidKey;
  return {};
}

void Dispatcher::Execute(ClientState& client, std::span<const std::string_view> args,
                         ReplyBuilder& rb, std::span<const TypedArg> typed) {
  // Every error reply counts, whether the dispatcher or a handler sent it.
  struct ErrorCounter {
    ReplyBuilder& rb;
    std::atomic<uint64_t>& total;
    const uint64_t before = rb.error_count();
    ~ErrorCounter() {
      if (rb.error_count() != before)
        total.fetch_add(rb.error_count() - before, std::memory_order_relaxed);
    }
  } counter{rb, server_.stats.total_errors};
  const CommandSpec* spec = server_.commands.Find(args[0]);
  if (!spec) {
    rb.SendError(errors::UnknownCommand(args[0], args.subspan(1)));
    return;
  }
  if (!client.authenticated && !spec->has(kCmdNoAuth)) {
    rb.SendError(errors::kNoAuth);
    return;
  }
  const long argc = static_cast<long>(args.size());
  if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
    rb.SendError(errors::WrongArity(spec->name));
    return;
  }

  thread_local std::vector<size_t> positions;
  spec->KeyPositions(args.size(), &positions);
  for (size_t pos : positions) {
    std::string_view err = CheckKey(args[pos]);
    if (!err.empty()) {
      rb.SendError(err);
      return;
    }
  }

  const int64_t now = NowMs();
  Config& cfg = server_.config;
  if (spec->has(kCmdDenyOom)) {
    const int64_t maxmemory = cfg.maxmemory.load(std::memory_order_relaxed);
    if (maxmemory > 0 &&
        !FreeMemoryIfNeeded(server_.store, maxmemory, cfg.maxmemory_policy.load(),
                            cfg.maxmemory_samples.load(), now)) {
      rb.SendError(errors::kOom);
      return;
    }
  }

  CommandContext ctx;
  ctx.args = args;
  ctx.rb = &rb;
  ctx.client = &client;
  ctx.server = &server_;
  ctx.spec = spec;
  ctx.now_ms = now;
  ctx.typed = typed;
  server_.stats.total_commands.fetch_add(1, std::memory_order_relaxed);
  client.last_cmd.store(spec, std::memory_order_relaxed);

  Keyspace& ks = *client.ns;
  if (positions.empty()) {
    spec->handler(ctx);
  } else if (positions.size() == 1) {
    std::lock_guard lock(ks.ShardFor(args[positions[0]]).mu());
    spec->handler(ctx);
  } else {
    std::vector<uint32_t> shards;
    shards.reserve(positions.size());
    for (size_t pos : positions) shards.push_back(ks.ShardIndex(args[pos]));
    ShardLocks locks(&ks, std::move(shards));
    spec->handler(ctx);
  }
}

}  // namespace kv
