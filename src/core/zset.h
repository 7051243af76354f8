// Sorted-set containers and the one view command handlers use on either of them.
//
// A small sorted set is one listpack (core/listpack.h) of member, score pairs sorted by
// (score, member): the member a Bytes element, the score a Float element (OBJECT ENCODING
// "listpack"). A large one is a ZSetTree: a skip list whose links carry spans (so rank queries
// and rank lookups are O(log n), as Redis's zskiplist) plus a member -> node index; each member
// is stored once, in its node. OBJECT ENCODING says "skiplist", as Redis does.
//
// ZSetRef opens a sorted set held by an entry for one operation. Conversion to the tree happens
// past zset-max-listpack-entries / -value (core/object.h EncodingLimits), one way, as in Redis.
// Members are compared as bytes (memcmp order); ranks are 0-based, ascending by (score, member).
// Views of members die with the next change to the set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/entry.h"
#include "core/list.h"
#include "core/scan_cursor.h"

namespace kv {

struct ZItem {
  std::string_view member;
  double score;
};

// An order boundary for counting: Before(score, member) is true for every element that sorts
// before the boundary, and once false stays false along the order.
struct ZBound {
  enum Kind : uint8_t { kScoreLess, kScoreLessEq, kLexLess, kLexLessEq };
  Kind kind;
  double score = 0;
  std::string_view member;
  bool Before(double s, std::string_view m) const {
    switch (kind) {
      case kScoreLess:
        return s < score;
      case kScoreLessEq:
        return s <= score;
      case kLexLess:
        return m < member;
      case kLexLessEq:
        return m <= member;
    }
    return false;
  }
};

// The large encoding. Each member is one allocation holding its score, its level links and its
// bytes: [forward0 8][score 8][levels 1][(levels-1) x (forward 8, span 4)][varint len][member]
// (a level-0 link always spans one node, so it keeps no span). There are no back links: a
// reverse walk goes forward in chunks (ZSetRef::Walk). The member index is an open-addressing
// table of node pointers, linear probing, holding no copy of the member: a slot is the node's
// address with the top 16 bits of the member's hash in its unused top 16 bits, so most
// mismatches are told apart without visiting the node. For 13-byte members a member costs about
// 37 B of node and 8-17 B of index (docs/benchmarks.md), against a full engine Entry per member
// before. Spans are 32-bit: a set holds at most 2^32 - 1 members (hundreds of GB of nodes).
class ZSetTree {
 public:
  struct Node;  // opaque: the layout above
  ZSetTree();
  ~ZSetTree();
  ZSetTree(const ZSetTree&) = delete;
  ZSetTree& operator=(const ZSetTree&) = delete;

  uint64_t size() const { return length_; }
  // Allocated bytes of nodes and the index's slots (not of the object itself).
  size_t memory() const { return bytes_; }
  // memory() recounted from the allocations (tests check the running figure against it).
  size_t CountMemory() const;

  std::optional<double> Score(std::string_view member) const;
  // Adds `member` or moves it to `score`; true when it was added.
  bool Set(std::string_view member, double score);
  // Removes a member; false when absent.
  bool Erase(std::string_view member);
  // Removes `n` elements from rank `start` (start + n <= size()).
  void EraseRange(uint64_t start, uint64_t n);
  // 0-based rank, or nullopt for a missing member.
  std::optional<uint64_t> Rank(std::string_view member) const;
  // The node at 0-based rank (< size()).
  Node* At(uint64_t rank) const;
  // How many elements sort before the boundary.
  uint64_t CountBefore(const ZBound& b) const;
  static ZItem Item(const Node* n);
  static Node* Next(const Node* n);

  // One SCAN step: fn(member, score) for the members whose home slot is `cursor` (masked), the
  // cursor walked in reverse-binary order as Redis's dictScan, so a member present for a whole
  // scan is returned at least once across resizes. Returns the next cursor, 0 at the end.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    if (cap_ == 0) return 0;
    const uint64_t mask = cap_ - 1;
    // Members of one home slot lie in the run of full slots that starts there.
    for (uint64_t i = cursor & mask; slots_[i] != 0; i = (i + 1) & mask) {
      const Node* n = SlotNode(slots_[i]);
      if ((HashOf(n) & mask) == (cursor & mask)) {
        const ZItem it = Item(n);
        fn(it.member, it.score);
      }
    }
    return NextScanCursor(cursor, mask);
  }

 private:
  static constexpr int kMaxLevel = 32;
  static Node* SlotNode(uint64_t slot) { return reinterpret_cast<Node*>(slot & kPtrMask); }
  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static uint64_t HashOf(const Node* n);

