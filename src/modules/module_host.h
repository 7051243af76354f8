// ModuleHost: loads plugins (shared libraries against include/kvmodule.h, and the built-in typed
// extensions compiled into the server through the very same entry-point signature), keeps the
// registry behind MODULE LIST, and unloads them.
//
// A plugin's commands enter the one CommandTable; each is dispatched through a host trampoline
// (module_api.cc) that builds the KVModuleCtx, counts the call as in flight, and turns the
// plugin's replies into ReplyBuilder calls.
//
// Thread contract: Load/Unload/List may run on any I/O thread (MODULE commands) or at start-up;
// a mutex guards the registry. Unload waits for in-flight calls of the plugin to finish.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "commands/command_table.h"
#include "commands/server_state.h"
#include "kvmodule.h"

namespace kv {

using ModuleOnLoadFn = int (*)(KVModuleCtx*, const KVModuleAPI*, KVModuleString**, int);

struct Module;

// What a plugin command's CommandSpec::data points at.
struct PluginCommand {
  Module* module;
  KVModuleCmdFunc fn;
};

struct Module {
  std::string name;
  int version = 0;
  std::string path;  // "builtin" for compiled-in extensions
  std::vector<std::string> args;
  void* handle = nullptr;  // dlopen handle; null for built-ins
  bool builtin = false;
  std::vector<std::string> commands;
  std::vector<std::unique_ptr<PluginCommand>> handlers;
  std::atomic<int64_t> inflight{0};  // handler calls running now
  std::atomic<bool> unloaded{false};
};

class ModuleHost {
 public:
  explicit ModuleHost(CommandTable& table) : table_(table) {}
  ~ModuleHost();

  // Loads a plugin from a shared library. Returns "" or a clear error (missing file, missing
  // KVModule_OnLoad, API version too new, name clash, OnLoad failure); on error nothing of the
  // plugin stays registered.
  std::string Load(const std::string& path, const std::vector<std::string>& args);
  // Registers a compiled-in extension through the same API.
  std::string LoadBuiltin(ModuleOnLoadFn onload, const std::vector<std::string>& args = {});
  // Unloads by name; refused for built-ins and while a client is blocked in one of its
  // commands (`clients`, for that check).
  std::string Unload(const std::string& name, ClientRegistry& clients);
  bool Has(const std::string& name);
  // Snapshot for MODULE LIST.
  std::vector<std::shared_ptr<Module>> List();

  CommandTable& table() { return table_; }

 private:
  std::string Run(std::shared_ptr<Module> m, ModuleOnLoadFn onload);

  CommandTable& table_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Module>> modules_;
  // Unloaded plugins stay allocated: a CommandSpec of theirs may still be referenced by a call
  // that raced with the unload, and the trampoline reads Module::unloaded to refuse it.
  std::vector<std::shared_ptr<Module>> retired_;
};

// Registers MODULE (LOAD, LOADEX, LIST, UNLOAD, HELP) for `host`.
void RegisterModuleFamily(CommandTable& table, ModuleHost& host);
// Loads the built-in typed extensions (DECIMAL.*, LOCK/UNLOCK/EXTEND, CAS).
std::string LoadBuiltinModules(ModuleHost& host);

}  // namespace kv
