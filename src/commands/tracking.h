// Client-side caching (CLIENT TRACKING): which clients may hold which keys in their caches, and
// the invalidation messages a change to a key sends them, as Redis 6/7's tracking.c.
//
// Default mode: after a read-only command the keys it named are remembered for the client
// (OPTIN: only after CLIENT CACHING YES; OPTOUT: unless CLIENT CACHING NO); the first change to
// such a key (a write, an expiry, an eviction) sends one invalidation to every client that
// remembered it, and forgets the key. BCAST mode: clients register key prefixes instead, and
// every changed key matching one is collected and sent to that prefix's clients once per turn
// of the event loop, as one array. FLUSHDB and FLUSHALL send every tracking client a null
// invalidation and forget every key. Keys are remembered by name only, whatever namespace they
// were read in, as in Redis. Disabling tracking (or disconnecting) does not walk the table: the
// client's entries are dropped when their key next changes, as Redis does.
//
// Table is the data structure (single-threaded, unit tested). The functions below it are the
// server's one table behind a mutex, which is taken inside shard locks and never the other way
// round: a key is remembered while the shard lock of the read that showed its value is still
// held, and invalidated under the lock of the write that changes it, so the invalidation of a
// change always follows the reply that showed the older value. Shards report changes through
// the key-modified hook only while the table holds a key or a prefix (core/shard.h
// g_keys_tracked), so with nothing tracked a write pays one relaxed load.
//
// Delivery: the invalidations a request causes wait in a list of the thread until that request
// has replied (so a client's own write invalidates after its reply, as in Redis 7.0), and then
// go to the receiving connections' loops through the deliverer the server installs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kv {

struct ClientState;
class ReplyBuilder;

namespace tracking {

// ClientState::tracking bits (CLIENT TRACKINGINFO's flags, CLIENT LIST's t, B and R).
enum Flag : uint32_t {
  kOn = 1u << 0,
  kBcast = 1u << 1,
  kOptIn = 1u << 2,
  kOptOut = 1u << 3,
  kNoLoop = 1u << 4,
  kCaching = 1u << 5,      // CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command
  kBrokenRedir = 1u << 6,  // an invalidation found the REDIRECT target gone
};

// The pub/sub channel a RESP2 redirect target receives invalidations on.
inline constexpr std::string_view kChannel = "__redis__:invalidate";

// One invalidation for one tracking client, on its way to the connection that receives it
// (the client itself, or its REDIRECT target).
struct Message {
  uint64_t client = 0;    // the tracking client
  int loop = 0;           // the loop serving it
  uint64_t redirect = 0;  // its REDIRECT target, 0 for none
  std::shared_ptr<const std::vector<std::string>> keys;  // null: everything (a flush)
};

class Table {
 public:
  struct Client {
    uint32_t flags = 0;  // kOn plus the mode bits (kBcast, kOptIn, kOptOut, kNoLoop)
    uint64_t redirect = 0;
    int loop = 0;
    std::set<std::string, std::less<>> prefixes;  // BCAST
  };

  // CLIENT TRACKING ON: sets the client's mode (`flags`: kBcast, kOptIn, kOptOut, kNoLoop) and
  // redirect, and for BCAST adds `prefixes` (none: the empty prefix, every key) to the ones it
  // has. The caller checked the options (PrefixCollision included).
  void Enable(uint64_t id, int loop, uint64_t redirect, uint32_t flags,
              std::span<const std::string_view> prefixes);
  // CLIENT TRACKING OFF, RESET, a disconnect: unregisters its prefixes; its remembered keys
  // stay until they change.
  void Disable(uint64_t id);
  const Client* Find(uint64_t id) const;

  // Redis's error for BCAST prefixes that overlap one of the client's or each other (one is a
  // prefix of the other), or "".
  std::string PrefixCollision(uint64_t id, std::span<const std::string_view> prefixes) const;

  // `id` read `key`.
  void Remember(std::string_view key, uint64_t id);
  // `key` changed: appends an invalidation for each client that remembered it (but a NOLOOP
  // client whose own command, `current`, changed it) and forgets the key; notes the key for
  // the BCAST prefixes it matches, with `modifier` (0: the server, expiry) for NOLOOP.
  void Invalidate(std::string_view key, uint64_t current, uint64_t modifier,
                  std::vector<Message>* out);
  // FLUSHDB / FLUSHALL: a null invalidation for every tracking client; forgets every key.
  void Flush(std::vector<Message>* out);
  // The BCAST invalidations collected since the last call: per prefix, its keys in byte
  // order, to each of its clients (a NOLOOP client without the keys it changed itself).
  void TakeBroadcasts(std::vector<Message>* out);
  bool broadcasts_pending() const { return broadcasts_pending_; }
  // tracking-table-max-keys: while more keys than `max` (0: no limit) are remembered,
  // invalidates random ones, at most 100 per call more for each call that did not get under
  // the limit, as Redis's trackingLimitUsedSlots.
  void Limit(size_t max, uint64_t current, std::vector<Message>* out);

