#include "core/zset.h"

#include <malloc.h>

#include <cstdlib>
#include <new>
#include <string>
#include <utility>
#include <vector>
#include <algorithm>

#include "core/listpack.h"
#include "core/object.h"
#include "core/value_encoding.h"

namespace kv {

// ------------------------------------------------------------------------------------------
// ZSetTree: Redis's zskiplist (t_zset.c), with spans for ranks.
// ------------------------------------------------------------------------------------------

struct ZSetTree::Node {
  double score;
  Entry* ent;  // the member's index entry: the member is its key
  Node* backward;
  struct Level {
    Node* forward;
    uint64_t span;
  };
  Level* level() { return reinterpret_cast<Level*>(this + 1); }
  const Level* level() const { return reinterpret_cast<const Level*>(this + 1); }
  std::string_view member() const { return ent ? ent->key() : std::string_view(); }
};

namespace {

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

ZSetTree::Node* ZSetTree::NewNode(int level, double score, Entry* ent) {
  const size_t size = sizeof(Node) + static_cast<size_t>(level) * sizeof(Node::Level);
  auto* n = static_cast<Node*>(std::malloc(size));
  if (!n) throw std::bad_alloc();
  n->score = score;
  n->ent = ent;
  n->backward = nullptr;
  for (int i = 0; i < level; ++i) n->level()[i] = {nullptr, 0};
  bytes_ += malloc_usable_size(n);
  return n;
}

void ZSetTree::FreeNode(Node* n) {
  bytes_ -= malloc_usable_size(n);
  std::free(n);
}

ZSetTree::ZSetTree() { header_ = NewNode(kMaxLevel, 0, nullptr); }

ZSetTree::~ZSetTree() {
  Node* x = header_->level()[0].forward;
  while (x) {
    Node* next = x->level()[0].forward;
    Entry::Destroy(x->ent);
    std::free(x);
    x = next;
  }
  std::free(header_);
  dict_.Clear();
}

std::optional<double> ZSetTree::Score(std::string_view member) const {
  const int64_t slot = dict_.FindSlot(member, Table::Hash(member));
  if (slot < 0) return std::nullopt;
  return dict_.EntryAt(static_cast<size_t>(slot))->value().d;
}

void ZSetTree::Insert(std::string_view member, double score) {
  Node* update[kMaxLevel];
  uint64_t rank[kMaxLevel];
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (x->level()[i].forward &&
           Less(x->level()[i].forward->score, x->level()[i].forward->member(), score, member)) {
      rank[i] += x->level()[i].span;
      x = x->level()[i].forward;
    }
    update[i] = x;
  }
  const int level = RandomLevel();
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      update[i] = header_;
      update[i]->level()[i].span = length_;
    }
    level_ = level;
  }
  Entry* ent = Entry::Create(member, ScalarType::kFloat, 8, false);
  ent->SetFloat(score);
  bytes_ += Entry::AllocSize(ent);
  dict_.Insert(ent, Table::Hash(member));
  x = NewNode(level, score, ent);
  for (int i = 0; i < level; ++i) {
    x->level()[i].forward = update[i]->level()[i].forward;
    update[i]->level()[i].forward = x;
    x->level()[i].span = update[i]->level()[i].span - (rank[0] - rank[i]);
    update[i]->level()[i].span = (rank[0] - rank[i]) + 1;
  }
  for (int i = level; i < level_; ++i) update[i]->level()[i].span++;
  x->backward = update[0] == header_ ? nullptr : update[0];
  if (x->level()[0].forward) {
    x->level()[0].forward->backward = x;
  } else {
    tail_ = x;
  }
  ++length_;
}

void ZSetTree::DeleteNode(Node* x, Node** update) {
  for (int i = 0; i < level_; ++i) {
    if (update[i]->level()[i].forward == x) {
      update[i]->level()[i].span += x->level()[i].span - 1;
      update[i]->level()[i].forward = x->level()[i].forward;
    } else {
      update[i]->level()[i].span -= 1;
    }
  }
  if (x->level()[0].forward) {
    x->level()[0].forward->backward = x->backward;
  } else {
    tail_ = x->backward;
  }
  while (level_ > 1 && header_->level()[level_ - 1].forward == nullptr) --level_;
  --length_;
}

bool ZSetTree::Erase(std::string_view member) {
  const uint64_t hash = Table::Hash(member);
  const int64_t slot = dict_.FindSlot(member, hash);
  if (slot < 0) return false;
  Entry* ent = dict_.EntryAt(static_cast<size_t>(slot));
  const double score = ent->value().d;
  Node* update[kMaxLevel];
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level()[i].forward &&
           Less(x->level()[i].forward->score, x->level()[i].forward->member(), score, member))
      x = x->level()[i].forward;
    update[i] = x;
  }
  x = x->level()[0].forward;
  DeleteNode(x, update);
  FreeNode(x);
  dict_.RemoveAt(static_cast<size_t>(slot));
  bytes_ -= Entry::AllocSize(ent);
  Entry::Destroy(ent);
  return true;
}

