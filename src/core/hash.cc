#include "core/hash.h"

#include <malloc.h>

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

bool HashTable::Set(std::string_view field, const ScalarView& v) {
  const uint64_t hash = Table::Hash(field);
  Entry* fresh = Entry::Create(field, v.type, RawSize(v), false);
  WriteRaw(v, fresh->mutable_value());
  entry_bytes_ += Entry::AllocSize(fresh);
  const int64_t slot = table_.FindSlot(field, hash);
  if (slot >= 0) {
    Entry* old = table_.EntryAt(static_cast<size_t>(slot));
    table_.ReplaceAt(static_cast<size_t>(slot), fresh);
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
  entry_bytes_ -= Entry::AllocSize(old);
  Entry::Destroy(old);
  return true;
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

bool HashSet(Entry* e, std::string_view field, const ScalarView& v) {
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
  return TableOf(*e)->Set(field, v);
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

void StoreHashPairs(Shard& shard, std::string_view key, std::string_view encoded,
                    int64_t expire_at) {
  if (wire::GetU32(encoded.data() + 1) == 0) {
    shard.Erase(key, INT64_MIN);
    return;
  }
  Entry* e = shard.SetContainer(key, NewHashEncoding(), NewHashContainer(), expire_at);
  const auto before = static_cast<int64_t>(ContainerBytes(*e));
  std::string field;
  bool have_field = false;
  ForEachListElement(encoded, [&](const ScalarView& v) {
    if (!have_field) {
      field.assign(v.bytes);
    } else {
      HashSet(e, field, v);
    }
    have_field = !have_field;
  });
  shard.ContainerChanged(key, static_cast<int64_t>(ContainerBytes(*e)) - before, false, 0);
}

}  // namespace kv
