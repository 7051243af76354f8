// FUNCTION, FCALL and FCALL_RO: Redis 7 function libraries on the scripting family's Lua engines.
//
// The libraries live once for the server (g_libs): each one's code, its functions and flags, and
// a generation that changes whenever the library is loaded again. Every I/O thread's engine
// loads a library's code itself the first time one of its clients calls into it (or again when
// the generation moved on), so FCALL never crosses threads; FUNCTION LOAD runs the code on the
// caller's engine first, which is where its errors come from.
//
// FCALL runs like EVAL (scripting.h RunScript): one atomic batch over the client's namespace,
// its writes logged as their effects. A function without the no-writes flag is refused by
// FCALL_RO; a no-writes function runs read-only.
//
// The libraries are data: FUNCTION LOAD, DELETE, FLUSH and RESTORE are writes (flagged so per
// subcommand, as in Redis), logged and replayed, and a snapshot carries every library's code
// (function_libraries.h). Each holds every shard of its client's namespace until it is logged,
// as a key write holds its key's shard: a snapshot, which freezes every shard, then sees a
// change and its log record both or neither.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <iterator>
#include <optional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/function_libraries.h"
#include "commands/scripting.h"
#include "commands/server_state.h"
#include "core/ascii.h"
#include "core/glob.h"
#include "core/shard.h"
#include "persist/rdb_value.h"
#include "scripting/lua_engine.h"

namespace kv {

namespace {

// Function names are case-insensitive (Redis keeps them in a dictionary that ignores case), so
// g_libs.functions keys them lower-cased; library names are not.
struct LibraryInfo {
  std::string name;
  std::string key;  // what engines know the library by: its name
  std::string code;  // as loaded, shebang included
  std::vector<scripting::FunctionDef> functions;
  uint64_t generation = 0;
};

struct Libraries {
  std::shared_mutex mu;
  std::map<std::string, std::shared_ptr<const LibraryInfo>> libs;
  // function name -> its library
  std::unordered_map<std::string, std::shared_ptr<const LibraryInfo>> functions;
  uint64_t next_generation = 1;
  // Moves on with every change, so an engine knows when to drop what it loaded.
  std::atomic<uint64_t> epoch{1};
};

Libraries& Libs() {
  static Libraries libs;
  return libs;
}

thread_local uint64_t t_seen_epoch = 0;

bool ValidLibraryName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
      return false;
  return true;
}

// functionExtractLibMetaData: the shebang's engine and name, and the code after it (the newline
// kept, so line numbers in errors count the shebang line).
struct Metadata {
  std::string engine;
  std::string name;
  std::string_view code;
};
bool ParseMetadata(std::string_view payload, Metadata* md, std::string* err) {
  if (payload.substr(0, 2) != "#!") {
    *err = "Missing library metadata";
    return false;
  }
  const size_t nl = payload.find('\n');
  if (nl == std::string_view::npos) {
    *err = "Invalid library metadata";
    return false;
  }
  const std::vector<std::string_view> parts = SplitWhitespace(payload.substr(0, nl));
  if (parts.empty()) {
    *err = "Invalid library metadata";
    return false;
  }
  md->engine = std::string(parts[0].substr(2));
  bool named = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 && EqualsIgnoreCase(parts[i].substr(0, 5), "name=")) {
      if (named) {
        *err = "Invalid metadata value, name argument was given multiple times";
        return false;
      }
      md->name = std::string(parts[i].substr(5));
      named = true;
      continue;
    }
    *err = fmt::format("Invalid metadata value given: {}", parts[i]);
    return false;
  }
  if (!named) {
    *err = "Library name was not given";
    return false;
  }
  md->code = payload.substr(nl);
  return true;
}

std::string SubcommandSyntaxError(std::string_view sub) {
  return fmt::format(
      "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
      sub.substr(0, 128));
}

