// FUNCTION, FCALL and FCALL_RO as Redis 7 answers them with no library loaded. kv-server has no
// Lua engine yet (scripting comes in a later issue), so no library can exist: every listing is
// empty, DUMP gives Redis's payload of an empty library set, RESTORE accepts exactly that, and
// LOAD, or a payload that carries libraries, gets an error that says scripting is missing.
// Arguments are checked as Redis checks them, so a client sees the same errors either way.
#include <fmt/format.h>

#include <iterator>
#include <string>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"

namespace kv {

namespace {

constexpr std::string_view kNoScripting =
    "ERR Scripting is not available yet: kv-server has no Lua engine to load libraries with";

// FUNCTION DUMP of an empty library set in Redis 7.0: no library records, then the footer, the
// RDB version (10, little-endian u16) and the CRC64 of what precedes it.
constexpr char kEmptyDumpBytes[] = {'\x0a', '\x00', '\x5d', '\x9b', '\x5c',
                                    '\x40', '\x0f', '\x7f', '\xa2', '\xda'};
constexpr std::string_view kEmptyDump(kEmptyDumpBytes, sizeof kEmptyDumpBytes);
constexpr size_t kFooterSize = 10;
constexpr unsigned kRdbVersion = 10;

std::string SubcommandSyntaxError(std::string_view sub) {
  return fmt::format(
      "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
      sub.substr(0, 128));
}

void SendFunctionHelp(CommandContext& ctx) {
  static constexpr const char* kHelp[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code (kv-server: not available",
      "    until scripting arrives).",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored using "
      "FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND).",
      "HELP",
      "    Prints this help."};
  ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
  for (const char* line : kHelp) ctx.rb->SendSimple(line);
}

void FunctionList(CommandContext& ctx) {
  bool with_code = false, library_name = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::string_view arg = ctx.args[i];
    if (!with_code && EqualsIgnoreCase(arg, "WITHCODE")) {
      with_code = true;
      continue;
    }
    if (!library_name && EqualsIgnoreCase(arg, "LIBRARYNAME")) {
      if (i + 1 >= ctx.args.size()) {
        ctx.rb->SendError("ERR library name argument was not given");
        return;
      }
      library_name = true;
      ++i;  // the pattern: nothing to match it against
      continue;
    }
    ctx.rb->SendError(fmt::format("ERR Unknown argument {}", arg));
    return;
  }
  ctx.rb->StartArray(0);
}

void FunctionFlush(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.rb->SendError(SubcommandSyntaxError(ctx.args[1]));
    return;
  }
  if (ctx.args.size() == 3 && !EqualsIgnoreCase(ctx.args[2], "SYNC") &&
      !EqualsIgnoreCase(ctx.args[2], "ASYNC")) {
    ctx.rb->SendError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    return;
  }
  ctx.rb->SendOk();
}

void FunctionStats(CommandContext& ctx) {
  // No engine is registered, so `engines` is empty (Redis lists LUA with its counts).
  ctx.rb->StartMap(2);
  ctx.rb->SendBulk("running_script");
  ctx.rb->SendNull();
  ctx.rb->SendBulk("engines");
  ctx.rb->StartMap(0);
}

void FunctionLoad(CommandContext& ctx) {
  // Options come before the code, the last argument.
  for (size_t i = 2; i + 1 < ctx.args.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.args[i], "REPLACE")) {
      ctx.rb->SendError(fmt::format("ERR Unknown option given: {}", ctx.args[i]));
      return;
    }
  }
  ctx.rb->SendError(kNoScripting);
}

