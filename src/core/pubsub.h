// Pub/Sub subscriptions: which clients listen on which channels, patterns and shard channels,
// for every I/O thread at once. PUBLISH asks it who receives a message (under a shared lock,
// so publishers on different threads do not serialise); SUBSCRIBE and friends change it under
// the exclusive lock. A subscriber is its client id plus the loop serving it: delivery posts
// the message to that loop, which finds the connection by id (or skips it if it closed).
//
// Each client's own view (PubSubClient: its channel, pattern and shard channel sets) belongs
// to that client's thread; the registry keeps it in step, and a client's counts are atomics so
// CLIENT LIST on another thread can read them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kv {

enum class SubKind : uint8_t { kChannel, kPattern, kShard };

// One client's subscriptions.
struct PubSubClient {
  std::unordered_set<std::string> channels, patterns, shard_channels;
  // Patterns in subscription order: PUNSUBSCRIBE without arguments answers in that order, as
  // Redis 7.0 (which keeps them in a list) does.
  std::vector<std::string> pattern_order;
  // Sizes of the three sets, readable from any thread.
  std::atomic<uint32_t> n_channels{0}, n_patterns{0}, n_shard{0};

  std::unordered_set<std::string>& Set(SubKind k) {
    return k == SubKind::kChannel ? channels : k == SubKind::kPattern ? patterns : shard_channels;
  }
  // SUBSCRIBE and PSUBSCRIBE replies count channels and patterns; SSUBSCRIBE's shard channels.
  uint32_t Count(SubKind k) const {
    return k == SubKind::kShard ? n_shard.load(std::memory_order_relaxed)
                                : n_channels.load(std::memory_order_relaxed) +
                                      n_patterns.load(std::memory_order_relaxed);
  }
  // Any subscription at all: RESP2's subscribed mode, the pubsub output-buffer class.
  bool Any() const { return Count(SubKind::kChannel) + Count(SubKind::kShard) != 0; }
};

// Who receives one message: a client, and for a pattern subscription the pattern it matched.
struct PubSubTarget {
  uint64_t client_id;
  int loop;
  std::string pattern;  // the pattern matched, for a pattern subscription
  bool by_pattern = false;
};

// A published message: PUBLISH's (message, or pmessage for pattern receivers) or SPUBLISH's
// (smessage).
struct PubSubMessage {
  bool shard = false;
  std::string channel, payload;
};

class PubSubRegistry {
 public:
  // False when `client` already had that subscription.
  bool Subscribe(PubSubClient& client, uint64_t id, int loop, SubKind kind,
                 std::string_view name);
  // False when `client` had no such subscription.
  bool Unsubscribe(PubSubClient& client, uint64_t id, SubKind kind, std::string_view name);
  // Drops every subscription of the client (it disconnected or ran RESET).
  void RemoveClient(PubSubClient& client, uint64_t id);

  // Appends to *out the receivers of a message on `channel`: for a shard channel, its
  // subscribers; otherwise the channel's subscribers, then every client whose pattern matches
  // it (a client with both receives it twice, as in Redis). Returns how many it appended.
  // Copies, so the caller delivers without the lock (a delivery may close a client, which
  // unsubscribes it).
  size_t Collect(std::string_view channel, bool shard, std::vector<PubSubTarget>* out) const;

  // PUBSUB CHANNELS / SHARDCHANNELS: channels with at least one subscriber matching `pattern`.
  std::vector<std::string> Channels(bool shard, std::optional<std::string_view> pattern) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel (patterns not counted).
  size_t NumSub(bool shard, std::string_view channel) const;
  // Distinct patterns with a subscriber (PUBSUB NUMPAT, INFO pubsub_patterns).
  size_t NumPatterns() const;
  size_t NumChannels(bool shard) const;

 private:
  using Subscribers = std::unordered_map<uint64_t, int>;  // client id -> loop
  using Index = std::unordered_map<std::string, Subscribers>;
  Index& IndexFor(SubKind k) {
    return k == SubKind::kChannel ? channels_ : k == SubKind::kPattern ? patterns_ : shard_;
  }

  mutable std::shared_mutex mu_;
  Index channels_, patterns_, shard_;
};

}  // namespace kv
