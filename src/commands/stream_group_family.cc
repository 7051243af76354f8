// Consumer groups: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO, with Redis 7.0's
// replies, errors and argument order (t_stream.c).
//
// Every change to a group is logged as its effects (commands/stream_groups.h): XCLAIM and
// XAUTOCLAIM as one XCLAIM per entry they claimed (with the delivery time and count it now
// has) or XACK per entry they dropped because it was deleted, and a LASTID that moved the group
// as XGROUP SETID; the other commands as sent, since they do the same on replay.
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/stream_groups.h"
#include "core/object.h"
#include "core/shard.h"
#include "core/stream.h"

namespace kv {

namespace stream_cmd {

constexpr std::string_view kInvalidId = "ERR Invalid stream ID specified as stream command argument";

Stream* Find(CommandContext& ctx, std::string_view key, bool* wrong) {
  *wrong = false;
  Entry* e = ctx.ShardFor(key).Find(key, ctx.now_ms);
  if (!e) return nullptr;
  if (TypeOf(*e) != ObjType::kStream) {
    *wrong = true;
    return nullptr;
  }
  return static_cast<Stream*>(e->container());
}

bool ParseStrictIdOrReply(CommandContext& ctx, std::string_view arg, StreamID* id) {
  if (ParseStreamID(arg, 0, true, nullptr, id)) return true;
  ctx.rb->SendError(kInvalidId);
  return false;
}

bool ParseIntervalIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                            StreamID* id, bool* exclusive) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  const bool ok = *exclusive ? ParseStreamID(arg.substr(1), missing_seq, true, nullptr, id)
                             : ParseStreamID(arg, missing_seq, false, nullptr, id);
  if (!ok) ctx.rb->SendError(kInvalidId);
  return ok;
}

void SendEntry(ReplyBuilder& rb, const StreamIterator& it) {
  rb.StartArray(2);
  rb.SendBulk(it.id().ToString());
  rb.StartArray(2 * it.field_count());
  it.ForEachField([&](std::string_view f, std::string_view v) {
    rb.SendBulk(f);
    rb.SendBulk(v);
  });
}

bool SendEntryById(ReplyBuilder& rb, const Stream& s, StreamID id) {
  StreamIterator it(s, id, id, false);
  if (!it.Next()) return false;
  SendEntry(rb, it);
  return true;
}

void LogClaim(CommandContext& ctx, std::string_view key, std::string_view group,
              const StreamGroup& g, StreamID id, const StreamPending* p) {
  ctx.log_effects = true;
  if (!p) {
    ctx.effects.push_back({"XACK", std::string(key), std::string(group), id.ToString()});
    return;
  }
  ctx.effects.push_back({"XCLAIM", std::string(key), std::string(group), p->consumer->name, "0",
                         id.ToString(), "TIME", std::to_string(p->delivery_time_ms),
                         "RETRYCOUNT", std::to_string(p->delivery_count), "FORCE", "JUSTID",
                         "LASTID", g.last_id.ToString()});
}

void LogGroupPosition(CommandContext& ctx, std::string_view key, std::string_view group,
                      const StreamGroup& g) {
  ctx.log_effects = true;
  ctx.effects.push_back({"XGROUP", "SETID", std::string(key), std::string(group),
                         g.last_id.ToString(), "ENTRIESREAD", std::to_string(g.entries_read)});
}

void NoteChanged(CommandContext& ctx, std::string_view key, Entry* e, size_t before) {
  ctx.ShardFor(key).ContainerChanged(
      key, static_cast<int64_t>(ContainerBytes(*e)) - static_cast<int64_t>(before), false,
      ctx.now_ms);
}

}  // namespace stream_cmd

