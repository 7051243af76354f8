#include "core/keyspace.h"

#include <algorithm>

namespace kv {

Keyspace::Keyspace(std::string name, uint32_t shard_count, bool shard_by_slot)
    : name_(std::move(name)), mask_(shard_count - 1), by_slot_(shard_by_slot) {
  shards_.reserve(shard_count);
  for (uint32_t i = 0; i < shard_count; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->mu().set_gate(&gate_);
    shards_.back()->set_db(&name_);
  }
}

size_t Keyspace::Size() {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu());
    n += s->size();
  }
  return n;
}

size_t Keyspace::VolatileSize() {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu());
    n += s->volatile_size();
  }
  return n;
}

Keyspace::Volatile Keyspace::VolatileStats(int64_t now_ms) {
  Volatile v;
  Int128 sum = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu());
    v.keys += s->volatile_size();
    sum += s->expire_sum();
  }
  if (v.keys > 0) {
    const int64_t mean_at = static_cast<int64_t>(sum / static_cast<Int128>(v.keys));
    v.avg_ttl_ms = std::max<int64_t>(0, mean_at - now_ms);
  }
  return v;
}

void Keyspace::Clear() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mu());
    s->Clear();
  }
}

ShardLocks::ShardLocks(Keyspace* ks, std::vector<uint32_t> indexes)
    : ks_(ks), indexes_(std::move(indexes)) {
  std::sort(indexes_.begin(), indexes_.end());
  indexes_.erase(std::unique(indexes_.begin(), indexes_.end()), indexes_.end());
  for (uint32_t i : indexes_) ks_->shard(i).mu().lock();
}

void ShardLocks::Release() {
  for (auto it = indexes_.rbegin(); it != indexes_.rend(); ++it) ks_->shard(*it).mu().unlock();
  indexes_.clear();
}

Store::Store(uint32_t shard_count, bool shard_by_slot)
    : shard_count_(shard_count), shard_by_slot_(shard_by_slot) {}

Keyspace* Store::Get(std::string_view name) {
  {
    std::shared_lock lock(mu_);
    auto it = by_name_.find(std::string(name));
    if (it != by_name_.end()) return it->second.get();
  }
  std::unique_lock lock(mu_);
  auto& slot = by_name_[std::string(name)];
  if (!slot) {
    slot = std::make_unique<Keyspace>(std::string(name), shard_count_, shard_by_slot_);
    order_.push_back(slot.get());
  }
  return slot.get();
}

std::vector<Keyspace*> Store::All() {
  std::shared_lock lock(mu_);
  return order_;
}

void Store::ClearAll() {
  for (Keyspace* ks : All()) ks->Clear();
}

bool Store::ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '-';
  });
}

StoreFreeze::StoreFreeze(Store& store) : store_(store) {
  store_.mu_.lock_shared();
  spaces_ = store_.order_;
  for (Keyspace* ks : spaces_)
    for (uint32_t i = 0; i < ks->shard_count(); ++i) ks->shard(i).mu().lock();
}

StoreFreeze::~StoreFreeze() {
  for (Keyspace* ks : spaces_)
    for (uint32_t i = ks->shard_count(); i-- > 0;) ks->shard(i).mu().unlock();
  store_.mu_.unlock_shared();
}

}  // namespace kv
