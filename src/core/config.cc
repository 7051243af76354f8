#include "core/config.h"

#include "core/ascii.h"
#include "core/keyspace_events.h"
#include "core/lazy_free.h"
#include "core/latency_monitor.h"
#include "core/object.h"
#include "core/repr.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace kv {

namespace {
std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string ParsePercentiles(std::string_view text, std::vector<double>* out) {
  out->clear();
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    const double p = std::strtod(word.c_str(), &end);
    if (end != word.c_str() + word.size() || !(p >= 0 && p <= 100))
      return "latency-tracking-info-percentiles values should be between 0 and 100";
    out->push_back(p);
  }
  return "";
}

std::optional<bool> ParseBool(std::string_view s) {
  const std::string l = AsciiLower(s);
  if (l == "yes") return true;
  if (l == "no") return false;
  return std::nullopt;
}

std::string YesNo(bool b) { return b ? "yes" : "no"; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

// Redis's sdssplitargs, so a line Redis reads reads the same here (and CONFIG REWRITE's
// quoting comes back byte for byte).
std::vector<std::string> SplitConfigLine(std::string_view line, bool* ok) {
  std::vector<std::string> words;
  *ok = true;
  size_t i = 0;
  auto space = [&](size_t at) {
    return at >= line.size() || std::isspace(static_cast<unsigned char>(line[at]));
  };
  for (;;) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) return words;
    std::string w;
    char quote = 0;  // the quote we are inside, if any
    for (;;) {
      if (i >= line.size()) {
        if (quote) {
          *ok = false;
          return {};
        }
        break;
      }
      const char c = line[i];
      if (quote == '"') {
        if (c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' &&
            HexDigit(line[i + 2]) >= 0 && HexDigit(line[i + 3]) >= 0) {
          w += static_cast<char>(HexDigit(line[i + 2]) * 16 + HexDigit(line[i + 3]));
          i += 4;
          continue;
        }
        if (c == '\\' && i + 1 < line.size()) {
          const char e = line[i + 1];
          w += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == 'b' ? '\b'
               : e == 'a' ? '\a' : e;
          i += 2;
          continue;
        }
        if (c == '"') {
          ++i;
          if (!space(i)) {  // a closing quote must end the word
            *ok = false;
            return {};
          }
          break;
        }
        w += c;
        ++i;
      } else if (quote == '\'') {
        if (c == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
          w += '\'';
          i += 2;
          continue;
        }
        if (c == '\'') {
          ++i;
          if (!space(i)) {
            *ok = false;
            return {};
          }
          break;
        }
        w += c;
        ++i;
      } else {
        if (std::isspace(static_cast<unsigned char>(c))) break;
        if (c == '"' || c == '\'') {
          quote = c;
        } else {
          w += c;
        }
        ++i;
      }
    }
    words.push_back(std::move(w));
  }
}

std::string QuoteConfigWord(std::string_view value) {
  bool plain = !value.empty();
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7f || c == '"' || c == '\'' || c == '\\') plain = false;
  }
  if (plain) return std::string(value);
  std::string out;
  AppendRepr(out, value);
  return out;
}

std::optional<int64_t> Config::ParseMemory(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && (std::isdigit(static_cast<unsigned char>(s[digits])) ||
                               (digits == 0 && s[0] == '-')))
    ++digits;
  auto num = ParseInt(s.substr(0, digits));
  if (!num || *num < 0) return std::nullopt;
  const std::string unit = AsciiLower(s.substr(digits));
  int64_t mul = 1;
  if (unit.empty() || unit == "b") mul = 1;
  else if (unit == "k") mul = 1000;
  else if (unit == "kb") mul = 1024;
  else if (unit == "m") mul = 1000 * 1000;
  else if (unit == "mb") mul = 1024 * 1024;
  else if (unit == "g") mul = 1000ll * 1000 * 1000;
  else if (unit == "gb") mul = 1024ll * 1024 * 1024;
  else return std::nullopt;
  if (*num > INT64_MAX / mul) return std::nullopt;
  return *num * mul;
}

std::string Config::OutputLimits() const {
  auto group = [](const char* name, const OutputLimit& l) {
    return fmt::format("{} {} {} {}", name, l.hard->load(), l.soft.load(), l.soft_seconds.load());
  };
  // Redis still names the replica class "slave" here.
  return group("normal", obuf_normal_) + " " + group("slave", obuf_replica_) + " " +
         group("pubsub", obuf_pubsub_);
}