  // Whether a change to a key can matter: a key is remembered or a prefix registered.
  bool active() const { return !keys_.empty() || !prefixes_.empty(); }
  size_t clients() const { return clients_.size(); }
  size_t keys() const { return keys_.size(); }
  size_t items() const { return items_; }
  size_t prefixes() const { return prefixes_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Prefix {
    std::set<uint64_t> clients;
    std::map<std::string, uint64_t, std::less<>> changed;  // key -> last changed by (0: server)
  };
  using KeyMap = std::unordered_map<std::string, std::unordered_set<uint64_t>, Hash,
                                    std::equal_to<>>;
  void InvalidateEntry(KeyMap::iterator it, uint64_t current, std::vector<Message>* out);
  Message MessageFor(uint64_t id, const Client& c) const;

  std::unordered_map<uint64_t, Client> clients_;
  KeyMap keys_;
  size_t items_ = 0;  // (key, client) pairs, stale ones (clients gone or off) included
  std::map<std::string, Prefix, std::less<>> prefixes_;
  bool broadcasts_pending_ = false;
  unsigned limit_rounds_ = 0;  // calls of Limit in a row that stayed over the limit
  std::mt19937_64 rng_{0x7472616b};
};

// ---- The server's table (thread-safe) -------------------------------------------------------

// Hands messages to the receivers' loops (thread-safe; installed by the server). Messages for
// one receiver arrive in order.
using Deliverer = void (*)(std::vector<Message>& batch);
// Asks the calling thread's loop to call FlushBroadcasts before it next waits for events.
using BroadcastSoon = void (*)();
void SetDelivery(Deliverer deliver, BroadcastSoon broadcast_soon);
// Installs the shard key-modified listener.
void Install();
// Marks the calling thread as one that delivers what it collects (an I/O loop): changes made
// on other threads outside commands (loading the data) invalidate nothing.
void DeliverFromThisThread();

// While a client's command runs on this thread: NOLOOP compares against it, and what it
// invalidates waits for DeliverPending. Nests (a script's commands, EXEC's).
class CommandScope {
 public:
  explicit CommandScope(const ClientState& client);
  ~CommandScope();
  CommandScope(const CommandScope&) = delete;
  CommandScope& operator=(const CommandScope&) = delete;

 private:
  uint64_t outer_;
};

// While one lives on this thread, changes invalidate nothing (DEBUG RELOAD: the data is
// emptied and loaded again, which Redis announces as one flush, not key by key).
class Quiet {
 public:
  Quiet();
  ~Quiet();
  Quiet(const Quiet&) = delete;
  Quiet& operator=(const Quiet&) = delete;

 private:
  bool outer_;
};

// CLIENT TRACKING ON / OFF for `client` (its own thread); keeps ClientState::tracking in step.
void Enable(ClientState& client, uint64_t redirect, uint32_t flags,
            std::span<const std::string_view> prefixes);
void Disable(ClientState& client);
std::string PrefixCollision(const ClientState& client, std::span<const std::string_view> prefixes);
std::vector<std::string> Prefixes(const ClientState& client);

// After a read-only command ran for `client` (tracking on, not BCAST), with the keys' shard
// locks still held: remembers args[positions], unless OPTIN / OPTOUT and CLIENT CACHING say no.
void RememberKeys(const ClientState& client, std::span<const std::string_view> args,
                  std::span<const size_t> positions);
// Before a command, while any client tracks: tracking-table-max-keys.
void LimitKeys(size_t max);
// FLUSHDB / FLUSHALL ran.
void Flushed();
// Hands over what this thread collected, unless a command is still running on it (the
// session calls it after each request's reply, the cron after expiring keys).
void DeliverPending();
// Sends the BCAST invalidations collected since the last call (end of a loop turn).
void FlushBroadcasts();

// Clients with tracking on (INFO tracking_clients), remembered keys and (key, client) pairs,
// BCAST prefixes (INFO tracking_total_*).
size_t Clients();
size_t Keys();
size_t Items();
size_t PrefixCount();

// Writes `m` for `receiver` as Redis sends it: a RESP3 push (`invalidate` and the keys, or
// `tracking-redir-broken` and the target's id when `broken`), or for a RESP2 redirect target
// in subscribed mode a message on kChannel. False when the receiver cannot take it (RESP2).
// `broken` also marks the receiver (the tracking client) as having lost its redirect target.
bool WriteMessage(ClientState& receiver, const Message& m, bool broken, ReplyBuilder& rb);

}  // namespace tracking
}  // namespace kv
