// Stream commands: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID, with Redis 7.0's replies,
// errors and argument order (t_stream.c: what is parsed before the key is looked up decides
// which error a client sees).
//
// The log gets each write's exact effect, so replay never depends on the clock or on node
// boundaries: XADD is logged with the ID it generated, and a trim that removed entries as
// "MAXLEN = <length after>" (every trim removes the oldest entries, so the length left says
// exactly which); XTRIM likewise, XDEL and XSETID as sent (docs/streams.md).
//
// The container (core/stream.h) knows nothing of commands; handlers change it and report the
// size change to the shard (memory accounting, the write count).

#include "commands/stream_family.h"

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

namespace stream_cmd {

Entry* CreateStream(Shard& shard, std::string_view key) {
  return shard.SetContainer(key, static_cast<uint8_t>(Encoding::kStream), new Stream, kNoExpire);
}

void ReplyEntry(ReplyBuilder& rb, const StreamIterator& it) {
  rb.StartArray(2);
  char buf[48];
  const StreamID id = it.id();
  char* end = std::to_chars(buf, buf + 20, id.ms).ptr;
  *end++ = '-';
  end = std::to_chars(end, buf + sizeof buf, id.seq).ptr;
  rb.SendBulk({buf, static_cast<size_t>(end - buf)});
  rb.StartArray(2 * it.field_count());
  it.ForEachField([&](std::string_view f, std::string_view v) {
    rb.SendBulk(f);
    rb.SendBulk(v);
  });
}

void ReplyRange(ReplyBuilder& rb, const Stream& s, StreamID start, StreamID end, uint64_t count,
                bool rev) {
  StreamIterator it(s, start, end, rev);
  ReplyEntries(rb, it, count, false);
}

void ReplyEntries(ReplyBuilder& rb, StreamIterator& it, uint64_t count, bool positioned) {
  // One walk: the array's length is set once the entries are out.
  const size_t header = rb.StartDeferredArray();
  uint32_t n = 0;
  if (positioned || it.Next()) {
    do {
      ReplyEntry(rb, it);
      ++n;
    } while ((count == 0 || n < count) && it.Next());
  }
  rb.EndDeferredArray(header, n);
}

void Changed(CommandContext& ctx, std::string_view key, const Stream& s, size_t memory_before) {
  ctx.ShardFor(key).ContainerChanged(
      key, static_cast<int64_t>(s.memory()) - static_cast<int64_t>(memory_before), false,
      ctx.now_ms);
}

}  // namespace stream_cmd

