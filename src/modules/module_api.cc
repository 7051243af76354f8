// The KVModuleAPI table: every function a plugin can call, implemented over the engine
// (shards locked by the dispatcher), the ReplyBuilder of the calling client, and the host.

#include "modules/module_api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "commands/blocking.h"
#include "commands/args.h"
#include "commands/dispatch.h"
#include "commands/errors.h"
#include "core/ascii.h"
#include "core/list.h"
#include "core/object.h"
#include "core/scalar.h"
#include "core/shard.h"
#include "core/value_encoding.h"
#include "modules/module_host.h"

namespace kv {

namespace {

// ------------------------------------------------------------------------------------------
// Loading
// ------------------------------------------------------------------------------------------

int Init(KVModuleCtx* ctx, const char* name, int module_version, int api_version) {
  if (!ctx->module || ctx->initialized) return KV_ERR;
  if (api_version > KVMODULE_API_VERSION) {
    ctx->load_error = "the plugin needs kvmodule API version " + std::to_string(api_version) +
                      ", this server provides version " +
                      std::to_string(KVMODULE_API_VERSION);
    return KV_ERR;
  }
  if (!name || !*name || std::strchr(name, ' ')) {
    ctx->load_error = "invalid plugin name";
    return KV_ERR;
  }
  // Checked before any command is registered, so a failed load never touches the commands of
  // the plugin already loaded under that name.
  if (ctx->host->Has(name)) {
    ctx->load_error = std::string("a plugin named '") + name + "' is already loaded";
    return KV_ERR;
  }
  ctx->module->name = name;
  ctx->module->version = module_version;
  ctx->initialized = true;
  return KV_OK;
}

// Flags, and ACL categories given as "@name" words (into *categories).
uint32_t ParseFlags(const char* flags, uint32_t* categories, std::string* bad) {
  static constexpr std::pair<const char*, uint32_t> kFlags[] = {
      {"write", kCmdWrite}, {"readonly", kCmdReadonly}, {"denyoom", kCmdDenyOom},
      {"fast", kCmdFast},   {"admin", kCmdAdmin},       {"blocking", kCmdBlocking},
      {"internal", kCmdInternal},
  };
  uint32_t out = 0;
  std::istringstream in(flags ? flags : "");
  std::string word;
  while (in >> word) {
    if (word.starts_with('@')) {
      auto cat = acl::CategoryByName(std::string_view(word).substr(1));
      if (!cat) {
        *bad = word;
        return 0;
      }
      *categories |= *cat;
      continue;
    }
    auto it = std::find_if(std::begin(kFlags), std::end(kFlags),
                           [&](const auto& f) { return word == f.first; });
    if (it == std::end(kFlags)) {
      *bad = word;
      return 0;
    }
    out |= it->second;
  }
  return out;
}

int CreateCommand(KVModuleCtx* ctx, const char* name, KVModuleCmdFunc handler, const char* flags,
                  int arity, int firstkey, int lastkey, int keystep) {
  if (!ctx->module || !ctx->initialized || !name || !handler) return KV_ERR;
  std::string bad;
  uint32_t categories = 0;
  const uint32_t f = ParseFlags(flags, &categories, &bad);
  auto fail = [&](const std::string& why) {
    ctx->load_error = why;
    spdlog::warn("plugin {}: {}", ctx->module->name, why);
    return KV_ERR;
  };
  if (!bad.empty()) return fail(fmt::format("command '{}': unknown flag '{}'", name, bad));
  if (arity == 0 || firstkey < 0 || keystep < 0 || (firstkey > 0 && keystep == 0) ||
      (firstkey == 0 && (lastkey != 0 || keystep != 0)))
    return fail(fmt::format("command '{}': invalid arity or key positions", name));
  auto pc = std::make_unique<PluginCommand>(PluginCommand{ctx->module, handler});
  CommandSpec spec = MakeSpec(name, arity, f, KeyRange{firstkey, lastkey, keystep},
                              ModuleCommandTrampoline, "module", "1.0.0", "", "");
  spec.data = pc.get();
  spec.module = ctx->module->name;
  spec.acl_categories = categories;
  const std::string lower = AsciiLower(name);
  if (!ctx->host->table().Register(std::move(spec)))
    return fail(fmt::format("command '{}' already exists", lower));
  ctx->module->commands.push_back(lower);
  ctx->module->handlers.push_back(std::move(pc));
  return KV_OK;
}

int SetCommandDocs(KVModuleCtx* ctx, const char* name, const char* summary, const char* syntax) {
  if (!ctx->module || !name) return KV_ERR;
  return ctx->host->table().SetDocs(name, ctx->module->name, summary ? summary : "",
                                    syntax ? syntax : "")
             ? KV_OK
             : KV_ERR;
}

// ------------------------------------------------------------------------------------------
// Arguments
// ------------------------------------------------------------------------------------------

const char* StringPtrLen(const KVModuleString* s, size_t* len) {
  if (len) *len = s->s.size();
  return s->s.data();
}

int StringToLongLong(const KVModuleString* s, long long* out) {
  auto v = ParseInt64(s->s);
  if (!v) return KV_ERR;
  *out = *v;
  return KV_OK;
}

int StringEqualsIgnoreCase(const KVModuleString* s, const char* word) {
  return EqualsIgnoreCase(s->s, word) ? 1 : 0;
}

// ------------------------------------------------------------------------------------------
// Replies
// ------------------------------------------------------------------------------------------

// The reply builder for one more reply item that opens `elements` more (an array), or nullptr
// when the call is not a command's or its reply is already complete.
ReplyBuilder* Rb(KVModuleCtx* ctx, uint64_t elements = 0) {
  if (!ctx->cmd) return nullptr;
  if (ctx->owed == 0) {
    if (!ctx->over_replied)
      spdlog::warn("plugin {}: {} replied after its reply was complete; the extra reply is dropped",
                   ctx->module->name, ctx->cmd->spec->name);
    ctx->over_replied = true;
    return nullptr;
  }
  ctx->owed = ctx->owed - 1 + elements;
  ctx->replied = true;
  return ctx->cmd->rb;
}

int ReplyWithLongLong(KVModuleCtx* ctx, long long v) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb) return KV_ERR;
  rb->SendLong(v);
  return KV_OK;
}