void SendFunctionHelp(CommandContext& ctx) {
  static constexpr const char* kHelp[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
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

// Parses a library's shebang and runs its code on this thread's engine (libs.mu held).
bool BuildLibrary(Libraries& libs, std::string_view payload, std::shared_ptr<LibraryInfo>* out,
                  std::string* err) {
  Metadata md;
  if (!ParseMetadata(payload, &md, err)) return false;
  if (!EqualsIgnoreCase(md.engine, "lua")) {
    *err = fmt::format("Engine '{}' not found", md.engine);
    return false;
  }
  if (!ValidLibraryName(md.name)) {
    *err = "Library names can only contain letters, numbers, or underscores(_) and must be at "
           "least one character long";
    return false;
  }
  auto lib = std::make_shared<LibraryInfo>();
  lib->name = md.name;
  lib->key = md.name;
  lib->code = std::string(payload);
  lib->generation = libs.next_generation++;
  if (!LocalEngine().LoadLibrary(lib->key, lib->generation, md.code, &lib->functions, err))
    return false;
  *out = std::move(lib);
  return true;
}

// Adds `lib`, replacing a library of its name (libs.mu held; names already checked).
void Install(Libraries& libs, const std::shared_ptr<LibraryInfo>& lib) {
  auto old = libs.libs.find(lib->key);
  if (old != libs.libs.end())
    for (const scripting::FunctionDef& fn : old->second->functions)
      libs.functions.erase(AsciiLower(fn.name));
  for (const scripting::FunctionDef& fn : lib->functions) libs.functions[AsciiLower(fn.name)] = lib;
  libs.libs[lib->key] = lib;
}

void FunctionLoad(CommandContext& ctx) {
  bool replace = false;
  // Options come before the code, the last argument.
  for (size_t i = 2; i + 1 < ctx.args.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.args[i], "REPLACE")) {
      ctx.rb->SendError(fmt::format("ERR Unknown option given: {}", ctx.args[i]));
      return;
    }
    replace = true;
  }
  const std::string_view payload = ctx.args.back();
  std::string err;
  auto fail = [&](std::string_view msg) { ctx.rb->SendError(fmt::format("ERR {}", msg)); };
  Libraries& libs = Libs();
  std::unique_lock lock(libs.mu);
  std::shared_ptr<LibraryInfo> lib;
  if (!BuildLibrary(libs, payload, &lib, &err)) return fail(err);
  auto old = libs.libs.find(lib->key);
  if (old != libs.libs.end() && !replace)
    return fail(fmt::format("Library '{}' already exists", lib->name));
  for (const scripting::FunctionDef& fn : lib->functions) {
    auto other = libs.functions.find(AsciiLower(fn.name));
    if (other != libs.functions.end() && other->second->key != lib->key)
      return fail(fmt::format("Function {} already exists", fn.name));
  }
  Install(libs, lib);
  libs.epoch.fetch_add(1, std::memory_order_release);
  NoteWrite();
  // Logged with REPLACE: replayed over a state that already has the library (however it came
  // to be there) it still succeeds, and leaves the library as this load did.
  if (!replace) ctx.LogAs({ctx.args[0], ctx.args[1], "REPLACE", payload});
  ctx.rb->SendBulk(lib->name);
}

void FunctionDump(CommandContext& ctx) {
  Libraries& libs = Libs();
  std::shared_lock lock(libs.mu);
  std::vector<std::string_view> codes;
  for (const auto& [name, lib] : libs.libs) codes.push_back(lib->code);
  ctx.rb->SendBulk(DumpFunctionPayload(codes));
}

void FunctionDelete(CommandContext& ctx) {
  Libraries& libs = Libs();
  std::unique_lock lock(libs.mu);
  auto it = libs.libs.find(std::string(ctx.args[2]));
  if (it == libs.libs.end()) {
    ctx.rb->SendError("ERR Library not found");
    return;
  }
  for (const scripting::FunctionDef& fn : it->second->functions)
    libs.functions.erase(AsciiLower(fn.name));
  libs.libs.erase(it);
  libs.epoch.fetch_add(1, std::memory_order_release);
  NoteWrite();
  ctx.rb->SendOk();
}

