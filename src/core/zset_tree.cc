// ZSetTree (core/zset.h): Redis's zskiplist (t_zset.c) with spans for ranks, its nodes packed
// into one allocation each, and an open-addressing member index over node pointers.
#include <malloc.h>
#include <xxhash.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/zset.h"

namespace kv {

struct ZSetTree::Node {};

namespace {

using Node = ZSetTree::Node;

// Field offsets in a node; the upper levels are 12 bytes each (forward, span), unaligned.
constexpr size_t kScoreOff = 8;
constexpr size_t kLevelsOff = 16;
constexpr size_t kUpperOff = 17;
constexpr size_t kUpperSize = 12;

// The index grows past 3/4 full and halves under 1/8 full.
constexpr uint64_t kMinCap = 16;

const char* Bytes(const Node* n) { return reinterpret_cast<const char*>(n); }
char* Bytes(Node* n) { return reinterpret_cast<char*>(n); }

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void Store(char* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

int Levels(const Node* n) { return static_cast<uint8_t>(Bytes(n)[kLevelsOff]); }
double ScoreOf(const Node* n) { return Load<double>(Bytes(n) + kScoreOff); }

Node* Fwd(const Node* n, int i) {
  return Load<Node*>(Bytes(n) + (i == 0 ? 0 : kUpperOff + (i - 1) * kUpperSize));
}
void SetFwd(Node* n, int i, Node* to) {
  Store(Bytes(n) + (i == 0 ? 0 : kUpperOff + (i - 1) * kUpperSize), to);
}
// A level-0 link always spans one node.
uint32_t Span(const Node* n, int i) {
  return i == 0 ? 1 : Load<uint32_t>(Bytes(n) + kUpperOff + (i - 1) * kUpperSize + 8);
}
void SetSpan(Node* n, int i, uint64_t span) {
  if (i > 0) Store(Bytes(n) + kUpperOff + (i - 1) * kUpperSize + 8, static_cast<uint32_t>(span));
}

size_t VarintLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::string_view MemberOf(const Node* n) {
  const char* p = Bytes(n) + kUpperOff + (Levels(n) - 1) * kUpperSize;
  uint64_t len = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<uint8_t>(*p++);
    len |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  return {p, len};
}

uint64_t HashMember(std::string_view m) { return XXH3_64bits(m.data(), m.size()); }

uint64_t Tag(uint64_t hash) { return hash & ~((uint64_t{1} << 48) - 1); }

// Redis's ZSKIPLIST_P = 0.25.
int RandomLevel() {
  thread_local uint64_t state = 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(&state);
  int level = 1;
  for (;;) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    if ((state & 0xffff) >= 0x4000 || level >= 32) break;
    ++level;
  }
  return level;
}

// (score, member) order.
bool Less(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}


}  // namespace

uint64_t ZSetTree::HashOf(const Node* n) { return HashMember(MemberOf(n)); }


Node* ZSetTree::NewNode(int level, double score, std::string_view member) {
  const size_t size = kUpperOff + static_cast<size_t>(level - 1) * kUpperSize +
                      VarintLen(member.size()) + member.size();
  auto* n = static_cast<Node*>(std::malloc(size));
  if (!n) throw std::bad_alloc();
  // The index keeps a hash tag in a slot's top 16 bits: user-space addresses fit in 48 bits on
  // the 64-bit targets the server builds for; anything else is treated as out of memory.
  if (reinterpret_cast<uint64_t>(n) & ~kPtrMask) {
    std::free(n);
    throw std::bad_alloc();
  }
  char* p = Bytes(n);
  Store(p + kScoreOff, score);
  p[kLevelsOff] = static_cast<char>(level);
  for (int i = 0; i < level; ++i) {
    SetFwd(n, i, nullptr);
    SetSpan(n, i, 0);
  }
  p += kUpperOff + static_cast<size_t>(level - 1) * kUpperSize;
  uint64_t len = member.size();
  for (; len >= 0x80; len >>= 7) *p++ = static_cast<char>((len & 0x7f) | 0x80);
  *p++ = static_cast<char>(len);
  std::memcpy(p, member.data(), member.size());
  bytes_ += malloc_usable_size(n);
  return n;
}

void ZSetTree::FreeNode(Node* n) {
  bytes_ -= malloc_usable_size(n);
  std::free(n);
}

ZSetTree::ZSetTree() { header_ = NewNode(kMaxLevel, 0, {}); }

ZSetTree::~ZSetTree() {
  Node* x = header_;
  while (x) {
    Node* next = Fwd(x, 0);
    std::free(x);
    x = next;
  }
  std::free(slots_);
}

size_t ZSetTree::CountMemory() const {
  size_t n = slots_ ? malloc_usable_size(slots_) : 0;
  for (Node* x = header_; x; x = Fwd(x, 0)) n += malloc_usable_size(x);
  return n;
}

// ---- member index -------------------------------------------------------------------------

int64_t ZSetTree::FindSlot(std::string_view member, uint64_t hash) const {
  if (cap_ == 0) return -1;
  const uint64_t mask = cap_ - 1;
  const uint64_t tag = Tag(hash);
  for (uint64_t i = hash & mask; slots_[i] != 0; i = (i + 1) & mask) {
    if (Tag(slots_[i]) == tag && MemberOf(SlotNode(slots_[i])) == member)
      return static_cast<int64_t>(i);
  }
  return -1;
}

int64_t ZSetTree::FindSlotOf(const Node* n) const {
  const uint64_t mask = cap_ - 1;
  for (uint64_t i = HashOf(n) & mask;; i = (i + 1) & mask)
    if (SlotNode(slots_[i]) == n) return static_cast<int64_t>(i);
}

void ZSetTree::IndexAdd(Node* n, uint64_t hash) {
  if ((length_ + 1) * 4 > cap_ * 3) Resize(cap_ ? cap_ * 2 : kMinCap);
  const uint64_t mask = cap_ - 1;
  uint64_t i = hash & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = Tag(hash) | reinterpret_cast<uint64_t>(n);
}

void ZSetTree::IndexRemoveAt(uint64_t slot) {
  // Backward-shift deletion: later members of the run move up unless that would put them
  // before their home slot, so every run stays unbroken without tombstones.
  const uint64_t mask = cap_ - 1;
  uint64_t hole = slot;
  for (uint64_t i = (slot + 1) & mask; slots_[i] != 0; i = (i + 1) & mask) {
    const uint64_t home = HashOf(SlotNode(slots_[i])) & mask;
    const bool in_range = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (!in_range) {
      slots_[hole] = slots_[i];
      hole = i;
    }
  }
  slots_[hole] = 0;
}

void ZSetTree::Resize(uint64_t cap) {
  auto* fresh = static_cast<uint64_t*>(std::calloc(cap, sizeof(uint64_t)));
  if (!fresh) throw std::bad_alloc();
  uint64_t* old = slots_;
  const uint64_t old_cap = cap_;
  if (old) bytes_ -= malloc_usable_size(old);
  bytes_ += malloc_usable_size(fresh);
  slots_ = fresh;
  cap_ = cap;
  const uint64_t mask = cap - 1;
  for (uint64_t j = 0; j < old_cap; ++j) {
    if (old[j] == 0) continue;
    uint64_t i = HashOf(SlotNode(old[j])) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = old[j];
  }
  std::free(old);
}

// ---- skip list ----------------------------------------------------------------------------

void ZSetTree::Search(double score, std::string_view member, Node** update,
                      uint64_t* rank) const {
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    if (rank) rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    for (Node* f = Fwd(x, i); f && Less(ScoreOf(f), MemberOf(f), score, member); f = Fwd(x, i)) {
      if (rank) rank[i] += Span(x, i);
      x = f;
    }
    update[i] = x;
  }
}

