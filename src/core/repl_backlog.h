// The replication backlog: the last `capacity` bytes of the replication stream, in a ring, so a
// replica that lost its link for a short while can continue from its offset (PSYNC +CONTINUE)
// instead of a full sync. Offsets are Redis's: the stream's bytes are numbered from 1, and
// end_offset() is the offset of the last byte written (master_repl_offset).
//
// Not thread-safe: the replication source guards it with its mutex.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

class ReplBacklog {
 public:
  // An empty backlog whose next byte will have offset `end_offset + 1`.
  ReplBacklog(size_t capacity, uint64_t end_offset);

  void Append(std::string_view bytes);
  // Changes the capacity (CONFIG SET repl-backlog-size), keeping the newest bytes that fit.
  void Resize(size_t capacity);

  size_t capacity() const { return buf_.size(); }
  uint64_t end_offset() const { return end_; }
  size_t histlen() const { return len_; }
  // Offset of the oldest byte held (end_offset() + 1 when empty).
  uint64_t first_offset() const { return end_ + 1 - len_; }
  // Whether a replica that needs `offset` next (its own offset + 1) can continue from here:
  // the bytes from `offset` to the end are all held (offset == end_offset() + 1: nothing to send).
  bool Covers(uint64_t offset) const { return offset >= first_offset() && offset <= end_ + 1; }
  // Appends the bytes from `offset` to the end to *out. Requires Covers(offset).
  void CopyFrom(uint64_t offset, std::string* out) const;

 private:
  std::string buf_;
  size_t head_ = 0;  // where the next byte goes
  size_t len_ = 0;   // bytes held (at most capacity)
  uint64_t end_ = 0;
};

}  // namespace kv
