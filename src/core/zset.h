// Sorted-set containers and the one view command handlers use on either of them.
//
// A small sorted set is one listpack (core/listpack.h) of member, score pairs sorted by
// (score, member): the member a Bytes element, the score a Float element (OBJECT ENCODING
// "listpack"). A large one is a ZSetTree: a skip list whose links carry spans (so rank queries
// and rank lookups are O(log n), as Redis's zskiplist) plus a member -> score index, the
// engine's own Table holding one Entry per member (the member is the entry's key, the Float
// score its value; the skip list nodes point at those entries, so a member is stored once).
// OBJECT ENCODING says "skiplist", as Redis does.
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
#include "core/table.h"

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

class ZSetTree {
 public:
  struct Node;
  ZSetTree();
  ~ZSetTree();
  ZSetTree(const ZSetTree&) = delete;
  ZSetTree& operator=(const ZSetTree&) = delete;

  uint64_t size() const { return length_; }
  // Allocated bytes of nodes, member entries and the index's slots (not of the object itself).
  size_t memory() const { return bytes_ + dict_.memory_bytes(); }

  std::optional<double> Score(std::string_view member) const;
  // Adds a member that is not present.
  void Insert(std::string_view member, double score);
  // Removes a member; false when absent.
  bool Erase(std::string_view member);
  // 0-based rank of a present member.
  uint64_t Rank(std::string_view member, double score) const;
  // The node at 0-based rank (< size()).
  Node* At(uint64_t rank) const;
  // How many elements sort before the boundary.
  uint64_t CountBefore(const ZBound& b) const;
  static ZItem Item(const Node* n);
  static Node* Next(const Node* n);
  static Node* Prev(const Node* n);

  // One SCAN step over the member index: fn(member, score).
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    return dict_.Scan(cursor, [&](Entry* e) { fn(e->key(), e->value().d); });
  }

 private:
  static constexpr int kMaxLevel = 32;
  Node* NewNode(int level, double score, Entry* ent);
  void FreeNode(Node* n);
  void DeleteNode(Node* x, Node** update);

  Node* header_;
  Node* tail_ = nullptr;
  uint64_t length_ = 0;
  int level_ = 1;
  size_t bytes_ = 0;
  Table dict_;
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
  void Prev(Cursor* c) const;
  // Visits n elements from `start` toward the end (or toward the head when `reverse`).
  template <typename Fn>
  void Walk(uint64_t start, uint64_t n, bool reverse, Fn&& fn) const {
    if (n == 0) return;
    Cursor c = Seek(start);
    for (uint64_t i = 0; i < n; ++i) {
      fn(Get(c));
      if (i + 1 < n) reverse ? Prev(&c) : Next(&c);
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
