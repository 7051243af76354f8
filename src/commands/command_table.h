// CommandTable: the one registry of commands. Built-in families and plugins register into it;
// the dispatcher, COMMAND / COMMAND INFO / COMMAND DOCS and the native protocol's CALL frame
// read from it.
//
// Thread contract: lookups may run on every I/O thread while a plugin registers or removes
// commands; a shared mutex guards the index, and each thread caches the names it looked up
// until the table's generation changes. Specs are never freed before the table, so a
// pointer from Find stays valid for the life of the server (a removed command just stops being
// found).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/command.h"

namespace kv {

// Calls f(name, slot, spec) for every statistics slot of `specs`, in INFO commandstats order:
// each command, then its subcommands by name, under the name Redis 7 gives them ("config",
// "config|get", ...).
template <typename F>
void ForEachStatsSlot(const std::vector<const CommandSpec*>& specs, F&& f) {
  for (const CommandSpec* spec : specs) {
    f(std::string_view(spec->name), spec->id, *spec);
    for (const SubcommandSpec& sub : spec->subcommands)
      f(std::string_view(sub.full_name), sub.id, *spec);
  }
}

class CommandTable {
 public:
  CommandTable();
  // Adds `spec` (its name is lower-cased). False when a command of that name exists.
  bool Register(CommandSpec spec);
  // Case-insensitive lookup; nullptr when unknown.
  const CommandSpec* Find(std::string_view name) const;
  // Sets COMMAND DOCS text of a command owned by `module`; false if there is none.
  bool SetDocs(std::string_view name, std::string_view module, std::string summary,
               std::string syntax);
  // Removes every command owned by `module`; returns how many.
  size_t RemoveModule(std::string_view module);
  // Every registered command, sorted by name.
  std::vector<const CommandSpec*> All() const;
  // What clients see (COMMAND): All() without internal commands; Find for those alone.
  std::vector<const CommandSpec*> Public() const;
  const CommandSpec* FindPublic(std::string_view name) const;
  size_t size() const;

 private:
  // Transparent hashing: lookups by string_view, no std::string per request.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void BumpGeneration();

  mutable std::shared_mutex mu_;
  std::atomic<uint64_t> generation_{0};  // bumped by every change of index_
  std::unordered_map<std::string, const CommandSpec*, NameHash, std::equal_to<>> index_;
  std::vector<std::unique_ptr<CommandSpec>> storage_;
  uint32_t next_id_ = 0;  // the next statistics slot (CommandSpec::id, SubcommandSpec::id)
};

}  // namespace kv
