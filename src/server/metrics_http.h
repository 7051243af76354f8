// MetricsHttp: the HTTP endpoint (--metrics-port) that serves GET /metrics (Prometheus text
// format), GET /health (readiness: ready, loading, read-only, failed) and GET /health/live
// (liveness), through civetweb (Debian's libcivetweb): no HTTP parsing of our own.
//
// Its few worker threads read the server through commands/metrics.h, which takes no lock an
// I/O loop holds for long. It listens on the server's bind address and applies protected mode
// as the RESP listener does (docs/security.md).
#pragma once

#include <string>
#include <vector>

struct mg_context;
struct mg_connection;

namespace kv {

class ServerState;

class MetricsHttp {
 public:
  explicit MetricsHttp(ServerState& server) : server_(server) {}
  ~MetricsHttp() { Stop(); }
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Listens on bind:port. Returns "" or an error.
  std::string Start(const std::string& bind, int port);
  void Stop();
  // The listening sockets (for snapshot children to close).
  const std::vector<int>& listen_fds() const { return fds_; }

 private:
  static int Handle(mg_connection* conn, void* self);

  ServerState& server_;
  mg_context* ctx_ = nullptr;
  std::vector<int> fds_;
};

}  // namespace kv
