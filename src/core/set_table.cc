#include "core/set_table.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include <xxhash.h>

namespace kv {

namespace {
// Average members per bucket past which the table doubles (it halves under 0.5).
constexpr size_t kMaxLoad = 6;
constexpr size_t kMinBuckets = 4;

size_t LpBytes(const char* lp) { return lp ? listpack::AllocSize(lp) : 0; }

// The offset of the member whose text is `text` in `lp`, or 0.
uint32_t FindIn(const char* lp, std::string_view text) {
  if (!lp) return 0;
  const uint32_t end = listpack::Bytes(lp);
  for (uint32_t off = listpack::First(lp); off < end; off = listpack::Next(lp, off))
    if (listpack::TextEquals(lp, off, text)) return off;
  return 0;
}
}  // namespace

uint64_t SetTable::Hash(std::string_view text) { return XXH3_64bits(text.data(), text.size()); }


SetTable::~SetTable() {
  for (size_t i = 0; i < nbuckets_; ++i)
    if (buckets_[i]) listpack::Free(buckets_[i]);
  std::free(buckets_);
}

void SetTable::Reserve(size_t n) {
  size_t want = kMinBuckets;
  while (want * kMaxLoad < n) want *= 2;
  if (want > nbuckets_) Rehash(want);
}

void SetTable::Insert(char*& bucket, const ScalarView& v) {
  memory_ -= LpBytes(bucket);
  if (!bucket) bucket = listpack::New();
  bucket = listpack::Insert(bucket, listpack::Bytes(bucket), v);
  memory_ += LpBytes(bucket);
}

void SetTable::Rehash(size_t new_buckets) {
  auto** fresh = static_cast<char**>(std::calloc(new_buckets, sizeof(char*)));
  if (!fresh) throw std::bad_alloc();
  char** old = buckets_;
  const size_t old_n = nbuckets_;
  const size_t old_array = old ? malloc_usable_size(old) : 0;
  buckets_ = fresh;
  nbuckets_ = new_buckets;
  memory_ += malloc_usable_size(fresh);
  memory_ -= old_array;
  for (size_t i = 0; i < old_n; ++i) {
    char* lp = old[i];
    if (!lp) continue;
    ForEachIn(lp, [&](const ScalarView& v) {
      char buf[kScalarBufSize];
      const std::string_view text = CanonicalString(v, buf);
      Insert(buckets_[Hash(text) & (nbuckets_ - 1)], v);
    });
    memory_ -= LpBytes(lp);
    listpack::Free(lp);
  }
  std::free(old);
}

bool SetTable::Contains(std::string_view text) const {
  if (size_ == 0) return false;
  return FindIn(buckets_[Hash(text) & (nbuckets_ - 1)], text) != 0;
}

bool SetTable::Add(const ScalarView& v, std::string_view text) {
  const uint64_t h = Hash(text);
  if (nbuckets_ && FindIn(buckets_[h & (nbuckets_ - 1)], text)) return false;
  if (nbuckets_ == 0 || size_ + 1 > nbuckets_ * kMaxLoad)
    Rehash(nbuckets_ ? nbuckets_ * 2 : kMinBuckets);
  Insert(buckets_[h & (nbuckets_ - 1)], v);
  ++size_;
  return true;
}

bool SetTable::Remove(std::string_view text) {
  if (size_ == 0) return false;
  char*& bucket = buckets_[Hash(text) & (nbuckets_ - 1)];
  const uint32_t off = FindIn(bucket, text);
  if (!off) return false;
  memory_ -= LpBytes(bucket);
  if (listpack::Count(bucket) == 1) {
    listpack::Free(bucket);
    bucket = nullptr;
  } else {
    bucket = listpack::Erase(bucket, off, 1);
    memory_ += LpBytes(bucket);
  }
  --size_;
  if (nbuckets_ > kMinBuckets && size_ < nbuckets_ / 2) Rehash(nbuckets_ / 2);
  return true;
}

size_t SetTable::CountMemory() const {
  size_t n = buckets_ ? malloc_usable_size(buckets_) : 0;
  for (size_t i = 0; i < nbuckets_; ++i) n += LpBytes(buckets_[i]);
  return n;
}

ScalarView SetTable::Random(uint64_t rnd) const {
  // A table is halved once it holds under one member per two buckets, so a random probe finds
  // a non-empty bucket within a few tries on average.
  uint64_t x = rnd;
  size_t b = 0;
  for (;;) {
    b = x & (nbuckets_ - 1);
    if (buckets_[b]) break;
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= x >> 29;
  }
  const char* lp = buckets_[b];
  const uint32_t n = listpack::Count(lp);
  return listpack::Get(lp, listpack::Seek(lp, static_cast<uint32_t>((x >> 32) % n)));
}

}  // namespace kv
