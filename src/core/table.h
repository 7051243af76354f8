// Table: the compact open-addressing hash table behind one shard.
//
// Each slot is 8 bytes: the Entry pointer in the low 48 bits and a 16-bit tag from the key's
// hash in the high bits, so a probe rarely touches an entry whose key does not match. Linear
// probing with backward-shift deletion (no tombstones), grown at 0.8 load and shrunk when
// mostly empty. The table owns nothing: Shard creates and destroys the entries.
//
// SCAN support: Scan() walks home buckets in reverse-binary order, as Redis's dictScan does, so
// a key present for a whole scan is returned at least once even if the table is resized between
// calls.
//
// Thread contract: not thread-safe; the owning shard's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "core/entry.h"
#include "core/scan_cursor.h"

namespace kv {

// Hashes a request already computed, for Table::Hash to return (see KeyHashScope).
struct KnownHashes {
  static constexpr int kMax = 4;
  int n = 0;
  struct Known {
    const char* data;
    size_t len;
    uint64_t hash;
  } known[kMax];
};
inline thread_local KnownHashes t_known_hashes;

class Table {
 public:
  Table() = default;
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  // XXH3 of the key. A request hashes each key once: while a KeyHashScope on this thread
  // remembers the hash of these very bytes (same address and length), it is returned as is.
  static uint64_t Hash(std::string_view key) {
    const KnownHashes& k = t_known_hashes;
    for (int i = 0; i < k.n; ++i)
      if (k.known[i].data == key.data() && k.known[i].len == key.size()) return k.known[i].hash;
    return ComputeHash(key);
  }
  static uint64_t ComputeHash(std::string_view key);
  // Hashes computed (not remembered) on this thread so far: what the hash-once test counts.
  static uint64_t HashesComputed();

  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  size_t memory_bytes() const { return cap_ * sizeof(uint64_t); }

  // Returns the slot index holding `key`, or -1.
  int64_t FindSlot(std::string_view key, uint64_t hash) const;
  Entry* EntryAt(size_t slot) const;
  // Replaces the entry in an occupied slot (the key must be the same).
  void ReplaceAt(size_t slot, Entry* e);
  // Inserts a key that is not present. May grow the table (invalidates slot indexes).
  void Insert(Entry* e, uint64_t hash);
  // Grows the slot array so `n` entries fit without a resize. Bulk loads call it first: keys
  // arriving in another table's slot order would otherwise pile into long probe runs while the
  // table is still small.
  void Reserve(size_t n);
  // Removes the entry in `slot` (backward shift), may shrink; returns the removed entry.
  Entry* RemoveAt(size_t slot);
  // Drops every slot (entries are not freed) and releases the slot array.
  void Clear();
  // Exchanges the whole contents with `other` (SWAPDB).
  void SwapWith(Table& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(cap_, other.cap_);
    std::swap(size_, other.size_);
  }

  // Visits every entry: fn(Entry*). Must not mutate the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < cap_; ++i)
      if (slots_[i]) fn(EntryAt(i));
  }
  // A uniformly random occupied slot's entry (by probing from a random slot), or nullptr.
  Entry* RandomEntry(uint64_t rnd) const;

  // One SCAN step: visits every entry whose home bucket is `cursor` (at the current capacity) and
  // returns the next cursor, 0 when the scan is complete.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (cap_ == 0) return 0;
    const uint64_t mask = cap_ - 1;
    const uint64_t bucket = cursor & mask;
    VisitHome(bucket, [&](Entry* e) { fn(e); });
    return NextScanCursor(cursor, mask);
  }

 private:
  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static uint16_t Tag(uint64_t hash) { return static_cast<uint16_t>(hash >> 48); }
  size_t Home(uint64_t hash) const { return (hash >> 16) & (cap_ - 1); }
  void Resize(size_t new_cap);
  // Calls fn for each entry stored in the probe run starting at `bucket` whose home is `bucket`.
  template <typename Fn>
  void VisitHome(size_t bucket, Fn&& fn) const;

  uint64_t* slots_ = nullptr;
  size_t cap_ = 0;
  size_t size_ = 0;
};

template <typename Fn>
void Table::VisitHome(size_t bucket, Fn&& fn) const {
  // A key with home `bucket` sits in the run of occupied slots that starts at or before
  // `bucket`; with linear probing it can only be at `bucket` or after it, up to the first empty
  // slot.
  for (size_t i = bucket, n = 0; n < cap_ && slots_[i]; i = (i + 1) & (cap_ - 1), ++n) {
    Entry* e = EntryAt(i);
    if (Home(ComputeHash(e->key())) == bucket) fn(e);
  }
}

// A request hashes each key once (the dispatcher hashes a command's keys to pick and lock their
// shards; the handler's ShardFor and the shard's lookup and insert then reuse that hash). The
// scope remembers the hashes of up to KnownHashes::kMax key arguments for its life; Add()
// hashes and remembers. Sound because a command's arguments do not change while it runs: a
// hash is remembered by the arguments' address and length, never by content. Scopes nest (a
// plugin's command calling another): an inner one adds after the outer's and forgets only its
// own on exit.
class KeyHashScope {
 public:
  KeyHashScope() : base_(t_known_hashes.n) {}
  ~KeyHashScope() { t_known_hashes.n = base_; }
  KeyHashScope(const KeyHashScope&) = delete;
  KeyHashScope& operator=(const KeyHashScope&) = delete;

  uint64_t Add(std::string_view key) {
    KnownHashes& k = t_known_hashes;
    const uint64_t hash = Table::Hash(key);
    if (k.n < KnownHashes::kMax) k.known[k.n++] = {key.data(), key.size(), hash};
    return hash;
  }

 private:
  int base_;
};

}  // namespace kv
