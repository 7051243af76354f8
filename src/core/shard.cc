#include "core/shard.h"

#include <algorithm>
#include <memory>

#include "core/hash.h"
#include "core/keyspace_events.h"
#include "core/lazy_free.h"
#include "core/list.h"
#include "core/object.h"

namespace kv {

EngineStats& GlobalEngineStats() {
  static EngineStats stats;
  return stats;
}

namespace {
std::atomic<uint32_t> g_lru_clock{0};
std::atomic<KeyReadyListener> g_key_ready{nullptr};
std::atomic<KeyModifiedListener> g_key_modified{nullptr};

// Creates a copy of `src` under the same key with a different value size and expiry layout.
Entry* CloneWith(const Entry* src, ScalarType type, uint32_t val_len, uint32_t copy_len,
                 int64_t expire_at) {
  Entry* e = Entry::Create(src->key(), type, val_len, expire_at != kNoExpire);
  std::memcpy(e->mutable_value(), src->value_data(), std::min(copy_len, val_len));
  if (src->is_container()) e->set_container(src->container());
  if (expire_at != kNoExpire) e->set_expire_at(expire_at);
  e->set_lru(src->lru());
  return e;
}

Entry* NewEntry(std::string_view key, const ScalarView& v, int64_t expire_at) {
  Entry* e = Entry::Create(key, v.type, RawSize(v), expire_at != kNoExpire);
  WriteRaw(v, e->mutable_value());
  if (expire_at != kNoExpire) e->set_expire_at(expire_at);
  e->set_lru(LruClock());
  return e;
}
}  // namespace

uint32_t LruClock() { return g_lru_clock.load(std::memory_order_relaxed); }
void UpdateLruClock(int64_t now_ms) {
  g_lru_clock.store(static_cast<uint32_t>(now_ms / 1000), std::memory_order_relaxed);
}

Shard::~Shard() {
  FreeCauseScope inline_free(FreeCause::kSync);  // nothing to gain from the thread at exit
  Clear();
}

void Shard::Account(int64_t delta) {
  bytes_ += delta;
  GlobalEngineStats().tracked_bytes.fetch_add(delta, std::memory_order_relaxed);
}

void Shard::AddVolatile(Entry* e) {
  const size_t before = volatile_.capacity();
  e->set_volatile_index(static_cast<uint32_t>(volatile_.size()));
  volatile_.push_back(e);
  expire_sum_ += e->expire_at();
  Account(static_cast<int64_t>((volatile_.capacity() - before) * sizeof(Entry*)));
}

void Shard::RemoveVolatile(Entry* e) {
  expire_sum_ -= e->expire_at();
  const uint32_t i = e->volatile_index();
  Entry* last = volatile_.back();
  volatile_[i] = last;
  last->set_volatile_index(i);
  volatile_.pop_back();
  if (volatile_.empty() && volatile_.capacity() > 0) {
    Account(-static_cast<int64_t>(volatile_.capacity() * sizeof(Entry*)));
    std::vector<Entry*>().swap(volatile_);
  }
}

void Shard::EraseSlot(size_t slot, bool keep_container) {
  const size_t table_before = table_.memory_bytes();
  Entry* e = table_.RemoveAt(slot);
  if (e->has_expire()) RemoveVolatile(e);
  ForgetFieldTtl(e);
  Account(-static_cast<int64_t>(EntryBytes(*e)) +
          static_cast<int64_t>(table_.memory_bytes()) - static_cast<int64_t>(table_before));
  if (keep_container)
    Entry::Destroy(e);
  else
    DisposeEntry(e);
}

void Shard::ExpireSlot(size_t slot) {
  FreeCauseScope expiry(FreeCause::kExpire);
  // Redis 7: a watched key that expires counts as modified.
  const std::string_view key = table_.EntryAt(slot)->key();
  if (!watchers_.empty()) TouchWatchedSlow(key);
  if (g_keys_tracked.load(std::memory_order_relaxed)) NoteModified(key, true);
  keyspace_events::Emit(keyspace_events::kExpired, "expired", key, db());
  EraseSlot(slot);
  GlobalEngineStats().expired_keys.fetch_add(1, std::memory_order_relaxed);
}

namespace {
// What a name in the field-TTL set costs: a set node, plus the string's heap block when it is
// too long for the inline buffer.
int64_t NameBytes(std::string_view key) {
  return 64 + (key.size() > 15 ? static_cast<int64_t>(key.size()) + 1 : 0);
}
}  // namespace

void Shard::TrackFieldTtl(std::string_view key) {
  if (field_ttl_keys_.emplace(key).second) Account(NameBytes(key));
}

Shard::NameSet::iterator Shard::EraseFieldTtlName(NameSet::iterator it) {
  Account(-NameBytes(*it));
  return field_ttl_keys_.erase(it);
}

void Shard::NoteFieldTtl(const Entry* e) {
  if (Is(*e, Encoding::kHashTable) && HashHasFieldTtl(*e)) TrackFieldTtl(e->key());
}

void Shard::ForgetFieldTtl(const Entry* e) {
  if (!Is(*e, Encoding::kHashTable) || field_ttl_keys_.empty()) return;
  const auto it = field_ttl_keys_.find(e->key());
  if (it != field_ttl_keys_.end()) EraseFieldTtlName(it);
}

void SetKeyReadyListener(KeyReadyListener listener) {
  g_key_ready.store(listener, std::memory_order_release);
}

void SetKeyModifiedListener(KeyModifiedListener listener) {
  g_key_modified.store(listener, std::memory_order_release);
}

void Shard::NoteModified(std::string_view key, bool expired) {
  if (const KeyModifiedListener listener = g_key_modified.load(std::memory_order_acquire))
    listener(key, expired);
}

void Shard::SwapContents(Shard& other) {
  TouchPresentWatched(&other);
  other.TouchPresentWatched(this);
  table_.SwapWith(other.table_);
  volatile_.swap(other.volatile_);
  std::swap(expire_sum_, other.expire_sum_);
  std::swap(bytes_, other.bytes_);
  field_ttl_keys_.swap(other.field_ttl_keys_);
  field_ttl_cursor_.swap(other.field_ttl_cursor_);
  ++t_data_changes;
}

bool Shard::Watch(std::string_view key, WatchFlag* flag) {
  auto it = watchers_.find(key);
  if (it == watchers_.end()) it = watchers_.emplace(std::string(key), std::vector<WatchFlag*>{}).first;
  if (std::find(it->second.begin(), it->second.end(), flag) != it->second.end()) return false;
  it->second.push_back(flag);
  return true;
}

void Shard::Unwatch(std::string_view key, WatchFlag* flag) {
  const auto it = watchers_.find(key);
  if (it == watchers_.end()) return;
  std::erase(it->second, flag);
  if (it->second.empty()) watchers_.erase(it);
}

void Shard::TouchWatchedSlow(std::string_view key) {
  const auto it = watchers_.find(key);
  if (it == watchers_.end()) return;
  for (WatchFlag* f : it->second) f->Mark();
}

void Shard::TouchPresentWatched(const Shard* other) {
  // As Redis's touchAllWatchedKeysInDb: only keys that exist on either side changed.
  for (auto& [key, flags] : watchers_) {
    const uint64_t hash = Table::Hash(key);
    if (table_.FindSlot(key, hash) < 0 && (!other || other->table_.FindSlot(key, hash) < 0))
      continue;
    for (WatchFlag* f : flags) f->Mark();
  }
}

void Shard::NoteReady(const Entry& e) {
  const KeyReadyListener listener = g_key_ready.load(std::memory_order_acquire);
  if (listener == nullptr) return;
  const ObjType type = TypeOf(e);
  if (type == ObjType::kList || type == ObjType::kZSet || type == ObjType::kStream)
    listener(*this, e.key(), type);
}

void Shard::Swap(size_t slot, Entry* old, Entry* fresh) {
  if (old->has_expire()) RemoveVolatile(old);
  table_.ReplaceAt(slot, fresh);
  if (fresh->has_expire()) AddVolatile(fresh);
  ForgetFieldTtl(old);
  NoteFieldTtl(fresh);
  Account(static_cast<int64_t>(EntryBytes(*fresh)) - static_cast<int64_t>(EntryBytes(*old)));
  // A clone (a new expiry layout) carries the same container pointer on.
  const bool shared = IsContainer(*old) && IsContainer(*fresh) &&
                      old->container() == fresh->container();
  if (shared)
    Entry::Destroy(old);
  else
    DisposeEntry(old);
  if (!shared) NoteReady(*fresh);
}

void Shard::Insert(Entry* fresh, uint64_t hash) {
  const size_t table_before = table_.memory_bytes();
  table_.Insert(fresh, hash);
  if (fresh->has_expire()) AddVolatile(fresh);
  NoteFieldTtl(fresh);
  Account(static_cast<int64_t>(EntryBytes(*fresh)) +
          static_cast<int64_t>(table_.memory_bytes()) - static_cast<int64_t>(table_before));
  keyspace_events::Emit(keyspace_events::kNew, "new", fresh->key(), db());
  NoteReady(*fresh);
}

Entry* Shard::Peek(std::string_view key, int64_t now_ms) {
  const int64_t slot = table_.FindSlot(key, Table::Hash(key));
  if (slot < 0) return nullptr;
  Entry* e = table_.EntryAt(slot);
  if (e->expired(now_ms)) {
    if (!ExpiryPaused(now_ms)) ExpireSlot(slot);
    return nullptr;
  }
  bool gone = false;
  if (Is(*e, Encoding::kHashTable) && HashHasExpiredField(*e, now_ms))
    ReclaimFields(static_cast<size_t>(slot), e, now_ms, SIZE_MAX, &gone);
  return gone ? nullptr : e;
}

size_t Shard::ReclaimFields(size_t slot, Entry* e, int64_t now_ms, size_t max, bool* gone) {
  const auto before = static_cast<int64_t>(ContainerBytes(*e));
  const size_t n = HashReclaimExpired(e, now_ms, max);
  GlobalEngineStats().expired_subkeys.fetch_add(n, std::memory_order_relaxed);
  // Cached copies of the hash are stale now (WATCH, as Redis 7.4's, does not see field expiry).
  if (n > 0 && g_keys_tracked.load(std::memory_order_relaxed)) NoteModified(e->key(), true);
  Account(static_cast<int64_t>(ContainerBytes(*e)) - before);
  *gone = HashLen(*e) == 0;
  if (n > 0) keyspace_events::Emit(keyspace_events::kHash, "hexpired", e->key(), db());
  if (*gone) {
    keyspace_events::Emit(keyspace_events::kGeneric, "del", e->key(), db());
    FreeCauseScope expiry(FreeCause::kExpire);
    EraseSlot(slot);
  }
  return n;
}

std::pair<int, size_t> Shard::ActiveExpireFields(int64_t now_ms, int hashes, size_t fields) {
  int visited = 0;
  size_t reclaimed = 0;
  auto it = field_ttl_keys_.lower_bound(field_ttl_cursor_);
  for (size_t left = field_ttl_keys_.size(); left > 0 && visited < hashes && reclaimed < fields;
       --left) {
    if (it == field_ttl_keys_.end()) it = field_ttl_keys_.begin();
    if (it == field_ttl_keys_.end()) break;
    ++visited;
    // Step past the name first: deleting an emptied hash erases it from the set.
    const std::string key = *it++;
    const int64_t slot = table_.FindSlot(key, Table::Hash(key));
    Entry* e = slot >= 0 ? table_.EntryAt(static_cast<size_t>(slot)) : nullptr;
    // A key past its own TTL is left to key expiry, which forgets the name with the key.
    if (e && e->expired(now_ms)) continue;
    bool stale = !e || !Is(*e, Encoding::kHashTable) || !HashHasFieldTtl(*e);
    if (!stale && HashHasExpiredField(*e, now_ms)) {
      bool gone = false;
      reclaimed += ReclaimFields(static_cast<size_t>(slot), e, now_ms, fields - reclaimed, &gone);
      if (gone) continue;
      stale = !HashHasFieldTtl(*e);
    }
    if (stale) EraseFieldTtlName(field_ttl_keys_.find(key));
  }
  field_ttl_cursor_ = it == field_ttl_keys_.end() ? std::string() : *it;
  return {visited, reclaimed};
}

Entry* Shard::Find(std::string_view key, int64_t now_ms) {
  Entry* e = Peek(key, now_ms);
  if (e && !t_no_touch) e->set_lru(LruClock());
  return e;
}

Entry* Shard::Set(std::string_view key, const ScalarView& v, int64_t expire_at) {
  const bool nested_list = IsNested(v.type) && EncodedTypeOf(v.bytes) == EncodedType::kList;
  const bool nested_map = IsNested(v.type) && EncodedTypeOf(v.bytes) == EncodedType::kMap;
  if ((nested_list || nested_map) && wire::GetU32(v.bytes.data() + 1) == 0) {
    const int64_t slot = table_.FindSlot(key, Table::Hash(key));
    if (slot >= 0) EraseSlot(static_cast<size_t>(slot));
    Wrote(key);
    return nullptr;
  }
  if (nested_map) {
    // A native Map is the key's hash: its keys are the fields (as Bytes, as RESP writes them).
    Entry* e = SetContainer(key, NewHashEncoding(), NewHashContainer(), expire_at);
    const int64_t before = static_cast<int64_t>(ContainerBytes(*e));
    ForEachMapEntry(v.bytes, [&](std::string_view f, const ScalarView& fv) { HashSet(e, f, fv); });
    Account(static_cast<int64_t>(ContainerBytes(*e)) - before);
    return e;
  }
  if (nested_list) {
    const NewContainer c = NewList();
    Entry* e = SetContainer(key, c.encoding, c.ptr, expire_at);
    ListRef list(e);
    ForEachListElement(v.bytes, [&](const ScalarView& elem) { list->Push(false, elem); });
    Account(list.Commit());
    return e;
  }
  Wrote(key);
  const uint64_t hash = Table::Hash(key);
  Entry* fresh = NewEntry(key, v, expire_at);
  const int64_t slot = table_.FindSlot(key, hash);
  if (slot >= 0) {
    Swap(slot, table_.EntryAt(slot), fresh);
    return fresh;
  }
  Insert(fresh, hash);
  return fresh;
}

Entry* Shard::SetContainer(std::string_view key, uint8_t encoding, void* container,
                           int64_t expire_at) {
  Wrote(key);
  const uint64_t hash = Table::Hash(key);
  Entry* fresh = Entry::CreateContainer(key, encoding, container, expire_at != kNoExpire);
  if (expire_at != kNoExpire) fresh->set_expire_at(expire_at);
  fresh->set_lru(LruClock());
  const int64_t slot = table_.FindSlot(key, hash);
  if (slot >= 0)
    Swap(slot, table_.EntryAt(slot), fresh);
  else
    Insert(fresh, hash);
  return fresh;
}

void Shard::ContainerChanged(std::string_view key, int64_t delta, bool empty, int64_t now_ms) {
  Account(delta);
  Wrote(key);
  if (empty) {
    keyspace_events::Emit(keyspace_events::kGeneric, "del", key, db());
    Erase(key, now_ms);
  }
}

void Shard::Detach(std::string_view key) {
  const int64_t slot = table_.FindSlot(key, Table::Hash(key));
  if (slot < 0) return;
  Wrote(key);
  EraseSlot(static_cast<size_t>(slot), /*keep_container=*/true);
}

Entry* Shard::ResizeBytes(std::string_view key, uint32_t len, int64_t now_ms) {
  const int64_t slot = table_.FindSlot(key, Table::Hash(key));
  if (slot < 0 || table_.EntryAt(slot)->expired(now_ms)) {
    if (slot >= 0) ExpireSlot(slot);
    Entry* e = Set(key, ScalarView::Bytes({}), kNoExpire);
    return len == 0 ? e : ResizeBytes(key, len, now_ms);
  }
  Wrote(key);
  Entry* old = table_.EntryAt(slot);
  const uint32_t keep = IsText(old->type()) ? old->value_len() : 0;
  Entry* fresh = CloneWith(old, ScalarType::kBytes, len, keep, old->expire_at());
  Swap(slot, old, fresh);
  return fresh;
}

Entry* Shard::SetExpire(std::string_view key, int64_t expire_at, int64_t now_ms) {
  const int64_t slot = table_.FindSlot(key, Table::Hash(key));
  if (slot < 0) return nullptr;
  Entry* old = table_.EntryAt(slot);
  if (old->expired(now_ms)) {
    ExpireSlot(slot);
    return nullptr;
  }
  Wrote(key);
  if (old->has_expire() && expire_at != kNoExpire) {
    expire_sum_ += expire_at - old->expire_at();
    old->set_expire_at(expire_at);
    return old;
  }
  if (!old->has_expire() && expire_at == kNoExpire) return old;
  Entry* fresh = CloneWith(old, old->type(), old->value_len(), old->value_len(), expire_at);
  Swap(slot, old, fresh);
  return fresh;
}

bool Shard::Erase(std::string_view key, int64_t now_ms) {
  const int64_t slot = table_.FindSlot(key, Table::Hash(key));
  if (slot < 0) return false;
  // A hash whose every field expired is a missing key here too, as for Find.
  Entry* e = table_.EntryAt(slot);
  bool gone = false;
  if (!e->expired(now_ms) && Is(*e, Encoding::kHashTable) && HashHasExpiredField(*e, now_ms))
    ReclaimFields(static_cast<size_t>(slot), e, now_ms, SIZE_MAX, &gone);
  if (gone) return false;
  if (table_.EntryAt(slot)->expired(now_ms)) {
    ExpireSlot(slot);
    return false;
  }
  EraseSlot(slot);
  Wrote(key);
  return true;
}

void Shard::Reserve(size_t n) {
  const size_t before = table_.memory_bytes();
  table_.Reserve(n);
  Account(static_cast<int64_t>(table_.memory_bytes()) - static_cast<int64_t>(before));
}

void Shard::Clear() {
  if (table_.size() > 0) ++t_data_changes;
  TouchPresentWatched(nullptr);
  // What the entries and slots cost: the rest of the figure is freed here, inline.
  int64_t table_bytes = bytes_ - static_cast<int64_t>(volatile_.capacity() * sizeof(Entry*));
  for (const std::string& name : field_ttl_keys_) table_bytes -= NameBytes(name);
  auto old = std::make_unique<Table>();
  old->SwapWith(table_);
  std::vector<Entry*>().swap(volatile_);
  NameSet().swap(field_ttl_keys_);
  field_ttl_cursor_.clear();
  expire_sum_ = 0;
  Account(-bytes_);
  DisposeTable(std::move(old), table_bytes);
}

std::pair<int, int> Shard::ActiveExpire(int64_t now_ms, int samples, uint64_t rnd) {
  int sampled = 0, deleted = 0;
  for (; sampled < samples && !volatile_.empty(); ++sampled) {
    rnd = rnd * 6364136223846793005ULL + 1442695040888963407ULL;
    Entry* e = volatile_[(rnd >> 33) % volatile_.size()];
    if (!e->expired(now_ms)) continue;
    ExpireSlot(static_cast<size_t>(table_.FindSlot(e->key(), Table::Hash(e->key()))));
    ++deleted;
  }
  return {sampled, deleted};
}

}  // namespace kv