namespace {

namespace ev = keyspace_events;
using stream_cmd::Find;
using stream_cmd::ParseStrictIdOrReply;

// Redis's addReplySubcommandSyntaxError.
std::string SubcommandSyntaxError(std::string_view sub, std::string_view cmd) {
  return fmt::format(
      "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
      sub.substr(0, 128), cmd);
}

void SendHelp(CommandContext& ctx, std::string_view cmd, std::initializer_list<std::string_view> lines) {
  ctx.rb->StartArray(static_cast<uint32_t>(lines.size() + 3));
  ctx.rb->SendSimple(fmt::format("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd));
  for (std::string_view l : lines) ctx.rb->SendSimple(l);
  ctx.rb->SendSimple("HELP");
  ctx.rb->SendSimple("    Prints this help.");
}

// The entry of the key the group commands name, for the memory accounting of a change.
Entry* EntryOf(CommandContext& ctx, std::string_view key) {
  return ctx.ShardFor(key).Peek(key, ctx.now_ms);
}

std::string NoGroupError(std::string_view key, std::string_view group) {
  return fmt::format("NOGROUP No such key '{}' or consumer group '{}'", key, group);
}

// ---- XGROUP ----------------------------------------------------------------------------------

struct Sub {
  std::string_view name;
  int arity;  // Redis's, for xgroup|<name> / xinfo|<name>
};

// Finds the subcommand and checks its arity as Redis's container does; false when replied.
const Sub* FindSub(CommandContext& ctx, std::string_view cmd, std::span<const Sub> subs) {
  const std::string_view sub = ctx.args[1];
  for (const Sub& s : subs) {
    if (!EqualsIgnoreCase(sub, s.name)) continue;
    const size_t need = static_cast<size_t>(s.arity < 0 ? -s.arity : s.arity);
    if (s.arity < 0 ? ctx.args.size() < need : ctx.args.size() != need) {
      ctx.rb->SendError(errors::WrongArity(fmt::format("{}|{}", cmd, AsciiLower(sub))));
      return nullptr;
    }
    return &s;
  }
  ctx.rb->SendError(errors::UnknownSubcommand(cmd, sub));
  return nullptr;
}

constexpr Sub kXGroupSubs[] = {{"CREATE", -5},      {"SETID", -5},   {"CREATECONSUMER", 5},
                               {"DELCONSUMER", 5},  {"DESTROY", 4},  {"HELP", 2}};

void XGroupHelp(CommandContext& ctx) {
  SendHelp(ctx, "XGROUP",
           {"CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter."});
}

// ENTRIESREAD's value: Redis's check, "-1" (unknown) or at least 0.
bool ParseEntriesReadOrReply(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (!ParseIntOrReply(ctx, arg, out)) return false;
  if (*out < 0 && *out != StreamGroup::kInvalidEntriesRead) {
    ctx.rb->SendError("ERR value for ENTRIESREAD must be positive or -1");
    return false;
  }
  return true;
}

void CmdXGroup(CommandContext& ctx) {
  const Sub* sub = FindSub(ctx, "xgroup", kXGroupSubs);
  if (!sub) return;
  const std::string_view name = sub->name;
  const size_t argc = ctx.args.size();
  if (name == "HELP") {
    XGroupHelp(ctx);
    return;
  }
  bool mkstream = false;
  int64_t entries_read = StreamGroup::kInvalidEntriesRead;
  // CREATE's options first, so a syntax error comes before any lookup, as in Redis.
  if (name == "CREATE") {
    if (argc > 8) {
      ctx.rb->SendError(SubcommandSyntaxError(ctx.args[1], "XGROUP"));
      return;
    }
    for (size_t i = 5; i < argc; ++i) {
      if (EqualsIgnoreCase(ctx.args[i], "MKSTREAM")) {
        mkstream = true;
      } else if (EqualsIgnoreCase(ctx.args[i], "ENTRIESREAD") && i + 1 < argc) {
        if (!ParseEntriesReadOrReply(ctx, ctx.args[i + 1], &entries_read)) return;
        ++i;
      } else {
        ctx.rb->SendError(SubcommandSyntaxError(ctx.args[1], "XGROUP"));
        return;
      }
    }
  }
  const std::string_view key = ctx.args[2];
  const std::string_view group = ctx.args[3];
  bool wrong;
  Stream* s = Find(ctx, key, &wrong);
  if (wrong) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  StreamGroup* g = s ? s->FindGroup(group) : nullptr;
  if (!mkstream) {
    if (!s) {
      ctx.rb->SendError(
          "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
          "want to use the MKSTREAM option to create an empty stream automatically.");
      return;
    }
    if (!g && (name == "SETID" || name == "CREATECONSUMER" || name == "DELCONSUMER")) {
      ctx.rb->SendError(
          fmt::format("NOGROUP No such consumer group '{}' for key name '{}'", group, key));
      return;
    }
  }
  Entry* e = s ? EntryOf(ctx, key) : nullptr;
  size_t before = e ? ContainerBytes(*e) : 0;
  if (name == "CREATE") {
    StreamID id;
    if (ctx.args[4] == "$") {
      id = s ? s->last_id() : StreamID{};
    } else if (!ParseStrictIdOrReply(ctx, ctx.args[4], &id)) {
      return;
    }
    if (!s) {
      s = new Stream;
      e = ctx.ShardFor(key).SetContainer(key, static_cast<uint8_t>(Encoding::kStream), s,
                                         kNoExpire);
      before = ContainerBytes(*e);  // the new key accounted itself
    } else if (s->FindGroup(group)) {
      ctx.rb->SendError("BUSYGROUP Consumer Group name already exists");
      return;
    }
    s->CreateGroup(group, id, entries_read);
    stream_cmd::NoteChanged(ctx, key, e, before);
    ctx.rb->SendOk();
    ctx.Notify(ev::kStream, "xgroup-create", key);
  } else if (name == "SETID") {
    if (argc != 5 && argc != 7) {
      ctx.rb->SendError(SubcommandSyntaxError(ctx.args[1], "XGROUP"));
      return;
    }
    StreamID id;
    if (ctx.args[4] == "$") {
      id = s->last_id();
    } else if (!ParseStreamID(ctx.args[4], 0, false, nullptr, &id)) {
      ctx.rb->SendError(stream_cmd::kInvalidId);
      return;
    }
    if (argc == 7) {
      if (!EqualsIgnoreCase(ctx.args[5], "ENTRIESREAD")) {
        ctx.rb->SendError(SubcommandSyntaxError(ctx.args[1], "XGROUP"));
        return;
      }
      if (!ParseEntriesReadOrReply(ctx, ctx.args[6], &entries_read)) return;
    }
    g->last_id = id;
    g->entries_read = entries_read;
    stream_cmd::NoteChanged(ctx, key, e, before);
    ctx.rb->SendOk();
    ctx.Notify(ev::kStream, "xgroup-setid", key);
  } else if (name == "DESTROY") {
    if (!g) {
      ctx.rb->SendLong(0);
      return;
    }
    s->DestroyGroup(group);
    stream_cmd::NoteChanged(ctx, key, e, before);
    ctx.rb->SendLong(1);
    ctx.Notify(ev::kStream, "xgroup-destroy", key);
  } else if (name == "CREATECONSUMER") {
    bool created;
    g->CreateConsumer(ctx.args[4], ctx.now_ms, &created);
    if (created) {
      stream_cmd::NoteChanged(ctx, key, e, before);
      ctx.Notify(ev::kStream, "xgroup-createconsumer", key);
    }
    ctx.rb->SendLong(created ? 1 : 0);
  } else {  // DELCONSUMER
    const std::optional<uint64_t> pending = g->DeleteConsumer(ctx.args[4]);
    if (pending) {
      stream_cmd::NoteChanged(ctx, key, e, before);
      ctx.Notify(ev::kStream, "xgroup-delconsumer", key);
    }
    ctx.rb->SendLong(static_cast<int64_t>(pending.value_or(0)));
  }
}

// The key of an XGROUP / XINFO call, for the dispatcher's lock: args[2], but for HELP.
void ContainerKey(std::span<const std::string_view> args, std::vector<size_t>* out) {
  if (args.size() >= 3 && !EqualsIgnoreCase(args[1], "HELP")) out->push_back(2);
}

// XGROUP HELP reads nothing; the rest write.
uint32_t XGroupCallFlags(std::span<const std::string_view> args, uint32_t flags) {
  if (args.size() >= 2 && EqualsIgnoreCase(args[1], "HELP")) return flags;
  uint32_t f = flags | kCmdWrite;
  if (args.size() >= 2 &&
      (EqualsIgnoreCase(args[1], "CREATE") || EqualsIgnoreCase(args[1], "CREATECONSUMER")))
    f |= kCmdDenyOom;
  return f;
}

// ---- XACK ------------------------------------------------------------------------------------

void CmdXAck(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Stream* s = Find(ctx, key, &wrong);
  if (wrong) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  StreamGroup* g = s ? s->FindGroup(ctx.args[2]) : nullptr;
  if (!g) {
    ctx.rb->SendLong(0);
    return;
  }
  std::vector<StreamID> ids(ctx.args.size() - 3);
  for (size_t i = 3; i < ctx.args.size(); ++i)
    if (!ParseStrictIdOrReply(ctx, ctx.args[i], &ids[i - 3])) return;
  Entry* e = EntryOf(ctx, key);
  const size_t before = ContainerBytes(*e);
  int64_t acked = 0;
  for (StreamID id : ids) acked += g->Ack(id) ? 1 : 0;
  if (acked > 0) stream_cmd::NoteChanged(ctx, key, e, before);
  ctx.rb->SendLong(acked);
}

// ---- XPENDING --------------------------------------------------------------------------------

void CmdXPending(CommandContext& ctx) {
  const size_t argc = ctx.args.size();
  const bool summary = argc == 3;
  if (argc != 3 && (argc < 6 || argc > 9)) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  int64_t min_idle = 0, count = 0;
  StreamID start, end;
  std::string_view consumer_name;
  bool has_consumer = false;
  if (argc >= 6) {
    size_t at = 3;
    if (EqualsIgnoreCase(ctx.args[3], "IDLE")) {
      if (!ParseIntOrReply(ctx, ctx.args[4], &min_idle)) return;
      if (argc < 8) {
        ctx.rb->SendError(errors::kSyntax);
        return;
      }
      at += 2;
    }
    if (!ParseIntOrReply(ctx, ctx.args[at + 2], &count)) return;
    if (count < 0) count = 0;
    bool ex;
    if (!stream_cmd::ParseIntervalIdOrReply(ctx, ctx.args[at], 0, &start, &ex)) return;
    if (ex && !start.Incr()) {
      ctx.rb->SendError("ERR invalid start ID for the interval");
      return;
    }
    if (!stream_cmd::ParseIntervalIdOrReply(ctx, ctx.args[at + 1], UINT64_MAX, &end, &ex)) return;
    if (ex && !end.Decr()) {
      ctx.rb->SendError("ERR invalid end ID for the interval");
      return;
    }
    if (at + 3 < argc) {
      consumer_name = ctx.args[at + 3];
      has_consumer = true;
    }
  }
  const std::string_view key = ctx.args[1];
  bool wrong;
  Stream* s = Find(ctx, key, &wrong);
  if (wrong) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  StreamGroup* g = s ? s->FindGroup(ctx.args[2]) : nullptr;
  if (!g) {
    ctx.rb->SendError(NoGroupError(key, ctx.args[2]));
    return;
  }
  ReplyBuilder& rb = *ctx.rb;
  if (summary) {
    rb.StartArray(4);
    rb.SendLong(static_cast<int64_t>(g->pel().size()));
    if (g->pel().empty()) {
      rb.SendNull();
      rb.SendNull();
      rb.SendNullArray();
      return;
    }
    rb.SendBulk(g->pel().begin()->first.ToString());
    rb.SendBulk(g->pel().rbegin()->first.ToString());
    uint32_t n = 0;
    for (const auto& [name, c] : g->consumers()) n += c.pel.empty() ? 0 : 1;
    rb.StartArray(n);
    for (const auto& [name, c] : g->consumers()) {
      if (c.pel.empty()) continue;
      rb.StartArray(2);
      rb.SendBulk(name);
      rb.SendBulk(std::to_string(c.pel.size()));
    }
    return;
  }
  // The rows first: the reply's length comes before them.
  struct Row {
    StreamID id;
    const StreamPending* p;
  };
  std::vector<Row> rows;
  auto collect = [&](auto begin, auto end_it, auto pending_of) {
    for (auto it = begin; count > 0 && it != end_it && it->first <= end; ++it) {
      const StreamPending* p = pending_of(it->second);
      if (min_idle != 0 && ctx.now_ms - p->delivery_time_ms < min_idle) continue;
      rows.push_back({it->first, p});
      --count;
    }
  };
  if (has_consumer) {
    StreamConsumer* c = g->FindConsumer(consumer_name);
    if (!c) {
      rb.StartArray(0);
      return;
    }
    collect(c->pel.lower_bound(start), c->pel.end(), [](const StreamPending* p) { return p; });
  } else {
    collect(g->pel().lower_bound(start), g->pel().end(),
            [](const StreamPending& p) { return &p; });
  }
  rb.StartArray(static_cast<uint32_t>(rows.size()));
  for (const Row& r : rows) {
    rb.StartArray(4);
    rb.SendBulk(r.id.ToString());
    rb.SendBulk(r.p->consumer->name);
    rb.SendLong(std::max<int64_t>(ctx.now_ms - r.p->delivery_time_ms, 0));
    rb.SendLong(static_cast<int64_t>(r.p->delivery_count));
  }
}

// ---- XCLAIM ----------------------------------------------------------------------------------

void CmdXClaim(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const std::string_view group = ctx.args[2];
  bool wrong;
  Stream* s = Find(ctx, key, &wrong);
  if (wrong) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  StreamGroup* g = s ? s->FindGroup(group) : nullptr;
  if (!g) {
    ctx.rb->SendError(NoGroupError(key, group));
    return;
  }
  int64_t min_idle;
  if (!ParseRangeOrReply(ctx, ctx.args[4], INT64_MIN, INT64_MAX,
                         "ERR Invalid min-idle-time argument for XCLAIM", &min_idle))
    return;
  if (min_idle < 0) min_idle = 0;
  // The IDs run up to the first argument that is no ID; options follow.
  std::vector<StreamID> ids;
  size_t j = 5;
  for (StreamID id; j < ctx.args.size() && ParseStreamID(ctx.args[j], 0, true, nullptr, &id); ++j)
    ids.push_back(id);
  const int64_t now = ctx.now_ms;
  int64_t retry_count = -1, delivery_time = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    const bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "FORCE")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "JUSTID")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "IDLE") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], INT64_MIN, INT64_MAX,
                             "ERR Invalid IDLE option argument for XCLAIM", &delivery_time))
        return;
      delivery_time = now - delivery_time;
    } else if (EqualsIgnoreCase(opt, "TIME") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], INT64_MIN, INT64_MAX,
                             "ERR Invalid TIME option argument for XCLAIM", &delivery_time))
        return;
    } else if (EqualsIgnoreCase(opt, "RETRYCOUNT") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], INT64_MIN, INT64_MAX,
                             "ERR Invalid RETRYCOUNT option argument for XCLAIM", &retry_count))
        return;
    } else if (EqualsIgnoreCase(opt, "LASTID") && more) {
      if (!ParseStrictIdOrReply(ctx, ctx.args[++j], &last_id)) return;
    } else {
      ctx.rb->SendError(fmt::format("ERR Unrecognized XCLAIM option '{}'", opt));
      return;
    }
  }
  Entry* e = EntryOf(ctx, key);
  const size_t before = ContainerBytes(*e);
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
        stream_cmd::LogClaim(ctx, key, group, *g, id, nullptr);
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
    uint64_t count = created ? 0 : p->delivery_count;
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
    stream_cmd::LogClaim(ctx, key, group, *g, id, p);
    changed = true;
  }
  // A LASTID the XCLAIMs logged above carry needs no SETID of its own.
  if (moved_last_id && claimed.empty()) stream_cmd::LogGroupPosition(ctx, key, group, *g);
  if (changed) {
    ctx.log_effects = true;
    stream_cmd::NoteChanged(ctx, key, e, before);
  }
  ctx.rb->StartArray(static_cast<uint32_t>(claimed.size()));
  for (StreamID id : claimed) {
    if (justid) {
      ctx.rb->SendBulk(id.ToString());
    } else {
      stream_cmd::SendEntryById(*ctx.rb, *s, id);
    }
  }
}

