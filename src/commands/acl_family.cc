// ACL command family (ACL SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT LOG GENPASS DRYRUN SAVE
// LOAD HELP), the categories of every command, the dispatcher's permission check and AUTH.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "commands/acl_commands.h"
#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/dispatch.h"
#include "commands/errors.h"
#include "commands/server_state.h"

namespace kv {

using namespace acl;

namespace {

// Redis's categories that neither the flags nor the group give.
const std::unordered_map<std::string_view, uint32_t>& ExtraCategories() {
  static const std::unordered_map<std::string_view, uint32_t> kExtra = {
      {"keys", kDangerous},        {"flushall", kKeyspace | kDangerous},
      {"flushdb", kKeyspace | kDangerous}, {"dbsize", kKeyspace},
      {"info", kDangerous},        {"lastsave", kAdmin | kDangerous},
      {"command", kConnection},   {"restore", kDangerous},
      {"role", kAdmin | kDangerous},
  };
  return kExtra;
}

// Redis's categories for WAIT, documented under generic but not @keyspace.
constexpr uint32_t kWaitCategories = kSlow | kConnection;

// The categories Redis derives from flags (setImplicitACLCategories).
uint32_t FlagCategories(uint32_t flags) {
  uint32_t cats = 0;
  if (flags & kCmdWrite) cats |= kWrite;
  if (flags & kCmdReadonly) cats |= kRead;
  if (flags & kCmdAdmin) cats |= kAdmin | kDangerous;
  cats |= (flags & kCmdFast) ? kFast : kSlow;
  if (flags & kCmdBlocking) cats |= kBlocking;
  if (flags & kCmdPubSub) cats |= kPubSub;
  return cats;
}

}  // namespace

uint32_t SubcommandAclCategories(uint32_t flags, uint32_t extra) {
  // Redis gives a @scripting command no @read: a script's keys say what it reads.
  const uint32_t cats = FlagCategories(flags) | extra;
  return (extra & kScripting) ? cats & ~kRead : cats;
}

uint32_t DeriveAclCategories(const CommandSpec& s) {
  if (s.module.empty() && s.name == "wait") return kWaitCategories;
  // A container's own categories come from the flags COMMAND INFO gives it (none but COMMAND's:
  // @slow); its subcommands have theirs, which the permission check uses.
  const bool container = s.module.empty() && !s.subcommands.empty();
  // Redis gives scripting commands neither @read nor @write: a script's keys say what it does.
  const bool scripting = s.module.empty() && s.group == "scripting";
  uint32_t cats = FlagCategories(container ? s.container.info_flags : s.flags);
  if (scripting) cats &= ~(kRead | kWrite);
  if (container) {
    auto e = ExtraCategories().find(s.name);
    return e != ExtraCategories().end() ? cats | e->second : cats;
  }
  if (s.module.empty()) {
    if (s.group == "string") cats |= kString;
    if (s.group == "bitmap") cats |= kBitmap;
    if (s.group == "hyperloglog") cats |= kHyperLogLog;
    // SORT is documented under generic, but Redis files it under its types, not @keyspace.
    if (s.group == "generic" && s.name != "sort" && s.name != "sort_ro") cats |= kKeyspace;
    if (s.group == "connection") cats |= kConnection;
    if (s.group == "transactions") cats |= kTransaction;
    if (s.group == "list") cats |= kList;
    if (s.group == "set") cats |= kSet;
    if (s.group == "hash") cats |= kHash;
    if (s.group == "sorted_set") cats |= kSortedSet;
    if (s.group == "geo") cats |= kGeo;
    if (s.group == "stream") cats |= kStream;
    if (scripting) cats |= kScripting;
    auto e = ExtraCategories().find(s.name);
    if (e != ExtraCategories().end()) cats |= e->second;
  }
  return cats;
}

uint32_t CallCategories(const CommandSpec& spec, std::span<const std::string_view> args) {
  const SubcommandSpec* sub = spec.SubcommandOf(args);
  return sub ? sub->acl_categories : spec.acl_categories;
}

std::string CallName(const CommandSpec& spec, std::span<const std::string_view> args) {
  return std::string(spec.CallName(args));
}

acl::CommandLookup CommandLookupFor(const CommandTable& table) {
  return [&table](std::string_view name) -> std::optional<uint32_t> {
    const CommandSpec* s = table.FindPublic(name);
    if (!s) return std::nullopt;
    return s->acl_categories;
  };
}

AclVerdict CheckAcl(const User& user, const CommandSpec& spec,
                    std::span<const std::string_view> args, std::span<const size_t> positions,
                    size_t* denied) {
  // A container's subcommand, or a command's first argument (+select|0), may be named alone.
  char buf[64];
  std::string_view sub;
  if (args.size() >= 2 && args[1].size() <= sizeof buf) {
    for (size_t i = 0; i < args[1].size(); ++i) buf[i] = AsciiLowerChar(args[1][i]);
    sub = {buf, args[1].size()};
  }
  if (!user.CommandAllowed({spec.name, sub, CallCategories(spec, args)}))
    return AclVerdict::kCommand;
  // A write needs write access to its keys, a read-only command read access. A container's
  // keys are its subcommand's: XGROUP CREATE writes its key, XINFO STREAM reads it.
  const SubcommandSpec* sub_spec = spec.SubcommandOf(args);
  for (size_t pos : positions) {
    const bool only_read =
        sub_spec ? (sub_spec->flags & kCmdWrite) == 0 : spec.KeyOnlyRead(pos);
    if (!user.KeyAllowed(args[pos], only_read, !only_read)) {
      *denied = pos;
      return AclVerdict::kKey;
    }
  }
  // Channels (Redis's &patterns): PUBLISH's and the SUBSCRIBEs' arguments are channels,
  // PSUBSCRIBE's are patterns; the UNSUBSCRIBEs need no permission.
  if (spec.has(kCmdPubSub) && !user.all_channels() && spec.module.empty()) {
    const std::string_view n = spec.name;
    const bool publish = n == "publish" || n == "spublish";
    const bool subscribe = n == "subscribe" || n == "ssubscribe";
    const bool psubscribe = n == "psubscribe";
    const size_t end = publish ? std::min<size_t>(args.size(), 2) : args.size();
    if (publish || subscribe || psubscribe)
      for (size_t i = 1; i < end; ++i)
        if (psubscribe ? !user.ChannelPatternAllowed(args[i]) : !user.ChannelAllowed(args[i])) {
          *denied = i;
          return AclVerdict::kChannel;
        }
  }
  return AclVerdict::kOk;
}

namespace {
void LogDenial(ServerState& server, const ClientState& client, std::string reason,
               std::string object, std::string_view username) {
  const int64_t now = NowMs();
  server.acl.set_log_max_len(
      static_cast<size_t>(server.config.acllog_max_len.load(std::memory_order_relaxed)));
  LogEntry e;
  e.reason = std::move(reason);
  e.context = "toplevel";
  e.object = std::move(object);
  e.username = std::string(username);
  {
    std::lock_guard lock(server.clients.mu());
    e.client_info = ClientInfoLine(client, now);
  }
  server.acl.Log(std::move(e), now);
}
}  // namespace

bool AclAllowsOrReply(ServerState& server, ClientState& client, const CommandSpec& spec,
                      std::span<const std::string_view> args,
                      std::span<const size_t> key_positions, ReplyBuilder& rb) {
  size_t denied = 0;
  switch (CheckAcl(*client.user, spec, args, key_positions, &denied)) {
    case AclVerdict::kOk:
      return true;
    case AclVerdict::kCommand: {
      std::string name = CallName(spec, args);
      rb.SendError(fmt::format(fmt::runtime(errors::kNoPermCommand), name));
      LogDenial(server, client, "command", std::move(name), client.user->name());
      return false;
    }
    case AclVerdict::kKey:
      LogDenial(server, client, "key", std::string(args[denied]), client.user->name());
      rb.SendError(errors::kNoPermKey);
      return false;
    case AclVerdict::kChannel:
      LogDenial(server, client, "channel", std::string(args[denied]), client.user->name());
      rb.SendError(errors::kNoPermChannel);
      return false;
  }
  return false;
}

bool AuthenticateOrReply(CommandContext& ctx, std::string_view username, std::string_view pass) {
  ServerState& server = *ctx.server;
  std::shared_ptr<const User> user = server.acl.Get(username);
  // An unknown user costs a hash like a known one, so the time does not tell them apart.
  const bool ok = user ? user->CheckPassword(pass) : (Sha256Hex(pass), false);
  if (!ok) {
    LogDenial(server, *ctx.client, "auth", "AUTH", username);
    ctx.rb->SendError(errors::kWrongPass);
    return false;
  }
  {
    std::lock_guard lock(server.clients.mu());  // CLIENT LIST reads the user on other threads
    ctx.client->user = std::move(user);
  }
  ctx.client->authenticated = true;
  return true;
}

// ------------------------------------------------------------------------------------------
// Start-up
// ------------------------------------------------------------------------------------------

namespace {
std::string ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fmt::format("{}: cannot open the ACL file", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return "";
}

// Parses the aclfile and swaps its users in; the current users stay on any error.
std::string LoadAclFile(ServerState& server, const std::string& path) {
  std::string text;
  if (std::string err = ReadFile(path, &text); !err.empty()) return err;
  std::vector<std::shared_ptr<User>> users;
  std::string err = ParseAclFile(text, CommandLookupFor(server.commands), &users);
  if (!err.empty())
    return fmt::format("{}:{}. WARNING: ACL errors detected, no change to the previously "
                       "active ACL rules was performed",
                       path, err);
  server.acl.ReplaceAll(std::move(users));
  return "";
}
}  // namespace

std::string InitAcl(ServerState& server) {
  Config& cfg = server.config;
  server.acl.OnDefaultChange([&cfg](bool requires_auth) { cfg.set_has_password(requires_auth); });
  // requirepass is the default user's password, as in Redis (set at start or by CONFIG SET).
  auto apply_requirepass = [&server](const std::string& pass) {
    const std::string rule = ">" + pass;
    if (pass.empty())
      server.acl.SetUser("default", {"nopass"}, nullptr);
    else
      server.acl.SetUser("default", {"resetpass", rule}, nullptr);
  };
  if (const std::string pass = cfg.requirepass(); !pass.empty()) apply_requirepass(pass);
  cfg.OnRequirepass(apply_requirepass);

  const std::string aclfile = cfg.aclfile();
  const std::vector<std::string> users = cfg.users();
  if (!aclfile.empty() && !users.empty())
    return "Configuring Redis with users defined in redis.conf and at the same setting an ACL "
           "file path is invalid. This setup is very likely to lead to configuration errors and "
           "security holes, please define either an ACL file or declare users directly in your "
           "redis.conf, but not both.";
  if (!aclfile.empty()) return LoadAclFile(server, aclfile);
  if (users.empty()) return "";
  std::string text;
  for (const std::string& u : users) text += "user " + u + "\n";
  std::vector<std::shared_ptr<User>> parsed;
  std::string err = ParseAclFile(text, CommandLookupFor(server.commands), &parsed);
  if (!err.empty()) return "user directive " + err;
  // The config's users come on top of the default user (which they may redefine).
  const bool has_default = std::any_of(parsed.begin(), parsed.end(),
                                 [](const auto& u) { return u->name() == "default"; });
  if (!has_default && cfg.has_password()) {
    // requirepass already set the default user: keep it.
    auto d = server.acl.Default();
    parsed.push_back(std::make_shared<User>(*d));
  }
  server.acl.ReplaceAll(std::move(parsed));
  return "";
}

// ------------------------------------------------------------------------------------------
// ACL command
// ------------------------------------------------------------------------------------------

namespace {

void SendUser(ReplyBuilder& rb, const User& u) {
  rb.StartMap(6);
  rb.SendBulk("flags");
  const auto flags = u.Flags();
  rb.StartArray(static_cast<uint32_t>(flags.size()));
  for (const auto& f : flags) rb.SendBulk(f);
  rb.SendBulk("passwords");
  rb.StartArray(static_cast<uint32_t>(u.passwords().size()));
  for (const auto& p : u.passwords()) rb.SendBulk(p);
  rb.SendBulk("commands");
  rb.SendBulk(u.CommandRules());
  rb.SendBulk("keys");
  rb.SendBulk(u.KeyRules());
  rb.SendBulk("channels");
  rb.SendBulk(u.ChannelRules());
  rb.SendBulk("selectors");
  rb.StartArray(0);
}

bool ValidUserName(std::string_view name) {
  return std::none_of(name.begin(), name.end(), [](char c) { return c == ' ' || c == '\0'; });
}

// Whether every subscription of `c` is still allowed by its user's current rules (a deleted or
// disabled user allows none, as its clients go on their next command anyway).
bool SubscriptionsAllowed(ServerState& server, const ClientState& c) {
  if (!c.user) return true;
  const std::shared_ptr<const User> u = server.acl.Get(c.user->name());
  if (!u || !u->enabled()) return false;
  if (u->all_channels()) return true;
  const PubSubClient& p = c.pubsub;
  auto allowed = [&](const std::unordered_set<std::string>& names, bool patterns) {
    return std::all_of(names.begin(), names.end(), [&](const std::string& n) {
      return patterns ? u->ChannelPatternAllowed(n) : u->ChannelAllowed(n);
    });
  };
  return allowed(p.channels, false) && allowed(p.shard_channels, false) &&
         allowed(p.patterns, true);
}

// After a change of users: a subscriber whose channels its user no longer allows is
// disconnected, as Redis 7.0 does. It may never send another command, so the check is posted
// to its own loop rather than left to its next request.
void RecheckSubscribers(ServerState& server) {
  if (!server.close_client_if) return;
  std::vector<uint64_t> subscribers;
  server.clients.ForEach([&](const ClientState& c) {
    if (c.pubsub.Any()) subscribers.push_back(c.id);
  });
  for (uint64_t id : subscribers)
    server.close_client_if(id, "its user's rules no longer allow its subscriptions",
                           [&server](const ClientState& c) {
      return !SubscriptionsAllowed(server, c);
    });
}

void AclSetUser(CommandContext& ctx) {
  const std::string_view name = ctx.args[2];
  if (!ValidUserName(name)) {
    ctx.rb->SendError("ERR Usernames can't contain spaces or null characters");
    return;
  }
  std::vector<std::string_view> rules(ctx.args.begin() + 3, ctx.args.end());
  std::string err = ctx.server->acl.SetUser(name, rules, CommandLookupFor(ctx.server->commands));
  if (!err.empty()) {
    ctx.rb->SendError(err);
    return;
  }
  RecheckSubscribers(*ctx.server);
  ctx.rb->SendOk();
}

void AclDryRun(CommandContext& ctx) {
  auto user = ctx.server->acl.Get(ctx.args[2]);
  if (!user) {
    ctx.rb->SendError(fmt::format("ERR User '{}' not found", ctx.args[2]));
    return;
  }
  const CommandSpec* spec = ctx.server->commands.FindPublic(ctx.args[3]);
  auto args = ctx.args.subspan(3);
  // As Redis's lookupCommand: a container's unknown subcommand is no command either.
  const SubcommandSpec* sub = spec ? spec->SubcommandOf(args) : nullptr;
  if (!spec || (!sub && !spec->subcommands.empty() && args.size() >= 2)) {
    ctx.rb->SendError(fmt::format("ERR Command '{}' not found", ctx.args[3]));
    return;
  }
  const long argc = static_cast<long>(args.size());
  const int arity = sub ? sub->arity : spec->arity;
  if ((arity > 0 && argc != arity) || (arity < 0 && argc < -arity)) {
    ctx.rb->SendError(errors::WrongArity(sub ? sub->full_name : spec->name));
    return;
  }
  std::vector<size_t> positions;
  spec->KeyPositions(args, &positions);
  size_t denied = 0;
  switch (CheckAcl(*user, *spec, args, positions, &denied)) {
    case AclVerdict::kOk:
      ctx.rb->SendOk();
      break;
    case AclVerdict::kCommand:
      ctx.rb->SendBulk(
          fmt::format("This user has no permissions to run the '{}' command",
                      CallName(*spec, args)));
      break;
    case AclVerdict::kKey:
      ctx.rb->SendBulk(
          fmt::format("This user has no permissions to access the '{}' key", args[denied]));
      break;
    case AclVerdict::kChannel:
      ctx.rb->SendBulk(
          fmt::format("This user has no permissions to access the '{}' channel", args[denied]));
      break;
  }
}

void AclLog(CommandContext& ctx) {
  size_t count = 10;
  if (ctx.args.size() == 3) {
    if (EqualsIgnoreCase(ctx.args[2], "RESET")) {
      ctx.server->acl.ResetLog();
      ctx.rb->SendOk();
      return;
    }
    auto n = ParseInt64(ctx.args[2]);
    if (!n || *n < 0) {
      ctx.rb->SendError(errors::kNotInteger);
      return;
    }
    count = static_cast<size_t>(*n);
  }
  const auto entries = ctx.server->acl.LogEntries(count);
  ctx.rb->StartArray(static_cast<uint32_t>(entries.size()));
  for (const LogEntry& e : entries) {
    ctx.rb->StartMap(7);
    ctx.rb->SendBulk("count");
    ctx.rb->SendLong(static_cast<int64_t>(e.count));
    ctx.rb->SendBulk("reason");
    ctx.rb->SendBulk(e.reason);
    ctx.rb->SendBulk("context");
    ctx.rb->SendBulk(e.context);
    ctx.rb->SendBulk("object");
    ctx.rb->SendBulk(e.object);
    ctx.rb->SendBulk("username");
    ctx.rb->SendBulk(e.username);
    ctx.rb->SendBulk("age-seconds");
    ctx.rb->SendDouble(static_cast<double>(ctx.now_ms - e.created_ms) / 1000.0);
    ctx.rb->SendBulk("client-info");
    ctx.rb->SendBulk(e.client_info);
  }
}

void AclCat(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    ctx.rb->StartArray(kCategoryCount);
    for (std::string_view c : kCategoryNames) ctx.rb->SendBulk(c);
    return;
  }
  auto cat = CategoryByName(ctx.args[2]);
  if (!cat) {
    ctx.rb->SendError(fmt::format("ERR Unknown category '{}'", ctx.args[2]));
    return;
  }
  std::vector<std::string> names;
  for (const CommandSpec* s : ctx.server->commands.Public()) {
    if (s->acl_categories & *cat) names.push_back(s->name);
  }
  ctx.rb->StartArray(static_cast<uint32_t>(names.size()));
  for (const auto& n : names) ctx.rb->SendBulk(n);
}

void AclSave(CommandContext& ctx) {
  const std::string path = ctx.server->config.aclfile();
  if (path.empty()) {
    ctx.rb->SendError(errors::kNoAclFile);
    return;
  }
  std::string err = WriteFileAtomically(path, FormatAclFile(ctx.server->acl.All()));
  if (!err.empty()) {
    spdlog::warn("ACL SAVE: {}", err);
    ctx.rb->SendError("ERR There was an error trying to save the ACLs. Please check the server "
                      "logs for more information");
    return;
  }
  ctx.rb->SendOk();
}

void AclLoad(CommandContext& ctx) {
  const std::string path = ctx.server->config.aclfile();
  if (path.empty()) {
    ctx.rb->SendError(errors::kNoAclFile);
    return;
  }
  std::string err = LoadAclFile(*ctx.server, path);
  if (!err.empty()) {
    ctx.rb->SendError("ERR " + err);
    return;
  }
  RecheckSubscribers(*ctx.server);
  ctx.rb->SendOk();
}

void CmdAcl(CommandContext& ctx) {
  const std::string sub = AsciiLower(ctx.args[1]);
  const size_t argc = ctx.args.size();
  auto arity = [&](bool ok) {
    if (!ok) ctx.rb->SendError(errors::WrongArity("acl|" + sub));
    return ok;
  };
  Registry& reg = ctx.server->acl;
  if (sub == "setuser") {
    if (arity(argc >= 3)) AclSetUser(ctx);
  } else if (sub == "getuser") {
    if (!arity(argc == 3)) return;
    auto u = reg.Get(ctx.args[2]);
    if (!u)
      ctx.rb->SendNull();
    else
      SendUser(*ctx.rb, *u);
  } else if (sub == "deluser") {
    if (!arity(argc >= 3)) return;
    std::vector<std::string_view> names(ctx.args.begin() + 2, ctx.args.end());
    for (std::string_view n : names) {
      if (n == "default") {
        ctx.rb->SendError("ERR The 'default' user cannot be removed");
        return;
      }
    }
    const size_t deleted = reg.DelUsers(names);
    if (deleted > 0) RecheckSubscribers(*ctx.server);
    ctx.rb->SendLong(static_cast<int64_t>(deleted));
  } else if (sub == "list" || sub == "users") {
    if (!arity(argc == 2)) return;
    const auto users = reg.All();
    ctx.rb->StartArray(static_cast<uint32_t>(users.size()));
    for (const auto& u : users)
      ctx.rb->SendBulk(sub == "users" ? u->name()
                                      : fmt::format("user {} {}", u->name(), u->Describe()));
  } else if (sub == "whoami") {
    if (!arity(argc == 2)) return;
    ctx.rb->SendBulk(ctx.client->user ? ctx.client->user->name() : "default");
  } else if (sub == "cat") {
    if (arity(argc <= 3)) AclCat(ctx);
  } else if (sub == "log") {
    if (arity(argc <= 3)) AclLog(ctx);
  } else if (sub == "genpass") {
    if (!arity(argc <= 3)) return;
    int64_t bits = 256;
    if (argc == 3) {
      auto n = ParseInt64(ctx.args[2]);
      if (!n || *n <= 0 || *n > 4096) {
        ctx.rb->SendError(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a "
            "positive number up to 4096");
        return;
      }
      bits = *n;
    }
    ctx.rb->SendBulk(GenPass(static_cast<int>(bits)));
  } else if (sub == "dryrun") {
    if (arity(argc >= 4)) AclDryRun(ctx);
  } else if (sub == "save") {
    if (arity(argc == 2)) AclSave(ctx);
  } else if (sub == "load") {
    if (arity(argc == 2)) AclLoad(ctx);
  } else if (sub == "help" && argc == 2) {
    static constexpr const char* kHelp[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the "
        "command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOAD",
        "    Reload users from the ACL file.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Print this help."};
    ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
    for (const char* l : kHelp) ctx.rb->SendSimple(l);
  } else {
    ctx.rb->SendError(fmt::format("ERR unknown subcommand '{}'. Try ACL HELP.", ctx.args[1]));
  }
}

}  // namespace