int ReplyWithDouble(KVModuleCtx* ctx, double v) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb) return KV_ERR;
  rb->SendDouble(v);
  return KV_OK;
}

int ReplyWithSimpleString(KVModuleCtx* ctx, const char* s) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb || !s) return KV_ERR;
  rb->SendSimple(s);
  return KV_OK;
}

int ReplyWithError(KVModuleCtx* ctx, const char* err) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb || !err) return KV_ERR;
  rb->SendError(err);
  return KV_OK;
}

int ReplyWithStringBuffer(KVModuleCtx* ctx, const char* buf, size_t len) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb) return KV_ERR;
  rb->SendBulk(std::string_view(buf, len));
  return KV_OK;
}

int ReplyWithNull(KVModuleCtx* ctx) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb) return KV_ERR;
  rb->SendNull();
  return KV_OK;
}

int ReplyWithArray(KVModuleCtx* ctx, long len) {
  if (len < 0 || static_cast<unsigned long>(len) > UINT32_MAX) return KV_ERR;
  ReplyBuilder* rb = Rb(ctx, static_cast<uint64_t>(len));
  if (!rb) return KV_ERR;
  rb->StartArray(static_cast<uint32_t>(len));
  return KV_OK;
}

int ReplyWithDecimal(KVModuleCtx* ctx, KVDecimal v) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb) return KV_ERR;
  rb->SendScalar(ScalarView::Dec(Decimal::FromWords(v.w[0], v.w[1])));
  return KV_OK;
}

int WrongArity(KVModuleCtx* ctx) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb) return KV_ERR;
  rb->SendError(errors::WrongArity(ctx->cmd->spec->name));
  return KV_OK;
}

// ------------------------------------------------------------------------------------------
// Keys
// ------------------------------------------------------------------------------------------

Shard& ShardOf(KVModuleKey* k) { return ModuleShardOf(k); }
Entry* Live(KVModuleKey* k) { return ModuleLive(k); }

KVModuleKey* OpenKey(KVModuleCtx* ctx, const KVModuleString* name, int mode) {
  if (!ctx->cmd || (mode & (KV_READ | KV_WRITE)) == 0) return nullptr;
  // Only declared keys: their shards are the ones the dispatcher locked.
  thread_local std::vector<size_t> positions;
  ctx->cmd->spec->KeyPositions(ctx->cmd->args, &positions);
  const bool declared = std::any_of(positions.begin(), positions.end(),
                                    [&](size_t p) { return ctx->cmd->args[p] == name->s; });
  if (!declared) return nullptr;
  auto* k = new KVModuleKey{ctx, std::string(name->s), mode, {}};
  ctx->keys.push_back(k);
  return k;
}

