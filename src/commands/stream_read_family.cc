// XREAD and XREADGROUP, with Redis 7.0's replies, errors and argument order (t_stream.c
// xreadCommand, blocked.c serveClientsBlockedOnStreamKey), BLOCK included.
//
// Logging: XREADGROUP changes its group, and is logged as those changes (stream_groups.h), as
// Redis propagates it: an XGROUP CREATECONSUMER for a consumer it created, one XCLAIM per entry
// it delivered (TIME now, RETRYCOUNT 1; FORCE creates the pending entry on replay; LASTID the
// group's new last ID) or, for a history read, per pending entry it delivered again (its new
// time and count), then XGROUP SETID ... ENTRIESREAD with the group's new position. NOACK logs
// only the SETID; a read that delivers nothing logs nothing. Replay thus rebuilds the same
// pending lists whatever the clock or the order of other clients' reads.
//
// Blocking: a read that finds nothing waits on its keys through WATCH's registrations
// (commands/blocking.h WaitOnKeyChanges), so any change to a key (XADD on any I/O thread, DEL,
// XGROUP DESTROY) runs the request again; "$" keeps the ID its first run resolved. XREADGROUP
// ">" readers of one group also queue, per key and group, in the order they blocked
// (blocking::Wait): only the first of the queue may take new entries, and it wakes the next
// when it leaves, so one new entry goes to one consumer, first blocked first served. Inside
// MULTI a blocking read answers at once, as at its timeout; a script's BLOCK is refused, as by
// Redis 7.0.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/blocking.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/scripting.h"
#include "commands/stream_groups.h"
#include "core/object.h"
#include "core/shard.h"
#include "core/stream.h"

namespace kv {
namespace {

namespace ev = keyspace_events;

// Redis's XREAD_BLOCKED_DEFAULT_COUNT: a woken reader without COUNT takes at most this many.
constexpr int64_t kBlockedDefaultCount = 1000;

// The positions of XREAD's / XREADGROUP's keys: after STREAMS, half of what follows (the first
// half of an odd count, as Redis's key spec finds them; the handler refuses the call).
void ReadKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (!EqualsIgnoreCase(args[i], "STREAMS")) {
      // BLOCK, COUNT and GROUP take values that could read "STREAMS".
      if (EqualsIgnoreCase(args[i], "BLOCK") || EqualsIgnoreCase(args[i], "COUNT")) ++i;
      else if (EqualsIgnoreCase(args[i], "GROUP")) i += 2;
      continue;
    }
    const size_t rest = args.size() - i - 1;
    for (size_t k = 0; k < rest / 2; ++k) out->push_back(i + 1 + k);
    return;
  }
}

// The queue of ">" readers of `group` on `key` (blocking::Wait's key).
std::string GroupQueue(std::string_view key, std::string_view group) {
  std::string q(key);
  q.push_back('\0');
  q.append(group);
  return q;
}

constexpr StreamID kNewEntries = StreamID::Max();  // ">"

// What one key of the read will serve.
struct Serve {
  size_t i;          // the key's index
  Stream* s;
  StreamGroup* g;    // XREADGROUP
  StreamID after;    // entries above this one
  bool history;      // XREADGROUP with an ID: the consumer's pending entries
  // New entries: the walk from `after`, standing on the first entry to send.
  std::optional<StreamIterator> it;
};

// A walk standing on the first live entry above `after`, if there is one: Redis serves a key
// when its last valid ID is above the one asked for, and the walk that finds out is the one
// that replies.
std::optional<StreamIterator> FirstAfter(const Stream& s, StreamID after) {
  // The last ID is at or above every entry's (XSETID never moves it below a live one): an
  // idle reader costs no walk.
  if (s.length() == 0 || s.last_id() <= after || !after.Incr()) return std::nullopt;
  std::optional<StreamIterator> it(std::in_place, s, after, StreamID::Max(), false);
  if (!it->Next()) it.reset();
  return it;
}

// Delivers new entries of the stream to the consumer (XREADGROUP ">"): replies them and logs
// the delivery.
void ServeNew(CommandContext& ctx, const stream_cmd::ReadArgs& a, Serve& sv, StreamConsumer& c,
              int64_t count) {
  std::string_view key = ctx.args[a.streams_arg + sv.i];
  ReplyBuilder& rb = *ctx.rb;
  // Delivering changes the group only, never the stream's nodes: the walk stays valid.
  StreamIterator& it = *sv.it;
  const size_t header = rb.StartDeferredArray();
  uint32_t n = 0;
  do {
    const StreamID id = it.id();
    sv.s->AdvanceGroup(*sv.g, id);
    if (!a.noack) {
      const StreamPending& p = sv.g->DeliverNew(id, c, ctx.now_ms);
      stream_cmd::LogClaim(ctx, key, a.group, *sv.g, id, &p);
    }
    stream_cmd::ReplyEntry(rb, it);
    ++n;
  } while ((count == 0 || n < count) && it.Next());
  rb.EndDeferredArray(header, n);
  stream_cmd::LogGroupPosition(ctx, key, a.group, *sv.g);
}

