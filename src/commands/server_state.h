// ServerState: the process-wide services command handlers may use (keyspaces, config, the
// command table, statistics, the client registry), without knowing about sockets or loops.
// The server layer creates one and fills in the hooks only it can implement.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "commands/client_pause.h"
#include "commands/command.h"
#include "commands/command_stats.h"
#include "commands/command_table.h"
#include "commands/slowlog.h"
#include "core/acl.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "core/pubsub.h"

namespace kv::persist {
class Persistence;
}

namespace kv {

class Dispatcher;
class Replication;
class ClusterMap;

// The Redis release whose command semantics we follow; INFO and HELLO report it as the version
// so client libraries enable the right features. Our own version is reported beside it.
inline constexpr std::string_view kRedisCompatVersion = "7.0.15";

// `n` random hex digits (run IDs, replication IDs).
std::string RandomHex(size_t n);

// Rare events, counted in one place. What every request or read counts is per thread
// (ServerState::thread_stats).
struct ServerStats {
  std::atomic<uint64_t> total_connections{0};
  std::atomic<uint64_t> rejected_connections{0};
};

// One namespace's key counts at the last sample.
struct KeyspaceSample {
  std::string name;
  size_t keys = 0;
  size_t expires = 0;  // keys with a time to live
};

// Figures the server cron samples (INFO reads them from any thread).
struct SampledStats {
  InstantRate ops, net_input, net_output;
  std::atomic<int64_t> used_memory_peak{0};
  std::atomic<int64_t> used_memory_peak_time{0};  // seconds since the epoch
  std::atomic<int64_t> used_memory_startup{0};
  // Sampled by the cron and by INFO memory, so a peak between two crons still shows in INFO.
  void NotePeak(int64_t used, int64_t now_ms) {
    int64_t peak = used_memory_peak.load(std::memory_order_relaxed);
    while (used > peak && !used_memory_peak.compare_exchange_weak(peak, used)) {
    }
    if (used > peak) used_memory_peak_time.store(now_ms / 1000, std::memory_order_relaxed);
  }
  // Key counts per namespace, counted by the cron (which takes each shard lock in turn) at most
  // once a second, so readers off the I/O loops (the metrics endpoint) never wait behind a
  // long command's shard locks.
  void SampleKeyspace(Store& store, int64_t now_ms);
  std::vector<KeyspaceSample> KeyspaceSamples() const {
    std::lock_guard lock(keyspace_mu_);
    return keyspace_;
  }

 private:
  mutable std::mutex keyspace_mu_;
  std::vector<KeyspaceSample> keyspace_;
  int64_t keyspace_at_ms_ = 0;  // cron thread only
};

// Every live connection's ClientState, for CLIENT LIST / INFO clients. Fields a client's own
// thread changes while others may read them (name, lib, last command) are written under mu().
class ClientRegistry {
 public:
  uint64_t NextId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }
  void Add(ClientState* c);
  void Remove(ClientState* c);
  size_t size() const { return count_.load(std::memory_order_relaxed); }
  // The I/O loop serving client `id`, or -1 when no such client is connected.
  int LoopOf(uint64_t id);
  std::mutex& mu() { return mu_; }
  // Calls fn(const ClientState&) for each client in id order, under mu().
  void ForEach(const std::function<void(const ClientState&)>& fn);

 private:
  std::mutex mu_;
  std::unordered_map<uint64_t, ClientState*> clients_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<size_t> count_{0};
};

class ServerState {
 public:
  ServerState(Config& config, Store& store, CommandTable& commands);

  Config& config;
  Store& store;
  CommandTable& commands;
  ServerStats stats;
  StatsRegistry thread_stats;
  SampledStats sampled;
  SlowLog slowlog;
  ClientRegistry clients;
  ClientPause pause;  // CLIENT PAUSE / UNPAUSE
  // ACL users. Its default user is kept in step with requirepass and config.has_password().
  acl::Registry acl;
  const int64_t start_ms;
  const std::string run_id;
  int io_threads = 1;
  // The data directory (always set by the server; disabled inside with --appendonly no).
  persist::Persistence* persistence = nullptr;
  // SHUTDOWN: asks the server to stop as SIGTERM does (thread-safe); `snapshot` = false for
  // NOSAVE. Unset in unit tests.
  std::function<void(bool snapshot)> request_shutdown;
  // SHUTDOWN NOSAVE while a script runs past busy-reply-threshold: the script would never let
  // a clean stop finish, so the process ends at once, after what the log holds is fsynced.
  // Does not return. Unset in unit tests.
  std::function<void()> shutdown_now;
  std::string executable;
  std::string config_file;
  // Replication (commands/replication.h); set by the server layer, null in unit tests.
  Replication* replication = nullptr;
  // Redis's master_replid: 40 hex digits naming this dataset's history, new at each start.
  const std::string replication_id;
  // DEBUG SET-ACTIVE-EXPIRE: false stops the cron's active expiry cycle (lazy expiry on access
  // goes on), as Redis's server.active_expire_enabled.
  std::atomic<bool> active_expire{true};
  // The one dispatcher (set by its constructor): EXEC runs its queued commands through it.
  Dispatcher* dispatcher = nullptr;
  // The slot map in cluster mode (cluster-enabled yes), null otherwise: the dispatcher's one
  // test for routing (commands/cluster.h).
  ClusterMap* cluster = nullptr;
  // Pub/Sub subscriptions of every client, on every thread.
  PubSubRegistry pubsub;
  // Hands one published message to the receivers on I/O loop `loop` (all of `to` are there);
  // the server layer sets it. Called in publish order by each publisher, and delivers in that
  // order. Unset in unit tests: nothing is delivered.
  std::function<void(int loop, const std::shared_ptr<const PubSubMessage>& msg,
                     std::span<const PubSubTarget> to)>
      deliver_pubsub;
  // PUBLISH (or SPUBLISH when `shard`): hands `payload` on `channel` to every receiver and
  // returns how many there are. Keyspace notifications publish through it too.
  size_t Publish(std::string_view channel, std::string_view payload, bool shard);
  // Runs close_if(client) on the loop serving client `id` (if it is still connected) and closes
  // the client when it returns true, logging `why`. The server layer sets it; unset in unit
  // tests.
  std::function<void(uint64_t id, std::string why,
                     std::function<bool(const ClientState&)> close_if)>
      close_client_if;
  // INFO modules: one `module:name=...` line per loaded plugin (the server layer, which owns
  // the plugin host, sets it).
  std::function<std::string()> info_modules;
};

}  // namespace kv
