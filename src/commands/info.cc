// INFO: Redis 7's sections and fields, each under Redis's name and unit, for every figure that
// means something in kv-server; fields with no meaning here are left out, never faked
// (docs/info.md lists them). Section selection follows Redis 7: no argument or `default`, `all`,
// `everything`, or several section names.
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <vector>

#include "kv_version.h"

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/families.h"
#include "commands/function_libraries.h"
#include "commands/replication.h"
#include "commands/scripting.h"
#include "commands/server_state.h"
#include "commands/tracking.h"
#include "core/lazy_free.h"
#include "core/memory.h"
#include "core/shard.h"
#include "persist/persistence.h"

namespace kv {

namespace {

std::string HumanBytes(int64_t n) {
  const double d = static_cast<double>(n);
  if (n < 1024) return fmt::format("{}B", n);
  if (n < 1024 * 1024) return fmt::format("{:.2f}K", d / 1024);
  if (n < 1024ll * 1024 * 1024) return fmt::format("{:.2f}M", d / (1024 * 1024));
  return fmt::format("{:.2f}G", d / (1024.0 * 1024 * 1024));
}

double Percent(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

int64_t TotalSystemMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? int64_t{pages} * page : 0;
}

// ctx.now_ms is the loop's cached clock in ms; Redis prints the clock itself, in µs.
int64_t RealtimeUsec() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

std::string ServerSection(CommandContext& ctx) {
  ServerState& s = *ctx.server;
  const Config& cfg = s.config;
  utsname un{};
  uname(&un);
  const int64_t uptime = (ctx.now_ms - s.start_ms) / 1000;
  return fmt::format(
      "# Server\r\nredis_version:{}\r\nkv_server_version:{}\r\nredis_mode:{}\r\n"
      "os:{} {} {}\r\narch_bits:64\r\nmonotonic_clock:POSIX clock_gettime\r\n"
      "multiplexing_api:epoll\r\ngcc_version:{}.{}.{}\r\nprocess_id:{}\r\n"
      "process_supervised:no\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\n"
      "uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\n"
      "lru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\nio_threads_active:{}\r\n"
      "shards_per_namespace:{}\r\n",
      kRedisCompatVersion, KV_VERSION, s.cluster ? "cluster" : "standalone", un.sysname, un.release, un.machine, __GNUC__,
      __GNUC_MINOR__, __GNUC_PATCHLEVEL__, getpid(), s.run_id, cfg.port.load(),
      RealtimeUsec(), uptime, uptime / 86400, cfg.hz.load(), cfg.hz.load(), LruClock(),
      s.executable, s.config_file, s.io_threads, s.store.shard_count());
}

std::string ClientsSection(CommandContext& ctx) {
  ServerState& s = *ctx.server;
  size_t blocked = 0;
  s.clients.ForEach([&](const ClientState& c) {
    if (c.blocked_owner.load(std::memory_order_relaxed) != nullptr) ++blocked;
  });
  return fmt::format(
      "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\nblocked_clients:{}\r\n"
      "tracking_clients:{}\r\n",
      s.clients.size(), s.config.maxclients.load(), blocked, tracking::Clients());
}

std::string MemorySection(CommandContext& ctx) {
  ServerState& s = *ctx.server;
  const Config& cfg = s.config;
  const int64_t used = UsedMemory();
  s.sampled.NotePeak(used, ctx.now_ms);
  const int64_t peak = s.sampled.used_memory_peak.load();
  const int64_t startup = s.sampled.used_memory_startup.load();
  const int64_t rss = static_cast<int64_t>(ProcessRss());
  const int64_t maxmemory = cfg.maxmemory.load();
  const int64_t dataset = GlobalEngineStats().tracked_bytes.load();
  const int64_t overhead = std::max<int64_t>(0, used - dataset);
  const int64_t system = TotalSystemMemory();
  size_t allocated_u = 0, active_u = 0, resident_u = 0;
  // Only jemalloc gives active and resident: under another allocator those fields stay out.
  const bool allocator_figures = AllocatorFigures(&allocated_u, &active_u, &resident_u);
  if (!allocator_figures) allocated_u = AllocatorAllocated();
  const int64_t allocated = static_cast<int64_t>(allocated_u);
  const int64_t active = static_cast<int64_t>(active_u);
  const int64_t resident = static_cast<int64_t>(resident_u);
  auto ratio = [](int64_t a, int64_t b) {
    return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
  };
  const FunctionCounts functions = CountFunctions();
  const int64_t backlog = s.replication ? s.replication->Figures().backlog_size : 0;
  std::string out = fmt::format(
      "# Memory\r\nused_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\n"
      "used_memory_rss_human:{}\r\nused_memory_peak:{}\r\nused_memory_peak_human:{}\r\n"
      "used_memory_peak_perc:{:.2f}%\r\nused_memory_peak_time:{}\r\nused_memory_peak_rss:{}\r\n"
      "used_memory_overhead:{}\r\nused_memory_startup:{}\r\nused_memory_dataset:{}\r\n"
      "used_memory_dataset_perc:{:.2f}%\r\nallocator_allocated:{}\r\n",
      used, HumanBytes(used), rss, HumanBytes(rss), peak, HumanBytes(peak), Percent(used, peak),
      s.sampled.used_memory_peak_time.load(), ProcessPeakRss(), overhead, startup, dataset,
      Percent(dataset, used - startup), allocated);
  if (allocator_figures)
    fmt::format_to(std::back_inserter(out), "allocator_active:{}\r\nallocator_resident:{}\r\n",
                   active, resident);
  fmt::format_to(std::back_inserter(out),
                 "total_system_memory:{}\r\ntotal_system_memory_human:{}\r\n"
                 "number_of_cached_scripts:{}\r\nnumber_of_functions:{}\r\n"
                 "number_of_libraries:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\n"
                 "maxmemory_policy:{}\r\n",
                 system, HumanBytes(system), CachedScriptCount(), functions.functions,
                 functions.libraries, maxmemory, HumanBytes(maxmemory),
                 EvictionPolicyName(cfg.maxmemory_policy.load()));
  if (allocator_figures)
    fmt::format_to(std::back_inserter(out),
                   "allocator_frag_ratio:{:.2f}\r\nallocator_frag_bytes:{}\r\n"
                   "allocator_rss_ratio:{:.2f}\r\nallocator_rss_bytes:{}\r\n"
                   "rss_overhead_ratio:{:.2f}\r\nrss_overhead_bytes:{}\r\n",
                   ratio(active, allocated), active - allocated, ratio(resident, active),
                   resident - active, ratio(rss, resident), rss - resident);
  fmt::format_to(std::back_inserter(out),
                 "mem_fragmentation_ratio:{:.2f}\r\nmem_fragmentation_bytes:{}\r\n"
                 "mem_replication_backlog:{}\r\nmem_clients_normal:{}\r\nmem_cluster_links:0\r\n"
                 "mem_allocator:{}\r\n"
                 "lazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\n",
                 ratio(rss, used), rss - used, backlog, ClientBufferBytes(), AllocatorName(),
                 LazyFreePendingObjects(), LazyFreedObjects());
  return out;
}

std::string PersistenceSection(CommandContext& ctx) {
  ServerState& s = *ctx.server;
  // Plugins cannot fork (kvmodule.h has no such call): Redis's module fork fields are zeros.
  constexpr std::string_view kModuleFork =
      "module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n";
  if (s.persistence)
    return "# Persistence\r\n" + s.persistence->Info() + std::string(kModuleFork);
  return fmt::format(
      "# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:0\r\n"
      "rdb_bgsave_in_progress:0\r\nrdb_last_save_time:{}\r\naof_enabled:0\r\n"
      "aof_rewrite_in_progress:0\r\n{}",
      s.start_ms / 1000, kModuleFork);
}

std::string StatsSection(CommandContext& ctx) {
  ServerState& s = *ctx.server;
  StatsRegistry& ts = s.thread_stats;
  const EngineStats& es = GlobalEngineStats();
  const persist::Persistence* p = s.persistence;
  std::string out = fmt::format(
      "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\n"
      "instantaneous_ops_per_sec:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\n"
      "total_net_repl_input_bytes:{}\r\ntotal_net_repl_output_bytes:{}\r\n"
      "instantaneous_input_kbps:{:.2f}\r\ninstantaneous_output_kbps:{:.2f}\r\n"
      "instantaneous_input_repl_kbps:{:.2f}\r\ninstantaneous_output_repl_kbps:{:.2f}\r\n"
      "rejected_connections:{}\r\nexpired_keys:{}\r\nexpired_subkeys:{}\r\nevicted_keys:{}\r\nevicted_clients:0\r\n"
      "keyspace_hits:{}\r\n"
      "keyspace_misses:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\n"
      "pubsubshard_channels:{}\r\nlatest_fork_usec:{}\r\ntotal_forks:{}\r\n"
      "migrate_cached_sockets:0\r\n"
      "tracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\n"
      "total_error_replies:{}\r\ntotal_reads_processed:{}\r\ntotal_writes_processed:{}\r\n",
      s.stats.total_connections.load(), ts.Sum(&ThreadStats::commands_processed),
      std::llround(s.sampled.ops.Rate()), ts.Sum(&ThreadStats::net_input),
      ts.Sum(&ThreadStats::net_output), ts.Sum(&ThreadStats::net_repl_input),
      ts.Sum(&ThreadStats::net_repl_output), s.sampled.net_input.Rate() / 1024,
      s.sampled.net_output.Rate() / 1024, s.sampled.net_repl_input.Rate() / 1024,
      s.sampled.net_repl_output.Rate() / 1024, s.stats.rejected_connections.load(),
      es.expired_keys.load(), es.expired_subkeys.load(), es.evicted_keys.load(), es.keyspace_hits.load(),
      es.keyspace_misses.load(), s.pubsub.NumChannels(false), s.pubsub.NumPatterns(),
      s.pubsub.NumChannels(true), p ? p->latest_fork_usec() : 0, p ? p->total_forks() : 0,
      tracking::Keys(), tracking::Items(), tracking::PrefixCount(),
      ts.Sum(&ThreadStats::errors), ts.Sum(&ThreadStats::reads), ts.Sum(&ThreadStats::writes));
  if (s.replication) out += s.replication->StatsLines();
  return out;
}

std::string ReplicationSection(CommandContext& ctx) {
  if (ctx.server->replication) return "# Replication\r\n" + ctx.server->replication->Info();
  // Unit tests: a master without replicas or backlog, as Redis reports one.
  return fmt::format(
      "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_replid:{}\r\n"
      "master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\n"
      "second_repl_offset:-1\r\nrepl_backlog_active:0\r\n",
      ctx.server->replication_id);
}

std::string CpuSection(CommandContext&) {
  auto line = [](std::string& out, std::string_view name, const timeval& tv) {
    out += fmt::format("{}:{}.{:06}\r\n", name, tv.tv_sec, tv.tv_usec);
  };
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);  // snapshot children
  std::string out = "# CPU\r\n";
  line(out, "used_cpu_sys", self.ru_stime);
  line(out, "used_cpu_user", self.ru_utime);
  line(out, "used_cpu_sys_children", children.ru_stime);
  line(out, "used_cpu_user_children", children.ru_utime);
  return out;
}

std::string ModulesSection(CommandContext& ctx) {
  std::string out = "# Modules\r\n";
  if (ctx.server->info_modules) out += ctx.server->info_modules();
  return out;
}

std::string CommandstatsSection(CommandContext& ctx) {
  std::string out = "# Commandstats\r\n";
  ForEachStatsSlot(ctx.server->commands.Public(),
                   [&](std::string_view name, uint32_t slot, const CommandSpec&) {
    const StatsRegistry::CommandTotals t = ctx.server->thread_stats.Command(slot);
    if (t.calls == 0 && t.rejected == 0 && t.failed == 0) return;
    const double usec = static_cast<double>(t.ns) / 1000.0;
    out += fmt::format(
        "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
        name, t.calls, t.ns / 1000, t.calls ? usec / static_cast<double>(t.calls) : 0.0,
        t.rejected, t.failed);
  });
  return out;
}

std::string ErrorstatsSection(CommandContext& ctx) {
  std::string out = "# Errorstats\r\n";
  for (const auto& [code, n] : ctx.server->thread_stats.ErrorCodes())
    out += fmt::format("errorstat_{}:count={}\r\n", code, n);
  return out;
}

// Redis prints a percentile as %f-style with three decimals and trims nothing (p99.9=...).
std::string PercentileName(double p) {
  std::string s = fmt::format("{:.3f}", p);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string LatencystatsSection(CommandContext& ctx) {
  std::string out = "# Latencystats\r\n";
  const std::vector<double> percentiles = ctx.server->config.latency_percentiles();
  if (percentiles.empty()) return out;
  ForEachStatsSlot(ctx.server->commands.Public(),
                   [&](std::string_view name, uint32_t slot, const CommandSpec&) {
    const StatsRegistry::CommandTotals t = ctx.server->thread_stats.Command(slot);
    if (!t.has_latency || t.latency.total == 0) return;
    out += fmt::format("latency_percentiles_usec_{}:", name);
    for (size_t i = 0; i < percentiles.size(); ++i) {
      const double us = static_cast<double>(t.latency.Percentile(percentiles[i])) / 1000.0;
      out += fmt::format("{}p{}={:.3f}", i ? "," : "", PercentileName(percentiles[i]), us);
    }
    out += "\r\n";
  });
  return out;
}

std::string ClusterSection(CommandContext& ctx) {
  // Clients probe this to pick a cluster-aware mode.
  return fmt::format("# Cluster\r\ncluster_enabled:{}\r\n", ctx.server->cluster ? 1 : 0);
}

std::string KeyspaceSection(CommandContext& ctx) {
  std::string out = "# Keyspace\r\n";
  for (Keyspace* ks : ctx.server->store.All()) {
    const size_t keys = ks->Size();
    if (keys == 0) continue;
    // Numeric namespaces read like Redis databases ("db0"); named ones keep their name.
    const bool numeric = std::all_of(ks->name().begin(), ks->name().end(),
                                     [](char c) { return c >= '0' && c <= '9'; });
    const Keyspace::Volatile v = ks->VolatileStats(ctx.now_ms);
    out += fmt::format("{}{}:keys={},expires={},avg_ttl={}\r\n", numeric ? "db" : "", ks->name(),
                       keys, v.keys, v.avg_ttl_ms);
  }
  return out;
}

struct Section {
  std::string_view name;
  std::string (*render)(CommandContext&);
  bool in_default;  // printed by INFO and INFO default; `all` and `everything` print every one
};

// Redis 7's order.
constexpr Section kSections[] = {
    {"server", ServerSection, true},
    {"clients", ClientsSection, true},
    {"memory", MemorySection, true},
    {"persistence", PersistenceSection, true},
    {"stats", StatsSection, true},
    {"replication", ReplicationSection, true},
    {"cpu", CpuSection, true},
    {"modules", ModulesSection, true},
    {"commandstats", CommandstatsSection, false},
    {"errorstats", ErrorstatsSection, true},
    {"latencystats", LatencystatsSection, false},
    {"cluster", ClusterSection, true},
    {"keyspace", KeyspaceSection, true},
};

void CmdInfo(CommandContext& ctx) {
  bool all = false, defaults = ctx.args.size() == 1;
  std::vector<std::string> wanted;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string l = AsciiLower(ctx.args[i]);
    if (l == "all" || l == "everything") all = true;
    else if (l == "default") defaults = true;
    else wanted.push_back(std::move(l));
  }
  std::string out;
  for (const Section& sec : kSections) {
    const bool pick = all || (defaults && sec.in_default) ||
                      std::find(wanted.begin(), wanted.end(), sec.name) != wanted.end();
    if (!pick) continue;
    if (!out.empty()) out += "\r\n";
    out += sec.render(ctx);
  }
  ctx.rb->SendVerbatim(out);
}

}  // namespace

void RegisterInfo(CommandTable& t) {
  t.Register(MakeSpec("info", -1, kCmdLoading | kCmdStale, kNoKeys, CmdInfo, "server", "1.0.0",
                      "Returns information and statistics about the server.",
                      "[section ...]"));
}

}  // namespace kv