void CloseKey(KVModuleKey* key) {
  if (!key) return;
  auto& keys = key->ctx->keys;
  keys.erase(std::remove(keys.begin(), keys.end(), key), keys.end());
  delete key;
}

int KeyType(KVModuleKey* key) {
  const Entry* e = Live(key);
  if (!e) return KV_KEYTYPE_EMPTY;
  switch (e->type()) {
    case ScalarType::kBytes:
    case ScalarType::kString:
      return KV_KEYTYPE_BYTES;
    case ScalarType::kInt:
      return KV_KEYTYPE_INT;
    case ScalarType::kFloat:
      return KV_KEYTYPE_FLOAT;
    case ScalarType::kDecimal:
      return KV_KEYTYPE_DECIMAL;
    case ScalarType::kNested:
      break;  // version 1 plugins cannot read it; KeyValue can
  }
  return KV_KEYTYPE_OTHER;
}

int DeleteKey(KVModuleKey* key) {
  if (!ModuleWritable(key)) return KV_ERR;
  return ShardOf(key).Erase(key->name, key->ctx->cmd->now_ms) ? KV_OK : KV_ERR;
}

const Entry* Typed(KVModuleKey* key, ScalarType t) {
  const Entry* e = Live(key);
  return e && e->type() == t ? e : nullptr;
}

int GetBytes(KVModuleKey* key, const char** ptr, size_t* len) {
  const Entry* e = Live(key);
  if (!e || !IsText(e->type())) return KV_ERR;
  *ptr = e->value_data();
  *len = e->value_len();
  return KV_OK;
}

int GetInt(KVModuleKey* key, long long* out) {
  const Entry* e = Typed(key, ScalarType::kInt);
  if (!e) return KV_ERR;
  *out = e->value().i;
  return KV_OK;
}

int GetFloat(KVModuleKey* key, double* out) {
  const Entry* e = Typed(key, ScalarType::kFloat);
  if (!e) return KV_ERR;
  *out = e->value().d;
  return KV_OK;
}

int GetDecimal(KVModuleKey* key, KVDecimal* out) {
  const Entry* e = Typed(key, ScalarType::kDecimal);
  if (!e) return KV_ERR;
  const Decimal d = e->value().dec;
  out->w[0] = d.low();
  out->w[1] = d.high();
  return KV_OK;
}

int Store(KVModuleKey* key, const ScalarView& v, int keep_expiry) {
  if (!ModuleWritable(key)) return KV_ERR;
  Shard& shard = ShardOf(key);
  int64_t expire = kNoExpire;
  if (keep_expiry)
    if (const Entry* old = shard.Find(key->name, key->ctx->cmd->now_ms)) expire = old->expire_at();
  shard.Set(key->name, v, expire);
  return KV_OK;
}

int SetBytes(KVModuleKey* key, const char* ptr, size_t len, int keep_expiry) {
  return Store(key, ScalarView::Bytes({ptr, len}), keep_expiry);
}
int SetInt(KVModuleKey* key, long long v, int keep_expiry) {
  return Store(key, ScalarView::Int(v), keep_expiry);
}
int SetFloat(KVModuleKey* key, double v, int keep_expiry) {
  return Store(key, ScalarView::Float(v), keep_expiry);
}
int SetDecimal(KVModuleKey* key, KVDecimal v, int keep_expiry) {
  // NaN and Infinity are not values kv-server stores (docs/decimal.md).
  const Decimal d = Decimal::FromWords(v.w[0], v.w[1]);
  if (!d.IsFinite()) return KV_ERR;
  return Store(key, ScalarView::Dec(d), keep_expiry);
}

long long GetExpire(KVModuleKey* key) {
  const Entry* e = Live(key);
  return e ? e->expire_at() : KV_NO_EXPIRE;
}

int SetExpire(KVModuleKey* key, long long at_ms) {
  if (!ModuleWritable(key) || (at_ms < 0 && at_ms != KV_NO_EXPIRE)) return KV_ERR;
  return ShardOf(key).SetExpire(key->name, at_ms, key->ctx->cmd->now_ms) ? KV_OK : KV_ERR;
}

