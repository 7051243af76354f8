// XINFO STREAM / GROUPS / CONSUMERS / HELP, with Redis 7.0's replies (t_stream.c xinfoCommand;
// 7.0 has no active-time or inactive fields, which 7.2 added).
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/stream_groups.h"
#include "core/stream.h"

namespace kv {
namespace {

using namespace stream_cmd;

constexpr Subcommand kXInfoSubs[] = {
    {"CONSUMERS", 4, "", "List the consumers in a consumer group", kCmdReadonly, kSubcommandKey},
    {"GROUPS", 3, "", "List the consumer groups of a stream", kCmdReadonly, kSubcommandKey},
    {"STREAM", -3, "", "Get information about a stream", kCmdReadonly, kSubcommandKey},
    {"HELP", 2, "", HelpSubcommand().summary, HelpSubcommand().flags}};

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
        ReplyEntry(rb, it);
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
    for (uint32_t i = 0; i < n && it.Next(); ++i) ReplyEntry(rb, it);
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
  const Subcommand* sub = FindSubcommandOrReply(ctx, "xinfo", kXInfoSubs);
  if (!sub) return;
  if (sub->name == "HELP") {
    ReplyHelp(ctx, "xinfo",
             {"CONSUMERS <key> <groupname>", "    Show consumers of <groupname>.",
              "GROUPS <key>", "    Show the stream consumer groups.",
              "STREAM <key> [FULL [COUNT <count>]", "    Show information about the stream."});
    return;
  }
  const std::string_view key = ctx.args[2];
  bool wrong;
  Stream* s = FindOrReply(ctx, key, &wrong);
  if (wrong) return;
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

void stream_cmd::RegisterXInfo(CommandTable& t) {
  CommandSpec xinfo = MakeSpec("xinfo", -2, 0, kNoKeys, CmdXInfo, "stream", "5.0.0",
                               "A container for stream introspection commands.",
                               "CONSUMERS|GROUPS|STREAM|HELP [arg ...]");
  t.Register(WithSubcommands(std::move(xinfo), kXInfoSubs, {.sub_categories = acl::kStream}));
}

}  // namespace kv