uint64_t ZSetTree::Rank(std::string_view member, double score) const {
  uint64_t rank = 0;
  const Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level()[i].forward &&
           !Less(score, member, x->level()[i].forward->score, x->level()[i].forward->member())) {
      rank += x->level()[i].span;
      x = x->level()[i].forward;
    }
    if (x->ent && x->member() == member) return rank - 1;
  }
  return rank - 1;
}

ZSetTree::Node* ZSetTree::At(uint64_t rank) const {
  const uint64_t want = rank + 1;
  uint64_t traversed = 0;
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level()[i].forward && traversed + x->level()[i].span <= want) {
      traversed += x->level()[i].span;
      x = x->level()[i].forward;
    }
    if (traversed == want) return x;
  }
  return nullptr;
}

uint64_t ZSetTree::CountBefore(const ZBound& b) const {
  uint64_t rank = 0;
  const Node* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->level()[i].forward &&
           b.Before(x->level()[i].forward->score, x->level()[i].forward->member())) {
      rank += x->level()[i].span;
      x = x->level()[i].forward;
    }
  }
  return rank;
}

ZItem ZSetTree::Item(const Node* n) { return {n->member(), n->score}; }
ZSetTree::Node* ZSetTree::Next(const Node* n) { return n->level()[0].forward; }
ZSetTree::Node* ZSetTree::Prev(const Node* n) { return n->backward; }

// ------------------------------------------------------------------------------------------
// ZSetRef
// ------------------------------------------------------------------------------------------

namespace {

uint32_t FloatAt(const char* lp, uint32_t off, double* score) {
  const uint32_t score_off = listpack::Next(lp, off);
  *score = listpack::Get(lp, score_off).d;
  return listpack::Next(lp, score_off);
}

}  // namespace

bool ZSetNeedsTree(uint64_t count, size_t max_len) {
  const EncodingLimits& l = GlobalEncodingLimits();
  return count > static_cast<uint64_t>(l.zset_max_listpack_entries.load(std::memory_order_relaxed)) ||
         max_len > static_cast<uint64_t>(l.zset_max_listpack_value.load(std::memory_order_relaxed));
}

NewContainer NewZSet(bool big) {
  if (big) return {static_cast<uint8_t>(Encoding::kZSetTree), new ZSetTree()};
  return {static_cast<uint8_t>(Encoding::kZSetPack), listpack::New()};
}

NewContainer ZSetFromEncoded(std::string_view encoded) {
  std::vector<std::pair<std::string, double>> pairs;
  size_t max_len = 0;
  ForEachListElement(encoded, [&](const ScalarView& pair) {
    std::string member;
    double score = 0;
    int i = 0;
    ForEachListElement(pair.bytes, [&](const ScalarView& v) {
      if (i++ == 0) {
        member.assign(v.bytes);
      } else {
        score = v.d;
      }
    });
    max_len = std::max(max_len, member.size());
    pairs.emplace_back(std::move(member), score);
  });
  const NewContainer c = NewZSet(ZSetNeedsTree(pairs.size(), max_len));
  // A scratch entry lends the container to ZSetRef while it fills.
  Entry* scratch = Entry::CreateContainer("", c.encoding, c.ptr, false);
  {
    ZSetRef z(scratch);
    for (const auto& [m, s] : pairs) z.Set(m, s);
  }
  const NewContainer out{scratch->encoding(), scratch->container()};
  Entry::Destroy(scratch);
  return out;
}

ZSetRef::ZSetRef(Entry* e) : e_(e), before_(static_cast<int64_t>(ContainerBytes(*e))) {
  if (Is(*e, Encoding::kZSetTree)) tree_ = static_cast<ZSetTree*>(e->container());
}

uint64_t ZSetRef::size() const { return tree_ ? tree_->size() : listpack::Count(lp()) / 2; }

uint32_t ZSetRef::FindInPack(std::string_view member) const {
  const char* p = lp();
  const uint32_t end = listpack::Bytes(p);
  for (uint32_t off = listpack::kHeader; off < end;) {
    if (listpack::Get(p, off).bytes == member) return off;
    off = listpack::Next(p, listpack::Next(p, off));
  }
  return 0;
}

std::optional<double> ZSetRef::Score(std::string_view member) const {
  if (tree_) return tree_->Score(member);
  const uint32_t off = FindInPack(member);
  if (!off) return std::nullopt;
  return listpack::Get(lp(), listpack::Next(lp(), off)).d;
}

