// COMMAND: what the command table says of each command and of each container's subcommand
// (COUNT INFO DOCS LIST GETKEYS GETKEYSANDFLAGS HELP), in Redis 7.0's reply shapes.

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/acl.h"
#include "core/glob.h"

namespace kv {

namespace {

// A command as COMMAND names it: a plain command or a container (sub == nullptr), or one
// container's subcommand.
struct Named {
  const CommandSpec* spec = nullptr;
  const SubcommandSpec* sub = nullptr;
};

// Redis's lookupCommandBySds: "get", or "config|get" (any case) for a subcommand; nothing for an
// unknown name, a plain command with a "|" part, or more than one "|".
Named LookupFullName(const CommandTable& table, std::string_view name) {
  const size_t bar = name.find('|');
  if (bar == std::string_view::npos) return {table.FindPublic(name), nullptr};
  const CommandSpec* spec = table.FindPublic(name.substr(0, bar));
  const std::string_view rest = name.substr(bar + 1);
  if (!spec || spec->subcommands.empty() || rest.find('|') != std::string_view::npos) return {};
  const SubcommandSpec* sub = spec->FindSubcommand(rest);
  return sub ? Named{spec, sub} : Named{};
}

std::vector<std::string_view> FlagNames(uint32_t flags) {
  static constexpr std::pair<CommandFlag, std::string_view> kNames[] = {
      {kCmdWrite, "write"},       {kCmdReadonly, "readonly"}, {kCmdDenyOom, "denyoom"},
      {kCmdAdmin, "admin"},       {kCmdPubSub, "pubsub"},     {kCmdNoScript, "noscript"},
      {kCmdBlocking, "blocking"}, {kCmdLoading, "loading"},   {kCmdStale, "stale"},
      {kCmdSkipMonitor, "skip_monitor"}, {kCmdSkipSlowlog, "skip_slowlog"},
      {kCmdFast, "fast"},         {kCmdNoAuth, "no_auth"},
      {kCmdNoMandatoryKeys, "no_mandatory_keys"}, {kCmdNoMulti, "no_multi"},
  };
  std::vector<std::string_view> out;
  for (const auto& [flag, name] : kNames)
    if (flags & flag) out.push_back(name);
  return out;
}

void SendSimpleSet(ReplyBuilder& rb, const std::vector<std::string_view>& items) {
  rb.StartSet(static_cast<uint32_t>(items.size()));
  for (std::string_view item : items) rb.SendSimple(item);
}

// The first nine elements of an entry: name, arity, flags, first/last/step key, categories,
// tips (none) and the key specs (one range spec, RW for a write, RO otherwise).
void SendEntryHead(ReplyBuilder& rb, std::string_view name, int arity,
                   const std::vector<std::string_view>& flags, KeyRange keys,
                   uint32_t categories, bool write) {
  rb.StartArray(10);
  rb.SendBulk(name);
  rb.SendLong(arity);
  SendSimpleSet(rb, flags);
  rb.SendLong(keys.first);
  rb.SendLong(keys.last);
  rb.SendLong(keys.step);
  std::vector<std::string> cats;
  for (std::string_view c : acl::CategoryNames(categories)) cats.push_back("@" + std::string(c));
  rb.StartSet(static_cast<uint32_t>(cats.size()));
  for (const std::string& c : cats) rb.SendSimple(c);
  rb.StartSet(0);  // tips
  if (keys.first <= 0) {
    rb.StartArray(0);
    return;
  }
  rb.StartArray(1);
  rb.StartMap(3);
  rb.SendBulk("flags");
  SendSimpleSet(rb, {write ? "RW" : "RO"});
  rb.SendBulk("begin_search");
  rb.StartMap(2);
  rb.SendBulk("type");
  rb.SendBulk("index");
  rb.SendBulk("spec");
  rb.StartMap(1);
  rb.SendBulk("index");
  rb.SendLong(keys.first);
  rb.SendBulk("find_keys");
  rb.StartMap(2);
  rb.SendBulk("type");
  rb.SendBulk("range");
  rb.SendBulk("spec");
  rb.StartMap(3);
  rb.SendBulk("lastkey");
  rb.SendLong(keys.last < 0 ? keys.last : keys.last - keys.first);
  rb.SendBulk("keystep");
  rb.SendLong(keys.step);
  rb.SendBulk("limit");
  rb.SendLong(0);
}

void SendSubcommandInfo(ReplyBuilder& rb, const SubcommandSpec& sub) {
  SendEntryHead(rb, sub.full_name, sub.arity, FlagNames(sub.flags), sub.keys, sub.acl_categories,
                (sub.flags & kCmdWrite) != 0);
  rb.StartArray(0);
}

// A container reports the flags Redis gives the container itself, no keys, and its subcommands
// as full entries; a plain command its own flags and keys.
void SendCommandInfo(ReplyBuilder& rb, const CommandSpec& s) {
  const bool container = !s.subcommands.empty();
  std::vector<std::string_view> flags = FlagNames(container ? s.container.info_flags : s.flags);
  if (!s.module.empty()) flags.push_back("module");
  if ((s.find_keys || s.script_keys) && !container) flags.push_back("movablekeys");
  const KeyRange keys = container ? kNoKeys : KeyRange{s.first_key, s.last_key, s.key_step};
  SendEntryHead(rb, s.name, s.arity, flags, keys, s.acl_categories, s.has(kCmdWrite));
  rb.StartArray(static_cast<uint32_t>(s.subcommands.size()));
  for (const SubcommandSpec& sub : s.subcommands) SendSubcommandInfo(rb, sub);
}

void SendInfo(ReplyBuilder& rb, Named n) {
  if (n.sub)
    SendSubcommandInfo(rb, *n.sub);
  else if (n.spec)
    SendCommandInfo(rb, *n.spec);
  else
    rb.SendNull();
}

// One docs map: summary, since, group, then arguments and subcommands when there are any.
void SendDocsMap(ReplyBuilder& rb, std::string_view summary, std::string_view since,
                 std::string_view group, const std::vector<std::string>& args, size_t subs) {
  rb.StartMap(3 + (args.empty() ? 0 : 1) + (subs ? 1 : 0));
  rb.SendBulk("summary");
  rb.SendBulk(summary);
  rb.SendBulk("since");
  rb.SendBulk(since);
  rb.SendBulk("group");
  rb.SendBulk(group);
  if (!args.empty()) {
    rb.SendBulk("arguments");
    rb.StartArray(static_cast<uint32_t>(args.size()));
    for (const auto& t : args) {
      rb.StartMap(2);
      rb.SendBulk("name");
      rb.SendBulk(t);
      rb.SendBulk("type");
      rb.SendBulk("string");
    }
  }
  if (subs) {
    rb.SendBulk("subcommands");
    rb.StartMap(static_cast<uint32_t>(subs));
  }
}

// The argument syntax as one string argument per top-level token, so redis-cli shows it as the
// hint.
std::vector<std::string> SyntaxTokens(std::string_view syntax) {
  std::vector<std::string> tokens;
  int depth = 0;
  std::string cur;
  for (char c : syntax) {
    if (c == ' ' && depth == 0) {
      if (!cur.empty()) tokens.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (c == '[') ++depth;
    if (c == ']') --depth;
    cur += c;
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

// A subcommand's arguments, which the table knows by their count only (its arity) and by where
// its key stands: "key" there, "arg" for each other one it needs, "[arg ...]" when it takes
// more. redis-cli shows them as the hint after the subcommand's name.
std::vector<std::string> SubcommandArgs(const SubcommandSpec& sub) {
  std::vector<std::string> out;
  for (int pos = 2; pos < std::abs(sub.arity); ++pos)
    out.push_back(pos == sub.keys.first ? "key" : "arg");
  if (sub.arity < 0) out.push_back("[arg ...]");
  return out;
}

// A name and its docs map, as COMMAND DOCS answers for each command it knows; a container's map
// ends with its subcommands', each under its full name.
void SendDocs(ReplyBuilder& rb, Named n) {
  const CommandSpec& s = *n.spec;
  const std::string_view group = s.module.empty() ? std::string_view(s.group) : "module";
  if (n.sub) {
    rb.SendBulk(n.sub->full_name);
    SendDocsMap(rb, n.sub->summary, n.sub->since, group, SubcommandArgs(*n.sub), 0);
    return;
  }
  rb.SendBulk(s.name);
  SendDocsMap(rb, s.summary, s.since, group, SyntaxTokens(s.syntax), s.subcommands.size());
  for (const SubcommandSpec& sub : s.subcommands) SendDocs(rb, {&s, &sub});
}

// COMMAND LIST's FILTERBY: which commands and subcommands it keeps.
struct ListFilter {
  enum Kind { kNone, kModule, kAclCat, kPattern } kind = kNone;
  std::string_view arg;
  std::optional<uint32_t> category;  // kAclCat: nullopt for an unknown one, which keeps nothing

  bool Keeps(const CommandSpec& s, std::string_view name, uint32_t categories) const {
    switch (kind) {
      case kModule: return !s.module.empty() && EqualsIgnoreCase(s.module, arg);
      case kAclCat: return category && (categories & *category) != 0;
      case kPattern: return GlobMatch(arg, name, /*nocase=*/true);
      case kNone: break;
    }
    return true;
  }
};

// Redis's parse: FILTERBY MODULE|ACLCAT|PATTERN <arg>, else a syntax error.
bool ParseListFilterOrReply(CommandContext& ctx, ListFilter* f) {
  const auto& a = ctx.args;
  if (a.size() == 2) return true;
  if (a.size() != 5 || !EqualsIgnoreCase(a[2], "FILTERBY")) {
    ctx.rb->SendError(errors::kSyntax);
    return false;
  }
  if (EqualsIgnoreCase(a[3], "MODULE")) {
    f->kind = ListFilter::kModule;
  } else if (EqualsIgnoreCase(a[3], "ACLCAT")) {
    f->kind = ListFilter::kAclCat;
    f->category = acl::CategoryByName(a[4]);
  } else if (EqualsIgnoreCase(a[3], "PATTERN")) {
    f->kind = ListFilter::kPattern;
  } else {
    ctx.rb->SendError(errors::kSyntax);
    return false;
  }
  f->arg = a[4];
  return true;
}

void CommandList(CommandContext& ctx, const CommandTable& table) {
  ListFilter filter;
  if (!ParseListFilterOrReply(ctx, &filter)) return;
  std::vector<std::string_view> names;
  for (const CommandSpec* s : table.Public()) {
    if (filter.Keeps(*s, s->name, s->acl_categories)) names.push_back(s->name);
    for (const SubcommandSpec& sub : s->subcommands)
      if (filter.Keeps(*s, sub.full_name, sub.acl_categories)) names.push_back(sub.full_name);
  }
  ctx.rb->StartArray(static_cast<uint32_t>(names.size()));
  for (std::string_view n : names) ctx.rb->SendBulk(n);
}

// COMMAND GETKEYS / GETKEYSANDFLAGS <command> [arg ...], in Redis 7.0's order of checks: the
// command (a container's subcommand by its second word), whether it has keys, its arity.
void CommandGetKeys(CommandContext& ctx, const CommandTable& table, bool with_flags) {
  const auto call = ctx.args.subspan(2);
  const CommandSpec* s = table.FindPublic(call[0]);
  const SubcommandSpec* sub = s ? s->SubcommandOf(call) : nullptr;
  if (!s || (!sub && !s->subcommands.empty() && call.size() >= 2)) {
    ctx.rb->SendError("ERR Invalid command specified");
    return;
  }
  const bool has_keys =
      sub ? sub->keys.first > 0 : (s->first_key > 0 || s->find_keys || s->script_keys);
  if (!has_keys) {
    ctx.rb->SendError("ERR The command has no key arguments");
    return;
  }
  if (!ArityFits(sub ? sub->arity : s->arity, call.size())) {
    ctx.rb->SendError("ERR Invalid number of arguments specified for command");
    return;
  }
  std::vector<size_t> pos;
  if (s->script_keys)
    s->script_keys(call, &pos);
  else
    s->KeyPositions(call, &pos);
  // Arguments that name no key (ZUNIONSTORE d 0 a): an error, as Redis's getkeys answers, but
  // for a command whose keys are optional (EVAL "..." 0).
  if (pos.empty()) {
    if (s->has(kCmdNoMandatoryKeys))
      ctx.rb->StartArray(0);
    else
      ctx.rb->SendError("ERR Invalid arguments specified for command");
    return;
  }
  ctx.rb->StartArray(static_cast<uint32_t>(pos.size()));
  for (size_t p : pos) {
    if (!with_flags) {
      ctx.rb->SendBulk(call[p]);
      continue;
    }
    // A script's keys are RW unless the command is a read-only one (EVAL_RO), as Redis's specs.
    const bool write = sub              ? (sub->flags & kCmdWrite) != 0
                       : s->script_keys ? !s->has(kCmdReadonly)
                                        : !s->KeyOnlyRead(p);
    ctx.rb->StartArray(2);
    ctx.rb->SendBulk(call[p]);
    SendSimpleSet(*ctx.rb, {write ? "RW" : "RO"});
  }
}

void CmdCommand(CommandContext& ctx) {
  const CommandTable& table = ctx.server->commands;
  ReplyBuilder& rb = *ctx.rb;
  const std::string_view sub = ctx.args.size() > 1 ? ctx.args[1] : "INFO";
  const auto names = ctx.args.size() > 2 ? ctx.args.subspan(2) : ctx.args.subspan(0, 0);
  if (EqualsIgnoreCase(sub, "INFO") || EqualsIgnoreCase(sub, "DOCS")) {
    const bool info = EqualsIgnoreCase(sub, "INFO");
    std::vector<Named> found;
    if (names.empty()) {
      for (const CommandSpec* s : table.Public()) found.push_back({s, nullptr});
    } else {
      for (std::string_view name : names) {
        const Named n = LookupFullName(table, name);
        if (n.spec || info) found.push_back(n);  // DOCS skips unknown names, INFO answers nil
      }
    }
    if (info) {
      rb.StartArray(static_cast<uint32_t>(found.size()));
      for (const Named& n : found) SendInfo(rb, n);
    } else {
      rb.StartMap(static_cast<uint32_t>(found.size()));
      for (const Named& n : found) SendDocs(rb, n);
    }
  } else if (EqualsIgnoreCase(sub, "COUNT")) {
    rb.SendLong(static_cast<int64_t>(table.Public().size()));
  } else if (EqualsIgnoreCase(sub, "LIST")) {
    CommandList(ctx, table);
  } else if (EqualsIgnoreCase(sub, "GETKEYS") || EqualsIgnoreCase(sub, "GETKEYSANDFLAGS")) {
    CommandGetKeys(ctx, table, EqualsIgnoreCase(sub, "GETKEYSANDFLAGS"));
  } else {
    SendHelpReply(ctx, "COMMAND",
                  {"(no subcommand)", "    Return details about all commands.", "COUNT",
                   "    Return the total number of commands in this server.", "LIST",
                   "    Return a list of all commands in this server.",
                   "INFO [<command-name> ...]", "    Return details about multiple commands.",
                   "    If no command names are given, documentation details for all",
                   "    commands are returned.", "DOCS [<command-name> ...]",
                   "    Return documentation details about multiple commands.",
                   "    If no command names are given, documentation details for all",
                   "    commands are returned.", "GETKEYS <full-command>",
                   "    Return the keys from a full command.", "GETKEYSANDFLAGS <full-command>",
                   "    Return the keys and the access flags from a full command."});
  }
}

}  // namespace

void RegisterCommandFamily(CommandTable& t) {
  constexpr uint32_t kFlags = kCmdLoading | kCmdStale;
  t.Register(WithSubcommands(
      MakeSpec("command", -1, kFlags, kNoKeys, CmdCommand, "server", "2.8.13",
               "Returns detailed information about all commands.",
               "[COUNT|INFO|DOCS|LIST|GETKEYS|GETKEYSANDFLAGS|HELP [arg ...]]"),
      {{"count", 2, "", "Get total number of Redis commands"},
       {"docs", -2, "7.0.0", "Get array of specific Redis command documentation"},
       {"getkeys", -4, "", "Extract keys given a full Redis command"},
       {"getkeysandflags", -4, "7.0.0", "Extract keys and access flags given a full Redis command"},
       {"info", -2, "",
        "Get array of specific Redis command details, or all when no argument is given."},
       {"list", -2, "7.0.0", "Get an array of Redis command names"}, HelpSubcommand("5.0.0")},
      {.info_flags = kFlags, .sub_categories = acl::kConnection}));
}

}  // namespace kv