// ------------------------------------------------------------------------------------------
// Blocking, durability, utilities
// ------------------------------------------------------------------------------------------

int BlockClient(KVModuleCtx* ctx, long long timeout_ms) {
  if (!ctx->cmd || !ctx->cmd->spec->has(kCmdBlocking) || timeout_ms < 0) return KV_ERR;
  ClientState& c = *ctx->cmd->client;
  if (c.block_timed_out) return KV_ERR;  // the last call must reply
  if (c.block_deadline_ms == 0) c.block_deadline_ms = ctx->cmd->now_ms + timeout_ms;
  c.block_requested = true;
  c.blocked_owner.store(ctx->module, std::memory_order_relaxed);
  blocking::WaitOnKeyChanges(*ctx->cmd);
  return KV_OK;
}

int IsBlockTimeout(KVModuleCtx* ctx) {
  return ctx->cmd && ctx->cmd->client->block_timed_out ? 1 : 0;
}

int LogCommandAs(KVModuleCtx* ctx, int argc, const char* const* argv, const size_t* lens) {
  if (!ctx->cmd || argc < 1 || !ctx->cmd->spec->has(kCmdWrite)) return KV_ERR;
  ctx->cmd->log_as.clear();
  ctx->cmd->log_as_typed.clear();
  for (int i = 0; i < argc; ++i) ctx->cmd->log_as.emplace_back(argv[i], lens[i]);
  return KV_OK;
}

long long Milliseconds() { return NowMs(); }

void Log(KVModuleCtx* ctx, const char* level, const char* fmt_str, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt_str);
  std::vsnprintf(buf, sizeof buf, fmt_str, ap);
  va_end(ap);
  const std::string_view lv = level ? level : "info";
  const auto l = lv == "debug"     ? spdlog::level::debug
                 : lv == "warning" ? spdlog::level::warn
                 : lv == "error"   ? spdlog::level::err
                                   : spdlog::level::info;
  spdlog::log(l, "plugin {}: {}", ctx && ctx->module ? ctx->module->name : "?", buf);
}

const char* ValueString(KVModuleKey* key, size_t* len) {
  const Entry* e = Live(key);
  // A Null, List or Map has no text: NULL, so that text comparisons (CAS over RESP) never match.
  if (!e || !IsString(*e)) return nullptr;
  char buf[kScalarBufSize];
  key->text.assign(CanonicalString(e->value(), buf));
  if (len) *len = key->text.size();
  return key->text.data();
}

// ------------------------------------------------------------------------------------------
// Typed values (version 2)
// ------------------------------------------------------------------------------------------

const KVModuleValue* NewHandle(KVModuleCtx* ctx, const ScalarView& v) {
  ctx->values.push_front(KVModuleValue{v, {}, {}});
  return &ctx->values.front();
}

const KVModuleValue* ArgValue(KVModuleCtx* ctx, int i) {
  if (!ctx->cmd || i < 0) return nullptr;
  const ScalarView* v = ctx->cmd->Typed(static_cast<size_t>(i));
  return v ? NewHandle(ctx, *v) : nullptr;
}

const KVModuleValue* KeyValue(KVModuleKey* key) {
  const Entry* e = Live(key);
  if (!e) return nullptr;
  if (!IsContainer(*e)) return NewHandle(key->ctx, e->value());
  // A list reads as the List of its elements, encoded once for the handle's life.
  key->ctx->values.push_front(KVModuleValue{});
  KVModuleValue& h = key->ctx->values.front();
  h.v = WholeValue(*e, &h.owned);
  return &h;
}

int ValueTypeOf(const KVModuleValue* v) {
  switch (v->v.type) {
    case ScalarType::kBytes:
      return KV_VALUE_BYTES;
    case ScalarType::kString:
      return KV_VALUE_STRING;
    case ScalarType::kInt:
      return KV_VALUE_INT;
    case ScalarType::kFloat:
      return KV_VALUE_FLOAT;
    case ScalarType::kDecimal:
      return KV_VALUE_DECIMAL;
    case ScalarType::kNested:
      break;
  }
  // The encoding's type byte is the native type, which KV_VALUE_* numbers.
  return static_cast<int>(EncodedTypeOf(v->v.bytes));
}

int ValueEquals(const KVModuleValue* a, const KVModuleValue* b) {
  return a && b && SameValue(a->v, b->v) ? 1 : 0;
}

