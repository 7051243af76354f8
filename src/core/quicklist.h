// QuickList: the list container, a sequence of listpack nodes (core/listpack.h), as Redis's.
//
// A list of one node is stored as that listpack alone (OBJECT ENCODING "listpack"); past one
// node the entry points to a QuickList ("quicklist"). Every list operation is written once,
// here: a listpack-encoded list is adopted into a QuickList value for the operation
// (core/list.h does that), so the two encodings cannot drift apart.
//
// Node size follows Redis's list-max-listpack-size (`fill`): negative -1..-5 caps a node at
// 4/8/16/32/64 KB, positive caps its element count (and 8 KB, Redis's safety limit). An element
// larger than the cap gets a node of its own. A node that outgrows the cap after an insert or a
// replace is split in two; nodes that deletions (LREM, LTRIM, LSET shrinking...) leave small are
// merged with a neighbour when the two fit in one node, so a list that shrank does not keep a
// node header and a half-empty allocation per few elements.
//
// Positions (Pos) are node index + byte offset; any change to the list invalidates them, and
// element views (ScalarView) die with the next change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/scalar.h"

namespace kv {

class QuickList {
 public:
  struct Pos {
    size_t node = 0;
    uint32_t off = 0;
  };

  explicit QuickList(int fill) : fill_(fill) {}
  // Takes ownership of one listpack as the only node.
  QuickList(int fill, char* listpack);
  ~QuickList();
  QuickList(QuickList&& o) noexcept;
  QuickList& operator=(QuickList&&) = delete;
  QuickList(const QuickList&) = delete;
  QuickList& operator=(const QuickList&) = delete;

  uint64_t size() const { return count_; }
  size_t node_count() const { return nodes_.size(); }
  // Allocated bytes of the nodes and the node array (not of the QuickList itself).
  size_t memory() const { return bytes_; }
  void set_fill(int fill) { fill_ = fill; }
  // Gives up the only node (node_count() == 1) without freeing it; the list is left empty.
  char* ReleaseSingle();

  void Push(bool front, const ScalarView& v);
  // Position of element `index` (< size()).
  Pos Seek(uint64_t index) const;
  ScalarView Get(Pos p) const;
  // Move to the next / previous element; false (p unchanged) at the end.
  bool Next(Pos* p) const;
  bool Prev(Pos* p) const;
  void Replace(Pos p, const ScalarView& v);
  // Inserts `v` before (or after) the element at `p`.
  void Insert(Pos p, bool after, const ScalarView& v);
  // Removes `n` elements from index `start` (start + n <= size()).
  void EraseRange(uint64_t start, uint64_t n);
  // LREM: removes up to |count| elements whose text is `text` (all when count is 0), from the
  // head (count >= 0) or the tail (count < 0). Returns how many were removed.
  uint64_t RemoveText(std::string_view text, int64_t count);
  // Whether node i and node i - 1 would fit in one node. Never true between two nodes after
  // any operation: pushes open a node only when the end one is full, and inserts, replaces and
  // deletions merge what they leave small.
  bool FitsWithPrevious(size_t i) const;

 private:
  struct Located {
    size_t node = 0;
    uint32_t index = 0;  // within the node
  };
  // The node of element `index` (< size()), found by walking from the nearer end.
  Located Locate(uint64_t index) const;
  uint32_t SizeLimit() const;
  bool Fits(const char* lp, uint32_t extra) const;
  // Stores a node that may have moved, keeping the memory figure right.
  void SetNode(size_t i, char* lp, size_t old_alloc);
  void InsertNode(size_t i, char* lp);
  void DropNode(size_t i);
  void SplitIfNeeded(size_t i);
  // Splits node i if it outgrew the cap, then merges what now fits with its neighbours.
  void SplitAndMerge(size_t i);
  // Merges node i into node i - 1 when both fit in one node; true if it did.
  bool MergeWithPrevious(size_t i);
  // Merges the nodes around a deletion in [first, last] that now fit together.
  void MergeRange(size_t first, size_t last);
  void TrackArray(size_t old_capacity);
  uint64_t RemoveTextUnmerged(std::string_view text, int64_t count);

  std::vector<char*> nodes_;
  uint64_t count_ = 0;
  size_t bytes_ = 0;
  int fill_;
};

}  // namespace kv
