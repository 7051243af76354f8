#include "commands/blocking.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/command.h"
#include "core/keyspace.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv::blocking {

const char kKeysOwner = 0;

namespace {

struct Waiter {
  uint64_t id;
  int io_thread;
};

// Queues by (shard, kind, key), encoded as one string: the shard's address identifies the
// namespace and never changes while the server runs (it is only compared, never followed).
struct Registry {
  std::mutex mu;  // taken inside shard locks, never the other way round
  std::unordered_map<std::string, std::deque<Waiter>> queues;
};

Registry& Reg() {
  static Registry* r = new Registry;  // outlives the loops that may still release at exit
  return *r;
}

std::atomic<Waker> g_waker{nullptr};
// Queued waiters. A key's waiter is queued and its pusher calls the hook under that key's shard
// lock, so a relaxed read under the lock sees the count that matters; with nobody waiting a
// new list or sorted set costs one load, not the registry's mutex.
std::atomic<size_t> g_waiters{0};

std::string QueueName(const Shard& shard, std::string_view key, ObjType kind) {
  std::string name(sizeof(void*) + 1 + key.size(), '\0');
  const void* p = &shard;
  std::memcpy(name.data(), &p, sizeof p);
  name[sizeof p] = static_cast<char>(kind);
  std::memcpy(name.data() + sizeof p + 1, key.data(), key.size());
  return name;
}

void WakeWaiter(const Waiter& w) { Wake(w.io_thread, w.id); }

void OnKeyReady(Shard& shard, std::string_view key, ObjType type) {
  if (type != ObjType::kList && type != ObjType::kZSet) return;
  if (g_waiters.load(std::memory_order_relaxed) == 0) return;
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  if (r.queues.empty()) return;
  const auto it = r.queues.find(QueueName(shard, key, type));
  if (it != r.queues.end()) WakeWaiter(it->second.front());
}

}  // namespace

void SetWaker(Waker waker) { g_waker.store(waker, std::memory_order_release); }

void Wake(int io_thread, uint64_t client_id) {
  if (Waker w = g_waker.load(std::memory_order_acquire)) w(io_thread, client_id);
}

void Install() { SetKeyReadyListener(&OnKeyReady); }

bool MayServe(const Shard& shard, std::string_view key, ObjType kind, const ClientState& client) {
  if (g_waiters.load(std::memory_order_relaxed) == 0) return true;
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  if (r.queues.empty()) return true;
  const auto it = r.queues.find(QueueName(shard, key, kind));
  return it == r.queues.end() || it->second.front().id == client.id;
}

void Wait(const Shard& shard, std::string_view key, ObjType kind, ClientState& client) {
  std::string name = QueueName(shard, key, kind);
  if (std::find(client.blocked_keys.begin(), client.blocked_keys.end(), name) !=
      client.blocked_keys.end())
    return;
  Registry& r = Reg();
  {
    std::lock_guard lock(r.mu);
    r.queues[name].push_back({client.id, client.io_thread});
    g_waiters.fetch_add(1, std::memory_order_relaxed);
  }
  client.blocked_keys.push_back(std::move(name));
}

void Block(ClientState& client, int64_t now_ms, int64_t timeout_ms) {
  client.block_requested = true;
  if (client.block_deadline_ms == 0)
    client.block_deadline_ms = timeout_ms == 0 ? kForever : now_ms + timeout_ms;
  client.blocked_owner.store(const_cast<char*>(&kKeysOwner), std::memory_order_relaxed);
}

void Release(ClientState& client) {
  if (client.blocked_keys.empty()) return;
  Registry& r = Reg();
  {
    std::lock_guard lock(r.mu);
    for (const std::string& name : client.blocked_keys) {
      const auto it = r.queues.find(name);
      if (it == r.queues.end()) continue;
      std::deque<Waiter>& q = it->second;
      const bool led = !q.empty() && q.front().id == client.id;
      g_waiters.fetch_sub(std::erase_if(q, [&](const Waiter& w) { return w.id == client.id; }),
                          std::memory_order_relaxed);
      if (q.empty()) {
        r.queues.erase(it);
      } else if (led) {
        WakeWaiter(q.front());
      }
    }
  }
  client.blocked_keys.clear();
}

void WakeAll() {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  for (const auto& [name, q] : r.queues) WakeWaiter(q.front());
}

void WaitOnKeyChanges(CommandContext& ctx) {
  ClientState& c = *ctx.client;
  if (c.block_watched.empty()) {
    c.block_watch.owner = &c;
    // Its id and loop never change, so any thread may read them here.
    c.block_watch.on_change = [](void* owner) {
      const auto* client = static_cast<const ClientState*>(owner);
      Wake(client->io_thread, client->id);
    };
  }
  std::vector<size_t> positions;
  ctx.spec->KeyPositions(ctx.args, &positions);
  c.block_wake_at_ms = 0;
  for (size_t pos : positions) {
    const std::string_view key = ctx.args[pos];
    Shard& shard = ctx.ShardFor(key);
    if (shard.Watch(key, &c.block_watch)) c.block_watched.push_back({c.ns, std::string(key)});
    // Read again at every run: the key's holder may have moved its expiry meanwhile.
    if (const Entry* e = shard.Peek(key, ctx.now_ms); e && e->has_expire())
      if (c.block_wake_at_ms == 0 || e->expire_at() < c.block_wake_at_ms)
        c.block_wake_at_ms = e->expire_at();
  }
}

void StopWaitingOnKeyChanges(ClientState& client) {
  for (const WatchedKey& w : client.block_watched) {
    Shard& shard = w.ns->ShardFor(w.key);
    std::lock_guard lock(shard.mu());
    shard.Unwatch(w.key, &client.block_watch);
  }
  client.block_watched.clear();
  client.block_wake_at_ms = 0;
}

}  // namespace kv::blocking