void FunctionList(CommandContext& ctx) {
  bool with_code = false;
  std::optional<std::string_view> pattern;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const std::string_view arg = ctx.args[i];
    if (!with_code && EqualsIgnoreCase(arg, "WITHCODE")) {
      with_code = true;
      continue;
    }
    if (!pattern && EqualsIgnoreCase(arg, "LIBRARYNAME")) {
      if (i + 1 >= ctx.args.size()) {
        ctx.rb->SendError("ERR library name argument was not given");
        return;
      }
      pattern = ctx.args[++i];
      continue;
    }
    ctx.rb->SendError(fmt::format("ERR Unknown argument {}", arg));
    return;
  }
  Libraries& libs = Libs();
  std::shared_lock lock(libs.mu);
  std::vector<const LibraryInfo*> shown;
  for (const auto& [name, lib] : libs.libs)
    if (!pattern || GlobMatch(*pattern, name)) shown.push_back(lib.get());
  ReplyBuilder& rb = *ctx.rb;
  rb.StartArray(static_cast<uint32_t>(shown.size()));
  for (const LibraryInfo* lib : shown) {
    rb.StartMap(with_code ? 4 : 3);
    rb.SendBulk("library_name");
    rb.SendBulk(lib->name);
    rb.SendBulk("engine");
    rb.SendBulk("LUA");
    rb.SendBulk("functions");
    rb.StartArray(static_cast<uint32_t>(lib->functions.size()));
    for (const scripting::FunctionDef& fn : lib->functions) {
      rb.StartMap(3);
      rb.SendBulk("name");
      rb.SendBulk(fn.name);
      rb.SendBulk("description");
      if (fn.description.empty())
        rb.SendNull();
      else
        rb.SendBulk(fn.description);
      rb.SendBulk("flags");
      uint32_t n = 0;
      for (const auto& [bit, flag] : scripting::kFunctionFlagNames) n += (fn.flags & bit) ? 1 : 0;
      rb.StartSet(n);
      for (const auto& [bit, flag] : scripting::kFunctionFlagNames)
        if (fn.flags & bit) rb.SendSimple(flag);
    }
    if (with_code) {
      rb.SendBulk("library_code");
      rb.SendBulk(lib->code);
    }
  }
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
  Libraries& libs = Libs();
  std::unique_lock lock(libs.mu);
  libs.libs.clear();
  libs.functions.clear();
  libs.epoch.fetch_add(1, std::memory_order_release);
  NoteWrite();
  ctx.rb->SendOk();
}

void FunctionStats(CommandContext& ctx) {
  // An EVAL script is not FUNCTION STATS's to report: Redis answers -BUSY then.
  if (ScriptBusy() && !BusyFunctionInfo()) {
    ctx.rb->SendError(kErrBusy);
    return;
  }
  const std::optional<BusyFunction> running = BusyFunctionInfo();
  Libraries& libs = Libs();
  std::shared_lock lock(libs.mu);
  ctx.rb->StartMap(2);
  ctx.rb->SendBulk("running_script");
  if (running) {
    ctx.rb->StartMap(3);
    ctx.rb->SendBulk("name");
    ctx.rb->SendBulk(running->name);
    ctx.rb->SendBulk("command");
    ctx.rb->StartArray(static_cast<uint32_t>(running->command.size()));
    for (const std::string& arg : running->command) ctx.rb->SendBulk(arg);
    ctx.rb->SendBulk("duration_ms");
    ctx.rb->SendLong(std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - running->started)
                         .count());
  } else {
    ctx.rb->SendNull();
  }
  ctx.rb->SendBulk("engines");
  ctx.rb->StartMap(1);
  ctx.rb->SendBulk("LUA");
  ctx.rb->StartMap(2);
  ctx.rb->SendBulk("libraries_count");
  ctx.rb->SendLong(static_cast<int64_t>(libs.libs.size()));
  ctx.rb->SendBulk("functions_count");
  ctx.rb->SendLong(static_cast<int64_t>(libs.functions.size()));
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
  std::vector<std::string> codes;
  switch (ParseFunctionPayload(ctx.args[2], &codes)) {
    case RdbError::kOk: break;
    case RdbError::kBadFooter:
      ctx.rb->SendError("ERR DUMP payload version or checksum are wrong");
      return;
    case RdbError::kBadData:
      ctx.rb->SendError("ERR given type is not a function");
      return;
  }
  enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
  if (ctx.args.size() == 4)
    policy = EqualsIgnoreCase(ctx.args[3], "FLUSH")     ? Policy::kFlush
             : EqualsIgnoreCase(ctx.args[3], "REPLACE") ? Policy::kReplace
                                                        : Policy::kAppend;
  Libraries& libs = Libs();
  std::unique_lock lock(libs.mu);
  std::vector<std::shared_ptr<LibraryInfo>> loaded;
  std::map<std::string, std::string> new_functions;  // function -> library, within the payload
  std::string err;
  for (const std::string& code : codes) {
    std::shared_ptr<LibraryInfo> lib;
    if (!BuildLibrary(libs, code, &lib, &err)) {
      ctx.rb->SendError("ERR " + err);
      return;
    }
    for (const scripting::FunctionDef& fn : lib->functions)
      if (!new_functions.emplace(AsciiLower(fn.name), lib->key).second) {
        ctx.rb->SendError(fmt::format("ERR Function {} already exists", fn.name));
        return;
      }
    loaded.push_back(std::move(lib));
  }
  if (policy != Policy::kFlush) {
    for (const auto& lib : loaded) {
      if (policy == Policy::kAppend && libs.libs.contains(lib->key)) {
        ctx.rb->SendError(fmt::format("ERR Library {} already exists", lib->name));
        return;
      }
      for (const scripting::FunctionDef& fn : lib->functions) {
        auto other = libs.functions.find(AsciiLower(fn.name));
        if (other == libs.functions.end()) continue;
        // Under REPLACE a function of a library the payload replaces moves with it.
        const bool replaced = policy == Policy::kReplace && std::any_of(
            loaded.begin(), loaded.end(), [&](const auto& l) { return l->key == other->second->key; });
        if (!replaced) {
          ctx.rb->SendError(fmt::format("ERR Function {} already exists", fn.name));
          return;
        }
      }
    }
  } else {
    libs.libs.clear();
    libs.functions.clear();
  }
  for (const auto& lib : loaded) Install(libs, lib);
  libs.epoch.fetch_add(1, std::memory_order_release);
  NoteWrite();
  ctx.rb->SendOk();
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
    FunctionDump(ctx);
  } else if (name == "RESTORE") {
    FunctionRestore(ctx);
  } else if (name == "DELETE") {
    FunctionDelete(ctx);
  } else if (name == "KILL") {
    if (!KillRunningScript(*ctx.rb, true))
      ctx.rb->SendError("NOTBUSY No scripts in execution right now.");
  } else if (name == "LOAD") {
    FunctionLoad(ctx);
  } else {
    SendFunctionHelp(ctx);
  }
}

