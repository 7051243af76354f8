#include "server/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <thread>

#include "commands/families.h"
#include "core/expiry.h"
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
}  // namespace

Server::Server(Config& config) : config_(config) {
  store_ = std::make_unique<Store>(config.shards.load());
  RegisterBuiltinFamilies(commands_);
  RegisterModuleFamily(commands_, modules_);
  state_ = std::make_unique<ServerState>(config_, *store_, commands_);
  dispatcher_ = std::make_unique<Dispatcher>(*state_);
  store_->Get("0");
}

Server::~Server() = default;

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
  // Redis spends at most 25% of a cron period on active expiry; so do we.
  const int64_t period_us = 1000000 / std::max(1, self->config_.hz.load());
  ActiveExpireCycle(*self->store_, now, period_us / 4);
}

void Server::OnSignal(uv_signal_t* s, int signum) {
  auto* self = static_cast<Server*>(s->data);
  spdlog::info("received {}, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
  uv_timer_stop(&self->cron_);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->cron_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->sigint_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->sigterm_), nullptr);
  for (auto& t : self->threads_) t->RequestStop();
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

int Server::Run() {
  signal(SIGPIPE, SIG_IGN);
  // A plugin the operator asked for at start-up is required: refuse to start without it.
  if (std::string err = LoadModules(); !err.empty()) {
    spdlog::error("{}", err);
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
  uv_timer_init(main_loop, &cron_);
  cron_.data = this;
  UpdateLruClock(NowMs());
  uv_timer_start(&cron_, OnCron, 0, 1000 / std::max(1, config_.hz.load()));
  const int native_port = config_.native_port.load();
  for (auto& t : threads_) {
    for (auto [p, protocol] : {std::pair<int, SessionFactory>{port, MakeRespSession},
                               std::pair<int, SessionFactory>{native_port, MakeNativeSession}}) {
      if (p == 0) continue;
      std::string err = t->Listen(config_.bind(), p, config_.tcp_backlog.load(), protocol);
      if (!err.empty()) {
        spdlog::error("{}", err);
        return 1;
      }
    }
  }

  spdlog::info(
      "kv-server ready: RESP on {}:{}, native protocol on port {}, {} I/O thread{}, {} shards "
      "per namespace",
      config_.bind(), port, native_port, n, n == 1 ? "" : "s", store_->shard_count());
  for (size_t i = 1; i < threads_.size(); ++i) threads_[i]->RunInThread();
  threads_[0]->RunHere();
  for (auto& t : threads_) t->Join();
  spdlog::info("kv-server stopped");
  return 0;
}

}  // namespace kv
