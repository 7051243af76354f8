#include "server/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "commands/acl_commands.h"
#include "commands/blocking.h"
#include "commands/families.h"
#include "commands/function_libraries.h"
#include "commands/monitor.h"
#include "commands/tracking.h"
#include "core/expiry.h"
#include "core/keyspace_events.h"
#include "core/latency_monitor.h"
#include "core/memory.h"
#include "core/shard.h"
#include "server/connection.h"
#include "server/native_session.h"
#include "server/resp_session.h"

namespace kv {

namespace {
std::unique_ptr<Session> MakeRespSession(Connection* c) {
  return std::make_unique<RespSession>(c->thread()->dispatcher(), c->client());
}
std::unique_ptr<Session> MakeNativeSession(Connection* c) {
  return std::make_unique<NativeSession>(c->thread()->dispatcher(), c->client());
}


persist::FsyncPolicy PolicyFrom(const std::string& name, int64_t* interval_ms) {
  if (name == "always") return persist::FsyncPolicy::kAlways;
  if (name == "no") return persist::FsyncPolicy::kNo;
  if (name == "everysec") {
    *interval_ms = 1000;
    return persist::FsyncPolicy::kEverysec;
  }
  return persist::FsyncPolicy::kBatch;
}

// main() removes the pidfile it wrote on a clean stop; a stop that skips main's return does it
// here, if the file still names this process.
void RemoveOwnPidfile(const std::string& path) {
  if (path.empty()) return;
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid == static_cast<long>(getpid())) unlink(path.c_str());
}
}  // namespace

Server::Server(Config& config) : config_(config) {
  store_ = std::make_unique<Store>(config.shards.load(), config.cluster_enabled.load());
  RegisterBuiltinFamilies(commands_);
  RegisterModuleFamily(commands_, modules_);
  state_ = std::make_unique<ServerState>(config_, *store_, commands_);
  dispatcher_ = std::make_unique<Dispatcher>(*state_);
  state_->info_modules = [this] {
    std::string out;
    for (const auto& m : modules_.List())
      out += fmt::format("module:name={},ver={},api={},path={}\r\n", m->name, m->version,
                         KVMODULE_API_VERSION, m->path);
    return out;
  };
  store_->Get("0");
  persist::PersistenceOptions po;
  po.enabled = config_.appendonly();
  po.dir = config_.dir();
  po.policy = PolicyFrom(config_.appendfsync(), &(po.interval_ms = config_.appendfsync_interval_ms));
  po.queue_limit = static_cast<size_t>(config_.wal_queue_limit.load());
  persistence_ = std::make_unique<persist::Persistence>(*store_, po);
  persistence_->SetLibraryHooks({FunctionLibraryCodes, ReplaceFunctionLibraries});
  state_->persistence = persistence_.get();
  replication_ = std::make_unique<ServerReplication>(*state_, MakeRespSession);
  state_->replication = replication_.get();
  state_->request_shutdown = [this](bool snapshot) {
    spdlog::info("SHUTDOWN{} requested by a client", snapshot ? "" : " NOSAVE");
    final_snapshot_ = snapshot;
    uv_async_send(&fatal_async_);
  };
  state_->shutdown_now = [this] {
    spdlog::warn("SHUTDOWN NOSAVE while a script runs past busy-reply-threshold: stopping now, "
                 "without the script (what it wrote is lost, as it was never logged)");
    const bool synced = persistence_->SyncLog();
    if (!synced) spdlog::error("shutdown: the WAL could not be synced");
    RemoveOwnPidfile(config_.pidfile());
    spdlog::info("kv-server stopped");
    spdlog::shutdown();
    std::_Exit(synced ? 0 : 1);
  };
}

Server::~Server() { keyspace_events::SetSink(nullptr); }

int Server::AutoThreads() {
  // Measured on 2 cores with the load generator on the same machine: a second loop thread only
  // adds contention (docs/benchmarks.md). Half the cores leaves room for clients and the WAL
  // thread on bigger machines.
  const unsigned n = std::thread::hardware_concurrency();
  return n <= 2 ? 1 : static_cast<int>(n / 2);
}