int ValueGetInt(const KVModuleValue* v, long long* out) {
  if (v->v.type != ScalarType::kInt) return KV_ERR;
  *out = v->v.i;
  return KV_OK;
}

int ValueGetFloat(const KVModuleValue* v, double* out) {
  if (v->v.type != ScalarType::kFloat) return KV_ERR;
  *out = v->v.d;
  return KV_OK;
}

int ValueGetDecimal(const KVModuleValue* v, KVDecimal* out) {
  if (v->v.type != ScalarType::kDecimal) return KV_ERR;
  out->w[0] = v->v.dec.low();
  out->w[1] = v->v.dec.high();
  return KV_OK;
}

int ValueGetBytes(const KVModuleValue* v, const char** ptr, size_t* len) {
  if (!IsText(v->v.type) && !IsNested(v->v.type)) return KV_ERR;
  *ptr = v->v.bytes.data();
  *len = v->v.bytes.size();
  return KV_OK;
}

int SetValue(KVModuleKey* key, const KVModuleValue* v, int keep_expiry) {
  // v may view the very entry being replaced (SetValue(key, KeyValue(key))): Shard::Set copies
  // the new value before it frees the old entry.
  return v ? Store(key, v->v, keep_expiry) : KV_ERR;
}

int LogArgValue(KVModuleCtx* ctx, int i, const KVModuleValue* v) {
  if (!ctx->cmd || !v || i < 0 || static_cast<size_t>(i) >= ctx->cmd->log_as.size())
    return KV_ERR;
  auto& typed = ctx->cmd->log_as_typed;
  std::erase_if(typed, [&](const LoggedTypedArg& t) { return t.pos == static_cast<size_t>(i); });
  typed.push_back(LoggedTypedArg{static_cast<size_t>(i), v->v, std::string(v->v.bytes)});
  return KV_OK;
}

// The header's classes are the engine's bits, so they pass through unchanged.
static_assert(KV_NOTIFY_GENERIC == keyspace_events::kGeneric &&
              KV_NOTIFY_STRING == keyspace_events::kString &&
              KV_NOTIFY_LIST == keyspace_events::kList && KV_NOTIFY_SET == keyspace_events::kSet &&
              KV_NOTIFY_HASH == keyspace_events::kHash && KV_NOTIFY_ZSET == keyspace_events::kZset &&
              KV_NOTIFY_MODULE == keyspace_events::kModule);

int NotifyKeyspaceEvent(KVModuleCtx* ctx, int type, const char* event, const KVModuleString* key) {
  constexpr int kClasses = KV_NOTIFY_GENERIC | KV_NOTIFY_STRING | KV_NOTIFY_LIST | KV_NOTIFY_SET |
                           KV_NOTIFY_HASH | KV_NOTIFY_ZSET | KV_NOTIFY_MODULE;
  // One class bit, as the header says.
  if (!ctx || !ctx->cmd || !event || !key || type == 0 || (type & ~kClasses) != 0 ||
      (type & (type - 1)) != 0)
    return KV_ERR;
  ctx->cmd->Notify(static_cast<uint32_t>(type), event, key->s);
  return KV_OK;
}

// ------------------------------------------------------------------------------------------
// Collections (version 3)
// ------------------------------------------------------------------------------------------

int ObjectTypeOf(KVModuleKey* key) {
  const Entry* e = Live(key);
  if (!e) return KV_OBJ_NONE;
  switch (TypeOf(*e)) {
    case ObjType::kString:
      return KV_OBJ_STRING;
    case ObjType::kList:
      return KV_OBJ_LIST;
    case ObjType::kSet:
      return KV_OBJ_SET;
    case ObjType::kZSet:
      return KV_OBJ_ZSET;
    case ObjType::kHash:
      return KV_OBJ_HASH;
    case ObjType::kNull:
      return KV_OBJ_NULL;
    case ObjType::kStream:
      return KV_OBJ_STREAM;
  }
  return KV_OBJ_NONE;
}

int ReplyWithValue(KVModuleCtx* ctx, const KVModuleValue* v) {
  ReplyBuilder* rb = Rb(ctx);
  if (!rb || !v) return KV_ERR;
  rb->SendScalar(v->v);
  return KV_OK;
}

// The list at `key`: an existing list entry, nullptr for no key; *wrong for another type.
Entry* ListEntry(KVModuleKey* key, bool* wrong) {
  Entry* e = Live(key);
  *wrong = e && TypeOf(*e) != ObjType::kList;
  return *wrong ? nullptr : e;
}

