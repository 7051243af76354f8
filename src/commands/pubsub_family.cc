// Pub/Sub: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB SSUBSCRIBE SUNSUBSCRIBE
// SPUBLISH, with Redis 7's replies. Subscriptions live in ServerState::pubsub (every thread's
// clients); PUBLISH collects the receivers there and hands the message to each receiver's I/O
// loop through ServerState::deliver_pubsub, one hand-off per loop, in the order it publishes.
// Shard channels behave as in a Redis without cluster mode: a namespace of channels apart
// from the ordinary ones, which patterns do not reach.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"

namespace kv {

namespace {

constexpr std::string_view kNoPushOverNative =
    "ERR pub/sub needs RESP: the native protocol has no pushed messages";

void Subscribe(CommandContext& ctx, SubKind kind, std::string_view word) {
  if (ctx.rb->keeps_types()) {
    ctx.rb->SendError(kNoPushOverNative);
    return;
  }
  ClientState& c = *ctx.client;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    ctx.server->pubsub.Subscribe(c.pubsub, c.id, c.io_thread, kind, ctx.args[i]);
    ctx.rb->StartPush(3);
    ctx.rb->SendBulk(word);
    ctx.rb->SendBulk(ctx.args[i]);
    ctx.rb->SendLong(c.pubsub.Count(kind));
  }
}

void Unsubscribe(CommandContext& ctx, SubKind kind, std::string_view word) {
  ClientState& c = *ctx.client;
  auto reply = [&](const std::string_view* name) {
    ctx.rb->StartPush(3);
    ctx.rb->SendBulk(word);
    if (name)
      ctx.rb->SendBulk(*name);
    else
      ctx.rb->SendNull();
    ctx.rb->SendLong(c.pubsub.Count(kind));
  };
  if (ctx.args.size() > 1) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      ctx.server->pubsub.Unsubscribe(c.pubsub, c.id, kind, ctx.args[i]);
      reply(&ctx.args[i]);
    }
    return;
  }
  // Without arguments: every subscription of that kind, one reply each (none: one with nil).
  const auto& mine = c.pubsub.Set(kind);
  if (mine.empty()) {
    reply(nullptr);
    return;
  }
  const std::vector<std::string> names =
      kind == SubKind::kPattern ? c.pubsub.pattern_order
                                : std::vector<std::string>(mine.begin(), mine.end());
  for (const std::string& name : names) {
    ctx.server->pubsub.Unsubscribe(c.pubsub, c.id, kind, name);
    const std::string_view view = name;
    reply(&view);
  }
}

void Publish(CommandContext& ctx, bool shard) {
  ctx.rb->SendLong(static_cast<int64_t>(ctx.server->Publish(ctx.args[1], ctx.args[2], shard)));
}

void CmdSubscribe(CommandContext& ctx) { Subscribe(ctx, SubKind::kChannel, "subscribe"); }
void CmdPSubscribe(CommandContext& ctx) { Subscribe(ctx, SubKind::kPattern, "psubscribe"); }
void CmdSSubscribe(CommandContext& ctx) { Subscribe(ctx, SubKind::kShard, "ssubscribe"); }
void CmdUnsubscribe(CommandContext& ctx) { Unsubscribe(ctx, SubKind::kChannel, "unsubscribe"); }
void CmdPUnsubscribe(CommandContext& ctx) {
  Unsubscribe(ctx, SubKind::kPattern, "punsubscribe");
}
void CmdSUnsubscribe(CommandContext& ctx) {
  Unsubscribe(ctx, SubKind::kShard, "sunsubscribe");
}
void CmdPublish(CommandContext& ctx) { Publish(ctx, false); }
void CmdSPublish(CommandContext& ctx) { Publish(ctx, true); }

