#include "core/hash.h"

#include <malloc.h>

#include <cstring>

#include "core/listpack.h"
#include "core/object.h"
#include "core/shard.h"
#include "core/utf8.h"
#include "core/value_encoding.h"

namespace kv {

namespace {

char* Pack(const Entry& e) { return static_cast<char*>(e.container()); }
HashTable* TableOf(const Entry& e) { return static_cast<HashTable*>(e.container()); }
bool IsPack(const Entry& e) { return Is(e, Encoding::kHashPack); }

// The offset of `field` in a pack (a field element), or 0.
uint32_t PackFind(const char* lp, std::string_view field) {
  const uint32_t end = listpack::Bytes(lp);
  for (uint32_t off = listpack::First(lp); off < end;) {
    if (listpack::Get(lp, off).bytes == field) return off;
    off = listpack::Next(lp, listpack::Next(lp, off));
  }
  return 0;
}

// The length the value limit applies to: Redis measures the string; a typed number is short.
size_t LimitLength(const ScalarView& v) {
  return IsText(v.type) || IsNested(v.type) ? v.bytes.size() : RawSize(v);
}

bool FitsPack(size_t fields, std::string_view field, const ScalarView& v) {
  EncodingLimits& l = GlobalEncodingLimits();
  const auto max_value = static_cast<size_t>(l.hash_max_listpack_value.load());
  return fields <= static_cast<size_t>(l.hash_max_listpack_entries.load()) &&
         field.size() <= max_value && LimitLength(v) <= max_value;
}

void ConvertToTable(Entry* e) {
  char* lp = Pack(*e);
  auto* t = new HashTable;
  HashForEach(*e, [&](std::string_view f, const ScalarView& v) { t->Set(f, v); });
  listpack::Free(lp);
  e->set_encoding(static_cast<uint8_t>(Encoding::kHashTable));
  e->set_container(t);
}

}  // namespace

HashTable::~HashTable() {
  table_.ForEach([](Entry* e) { Entry::Destroy(e); });
}

Entry* HashTable::Find(std::string_view field) const {
  const int64_t slot = table_.FindSlot(field, Table::Hash(field));
  return slot < 0 ? nullptr : table_.EntryAt(static_cast<size_t>(slot));
}

namespace {
// A std::set node of the deadline index as the allocator sizes it (three pointers, a colour,
// the pair; rounded to the size class).
constexpr size_t kDeadlineNodeBytes = 64;
}  // namespace

size_t HashTable::memory() const {
  size_t n = table_.memory_bytes() + entry_bytes_;
  if (deadlines_) n += sizeof(Deadlines) + deadlines_->size() * kDeadlineNodeBytes;
  return n;
}

void HashTable::Track(Entry* f) {
  if (!f->has_expire()) return;
  if (!deadlines_) deadlines_ = std::make_unique<Deadlines>();
  deadlines_->emplace(f->expire_at(), f);
}

void HashTable::Untrack(Entry* f) {
  if (!f->has_expire()) return;
  deadlines_->erase({f->expire_at(), f});
  if (deadlines_->empty()) deadlines_.reset();
}

bool HashTable::Set(std::string_view field, const ScalarView& v, bool keep_ttl) {
  const uint64_t hash = Table::Hash(field);
  const int64_t slot = table_.FindSlot(field, hash);
  Entry* old = slot >= 0 ? table_.EntryAt(static_cast<size_t>(slot)) : nullptr;
  const int64_t at = old && keep_ttl ? old->expire_at() : kNoExpire;
  Entry* fresh = Entry::Create(field, v.type, RawSize(v), at != kNoExpire);
  WriteRaw(v, fresh->mutable_value());
  if (at != kNoExpire) fresh->set_expire_at(at);
  entry_bytes_ += Entry::AllocSize(fresh);
  if (old) {
    Untrack(old);
    table_.ReplaceAt(static_cast<size_t>(slot), fresh);
    Track(fresh);
    entry_bytes_ -= Entry::AllocSize(old);
    Entry::Destroy(old);
    return false;
  }
  table_.Insert(fresh, hash);
  return true;
}

bool HashTable::Erase(std::string_view field) {
  const int64_t slot = table_.FindSlot(field, Table::Hash(field));
  if (slot < 0) return false;
  Entry* old = table_.RemoveAt(static_cast<size_t>(slot));
  Untrack(old);
  entry_bytes_ -= Entry::AllocSize(old);
  Entry::Destroy(old);
  return true;
}

bool HashTable::SetFieldExpire(std::string_view field, int64_t at) {
  const int64_t slot = table_.FindSlot(field, Table::Hash(field));
  if (slot < 0) return false;
  Entry* old = table_.EntryAt(static_cast<size_t>(slot));
  Untrack(old);
  if (old->has_expire() && at != kNoExpire) {
    old->set_expire_at(at);
    Track(old);
    return true;
  }
  if (!old->has_expire() && at == kNoExpire) return true;
  // The expiry slot comes and goes with the TTL: a persistent field carries no 16 bytes for it.
  Entry* fresh =
      Entry::CreateEncoded(old->key(), old->encoding(), old->value_len(), at != kNoExpire);
  std::memcpy(fresh->mutable_value(), old->value_data(), old->value_len());
  if (at != kNoExpire) fresh->set_expire_at(at);
  table_.ReplaceAt(static_cast<size_t>(slot), fresh);
  Track(fresh);
  entry_bytes_ += Entry::AllocSize(fresh);
  entry_bytes_ -= Entry::AllocSize(old);
  Entry::Destroy(old);
  return true;
}

size_t HashTable::ReclaimExpired(int64_t now_ms, size_t max) {
  size_t n = 0;
  while (deadlines_ && n < max && deadlines_->begin()->first <= now_ms) {
    const Entry* f = deadlines_->begin()->second;
    Erase(f->key());
    ++n;
  }
  return n;
}

uint8_t NewHashEncoding() { return static_cast<uint8_t>(Encoding::kHashPack); }
void* NewHashContainer() { return listpack::New(); }

size_t HashLen(const Entry& e) {
  return IsPack(e) ? listpack::Count(Pack(e)) / 2 : TableOf(e)->size();
}

bool HashGet(const Entry& e, std::string_view field, ScalarView* out) {
  if (IsPack(e)) {
    const char* lp = Pack(e);
    const uint32_t off = PackFind(lp, field);
    if (off == 0) return false;
    *out = listpack::Get(lp, listpack::Next(lp, off));
    return true;
  }
  const Entry* f = TableOf(e)->Find(field);
  if (!f) return false;
  *out = f->value();
  return true;
}

bool HashSet(Entry* e, std::string_view field, const ScalarView& v, bool keep_ttl) {
  if (IsPack(*e)) {
    char* lp = Pack(*e);
    const uint32_t off = PackFind(lp, field);
    const size_t fields = listpack::Count(lp) / 2 + (off == 0 ? 1 : 0);
    if (FitsPack(fields, field, v)) {
      if (off != 0) {
        lp = listpack::Replace(lp, listpack::Next(lp, off), v);
      } else {
        lp = listpack::Insert(lp, listpack::Bytes(lp), ScalarView::Bytes(field));
        lp = listpack::Insert(lp, listpack::Bytes(lp), v);
      }
      e->set_container(lp);
      return off == 0;
    }
    ConvertToTable(e);
  }
  return TableOf(*e)->Set(field, v, keep_ttl);
}

bool HashDelete(Entry* e, std::string_view field) {
  if (!IsPack(*e)) return TableOf(*e)->Erase(field);
  char* lp = Pack(*e);
  const uint32_t off = PackFind(lp, field);
  if (off == 0) return false;
  e->set_container(listpack::Erase(lp, off, 2));
  return true;
}

void HashForEach(const Entry& e,
                 const std::function<void(std::string_view, const ScalarView&)>& fn) {
  if (IsPack(e)) {
    const char* lp = Pack(e);
    const uint32_t end = listpack::Bytes(lp);
    for (uint32_t off = listpack::First(lp); off < end;) {
      const uint32_t voff = listpack::Next(lp, off);
      fn(listpack::Get(lp, off).bytes, listpack::Get(lp, voff));
      off = listpack::Next(lp, voff);
    }
    return;
  }
  TableOf(e)->table().ForEach([&](Entry* f) { fn(f->key(), f->value()); });
}

void HashRandom(const Entry& e, uint64_t rnd, std::string_view* field, ScalarView* value) {
  if (IsPack(e)) {
    const char* lp = Pack(e);
    const uint32_t off = listpack::Seek(lp, static_cast<uint32_t>(rnd % HashLen(e)) * 2);
    *field = listpack::Get(lp, off).bytes;
    *value = listpack::Get(lp, listpack::Next(lp, off));
    return;
  }
  const Entry* f = TableOf(e)->table().RandomEntry(rnd);
  *field = f->key();
  *value = f->value();
}

uint64_t HashScan(const Entry& e, uint64_t cursor, size_t count,
                  const std::function<void(std::string_view, const ScalarView&)>& fn) {
  if (IsPack(e)) {
    HashForEach(e, fn);
    return 0;
  }
  const Table& t = TableOf(e)->table();
  size_t visited = 0;
  // Bounded like Redis's maxiterations (count * 10 buckets), so sparse tables still return.
  size_t steps = count * 10;
  do {
    cursor = t.Scan(cursor, [&](Entry* f) {
      fn(f->key(), f->value());
      ++visited;
    });
  } while (cursor != 0 && visited < count && --steps > 0);
  return cursor;
}

bool HashFieldExpire(const Entry& e, std::string_view field, int64_t* at) {
  *at = kNoExpire;
  if (IsPack(e)) return PackFind(Pack(e), field) != 0;
  const Entry* f = TableOf(e)->Find(field);
  if (!f) return false;
  *at = f->expire_at();
  return true;
}

bool HashSetFieldExpire(Entry* e, std::string_view field, int64_t at) {
  if (IsPack(*e)) {
    if (PackFind(Pack(*e), field) == 0) return false;
    if (at == kNoExpire) return true;
    ConvertToTable(e);
  }
  return TableOf(*e)->SetFieldExpire(field, at);
}

bool HashHasFieldTtl(const Entry& e) { return !IsPack(e) && TableOf(e)->ttl_fields() > 0; }

bool HashHasExpiredField(const Entry& e, int64_t now_ms) {
  if (IsPack(e)) return false;
  const int64_t next = TableOf(e)->NextDeadline();
  return next != kNoExpire && next <= now_ms;
}

size_t HashReclaimExpired(Entry* e, int64_t now_ms, size_t max) {
  return IsPack(*e) ? 0 : TableOf(*e)->ReclaimExpired(now_ms, max);
}

void HashForEachWithExpire(
    const Entry& e,
    const std::function<void(std::string_view, const ScalarView&, int64_t)>& fn) {
  if (IsPack(e)) {
    HashForEach(e, [&](std::string_view f, const ScalarView& v) { fn(f, v, kNoExpire); });
    return;
  }
  TableOf(e)->table().ForEach([&](Entry* f) { fn(f->key(), f->value(), f->expire_at()); });
}

size_t HashContainerBytes(const Entry& e) {
  if (IsPack(e)) return listpack::AllocSize(Pack(e));
  return malloc_usable_size(TableOf(e)) + TableOf(e)->memory();
}

void HashFree(Entry& e) {
  if (IsPack(e))
    listpack::Free(Pack(e));
  else
    delete TableOf(e);
}

void EncodeHash(const Entry& e, std::string* out) {
  bool utf8 = true;
  HashForEach(e, [&](std::string_view f, const ScalarView&) {
    if (utf8 && Utf8Length(f) < 0) utf8 = false;
  });
  const auto n = static_cast<uint32_t>(HashLen(e));
  if (utf8) {
    wire::PutU8(out, static_cast<uint8_t>(EncodedType::kMap));
    wire::PutU32(out, n);
    HashForEach(e, [&](std::string_view f, const ScalarView& v) {
      wire::PutU32(out, static_cast<uint32_t>(f.size()));
      out->append(f);
      AppendEncodedScalar(v, out);
    });
    return;
  }
  AppendListHeader(n, out);
  HashForEach(e, [&](std::string_view f, const ScalarView& v) {
    AppendListHeader(2, out);
    AppendEncodedScalar(ScalarView::Bytes(f), out);
    AppendEncodedScalar(v, out);
  });
}

void EncodeHashPairs(const Entry& e, std::string* out) {
  AppendListHeader(static_cast<uint32_t>(HashLen(e) * 2), out);
  HashForEach(e, [&](std::string_view f, const ScalarView& v) {
    AppendEncodedScalar(ScalarView::Bytes(f), out);
    AppendEncodedScalar(v, out);
  });
}

namespace {
// Stores the hash an encoded List of `width`-element groups describes: field, value and, with
// width 3, the field's deadline (kNoExpire for none).
void StoreHashGroups(Shard& shard, std::string_view key, std::string_view encoded,
                     int64_t expire_at, int width) {
  if (wire::GetU32(encoded.data() + 1) == 0) {
    shard.Erase(key, INT64_MIN);
    return;
  }
  Entry* e = shard.SetContainer(key, NewHashEncoding(), NewHashContainer(), expire_at);
  const auto before = static_cast<int64_t>(ContainerBytes(*e));
  std::string field;
  int pos = 0;
  ForEachListElement(encoded, [&](const ScalarView& v) {
    if (pos == 0) {
      field.assign(v.bytes);
    } else if (pos == 1) {
      HashSet(e, field, v);
    } else if (v.type == ScalarType::kInt && v.i != kNoExpire) {
      HashSetFieldExpire(e, field, v.i);
    }
    pos = (pos + 1) % width;
  });
  shard.ContainerChanged(key, static_cast<int64_t>(ContainerBytes(*e)) - before, false, 0);
  if (HashHasFieldTtl(*e)) shard.TrackFieldTtl(key);
}
}  // namespace

void StoreHashPairs(Shard& shard, std::string_view key, std::string_view encoded,
                    int64_t expire_at) {
  StoreHashGroups(shard, key, encoded, expire_at, 2);
}

}  // namespace kv

namespace kv {

void EncodeHashTriples(const Entry& e, std::string* out) {
  AppendListHeader(static_cast<uint32_t>(HashLen(e) * 3), out);
  HashForEachWithExpire(e, [&](std::string_view f, const ScalarView& v, int64_t at) {
    AppendEncodedScalar(ScalarView::Bytes(f), out);
    AppendEncodedScalar(v, out);
    AppendEncodedScalar(ScalarView::Int(at), out);
  });
}

void StoreHashTriples(Shard& shard, std::string_view key, std::string_view encoded,
                      int64_t expire_at) {
  StoreHashGroups(shard, key, encoded, expire_at, 3);
}

}  // namespace kv
