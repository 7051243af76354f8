#include "commands/server_state.h"

#include "commands/monitor.h"
#include "core/clock.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

namespace kv {

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::string out;
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) out += kHex[rd() & 15];
  return out;
}

void SampledStats::SampleKeyspace(Store& store, int64_t now_ms) {
  if (now_ms - keyspace_at_ms_ < 1000 && keyspace_at_ms_ != 0) return;
  keyspace_at_ms_ = now_ms;
  std::vector<KeyspaceSample> sample;
  for (Keyspace* ks : store.All()) {
    sample.push_back({ks->name(), ks->Size(), ks->VolatileSize()});
  }
  std::lock_guard lock(keyspace_mu_);
  keyspace_ = std::move(sample);
}

void ClientRegistry::Add(ClientState* c) {
  std::lock_guard lock(mu_);
  clients_[c->id] = c;
  count_.store(clients_.size(), std::memory_order_relaxed);
}

void ClientRegistry::Remove(ClientState* c) {
  monitor::Remove(*c);
  std::lock_guard lock(mu_);
  clients_.erase(c->id);
  count_.store(clients_.size(), std::memory_order_relaxed);
}

int ClientRegistry::LoopOf(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(id);
  return it == clients_.end() ? -1 : it->second->io_thread;
}

void ClientRegistry::ForEach(const std::function<void(const ClientState&)>& fn) {
  std::lock_guard lock(mu_);
  std::vector<const ClientState*> sorted;
  sorted.reserve(clients_.size());
  for (const auto& [id, c] : clients_) sorted.push_back(c);
  std::sort(sorted.begin(), sorted.end(),
            [](const ClientState* a, const ClientState* b) { return a->id < b->id; });
  for (const ClientState* c : sorted) fn(*c);
}

ServerState::ServerState(Config& c, Store& s, CommandTable& t)
    : config(c), store(s), commands(t), start_ms(NowMs()), run_id(RandomHex(40)), replication_id(RandomHex(40)) {}

size_t ServerState::Publish(std::string_view channel, std::string_view payload, bool shard) {
  thread_local std::vector<PubSubTarget> targets;
  targets.clear();
  const size_t receivers = pubsub.Collect(channel, shard, &targets);
  if (receivers == 0 || !deliver_pubsub) return receivers;
  auto msg = std::make_shared<PubSubMessage>(
      PubSubMessage{shard, std::string(channel), std::string(payload)});
  // One hand-off per loop; stable, so a client subscribed to the channel and to a matching
  // pattern gets `message` before `pmessage`, as in Redis. With one I/O thread the targets are
  // already in order, and stable_sort would still allocate its buffer on every PUBLISH.
  auto by_loop = [](const PubSubTarget& a, const PubSubTarget& b) { return a.loop < b.loop; };
  if (!std::is_sorted(targets.begin(), targets.end(), by_loop))
    std::stable_sort(targets.begin(), targets.end(), by_loop);
  for (auto first = targets.begin(); first != targets.end();) {
    auto last = std::find_if(first, targets.end(),
                             [&](const PubSubTarget& t) { return t.loop != first->loop; });
    deliver_pubsub(first->loop, msg, std::span<const PubSubTarget>(first, last));
    first = last;
  }
  return receivers;
}

}  // namespace kv
