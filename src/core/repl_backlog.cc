#include "core/repl_backlog.h"

#include <algorithm>
#include <cassert>

namespace kv {

ReplBacklog::ReplBacklog(size_t capacity, uint64_t end_offset)
    : buf_(std::max<size_t>(capacity, 1), '\0'), end_(end_offset) {}

void ReplBacklog::Append(std::string_view bytes) {
  end_ += bytes.size();
  const size_t cap = buf_.size();
  if (bytes.size() >= cap) {
    // Only the newest `cap` bytes survive: they fill the ring from its start.
    bytes.remove_prefix(bytes.size() - cap);
    buf_.assign(bytes);
    head_ = 0;
    len_ = cap;
    return;
  }
  const size_t first = std::min(bytes.size(), cap - head_);
  buf_.replace(head_, first, bytes.substr(0, first));
  if (first < bytes.size()) buf_.replace(0, bytes.size() - first, bytes.substr(first));
  head_ = (head_ + bytes.size()) % cap;
  len_ = std::min(cap, len_ + bytes.size());
}

void ReplBacklog::Resize(size_t capacity) {
  capacity = std::max<size_t>(capacity, 1);
  if (capacity == buf_.size()) return;
  std::string kept;
  const size_t keep = std::min(len_, capacity);
  CopyFrom(end_ + 1 - keep, &kept);
  buf_.assign(capacity, '\0');
  const uint64_t end = end_;
  end_ -= keep;
  head_ = 0;
  len_ = 0;
  Append(kept);
  assert(end_ == end);
  (void)end;
}

void ReplBacklog::CopyFrom(uint64_t offset, std::string* out) const {
  assert(Covers(offset));
  size_t n = static_cast<size_t>(end_ + 1 - offset);
  if (n == 0) return;
  const size_t cap = buf_.size();
  // The oldest byte is at head_ - len_ (mod cap); `offset` is that many bytes after it.
  size_t pos = (head_ + cap - len_ + (len_ - n)) % cap;
  const size_t first = std::min(n, cap - pos);
  out->append(buf_, pos, first);
  if (first < n) out->append(buf_, 0, n - first);
}

}  // namespace kv