  Node* NewNode(int level, double score, std::string_view member);
  void FreeNode(Node* n);
  // Fills update[] (and rank[] when given) with the last node before (score, member) per level.
  void Search(double score, std::string_view member, Node** update, uint64_t* rank) const;
  // Links a node not in the list at its place; Unlink takes it out (update[] from Search).
  void Link(Node* x);
  void Unlink(Node* x, Node** update);

  // The member index.
  int64_t FindSlot(std::string_view member, uint64_t hash) const;
  int64_t FindSlotOf(const Node* n) const;
  void IndexAdd(Node* n, uint64_t hash);
  void IndexRemoveAt(uint64_t slot);
  void Resize(uint64_t cap);

  Node* header_;
  uint64_t length_ = 0;
  int level_ = 1;
  size_t bytes_ = 0;
  uint64_t* slots_ = nullptr;
  uint64_t cap_ = 0;  // 0 or a power of two
};

class ZSetRef {
 public:
  // `e` must hold a sorted set (kZSetPack or kZSetTree).
  explicit ZSetRef(Entry* e);
  ZSetRef(const ZSetRef&) = delete;
  ZSetRef& operator=(const ZSetRef&) = delete;

  bool is_pack() const { return tree_ == nullptr; }
  uint64_t size() const;
  std::optional<double> Score(std::string_view member) const;
  // Adds `member` or moves it to `score`; true when it was added. Converts to the tree past
  // the thresholds.
  bool Set(std::string_view member, double score);
  bool Erase(std::string_view member);
  // 0-based ascending rank, or nullopt for a missing member.
  std::optional<uint64_t> Rank(std::string_view member) const;
  uint64_t CountBefore(const ZBound& b) const;
  // Removes `n` elements from rank `start`.
  void EraseRange(uint64_t start, uint64_t n);

  // A position for walking the set; Get's member view dies with the next change.
  struct Cursor {
    uint32_t off = 0;
    ZSetTree::Node* node = nullptr;
  };
  Cursor Seek(uint64_t rank) const;  // rank < size()
  ZItem Get(Cursor c) const;
  void Next(Cursor* c) const;
  // Visits n elements from `start` toward the end (or toward the head when `reverse`).
  template <typename Fn>
  void Walk(uint64_t start, uint64_t n, bool reverse, Fn&& fn) const {
    if (n == 0) return;
    if (reverse && tree_) {
      // The tree has no back links: walk forward a chunk at a time from the far end, each
      // chunk visited backward (one O(log n) seek per chunk).
      constexpr uint64_t kChunk = 64;
      ZSetTree::Node* chunk[kChunk];
      const uint64_t lo = start + 1 - n;
      for (uint64_t hi = start + 1; hi > lo;) {
        const uint64_t from = hi - lo > kChunk ? hi - kChunk : lo;
        uint64_t k = 0;
        for (ZSetTree::Node* x = tree_->At(from);; x = ZSetTree::Next(x)) {
          chunk[k++] = x;
          if (k == hi - from) break;
        }
        while (k > 0) fn(ZSetTree::Item(chunk[--k]));
        hi = from;
      }
      return;
    }
    Cursor c = Seek(start);
    for (uint64_t i = 0; i < n; ++i) {
      fn(Get(c));
      if (i + 1 < n) reverse ? PrevInPack(&c) : Next(&c);
    }
  }

  ZSetTree* tree() const { return tree_; }
  // Makes a pack a tree now, whatever its size (Redis's SORT converts the set it sorts, so
  // OBJECT ENCODING and a later -0 score read as there). No-op for a tree.
  void ForceTree() {
    if (!tree_) ConvertToTree();
  }
  // After a change: the container bytes' growth (negative: shrank) for the shard's accounting.
  int64_t Commit();

 private:
  char* lp() const { return static_cast<char*>(e_->container()); }
  // Offset of member's pair in the pack, or 0.
  uint32_t FindInPack(std::string_view member) const;
  void PrevInPack(Cursor* c) const;
  void ConvertToTree();

  Entry* e_;
  ZSetTree* tree_ = nullptr;
  int64_t before_;
};

// A new, empty sorted set: a listpack, or the tree directly when `big` (Redis's zsetTypeCreate
// with a size hint past the thresholds).
NewContainer NewZSet(bool big);
// A sorted set built from its persisted form, a valid encoded List of [member Bytes, score
// Float] pairs (a snapshot's type 7), in the encoding the thresholds pick.
NewContainer ZSetFromEncoded(std::string_view encoded);
// Whether a set of `count` elements with members up to `max_len` bytes needs the tree.
bool ZSetNeedsTree(uint64_t count, size_t max_len);

}  // namespace kv
