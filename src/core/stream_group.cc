// Consumer groups of a stream (core/stream.h) and the read-counter rules of Redis 7.0
// (t_stream.c: streamEstimateDistanceFromFirstEverEntry, streamRangeHasTombstones, the lag
// of XINFO GROUPS and the counter XREADGROUP advances).
#include <cstring>
#include <utility>

#include "core/stream.h"

namespace kv {

namespace {
// Ordered-map nodes as the allocator sizes them: a group PEL entry (ID + StreamPending), a
// consumer PEL entry (ID + pointer), a consumer (name + StreamConsumer), a group.
constexpr size_t kPelNodeBytes = 80;
constexpr size_t kConsumerPelNodeBytes = 64;
constexpr size_t kConsumerNodeBytes = 160;
constexpr size_t kGroupNodeBytes = 192;
// std::string keeps up to 15 bytes in place.
size_t HeapName(std::string_view name) { return name.size() > 15 ? name.size() + 1 : 0; }

// Inserts id -> value unless id is there. New deliveries come in ID order: one above every
// key goes in at the end without a search from the root (a big PEL's tree descent misses the
// cache at every level).
template <typename Map, typename V>
std::pair<typename Map::iterator, bool> EmplaceInOrder(Map& m, StreamID id, V&& value) {
  if (m.empty() || m.rbegin()->first < id)
    return {m.emplace_hint(m.end(), id, std::forward<V>(value)), true};
  return m.try_emplace(id, std::forward<V>(value));
}
}  // namespace

StreamConsumer* StreamGroup::FindConsumer(std::string_view name) {
  auto it = consumers_.find(name);
  return it == consumers_.end() ? nullptr : &it->second;
}

StreamConsumer& StreamGroup::CreateConsumer(std::string_view name, int64_t now_ms,
                                            bool* created) {
  auto [it, inserted] = consumers_.try_emplace(std::string(name));
  *created = inserted;
  if (inserted) {
    it->second.name = it->first;
    it->second.seen_time_ms = now_ms;
    name_bytes_ += 2 * HeapName(name);
  }
  return it->second;
}

std::optional<uint64_t> StreamGroup::DeleteConsumer(std::string_view name) {
  auto it = consumers_.find(name);
  if (it == consumers_.end()) return std::nullopt;
  const uint64_t pending = it->second.pel.size();
  for (const auto& [id, p] : it->second.pel) pel_.erase(id);
  name_bytes_ -= 2 * HeapName(name);
  consumers_.erase(it);
  return pending;
}

StreamPending* StreamGroup::FindPending(StreamID id) {
  auto it = pel_.find(id);
  return it == pel_.end() ? nullptr : &it->second;
}

StreamPending& StreamGroup::AddPending(StreamID id, StreamConsumer& c, int64_t delivery_time_ms,
                                       uint64_t delivery_count) {
  auto [it, inserted] = EmplaceInOrder(pel_, id, StreamPending{});
  StreamPending& p = it->second;
  if (!inserted) p.consumer->pel.erase(id);
  p.consumer = &c;
  p.delivery_time_ms = delivery_time_ms;
  p.delivery_count = delivery_count;
  EmplaceInOrder(c.pel, id, &p);
  return p;
}

StreamPending& StreamGroup::DeliverNew(StreamID id, StreamConsumer& c, int64_t now_ms) {
  return AddPending(id, c, now_ms, 1);
}

void StreamGroup::Assign(StreamID id, StreamPending& p, StreamConsumer& c) {
  if (p.consumer == &c) return;
  p.consumer->pel.erase(id);
  p.consumer = &c;
  EmplaceInOrder(c.pel, id, &p);
}

bool StreamGroup::Ack(StreamID id) {
  auto it = pel_.find(id);
  if (it == pel_.end()) return false;
  it->second.consumer->pel.erase(id);
  pel_.erase(it);
  return true;
}

size_t StreamGroup::memory() const {
  return kGroupNodeBytes + name_bytes_ + pel_.size() * (kPelNodeBytes + kConsumerPelNodeBytes) +
         consumers_.size() * kConsumerNodeBytes;
}

StreamGroup* Stream::FindGroup(std::string_view name) {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

StreamGroup* Stream::CreateGroup(std::string_view name, StreamID last_id, int64_t entries_read) {
  auto [it, inserted] = groups_.try_emplace(std::string(name), last_id, entries_read);
  return inserted ? &it->second : nullptr;
}

bool Stream::DestroyGroup(std::string_view name) {
  auto it = groups_.find(name);
  if (it == groups_.end()) return false;
  groups_.erase(it);
  return true;
}

int64_t Stream::EstimateDistanceFromFirstEverEntry(StreamID id) const {
  // A stream that never had an entry: every counter is 0.
  if (entries_added_ == 0) return 0;
  // An empty stream: up to its last ID, the counter is everything ever added.
  if (length_ == 0 && id <= last_id_) return static_cast<int64_t>(entries_added_);
  if (id == last_id_) return static_cast<int64_t>(entries_added_);
  if (id > last_id_) return StreamGroup::kInvalidEntriesRead;
  // Without a tombstone past the first entry, counting back from the first is exact.
  if (max_deleted_id_.IsZero() || max_deleted_id_ < first_id_) {
    if (id < first_id_) return static_cast<int64_t>(entries_added_ - length_);
    if (id == first_id_) return static_cast<int64_t>(entries_added_ - length_ + 1);
  }
  return StreamGroup::kInvalidEntriesRead;
}

bool Stream::RangeHasTombstones(const StreamID* start, const StreamID* end) const {
  if (length_ == 0 || max_deleted_id_.IsZero()) return false;
  if (first_id_ > max_deleted_id_) return false;
  const StreamID from = start ? *start : StreamID{0, 0};
  const StreamID to = end ? *end : StreamID::Max();
  return from <= max_deleted_id_ && max_deleted_id_ <= to;
}

std::optional<int64_t> Stream::Lag(const StreamGroup& g) const {
  if (entries_added_ == 0) return 0;
  if (g.entries_read != StreamGroup::kInvalidEntriesRead &&
      !RangeHasTombstones(&g.last_id, nullptr))
    return static_cast<int64_t>(entries_added_) - g.entries_read;
  const int64_t read = EstimateDistanceFromFirstEverEntry(g.last_id);
  if (read == StreamGroup::kInvalidEntriesRead) return std::nullopt;
  return static_cast<int64_t>(entries_added_) - read;
}

void Stream::AdvanceGroup(StreamGroup& g, StreamID id) const {
  if (id <= g.last_id) return;
  if (g.entries_read != StreamGroup::kInvalidEntriesRead && !RangeHasTombstones(&id, nullptr)) {
    ++g.entries_read;
  } else if (entries_added_ != 0) {
    g.entries_read = EstimateDistanceFromFirstEverEntry(id);
  }
  g.last_id = id;
}

}  // namespace kv
