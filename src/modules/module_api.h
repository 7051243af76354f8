// Host side of the plugin ABI: what KVModuleCtx, KVModuleKey, KVModuleString and KVModuleValue
// are inside the server, and the one API table handed to every plugin. Private to src/modules/.
#pragma once

#include <forward_list>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "kvmodule.h"

namespace kv {
struct Module;
class ModuleHost;
}  // namespace kv

// A typed value handed to a plugin: a view of an argument or of a stored value, valid as long as
// what it views.
struct KVModuleValue {
  kv::ScalarView v;
  std::string owned;  // a container's value, encoded for the handle (v points into it)
};

struct KVModuleString {
  std::string_view s;
};

struct KVModuleCtx {
  // Load call (KVModule_OnLoad): set; command calls: null.
  kv::ModuleHost* host = nullptr;
  kv::Module* module = nullptr;
  std::string load_error;  // why loading failed, when the plugin told us
  bool initialized = false;
  // Command call: set.
  kv::CommandContext* cmd = nullptr;
  bool replied = false;
  std::vector<KVModuleKey*> keys;  // closed automatically when the handler returns
  // Handles given out by ArgValue and KeyValue: stable addresses, and no allocation for the
  // calls that use none.
  std::forward_list<KVModuleValue> values;
};

struct KVModuleKey {
  KVModuleCtx* ctx;
  std::string name;
  int mode;
  std::string text;  // ValueString's result
  KVModuleValue* value = nullptr;  // KeyValue's result, in ctx->values
};


namespace kv {

const KVModuleAPI* HostApi();

// The CommandSpec handler of every plugin command; spec->data points at its PluginCommand.
void ModuleCommandTrampoline(CommandContext& ctx);

}  // namespace kv