std::string Config::SetOutputLimits(std::string_view v) {
  const std::vector<std::string_view> words = SplitWhitespace(v);
  if (words.empty() || words.size() % 4 != 0)
    return "Wrong number of arguments in buffer limit configuration.";
  struct Parsed {
    OutputLimit* limit;
    int64_t hard, soft, seconds;
  };
  std::vector<Parsed> parsed;
  // All groups are checked before any is applied, so a bad one changes nothing.
  for (size_t i = 0; i < words.size(); i += 4) {
    const std::string cls = AsciiLower(words[i]);
    OutputLimit* l = cls == "normal"                      ? &obuf_normal_
                     : cls == "slave" || cls == "replica" ? &obuf_replica_
                     : cls == "pubsub"                    ? &obuf_pubsub_
                                                          : nullptr;
    if (l == nullptr) return "Invalid client class specified in buffer limit configuration.";
    auto hard = ParseMemory(words[i + 1]);
    auto soft = ParseMemory(words[i + 2]);
    auto seconds = ParseInt(words[i + 3]);
    if (!hard || !soft || !seconds || *seconds < 0)
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    parsed.push_back({l, *hard, *soft, *seconds});
  }
  for (const Parsed& p : parsed) {
    p.limit->hard->store(p.hard);
    p.limit->soft.store(p.soft);
    p.limit->soft_seconds.store(p.seconds);
  }
  return "";
}

void Config::AddString(std::string name, std::string help, std::string* field, bool runtime,
                       std::function<std::string(std::string_view)> validate) {
  directives_.push_back(
      {std::move(name), std::move(help), *field, runtime,
       [this, field] { return Locked(*field); },
       [this, field, validate](std::string_view v) -> std::string {
         if (validate) {
           std::string err = validate(v);
           if (!err.empty()) return err;
         }
         std::lock_guard lock(mu_);
         *field = std::string(v);
         return "";
       }});
}

