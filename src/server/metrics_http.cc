#include "server/metrics_http.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include "commands/metrics.h"
#include "commands/server_state.h"
#include "core/clock.h"

namespace kv {

namespace {

bool Loopback(std::string_view addr) {
  return addr.starts_with("127.") || addr == "::1" || addr.starts_with("::ffff:127.");
}

// Sockets listening on `port` in this process: civetweb does not hand out its listening
// descriptors, and a snapshot child must not keep the port after a killed parent.
std::vector<int> ListeningFdsOnPort(int port) {
  std::vector<int> out;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == dirfd(d)) continue;
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        !listening)
      continue;
    sockaddr_storage ss{};
    socklen_t slen = sizeof(ss);
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&ss), &slen) != 0) continue;
    int p = 0;
    if (ss.ss_family == AF_INET) p = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    if (ss.ss_family == AF_INET6) p = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    if (p == port) out.push_back(static_cast<int>(fd));
  }
  closedir(d);
  return out;
}

void Respond(mg_connection* conn, int status, std::string_view content_type,
             const std::string& body, bool head, const char* allow = nullptr) {
  mg_response_header_start(conn, status);
  mg_response_header_add(conn, "Content-Type", content_type.data(),
                         static_cast<int>(content_type.size()));
  const std::string length = std::to_string(body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  if (allow) mg_response_header_add(conn, "Allow", allow, -1);
  mg_response_header_send(conn);
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

constexpr std::string_view kText = "text/plain; charset=utf-8";
constexpr std::string_view kPrometheus = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

int MetricsHttp::Handle(mg_connection* conn, void* self_ptr) {
  auto* self = static_cast<MetricsHttp*>(self_ptr);
  ServerState& s = self->server_;
  const mg_request_info* ri = mg_get_request_info(conn);
  const std::string_view method = ri->request_method ? ri->request_method : "";
  const std::string_view path = ri->local_uri ? ri->local_uri : "";
  const bool head = method == "HEAD";
  // Protected mode, as the RESP listener applies it, checked per request so that CONFIG SET
  // requirepass or protected-mode takes effect at once.
  const Config& cfg = s.config;
  if (cfg.protected_mode.load() && !cfg.has_password() && !Loopback(ri->remote_addr)) {
    Respond(conn, 403, kText,
            "forbidden: protected mode is on and no password is set; only loopback clients "
            "are served (docs/security.md)\n",
            head);
    return 403;
  }
  if (method != "GET" && !head) {
    Respond(conn, 405, kText, "method not allowed\n", false, "GET, HEAD");
    return 405;
  }
  if (path == "/metrics") {
    Respond(conn, 200, kPrometheus, RenderPrometheus(s, NowMs()), head);
    return 200;
  }
  if (path == "/health") {
    const HealthReport h = CheckHealth(s);
    Respond(conn, h.http_status, kText, h.body, head);
    return h.http_status;
  }
  if (path == "/health/live") {
    // Answering at all is the proof of life: loading, read-only and a failing disk are for
    // the readiness probe, and a restart would not cure them.
    Respond(conn, 200, kText, "alive\n", head);
    return 200;
  }
  Respond(conn, 404, kText, "not found\n", head);
  return 404;
}

std::string MetricsHttp::Start(const std::string& bind, int port) {
  static std::once_flag init;
  std::call_once(init, [] { mg_init_library(0); });
  if (bind.find(':') != std::string::npos)
    return "metrics endpoint: IPv6 bind address '" + bind +
           "' is not supported by this civetweb build; set metrics-port 0 or an IPv4 bind";
  const std::string listening = bind + ":" + std::to_string(port);
  // Few threads and short timeouts: scrapes and probes are small and rare, and a client that
  // stalls cannot hold a worker for long. Keep-alive off: one request per connection.
  const char* options[] = {"listening_ports",    listening.c_str(),
                           "num_threads",        "4",
                           "request_timeout_ms", "5000",
                           "max_request_size",   "8192",
                           "enable_keep_alive",  "no",
                           "decode_url",         "yes",
                           nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = [](const mg_connection*, const char* message) {
    spdlog::debug("metrics endpoint: {}", message);
    return 1;  // logged here, not on civetweb's stderr
  };
  ctx_ = mg_start(&callbacks, nullptr, options);
  if (!ctx_) return "metrics endpoint: cannot listen on " + listening;
  mg_set_request_handler(ctx_, "/", &MetricsHttp::Handle, this);
  fds_ = ListeningFdsOnPort(port);
  return "";
}

void MetricsHttp::Stop() {
  if (!ctx_) return;
  mg_stop(ctx_);
  ctx_ = nullptr;
  fds_.clear();
}

}  // namespace kv
