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
  mutable std::string text;  // ValueText's canonical form of a number
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
  // Reply items still owed: the one top-level reply until it starts, then the elements open
  // arrays still expect. A reply when nothing is owed would put a second answer on the wire and
  // shift every later reply on the connection by one, so it is refused (and logged once).
  uint64_t owed = 1;
  bool over_replied = false;
  std::vector<KVModuleKey*> keys;  // closed automatically when the handler returns
  // Handles given out by ArgValue and KeyValue: stable addresses, and no allocation for the
  // calls that use none.
  std::forward_list<KVModuleValue> values;
  // A Hash/Set/ZsetWalk is visiting a container: every write is refused until it ends, so a
  // callback cannot free what the walk stands on.
  bool walking = false;
};

struct KVModuleKey {
  KVModuleCtx* ctx;
  std::string name;
  int mode;
  std::string text;  // ValueString's result
  KVModuleValue* value = nullptr;  // KeyValue's result, in ctx->values
};


namespace kv {

class Shard;
class Entry;

const KVModuleAPI* HostApi();

// Shared by the API table's files (module_api.cc, module_api_collections.cc).
Shard& ModuleShardOf(KVModuleKey* k);
// The key's live entry (expired keys read as missing), or nullptr.
Entry* ModuleLive(KVModuleKey* k);
// Open for writing and no walk under way.
inline bool ModuleWritable(const KVModuleKey* k) {
  return (k->mode & KV_WRITE) && !k->ctx->walking;
}
// A handle on a copy of v that outlives the container's next change (until the handler returns).
const KVModuleValue* ModuleOwnedHandle(KVModuleCtx* ctx, const ScalarView& v);

// The version 4 calls (module_api_collections.cc), in table order.
namespace modapi {
int OpenAs(KVModuleKey* key, int obj_type);
const char* ValueText(const KVModuleValue* v, size_t* len);
long long HashLength(KVModuleKey* key);
const KVModuleValue* HashGet(KVModuleKey* key, const char* field, size_t flen);
int HashSet(KVModuleKey* key, const char* field, size_t flen, const KVModuleValue* v,
            int* created);
int HashSetBytes(KVModuleKey* key, const char* field, size_t flen, const char* ptr, size_t len,
                 int* created);
int HashDelete(KVModuleKey* key, const char* field, size_t flen, int* deleted);
int HashWalk(KVModuleKey* key, KVHashWalkFunc fn, void* priv);
long long SetCard(KVModuleKey* key);
int SetAdd(KVModuleKey* key, const KVModuleValue* v, int* added);
int SetAddBytes(KVModuleKey* key, const char* ptr, size_t len, int* added);
int SetRemove(KVModuleKey* key, const char* ptr, size_t len, int* removed);
int SetIsMember(KVModuleKey* key, const char* ptr, size_t len);
int SetWalk(KVModuleKey* key, KVSetWalkFunc fn, void* priv);
long long ZsetCard(KVModuleKey* key);
int ZsetAdd(KVModuleKey* key, const char* member, size_t len, double score, int* added);
int ZsetRemove(KVModuleKey* key, const char* member, size_t len, int* removed);
int ZsetScore(KVModuleKey* key, const char* member, size_t len, double* score);
int ZsetRank(KVModuleKey* key, const char* member, size_t len, int reverse, long long* rank);
int ZsetRangeWalk(KVModuleKey* key, long long start, long long stop, int reverse,
                  KVZsetWalkFunc fn, void* priv);
long long StreamLength(KVModuleKey* key);
int StreamAdd(KVModuleKey* key, const KVStreamID* id, int nfields, const char* const* fields,
              const size_t* flens, const char* const* values, const size_t* vlens,
              KVStreamID* added_id);
int StreamRangeWalk(KVModuleKey* key, KVStreamID start, KVStreamID end, int reverse,
                    long long count, KVStreamWalkFunc fn, void* priv);
int StreamDelete(KVModuleKey* key, KVStreamID id, int* deleted);
int StreamTrim(KVModuleKey* key, long long maxlen, const KVStreamID* minid, int approx,
               long long* removed);
}  // namespace modapi

// The CommandSpec handler of every plugin command; spec->data points at its PluginCommand.
void ModuleCommandTrampoline(CommandContext& ctx);

}  // namespace kv
