// SLOWLOG GET [count] / LEN / RESET / HELP, over the one SlowLog of the server (slowlog.h).
#include <fmt/format.h>

#include <climits>
#include <string>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "commands/slowlog.h"

namespace kv {

void RedactSecrets(std::vector<std::string>& argv) {
  if (argv.empty()) return;
  const std::string& cmd = argv[0];
  auto redact = [&](size_t i) {
    if (i < argv.size()) argv[i] = "(redacted)";
  };
  if (EqualsIgnoreCase(cmd, "auth")) {
    for (size_t i = 1; i < argv.size(); ++i) redact(i);
  } else if (EqualsIgnoreCase(cmd, "hello")) {
    for (size_t i = 2; i < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "auth")) {
        redact(i + 1);
        redact(i + 2);
        i += 2;
      }
    }
  } else if (EqualsIgnoreCase(cmd, "migrate")) {
    for (size_t i = 6; i < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "auth")) {
        redact(i + 1);
        ++i;
      } else if (EqualsIgnoreCase(argv[i], "auth2")) {
        redact(i + 1);
        redact(i + 2);
        i += 2;
      } else if (EqualsIgnoreCase(argv[i], "keys")) {
        break;  // key names follow
      }
    }
  }
}

std::vector<std::string> SlowLog::EntryArgs(std::span<const std::string_view> args) {
  // Redaction first, on the whole command, so a secret past the cut is never copied.
  std::vector<std::string> full(args.begin(), args.end());
  RedactSecrets(full);
  const size_t keep = full.size() > kMaxArgs ? kMaxArgs - 1 : full.size();
  std::vector<std::string> out;
  out.reserve(keep + 1);
  for (size_t i = 0; i < keep; ++i) {
    std::string& a = full[i];
    if (a.size() > kMaxArgBytes) {
      const size_t more = a.size() - kMaxArgBytes;
      a.resize(kMaxArgBytes);
      a += fmt::format("... ({} more bytes)", more);
    }
    out.push_back(std::move(a));
  }
  if (full.size() > kMaxArgs)
    out.push_back(fmt::format("... ({} more arguments)", full.size() - keep));
  return out;
}

void SlowLog::Push(const ClientState& client, std::span<const std::string_view> args,
                   uint64_t duration_us, int64_t now_ms, size_t max_len) {
  SlowLogEntry e;
  e.time_s = now_ms / 1000;
  e.duration_us = duration_us;
  e.argv = EntryArgs(args);
  e.peer = client.addr;
  e.name = client.name;
  std::lock_guard lock(mu_);
  e.id = next_id_++;
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len) entries_.pop_back();
}

std::vector<SlowLogEntry> SlowLog::Get(int64_t count) const {
  std::lock_guard lock(mu_);
  const size_t n = count < 0 ? entries_.size()
                             : std::min(entries_.size(), static_cast<size_t>(count));
  return {entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(n)};
}

size_t SlowLog::Len() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void SlowLog::Reset() {
  std::lock_guard lock(mu_);
  entries_.clear();
}

namespace {

void CmdSlowlog(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  SlowLog& log = ctx.server->slowlog;
  if (EqualsIgnoreCase(sub, "GET") && (argc == 2 || argc == 3)) {
    int64_t count = 10;
    if (argc == 3 && !ParseRangeOrReply(ctx, ctx.args[2], -1, LONG_MAX,
                                        "ERR count should be greater than or equal to -1",
                                        &count))
      return;
    const std::vector<SlowLogEntry> entries = log.Get(count);
    ctx.rb->StartArray(static_cast<uint32_t>(entries.size()));
    for (const SlowLogEntry& e : entries) {
      ctx.rb->StartArray(6);
      ctx.rb->SendLong(static_cast<int64_t>(e.id));
      ctx.rb->SendLong(e.time_s);
      ctx.rb->SendLong(static_cast<int64_t>(e.duration_us));
      ctx.rb->StartArray(static_cast<uint32_t>(e.argv.size()));
      for (const std::string& a : e.argv) ctx.rb->SendBulk(a);
      ctx.rb->SendBulk(e.peer);
      ctx.rb->SendBulk(e.name);
    }
  } else if (EqualsIgnoreCase(sub, "LEN") && argc == 2) {
    ctx.rb->SendLong(static_cast<int64_t>(log.Len()));
  } else if (EqualsIgnoreCase(sub, "RESET") && argc == 2) {
    log.Reset();
    ctx.rb->SendOk();
  } else if (EqualsIgnoreCase(sub, "HELP") && argc == 2) {
    static constexpr const char* kHelp[] = {
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help."};
    ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
    for (const char* line : kHelp) ctx.rb->SendSimple(line);
  } else if (EqualsIgnoreCase(sub, "GET")) {
    // GET takes a variable count (arity -2 in Redis), so its own check answers this.
    ctx.rb->SendError(fmt::format(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try SLOWLOG HELP.", sub));
  } else if (EqualsIgnoreCase(sub, "LEN") || EqualsIgnoreCase(sub, "RESET") ||
             EqualsIgnoreCase(sub, "HELP")) {
    ctx.rb->SendError(errors::WrongArity("slowlog|" + AsciiLower(sub)));
  } else {
    ctx.rb->SendError(errors::UnknownSubcommand("slowlog", sub));
  }
}

}  // namespace

void RegisterSlowlogFamily(CommandTable& t) {
  t.Register(WithSubcommands(
      MakeSpec("slowlog", -2, kCmdAdmin | kCmdLoading | kCmdStale, kNoKeys, CmdSlowlog, "server",
               "2.2.12", "A container for slow log commands.", "GET|LEN|RESET|HELP [arg ...]"),
      {{"get", -2, "", "Get the slow log's entries"},
       {"len", 2, "", "Get the slow log's length"},
       {"reset", 2, "", "Clear all entries from the slow log"}, HelpSubcommand("6.2.0")}));
}

}  // namespace kv