void ZSetTree::Link(Node* x) {
  Node* update[kMaxLevel];
  uint64_t rank[kMaxLevel];
  Search(ScoreOf(x), MemberOf(x), update, rank);
  const int level = Levels(x);
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      update[i] = header_;
      SetSpan(header_, i, length_);
    }
    level_ = level;
  }
  for (int i = 0; i < level; ++i) {
    SetFwd(x, i, Fwd(update[i], i));
    SetFwd(update[i], i, x);
    SetSpan(x, i, Span(update[i], i) - (rank[0] - rank[i]));
    SetSpan(update[i], i, (rank[0] - rank[i]) + 1);
  }
  for (int i = level; i < level_; ++i) SetSpan(update[i], i, Span(update[i], i) + 1);
  ++length_;
}

void ZSetTree::Unlink(Node* x, Node** update) {
  for (int i = 0; i < level_; ++i) {
    if (Fwd(update[i], i) == x) {
      SetSpan(update[i], i, Span(update[i], i) + Span(x, i) - 1);
      SetFwd(update[i], i, Fwd(x, i));
    } else {
      SetSpan(update[i], i, Span(update[i], i) - 1);
    }
  }
  while (level_ > 1 && Fwd(header_, level_ - 1) == nullptr) --level_;
  --length_;
}