Config::Config() {
  auto add_int = [this](std::string name, std::string help, auto* field, int64_t lo, int64_t hi,
                        bool runtime, bool memory = false) {
    directives_.push_back(
        {std::move(name), std::move(help), std::to_string(field->load()), runtime,
         [field] { return std::to_string(field->load()); },
         [field, lo, hi, memory](std::string_view v) -> std::string {
           auto n = memory ? ParseMemory(v) : ParseInt(v);
           if (!n || *n < lo || *n > hi)
             return fmt::format("argument must be {} between {} and {}",
                                memory ? "a memory value" : "an integer", lo, hi);
           field->store(static_cast<std::remove_reference_t<decltype(field->load())>>(*n));
           return "";
         }});
  };
  auto add_bool = [this](std::string name, std::string help, std::atomic<bool>* field,
                         bool runtime) {
    directives_.push_back({std::move(name), std::move(help), YesNo(field->load()), runtime,
                           [field] { return YesNo(field->load()); },
                           [field](std::string_view v) -> std::string {
                             auto b = ParseBool(v);
                             if (!b) return "argument must be 'yes' or 'no'";
                             field->store(*b);
                             return "";
                           }});
  };

  add_int("port", "RESP listener port (0 disables it)", &port, 0, 65535, false);
  add_int("native-port", "native binary protocol port (0 disables it)", &native_port, 0, 65535,
          false);
  AddString("bind", "listen address", &bind_, false);
  add_int("metrics-port",
          "HTTP port of /metrics (Prometheus) and /health, on the bind address (0 disables it)",
          &metrics_port, 0, 65535, false);
  directives_.push_back(
      {"threads", "I/O threads: a number, or auto (one per two cores, at least 1)", "auto", false,
       [this] { return threads.load() == 0 ? std::string("auto") : std::to_string(threads); },
       [this](std::string_view v) -> std::string {
         if (AsciiLower(v) == "auto") {
           threads = 0;
           return "";
         }
         auto n = ParseInt(v);
         if (!n || *n < 1 || *n > 128) return "argument must be auto or between 1 and 128";
         threads = static_cast<int>(*n);
         return "";
       }});
  directives_.push_back(
      {"shards", "shards per namespace (a power of two)", "256", false,
       [this] { return std::to_string(shards.load()); },
       [this](std::string_view v) -> std::string {
         auto n = ParseInt(v);
         if (!n || *n < 1 || *n > 65536 || (*n & (*n - 1)))
           return "argument must be a power of two between 1 and 65536";
         shards = static_cast<uint32_t>(*n);
         return "";
       }});
  AddString("log-level", "log level: debug, info, warning, error", &log_level_, true,
            [](std::string_view v) -> std::string {
              const std::string l = AsciiLower(v);
              if (l == "debug" || l == "info" || l == "warning" || l == "error") return "";
              return "argument must be one of debug, info, warning, error";
            });
  AddString("dir", "data directory (snapshots, WAL, manifest)", &dir_, false);
  AddString("appendonly",
            "WAL and snapshots in --dir: yes, or no for an in-memory server that never touches "
            "the data directory",
            &appendonly_, false, [](std::string_view v) -> std::string {
              if (ParseBool(v)) return "";
              return "argument must be 'yes' or 'no'";
            });
  AddString("appendfsync",
            "WAL fsync policy: always (acknowledge after fsync), batch (fsync every "
            "appendfsync-interval-ms), everysec (batch every 1000 ms), no (leave it to the OS)",
            &appendfsync_, true, [](std::string_view v) -> std::string {
              const std::string l = AsciiLower(v);
              if (l == "always" || l == "batch" || l == "everysec" || l == "no") return "";
              return "argument must be one of always, batch, everysec, no";
            });
  add_int("appendfsync-interval-ms", "fsync interval of appendfsync batch, in milliseconds",
          &appendfsync_interval_ms, 1, 60000, true);
  add_int("snapshot-interval", "seconds between periodic snapshots (0 disables)",
          &snapshot_interval, 0, INT32_MAX, true);
  add_int("snapshot-ops", "writes that trigger a snapshot (0 disables)", &snapshot_ops, 0,
          INT64_MAX, true);
  add_int("wal-queue-limit", "WAL records queued for the writer before writers wait",
          &wal_queue_limit, 1, 10000000, false);
  AddString("logfile", "log to this file (appended to) instead of stderr; empty = stderr",
            &logfile_, false);
  AddString("pidfile", "write the server's PID to this file at start, remove it at exit",
            &pidfile_, false);
  AddString("daemonize",
            "yes: run in the background (the command returns once the server serves)",
            &daemonize_, false, [](std::string_view v) -> std::string {
              if (ParseBool(v)) return "";
              return "argument must be 'yes' or 'no'";
            });
  AddString("save", "Redis's RDB schedule, accepted for compatibility; kv-server uses "
            "snapshot-interval and snapshot-ops",
            &save_, true);
  AddString("requirepass", "password for AUTH (empty = none)", &requirepass_, true);
  add_int("repl-backlog-size",
          "bytes of the replication stream kept for partial resynchronisation (units k mb...)",
          &repl_backlog_size, 16 * 1024, INT64_MAX, true, true);
  add_bool("replica-read-only", "yes: a replica refuses client writes (-READONLY)",
           &replica_read_only, true);
  add_int("repl-timeout", "seconds without traffic before a replication link is dropped",
          &repl_timeout, 1, INT32_MAX, true);
  add_int("replica-priority", "shown to Sentinel in INFO replication (0: never promoted)",
          &replica_priority, 0, INT32_MAX, true);
  AddString("replicaof", "\"<host> <port>\": start as a replica of that primary (empty = none)",
            &replicaof_, false);
  AddString("masterauth", "password this replica sends its primary (AUTH)", &masterauth_, true);
  AddString("masteruser", "ACL user this replica authenticates as with masterauth",
            &masteruser_, true);
  // requirepass needs a side effect (has_password_), so wrap its setter.
  for (auto& d : directives_) {
    if (d.name != "requirepass") continue;
    auto inner = d.set;
    d.set = [this, inner](std::string_view v) {
      std::string err = inner(v);
      if (!err.empty()) return err;
      has_password_ = !v.empty();
      std::function<void(const std::string&)> fn;
      {
        std::lock_guard lock(mu_);
        fn = on_requirepass_;
      }
      if (fn) fn(std::string(v));
      return err;
    };
  }
  AddString("aclfile", "ACL users file (ACL LOAD / ACL SAVE); excludes user directives",
            &aclfile_, false);
  directives_.push_back(
      {"user", "an ACL user in the config file: name then rules (repeatable)", "", false,
       [this] {
         std::lock_guard lock(mu_);
         std::string out;
         for (const auto& u : users_) out += (out.empty() ? "" : ", ") + u;
         return out;
       },
       [this](std::string_view v) -> std::string {
         if (v.empty()) return "argument must be a user name then its rules";
         std::lock_guard lock(mu_);
         users_.emplace_back(v);
         return "";
       }});
  add_bool("cluster-enabled",
           "yes: Redis Cluster mode, serving the hash slots cluster-config-file gives this node",
           &cluster_enabled, false);
  AddString("cluster-config-file",
            "the cluster's nodes and slot map, Redis's nodes.conf format (relative: in dir)",
            &cluster_config_file_, false);
  AddString("cluster-announce-ip",
            "this node's address in the cluster map (empty: the bind address)",
            &cluster_announce_ip_, false);
  add_bool("cluster-require-full-coverage",
           "yes: the cluster is down (keyed commands refused) while a slot has no node",
           &cluster_require_full_coverage, true);
  add_int("acllog-max-len", "entries kept by ACL LOG", &acllog_max_len, 0, INT32_MAX, true);
  directives_.push_back(
      {"latency-monitor-threshold",
       "milliseconds an event must take to enter the latency monitor (0: off)", "0", true,
       [] { return std::to_string(GlobalLatencyMonitor().threshold_ms()); },
       [](std::string_view v) -> std::string {
         auto n = ParseInt(v);
         if (!n || *n < 0)
           return fmt::format("argument must be an integer between 0 and {}", INT64_MAX);
         GlobalLatencyMonitor().SetThresholdMs(*n);
         return "";
       }});
  add_int("slowlog-log-slower-than",
          "microseconds a command must run to enter SLOWLOG (-1: never, 0: every command)",
          &slowlog_log_slower_than, -1, INT64_MAX, true);
  add_int("slowlog-max-len", "entries SLOWLOG keeps (the oldest go first)", &slowlog_max_len, 0,
          INT64_MAX, true);
  add_bool("latency-tracking",
           "yes: keep per-command latency histograms for INFO latencystats", &latency_tracking,
           true);
  AddString("latency-tracking-info-percentiles",
            "percentiles INFO latencystats reports, space separated (0-100)",
            &latency_percentiles_, true, [](std::string_view v) -> std::string {
              std::vector<double> out;
              return ParsePercentiles(v, &out);
            });
  add_bool("protected-mode",
           "yes: while no password is set, refuse clients that are not on loopback (-DENIED)",
           &protected_mode, true);
  add_int("maxmemory", "memory cap in bytes (units k kb m mb g gb; 0 = none)", &maxmemory, 0,
          INT64_MAX, true, true);
  directives_.push_back(
      {"maxmemory-policy",
       "eviction policy: noeviction, allkeys-lru, allkeys-random, volatile-lru, volatile-random, "
       "volatile-ttl",
       "noeviction", true, [this] { return std::string(EvictionPolicyName(maxmemory_policy)); },
       [this](std::string_view v) -> std::string {
         auto p = ParseEvictionPolicy(v);
         if (!p) return "argument must be one of the supported eviction policies";
         maxmemory_policy = *p;
         return "";
       }});
  directives_.push_back(
      {"notify-keyspace-events",
       "keyspace notification classes (letters of Ag$lshzxeKEtmdn; empty = off)", "", true,
       [] { return keyspace_events::Format(keyspace_events::Flags().load()); },
       [](std::string_view v) -> std::string {
         const auto flags = keyspace_events::Parse(v);
         if (!flags) return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
         keyspace_events::Flags().store(*flags);
         return "";
       }});
  add_int("maxmemory-samples", "keys sampled per eviction", &maxmemory_samples, 1, 64, true);
  add_int("hll-sparse-max-bytes",
          "bytes a sparse HyperLogLog may grow to before it turns dense (units k kb m mb)",
          &hll_sparse_max_bytes, 0, INT64_MAX, true, true);
  add_int("maxclients", "connection cap", &maxclients, 1, 1000000, true);
  // Redis's lazyfree switches (core/lazy_free.h): process-wide, yes by default (Redis 7: no),
  // so no drop of a big collection stalls an I/O thread unless asked for.
  LazyFreeSwitches& lazy = GlobalLazyFreeSwitches();
  const struct {
    const char* name;
    const char* what;
    std::atomic<bool>* field;
  } lazy_switches[] = {
      {"lazyfree-lazy-eviction", "keys evicted by maxmemory", &lazy.eviction},
      {"lazyfree-lazy-expire", "keys removed by their TTL", &lazy.expire},
      {"lazyfree-lazy-server-del", "values overwritten or replaced (SET, RENAME, ...STORE)",
       &lazy.server_del},
      {"lazyfree-lazy-user-del", "DEL (UNLINK always frees in the background)", &lazy.user_del},
      {"lazyfree-lazy-user-flush", "FLUSHDB and FLUSHALL without ASYNC or SYNC",
       &lazy.user_flush},
  };
  for (const auto& sw : lazy_switches)
    add_bool(sw.name,
             fmt::format("yes: big collections dropped by {} are freed on a background thread",
                         sw.what),
             sw.field, true);
  // Off by default so kv-server is a drop-in for Redis clients that use binary or long keys.
  add_bool("strict-keys",
           "no (default, Redis rules): any bytes up to proto-max-bulk-len; "
           "yes: UTF-8 of at most 256 characters",
           &strict_keys, false);
  // Collection encodings (core/object.h): process-wide, read on every change of a collection.
  // The Redis 6 "ziplist" name is the same setting, as Redis 7 keeps it.
  EncodingLimits& limits = GlobalEncodingLimits();
  for (const char* name : {"list-max-listpack-size", "list-max-ziplist-size"})
    add_int(name,
            "list node size: -1..-5 = 4/8/16/32/64 KB, a positive number = elements per node",
            &limits.list_max_listpack_size, -5, 65535, true);
  add_int("set-max-intset-entries", "largest set kept as an intset (integer members only)",
          &limits.set_max_intset_entries, 0, INT64_MAX, true);
  for (const char* name : {"set-max-listpack-entries", "set-max-ziplist-entries"})
    add_int(name, "largest set kept as a listpack", &limits.set_max_listpack_entries, 0,
            INT64_MAX, true);
  for (const char* name : {"set-max-listpack-value", "set-max-ziplist-value"})
    add_int(name, "longest member (bytes) a listpack set holds", &limits.set_max_listpack_value,
            0, INT64_MAX, true);
  for (const char* name : {"hash-max-listpack-entries", "hash-max-ziplist-entries"})
    add_int(name, "a hash with more fields becomes a hashtable",
            &limits.hash_max_listpack_entries, 0, INT64_MAX, true);
  for (const char* name : {"hash-max-listpack-value", "hash-max-ziplist-value"})
    add_int(name, "a hash with a longer field or value becomes a hashtable",
            &limits.hash_max_listpack_value, 0, INT64_MAX, true);
  for (const char* name : {"zset-max-listpack-entries", "zset-max-ziplist-entries"})
    add_int(name, "sorted sets past this many members become a skip list",
            &limits.zset_max_listpack_entries, 0, INT64_MAX, true);
  for (const char* name : {"zset-max-listpack-value", "zset-max-ziplist-value"})
    add_int(name, "sorted sets with a member longer than this (bytes) become a skip list",
            &limits.zset_max_listpack_value, 0, INT64_MAX, true);
  add_int("stream-node-max-bytes", "bytes a stream node holds at most (0: no cap)",
          &limits.stream_node_max_bytes, 0, INT64_MAX, true, true);
  add_int("stream-node-max-entries", "entries a stream node holds at most (0: no cap)",
          &limits.stream_node_max_entries, 0, INT64_MAX, true);
  add_int("proto-max-bulk-len", "largest bulk string a client may send", &proto_max_bulk_len,
          1024 * 1024, INT64_MAX, true, true);
  add_int("client-query-buffer-limit", "largest unparsed input per client",
          &client_query_buffer_limit, 1024 * 1024, INT64_MAX, true, true);
  add_int("output-buffer-limit",
          "pending reply bytes after which a client that does not read is disconnected (0 = "
          "none); the normal class's hard limit in client-output-buffer-limit",
          &client_output_buffer_limit, 0, INT64_MAX, true, true);
  directives_.push_back(
      {"client-output-buffer-limit",
       "per class (normal, replica, pubsub): '<class> <hard> <soft> <soft-seconds>' groups; a "
       "client past hard, or past soft for soft-seconds, is disconnected (0 = no limit)",
       OutputLimits(), true, [this] { return OutputLimits(); },
       [this](std::string_view v) { return SetOutputLimits(v); }});
  directives_.push_back(
      {"loadmodule", "load a plugin at start: path then its arguments (repeatable)", "", false,
       [this] {
         std::lock_guard lock(mu_);
         std::string out;
         for (const auto& m : loadmodules_) out += (out.empty() ? "" : ", ") + m;
         return out;
       },
       [this](std::string_view v) -> std::string {
         if (v.empty()) return "argument must be a path to a plugin";
         std::lock_guard lock(mu_);
         loadmodules_.emplace_back(v);
         return "";
       }});
  auto add_enable = [this](std::string name, std::string help,
                           std::atomic<EnableOption>* field) {
    directives_.push_back(
        {std::move(name), std::move(help), "no", false,
         [field] {
           const EnableOption o = field->load();
           return std::string(o == EnableOption::kYes     ? "yes"
                              : o == EnableOption::kLocal ? "local"
                                                          : "no");
         },
         [field](std::string_view v) -> std::string {
           const std::string l = AsciiLower(v);
           if (l == "local") {
             field->store(EnableOption::kLocal);
             return "";
           }
           auto b = ParseBool(l);
           if (!b) return "argument must be one of no, yes, local";
           field->store(*b ? EnableOption::kYes : EnableOption::kNo);
           return "";
         }});
  };
  add_enable("enable-module-command",
             "MODULE LOAD/UNLOAD for clients: no, yes, or local (loopback clients only); "
             "--loadmodule at start works either way",
             &enable_module_command);
  add_enable("enable-debug-command",
             "DEBUG for clients: no, yes, or local (loopback clients only)",
             &enable_debug_command);
  add_enable("enable-protected-configs",
             "CONFIG SET of protected directives (those naming files or directories): no, yes, "
             "local",
             &enable_protected_configs);
  for (auto& d : directives_)
    if (d.name == "dir" || d.name == "logfile" || d.name == "pidfile") d.is_protected = true;
  // Redis keeps lua-time-limit as an alias of busy-reply-threshold: both set the one field.
  for (const char* name : {"busy-reply-threshold", "lua-time-limit"})
    add_int(name, "ms a script may run before other clients get -BUSY and SCRIPT KILL works",
            &busy_reply_threshold, 0, INT64_MAX, true);
  add_int("tracking-table-max-keys",
          "keys CLIENT TRACKING remembers before invalidating random ones (0 = no limit)",
          &tracking_table_max_keys, 0, INT64_MAX, true);
  add_int("tcp-backlog", "listen backlog", &tcp_backlog, 1, 65535, false);
  add_int("hz", "server cron frequency (active expiry, memory figures)", &hz, 1, 500, true);
  add_int("timeout", "close clients idle for this many seconds (0 = never)", &timeout, 0,
          INT32_MAX, true);

  // TLS, with Redis 7's directive names. The files are read when the context is built (at
  // start and on CONFIG SET, see server/tls.cc), so these setters check only the form.
  add_int("tls-port", "RESP over TLS listener port (0 disables it)", &tls_port, 0, 65535, false);
  add_int("tls-native-port", "native protocol over TLS listener port (0 disables it)",
          &tls_native_port, 0, 65535, false);
  AddString("tls-cert-file", "server certificate (PEM; a chain may follow it)", &tls_cert_file_,
            true);
  AddString("tls-key-file", "private key of tls-cert-file (PEM)", &tls_key_file_, true);
  AddString("tls-key-file-pass", "passphrase of an encrypted tls-key-file", &tls_key_file_pass_,
            true);
  AddString("tls-ca-cert-file", "CA certificates (PEM) that client certificates must chain to",
            &tls_ca_cert_file_, true);
  AddString("tls-ca-cert-dir", "directory of hashed CA certificates (c_rehash)",
            &tls_ca_cert_dir_, true);
  AddString("tls-auth-clients",
            "client certificates: yes (required), no (not asked for), optional (checked when "
            "given)",
            &tls_auth_clients_, true, [](std::string_view v) -> std::string {
              const std::string l = AsciiLower(v);
              if (l == "yes" || l == "no" || l == "optional") return "";
              return "argument must be one of yes, no, optional";
            });
  AddString("tls-protocols", "TLS versions accepted, space separated: TLSv1.2 TLSv1.3",
            &tls_protocols_, true, [](std::string_view v) -> std::string {
              bool ok = false;
              std::string word;
              for (size_t i = 0; i <= v.size(); ++i) {
                if (i < v.size() && !std::isspace(static_cast<unsigned char>(v[i]))) {
                  word += v[i];
                  continue;
                }
                if (word.empty()) continue;
                const std::string l = AsciiLower(word);
                if (l != "tlsv1" && l != "tlsv1.1" && l != "tlsv1.2" && l != "tlsv1.3")
                  return fmt::format("'{}' is not one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3", word);
                ok = true;
                word.clear();
              }
              return ok ? "" : "argument must name at least one TLS version";
            });
  AddString("tls-ciphers", "TLS 1.2 cipher list (OpenSSL syntax; empty = OpenSSL's default)",
            &tls_ciphers_, true);
  AddString("tls-ciphersuites", "TLS 1.3 cipher suites (OpenSSL syntax; empty = default)",
            &tls_ciphersuites_, true);
  AddString("tls-prefer-server-ciphers", "the server's cipher order wins over the client's",
            &tls_prefer_server_ciphers_, true, [](std::string_view v) -> std::string {
              if (ParseBool(v)) return "";
              return "argument must be 'yes' or 'no'";
            });

  // Second names of one setting (Redis 6's ziplist names, lua-time-limit): CONFIG REWRITE
  // writes the main name.
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"lua-time-limit", "busy-reply-threshold"},
      {"list-max-ziplist-size", "list-max-listpack-size"},
      {"set-max-ziplist-entries", "set-max-listpack-entries"},
      {"set-max-ziplist-value", "set-max-listpack-value"},
      {"hash-max-ziplist-entries", "hash-max-listpack-entries"},
      {"hash-max-ziplist-value", "hash-max-listpack-value"},
      {"zset-max-ziplist-entries", "zset-max-listpack-entries"},
      {"zset-max-ziplist-value", "zset-max-listpack-value"},
  };
  for (auto& d : directives_)
    for (const auto& [alias, main] : kAliases)
      if (d.name == alias) d.alias_of = main;
}

