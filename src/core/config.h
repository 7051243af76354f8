// Config: every server option, by its Redis directive name where Redis has one.
//
// One directive table serves the command line (`--name value`), config files (redis.conf
// style `name value` lines) and CONFIG GET / CONFIG SET, so a name, default and validation rule
// exist once. Values read on hot paths by many threads are atomics; strings sit behind a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/eviction.h"

namespace kv {

// Redis 7's enable-module-command, enable-debug-command and enable-protected-configs: a feature
// that lets a client run code or choose files is off, on, or allowed only to clients connected
// over loopback ("local").
enum class EnableOption : uint8_t { kNo, kYes, kLocal };

inline bool EnableAllows(EnableOption o, bool local_client) {
  return o == EnableOption::kYes || (o == EnableOption::kLocal && local_client);
}

// Splits a config-file line into words as Redis's sdssplitargs: "double quotes" with the
// escapes \n \r \t \b \a \xHH \" \\, 'single quotes' with \'; a closing quote must end
// the word. False in *ok on unbalanced quotes.
std::vector<std::string> SplitConfigLine(std::string_view line, bool* ok);
// A value as a config-file word that SplitConfigLine reads back unchanged: as it is when it is
// plain, in double quotes with escapes otherwise (empty, spaces, quotes, control bytes).
std::string QuoteConfigWord(std::string_view value);

class Config {
 public:
  struct Directive {
    std::string name;
    std::string help;
    std::string default_value;
    bool runtime;  // may be changed by CONFIG SET
    std::function<std::string()> get;
    std::function<std::string(std::string_view)> set;  // returns an error text, "" on success
    // CONFIG SET needs enable-protected-configs too (it names files or directories).
    bool is_protected = false;
    // Another name of the directive `alias_of` (lua-time-limit is busy-reply-threshold):
    // CONFIG REWRITE writes the value under the main name.
    std::string alias_of = {};
  };

  Config();
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;

  const std::vector<Directive>& directives() const { return directives_; }
  const Directive* Find(std::string_view name) const;
  // Sets a directive from text. `startup` allows directives that cannot change at run time.
  // Returns "" or an error text (without the "ERR " prefix).
  std::string Set(std::string_view name, std::string_view value, bool startup);
  // Reads `name value...` lines; returns "" or "file:line: message".
  std::string LoadFile(const std::string& path);
  // Keeps the `replicaof` directive in step with REPLICAOF ("" = a primary), so CONFIG GET
  // and CONFIG REWRITE show the current primary.
  void SetReplicaOf(std::string host_port) {
    std::lock_guard lock(mu_);
    replicaof_ = std::move(host_port);
  }

