// SetTable: the large encoding of a set (OBJECT ENCODING "hashtable").
//
// A chained hash table whose chains are listpacks (core/listpack.h): bucket i is one small
// listpack holding the members whose hash (XXH3 of the member's canonical text) lands in it,
// or nullptr. Members keep their type (a native Int stays an Int) and compare by canonical text,
// as a RESP client sees them. Compared with one Entry per member in a core/table.h table (a 16 B
// header, an allocation and a 10 B slot share each), a member costs its listpack element (its
// bytes + 2) plus a share of its bucket's pointer and listpack header: about 25 B for a 12-byte
// member instead of about 60 (docs/benchmarks.md). Chains average 2-6 members (the table
// doubles past 6 per bucket and halves under 1), so a lookup walks a few short elements.
//
// SCAN cursors are bucket indexes walked in reverse-binary order (Redis's dictScan), so a
// member present for a whole scan is returned at least once across resizes.
//
// Thread contract: none; the owning shard's lock guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/scalar.h"
#include "core/scan_cursor.h"

namespace kv {

class SetTable {
 public:
  SetTable() = default;
  ~SetTable();
  SetTable(const SetTable&) = delete;
  SetTable& operator=(const SetTable&) = delete;

  // Makes room for `n` members without a resize.
  void Reserve(size_t n);

  size_t size() const { return size_; }
  // Heap bytes held (bucket array and listpacks), not counting the SetTable object.
  size_t memory() const { return memory_; }
  // memory() recounted from the allocations (tests check the running figure against it).
  size_t CountMemory() const;

  bool Contains(std::string_view text) const;
  // `text` is v's canonical text (the caller has it already). False when already present.
  bool Add(const ScalarView& v, std::string_view text);
  bool Remove(std::string_view text);

  // fn(const ScalarView&) for every member; must not change the table.
  template <typename Fn>
  void ForEach(Fn&& fn) const;
  // One SCAN step over the bucket `cursor` names; returns the next cursor, 0 at the end.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const;
  // A random member (not exactly uniform: a random non-empty bucket, then a member of it, as
  // Redis's dictGetRandomKey). The table must not be empty. The view dies with the next change.
  ScalarView Random(uint64_t rnd) const;

  static uint64_t Hash(std::string_view text);

 private:
  template <typename Fn>
  static void ForEachIn(const char* lp, Fn&& fn);
  void Rehash(size_t new_buckets);
  void Insert(char*& bucket, const ScalarView& v);

  char** buckets_ = nullptr;
  size_t nbuckets_ = 0;  // 0 or a power of two
  size_t size_ = 0;
  size_t memory_ = 0;
};

}  // namespace kv

#include "core/listpack.h"

namespace kv {

template <typename Fn>
void SetTable::ForEachIn(const char* lp, Fn&& fn) {
  if (!lp) return;
  const uint32_t end = listpack::Bytes(lp);
  for (uint32_t off = listpack::First(lp); off < end; off = listpack::Next(lp, off))
    fn(listpack::Get(lp, off));
}

template <typename Fn>
void SetTable::ForEach(Fn&& fn) const {
  for (size_t i = 0; i < nbuckets_; ++i) ForEachIn(buckets_[i], fn);
}

template <typename Fn>
uint64_t SetTable::Scan(uint64_t cursor, Fn&& fn) const {
  if (nbuckets_ == 0) return 0;
  const uint64_t mask = nbuckets_ - 1;
  ForEachIn(buckets_[cursor & mask], fn);
  return NextScanCursor(cursor, mask);
}

}  // namespace kv
