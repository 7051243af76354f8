// Server: owns everything that lives for the process (config, keyspaces, command table, the I/O
// threads) and the server cron (LRU clock, memory figures, active expiry), and turns SIGINT /
// SIGTERM into a clean shutdown.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commands/command_table.h"
#include "commands/dispatch.h"
#include "commands/server_state.h"
#include "core/cluster_map.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "modules/module_host.h"
#include "persist/persistence.h"
#include "server/io_thread.h"
#include "server/metrics_http.h"
#include "server/replication.h"
#include "server/tls.h"

namespace kv {

class Server {
 public:
  explicit Server(Config& config);
  ~Server();

  // Number of I/O threads `--threads auto` picks on this machine.
  static int AutoThreads();

  // Opens the listeners and runs until a signal asks to stop. Returns the exit code.
  int Run();

  ServerState& state() { return *state_; }
  // Called on the main thread once the data directory and the ports are this server's (the
  // pidfile is written then).
  void OnListening(std::function<void()> fn) { on_listening_ = std::move(fn); }
  // Called on the loading thread once the data has loaded and commands run (--daemonize's
  // parent exits then). Not called when the start fails.
  void OnReady(std::function<void()> fn) { on_ready_ = std::move(fn); }

 private:
  // Built-in extensions, then every --loadmodule; returns "" or the first error.
  std::string LoadModules();
  static void OnCron(uv_timer_t* t);
  static void OnSignal(uv_signal_t* s, int signum);
  static void OnFatal(uv_async_t* a);
  // Stops the loops (main loop only).
  void Stop();
  // Recovery thread: loads the data directory, then opens the WAL and lets commands in.
  void LoadData();
  void ApplyFsyncConfig();
  // Cron: instantaneous rates and the memory peak (INFO).
  void SampleStats(int64_t now);
  // Start-up warning: listening beyond loopback with no password.
  // cluster-enabled yes: reads this node's slot map (cluster-config-file); "" or the error.
  std::string LoadClusterMap();
  void WarnIfExposed();

  Config& config_;
  std::unique_ptr<Store> store_;
  CommandTable commands_;
  ModuleHost modules_{commands_};
  std::unique_ptr<ServerState> state_;
  std::unique_ptr<ClusterMap> cluster_;  // cluster-enabled yes only
  std::unique_ptr<Dispatcher> dispatcher_;
  tls::TlsContext tls_;  // used by the TLS listeners, rebuilt by CONFIG SET tls-*
  std::vector<std::unique_ptr<IoThread>> threads_;
  std::unique_ptr<persist::Persistence> persistence_;
  // --metrics-port; after what it reads, so it stops first.
  std::unique_ptr<MetricsHttp> metrics_http_;
  std::unique_ptr<ServerReplication> replication_;
  uv_timer_t cron_;
  uv_signal_t sigint_, sigterm_;
  uv_async_t fatal_async_;  // a worker thread hit an error that must stop the server
  std::thread loader_;
  std::atomic<int> exit_code_{0};
  std::atomic<bool> final_snapshot_{true};
  std::mutex loops_mu_;  // loops_alive_: the WAL may wake loops only while they run
  bool loops_alive_ = false;
  std::function<void()> on_listening_;
  std::function<void()> on_ready_;
};

}  // namespace kv