  // Listeners and threads (fixed after start).
  std::atomic<int> port{6381};
  std::atomic<int> native_port{6380};
  std::atomic<int> tls_port{0};         // RESP over TLS (0 = off)
  std::atomic<int> tls_native_port{0};  // native protocol over TLS (0 = off)
  std::atomic<int> threads{0};  // 0 = auto
  std::atomic<uint32_t> shards{256};
  std::atomic<int> tcp_backlog{511};
  // The HTTP endpoint for Prometheus metrics and health probes (0 = off), on `bind`.
  std::atomic<int> metrics_port{9121};
  // Limits.
  std::atomic<int64_t> proto_max_bulk_len{512ll * 1024 * 1024};
  std::atomic<int64_t> client_query_buffer_limit{1024ll * 1024 * 1024};
  // The normal class's hard limit of client-output-buffer-limit (also `output-buffer-limit`).
  std::atomic<int64_t> client_output_buffer_limit{256ll * 1024 * 1024};
  // client-output-buffer-limit, Redis's classes: pending reply bytes past `hard`, or past
  // `soft` for longer than `soft_seconds`, close the client (0 = no such limit).
  struct OutputLimit {
    std::atomic<int64_t>* hard;
    std::atomic<int64_t> own_hard{0};
    std::atomic<int64_t> soft{0};
    std::atomic<int64_t> soft_seconds{0};
  };
  enum class ClientClass { kNormal, kReplica, kPubSub };
  OutputLimit& output_limit(ClientClass c) {
    return c == ClientClass::kNormal ? obuf_normal_ : c == ClientClass::kReplica ? obuf_replica_
                                                                                 : obuf_pubsub_;
  }
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> maxmemory{0};
  std::atomic<EvictionPolicy> maxmemory_policy{EvictionPolicy::kNoEviction};
  std::atomic<int> maxmemory_samples{5};
  // Largest sparse HyperLogLog (header included) before PFADD turns it dense (Redis's default).
  std::atomic<int64_t> hll_sparse_max_bytes{3000};
  std::atomic<bool> strict_keys{false};
  std::atomic<int> hz{10};
  // busy-reply-threshold (alias lua-time-limit), ms: past it a running script is reported busy.
  std::atomic<int64_t> busy_reply_threshold{5000};
  std::atomic<int64_t> timeout{0};  // idle client timeout in seconds, 0 = never
  // Redis's protected mode: without a password, only loopback clients are served.
  std::atomic<bool> protected_mode{true};
  std::atomic<bool> latency_tracking{true};
  // SLOWLOG: commands that ran at least this many microseconds are logged (-1: none, 0: all).
  std::atomic<int64_t> slowlog_log_slower_than{10000};
  std::atomic<int64_t> slowlog_max_len{128};
  // Keys CLIENT TRACKING may remember before random ones are invalidated (0 = no limit).
  std::atomic<int64_t> tracking_table_max_keys{1000000};
  // Security switches (fixed after start, as in Redis).
  std::atomic<EnableOption> enable_module_command{EnableOption::kNo};
  std::atomic<EnableOption> enable_debug_command{EnableOption::kNo};
  std::atomic<EnableOption> enable_protected_configs{EnableOption::kNo};
  // Redis Cluster mode (docs/scale-out.md); cluster-enabled is fixed after start.
  std::atomic<bool> cluster_enabled{false};
  std::atomic<bool> cluster_require_full_coverage{true};
  std::string cluster_config_file() const { return Locked(cluster_config_file_); }
  std::string cluster_announce_ip() const { return Locked(cluster_announce_ip_); }
  // Persistence.
  std::atomic<int64_t> appendfsync_interval_ms{100};
  std::atomic<int64_t> snapshot_interval{300};
  std::atomic<int64_t> snapshot_ops{100000};
  std::atomic<int64_t> wal_queue_limit{10000};

  // Replication (docs/replication.md).
  std::atomic<int64_t> repl_backlog_size{1024 * 1024};
  std::atomic<bool> replica_read_only{true};
  std::atomic<int64_t> repl_timeout{60};
  std::atomic<int64_t> replica_priority{100};
  std::string replicaof() const { return Locked(replicaof_); }
  std::string masterauth() const { return Locked(masterauth_); }
  std::string masteruser() const { return Locked(masteruser_); }

