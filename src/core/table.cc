#include "core/table.h"

#include <xxhash.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace kv {

namespace {
constexpr size_t kMinCapacity = 8;
}

Table::~Table() { std::free(slots_); }

namespace {
thread_local uint64_t t_hashes_computed = 0;
}

uint64_t Table::ComputeHash(std::string_view key) {
  ++t_hashes_computed;
  return XXH3_64bits(key.data(), key.size());
}

uint64_t Table::HashesComputed() { return t_hashes_computed; }

Entry* Table::EntryAt(size_t slot) const {
  return reinterpret_cast<Entry*>(slots_[slot] & kPtrMask);
}

int64_t Table::FindSlot(std::string_view key, uint64_t hash) const {
  if (size_ == 0) return -1;
  const uint64_t tag = uint64_t{Tag(hash)} << 48;
  const size_t mask = cap_ - 1;
  for (size_t i = Home(hash);; i = (i + 1) & mask) {
    const uint64_t s = slots_[i];
    if (s == 0) return -1;
    if ((s & ~kPtrMask) == tag) {
      const Entry* e = reinterpret_cast<const Entry*>(s & kPtrMask);
      if (e->key() == key) return static_cast<int64_t>(i);
    }
  }
}

void Table::ReplaceAt(size_t slot, Entry* e) {
  slots_[slot] = (slots_[slot] & ~kPtrMask) | reinterpret_cast<uint64_t>(e);
}

void Table::Insert(Entry* e, uint64_t hash) {
  // Grow at 0.8 load: short probe runs, about 10 bytes of slots per key.
  if ((size_ + 1) * 5 > cap_ * 4) Resize(cap_ ? cap_ * 2 : kMinCapacity);
  const size_t mask = cap_ - 1;
  size_t i = Home(hash);
  while (slots_[i]) i = (i + 1) & mask;
  slots_[i] = (uint64_t{Tag(hash)} << 48) | reinterpret_cast<uint64_t>(e);
  ++size_;
}

void Table::Reserve(size_t n) {
  size_t cap = cap_ ? cap_ : kMinCapacity;
  while (n * 5 > cap * 4) cap *= 2;
  if (cap != cap_) Resize(cap);
}

Entry* Table::RemoveAt(size_t slot) {
  Entry* removed = EntryAt(slot);
  const size_t mask = cap_ - 1;
  // Backward-shift deletion: pull later members of the run into the hole when their home
  // allows it, so lookups never need tombstones.
  size_t hole = slot;
  for (size_t i = (slot + 1) & mask; slots_[i]; i = (i + 1) & mask) {
    const size_t home = Home(ComputeHash(EntryAt(i)->key()));
    // Movable when home is not in the cyclic range (hole, i].
    const bool in_range = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (!in_range) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = 0;
  --size_;
  if (cap_ > 64 && size_ * 8 < cap_) Resize(cap_ / 2);
  return removed;
}

void Table::Clear() {
  std::free(slots_);
  slots_ = nullptr;
  cap_ = 0;
  size_ = 0;
}

Entry* Table::RandomEntry(uint64_t rnd) const {
  if (size_ == 0) return nullptr;
  const size_t mask = cap_ - 1;
  for (size_t i = rnd & mask;; i = (i + 1) & mask)
    if (slots_[i]) return EntryAt(i);
}

void Table::Resize(size_t new_cap) {
  uint64_t* old = slots_;
  const size_t old_cap = cap_;
  slots_ = static_cast<uint64_t*>(std::calloc(new_cap, sizeof(uint64_t)));
  if (!slots_) throw std::bad_alloc();
  cap_ = new_cap;
  const size_t mask = cap_ - 1;
  for (size_t j = 0; j < old_cap; ++j) {
    if (!old[j]) continue;
    const Entry* e = reinterpret_cast<const Entry*>(old[j] & kPtrMask);
    size_t i = Home(ComputeHash(e->key()));
    while (slots_[i]) i = (i + 1) & mask;
    slots_[i] = old[j];
  }
  std::free(old);
}

}  // namespace kv