const KVModuleValue* OwnedHandle(KVModuleCtx* ctx, const ScalarView& v) {
  return ModuleOwnedHandle(ctx, v);
}

long long ListLength(KVModuleKey* key) {
  bool wrong;
  Entry* e = ListEntry(key, &wrong);
  if (wrong) return -1;
  if (!e) return 0;
  ListRef list(e);
  return static_cast<long long>(list->size());
}

int PushElement(KVModuleKey* key, int where, const ScalarView& v) {
  if (!ModuleWritable(key) || (where != KV_LIST_HEAD && where != KV_LIST_TAIL)) return KV_ERR;
  bool wrong;
  Entry* e = ListEntry(key, &wrong);
  if (wrong) return KV_ERR;
  Shard& shard = ShardOf(key);
  if (!e) {
    const NewContainer c = NewList();
    e = shard.SetContainer(key->name, c.encoding, c.ptr, kNoExpire);
  }
  ListRef list(e);
  list->Push(where == KV_LIST_HEAD, v);
  shard.ContainerChanged(key->name, list.Commit(), false, key->ctx->cmd->now_ms);
  return KV_OK;
}

int ListPush(KVModuleKey* key, int where, const KVModuleValue* v) {
  return v ? PushElement(key, where, v->v) : KV_ERR;
}
int ListPushBytes(KVModuleKey* key, int where, const char* ptr, size_t len) {
  return PushElement(key, where, ScalarView::Bytes({ptr, len}));
}

const KVModuleValue* ListPop(KVModuleKey* key, int where) {
  if (!ModuleWritable(key)) return nullptr;
  bool wrong;
  Entry* e = ListEntry(key, &wrong);
  if (!e) return nullptr;
  ListRef list(e);
  const uint64_t at = where == KV_LIST_HEAD ? 0 : list->size() - 1;
  const KVModuleValue* out = OwnedHandle(key->ctx, list->Get(list->Seek(at)));
  list->EraseRange(at, 1);
  const bool empty = list->size() == 0;
  ShardOf(key).ContainerChanged(key->name, list.Commit(), empty, key->ctx->cmd->now_ms);
  return out;
}

// The position of a Redis list index, or -1 when out of range.
int64_t ListIndex(const QuickList& list, long long index) {
  const auto len = static_cast<int64_t>(list.size());
  const int64_t at = index < 0 ? len + index : index;
  return at < 0 || at >= len ? -1 : at;
}

const KVModuleValue* ListGet(KVModuleKey* key, long long index) {
  bool wrong;
  Entry* e = ListEntry(key, &wrong);
  if (!e) return nullptr;
  ListRef list(e);
  const int64_t at = ListIndex(*list, index);
  if (at < 0) return nullptr;
  return OwnedHandle(key->ctx, list->Get(list->Seek(static_cast<uint64_t>(at))));
}

int ListSet(KVModuleKey* key, long long index, const KVModuleValue* v) {
  if (!ModuleWritable(key) || !v) return KV_ERR;
  bool wrong;
  Entry* e = ListEntry(key, &wrong);
  if (!e) return KV_ERR;
  ListRef list(e);
  const int64_t at = ListIndex(*list, index);
  if (at < 0) return KV_ERR;
  list->Replace(list->Seek(static_cast<uint64_t>(at)), v->v);
  ShardOf(key).ContainerChanged(key->name, list.Commit(), false, key->ctx->cmd->now_ms);
  return KV_OK;
}