  std::string bind() const { return Locked(bind_); }
  std::string dir() const { return Locked(dir_); }
  std::string log_level() const { return Locked(log_level_); }
  std::string requirepass() const { return Locked(requirepass_); }
  // Whether new connections must AUTH: the ACL's default user has a password or is off (the
  // ACL keeps it in step; requirepass sets the default user's password).
  bool has_password() const { return has_password_.load(std::memory_order_relaxed); }
  void set_has_password(bool b) { has_password_.store(b, std::memory_order_relaxed); }
  // Called with the new value whenever requirepass is set (start and CONFIG SET).
  void OnRequirepass(std::function<void(const std::string&)> fn) {
    std::lock_guard lock(mu_);
    on_requirepass_ = std::move(fn);
  }
  std::string aclfile() const { return Locked(aclfile_); }
  // `user` directives of the config file, each "name rules...", in order.
  std::vector<std::string> users() const {
    std::lock_guard lock(mu_);
    return users_;
  }
  std::atomic<int64_t> acllog_max_len{128};
  bool appendonly() const;
  // Process set-up, read once at start (main.cc).
  std::string logfile() const { return Locked(logfile_); }
  std::string pidfile() const { return Locked(pidfile_); }
  bool daemonize() const;
  std::vector<double> latency_percentiles() const;
  std::string appendfsync() const { return Locked(appendfsync_); }
  // Called after CONFIG SET changed a directive (its name), for settings with side effects.
  void OnRuntimeSet(std::function<void(const std::string&)> hook) {
    std::lock_guard lock(mu_);
    on_runtime_set_ = std::move(hook);
  }
  // CONFIG SET calls this once after applying all its pairs (their directive names), for
  // settings that must be applied together and may fail (a TLS certificate with its key): a
  // non-empty error makes CONFIG SET restore the old values and answer the error.
  void OnRuntimeApply(std::function<std::string(const std::vector<std::string>&)> hook) {
    std::lock_guard lock(mu_);
    on_runtime_apply_ = std::move(hook);
  }
  std::string ApplyRuntime(const std::vector<std::string>& names) const;
  // `loadmodule` lines, each "path [args...]", in the order given.
  std::vector<std::string> loadmodules() const {
    std::lock_guard lock(mu_);
    return loadmodules_;
  }

  // Parses Redis memory units: "100", "1k", "1kb", "5mb", "2gb" (k = 1000, kb = 1024).
  static std::optional<int64_t> ParseMemory(std::string_view s);
  // client-output-buffer-limit's value: `<class> <hard> <soft> <soft-seconds>` groups.
  std::string OutputLimits() const;
  std::string SetOutputLimits(std::string_view v);

 private:
  std::string Locked(const std::string& s) const {
    std::lock_guard lock(mu_);
    return s;
  }
  void AddString(std::string name, std::string help, std::string* field, bool runtime,
                 std::function<std::string(std::string_view)> validate = nullptr);

  mutable std::mutex mu_;
  std::string bind_ = "127.0.0.1";
  std::string dir_ = "./data";
  std::string log_level_ = "info";
  std::string requirepass_;
  std::string replicaof_, masterauth_, masteruser_;
  std::atomic<bool> has_password_{false};
  std::string appendonly_ = "yes";
  std::string appendfsync_ = "batch";
  std::string save_;
  std::string logfile_;
  std::string pidfile_;
  std::string daemonize_ = "no";
  std::string latency_percentiles_ = "50 99 99.9";
  std::vector<std::string> loadmodules_;
  std::string aclfile_;
  std::string cluster_config_file_ = "nodes.conf";
  std::string cluster_announce_ip_;
  std::vector<std::string> users_;
  std::function<void(const std::string&)> on_requirepass_;
  std::vector<Directive> directives_;
  std::function<void(const std::string&)> on_runtime_set_;
  std::function<std::string(const std::vector<std::string>&)> on_runtime_apply_;
  // TLS (read through their directives by server/tls.cc).
  std::string tls_cert_file_, tls_key_file_, tls_key_file_pass_, tls_ca_cert_file_,
      tls_ca_cert_dir_, tls_ciphers_, tls_ciphersuites_;
  std::string tls_auth_clients_ = "yes";
  std::string tls_protocols_ = "TLSv1.2 TLSv1.3";
  std::string tls_prefer_server_ciphers_ = "no";
  OutputLimit obuf_normal_{&client_output_buffer_limit};
  OutputLimit obuf_replica_{&obuf_replica_.own_hard, 256ll * 1024 * 1024, 64ll * 1024 * 1024, 60};
  OutputLimit obuf_pubsub_{&obuf_pubsub_.own_hard, 32ll * 1024 * 1024, 8ll * 1024 * 1024, 60};
};

}  // namespace kv