void PubSubHelp(CommandContext& ctx) {
  static constexpr const char* kHelp[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.rb->StartArray(std::size(kHelp));
  for (const char* line : kHelp) ctx.rb->SendSimple(line);
}

void CmdPubSub(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  PubSubRegistry& reg = ctx.server->pubsub;
  const bool shard_channels = EqualsIgnoreCase(sub, "SHARDCHANNELS");
  if (EqualsIgnoreCase(sub, "CHANNELS") || shard_channels) {
    if (argc > 3) {
      ctx.rb->SendError(fmt::format(
          "ERR unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
          sub.substr(0, 128)));
      return;
    }
    std::optional<std::string_view> pattern;
    if (argc == 3) pattern = ctx.args[2];
    const std::vector<std::string> names = reg.Channels(shard_channels, pattern);
    ctx.rb->StartArray(static_cast<uint32_t>(names.size()));
    for (const std::string& n : names) ctx.rb->SendBulk(n);
  } else if (EqualsIgnoreCase(sub, "NUMSUB") || EqualsIgnoreCase(sub, "SHARDNUMSUB")) {
    const bool shard = EqualsIgnoreCase(sub, "SHARDNUMSUB");
    // Flat pairs in RESP3 too, as Redis 7.0 sends them.
    ctx.rb->StartArray(static_cast<uint32_t>((argc - 2) * 2));
    for (size_t i = 2; i < argc; ++i) {
      ctx.rb->SendBulk(ctx.args[i]);
      ctx.rb->SendLong(static_cast<int64_t>(reg.NumSub(shard, ctx.args[i])));
    }
  } else if (EqualsIgnoreCase(sub, "NUMPAT")) {
    if (argc != 2) {
      ctx.rb->SendError(errors::WrongArity("pubsub|numpat"));
      return;
    }
    ctx.rb->SendLong(static_cast<int64_t>(reg.NumPatterns()));
  } else if (EqualsIgnoreCase(sub, "HELP")) {
    if (argc != 2) {
      ctx.rb->SendError(errors::WrongArity("pubsub|help"));
      return;
    }
    PubSubHelp(ctx);
  } else {
    ctx.rb->SendError(errors::UnknownSubcommand("pubsub", sub));
  }
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, CommandHandler h, std::string since,
                 std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, kNoKeys, h, "pubsub", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterPubSubFamily(CommandTable& t) {
  constexpr uint32_t kSub = kCmdPubSub | kCmdNoScript | kCmdLoading | kCmdStale;
  constexpr uint32_t kPub = kCmdPubSub | kCmdLoading | kCmdStale | kCmdFast;
  constexpr uint32_t kPublish = kPub | kCmdMayReplicate;
  constexpr uint32_t kPubSubInfo = kCmdPubSub | kCmdLoading | kCmdStale;  // PUBSUB's subcommands
  t.Register(Spec("subscribe", -2, kSub, CmdSubscribe, "2.0.0",
                  "Listens for messages published to channels.", "channel [channel ...]"));
  t.Register(Spec("unsubscribe", -1, kSub, CmdUnsubscribe, "2.0.0",
                  "Stops listening to messages posted to channels.", "[channel [channel ...]]"));
  t.Register(Spec("psubscribe", -2, kSub, CmdPSubscribe, "2.0.0",
                  "Listens for messages published to channels that match one or more patterns.",
                  "pattern [pattern ...]"));
  t.Register(Spec("punsubscribe", -1, kSub, CmdPUnsubscribe, "2.0.0",
                  "Stops listening to messages published to channels that match one or more "
                  "patterns.",
                  "[pattern [pattern ...]]"));
  t.Register(Spec("publish", 3, kPublish, CmdPublish, "2.0.0", "Posts a message to a channel.",
                  "channel message"));
  t.Register(Spec("ssubscribe", -2, kSub, CmdSSubscribe, "7.0.0",
                  "Listens for messages published to shard channels.",
                  "shardchannel [shardchannel ...]"));
  t.Register(Spec("sunsubscribe", -1, kSub, CmdSUnsubscribe, "7.0.0",
                  "Stops listening to messages posted to shard channels.",
                  "[shardchannel [shardchannel ...]]"));
  t.Register(Spec("spublish", 3, kPublish, CmdSPublish, "7.0.0",
                  "Post a message to a shard channel", "shardchannel message"));
  t.Register(WithSubcommands(
      Spec("pubsub", -2, kCmdLoading | kCmdStale, CmdPubSub, "2.8.0",
           "A container for Pub/Sub commands.",
           "CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP [arg ...]"),
      {{"channels", -2, "", "List active channels", kPubSubInfo},
       {"numsub", -2, "", "Get the count of subscribers for channels", kPubSubInfo},
       {"numpat", 2, "", "Get the count of unique patterns pattern subscriptions", kPubSubInfo},
       {"shardchannels", -2, "7.0.0", "List active shard channels", kPubSubInfo},
       {"shardnumsub", -2, "7.0.0", "Get the count of subscribers for shard channels",
        kPubSubInfo},
       HelpSubcommand("6.2.0")}));
}

}  // namespace kv
