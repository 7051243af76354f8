// The plugin API's hash, set and sorted-set calls (version 4): the operations of the hash, set
// and zset families over the same containers (core/hash.h, core/set.h, core/zset.h), with the
// same encodings, conversions, memory accounting and key deletion on emptying, so a collection
// a plugin writes is the one the commands see.

#include <algorithm>
#include <cmath>
#include <string_view>

#include "core/hash.h"
#include "core/object.h"
#include "core/scalar.h"
#include "core/set.h"
#include "core/shard.h"
#include "core/zset.h"
#include "modules/module_api.h"

namespace kv::modapi {

namespace {

std::string_view View(const char* p, size_t len) { return {p ? p : "", p ? len : 0}; }

// The live entry of `key` when it holds `t`; nullptr for no key; *wrong for another type.
Entry* Typed(KVModuleKey* key, ObjType t, bool* wrong) {
  Entry* e = ModuleLive(key);
  *wrong = e && TypeOf(*e) != t;
  return *wrong ? nullptr : e;
}

void Tell(int* out, bool v) {
  if (out) *out = v ? 1 : 0;
}

int64_t Bytes(const Entry& e) { return static_cast<int64_t>(ContainerBytes(e)); }

// Reports a changed container to the shard: its size change, and deletion when emptied.
void Changed(KVModuleKey* key, int64_t delta, bool empty) {
  ModuleShardOf(key).ContainerChanged(key->name, delta, empty, key->ctx->cmd->now_ms);
}

// Runs a walk with writes refused (a callback must not free what the walk stands on).
template <typename Fn>
void Walking(KVModuleCtx* ctx, Fn&& fn) {
  const bool outer = ctx->walking;
  ctx->walking = true;
  fn();
  ctx->walking = outer;
}

}  // namespace

int OpenAs(KVModuleKey* key, int obj_type) {
  ObjType t;
  switch (obj_type) {
    case KV_OBJ_LIST:
      t = ObjType::kList;
      break;
    case KV_OBJ_HASH:
      t = ObjType::kHash;
      break;
    case KV_OBJ_SET:
      t = ObjType::kSet;
      break;
    case KV_OBJ_ZSET:
      t = ObjType::kZSet;
      break;
    case KV_OBJ_STREAM:
      t = ObjType::kStream;
      break;
    default:
      return KV_ERR;
  }
  bool wrong;
  Typed(key, t, &wrong);
  return wrong ? KV_WRONGTYPE : KV_OK;
}

const char* ValueText(const KVModuleValue* v, size_t* len) {
  if (!v || IsNested(v->v.type)) return nullptr;
  std::string_view text = v->v.bytes;
  if (!IsText(v->v.type)) {
    char buf[kScalarBufSize];
    v->text.assign(CanonicalString(v->v, buf));
    text = v->text;
  }
  if (len) *len = text.size();
  return text.data();
}

// ------------------------------------------------------------------------------------------
// Hashes
// ------------------------------------------------------------------------------------------

long long HashLength(KVModuleKey* key) {
  bool wrong;
  const Entry* e = Typed(key, ObjType::kHash, &wrong);
  return wrong ? -1 : e ? static_cast<long long>(HashLen(*e)) : 0;
}

const KVModuleValue* HashGet(KVModuleKey* key, const char* field, size_t flen) {
  bool wrong;
  const Entry* e = Typed(key, ObjType::kHash, &wrong);
  ScalarView v;
  if (!e || !kv::HashGet(*e, View(field, flen), &v)) return nullptr;
  return ModuleOwnedHandle(key->ctx, v);
}

namespace {

int HashStore(KVModuleKey* key, std::string_view field, const ScalarView& v, int* created) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kHash, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key)) return KV_ERR;
  if (!e) e = ModuleShardOf(key).SetContainer(key->name, NewHashEncoding(), NewHashContainer(),
                                               kNoExpire);
  const int64_t before = Bytes(*e);
  Tell(created, kv::HashSet(e, field, v));
  Changed(key, Bytes(*e) - before, false);
  return KV_OK;
}

}  // namespace

int HashSet(KVModuleKey* key, const char* field, size_t flen, const KVModuleValue* v,
            int* created) {
  if (!v) return KV_ERR;
  return HashStore(key, View(field, flen), v->v, created);
}

int HashSetBytes(KVModuleKey* key, const char* field, size_t flen, const char* ptr, size_t len,
                 int* created) {
  return HashStore(key, View(field, flen), ScalarView::Bytes(View(ptr, len)), created);
}

int HashDelete(KVModuleKey* key, const char* field, size_t flen, int* deleted) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kHash, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key)) return KV_ERR;
  Tell(deleted, false);
  if (!e) return KV_OK;
  const int64_t before = Bytes(*e);
  if (!kv::HashDelete(e, View(field, flen))) return KV_OK;
  Tell(deleted, true);
  Changed(key, Bytes(*e) - before, HashLen(*e) == 0);
  return KV_OK;
}

int HashWalk(KVModuleKey* key, KVHashWalkFunc fn, void* priv) {
  bool wrong;
  const Entry* e = Typed(key, ObjType::kHash, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!fn) return KV_ERR;
  if (!e) return KV_OK;
  // HashForEach has no early exit: once fn asks to stop, the rest is skipped unvisited.
  bool stopped = false;
  Walking(key->ctx, [&] {
    HashForEach(*e, [&](std::string_view field, const ScalarView& v) {
      if (stopped) return;
      KVModuleValue h{v, {}, {}};
      stopped = fn(priv, field.data(), field.size(), &h) != 0;
    });
  });
  return KV_OK;
}

// ------------------------------------------------------------------------------------------
// Sets
// ------------------------------------------------------------------------------------------