const Config::Directive* Config::Find(std::string_view name) const {
  std::string l = AsciiLower(name);
  if (l == "loglevel") l = "log-level";  // Redis's spelling
  for (const auto& d : directives_)
    if (d.name == l) return &d;
  return nullptr;
}

std::vector<double> Config::latency_percentiles() const {
  std::vector<double> out;
  ParsePercentiles(Locked(latency_percentiles_), &out);
  return out;
}

bool Config::appendonly() const { return ParseBool(Locked(appendonly_)).value_or(true); }
bool Config::daemonize() const { return ParseBool(Locked(daemonize_)).value_or(false); }

std::string Config::Set(std::string_view name, std::string_view value, bool startup) {
  const Directive* d = Find(name);
  if (!d) return fmt::format("Unknown option or number of arguments for CONFIG SET - '{}'", name);
  if (!startup && !d->runtime)
    return fmt::format("CONFIG SET failed (possibly related to argument '{}') - can't set "
                       "immutable config",
                       d->name);
  std::string err = d->set(value);
  if (!err.empty() && !startup)
    return fmt::format("CONFIG SET failed (possibly related to argument '{}') - {}", d->name,
                       err);
  if (err.empty() && !startup) {
    std::function<void(const std::string&)> hook;
    {
      std::lock_guard lock(mu_);
      hook = on_runtime_set_;
    }
    if (hook) hook(d->name);
  }
  return err;
}

std::string Config::ApplyRuntime(const std::vector<std::string>& names) const {
  std::function<std::string(const std::vector<std::string>&)> hook;
  {
    std::lock_guard lock(mu_);
    hook = on_runtime_apply_;
  }
  return hook ? hook(names) : std::string();
}

std::string Config::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fmt::format("{}: cannot open the config file", path);
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    bool ok = true;
    auto words = SplitConfigLine(line, &ok);
    if (!ok) return fmt::format("{}:{}: unbalanced quotes", path, lineno);
    if (words.empty() || words[0][0] == '#') continue;
    std::string value;
    for (size_t i = 1; i < words.size(); ++i) value += (i > 1 ? " " : "") + words[i];
    std::string err = Set(words[0], value, true);
    if (!err.empty()) return fmt::format("{}:{}: '{}': {}", path, lineno, words[0], err);
  }
  return "";
}

}  // namespace kv