// ---- XAUTOCLAIM ------------------------------------------------------------------------------

void CmdXAutoClaim(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const std::string_view group = ctx.args[2];
  int64_t min_idle;
  if (!ParseRangeOrReply(ctx, ctx.args[4], INT64_MIN, INT64_MAX,
                         "ERR Invalid min-idle-time argument for XAUTOCLAIM", &min_idle))
    return;
  if (min_idle < 0) min_idle = 0;
  StreamID start;
  bool ex;
  if (!stream_cmd::ParseIntervalIdOrReply(ctx, ctx.args[5], 0, &start, &ex)) return;
  if (ex && !start.Incr()) {
    ctx.rb->SendError("ERR invalid start ID for the interval");
    return;
  }
  constexpr int64_t kAttemptsFactor = 10;
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "COUNT") && j + 1 < ctx.args.size()) {
      // Redis's bound: LONG_MAX / max(sizeof(streamID), attempts factor).
      if (!ParseRangeOrReply(ctx, ctx.args[++j], 1, LONG_MAX / 16, "ERR COUNT must be > 0",
                             &count))
        return;
    } else if (EqualsIgnoreCase(ctx.args[j], "JUSTID")) {
      justid = true;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  bool wrong;
  Stream* s = Find(ctx, key, &wrong);
  if (wrong) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  StreamGroup* g = s ? s->FindGroup(group) : nullptr;
  if (!g) {
    ctx.rb->SendError(NoGroupError(key, group));
    return;
  }
  Entry* e = EntryOf(ctx, key);
  const size_t before = ContainerBytes(*e);
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
      stream_cmd::LogClaim(ctx, key, group, *g, id, nullptr);
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
    stream_cmd::LogClaim(ctx, key, group, *g, id, p);
  }
  const StreamID next = it == g->pel().end() ? StreamID{} : it->first;
  if (!claimed.empty() || !deleted.empty()) stream_cmd::NoteChanged(ctx, key, e, before);
  ReplyBuilder& rb = *ctx.rb;
  rb.StartArray(3);
  rb.SendBulk(next.ToString());
  rb.StartArray(static_cast<uint32_t>(claimed.size()));
  for (StreamID id : claimed) {
    if (justid) {
      rb.SendBulk(id.ToString());
    } else {
      stream_cmd::SendEntryById(rb, *s, id);
    }
  }
  rb.StartArray(static_cast<uint32_t>(deleted.size()));
  for (StreamID id : deleted) rb.SendBulk(id.ToString());
}