namespace {

using namespace stream_cmd;

std::string IdText(StreamID id) { return id.ToString(); }

void CmdXAdd(CommandContext& ctx) {
  AddTrimArgs a;
  const int idpos = ParseAddTrimOrReply(ctx, true, &a);
  if (idpos < 0) return;
  const size_t field_pos = static_cast<size_t>(idpos) + 1;
  if (field_pos > ctx.args.size() || (ctx.args.size() - field_pos) < 2 ||
      (ctx.args.size() - field_pos) % 2 == 1) {
    ctx.rb->SendError(errors::WrongArity(ctx.spec->name));
    return;
  }
  if (a.id_given && a.seq_given && a.id.IsZero()) {
    ctx.rb->SendError("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kStream, Access::kWrite, &wrong);
  if (wrong) return;
  Shard& shard = ctx.ShardFor(key);
  const bool existed = e != nullptr;
  if (!e) {
    if (a.no_mkstream) {
      ctx.rb->SendNull();
      return;
    }
    e = CreateStream(shard, key);  // a new key: the shard reports it ready itself
  }
  Stream& s = *StreamOf(e);
  if (s.last_id().IsMax()) {
    ctx.rb->SendError("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  StreamID id;
  switch (s.NextId(a.id_given ? &a.id : nullptr, a.seq_given, ctx.now_ms, &id)) {
    case Stream::IdError::kNone:
      break;
    case Stream::IdError::kNotGreater:
      ctx.rb->SendError(
          "ERR The ID specified in XADD is equal or smaller than the target stream top item");
      return;
    case Stream::IdError::kSeqExhausted:
      ctx.rb->SendError("ERR Elements are too large to be stored");
      return;
  }
  const size_t before = s.memory();
  s.Append(id, ctx.args.subspan(field_pos));
  const std::string id_text = IdText(id);
  ctx.rb->SendBulk(id_text);
  ctx.Notify(keyspace_events::kStream, "xadd", key);
  const int64_t trimmed = s.Trim(a.trim);
  if (trimmed > 0) ctx.Notify(keyspace_events::kStream, "xtrim", key);
  Changed(ctx, key, s, before);
  if (existed) shard.NoteStreamAppend(*e);

  std::vector<std::string> log{"XADD", std::string(key)};
  if (trimmed > 0) {
    log.insert(log.end(), {"MAXLEN", "=", std::to_string(s.length())});
  }
  log.push_back(id_text);
  for (size_t i = field_pos; i < ctx.args.size(); ++i) log.emplace_back(ctx.args[i]);
  ctx.log_as = std::move(log);
  ctx.log_as_typed.clear();
}

void CmdXTrim(CommandContext& ctx) {
  AddTrimArgs a;
  if (ParseAddTrimOrReply(ctx, false, &a) < 0) return;
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kStream, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  Stream& s = *StreamOf(e);
  const size_t before = s.memory();
  const int64_t deleted = s.Trim(a.trim);
  if (deleted > 0) {
    ctx.Notify(keyspace_events::kStream, "xtrim", key);
    Changed(ctx, key, s, before);
    ctx.LogAs({"XTRIM", key, "MAXLEN", "=", std::to_string(s.length())});
  }
  ctx.rb->SendLong(deleted);
}

void CmdXDel(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kStream, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  // Every ID is checked before any is deleted, as Redis does.
  std::vector<StreamID> ids(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i)
    if (!ParseIdOrReply(ctx, ctx.args[i], 0, true, nullptr, &ids[i - 2])) return;
  Stream& s = *StreamOf(e);
  const size_t before = s.memory();
  int64_t deleted = 0;
  for (StreamID id : ids) deleted += s.Delete(id) ? 1 : 0;
  if (deleted > 0) {
    ctx.Notify(keyspace_events::kStream, "xdel", key);
    Changed(ctx, key, s, before);
  }
  ctx.rb->SendLong(deleted);
}

void CmdXLen(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kStream, Access::kRead, &wrong);
  if (wrong) return;
  ctx.rb->SendLong(e ? static_cast<int64_t>(StreamOf(e)->length()) : 0);
}

void RangeGeneric(CommandContext& ctx, bool rev) {
  RangeArgs a;
  if (!ParseRangeArgsOrReply(ctx, rev, &a)) return;
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kStream, Access::kRead, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->StartArray(0);
    return;
  }
  if (a.count == 0) {
    ctx.rb->SendNullArray();
    return;
  }
  ReplyRange(*ctx.rb, *StreamOf(e), a.start, a.end,
             a.count < 0 ? 0 : static_cast<uint64_t>(a.count), rev);
}

void CmdXRange(CommandContext& ctx) { RangeGeneric(ctx, false); }
void CmdXRevRange(CommandContext& ctx) { RangeGeneric(ctx, true); }

void CmdXSetId(CommandContext& ctx) {
  SetIdArgs a;
  if (!ParseSetIdArgsOrReply(ctx, &a)) return;
  const StreamID id = a.id, max_xdel = a.max_deleted_id;
  const int64_t entries_added = a.entries_added;
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kStream, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendError(errors::kNoSuchKey);
    return;
  }
  Stream& s = *StreamOf(e);
  if (s.length() > 0) {
    StreamIterator last(s, {0, 0}, StreamID::Max(), true);
    if (last.Next() && id < last.id()) {
      ctx.rb->SendError("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && s.length() > static_cast<uint64_t>(entries_added)) {
      ctx.rb->SendError(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  const size_t before = s.memory();
  s.set_last_id(id);
  if (entries_added != -1) s.set_entries_added(static_cast<uint64_t>(entries_added));
  if (!max_xdel.IsZero()) s.set_max_deleted_id(max_xdel);
  ctx.rb->SendOk();
  ctx.Notify(keyspace_events::kStream, "xsetid", key);
  Changed(ctx, key, s, before);
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, kOneKey, h, "stream", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterStreamFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  constexpr uint32_t kWrite = kCmdWrite;
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr uint32_t kGrowFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  t.Register(Spec("xadd", -5, kGrowFast, CmdXAdd, "5.0.0",
                  "Appends a new entry to a stream",
                  "key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field "
                  "value [field value ...]"));
  t.Register(Spec("xrange", -4, kRead, CmdXRange, "5.0.0",
                  "Return a range of elements in a stream, with IDs matching the specified IDs "
                  "interval",
                  "key start end [COUNT count]"));
  t.Register(Spec("xrevrange", -4, kRead, CmdXRevRange, "5.0.0",
                  "Return a range of elements in a stream, with IDs matching the specified IDs "
                  "interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
                  "key end start [COUNT count]"));
  t.Register(Spec("xlen", 2, kReadFast, CmdXLen, "5.0.0", "Return the number of entries in a stream",
                  "key"));
  t.Register(Spec("xdel", -3, kWriteFast, CmdXDel, "5.0.0",
                  "Removes the specified entries from the stream. Returns the number of items "
                  "actually deleted, that may be different from the number of IDs passed in case "
                  "certain IDs do not exist.",
                  "key id [id ...]"));
  t.Register(Spec("xtrim", -4, kWrite, CmdXTrim, "5.0.0",
                  "Trims the stream to (approximately if '~' is passed) a certain size",
                  "key MAXLEN|MINID [=|~] threshold [LIMIT count]"));
  t.Register(Spec("xsetid", -3, kGrowFast, CmdXSetId, "5.0.0",
                  "An internal command for replicating stream values",
                  "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"));
}

}  // namespace kv
