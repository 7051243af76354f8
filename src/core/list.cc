#include "core/list.h"

#include "core/listpack.h"
#include "core/object.h"

namespace kv {

ListRef::ListRef(Entry* e) : e_(e), before_(static_cast<int64_t>(ContainerBytes(*e))) {
  const int fill =
      static_cast<int>(GlobalEncodingLimits().list_max_listpack_size.load(std::memory_order_relaxed));
  if (Is(*e, Encoding::kQuickList)) {
    q_ = static_cast<QuickList*>(e->container());
    q_->set_fill(fill);
  } else {
    local_.emplace(fill, static_cast<char*>(e->container()));
    q_ = &*local_;
  }
}

ListRef::~ListRef() {
  // Read-only use never committed: the listpack still belongs to the entry.
  if (local_ && local_->node_count() == 1) local_->ReleaseSingle();
}

int64_t ListRef::Commit() {
  if (local_) {
    if (local_->node_count() == 1) {
      e_->set_container(local_->ReleaseSingle());
    } else if (local_->node_count() == 0) {
      // The last node was freed with its last element; the entry still needs a container.
      e_->set_container(listpack::New());
    } else {
      q_ = new QuickList(std::move(*local_));
      local_.reset();
      e_->set_encoding(static_cast<uint8_t>(Encoding::kQuickList));
      e_->set_container(q_);
    }
  }
  const int64_t after = static_cast<int64_t>(ContainerBytes(*e_));
  const int64_t delta = after - before_;
  before_ = after;
  return delta;
}

NewContainer NewList() {
  return {static_cast<uint8_t>(Encoding::kListPack), listpack::New()};
}

}  // namespace kv
