// A list value in an entry, opened for one operation whatever its encoding.
//
// A list is a listpack (one node, the entry points at it) or a QuickList (the entry points at
// it). ListRef lends the caller a QuickList either way: a listpack is adopted as the only node
// for the operation, and Commit() puts the result back, promoting the entry to the quicklist
// encoding once it has more than one node (one way, as in Redis). The entry's bytes change in
// place (encoding byte and pointer), so entry pointers stay valid.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/entry.h"
#include "core/quicklist.h"

namespace kv {

class ListRef {
 public:
  // `e` must hold a list (TypeOf(*e) == ObjType::kList and IsContainer). Nodes follow the
  // current list-max-listpack-size.
  explicit ListRef(Entry* e);
  ~ListRef();
  ListRef(const ListRef&) = delete;
  ListRef& operator=(const ListRef&) = delete;

  QuickList& operator*() { return *q_; }
  QuickList* operator->() { return q_; }
  const QuickList* operator->() const { return q_; }

  // After a change: stores the list back into the entry and returns how many container bytes
  // it grew by (negative: shrank), for the shard's memory accounting. An emptied list leaves
  // a valid (empty) container behind for the caller to delete with its key.
  int64_t Commit();

 private:
  Entry* e_;
  std::optional<QuickList> local_;  // the adopted listpack's list
  QuickList* q_;
  int64_t before_;
};

// A new, empty list container for `e`'s slot: the encoding byte and pointer to store.
struct NewContainer {
  uint8_t encoding;
  void* ptr;
};
NewContainer NewList();

}  // namespace kv