void RegisterAclFamily(CommandTable& t) {
  // The subcommands that are not admin's.
  constexpr uint32_t kAnyone = kCmdNoScript | kCmdLoading | kCmdStale;
  t.Register(WithSubcommands(
      MakeSpec("acl", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, kNoKeys, CmdAcl,
               "server", "6.0.0", "A container for Access List Control commands.",
               "CAT|DELUSER|DRYRUN|GETUSER|GENPASS|LIST|LOAD|LOG|SAVE|SETUSER|USERS|"
               "WHOAMI|HELP [arg ...]"),
      {{"cat", -2, "", "List the ACL categories or the commands inside a category", kAnyone},
       {"deluser", -3, "", "Remove the specified ACL users and the associated rules"},
       {"dryrun", -4, "7.0.0",
        "Returns whether the user can execute the given command without executing the command."},
       {"getuser", 3, "", "Get the rules for a specific ACL user"},
       {"genpass", -2, "", "Generate a pseudorandom secure password to use for ACL users", kAnyone},
       {"list", 2, "", "List the current ACL rules in ACL config file format"},
       {"load", 2, "", "Reload the ACLs from the configured ACL file"},
       {"log", -2, "", "List latest events denied because of ACLs in place"},
       {"save", 2, "", "Save the current ACL rules in the configured ACL file"},
       {"setuser", -3, "", "Modify or create the rules for a specific ACL user"},
       {"users", 2, "", "List the username of all the configured ACL rules"},
       {"whoami", 2, "", "Return the name of the user associated to the current connection",
        kAnyone},
       HelpSubcommand()}));
}

}  // namespace kv