const KVModuleAPI kApi = {
    KVMODULE_API_VERSION,
    sizeof(KVModuleAPI),
    Init,
    CreateCommand,
    SetCommandDocs,
    StringPtrLen,
    StringToLongLong,
    StringEqualsIgnoreCase,
    ReplyWithLongLong,
    ReplyWithDouble,
    ReplyWithSimpleString,
    ReplyWithError,
    ReplyWithStringBuffer,
    ReplyWithNull,
    ReplyWithArray,
    ReplyWithDecimal,
    [](KVModuleCtx* ctx, KVModuleKey* key) -> int {
      ReplyBuilder* rb = Rb(ctx);
      if (!rb) return KV_ERR;
      std::string scratch;
      if (const Entry* e = Live(key))
        rb->SendScalar(WholeValue(*e, &scratch));
      else
        rb->SendNull();
      return KV_OK;
    },
    WrongArity,
    OpenKey,
    CloseKey,
    KeyType,
    DeleteKey,
    GetBytes,
    GetInt,
    GetFloat,
    GetDecimal,
    SetBytes,
    SetInt,
    SetFloat,
    SetDecimal,
    GetExpire,
    SetExpire,
    BlockClient,
    IsBlockTimeout,
    LogCommandAs,
    Milliseconds,
    Log,
    ValueString,
    ArgValue,
    KeyValue,
    ValueTypeOf,
    ValueEquals,
    ValueGetInt,
    ValueGetFloat,
    ValueGetDecimal,
    ValueGetBytes,
    SetValue,
    LogArgValue,
    ObjectTypeOf,
    ReplyWithValue,
    ListLength,
    ListPush,
    ListPushBytes,
    ListPop,
    ListGet,
    ListSet,
    modapi::OpenAs,
    modapi::ValueText,
    modapi::HashLength,
    modapi::HashGet,
    modapi::HashSet,
    modapi::HashSetBytes,
    modapi::HashDelete,
    modapi::HashWalk,
    modapi::SetCard,
    modapi::SetAdd,
    modapi::SetAddBytes,
    modapi::SetRemove,
    modapi::SetIsMember,
    modapi::SetWalk,
    modapi::ZsetCard,
    modapi::ZsetAdd,
    modapi::ZsetRemove,
    modapi::ZsetScore,
    modapi::ZsetRank,
    modapi::ZsetRangeWalk,
    NotifyKeyspaceEvent,
    modapi::StreamLength,
    modapi::StreamAdd,
    modapi::StreamRangeWalk,
    modapi::StreamDelete,
    modapi::StreamTrim,
};

}  // namespace

const KVModuleAPI* HostApi() { return &kApi; }

Shard& ModuleShardOf(KVModuleKey* k) { return k->ctx->cmd->ShardFor(k->name); }
Entry* ModuleLive(KVModuleKey* k) { return ModuleShardOf(k).Find(k->name, k->ctx->cmd->now_ms); }

const KVModuleValue* ModuleOwnedHandle(KVModuleCtx* ctx, const ScalarView& v) {
  ctx->values.push_front(KVModuleValue{v, {}, {}});
  KVModuleValue& h = ctx->values.front();
  if (IsText(v.type) || IsNested(v.type)) {
    h.owned.assign(v.bytes);
    h.v.bytes = h.owned;
  }
  return &h;
}

void ModuleCommandTrampoline(CommandContext& c) {
  auto* pc = static_cast<PluginCommand*>(c.spec->data);
  Module* m = pc->module;
  // Dekker-style pairing with ModuleHost::Unload (seq_cst on both sides): either this call
  // sees the plugin unloaded, or the unload sees this call in flight and waits for it.
  m->inflight.fetch_add(1);
  if (m->unloaded.load()) {
    m->inflight.fetch_sub(1);
    c.rb->SendError(errors::UnknownCommand(c.args[0], c.args.subspan(1)));
    return;
  }
  // Plugins cannot re-enter the dispatcher, so one buffer per thread serves every call.
  thread_local std::vector<KVModuleString> strs;
  thread_local std::vector<KVModuleString*> argv;
  strs.resize(c.args.size());
  argv.resize(c.args.size());
  for (size_t i = 0; i < c.args.size(); ++i) {
    strs[i].s = c.args[i];
    argv[i] = &strs[i];
  }
  KVModuleCtx ctx;
  ctx.cmd = &c;
  ctx.module = m;
  const int rc = pc->fn(&ctx, argv.data(), static_cast<int>(argv.size()));
  for (KVModuleKey* k : ctx.keys) delete k;
  if (!c.client->block_requested && !ctx.replied)
    c.rb->SendError(rc == KV_OK ? "ERR plugin command returned without replying"
                                : "ERR plugin command failed");
  if (ctx.replied && ctx.owed > 0) {
    // An array left short: nulls complete it, or the client would wait for the rest forever
    // and read the next command's reply as part of this one.
    spdlog::warn("plugin {}: {} left {} array element(s) unreplied; nulls sent for them",
                 m->name, c.spec->name, ctx.owed);
    for (; ctx.owed > 0; --ctx.owed) c.rb->SendNull();
  }
  m->inflight.fetch_sub(1);
}

}  // namespace kv