std::optional<double> ZSetTree::Score(std::string_view member) const {
  const int64_t slot = FindSlot(member, HashMember(member));
  if (slot < 0) return std::nullopt;
  return ScoreOf(SlotNode(slots_[slot]));
}

bool ZSetTree::Set(std::string_view member, double score) {
  const uint64_t hash = HashMember(member);
  const int64_t slot = FindSlot(member, hash);
  if (slot < 0) {
    Node* x = NewNode(RandomLevel(), score, member);
    try {
      IndexAdd(x, hash);
    } catch (...) {
      FreeNode(x);
      throw;
    }
    Link(x);
    return true;
  }
  Node* x = SlotNode(slots_[slot]);
  const double old = ScoreOf(x);
  if (old == score) return false;
  Node* update[kMaxLevel];
  Search(old, member, update, nullptr);
  Node* next = Fwd(x, 0);
  // Still between its neighbours: the score changes in place (Redis's zslUpdateScore).
  if ((update[0] == header_ || ScoreOf(update[0]) < score) && (!next || ScoreOf(next) > score)) {
    Store(Bytes(x) + kScoreOff, score);
    return false;
  }
  // Otherwise the same node moves: the index keeps pointing at it.
  Unlink(x, update);
  Store(Bytes(x) + kScoreOff, score);
  Link(x);
  return false;
}

bool ZSetTree::Erase(std::string_view member) {
  const int64_t slot = FindSlot(member, HashMember(member));
  if (slot < 0) return false;
  Node* x = SlotNode(slots_[slot]);
  Node* update[kMaxLevel];
  Search(ScoreOf(x), member, update, nullptr);
  Unlink(x, update);
  IndexRemoveAt(static_cast<uint64_t>(slot));
  FreeNode(x);
  if (cap_ > kMinCap && length_ * 8 < cap_) Resize(cap_ / 2);
  return true;
}

void ZSetTree::EraseRange(uint64_t start, uint64_t n) {
  if (n == 0) return;
  // Redis's zslDeleteRangeByRank: find the node before `start` per level, then unlink the run.
  Node* update[kMaxLevel];
  uint64_t traversed = 0;
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (Fwd(x, i) && traversed + Span(x, i) <= start) {
      traversed += Span(x, i);
      x = Fwd(x, i);
    }
    update[i] = x;
  }
  x = Fwd(x, 0);
  for (uint64_t k = 0; k < n; ++k) {
    Node* next = Fwd(x, 0);
    Unlink(x, update);
    IndexRemoveAt(static_cast<uint64_t>(FindSlotOf(x)));
    FreeNode(x);
    x = next;
  }
  if (cap_ > kMinCap && length_ * 8 < cap_) {
    uint64_t cap = cap_;
    while (cap > kMinCap && length_ * 8 < cap) cap /= 2;
    Resize(cap);
  }
}

std::optional<uint64_t> ZSetTree::Rank(std::string_view member) const {
  const int64_t slot = FindSlot(member, HashMember(member));
  if (slot < 0) return std::nullopt;
  const Node* target = SlotNode(slots_[slot]);
  const double score = ScoreOf(target);
  uint64_t rank = 0;
  const Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (const Node* f = Fwd(x, i); f && !Less(score, member, ScoreOf(f), MemberOf(f));
         f = Fwd(x, i)) {
      rank += Span(x, i);
      x = f;
    }
    if (x == target) break;
  }
  return rank - 1;
}

Node* ZSetTree::At(uint64_t rank) const {
  const uint64_t want = rank + 1;
  uint64_t traversed = 0;
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (Fwd(x, i) && traversed + Span(x, i) <= want) {
      traversed += Span(x, i);
      x = Fwd(x, i);
    }
    if (traversed == want) return x;
  }
  return nullptr;
}

uint64_t ZSetTree::CountBefore(const ZBound& b) const {
  uint64_t rank = 0;
  const Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    for (const Node* f = Fwd(x, i); f && b.Before(ScoreOf(f), MemberOf(f)); f = Fwd(x, i)) {
      rank += Span(x, i);
      x = f;
    }
  }
  return rank;
}

ZItem ZSetTree::Item(const Node* n) { return {MemberOf(n), ScoreOf(n)}; }
Node* ZSetTree::Next(const Node* n) { return Fwd(n, 0); }

}  // namespace kv
