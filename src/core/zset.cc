#include "core/zset.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/listpack.h"
#include "core/object.h"
#include "core/value_encoding.h"

namespace kv {

namespace {

// (score, member) order.
bool Less(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}

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
  if (tree_) return tree_->Set(member, score);
  bool added = true;
  if (const uint32_t off = FindInPack(member)) {
    if (listpack::Get(lp(), listpack::Next(lp(), off)).d == score) return false;
    e_->set_container(listpack::Erase(lp(), off, 2));
    added = false;
  }
  if (added && ZSetNeedsTree(size() + 1, member.size())) {
    ConvertToTree();
    tree_->Set(member, score);
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
    tree->Set(m, s);
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
  if (tree_) return tree_->Rank(member);
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
    tree_->EraseRange(start, n);
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

void ZSetRef::PrevInPack(Cursor* c) const {
  c->off = listpack::Prev(lp(), listpack::Prev(lp(), c->off));
}

int64_t ZSetRef::Commit() {
  const int64_t after = static_cast<int64_t>(ContainerBytes(*e_));
  const int64_t delta = after - before_;
  before_ = after;
  return delta;
}

}  // namespace kv