void Server::OnCron(uv_timer_t* t) {
  auto* self = static_cast<Server*>(t->data);
  const int64_t now = NowMs();
  UpdateLruClock(now);
  RefreshMemoryOverhead();
  self->SampleStats(now);
  // Redis spends at most 25% of a cron period on active expiry; so do we.
  const int64_t period_us = 1000000 / std::max(1, self->config_.hz.load());
  if (self->state_->active_expire.load(std::memory_order_relaxed))
  {
    const uint64_t t0 = MonotonicNs();
    ActiveExpireCycle(*self->store_, now, period_us / 4);
    GlobalLatencyMonitor().Report("expire-cycle", MonotonicNs() - t0, now / 1000);
  }
  tracking::DeliverPending();  // the expired keys' invalidations
  self->persistence_->Cron(now, self->config_.snapshot_interval.load(),
                           self->config_.snapshot_ops.load());
  self->replication_->Cron(now);
}

void Server::SampleStats(int64_t now) {
  ServerState& st = *state_;
  SampledStats& sm = st.sampled;
  sm.ops.Sample(now, st.thread_stats.Sum(&ThreadStats::commands_processed));
  sm.net_input.Sample(now, st.thread_stats.Sum(&ThreadStats::net_input));
  sm.net_output.Sample(now, st.thread_stats.Sum(&ThreadStats::net_output));
  sm.net_repl_input.Sample(now, st.thread_stats.Sum(&ThreadStats::net_repl_input));
  sm.net_repl_output.Sample(now, st.thread_stats.Sum(&ThreadStats::net_repl_output));
  sm.NotePeak(UsedMemory(), now);
  sm.SampleKeyspace(*store_, now);
}

void Server::ApplyFsyncConfig() {
  persist::Wal* wal = persistence_->wal();
  if (!wal) return;
  int64_t interval = config_.appendfsync_interval_ms.load();
  const persist::FsyncPolicy p = PolicyFrom(config_.appendfsync(), &interval);
  wal->SetPolicy(p, interval);
}

void Server::Stop() {
  {
    std::lock_guard lk(loops_mu_);
    loops_alive_ = false;
  }
  replication_->Stop();
  uv_timer_stop(&cron_);
  uv_close(reinterpret_cast<uv_handle_t*>(&cron_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&fatal_async_), nullptr);
  for (auto& t : threads_) t->RequestStop();
}

void Server::OnFatal(uv_async_t* a) { static_cast<Server*>(a->data)->Stop(); }

void Server::LoadData() {
  persist::RecoveryReport report;
  const int64_t t0 = NowMs();
  std::string err = persistence_->Recover(
      [this](const persist::WalRecord& r) { return dispatcher_->Replay(r); }, &report,
      [](uint64_t done, uint64_t total) {
        spdlog::info("loading: {:.1f}% ({} of {} bytes)", 100.0 * double(done) / double(total),
                     done, total);
      });
  if (err.empty()) {
    err = persistence_->OpenLog([this] {
      std::lock_guard lk(loops_mu_);
      if (!loops_alive_) return;
      for (auto& t : threads_) t->NotifyDurable();
    });
  }
  if (!err.empty()) {
    spdlog::error("cannot load the data directory: {}", err);
    exit_code_ = 1;
    uv_async_send(&fatal_async_);
    return;
  }
  for (const std::string& w : report.warnings) spdlog::warn("{}", w);
  if (!report.fresh) {
    spdlog::info(
        "data loaded from {} in {} ms: snapshot {} ({} keys, LSN {}, {:.3f} s), {} WAL records "
        "replayed ({:.3f} s), next LSN {}",
        config_.dir(), NowMs() - t0,
        report.manifest.snapshot.empty() ? "none" : report.manifest.snapshot,
        report.snapshot.keys, report.snapshot.lsn, report.snapshot_seconds,
        report.records_replayed, report.replay_seconds, report.last_lsn + 1);
  }
  // A mark is exact only when nothing was replayed after its image (a clean shutdown's).
  if (const auto& mark = report.snapshot.replication;
      mark && report.records_replayed == 0 && replication_->RestoreMark(*mark))
    spdlog::info("replication: the data stands at offset {} of history {}: asking the primary "
                 "to continue from there",
                 mark->offset, mark->replid);
  ApplyFsyncConfig();
  persistence_->SetLoading(false);
  replication_->Start();
  // Redis's words, which scripts and orchestration wait for: logged once the data is in.
  spdlog::info("ready to accept connections");
  if (on_ready_) on_ready_();
}

