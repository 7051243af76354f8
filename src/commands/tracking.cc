#include "commands/tracking.h"

#include <fmt/format.h>

#include <atomic>
#include <mutex>

#include "commands/command.h"
#include "core/reply_builder.h"
#include "core/shard.h"

namespace kv::tracking {

namespace {
// Redis's stringCheckPrefix: one is a prefix of the other (equal ones included).
bool Overlap(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}
}  // namespace

void Table::Enable(uint64_t id, int loop, uint64_t redirect, uint32_t flags,
                   std::span<const std::string_view> prefixes) {
  Client& c = clients_[id];
  c.flags = kOn | (flags & (kBcast | kOptIn | kOptOut | kNoLoop));
  c.redirect = redirect;
  c.loop = loop;
  if ((flags & kBcast) == 0) return;
  auto add = [&](std::string_view p) {
    if (!c.prefixes.emplace(p).second) return;
    auto it = prefixes_.find(p);
    if (it == prefixes_.end()) it = prefixes_.emplace(std::string(p), Prefix{}).first;
    it->second.clients.insert(id);
  };
  if (prefixes.empty()) add("");
  for (std::string_view p : prefixes) add(p);
}

void Table::Disable(uint64_t id) {
  const auto it = clients_.find(id);
  if (it == clients_.end()) return;
  for (const std::string& p : it->second.prefixes) {
    const auto pit = prefixes_.find(p);
    if (pit == prefixes_.end()) continue;
    pit->second.clients.erase(id);
    if (pit->second.clients.empty()) prefixes_.erase(pit);
  }
  clients_.erase(it);
}

const Table::Client* Table::Find(uint64_t id) const {
  const auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : &it->second;
}

std::string Table::PrefixCollision(uint64_t id, std::span<const std::string_view> prefixes) const {
  const Client* c = Find(id);
  for (size_t i = 0; i < prefixes.size(); ++i) {
    if (c) {
      for (const std::string& mine : c->prefixes)
        if (Overlap(mine, prefixes[i]))
          return fmt::format(
              "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single "
              "client must not overlap.",
              prefixes[i], mine);
    }
    for (size_t j = i + 1; j < prefixes.size(); ++j)
      if (Overlap(prefixes[i], prefixes[j]))
        return fmt::format(
            "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single "
            "client must not overlap.",
            prefixes[i], prefixes[j]);
  }
  return "";
}

void Table::Remember(std::string_view key, uint64_t id) {
  auto it = keys_.find(key);
  if (it == keys_.end()) it = keys_.emplace(std::string(key), std::unordered_set<uint64_t>{}).first;
  if (it->second.insert(id).second) ++items_;
}

Message Table::MessageFor(uint64_t id, const Client& c) const {
  Message m;
  m.client = id;
  m.loop = c.loop;
  m.redirect = c.redirect;
  return m;
}

void Table::InvalidateEntry(KeyMap::iterator it, uint64_t current, std::vector<Message>* out) {
  std::shared_ptr<const std::vector<std::string>> keys;
  for (uint64_t id : it->second) {
    const Client* c = Find(id);
    // Gone or switched off since it read the key, or BCAST now (which never had keys sent
    // this way): nothing to send.
    if (!c || (c->flags & kBcast)) continue;
    if ((c->flags & kNoLoop) && id == current) continue;
    if (!keys) keys = std::make_shared<const std::vector<std::string>>(1, it->first);
    Message m = MessageFor(id, *c);
    m.keys = keys;
    out->push_back(std::move(m));
  }
  items_ -= it->second.size();
  keys_.erase(it);
}

void Table::Invalidate(std::string_view key, uint64_t current, uint64_t modifier,
                       std::vector<Message>* out) {
  for (auto& [prefix, state] : prefixes_) {
    if (!key.starts_with(prefix)) continue;
    const auto it = state.changed.find(key);
    if (it != state.changed.end())
      it->second = modifier;
    else
      state.changed.emplace(std::string(key), modifier);
    broadcasts_pending_ = true;
  }
  const auto it = keys_.find(key);
  if (it != keys_.end()) InvalidateEntry(it, current, out);
}

void Table::Flush(std::vector<Message>* out) {
  for (const auto& [id, c] : clients_) out->push_back(MessageFor(id, c));
  KeyMap().swap(keys_);  // its bucket array too: clear() would keep the largest it ever had
  items_ = 0;
}

void Table::TakeBroadcasts(std::vector<Message>* out) {
  broadcasts_pending_ = false;
  for (auto& [prefix, state] : prefixes_) {
    if (state.changed.empty()) continue;
    auto all = std::make_shared<std::vector<std::string>>();
    all->reserve(state.changed.size());
    for (const auto& [key, by] : state.changed) all->push_back(key);
    for (uint64_t id : state.clients) {
      const Client* c = Find(id);
      if (!c) continue;
      Message m = MessageFor(id, *c);
      if (c->flags & kNoLoop) {
        auto theirs = std::make_shared<std::vector<std::string>>();
        for (const auto& [key, by] : state.changed)
          if (by != id) theirs->push_back(key);
        if (theirs->empty()) continue;
        m.keys = std::move(theirs);
      } else {
        m.keys = all;
      }
      out->push_back(std::move(m));
    }
    state.changed.clear();
  }
}

void Table::Limit(size_t max, uint64_t current, std::vector<Message>* out) {
  if (max == 0) return;
  if (keys_.size() <= max) {
    limit_rounds_ = 0;
    return;
  }
  for (unsigned effort = 100 * (limit_rounds_ + 1); effort > 0 && !keys_.empty(); --effort) {
    // A random key: a random bucket, or the next non-empty one after it.
    const size_t buckets = keys_.bucket_count();
    size_t b = rng_() % buckets;
    while (keys_.bucket_size(b) == 0) b = (b + 1) % buckets;
    const std::string key = keys_.begin(b)->first;
    InvalidateEntry(keys_.find(key), current, out);
    if (keys_.size() <= max) {
      limit_rounds_ = 0;
      return;
    }
  }
  ++limit_rounds_;
}

// ---- The server's table ------------------------------------------------------------------

namespace {

struct Shared {
  std::mutex mu;  // taken inside shard locks, never the other way round
  Table table;
};

Shared& S() {
  static Shared* s = new Shared;  // outlives the loops that may still disable clients at exit
  return *s;
}

std::atomic<Deliverer> g_deliver{nullptr};
std::atomic<BroadcastSoon> g_broadcast_soon{nullptr};
std::atomic<size_t> g_clients{0};
// The table's key count, so that the check before each command needs no lock.
std::atomic<size_t> g_keys{0};

thread_local std::vector<Message> t_pending;
thread_local uint64_t t_current = 0;  // the client whose command runs on this thread
thread_local int t_depth = 0;
thread_local bool t_delivers = false;
thread_local bool t_broadcast_soon = false;
thread_local bool t_quiet = false;

// With the mutex held, after any change to the table.
void Sync(const Table& t) {
  g_keys_tracked.store(t.active(), std::memory_order_relaxed);
  g_keys.store(t.keys(), std::memory_order_relaxed);
}

void OnKeyModified(std::string_view key, bool expired) {
  if ((t_depth == 0 && !t_delivers) || t_quiet) return;
  Shared& s = S();
  std::lock_guard lock(s.mu);
  // Redis names no modifier for an expiry (a BCAST NOLOOP client still hears of it).
  s.table.Invalidate(key, t_current, expired ? 0 : t_current, &t_pending);
  if (s.table.broadcasts_pending()) t_broadcast_soon = true;
  Sync(s.table);
}

}  // namespace

void SetDelivery(Deliverer deliver, BroadcastSoon broadcast_soon) {
  g_deliver.store(deliver, std::memory_order_release);
  g_broadcast_soon.store(broadcast_soon, std::memory_order_release);
}

void Install() { SetKeyModifiedListener(&OnKeyModified); }

void DeliverFromThisThread() { t_delivers = true; }

CommandScope::CommandScope(const ClientState& client) : outer_(t_current) {
  t_current = client.id;
  ++t_depth;
}

CommandScope::~CommandScope() {
  t_current = outer_;
  --t_depth;
}

Quiet::Quiet() : outer_(t_quiet) { t_quiet = true; }

Quiet::~Quiet() { t_quiet = outer_; }

void Enable(ClientState& client, uint64_t redirect, uint32_t flags,
            std::span<const std::string_view> prefixes) {
  Shared& s = S();
  {
    std::lock_guard lock(s.mu);
    if (!s.table.Find(client.id)) g_clients.fetch_add(1, std::memory_order_relaxed);
    s.table.Enable(client.id, client.io_thread, redirect, flags, prefixes);
    Sync(s.table);
  }
  // CLIENT CACHING's pending choice survives, as in Redis's enableTracking.
  const uint32_t caching = client.tracking.load(std::memory_order_relaxed) & kCaching;
  client.tracking_redirect.store(redirect, std::memory_order_relaxed);
  client.tracking.store(kOn | caching | (flags & (kBcast | kOptIn | kOptOut | kNoLoop)),
                        std::memory_order_relaxed);
}

void Disable(ClientState& client) {
  if ((client.tracking.load(std::memory_order_relaxed) & kOn) == 0) return;
  Shared& s = S();
  {
    std::lock_guard lock(s.mu);
    s.table.Disable(client.id);
    g_clients.fetch_sub(1, std::memory_order_relaxed);
    Sync(s.table);
  }
  client.tracking.store(0, std::memory_order_relaxed);
  client.tracking_redirect.store(0, std::memory_order_relaxed);
}

std::string PrefixCollision(const ClientState& client,
                            std::span<const std::string_view> prefixes) {
  Shared& s = S();
  std::lock_guard lock(s.mu);
  return s.table.PrefixCollision(client.id, prefixes);
}

std::vector<std::string> Prefixes(const ClientState& client) {
  Shared& s = S();
  std::lock_guard lock(s.mu);
  const Table::Client* c = s.table.Find(client.id);
  if (!c) return {};
  return {c->prefixes.begin(), c->prefixes.end()};
}

void RememberKeys(const ClientState& client, std::span<const std::string_view> args,
                  std::span<const size_t> positions) {
  const uint32_t f = client.tracking.load(std::memory_order_relaxed);
  if ((f & kOn) == 0 || (f & kBcast) != 0 || positions.empty()) return;
  if ((f & kOptIn) && !(f & kCaching)) return;
  if ((f & kOptOut) && (f & kCaching)) return;
  Shared& s = S();
  std::lock_guard lock(s.mu);
  for (size_t pos : positions) s.table.Remember(args[pos], client.id);
  Sync(s.table);
}

void LimitKeys(size_t max) {
  if (max == 0 || g_keys.load(std::memory_order_relaxed) <= max) return;
  Shared& s = S();
  std::lock_guard lock(s.mu);
  s.table.Limit(max, t_current, &t_pending);
  Sync(s.table);
}

void Flushed() {
  if (g_clients.load(std::memory_order_relaxed) == 0 && g_keys.load(std::memory_order_relaxed) == 0)
    return;
  Shared& s = S();
  std::lock_guard lock(s.mu);
  s.table.Flush(&t_pending);
  Sync(s.table);
}

void DeliverPending() {
  if (t_depth > 0) return;
  if (!t_pending.empty()) {
    std::vector<Message> batch;
    batch.swap(t_pending);
    if (Deliverer d = g_deliver.load(std::memory_order_acquire)) d(batch);
  }
  if (t_broadcast_soon) {
    t_broadcast_soon = false;
    if (BroadcastSoon soon = g_broadcast_soon.load(std::memory_order_acquire))
      soon();
    else
      FlushBroadcasts();
  }
}

void FlushBroadcasts() {
  std::vector<Message> batch;
  {
    Shared& s = S();
    std::lock_guard lock(s.mu);
    if (!s.table.broadcasts_pending()) return;
    s.table.TakeBroadcasts(&batch);
  }
  if (batch.empty()) return;
  if (Deliverer d = g_deliver.load(std::memory_order_acquire)) d(batch);
}

size_t Clients() { return g_clients.load(std::memory_order_relaxed); }

size_t Keys() { return g_keys.load(std::memory_order_relaxed); }

size_t Items() {
  Shared& s = S();
  std::lock_guard lock(s.mu);
  return s.table.items();
}

size_t PrefixCount() {
  Shared& s = S();
  std::lock_guard lock(s.mu);
  return s.table.prefixes();
}

bool WriteMessage(ClientState& receiver, const Message& m, bool broken, ReplyBuilder& rb) {
  const bool resp3 = receiver.resp.load(std::memory_order_relaxed) == 3;
  if (broken) {
    // Switched off (or redirected elsewhere) since: the broken target is no longer its concern.
    if ((receiver.tracking.load(std::memory_order_relaxed) & kOn) == 0 ||
        receiver.tracking_redirect.load(std::memory_order_relaxed) != m.redirect)
      return false;
    receiver.tracking.fetch_or(kBrokenRedir, std::memory_order_relaxed);
    if (!resp3) return false;
    rb.StartPush(2);
    rb.SendBulk("tracking-redir-broken");
    rb.SendLong(static_cast<int64_t>(m.redirect));
    return true;
  }
  auto send_keys = [&] {
    if (!m.keys) {
      rb.SendNull();
      return;
    }
    rb.StartArray(static_cast<uint32_t>(m.keys->size()));
    for (const std::string& k : *m.keys) rb.SendBulk(k);
  };
  if (resp3) {
    rb.StartPush(2);
    rb.SendBulk("invalidate");
    send_keys();
    return true;
  }
  // RESP2 has no pushes: only a redirect target in subscribed mode can be told, by a message.
  if (m.redirect == 0 || !receiver.pubsub.Any()) return false;
  rb.StartPush(3);
  rb.SendBulk("message");
  rb.SendBulk(kChannel);
  send_keys();
  return true;
}

}  // namespace kv::tracking