// ---- XINFO -----------------------------------------------------------------------------------

constexpr Sub kXInfoSubs[] = {{"CONSUMERS", 4}, {"GROUPS", 3}, {"STREAM", -3}, {"HELP", 2}};

void SendLag(ReplyBuilder& rb, const Stream& s, const StreamGroup& g) {
  const std::optional<int64_t> lag = s.Lag(g);
  if (lag) {
    rb.SendLong(*lag);
  } else {
    rb.SendNull();
  }
}

void SendEntriesRead(ReplyBuilder& rb, const StreamGroup& g) {
  if (g.entries_read != StreamGroup::kInvalidEntriesRead) {
    rb.SendLong(g.entries_read);
  } else {
    rb.SendNull();
  }
}

// The first `limit` (0: all) of a map's elements.
template <typename Map>
uint32_t Limited(const Map& m, int64_t limit) {
  return static_cast<uint32_t>(limit == 0 ? m.size()
                                          : std::min<uint64_t>(m.size(), static_cast<uint64_t>(limit)));
}

void XInfoStream(CommandContext& ctx, const Stream& s) {
  const size_t argc = ctx.args.size();
  bool full = false;
  int64_t count = 10;
  if (argc > 3) {
    if ((argc != 4 && argc != 6) || !EqualsIgnoreCase(ctx.args[3], "FULL") ||
        (argc == 6 && !EqualsIgnoreCase(ctx.args[4], "COUNT"))) {
      ctx.rb->SendError(SubcommandSyntaxError(ctx.args[1], "XINFO"));
      return;
    }
    full = true;
    if (argc == 6) {
      if (!ParseIntOrReply(ctx, ctx.args[5], &count)) return;
      if (count < 0) count = 10;
    }
  }
  ReplyBuilder& rb = *ctx.rb;
  rb.StartMap(full ? 9 : 10);
  rb.SendBulk("length");
  rb.SendLong(static_cast<int64_t>(s.length()));
  rb.SendBulk("radix-tree-keys");
  rb.SendLong(static_cast<int64_t>(s.node_count()));
  rb.SendBulk("radix-tree-nodes");
  rb.SendLong(static_cast<int64_t>(s.RaxNodeCount()));
  rb.SendBulk("last-generated-id");
  rb.SendBulk(s.last_id().ToString());
  rb.SendBulk("max-deleted-entry-id");
  rb.SendBulk(s.max_deleted_id().ToString());
  rb.SendBulk("entries-added");
  rb.SendLong(static_cast<int64_t>(s.entries_added()));
  rb.SendBulk("recorded-first-entry-id");
  rb.SendBulk(s.first_id().ToString());
  if (!full) {
    rb.SendBulk("groups");
    rb.SendLong(static_cast<int64_t>(s.groups().size()));
    for (bool reverse : {false, true}) {
      rb.SendBulk(reverse ? "last-entry" : "first-entry");
      StreamIterator it(s, StreamID{}, StreamID::Max(), reverse);
      if (it.Next()) {
        stream_cmd::SendEntry(rb, it);
      } else {
        rb.SendNull();
      }
    }
    return;
  }
  rb.SendBulk("entries");
  {
    const uint32_t n = static_cast<uint32_t>(
        count == 0 ? s.length() : std::min<uint64_t>(s.length(), static_cast<uint64_t>(count)));
    rb.StartArray(n);
    StreamIterator it(s, StreamID{}, StreamID::Max(), false);
    for (uint32_t i = 0; i < n && it.Next(); ++i) stream_cmd::SendEntry(rb, it);
  }
  rb.SendBulk("groups");
  rb.StartArray(static_cast<uint32_t>(s.groups().size()));
  for (const auto& [name, g] : s.groups()) {
    rb.StartMap(7);
    rb.SendBulk("name");
    rb.SendBulk(name);
    rb.SendBulk("last-delivered-id");
    rb.SendBulk(g.last_id.ToString());
    rb.SendBulk("entries-read");
    SendEntriesRead(rb, g);
    rb.SendBulk("lag");
    SendLag(rb, s, g);
    rb.SendBulk("pel-count");
    rb.SendLong(static_cast<int64_t>(g.pel().size()));
    rb.SendBulk("pending");
    {
      const uint32_t n = Limited(g.pel(), count);
      rb.StartArray(n);
      auto it = g.pel().begin();
      for (uint32_t i = 0; i < n; ++i, ++it) {
        rb.StartArray(4);
        rb.SendBulk(it->first.ToString());
        rb.SendBulk(it->second.consumer->name);
        rb.SendLong(it->second.delivery_time_ms);
        rb.SendLong(static_cast<int64_t>(it->second.delivery_count));
      }
    }
    rb.SendBulk("consumers");
    rb.StartArray(static_cast<uint32_t>(g.consumers().size()));
    for (const auto& [cname, c] : g.consumers()) {
      rb.StartMap(4);
      rb.SendBulk("name");
      rb.SendBulk(cname);
      rb.SendBulk("seen-time");
      rb.SendLong(c.seen_time_ms);
      rb.SendBulk("pel-count");
      rb.SendLong(static_cast<int64_t>(c.pel.size()));
      rb.SendBulk("pending");
      const uint32_t n = Limited(c.pel, count);
      rb.StartArray(n);
      auto it = c.pel.begin();
      for (uint32_t i = 0; i < n; ++i, ++it) {
        rb.StartArray(3);
        rb.SendBulk(it->first.ToString());
        rb.SendLong(it->second->delivery_time_ms);
        rb.SendLong(static_cast<int64_t>(it->second->delivery_count));
      }
    }
  }
}

