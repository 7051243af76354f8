#include "core/pubsub.h"

#include <algorithm>
#include <mutex>

#include "core/glob.h"

namespace kv {

namespace {
std::atomic<uint32_t>& Counter(PubSubClient& c, SubKind k) {
  return k == SubKind::kChannel ? c.n_channels : k == SubKind::kPattern ? c.n_patterns : c.n_shard;
}
}  // namespace

bool PubSubRegistry::Subscribe(PubSubClient& client, uint64_t id, int loop, SubKind kind,
                               std::string_view name) {
  auto& mine = client.Set(kind);
  // Heterogeneous lookup is C++20 only for transparent hashes; names are short, copy once.
  std::string key(name);
  if (mine.contains(key)) return false;
  {
    std::unique_lock lk(mu_);
    IndexFor(kind)[key].emplace(id, loop);
  }
  if (kind == SubKind::kPattern) client.pattern_order.push_back(key);
  mine.insert(std::move(key));
  Counter(client, kind).store(static_cast<uint32_t>(mine.size()), std::memory_order_relaxed);
  return true;
}

bool PubSubRegistry::Unsubscribe(PubSubClient& client, uint64_t id, SubKind kind,
                                 std::string_view name) {
  auto& mine = client.Set(kind);
  auto it = mine.find(std::string(name));
  if (it == mine.end()) return false;
  {
    std::unique_lock lk(mu_);
    Index& index = IndexFor(kind);
    if (auto s = index.find(*it); s != index.end()) {
      s->second.erase(id);
      // A channel without subscribers is gone from PUBSUB CHANNELS, as in Redis.
      if (s->second.empty()) index.erase(s);
    }
  }
  if (kind == SubKind::kPattern) std::erase(client.pattern_order, *it);
  mine.erase(it);
  Counter(client, kind).store(static_cast<uint32_t>(mine.size()), std::memory_order_relaxed);
  return true;
}

void PubSubRegistry::RemoveClient(PubSubClient& client, uint64_t id) {
  std::unique_lock lk(mu_);
  for (SubKind kind : {SubKind::kChannel, SubKind::kPattern, SubKind::kShard}) {
    Index& index = IndexFor(kind);
    for (const std::string& name : client.Set(kind)) {
      if (auto s = index.find(name); s != index.end()) {
        s->second.erase(id);
        if (s->second.empty()) index.erase(s);
      }
    }
    client.Set(kind).clear();
    client.pattern_order.clear();
    Counter(client, kind).store(0, std::memory_order_relaxed);
  }
}

size_t PubSubRegistry::Collect(std::string_view channel, bool shard,
                               std::vector<PubSubTarget>* out) const {
  const size_t before = out->size();
  std::shared_lock lk(mu_);
  const Index& exact = shard ? shard_ : channels_;
  if (auto it = exact.find(std::string(channel)); it != exact.end())
    for (const auto& [id, loop] : it->second) out->push_back({id, loop, {}, false});
  if (!shard) {
    for (const auto& [pattern, subs] : patterns_) {
      if (!GlobMatch(pattern, channel)) continue;
      for (const auto& [id, loop] : subs) out->push_back({id, loop, pattern, true});
    }
  }
  return out->size() - before;
}

std::vector<std::string> PubSubRegistry::Channels(bool shard,
                                                  std::optional<std::string_view> pattern) const {
  std::shared_lock lk(mu_);
  std::vector<std::string> out;
  for (const auto& [name, subs] : shard ? shard_ : channels_)
    if (!pattern || GlobMatch(*pattern, name)) out.push_back(name);
  return out;
}

size_t PubSubRegistry::NumSub(bool shard, std::string_view channel) const {
  std::shared_lock lk(mu_);
  const Index& index = shard ? shard_ : channels_;
  auto it = index.find(std::string(channel));
  return it == index.end() ? 0 : it->second.size();
}

size_t PubSubRegistry::NumPatterns() const {
  std::shared_lock lk(mu_);
  return patterns_.size();
}

size_t PubSubRegistry::NumChannels(bool shard) const {
  std::shared_lock lk(mu_);
  return (shard ? shard_ : channels_).size();
}

}  // namespace kv
