// A hash value in an entry: field -> typed value, in one of two encodings.
//
// kHashPack: one listpack (core/listpack.h) of field, value, field, value ..., the field a
// Bytes element and the value as stored (an Int stays an Int, a nested value stays nested).
// kHashTable: a HashTable, the engine's open-addressing Table of one Entry per field (the
// field is the entry's key, the typed value its value). A pack becomes a table past
// hash-max-listpack-entries fields or when a field or value is longer than
// hash-max-listpack-value bytes, one way, as in Redis.
//
// Field TTLs (HEXPIRE and friends) live only in the table encoding: a pack becomes a table on
// its first field TTL, so a hash that never uses one pays nothing. A field's deadline sits in
// its field entry's expiry slot (Entry::expire_at), and the table keeps an ordered index of
// (deadline, field) beside it, allocated only while some field has a TTL, so the expired
// fields are found in O(log n) each (docs/object-model.md). Expired fields are removed by the
// shard (Shard::Peek before any command sees the hash, and the active cycle), never here on
// a read: these functions see every stored field.
//
// These functions change the entry in place (its encoding byte and container pointer), so
// entry pointers stay valid; callers report the container's size change to the shard
// (ContainerBytes before and after). Value views die with the next change to the hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

#include "core/entry.h"
#include "core/scalar.h"
#include "core/table.h"

namespace kv {

class Shard;

// The large encoding: owns its field entries.
class HashTable {
 public:
  HashTable() = default;
  ~HashTable();
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;

  size_t size() const { return table_.size(); }
  // Bytes held beyond the object itself: slot array, field entries and the deadline index.
  size_t memory() const;
  Entry* Find(std::string_view field) const;
  // True when the field is new. `keep_ttl`: an existing field keeps its deadline (HINCRBY);
  // otherwise the new value has none (HSET).
  bool Set(std::string_view field, const ScalarView& v, bool keep_ttl = false);
  bool Erase(std::string_view field);
  const Table& table() const { return table_; }

  // Sets (or with kNoExpire clears) an existing field's deadline; false when it is missing.
  bool SetFieldExpire(std::string_view field, int64_t at);
  size_t ttl_fields() const { return deadlines_ ? deadlines_->size() : 0; }
  // The earliest field deadline, kNoExpire when no field has one.
  int64_t NextDeadline() const {
    return deadlines_ ? deadlines_->begin()->first : kNoExpire;
  }
  // Erases up to `max` fields whose deadline is at or before now_ms, earliest first.
  size_t ReclaimExpired(int64_t now_ms, size_t max);

 private:
  using Deadlines = std::set<std::pair<int64_t, Entry*>>;
  void Track(Entry* f);
  void Untrack(Entry* f);

  Table table_;
  size_t entry_bytes_ = 0;
  std::unique_ptr<Deadlines> deadlines_;  // null while no field has a TTL
};

// A new, empty hash's encoding byte and container (a pack).
uint8_t NewHashEncoding();
void* NewHashContainer();

// Every function below takes an entry whose TypeOf is ObjType::kHash.
size_t HashLen(const Entry& e);
// False when the field is missing.
bool HashGet(const Entry& e, std::string_view field, ScalarView* out);
// Stores `v` under `field`, converting a pack to a table when a limit is passed. True when the
// field is new. The field's TTL is cleared unless `keep_ttl`.
bool HashSet(Entry* e, std::string_view field, const ScalarView& v, bool keep_ttl = false);
// False when the field was missing.
bool HashDelete(Entry* e, std::string_view field);
// Calls fn(field, value) for every field, in storage order.
void HashForEach(const Entry& e,
                 const std::function<void(std::string_view, const ScalarView&)>& fn);
// A random field of a non-empty hash and its value, in O(1): uniform for a pack; for a table the
// first entry at or after a random slot (fields after long runs of empty slots come up more
// often, as Redis's dictGetRandomKey favours short buckets).
void HashRandom(const Entry& e, uint64_t rnd, std::string_view* field, ScalarView* value);
// One HSCAN step: a pack is visited whole (cursor 0 back, as Redis does for listpacks); a table
// visits roughly `count` fields from `cursor` (Table::Scan's reverse-binary cursor).
uint64_t HashScan(const Entry& e, uint64_t cursor, size_t count,
                  const std::function<void(std::string_view, const ScalarView&)>& fn);
// Field TTLs. False when the field is missing; *at is kNoExpire when it has no TTL.
bool HashFieldExpire(const Entry& e, std::string_view field, int64_t* at);
// Sets (kNoExpire: clears) an existing field's deadline, turning a pack into a table first when
// a deadline is set. False when the field is missing.
bool HashSetFieldExpire(Entry* e, std::string_view field, int64_t at);
// True when some field has a TTL.
bool HashHasFieldTtl(const Entry& e);
// True when some field's deadline is at or before now_ms.
bool HashHasExpiredField(const Entry& e, int64_t now_ms);
// Erases up to `max` expired fields, earliest first; returns how many.
size_t HashReclaimExpired(Entry* e, int64_t now_ms, size_t max);
// Calls fn(field, value, deadline or kNoExpire) for every field, in storage order.
void HashForEachWithExpire(
    const Entry& e,
    const std::function<void(std::string_view, const ScalarView&, int64_t)>& fn);
// Container bytes beyond the entry (object.cc's ContainerBytes) and freeing.
size_t HashContainerBytes(const Entry& e);
void HashFree(Entry& e);
// The whole hash in the value encoding: a Map when every field is valid UTF-8 (the Map's keys
// must be), otherwise a List of [field Bytes, value] pairs.
void EncodeHash(const Entry& e, std::string* out);
// The snapshot form: a List of alternating field (Bytes), value.
void EncodeHashPairs(const Entry& e, std::string* out);
// Stores the hash a valid EncodeHashPairs List describes under `key` (replacing any value;
// an empty one deletes the key), the encoding chosen by today's limits.
void StoreHashPairs(Shard& shard, std::string_view key, std::string_view encoded,
                    int64_t expire_at);
// The snapshot form of a hash with field TTLs: a List of field (Bytes), value, deadline (Int,
// -1 for none) triples.
void EncodeHashTriples(const Entry& e, std::string* out);
// Stores the hash a valid EncodeHashTriples List describes under `key`, with its field
// deadlines (expired ones too: they go the way of any expired field, so a log replayed with
// its records' clocks sees what the live server saw).
void StoreHashTriples(Shard& shard, std::string_view key, std::string_view encoded,
                      int64_t expire_at);

}  // namespace kv
