// A hash value in an entry: field -> typed value, in one of two encodings.
//
// kHashPack: one listpack (core/listpack.h) of field, value, field, value ..., the field a
// Bytes element and the value as stored (an Int stays an Int, a nested value stays nested).
// kHashTable: a HashTable, the engine's open-addressing Table of one Entry per field (the
// field is the entry's key, the typed value its value). A pack becomes a table past
// hash-max-listpack-entries fields or when a field or value is longer than
// hash-max-listpack-value bytes, one way, as in Redis.
//
// These functions change the entry in place (its encoding byte and container pointer), so
// entry pointers stay valid; callers report the container's size change to the shard
// (ContainerBytes before and after). Value views die with the next change to the hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

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
  // Bytes held beyond the object itself: slot array and field entries.
  size_t memory() const { return table_.memory_bytes() + entry_bytes_; }
  Entry* Find(std::string_view field) const;
  // True when the field is new.
  bool Set(std::string_view field, const ScalarView& v);
  bool Erase(std::string_view field);
  const Table& table() const { return table_; }

 private:
  Table table_;
  size_t entry_bytes_ = 0;
};

// A new, empty hash's encoding byte and container (a pack).
uint8_t NewHashEncoding();
void* NewHashContainer();

// Every function below takes an entry whose TypeOf is ObjType::kHash.
size_t HashLen(const Entry& e);
// False when the field is missing.
bool HashGet(const Entry& e, std::string_view field, ScalarView* out);
// Stores `v` under `field`, converting a pack to a table when a limit is passed. True when the
// field is new.
bool HashSet(Entry* e, std::string_view field, const ScalarView& v);
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

}  // namespace kv
