// XCLAIM and XAUTOCLAIM, with Redis 7.0's replies, errors and argument order (t_stream.c).
//
// Both are logged as their effects (commands/stream_groups.h): one XCLAIM per entry claimed,
// with the delivery time and count it now has, an XACK per pending entry dropped because its
// stream entry was deleted, and an XGROUP SETID for a LASTID that moved the group when no
// XCLAIM carries it.
#include <fmt/format.h>

#include <climits>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/stream_groups.h"
#include "core/stream.h"

namespace kv {
namespace {

namespace ev = keyspace_events;
using namespace stream_cmd;

void CmdXClaim(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const std::string_view group = ctx.args[2];
  Stream* s;
  StreamGroup* g = FindGroupOrReply(ctx, key, group, &s);
  if (!g) return;
  ClaimArgs a;
  if (!ParseClaimArgsOrReply(ctx, &a)) return;
  const int64_t now = ctx.now_ms;
  const int64_t min_idle = a.min_idle, retry_count = a.retry_count;
  int64_t delivery_time = a.delivery_time;
  const bool force = a.force, justid = a.justid;
  const StreamID last_id = a.last_id;
  const std::vector<StreamID>& ids = a.ids;
  const size_t before = s->memory();
  bool changed = false;
  bool moved_last_id = false;
  if (last_id > g->last_id) {
    g->last_id = last_id;
    moved_last_id = changed = true;
  }
  // A bogus time (in the future, negative) is taken as now, as Redis does.
  if (delivery_time < 0 || delivery_time > now) delivery_time = now;
  const std::string_view name = ctx.args[3];
  StreamConsumer* consumer = nullptr;
  // Claimed entries, replied after the count.
  std::vector<StreamID> claimed;
  for (StreamID id : ids) {
    StreamPending* p = g->FindPending(id);
    if (!s->Contains(id)) {
      // The entry is gone: drop it from the PEL.
      if (p) {
        g->Ack(id);
        LogClaim(ctx, key, group, *g, id, nullptr);
        changed = true;
      }
      continue;
    }
    const bool created = force && !p;
    if (!created && !p) continue;
    if (!created && min_idle != 0 && now - p->delivery_time_ms < min_idle) continue;
    if (!consumer) {
      consumer = g->FindConsumer(name);
      if (consumer) {
        consumer->seen_time_ms = now;
      } else {
        bool made;
        consumer = &g->CreateConsumer(name, now, &made);
        ctx.Notify(ev::kStream, "xgroup-createconsumer", key);
      }
    }
    uint64_t count = created ? 1 : p->delivery_count;  // Redis's new NACK counts one delivery
    if (retry_count >= 0) {
      count = static_cast<uint64_t>(retry_count);
    } else if (!justid) {
      ++count;
    }
    if (created) {
      p = &g->AddPending(id, *consumer, delivery_time, count);
    } else {
      g->Assign(id, *p, *consumer);
      p->delivery_time_ms = delivery_time;
      p->delivery_count = count;
    }
    claimed.push_back(id);
    LogClaim(ctx, key, group, *g, id, p);
    changed = true;
  }
  // A LASTID the XCLAIMs logged above carry needs no SETID of its own.
  if (moved_last_id && claimed.empty()) LogGroupPosition(ctx, key, group, *g);
  if (changed) {
    ctx.log_effects = true;
    Changed(ctx, key, *s, before);
  }
  ctx.rb->StartArray(static_cast<uint32_t>(claimed.size()));
  for (StreamID id : claimed) {
    if (justid) {
      ctx.rb->SendBulk(id.ToString());
    } else {
      ReplyEntryById(*ctx.rb, *s, id);
    }
  }
}

void CmdXAutoClaim(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const std::string_view group = ctx.args[2];
  AutoClaimArgs a;
  if (!ParseAutoClaimArgsOrReply(ctx, &a)) return;
  constexpr int64_t kAttemptsFactor = 10;
  const int64_t min_idle = a.min_idle;
  const StreamID start = a.start;
  int64_t count = a.count;
  const bool justid = a.justid;
  Stream* s;
  StreamGroup* g = FindGroupOrReply(ctx, key, group, &s);
  if (!g) return;
  const size_t before = s->memory();
  const int64_t now = ctx.now_ms;
  const std::string_view name = ctx.args[3];
  StreamConsumer* consumer = nullptr;
  std::vector<StreamID> claimed, deleted;
  int64_t attempts = count * kAttemptsFactor;
  // `it`: the entry the next step looks at (Redis's raxNext).
  auto it = g->pel().lower_bound(start);
  while (attempts-- > 0 && count > 0 && it != g->pel().end()) {
    const StreamID id = it->first;
    ++it;
    StreamPending* p = g->FindPending(id);
    if (!s->Contains(id)) {
      g->Ack(id);
      LogClaim(ctx, key, group, *g, id, nullptr);
      deleted.push_back(id);
      --count;
      continue;
    }
    if (min_idle != 0 && now - p->delivery_time_ms < min_idle) continue;
    if (!consumer) {
      consumer = g->FindConsumer(name);
      if (consumer) {
        consumer->seen_time_ms = now;
      } else {
        bool made;
        consumer = &g->CreateConsumer(name, now, &made);
        ctx.Notify(ev::kStream, "xgroup-createconsumer", key);
      }
    }
    g->Assign(id, *p, *consumer);
    p->delivery_time_ms = now;
    if (!justid) ++p->delivery_count;
    claimed.push_back(id);
    --count;
    LogClaim(ctx, key, group, *g, id, p);
  }
  const StreamID next = it == g->pel().end() ? StreamID{} : it->first;
  if (!claimed.empty() || !deleted.empty()) Changed(ctx, key, *s, before);
  ReplyBuilder& rb = *ctx.rb;
  rb.StartArray(3);
  rb.SendBulk(next.ToString());
  rb.StartArray(static_cast<uint32_t>(claimed.size()));
  for (StreamID id : claimed) {
    if (justid) {
      rb.SendBulk(id.ToString());
    } else {
      ReplyEntryById(rb, *s, id);
    }
  }
  rb.StartArray(static_cast<uint32_t>(deleted.size()));
  for (StreamID id : deleted) rb.SendBulk(id.ToString());
}

}  // namespace

void stream_cmd::RegisterXClaim(CommandTable& t) {
  t.Register(MakeSpec("xclaim", -6, kCmdWrite | kCmdFast, kOneKey, CmdXClaim, "stream", "5.0.0",
                      "Changes, or acquires, ownership of a message in a consumer group, as if "
                      "the message was delivered a consumer group member.",
                      "key group consumer min-idle-time id [id ...] [IDLE ms] "
                      "[TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] "
                      "[LASTID lastid]"));
  t.Register(MakeSpec("xautoclaim", -6, kCmdWrite | kCmdFast, kOneKey, CmdXAutoClaim, "stream",
                      "6.2.0",
                      "Changes, or acquires, ownership of messages in a consumer group, as if "
                      "the messages were delivered to as consumer group member.",
                      "key group consumer min-idle-time start [COUNT count] [JUSTID]"));
}

}  // namespace kv