long long SetCard(KVModuleKey* key) {
  bool wrong;
  const Entry* e = Typed(key, ObjType::kSet, &wrong);
  return wrong ? -1 : e ? static_cast<long long>(set::Size(*e)) : 0;
}

namespace {

int SetInsert(KVModuleKey* key, const ScalarView& v, int* added) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key) || IsNested(v.type)) return KV_ERR;
  char buf[kScalarBufSize];
  const std::string_view text = CanonicalString(v, buf);
  if (!e) {
    const set::Container c = set::New(text, 1);
    e = ModuleShardOf(key).SetContainer(key->name, c.encoding, c.ptr, kNoExpire);
  }
  const int64_t before = Bytes(*e);
  Tell(added, set::Add(e, v, text));
  Changed(key, Bytes(*e) - before, false);
  return KV_OK;
}

}  // namespace

int SetAdd(KVModuleKey* key, const KVModuleValue* v, int* added) {
  return v ? SetInsert(key, v->v, added) : KV_ERR;
}

int SetAddBytes(KVModuleKey* key, const char* ptr, size_t len, int* added) {
  return SetInsert(key, ScalarView::Bytes(View(ptr, len)), added);
}

int SetRemove(KVModuleKey* key, const char* ptr, size_t len, int* removed) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key)) return KV_ERR;
  Tell(removed, false);
  if (!e) return KV_OK;
  const int64_t before = Bytes(*e);
  if (!set::Remove(e, View(ptr, len))) return KV_OK;
  Tell(removed, true);
  Changed(key, Bytes(*e) - before, set::Size(*e) == 0);
  return KV_OK;
}

int SetIsMember(KVModuleKey* key, const char* ptr, size_t len) {
  bool wrong;
  const Entry* e = Typed(key, ObjType::kSet, &wrong);
  if (wrong) return -1;
  return e && set::Contains(*e, View(ptr, len)) ? 1 : 0;
}

int SetWalk(KVModuleKey* key, KVSetWalkFunc fn, void* priv) {
  bool wrong;
  const Entry* e = Typed(key, ObjType::kSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!fn) return KV_ERR;
  if (!e) return KV_OK;
  bool stopped = false;
  Walking(key->ctx, [&] {
    set::ForEach(*e, [&](const ScalarView& v) {
      if (stopped) return;
      char buf[kScalarBufSize];
      const std::string_view text = CanonicalString(v, buf);
      KVModuleValue h{v, {}, {}};
      stopped = fn(priv, text.data(), text.size(), &h) != 0;
    });
  });
  return KV_OK;
}

// ------------------------------------------------------------------------------------------
// Sorted sets
// ------------------------------------------------------------------------------------------

long long ZsetCard(KVModuleKey* key) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kZSet, &wrong);
  if (wrong) return -1;
  if (!e) return 0;
  ZSetRef z(e);
  return static_cast<long long>(z.size());
}

int ZsetAdd(KVModuleKey* key, const char* member, size_t len, double score, int* added) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kZSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key) || std::isnan(score)) return KV_ERR;
  if (!e) {
    const NewContainer c = NewZSet(false);
    e = ModuleShardOf(key).SetContainer(key->name, c.encoding, c.ptr, kNoExpire);
  }
  ZSetRef z(e);
  Tell(added, z.Set(View(member, len), score));
  Changed(key, z.Commit(), false);
  return KV_OK;
}

int ZsetRemove(KVModuleKey* key, const char* member, size_t len, int* removed) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kZSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!ModuleWritable(key)) return KV_ERR;
  Tell(removed, false);
  if (!e) return KV_OK;
  ZSetRef z(e);
  if (!z.Erase(View(member, len))) return KV_OK;
  Tell(removed, true);
  const bool empty = z.size() == 0;
  Changed(key, z.Commit(), empty);
  return KV_OK;
}

int ZsetScore(KVModuleKey* key, const char* member, size_t len, double* score) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kZSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!e) return KV_ERR;
  ZSetRef z(e);
  const auto s = z.Score(View(member, len));
  if (!s) return KV_ERR;
  if (score) *score = *s;
  return KV_OK;
}

int ZsetRank(KVModuleKey* key, const char* member, size_t len, int reverse, long long* rank) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kZSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!e) return KV_ERR;
  ZSetRef z(e);
  const auto r = z.Rank(View(member, len));
  if (!r) return KV_ERR;
  if (rank) *rank = static_cast<long long>(reverse ? z.size() - 1 - *r : *r);
  return KV_OK;
}

int ZsetRangeWalk(KVModuleKey* key, long long start, long long stop, int reverse,
                  KVZsetWalkFunc fn, void* priv) {
  bool wrong;
  Entry* e = Typed(key, ObjType::kZSet, &wrong);
  if (wrong) return KV_WRONGTYPE;
  if (!fn) return KV_ERR;
  if (!e) return KV_OK;
  ZSetRef z(e);
  // ZRANGE's index rules: negative counts from the end, clamped, empty when start > stop.
  const auto size = static_cast<long long>(z.size());
  if (start < 0) start = std::max(size + start, 0LL);
  if (stop < 0) stop += size;
  stop = std::min(stop, size - 1);
  if (start > stop || start >= size) return KV_OK;
  const auto n = static_cast<uint64_t>(stop - start + 1);
  // Ranks count from the end when reversed: walk from the mirrored start toward the head.
  const auto first = static_cast<uint64_t>(reverse ? size - 1 - start : start);
  bool stopped = false;
  Walking(key->ctx, [&] {
    z.Walk(first, n, reverse != 0, [&](const ZItem& it) {
      if (stopped) return;
      stopped = fn(priv, it.member.data(), it.member.size(), it.score) != 0;
    });
  });
  return KV_OK;
}

}  // namespace kv::modapi