void CmdXInfo(CommandContext& ctx) {
  const Sub* sub = FindSub(ctx, "xinfo", kXInfoSubs);
  if (!sub) return;
  if (sub->name == "HELP") {
    SendHelp(ctx, "XINFO",
             {"CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.",
              "GROUPS <key>", "    Show the stream consumer groups.",
              "STREAM <key> [FULL [COUNT <count>]", "    Show information about the stream."});
    return;
  }
  const std::string_view key = ctx.args[2];
  bool wrong;
  Stream* s = Find(ctx, key, &wrong);
  if (wrong) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  if (!s) {
    ctx.rb->SendError(errors::kNoSuchKey);
    return;
  }
  ReplyBuilder& rb = *ctx.rb;
  if (sub->name == "CONSUMERS") {
    const StreamGroup* g = s->FindGroup(ctx.args[3]);
    if (!g) {
      rb.SendError(fmt::format("NOGROUP No such consumer group '{}' for key name '{}'",
                               ctx.args[3], key));
      return;
    }
    rb.StartArray(static_cast<uint32_t>(g->consumers().size()));
    for (const auto& [name, c] : g->consumers()) {
      rb.StartMap(3);
      rb.SendBulk("name");
      rb.SendBulk(name);
      rb.SendBulk("pending");
      rb.SendLong(static_cast<int64_t>(c.pel.size()));
      rb.SendBulk("idle");
      rb.SendLong(std::max<int64_t>(ctx.now_ms - c.seen_time_ms, 0));
    }
  } else if (sub->name == "GROUPS") {
    rb.StartArray(static_cast<uint32_t>(s->groups().size()));
    for (const auto& [name, g] : s->groups()) {
      rb.StartMap(6);
      rb.SendBulk("name");
      rb.SendBulk(name);
      rb.SendBulk("consumers");
      rb.SendLong(static_cast<int64_t>(g.consumers().size()));
      rb.SendBulk("pending");
      rb.SendLong(static_cast<int64_t>(g.pel().size()));
      rb.SendBulk("last-delivered-id");
      rb.SendBulk(g.last_id.ToString());
      rb.SendBulk("entries-read");
      SendEntriesRead(rb, g);
      rb.SendBulk("lag");
      SendLag(rb, *s, g);
    }
  } else {
    XInfoStream(ctx, *s);
  }
}

}  // namespace