// Delivers the consumer's pending entries above `after` again (XREADGROUP with an ID).
void ServeHistory(CommandContext& ctx, const stream_cmd::ReadArgs& a, const Serve& sv, StreamConsumer& c) {
  std::string_view key = ctx.args[a.streams_arg + sv.i];
  StreamID start = sv.after;
  start.Incr();
  ReplyBuilder& rb = *ctx.rb;
  const size_t header = rb.StartDeferredArray();
  uint32_t n = 0;
  // Counting a delivery changes a pending entry, not the consumer's map: its walk stays valid.
  for (auto it = c.pel.lower_bound(start);
       it != c.pel.end() && (a.count == 0 || n < a.count); ++it, ++n) {
    const StreamID id = it->first;
    if (!stream_cmd::ReplyEntryById(rb, *sv.s, id)) {
      // Pending, but deleted from the stream since: the ID with no fields, as Redis.
      rb.StartArray(2);
      rb.SendBulk(id.ToString());
      rb.SendNullArray();
      continue;
    }
    StreamPending* p = it->second;
    p->delivery_time_ms = ctx.now_ms;
    ++p->delivery_count;
    stream_cmd::LogClaim(ctx, key, a.group, *sv.g, id, p);
  }
  rb.EndDeferredArray(header, n);
}

constexpr uint8_t kUnblockTimeout = 1;
constexpr uint8_t kUnblockError = 2;

// Leaves the wait the client was in (queues, key watches, kept IDs).
void StopWaiting(ClientState& client) {
  blocking::Release(client);
  client.blocked_stream_ids.clear();
}