void FunctionRestore(CommandContext& ctx) {
  if (ctx.args.size() > 4) {
    ctx.rb->SendError(SubcommandSyntaxError(ctx.args[1]));
    return;
  }
  if (ctx.args.size() == 4 && !EqualsIgnoreCase(ctx.args[3], "FLUSH") &&
      !EqualsIgnoreCase(ctx.args[3], "APPEND") && !EqualsIgnoreCase(ctx.args[3], "REPLACE")) {
    ctx.rb->SendError(
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    return;
  }
  const std::string_view payload = ctx.args[2];
  if (payload == kEmptyDump) {
    ctx.rb->SendOk();  // no libraries: nothing to add, and nothing here for FLUSH to remove
    return;
  }
  // A payload of libraries ends with the same footer. Without an engine its records cannot be
  // read, so the checksum is not worth computing: only an impossible version is told apart.
  const bool plausible =
      payload.size() > kFooterSize &&
      (static_cast<unsigned char>(payload[payload.size() - kFooterSize]) |
       static_cast<unsigned>(static_cast<unsigned char>(payload[payload.size() - kFooterSize + 1]))
           << 8) <= kRdbVersion;
  ctx.rb->SendError(plausible ? kNoScripting
                              : std::string_view("ERR DUMP payload version or checksum are wrong"));
}

void CmdFunction(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  struct Sub {
    std::string_view name;
    int arity;  // Redis's, for function|<name>
  };
  static constexpr Sub kSubs[] = {{"LOAD", -3},  {"DELETE", 3}, {"LIST", -2},
                                  {"STATS", 2},  {"KILL", 2},   {"FLUSH", -2},
                                  {"DUMP", 2},   {"RESTORE", -3}, {"HELP", 2}};
  const Sub* found = nullptr;
  for (const Sub& s : kSubs)
    if (EqualsIgnoreCase(sub, s.name)) found = &s;
  if (!found) {
    ctx.rb->SendError(errors::UnknownSubcommand("function", sub));
    return;
  }
  const size_t need = static_cast<size_t>(found->arity < 0 ? -found->arity : found->arity);
  if (found->arity < 0 ? argc < need : argc != need) {
    ctx.rb->SendError(errors::WrongArity("function|" + AsciiLower(sub)));
    return;
  }
  const std::string_view name = found->name;
  if (name == "LIST") {
    FunctionList(ctx);
  } else if (name == "FLUSH") {
    FunctionFlush(ctx);
  } else if (name == "STATS") {
    FunctionStats(ctx);
  } else if (name == "DUMP") {
    ctx.rb->SendBulk(kEmptyDump);
  } else if (name == "RESTORE") {
    FunctionRestore(ctx);
  } else if (name == "DELETE") {
    ctx.rb->SendError("ERR Library not found");
  } else if (name == "KILL") {
    ctx.rb->SendError("NOTBUSY No scripts in execution right now.");
  } else if (name == "LOAD") {
    FunctionLoad(ctx);
  } else {
    SendFunctionHelp(ctx);
  }
}

// With no library there is no function: Redis looks the name up before it reads numkeys.
void CmdFcall(CommandContext& ctx) { ctx.rb->SendError("ERR Function not found"); }

}  // namespace

void RegisterFunctionFamily(CommandTable& t) {
  constexpr uint32_t kCall = kCmdNoScript | kCmdStale | kCmdSkipMonitor;
  t.Register(MakeSpec("function", -2, 0, kNoKeys, CmdFunction, "scripting", "7.0.0",
                      "A container for function commands (no libraries until kv-server has "
                      "scripting).",
                      "LOAD|DELETE|LIST|STATS|KILL|FLUSH|DUMP|RESTORE|HELP [arg ...]"));
  t.Register(MakeSpec("fcall", -3, kCall, kNoKeys, CmdFcall, "scripting", "7.0.0",
                      "Invokes a function (none exists until kv-server has scripting).",
                      "function numkeys [key [key ...]] [arg [arg ...]]"));
  t.Register(MakeSpec("fcall_ro", -3, kCall | kCmdReadonly, kNoKeys, CmdFcall, "scripting",
                      "7.0.0",
                      "Invokes a read-only function (none exists until kv-server has "
                      "scripting).",
                      "function numkeys [key [key ...]] [arg [arg ...]]"));
}

}  // namespace kv
