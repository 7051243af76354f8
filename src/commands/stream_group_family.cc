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
#include "commands/lookup.h"
#include "commands/stream_groups.h"
#include "core/object.h"
#include "core/shard.h"
#include "core/stream.h"

namespace kv {

namespace stream_cmd {

Stream* Find(CommandContext& ctx, std::string_view key, bool* wrong) {
  *wrong = false;
  Entry* e = ctx.ShardFor(key).Find(key, ctx.now_ms);
  if (!e) return nullptr;
  if (TypeOf(*e) != ObjType::kStream) {
    *wrong = true;
    return nullptr;
  }
  return StreamOf(e);
}

bool ReplyEntryById(ReplyBuilder& rb, const Stream& s, StreamID id) {
  StreamIterator it(s, id, id, false);
  if (!it.Next()) return false;
  ReplyEntry(rb, it);
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

Stream* FindOrReply(CommandContext& ctx, std::string_view key, bool* wrong) {
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kStream, Access::kWrite, wrong);
  return e ? StreamOf(e) : nullptr;
}

StreamGroup* FindGroupOrReply(CommandContext& ctx, std::string_view key, std::string_view group,
                              Stream** s) {
  bool wrong;
  *s = FindOrReply(ctx, key, &wrong);
  if (wrong) return nullptr;
  StreamGroup* g = *s ? (*s)->FindGroup(group) : nullptr;
  if (!g) ctx.rb->SendError(NoGroupError(key, group));
  return g;
}

std::string NoGroupError(std::string_view key, std::string_view group) {
  return fmt::format("NOGROUP No such key '{}' or consumer group '{}'", key, group);
}

std::string SubcommandSyntaxError(std::string_view sub, std::string_view cmd) {
  return fmt::format(
      "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
      sub.substr(0, 128), cmd);
}

const Subcommand* FindSubcommandOrReply(CommandContext& ctx, std::string_view cmd,
                                        std::span<const Subcommand> subs) {
  const std::string_view sub = ctx.args[1];
  for (const Subcommand& s : subs) {
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

void ReplyHelp(CommandContext& ctx, std::string_view cmd,
               std::initializer_list<std::string_view> lines) {
  std::string upper(cmd);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ctx.rb->StartArray(static_cast<uint32_t>(lines.size() + 3));
  ctx.rb->SendSimple(
      fmt::format("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", upper));
  for (std::string_view l : lines) ctx.rb->SendSimple(l);
  ctx.rb->SendSimple("HELP");
  ctx.rb->SendSimple("    Prints this help.");
}

}  // namespace stream_cmd

namespace {

namespace ev = keyspace_events;
using namespace stream_cmd;

// ---- XGROUP ----------------------------------------------------------------------------------

// Redis's flags and keys of each subcommand: COMMAND INFO reports them, the dispatcher acts on
// them (every one but HELP is a logged write of its key).
constexpr uint32_t kGrows = kCmdWrite | kCmdDenyOom;
constexpr Subcommand kXGroupSubs[] = {
    {"CREATE", -5, "", "Create a consumer group.", kGrows, kSubcommandKey},
    {"SETID", -5, "", "Set a consumer group to an arbitrary last delivered ID value.", kCmdWrite,
     kSubcommandKey},
    {"CREATECONSUMER", 5, "6.2.0", "Create a consumer in a consumer group.", kGrows,
     kSubcommandKey},
    {"DELCONSUMER", 5, "", "Delete a consumer from a consumer group.", kCmdWrite, kSubcommandKey},
    {"DESTROY", 4, "", "Destroy a consumer group.", kCmdWrite, kSubcommandKey},
    {"HELP", 2, "", HelpSubcommand().summary, HelpSubcommand().flags}};

void XGroupHelp(CommandContext& ctx) {
  ReplyHelp(ctx, "xgroup",
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
  const Subcommand* sub = FindSubcommandOrReply(ctx, "xgroup", kXGroupSubs);
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
  Stream* s = FindOrReply(ctx, key, &wrong);
  if (wrong) return;
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
  size_t before = s ? s->memory() : 0;
  if (name == "CREATE") {
    StreamID id;
    if (ctx.args[4] == "$") {
      id = s ? s->last_id() : StreamID{};
    } else if (!ParseIdOrReply(ctx, ctx.args[4], 0, true, nullptr, &id)) {
      return;
    }
    if (!s) {
      s = StreamOf(CreateStream(ctx.ShardFor(key), key));
      before = s->memory();  // the new key accounted itself
    } else if (s->FindGroup(group)) {
      ctx.rb->SendError("BUSYGROUP Consumer Group name already exists");
      return;
    }
    s->CreateGroup(group, id, entries_read);
    Changed(ctx, key, *s, before);
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
      ctx.rb->SendError(kInvalidId);
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
    Changed(ctx, key, *s, before);
    ctx.rb->SendOk();
    ctx.Notify(ev::kStream, "xgroup-setid", key);
  } else if (name == "DESTROY") {
    if (!g) {
      ctx.rb->SendLong(0);
      return;
    }
    s->DestroyGroup(group);
    Changed(ctx, key, *s, before);
    ctx.rb->SendLong(1);
    ctx.Notify(ev::kStream, "xgroup-destroy", key);
  } else if (name == "CREATECONSUMER") {
    bool created;
    g->CreateConsumer(ctx.args[4], ctx.now_ms, &created);
    if (created) {
      Changed(ctx, key, *s, before);
      ctx.Notify(ev::kStream, "xgroup-createconsumer", key);
    }
    ctx.rb->SendLong(created ? 1 : 0);
  } else {  // DELCONSUMER
    const std::optional<uint64_t> pending = g->DeleteConsumer(ctx.args[4]);
    if (pending) {
      Changed(ctx, key, *s, before);
      ctx.Notify(ev::kStream, "xgroup-delconsumer", key);
    }
    ctx.rb->SendLong(static_cast<int64_t>(pending.value_or(0)));
  }
}

// ---- XACK ------------------------------------------------------------------------------------

void CmdXAck(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Stream* s = FindOrReply(ctx, key, &wrong);
  if (wrong) return;
  StreamGroup* g = s ? s->FindGroup(ctx.args[2]) : nullptr;
  if (!g) {
    ctx.rb->SendLong(0);
    return;
  }
  std::vector<StreamID> ids(ctx.args.size() - 3);
  for (size_t i = 3; i < ctx.args.size(); ++i)
    if (!ParseIdOrReply(ctx, ctx.args[i], 0, true, nullptr, &ids[i - 3])) return;
  const size_t before = s->memory();
  int64_t acked = 0;
  for (StreamID id : ids) acked += g->Ack(id) ? 1 : 0;
  if (acked > 0) Changed(ctx, key, *s, before);
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
    if (!ParseIntervalIdOrReply(ctx, ctx.args[at], 0, &start, &ex)) return;
    if (ex && !start.Incr()) {
      ctx.rb->SendError("ERR invalid start ID for the interval");
      return;
    }
    if (!ParseIntervalIdOrReply(ctx, ctx.args[at + 1], UINT64_MAX, &end, &ex)) return;
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
  Stream* s;
  StreamGroup* g = FindGroupOrReply(ctx, key, ctx.args[2], &s);
  if (!g) return;
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

}  // namespace

void RegisterStreamGroupFamily(CommandTable& t) {
  CommandSpec xgroup = MakeSpec("xgroup", -2, 0, kNoKeys, CmdXGroup, "stream", "5.0.0",
                                "A container for consumer groups commands.",
                                "CREATE|SETID|CREATECONSUMER|DELCONSUMER|DESTROY|HELP [arg ...]");
  t.Register(WithSubcommands(std::move(xgroup), kXGroupSubs, {.sub_categories = acl::kStream}));
  t.Register(MakeSpec("xack", -4, kCmdWrite | kCmdFast, kOneKey, CmdXAck, "stream", "5.0.0",
                      "Returns the number of messages that were successfully acknowledged by "
                      "the consumer group member of a stream.",
                      "key group id [id ...]"));
  t.Register(MakeSpec("xpending", -3, kCmdReadonly, kOneKey, CmdXPending, "stream", "5.0.0",
                      "Returns the information and entries from a stream consumer group's "
                      "pending entries list.",
                      "key group [[IDLE min-idle-time] start end count [consumer]]"));
  stream_cmd::RegisterXClaim(t);
  stream_cmd::RegisterXInfo(t);
}

}  // namespace kv
