#include "commands/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <string_view>
#include <vector>

#include "commands/command_table.h"
#include "commands/replication.h"
#include "commands/server_state.h"
#include "core/latency_histogram.h"
#include "core/memory.h"
#include "core/shard.h"
#include "persist/persistence.h"

namespace kv {

const uint64_t PromBuckets::kBoundNs[kCount] = {
    1'000,         2'500,         5'000,         10'000,        25'000,        50'000,
    100'000,       250'000,       500'000,       1'000'000,     2'500'000,     5'000'000,
    10'000'000,    25'000'000,    50'000'000,    100'000'000,   250'000'000,   500'000'000,
    1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
const char* const PromBuckets::kLabel[kCount] = {
    "0.000001", "0.0000025", "0.000005", "0.00001", "0.000025", "0.00005", "0.0001", "0.00025",
    "0.0005",   "0.001",     "0.0025",   "0.005",   "0.01",     "0.025",   "0.05",   "0.1",
    "0.25",     "0.5",       "1",        "2.5",     "5",        "10"};

int PromBuckets::For(int histogram_bucket) {
  const uint64_t upper = LatencyHistogram::UpperBound(histogram_bucket);
  for (int b = 0; b < kCount; ++b)
    if (upper <= kBoundNs[b]) return b;
  return kCount;
}

namespace {

// Label values escape backslash, double quote and newline (the exposition format's rule).
std::string Escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  // Starts a metric family: its HELP and TYPE lines.
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  template <typename T>
  void Sample(std::string_view name, std::string_view labels, T value) {
    if (labels.empty())
      out_ += fmt::format("{} {}\n", name, value);
    else
      out_ += fmt::format("{}{{{}}} {}\n", name, labels, value);
  }
  // A family with one unlabelled sample.
  template <typename T>
  void One(std::string_view name, std::string_view type, std::string_view help, T value) {
    Family(name, type, help);
    Sample(name, "", value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

double Seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

void CommandMetrics(Writer& w, ServerState& s) {
  struct Row {
    const CommandSpec* spec;
    StatsRegistry::CommandTotals t;
    std::string labels;
  };
  std::vector<Row> rows;
  // A subcommand is a row of its own, named as in INFO commandstats (command="config|get").
  ForEachStatsSlot(s.commands.Public(),
                   [&](std::string_view name, uint32_t slot, const CommandSpec& spec) {
    StatsRegistry::CommandTotals t = s.thread_stats.Command(slot);
    if (t.calls == 0 && t.rejected == 0 && t.failed == 0) return;
    std::string labels =
        fmt::format("command=\"{}\",family=\"{}\"", Escape(name), Escape(spec.group));
    rows.push_back({&spec, std::move(t), std::move(labels)});
  });
  w.Family("kv_commands_total", "counter", "Commands run, per command and family (as calls in INFO commandstats).");
  for (const Row& r : rows) w.Sample("kv_commands_total", r.labels, r.t.calls);
  w.Family("kv_command_failed_calls_total", "counter",
           "Commands that ran and answered an error (failed_calls in INFO commandstats).");
  for (const Row& r : rows) w.Sample("kv_command_failed_calls_total", r.labels, r.t.failed);
  w.Family("kv_command_rejected_calls_total", "counter",
           "Commands refused before they ran: arity, authentication, ACL, memory... "
           "(rejected_calls in INFO commandstats).");
  for (const Row& r : rows) w.Sample("kv_command_rejected_calls_total", r.labels, r.t.rejected);

  static const std::array<int, LatencyHistogram::kBuckets> bucket_of = [] {
    std::array<int, LatencyHistogram::kBuckets> a{};
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) a[i] = PromBuckets::For(i);
    return a;
  }();
  w.Family("kv_command_duration_seconds", "histogram",
           "Time in the command handler, per command (while latency-tracking is on; _sum "
           "counts every call).");
  for (const Row& r : rows) {
    if (!r.t.has_latency) continue;
    std::array<uint64_t, PromBuckets::kCount + 1> counts{};
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) counts[bucket_of[i]] += r.t.latency.counts[i];
    uint64_t cumulative = 0;
    for (int b = 0; b < PromBuckets::kCount; ++b) {
      cumulative += counts[b];
      w.Sample("kv_command_duration_seconds_bucket",
               fmt::format("{},le=\"{}\"", r.labels, PromBuckets::kLabel[b]), cumulative);
    }
    w.Sample("kv_command_duration_seconds_bucket", fmt::format("{},le=\"+Inf\"", r.labels),
             r.t.latency.total);
    w.Sample("kv_command_duration_seconds_sum", r.labels, Seconds(r.t.ns));
    w.Sample("kv_command_duration_seconds_count", r.labels, r.t.latency.total);
  }

  w.Family("kv_errors_total", "counter",
           "Error replies by error code (the first word: ERR, WRONGTYPE...), as INFO errorstats.");
  for (const auto& [code, n] : s.thread_stats.ErrorCodes())
    w.Sample("kv_errors_total", fmt::format("code=\"{}\"", Escape(code)), n);
}

void PersistenceMetrics(Writer& w, ServerState& s, int64_t now_ms) {
  const persist::Persistence* p = s.persistence;
  w.One("kv_loading", "gauge", "1 while the data directory is being loaded.",
        p && p->loading() ? 1 : 0);
  if (!p || !p->enabled()) return;  // in-memory only: no WAL, no snapshots
  const persist::Persistence::SnapshotFigures f = p->snapshot_figures();
  w.One("kv_snapshot_last_save_timestamp_seconds", "gauge",
        "Unix time of the last snapshot that completed (rdb_last_save_time).", f.last_save_s);
  w.One("kv_snapshot_last_status_ok", "gauge", "1 when the last snapshot succeeded.",
        f.last_ok ? 1 : 0);
  w.One("kv_snapshot_in_progress", "gauge", "1 while a snapshot is being written.",
        f.in_progress ? 1 : 0);
  if (f.last_duration_ms >= 0)
    w.One("kv_snapshot_last_duration_seconds", "gauge", "How long the last snapshot took.",
          static_cast<double>(f.last_duration_ms) / 1000.0);
  w.One("kv_snapshots_total", "counter", "Snapshots completed since the start.", f.saves);
  w.One("kv_changes_since_last_snapshot", "gauge",
        "Writes since the last snapshot (rdb_changes_since_last_save).", f.changes_since_save);
  const persist::Wal* wal = p->wal();
  if (!wal) return;
  const persist::WalStats st = wal->stats();
  w.One("kv_wal_failed", "gauge", "1 while the WAL cannot write (writes are refused).",
        wal->failed() ? 1 : 0);
  w.One("kv_wal_bytes_written_total", "counter", "Bytes written to the WAL.", st.bytes_written);
  w.One("kv_wal_records_written_total", "counter", "Records written to the WAL.",
        st.records_written);
  w.One("kv_wal_fsyncs_total", "counter", "fdatasync calls on the WAL.", st.fsyncs);
  w.One("kv_wal_queued_records", "gauge", "Records appended and not yet written.",
        st.queued_records);
  w.One("kv_wal_last_lsn", "gauge", "Log sequence number of the last record appended.",
        st.last_lsn);
  w.One("kv_wal_durable_lsn", "gauge", "Log sequence number up to which the WAL is fsynced.",
        st.durable_lsn);
  if (st.last_fsync_ms > 0) {
    w.One("kv_wal_last_fsync_duration_seconds", "gauge", "How long the last fdatasync took.",
          static_cast<double>(st.last_fsync_us) / 1e6);
    w.One("kv_wal_last_fsync_age_seconds", "gauge", "Seconds since the last fdatasync ended.",
          static_cast<double>(std::max<int64_t>(0, now_ms - st.last_fsync_ms)) / 1000.0);
  }
}

// The figures of INFO replication. Offsets are gauges, not counters: a full sync moves a
// replica's offset to the primary's, wherever that is.
void ReplicationMetrics(Writer& w, ServerState& s) {
  if (!s.replication) return;
  const ReplicationFigures f = s.replication->Figures();
  w.Family("kv_replication_role", "gauge",
           "1 for the role this server has now (master or replica), 0 for the other.");
  w.Sample("kv_replication_role", "role=\"master\"", f.replica ? 0 : 1);
  w.Sample("kv_replication_role", "role=\"replica\"", f.replica ? 1 : 0);
  w.One("kv_replication_offset_bytes", "gauge",
        "master_repl_offset: bytes of the replication stream produced (primary) or applied "
        "(replica).",
        f.offset);
  w.One("kv_replication_backlog_size_bytes", "gauge",
        "Memory of the replication backlog (0 until a replica first attaches).",
        f.backlog_size);
  w.One("kv_replication_backlog_history_bytes", "gauge",
        "Stream bytes the backlog holds (repl_backlog_histlen).", f.backlog_histlen);
  w.One("kv_replication_full_syncs_total", "counter", "Full syncs served to replicas (sync_full).",
        f.sync_full);
  w.Family("kv_replication_partial_syncs_total", "counter",
           "PSYNCs answered +CONTINUE (result=ok, sync_partial_ok) or refused for a history "
           "or offset the backlog cannot continue (result=err, sync_partial_err).");
  w.Sample("kv_replication_partial_syncs_total", "result=\"ok\"", f.sync_partial_ok);
  w.Sample("kv_replication_partial_syncs_total", "result=\"err\"", f.sync_partial_err);

  w.One("kv_replication_connected_replicas", "gauge",
        "Replicas attached (connected_slaves), streaming or waiting for their snapshot.",
        f.replicas.size());
  std::vector<std::string> labels;
  for (const ReplicationFigures::Replica& r : f.replicas)
    labels.push_back(fmt::format("ip=\"{}\",port=\"{}\"", Escape(r.ip), r.port));
  w.Family("kv_replication_replica_online", "gauge",
           "Per replica: 1 while it streams, 0 while it waits for its snapshot (state in INFO).");
  for (size_t i = 0; i < f.replicas.size(); ++i)
    w.Sample("kv_replication_replica_online", labels[i], f.replicas[i].online ? 1 : 0);
  w.Family("kv_replication_replica_offset_bytes", "gauge",
           "Per replica: the stream offset it last acknowledged (REPLCONF ACK).");
  for (size_t i = 0; i < f.replicas.size(); ++i)
    w.Sample("kv_replication_replica_offset_bytes", labels[i], f.replicas[i].ack_offset);
  w.Family("kv_replication_replica_lag_bytes", "gauge",
           "Per replica: stream bytes produced that it has not acknowledged yet.");
  for (size_t i = 0; i < f.replicas.size(); ++i)
    w.Sample("kv_replication_replica_lag_bytes", labels[i],
             f.offset > f.replicas[i].ack_offset ? f.offset - f.replicas[i].ack_offset : 0);
  w.Family("kv_replication_replica_lag_seconds", "gauge",
           "Per replica: seconds since its last acknowledgement (lag in INFO, which rounds "
           "down; replicas acknowledge once a second).");
  for (size_t i = 0; i < f.replicas.size(); ++i)
    w.Sample("kv_replication_replica_lag_seconds", labels[i],
             static_cast<double>(std::max<int64_t>(0, f.replicas[i].ack_age_ms)) / 1000.0);

  if (!f.replica) return;
  w.One("kv_replication_master_link_up", "gauge",
        "Replica: 1 while the link to the primary is up (master_link_status).",
        f.link_up ? 1 : 0);
  w.One("kv_replication_master_sync_in_progress", "gauge",
        "Replica: 1 while it receives or loads the primary's snapshot.",
        f.sync_in_progress ? 1 : 0);
  if (f.sync_in_progress) {
    w.One("kv_replication_master_sync_total_bytes", "gauge",
          "Replica, full sync: the snapshot's size (master_sync_total_bytes; -1 until the "
          "primary announced it).",
          f.sync_total_bytes);
    w.One("kv_replication_master_sync_read_bytes", "gauge",
          "Replica, full sync: snapshot bytes received (master_sync_read_bytes).",
          f.sync_read_bytes);
    w.One("kv_replication_master_sync_last_io_age_seconds", "gauge",
          "Replica, full sync: seconds since snapshot bytes last arrived.",
          static_cast<double>(f.sync_last_io_ms_ago) / 1000.0);
  }
  if (f.last_io_ms_ago >= 0)
    w.One("kv_replication_master_last_io_age_seconds", "gauge",
          "Replica, link up: seconds since the last bytes from the primary.",
          static_cast<double>(f.last_io_ms_ago) / 1000.0);
  if (f.link_down_ms >= 0)
    w.One("kv_replication_master_link_down_seconds", "gauge",
          "Replica, link down: seconds since it went down.",
          static_cast<double>(f.link_down_ms) / 1000.0);
}

}  // namespace

std::string RenderPrometheus(ServerState& s, int64_t now_ms) {
  Writer w;
  const EngineStats& es = GlobalEngineStats();
  StatsRegistry& ts = s.thread_stats;
  w.One("kv_start_time_seconds", "gauge", "Unix time the server started.", s.start_ms / 1000);
  w.One("kv_uptime_seconds", "gauge", "Seconds since the server started.",
        (now_ms - s.start_ms) / 1000);
  w.One("kv_commands_processed_total", "counter", "Commands run (total_commands_processed).",
        ts.Sum(&ThreadStats::commands_processed));
  w.One("kv_error_replies_total", "counter", "Error replies sent (total_error_replies).",
        ts.Sum(&ThreadStats::errors));
  CommandMetrics(w, s);

  w.One("kv_memory_used_bytes", "gauge", "Memory the server accounts for (used_memory).",
        UsedMemory());
  w.One("kv_memory_rss_bytes", "gauge", "Resident set size of the process (used_memory_rss).",
        ProcessRss());
  w.One("kv_memory_peak_bytes", "gauge", "Highest used memory seen (used_memory_peak).",
        s.sampled.used_memory_peak.load());
  w.One("kv_memory_max_bytes", "gauge", "The maxmemory setting (0: no limit).",
        s.config.maxmemory.load());

  const std::vector<KeyspaceSample> keyspace = s.sampled.KeyspaceSamples();
  w.Family("kv_keys", "gauge", "Keys per namespace (sampled about once a second).");
  for (const KeyspaceSample& k : keyspace)
    w.Sample("kv_keys", fmt::format("namespace=\"{}\"", Escape(k.name)), k.keys);
  w.Family("kv_keys_expiring", "gauge",
           "Keys with a time to live per namespace (sampled about once a second).");
  for (const KeyspaceSample& k : keyspace)
    w.Sample("kv_keys_expiring", fmt::format("namespace=\"{}\"", Escape(k.name)), k.expires);
  w.One("kv_expired_keys_total", "counter", "Keys deleted because they expired.",
        es.expired_keys.load());
  w.One("kv_evicted_keys_total", "counter", "Keys evicted under maxmemory.",
        es.evicted_keys.load());
  w.One("kv_keyspace_hits_total", "counter", "Key lookups that found the key.",
        es.keyspace_hits.load());
  w.One("kv_keyspace_misses_total", "counter", "Key lookups that did not find the key.",
        es.keyspace_misses.load());

  w.One("kv_connected_clients", "gauge", "Client connections open now.", s.clients.size());
  w.One("kv_connections_received_total", "counter", "Connections accepted.",
        s.stats.total_connections.load());
  w.One("kv_rejected_connections_total", "counter",
        "Connections refused (maxclients, protected mode).", s.stats.rejected_connections.load());
  w.One("kv_net_input_bytes_total", "counter", "Bytes read from clients.",
        ts.Sum(&ThreadStats::net_input));
  w.One("kv_net_output_bytes_total", "counter", "Bytes written to clients.",
        ts.Sum(&ThreadStats::net_output));
  w.One("kv_net_repl_input_bytes_total", "counter",
        "Bytes of the replication stream read from the primary (total_net_repl_input_bytes).",
        ts.Sum(&ThreadStats::net_repl_input));
  w.One("kv_net_repl_output_bytes_total", "counter",
        "Bytes written to replicas: snapshots and stream (total_net_repl_output_bytes).",
        ts.Sum(&ThreadStats::net_repl_output));

  PersistenceMetrics(w, s, now_ms);
  ReplicationMetrics(w, s);
  return w.Take();
}

HealthReport CheckHealth(const ServerState& s) {
  const persist::Persistence* p = s.persistence;
  if (p && p->loading()) return {Health::kLoading, 503, "loading\n"};
  if (const persist::Wal* wal = p ? p->wal() : nullptr; wal && wal->failed())
    return {Health::kFailed, 500, "failed: the WAL cannot write: " + wal->error() + "\n"};
  if (s.replication && s.replication->ReadOnly()) return {Health::kReadOnly, 200, "read-only\n"};
  return {Health::kReady, 200, "ready\n"};
}

}  // namespace kv