void Server::OnSignal(uv_signal_t* s, int signum) {
  auto* self = static_cast<Server*>(s->data);
  spdlog::info("received {}, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
  self->Stop();
}

std::string Server::LoadModules() {
  std::string err = LoadBuiltinModules(modules_);
  if (!err.empty()) return "built-in extensions: " + err;
  for (const std::string& line : config_.loadmodules()) {
    std::istringstream in(line);
    std::string path, word;
    in >> path;
    std::vector<std::string> args;
    while (in >> word) args.push_back(word);
    err = modules_.Load(path, args);
    if (!err.empty()) return "--loadmodule " + path + ": " + err;
  }
  return "";
}

std::string Server::LoadClusterMap() {
  if (!config_.cluster_enabled.load()) return "";
  std::filesystem::path path = config_.cluster_config_file();
  if (path.is_relative()) path = std::filesystem::path(config_.dir()) / path;
  // This node's line in a map shared by every node is the one with its announced address.
  std::string ip = config_.cluster_announce_ip();
  if (ip.empty()) {
    const std::string bind = config_.bind();
    ip = bind.substr(0, bind.find(' '));
  }
  auto map = std::make_unique<ClusterMap>();
  if (std::string err = map->Load(path.string(), ip, config_.port.load()); !err.empty())
    return err;
  cluster_ = std::move(map);
  state_->cluster = cluster_.get();
  spdlog::info("cluster mode: node {} ({}:{}), {} of {} slots assigned, map in {}",
               cluster_->me().id, cluster_->me().ip, cluster_->me().port,
               cluster_->slots_assigned(), kClusterSlots, path.string());
  return "";
}

void Server::WarnIfExposed() {
  const std::string bind = config_.bind();
  if (bind.starts_with("127.") || bind == "::1" || bind == "localhost" ||
      config_.has_password())
    return;
  if (config_.protected_mode.load()) {
    spdlog::warn(
        "listening on {} without a password: protected mode refuses every client that is not "
        "on loopback; set requirepass to serve them (docs/security.md)",
        bind);
  } else {
    spdlog::warn(
        "listening on {} without a password and with protected-mode no: anyone who can reach "
        "the port can read and change every key; set requirepass (docs/security.md)",
        bind);
  }
}

int Server::Run() {
  signal(SIGPIPE, SIG_IGN);
  // A plugin the operator asked for at start-up is required: refuse to start without it.
  if (std::string err = LoadModules(); !err.empty()) {
    spdlog::error("{}", err);
    return 1;
  }
  // Users after plugins: their rules may name plugin commands.
  if (std::string err = InitAcl(*state_); !err.empty()) {
    spdlog::error("Aborting kv-server startup because of ACL errors: {}", err);
    return 1;
  }
  int n = config_.threads.load();
  if (n == 0) n = AutoThreads();
  state_->io_threads = n;
  const int port = config_.port.load();
  for (int i = 0; i < n; ++i) threads_.push_back(std::make_unique<IoThread>(i, *dispatcher_));
  // Signals first: once a port accepts connections, SIGTERM must already mean a clean stop.
  uv_loop_t* main_loop = threads_[0]->loop();
  uv_signal_init(main_loop, &sigint_);
  uv_signal_init(main_loop, &sigterm_);
  sigint_.data = sigterm_.data = this;
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_async_init(main_loop, &fatal_async_, OnFatal);
  fatal_async_.data = this;
  uv_timer_init(main_loop, &cron_);
  cron_.data = this;
  UpdateLruClock(NowMs());
  uv_timer_start(&cron_, OnCron, 0, 1000 / std::max(1, config_.hz.load()));
  const int native_port = config_.native_port.load();
  if (std::string err = persistence_->LockDir(); !err.empty()) {
    spdlog::error("{}", err);
    return 1;
  }
  if (std::string err = LoadClusterMap(); !err.empty()) {
    spdlog::error("cluster: {}", err);
    return 1;
  }
  const int tls_port = config_.tls_port.load();
  const int tls_native_port = config_.tls_native_port.load();
  const bool use_tls = tls_port != 0 || tls_native_port != 0;
  // A TLS port without a usable certificate is a configuration error, not a server without TLS.
  if (use_tls) {
    if (std::string err = tls_.Configure(tls::Settings::From(config_)); !err.empty()) {
      spdlog::error("TLS: {}", err);
      return 1;
    }
  }
  struct ListenerSpec {
    int port;
    SessionFactory protocol;
    tls::TlsContext* tls;
  };
  const ListenerSpec specs[] = {{port, MakeRespSession, nullptr},
                                {native_port, MakeNativeSession, nullptr},
                                {tls_port, MakeRespSession, &tls_},
                                {tls_native_port, MakeNativeSession, &tls_}};
  // One listening socket per port, on loop 0, which hands connections to every loop: no
  // SO_REUSEPORT, so a port another process holds refuses the start instead of being shared.
  std::vector<IoThread*> loops;
  for (auto& t : threads_) loops.push_back(t.get());
  IoThread::SetLoops(loops);
  state_->deliver_pubsub = &IoThread::DeliverPubSub;
  state_->close_client_if = [](uint64_t id, std::string why,
                               std::function<bool(const ClientState&)> close_if) {
    IoThread::PostToConnection(
        id, [why = std::move(why), close_if = std::move(close_if)](Connection& c) {
          if (!close_if(c.client())) return;
          spdlog::info("closing client {} ({}): {}", c.client().id, c.client().addr, why);
          c.Close();
        });
  };
  blocking::SetWaker([](int thread, uint64_t id) {
    IoThread::PostToConnection(thread, id, [](Connection& c) { c.WakeBlocked(); });
  });
  blocking::Install();
  monitor::SetDeliverer([](int loop, uint64_t id, std::shared_ptr<const std::string> line) {
    auto deliver = [id](const std::string& l) {
      if (Connection* c = IoThread::Current()->FindConnection(id)) c->DeliverMonitor(l);
    };
    if (IoThread* here = IoThread::Current(); here != nullptr && here->index() == loop) {
      deliver(*line);
      return;
    }
    IoThread::Post(loop, [deliver, line = std::move(line)] { deliver(*line); });
  });
  tracking::SetDelivery(&IoThread::DeliverTracking, &IoThread::BroadcastTrackingSoon);
  tracking::Install();
  // Keyspace notifications are published like PUBLISH; the sink is a plain function, so the
  // one serving state is reached through a static.
  static std::atomic<ServerState*> events_state;
  events_state.store(state_.get());
  keyspace_events::SetSink([](std::string_view channel, std::string_view message) {
    if (ServerState* s = events_state.load()) s->Publish(channel, message, false);
  });
  state_->pause.wake = [](int thread, uint64_t id) {
    IoThread::PostToConnection(thread, id, [](Connection& c) { c.ResumeAfterPause(); });
  };
  for (const ListenerSpec& spec : specs) {
    if (spec.port == 0) continue;
    int fd = -1;
    std::string err = threads_[0]->Listen(config_.bind(), spec.port, config_.tcp_backlog.load(),
                                          spec.protocol, loops, &fd, spec.tls);
    if (!err.empty()) {
      spdlog::error("{}", err);
      return 1;
    }
    persistence_->CloseInSnapshotChild(fd);
  }

  // Health probes must see "loading" too, so the endpoint starts before the data loads. It is
  // not the database: a port taken by another process (9121 is also redis_exporter's) costs
  // the endpoint, logged, not the start.
  if (const int metrics_port = config_.metrics_port.load(); metrics_port != 0) {
    metrics_http_ = std::make_unique<MetricsHttp>(*state_);
    if (std::string err = metrics_http_->Start(config_.bind(), metrics_port); !err.empty()) {
      spdlog::error("{}; serving without it", err);
      metrics_http_.reset();
    } else {
      for (int fd : metrics_http_->listen_fds()) persistence_->CloseInSnapshotChild(fd);
      spdlog::info("metrics and health on http://{}:{}/metrics and /health", config_.bind(),
                   metrics_port);
    }
  }

  // Clients may connect from here on; until the data is loaded they get -LOADING.
  spdlog::info(
      "kv-server listening: RESP on {}:{}, native protocol on port {}, {} I/O thread{}, {} shards "
      "per namespace, {}",
      config_.bind(), port, native_port, n, n == 1 ? "" : "s", store_->shard_count(),
      config_.appendonly() ? fmt::format("data in {} (appendfsync {})", config_.dir(),
                                         config_.appendfsync())
                           : std::string("in-memory only (appendonly no)"));
  if (use_tls) {
    spdlog::info("TLS: RESP on port {}, native protocol on port {}", tls_port, tls_native_port);
  }
  if (on_listening_) on_listening_();
  WarnIfExposed();
  config_.OnRuntimeSet([this](const std::string& name) {
    if (name == "appendfsync" || name == "appendfsync-interval-ms") ApplyFsyncConfig();
  });
  config_.OnRuntimeApply([this, use_tls](const std::vector<std::string>& names) -> std::string {
    if (!use_tls) return "";  // no TLS listener: the files are read when one is configured
    for (const std::string& name : names) {
      if (!tls::IsTlsDirective(name)) continue;
      // One rebuild covers every tls-* pair of the CONFIG SET (a new certificate with its key).
      std::string err = tls_.Configure(tls::Settings::From(config_));
      if (!err.empty()) {
        spdlog::warn("TLS configuration not changed: {}", err);
        return fmt::format(
            "CONFIG SET failed (possibly related to argument '{}') - Unable to update TLS "
            "configuration: {}",
            name, err);
      }
      spdlog::info("TLS configuration reloaded; new connections use it");
      return "";
    }
    return "";
  });
  {
    std::lock_guard lk(loops_mu_);
    loops_alive_ = true;
  }
  // Clients may connect while the data loads: they get -LOADING (INFO and PING work).
  // Redis's used_memory_startup: what the server holds before any data.
  RefreshMemoryOverhead();
  state_->sampled.used_memory_startup.store(UsedMemory());
  persistence_->SetLoading(config_.appendonly());
  loader_ = std::thread([this] { LoadData(); });
  for (size_t i = 1; i < threads_.size(); ++i) threads_[i]->RunInThread();
  threads_[0]->RunHere();
  for (auto& t : threads_) t->Join();
  loader_.join();
  metrics_http_.reset();
  IoThread::SetLoops({});
  config_.OnRuntimeSet(nullptr);
  config_.OnRuntimeApply(nullptr);
  if (exit_code_ == 0) {
    const std::optional<persist::ReplicationMark> mark = replication_->ShutdownMark();
    if (std::string err = persistence_->Shutdown(final_snapshot_, mark ? &*mark : nullptr);
        !err.empty()) {
      spdlog::error("shutdown: {}", err);
      exit_code_ = 1;
    }
  }
  spdlog::info("kv-server stopped");
  return exit_code_;
}

}  // namespace kv
