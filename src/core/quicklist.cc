#include "core/quicklist.h"

#include <algorithm>
#include <utility>

#include "core/listpack.h"

namespace kv {

namespace {
// Redis's SIZE_SAFETY_LIMIT: the byte cap of a node when list-max-listpack-size counts entries.
constexpr uint32_t kSafetyLimit = 8192;
}  // namespace

QuickList::QuickList(int fill, char* listpack) : fill_(fill) {
  nodes_.push_back(listpack);
  count_ = listpack::Count(listpack);
  bytes_ = listpack::AllocSize(listpack) + nodes_.capacity() * sizeof(char*);
}

QuickList::~QuickList() {
  for (char* lp : nodes_) listpack::Free(lp);
}

QuickList::QuickList(QuickList&& o) noexcept
    : nodes_(std::move(o.nodes_)), count_(o.count_), bytes_(o.bytes_), fill_(o.fill_) {
  o.nodes_.clear();
  o.count_ = 0;
  o.bytes_ = 0;
}

char* QuickList::ReleaseSingle() {
  char* lp = nodes_.front();
  nodes_.clear();
  count_ = 0;
  bytes_ = 0;
  return lp;
}

uint32_t QuickList::SizeLimit() const {
  if (fill_ >= 0) return kSafetyLimit;
  const int shift = fill_ < -5 ? 4 : -fill_ - 1;
  return 4096u << shift;
}

bool QuickList::Fits(const char* lp, uint32_t extra) const {
  const uint32_t count = listpack::Count(lp);
  if (count == 0) return true;
  if (fill_ > 0 && count >= static_cast<uint32_t>(fill_)) return false;
  return static_cast<uint64_t>(listpack::Bytes(lp)) + extra <= SizeLimit();
}

void QuickList::TrackArray(size_t old_capacity) {
  bytes_ += (nodes_.capacity() - old_capacity) * sizeof(char*);
}

void QuickList::SetNode(size_t i, char* lp, size_t old_alloc) {
  nodes_[i] = lp;
  bytes_ += listpack::AllocSize(lp);
  bytes_ -= old_alloc;
}

void QuickList::InsertNode(size_t i, char* lp) {
  const size_t cap = nodes_.capacity();
  nodes_.insert(nodes_.begin() + static_cast<std::ptrdiff_t>(i), lp);
  TrackArray(cap);
  bytes_ += listpack::AllocSize(lp);
}

void QuickList::DropNode(size_t i) {
  bytes_ -= listpack::AllocSize(nodes_[i]);
  listpack::Free(nodes_[i]);
  nodes_.erase(nodes_.begin() + static_cast<std::ptrdiff_t>(i));
}

void QuickList::Push(bool front, const ScalarView& v) {
  const uint32_t size = listpack::ElementSize(v);
  size_t i = front ? 0 : nodes_.size() - 1;
  if (nodes_.empty() || !Fits(nodes_[i], size)) {
    i = front ? 0 : nodes_.size();
    InsertNode(i, listpack::New());
  }
  char* lp = nodes_[i];
  const size_t old = listpack::AllocSize(lp);
  SetNode(i, listpack::Insert(lp, front ? listpack::kHeader : listpack::Bytes(lp), v), old);
  ++count_;
}

QuickList::Located QuickList::Locate(uint64_t index) const {
  if (index < count_ / 2) {
    for (size_t i = 0;; ++i) {
      const uint32_t n = listpack::Count(nodes_[i]);
      if (index < n) return {i, static_cast<uint32_t>(index)};
      index -= n;
    }
  }
  uint64_t from_end = count_ - 1 - index;
  for (size_t i = nodes_.size(); i-- > 0;) {
    const uint32_t n = listpack::Count(nodes_[i]);
    if (from_end < n) return {i, static_cast<uint32_t>(n - 1 - from_end)};
    from_end -= n;
  }
  return {};  // unreachable for index < size()
}

QuickList::Pos QuickList::Seek(uint64_t index) const {
  const Located at = Locate(index);
  return {at.node, listpack::Seek(nodes_[at.node], at.index)};
}

ScalarView QuickList::Get(Pos p) const { return listpack::Get(nodes_[p.node], p.off); }

bool QuickList::Next(Pos* p) const {
  const uint32_t off = listpack::Next(nodes_[p->node], p->off);
  if (off < listpack::Bytes(nodes_[p->node])) {
    p->off = off;
    return true;
  }
  if (p->node + 1 >= nodes_.size()) return false;
  *p = {p->node + 1, listpack::kHeader};
  return true;
}

bool QuickList::Prev(Pos* p) const {
  const uint32_t off = listpack::Prev(nodes_[p->node], p->off);
  if (off != 0) {
    p->off = off;
    return true;
  }
  if (p->node == 0) return false;
  *p = {p->node - 1, listpack::Last(nodes_[p->node - 1])};
  return true;
}

void QuickList::SplitIfNeeded(size_t i) {
  char* lp = nodes_[i];
  const uint32_t count = listpack::Count(lp);
  if (count < 2) return;
  if (listpack::Bytes(lp) <= SizeLimit() && (fill_ <= 0 || count <= static_cast<uint32_t>(fill_)))
    return;
  const uint32_t keep = count / 2;
  const uint32_t mid = listpack::Seek(lp, keep);
  char* tail = listpack::Slice(lp, mid, listpack::Bytes(lp), count - keep);
  const size_t old = listpack::AllocSize(lp);
  SetNode(i, listpack::Erase(lp, mid, count - keep), old);
  InsertNode(i + 1, tail);
  // Halves of a node that held a huge element may still be over the cap.
  SplitIfNeeded(i + 1);
  SplitIfNeeded(i);
}

bool QuickList::FitsWithPrevious(size_t i) const {
  if (i == 0 || i >= nodes_.size()) return false;
  const char* prev = nodes_[i - 1];
  const char* next = nodes_[i];
  if (fill_ > 0 && listpack::Count(prev) + listpack::Count(next) > static_cast<uint32_t>(fill_))
    return false;
  return static_cast<uint64_t>(listpack::Bytes(prev)) + listpack::Bytes(next) -
             listpack::kHeader <=
         SizeLimit();
}

bool QuickList::MergeWithPrevious(size_t i) {
  if (!FitsWithPrevious(i)) return false;
  char* prev = nodes_[i - 1];
  const size_t old = listpack::AllocSize(prev);
  SetNode(i - 1, listpack::Append(prev, nodes_[i]), old);
  DropNode(i);
  return true;
}

void QuickList::MergeRange(size_t first, size_t last) {
  // From the right, so that the indexes still to visit do not move; node `last + 1` and node
  // `first - 1` are the deletion's neighbours.
  for (size_t i = std::min(last + 1, nodes_.size() - 1); i >= first && i > 0; --i)
    MergeWithPrevious(i);
}

void QuickList::SplitAndMerge(size_t i) {
  const size_t before = nodes_.size();
  SplitIfNeeded(i);
  // Halves never fit together, but an outer one may fit with its neighbour (a split by count
  // can leave a half of small elements), as may a node that shrank.
  MergeRange(i, i + (nodes_.size() - before));
}

void QuickList::Replace(Pos p, const ScalarView& v) {
  char* lp = nodes_[p.node];
  const size_t old = listpack::AllocSize(lp);
  SetNode(p.node, listpack::Replace(lp, p.off, v), old);
  SplitAndMerge(p.node);
}

void QuickList::Insert(Pos p, bool after, const ScalarView& v) {
  char* lp = nodes_[p.node];
  const uint32_t at = after ? listpack::Next(lp, p.off) : p.off;
  const size_t old = listpack::AllocSize(lp);
  SetNode(p.node, listpack::Insert(lp, at, v), old);
  ++count_;
  SplitAndMerge(p.node);
}

void QuickList::EraseRange(uint64_t start, uint64_t n) {
  if (n == 0) return;
  // From the nearer end: RPOP of a long list would otherwise read every node's header.
  const Located at = Locate(start);
  size_t i = at.node;
  start = at.index;
  const size_t first = i;
  count_ -= n;
  while (n > 0) {
    char* lp = nodes_[i];
    const uint32_t in_node = listpack::Count(lp);
    const uint64_t k = std::min<uint64_t>(n, in_node - start);
    n -= k;
    if (start == 0 && k == in_node) {
      DropNode(i);
      continue;
    }
    const size_t old = listpack::AllocSize(lp);
    SetNode(i, listpack::Erase(lp, listpack::Seek(lp, static_cast<uint32_t>(start)),
                               static_cast<uint32_t>(k)),
            old);
    start = 0;
    ++i;
  }
  if (!nodes_.empty()) MergeRange(first, std::min(i, nodes_.size() - 1));
}

uint64_t QuickList::RemoveText(std::string_view text, int64_t count) {
  const uint64_t removed = RemoveTextUnmerged(text, count);
  if (removed > 0 && !nodes_.empty()) MergeRange(0, nodes_.size() - 1);
  return removed;
}

uint64_t QuickList::RemoveTextUnmerged(std::string_view text, int64_t count) {
  const uint64_t limit = count == 0 ? UINT64_MAX
                                    : count > 0 ? static_cast<uint64_t>(count)
                                                : static_cast<uint64_t>(-(count + 1)) + 1;
  uint64_t removed = 0;
  auto erase_at = [&](size_t i, uint32_t off) {
    char* lp = nodes_[i];
    const size_t old = listpack::AllocSize(lp);
    SetNode(i, listpack::Erase(lp, off, 1), old);
    ++removed;
    --count_;
  };
  if (count >= 0) {
    for (size_t i = 0; i < nodes_.size() && removed < limit;) {
      uint32_t off = listpack::kHeader;
      while (removed < limit && off < listpack::Bytes(nodes_[i])) {
        if (listpack::TextEquals(nodes_[i], off, text))
          erase_at(i, off);  // the next element now starts at `off`
        else
          off = listpack::Next(nodes_[i], off);
      }
      if (listpack::Count(nodes_[i]) == 0)
        DropNode(i);
      else
        ++i;
    }
    return removed;
  }
  for (size_t i = nodes_.size(); i-- > 0 && removed < limit;) {
    uint32_t off = listpack::Count(nodes_[i]) ? listpack::Last(nodes_[i]) : 0;
    while (removed < limit && off != 0) {
      // The element before `off` does not move when the one at `off` goes.
      const uint32_t prev = listpack::Prev(nodes_[i], off);
      if (listpack::TextEquals(nodes_[i], off, text)) erase_at(i, off);
      off = prev;
    }
    if (listpack::Count(nodes_[i]) == 0) DropNode(i);
  }
  return removed;
}

}  // namespace kv