bool ZSetRef::Set(std::string_view member, double score) {
  if (tree_) {
    const std::optional<double> old = tree_->Score(member);
    if (old) {
      if (*old == score) return false;
      tree_->Erase(member);
    }
    tree_->Insert(member, score);
    return !old;
  }
  bool added = true;
  if (const uint32_t off = FindInPack(member)) {
    if (listpack::Get(lp(), listpack::Next(lp(), off)).d == score) return false;
    e_->set_container(listpack::Erase(lp(), off, 2));
    added = false;
  }
  if (added && ZSetNeedsTree(size() + 1, member.size())) {
    ConvertToTree();
    tree_->Insert(member, score);
    return true;
  }
  // A listpack keeps a zero score as the integer 0, so Redis reads -0 back as 0 there.
  if (score == 0) score = 0.0;
  char* p = lp();
  const uint32_t end = listpack::Bytes(p);
  uint32_t off = listpack::kHeader;
  while (off < end) {
    double s;
    const std::string_view m = listpack::Get(p, off).bytes;
    const uint32_t next = FloatAt(p, off, &s);
    if (Less(score, member, s, m)) break;
    off = next;
  }
  p = listpack::Insert(p, off, ScalarView::Bytes(member));
  p = listpack::Insert(p, listpack::Next(p, off), ScalarView::Float(score));
  e_->set_container(p);
  return added;
}

void ZSetRef::ConvertToTree() {
  auto* tree = new ZSetTree();
  const char* p = lp();
  const uint32_t end = listpack::Bytes(p);
  for (uint32_t off = listpack::kHeader; off < end;) {
    double s;
    const std::string_view m = listpack::Get(p, off).bytes;
    off = FloatAt(p, off, &s);
    tree->Insert(m, s);
  }
  listpack::Free(lp());
  e_->set_encoding(static_cast<uint8_t>(Encoding::kZSetTree));
  e_->set_container(tree);
  tree_ = tree;
}

bool ZSetRef::Erase(std::string_view member) {
  if (tree_) return tree_->Erase(member);
  const uint32_t off = FindInPack(member);
  if (!off) return false;
  e_->set_container(listpack::Erase(lp(), off, 2));
  return true;
}

std::optional<uint64_t> ZSetRef::Rank(std::string_view member) const {
  if (tree_) {
    const std::optional<double> s = tree_->Score(member);
    if (!s) return std::nullopt;
    return tree_->Rank(member, *s);
  }
  const char* p = lp();
  const uint32_t end = listpack::Bytes(p);
  uint64_t rank = 0;
  for (uint32_t off = listpack::kHeader; off < end; ++rank) {
    if (listpack::Get(p, off).bytes == member) return rank;
    off = listpack::Next(p, listpack::Next(p, off));
  }
  return std::nullopt;
}

uint64_t ZSetRef::CountBefore(const ZBound& b) const {
  if (tree_) return tree_->CountBefore(b);
  const char* p = lp();
  const uint32_t end = listpack::Bytes(p);
  uint64_t n = 0;
  for (uint32_t off = listpack::kHeader; off < end; ++n) {
    double s;
    const std::string_view m = listpack::Get(p, off).bytes;
    off = FloatAt(p, off, &s);
    if (!b.Before(s, m)) break;
  }
  return n;
}

void ZSetRef::EraseRange(uint64_t start, uint64_t n) {
  if (n == 0) return;
  if (tree_) {
    // Erase by member: each removal is O(log n), and the member index needs the key anyway.
    for (uint64_t i = 0; i < n; ++i) {
      ZSetTree::Node* x = tree_->At(start);
      tree_->Erase(std::string(ZSetTree::Item(x).member));
    }
    return;
  }
  const uint32_t off = listpack::Seek(lp(), static_cast<uint32_t>(start * 2));
  e_->set_container(listpack::Erase(lp(), off, static_cast<uint32_t>(n * 2)));
}

ZSetRef::Cursor ZSetRef::Seek(uint64_t rank) const {
  Cursor c;
  if (tree_) {
    c.node = tree_->At(rank);
  } else {
    c.off = listpack::Seek(lp(), static_cast<uint32_t>(rank * 2));
  }
  return c;
}

ZItem ZSetRef::Get(Cursor c) const {
  if (tree_) return ZSetTree::Item(c.node);
  double s;
  const std::string_view m = listpack::Get(lp(), c.off).bytes;
  FloatAt(lp(), c.off, &s);
  return {m, s};
}

void ZSetRef::Next(Cursor* c) const {
  if (tree_) {
    c->node = ZSetTree::Next(c->node);
  } else {
    c->off = listpack::Next(lp(), listpack::Next(lp(), c->off));
  }
}

void ZSetRef::Prev(Cursor* c) const {
  if (tree_) {
    c->node = ZSetTree::Prev(c->node);
  } else {
    c->off = listpack::Prev(lp(), listpack::Prev(lp(), c->off));
  }
}

int64_t ZSetRef::Commit() {
  const int64_t after = static_cast<int64_t>(ContainerBytes(*e_));
  const int64_t delta = after - before_;
  before_ = after;
  return delta;
}

}  // namespace kv