// The library holding function `name` (any case), with the function's registered name and
// flags; nullptr when there is none.
std::shared_ptr<const LibraryInfo> FindFunction(std::string_view name, std::string* function,
                                                uint32_t* flags) {
  Libraries& libs = Libs();
  std::shared_lock lock(libs.mu);
  auto it = libs.functions.find(AsciiLower(name));
  if (it == libs.functions.end()) return nullptr;
  for (const scripting::FunctionDef& fn : it->second->functions)
    if (EqualsIgnoreCase(fn.name, name)) {
      *flags = fn.flags;
      if (function) *function = fn.name;
    }
  return it->second;
}

// FCALL's flags (Redis's fcallGetCommandFlags): those its function declared.
uint32_t FcallCallFlags(std::span<const std::string_view> args, uint32_t flags) {
  uint32_t fn_flags = 0;
  if (args.size() < 2 || !FindFunction(args[1], nullptr, &fn_flags)) return flags;
  return ScriptCallFlags(flags, fn_flags);
}

// Redis looks the function up before it reads numkeys.
void Fcall(CommandContext& ctx, bool read_only) {
  uint32_t flags = 0;
  std::string function;  // as registered
  const std::shared_ptr<const LibraryInfo> lib = FindFunction(ctx.args[1], &function, &flags);
  if (!lib) {
    ctx.rb->SendError("ERR Function not found");
    return;
  }
  const std::optional<int64_t> parsed = ParseInt64(ctx.args[2]);
  if (!parsed) {
    ctx.rb->SendError("ERR Bad number of keys provided");
    return;
  }
  const int64_t numkeys = *parsed;
  if (!NumKeysInRange(ctx, numkeys)) return;
  const bool no_writes = (flags & scripting::kFnNoWrites) != 0;
  if (read_only && !no_writes) {
    ctx.rb->SendError("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  const auto keys = ctx.args.subspan(3, static_cast<size_t>(numkeys));
  const auto argv = ctx.args.subspan(3 + static_cast<size_t>(numkeys));
  RunScript(ctx, no_writes, function, (flags & scripting::kFnAllowOom) != 0,
            [&](scripting::LuaEngine& engine) {
    const uint64_t epoch = Libs().epoch.load(std::memory_order_acquire);
    if (epoch != t_seen_epoch) {
      // Libraries deleted or replaced since this engine last looked: free their functions.
      Libraries& libs = Libs();
      std::shared_lock lock(libs.mu);
      engine.DropLibraries([&](const std::string& name, uint64_t generation) {
        auto it = libs.libs.find(name);
        return it != libs.libs.end() && it->second->generation == generation;
      });
      t_seen_epoch = epoch;
    }
    if (!engine.HasLibrary(lib->key, lib->generation)) {
      std::vector<scripting::FunctionDef> fns;
      std::string err;
      const std::string_view code(lib->code);
      if (!engine.LoadLibrary(lib->key, lib->generation, code.substr(code.find('\n')), &fns,
                              &err)) {
        ctx.rb->SendError("ERR " + err);
        return;
      }
    }
    engine.CallFunction(lib->key, function, keys, argv, *ctx.rb);
  });
}

void CmdFcall(CommandContext& ctx) { Fcall(ctx, false); }
void CmdFcallRo(CommandContext& ctx) { Fcall(ctx, true); }

// FUNCTION LOAD, RESTORE, DELETE and FLUSH: the subcommands declared write below.
bool FunctionSubcommandWrites(std::span<const std::string_view> args) {
  if (args.size() < 2) return false;
  const std::string_view sub = args[1];
  return EqualsIgnoreCase(sub, "LOAD") || EqualsIgnoreCase(sub, "RESTORE") ||
         EqualsIgnoreCase(sub, "DELETE") || EqualsIgnoreCase(sub, "FLUSH");
}

}  // namespace

FunctionCounts CountFunctions() {
  Libraries& libs = Libs();
  std::shared_lock lock(libs.mu);
  return {libs.libs.size(), libs.functions.size()};
}

std::vector<std::string> FunctionLibraryCodes() {
  Libraries& libs = Libs();
  std::shared_lock lock(libs.mu);
  std::vector<std::string> codes;
  codes.reserve(libs.libs.size());
  for (const auto& [name, lib] : libs.libs) codes.push_back(lib->code);
  return codes;
}

std::string ReplaceFunctionLibraries(const std::vector<std::string>& codes) {
  Libraries& libs = Libs();
  std::unique_lock lock(libs.mu);
  std::vector<std::shared_ptr<LibraryInfo>> loaded;
  std::map<std::string, std::string> functions;  // lower-cased name -> library
  for (const std::string& code : codes) {
    std::shared_ptr<LibraryInfo> lib;
    std::string err;
    if (!BuildLibrary(libs, code, &lib, &err)) return err;
    for (const auto& other : loaded)
      if (other->key == lib->key) return fmt::format("Library '{}' already exists", lib->name);
    for (const scripting::FunctionDef& fn : lib->functions)
      if (!functions.emplace(AsciiLower(fn.name), lib->key).second)
        return fmt::format("Function {} already exists", fn.name);
    loaded.push_back(std::move(lib));
  }
  libs.libs.clear();
  libs.functions.clear();
  for (const auto& lib : loaded) Install(libs, lib);
  libs.epoch.fetch_add(1, std::memory_order_release);
  return "";
}

void RegisterFunctionFamily(CommandTable& t) {
  constexpr uint32_t kCall = kCmdNoScript | kCmdStale | kCmdSkipMonitor;
  CommandSpec function = MakeSpec("function", -2, 0, kNoKeys, CmdFunction, "scripting", "7.0.0",
                                  "A container for function commands.",
                                  "LOAD|DELETE|LIST|STATS|KILL|FLUSH|DUMP|RESTORE|HELP [arg ...]");
  function.locks_all_shards = FunctionSubcommandWrites;
  // Redis 7.0's flags of each subcommand: COMMAND INFO reports them, the dispatcher acts on them
  // (LOAD is a logged write refused on a read-only replica; HELP alone may run in a script).
  constexpr uint32_t kWrites = kCmdWrite | kCmdNoScript;
  constexpr uint32_t kGrows = kWrites | kCmdDenyOom;
  t.Register(WithSubcommands(std::move(function),
      {{"load", -3, "", "Create a function with the given arguments (name, code, description)",
        kGrows},
       {"delete", 3, "", "Delete a function by name", kWrites},
       {"list", -2, "", "List information about all the functions", kCmdNoScript},
       {"stats", 2, "",
        "Return information about the function currently running (name, description, duration)",
        kCmdNoScript},
       {"kill", 2, "", "Kill the function currently in execution.", kCmdNoScript},
       {"flush", -2, "", "Deleting all functions", kWrites},
       {"dump", 2, "", "Dump all functions into a serialized binary payload", kCmdNoScript},
       {"restore", -3, "", "Restore all the functions on the given payload", kGrows},
       HelpSubcommand()},
      {.sub_categories = acl::kScripting}));
  t.Register(ScriptCommandSpec(
      MakeSpec("fcall", -3, kCall | kCmdMayReplicate, kNoKeys, CmdFcall, "scripting", "7.0.0",
               "Invokes a function.", "function numkeys [key [key ...]] [arg [arg ...]]"),
      FcallCallFlags));
  t.Register(ScriptCommandSpec(
      MakeSpec("fcall_ro", -3, kCall | kCmdReadonly, kNoKeys, CmdFcallRo, "scripting", "7.0.0",
               "Invokes a read-only function.",
               "function numkeys [key [key ...]] [arg [arg ...]]"),
      FcallCallFlags));
}

}  // namespace kv