void CmdXRead(CommandContext& ctx) {
  stream_cmd::ReadArgs a;
  if (!stream_cmd::ParseReadArgsOrReply(ctx, InScriptCall(), &a)) return;
  ClientState& client = *ctx.client;
  // A re-run of a blocked read (woken, or at its deadline).
  const bool rerun = client.block_deadline_ms != 0 && a.timeout_ms != -1;
  std::vector<StreamID> ids(a.n);
  std::vector<StreamGroup*> groups(a.n, nullptr);
  std::vector<Stream*> streams(a.n, nullptr);
  for (size_t i = 0; i < a.n; ++i) {
    const std::string_view key = ctx.args[a.streams_arg + i];
    const std::string_view arg = ctx.args[a.streams_arg + a.n + i];
    bool wrong;
    Stream* s = stream_cmd::Find(ctx, key, &wrong);
    if (rerun && a.group_read && (wrong || !s)) {
      StopWaiting(client);
      ctx.rb->SendError("UNBLOCKED the stream key no longer exists");
      return;
    }
    if (wrong) {
      // A waiting XREAD keeps waiting when its key changes type, as Redis's.
      if (rerun) continue;
      ctx.rb->SendError(errors::kWrongType);
      return;
    }
    streams[i] = s;
    if (a.group_read) {
      groups[i] = s ? s->FindGroup(a.group) : nullptr;
      if (!groups[i]) {
        StopWaiting(client);
        ctx.rb->SendError(
            rerun ? std::string(
                        "NOGROUP the consumer group this client was blocked on no longer exists")
                  : fmt::format("NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP "
                                "with GROUP option",
                                key, a.group));
        return;
      }
    }
    if (arg == "$") {
      if (a.group_read) {
        ctx.rb->SendError(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
        return;
      }
      if (rerun && client.blocked_stream_ids.size() == 2 * a.n) {
        ids[i] = {client.blocked_stream_ids[2 * i], client.blocked_stream_ids[2 * i + 1]};
      } else {
        ids[i] = s ? s->last_id() : StreamID{};
      }
    } else if (arg == ">") {
      if (!a.group_read) {
        ctx.rb->SendError(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
            "<group> <consumer> option.");
        return;
      }
      ids[i] = kNewEntries;
    } else if (!stream_cmd::ParseIdOrReply(ctx, arg, 0, true, nullptr, &ids[i])) {
      return;
    }
  }
  const bool blocking_call = a.timeout_ms != -1;
  // What can be served now.
  std::vector<Serve> serve;
  for (size_t i = 0; i < a.n; ++i) {
    Stream* s = streams[i];
    if (!s) continue;
    StreamGroup* g = groups[i];
    if (g) {
      if (ids[i] != kNewEntries) {
        serve.push_back({i, s, g, ids[i], true, std::nullopt});
        continue;
      }
      std::optional<StreamIterator> first = FirstAfter(*s, g->last_id);
      if (!first) continue;
      // First blocked, first served: a blocking reader waits behind the group's earlier ones.
      const std::string_view key = ctx.args[a.streams_arg + i];
      if (blocking_call && !blocking::MayServe(ctx.ShardFor(key), GroupQueue(key, a.group),
                                               ObjType::kStream, client))
        continue;
      serve.push_back({i, s, g, g->last_id, false, std::move(first)});
    } else if (std::optional<StreamIterator> first = FirstAfter(*s, ids[i])) {
      serve.push_back({i, s, nullptr, ids[i], false, std::move(first)});
    }
  }
  // A woken reader answers one key, as Redis serves a blocked reader from the key whose write
  // woke it.
  if (rerun && serve.size() > 1) serve.resize(1);
  if (!serve.empty()) {
    ReplyBuilder& rb = *ctx.rb;
    const bool pairs = rb.flat_pairs();  // RESP2: [key, entries] pairs; else a map
    if (pairs) {
      rb.StartArray(static_cast<uint32_t>(serve.size()));
    } else {
      rb.StartMap(static_cast<uint32_t>(serve.size()));
    }
    const int64_t count = rerun && a.count == 0 ? kBlockedDefaultCount : a.count;
    for (Serve& sv : serve) {
      const std::string_view key = ctx.args[a.streams_arg + sv.i];
      if (pairs) rb.StartArray(2);
      rb.SendBulk(key);
      if (!sv.g) {
        stream_cmd::ReplyEntries(rb, *sv.it, static_cast<uint64_t>(count), true);
        continue;
      }
      const size_t before = sv.s->memory();
      StreamConsumer* c = sv.g->FindConsumer(a.consumer);
      bool changed = false;
      if (c) {
        c->seen_time_ms = ctx.now_ms;
      } else {
        c = &sv.g->CreateConsumer(a.consumer, ctx.now_ms, &changed);
        ctx.log_effects = true;
        ctx.effects.push_back({"XGROUP", "CREATECONSUMER", std::string(key),
                               std::string(a.group), std::string(a.consumer)});
        ctx.Notify(ev::kStream, "xgroup-createconsumer", key);
      }
      const size_t logged = ctx.effects.size();
      if (sv.history) {
        ServeHistory(ctx, a, sv, *c);
      } else {
        ServeNew(ctx, a, sv, *c, count);
      }
      // Only the seen time moved: nothing to log (Redis does not propagate it either).
      if (changed || ctx.effects.size() != logged) stream_cmd::Changed(ctx, key, *sv.s, before);
    }
    if (blocking_call) StopWaiting(client);
    return;
  }
  if (!blocking_call) {
    ctx.rb->SendNullArray();
    return;
  }
  const uint8_t unblock = client.unblock.exchange(0, std::memory_order_relaxed);
  if (unblock == kUnblockError) {
    StopWaiting(client);
    ctx.rb->SendError("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    return;
  }
  if (client.block_timed_out || unblock == kUnblockTimeout) {
    StopWaiting(client);
    ctx.rb->SendNullArray();
    return;
  }
  if (!rerun) {
    client.blocked_stream_ids.clear();
    for (StreamID id : ids) {
      client.blocked_stream_ids.push_back(id.ms);
      client.blocked_stream_ids.push_back(id.seq);
    }
  }
  if (a.group_read)
    for (size_t i = 0; i < a.n; ++i) {
      const std::string_view key = ctx.args[a.streams_arg + i];
      if (ids[i] == kNewEntries)
        blocking::Wait(ctx.ShardFor(key), GroupQueue(key, a.group), ObjType::kStream, client);
    }
  blocking::WaitOnKeyChanges(ctx);
  blocking::Block(client, ctx.now_ms, a.timeout_ms);
}

}  // namespace

void RegisterStreamReadFamily(CommandTable& t) {
  CommandSpec xread = MakeSpec(
      "xread", -4, kCmdReadonly | kCmdBlocking, kNoKeys, CmdXRead, "stream", "5.0.0",
      "Returns messages from multiple streams with IDs greater than the ones requested. "
      "Blocks until a message is available otherwise.",
      "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]");
  xread.find_keys = ReadKeys;
  t.Register(std::move(xread));
  CommandSpec xreadgroup = MakeSpec(
      "xreadgroup", -7, kCmdWrite | kCmdBlocking, kNoKeys, CmdXRead, "stream", "5.0.0",
      "Returns new or historical messages from a stream for a consumer in a group. Blocks "
      "until a message is available otherwise.",
      "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] "
      "id [id ...]");
  xreadgroup.find_keys = ReadKeys;
  t.Register(std::move(xreadgroup));
}

}  // namespace kv