void RegisterStreamGroupFamily(CommandTable& t) {
  CommandSpec xgroup = MakeSpec("xgroup", -2, 0, kNoKeys, CmdXGroup, "stream", "5.0.0",
                                "A container for consumer groups commands.",
                                "CREATE|SETID|CREATECONSUMER|DELCONSUMER|DESTROY|HELP [arg ...]");
  xgroup.find_keys = ContainerKey;
  xgroup.flags_of = XGroupCallFlags;
  xgroup.logs_by_call_flags = true;
  t.Register(std::move(xgroup));
  CommandSpec xinfo = MakeSpec("xinfo", -2, 0, kNoKeys, CmdXInfo, "stream", "5.0.0",
                               "A container for stream introspection commands.",
                               "CONSUMERS|GROUPS|STREAM|HELP [arg ...]");
  xinfo.find_keys = ContainerKey;
  t.Register(std::move(xinfo));
  t.Register(MakeSpec("xack", -4, kCmdWrite | kCmdFast, kOneKey, CmdXAck, "stream", "5.0.0",
                      "Returns the number of messages that were successfully acknowledged by "
                      "the consumer group member of a stream.",
                      "key group id [id ...]"));
  t.Register(MakeSpec("xpending", -3, kCmdReadonly, kOneKey, CmdXPending, "stream", "5.0.0",
                      "Returns the information and entries from a stream consumer group's "
                      "pending entries list.",
                      "key group [[IDLE min-idle-time] start end count [consumer]]"));
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
