#include "server/io_thread.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "commands/errors.h"
#include "server/connection.h"
#include "server/resp_session.h"

namespace kv {

namespace {

// libuv 1.44 has no UV_TCP_REUSEPORT: build the socket ourselves with SO_REUSEPORT so every
// loop can own a listener on the same port, then hand it to libuv.
int ReusePortSocket(const sockaddr* addr, int backlog, std::string* err) {
  const int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + strerror(errno);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  const socklen_t len =
      addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (bind(fd, addr, len) != 0 || listen(fd, backlog) != 0) {
    *err = strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

IoThread::IoThread(int index, Dispatcher& dispatcher) : index_(index), dispatcher_(dispatcher) {
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_async_init(&loop_, &stop_async_, OnStop);
  stop_async_.data = this;
  uv_async_init(&loop_, &durable_async_, OnDurable);
  durable_async_.data = this;
  // Like the idle check, it must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&durable_async_));
  uv_timer_init(&loop_, &idle_timer_);
  idle_timer_.data = this;
  uv_timer_start(&idle_timer_, OnIdleCheck, 1000, 1000);
  // The idle check must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&idle_timer_));
}

IoThread::~IoThread() {
  Join();
  if (uv_loop_close(&loop_) == UV_EBUSY) {
    // The loop never ran (start-up failed, e.g. another loop could not listen): its handles
    // are still open. Close them and let the loop run their close callbacks, or
    // uv_loop_close cannot free the loop's memory.
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
}

std::string IoThread::Listen(const std::string& bind, int port, int backlog,
                             SessionFactory protocol, tls::TlsContext* tls) {
  sockaddr_storage ss{};
  if (uv_ip4_addr(bind.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) != 0 &&
      uv_ip6_addr(bind.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) != 0)
    return "invalid bind address '" + bind + "'";
  std::string err;
  const int fd = ReusePortSocket(reinterpret_cast<sockaddr*>(&ss), backlog, &err);
  if (fd < 0) return "cannot listen on " + bind + ":" + std::to_string(port) + ": " + err;
  auto l = std::make_unique<Listener>();
  l->thread = this;
  l->protocol = protocol;
  l->tls = tls;
  uv_tcp_init(&loop_, &l->handle);
  l->handle.data = l.get();
  uv_tcp_open(&l->handle, fd);
  Listener* raw = l.get();
  listeners_.push_back(std::move(l));
  const int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&raw->handle), backlog, OnConnection);
  if (rc != 0) return std::string("listen: ") + uv_strerror(rc);
  return "";
}

void IoThread::OnConnection(uv_stream_t* server, int status) {
  auto* listener = static_cast<Listener*>(server->data);
  IoThread* self = listener->thread;
  if (status < 0) {
    spdlog::warn("accept failed: {}", uv_strerror(status));
    return;
  }
  ServerState& st = self->server();
  auto* conn = new Connection(self, listener->protocol);
  if (!conn->Start(server)) {
    conn->Close();
    return;
  }
  if (listener->tls != nullptr && !conn->UseTls(*listener->tls)) {
    spdlog::warn("cannot create a TLS session for client {}", conn->client().addr);
    conn->Close();
    return;
  }
  st.stats.total_connections.fetch_add(1, std::memory_order_relaxed);
  if (static_cast<int64_t>(st.clients.size()) > st.config.maxclients.load()) {
    // Like Redis: tell the client why, then drop it.
    st.stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    conn->Refuse(errors::kMaxClients);
  }
}

void IoThread::OnIdleCheck(uv_timer_t* t) {
  auto* self = static_cast<IoThread*>(t->data);
  const int64_t timeout_s = self->server().config.timeout.load();
  if (timeout_s <= 0) return;
  const int64_t now = NowMs();
  std::vector<Connection*> idle;
  for (Connection* c : self->conns_)
    if (now - c->client().last_active_ms.load(std::memory_order_relaxed) > timeout_s * 1000)
      idle.push_back(c);
  for (Connection* c : idle) c->Close();
}

void IoThread::Unregister(Connection* c) {
  conns_.erase(c);
  std::erase(durable_waiters_, c);
}

void IoThread::OnDurable(uv_async_t* a) {
  auto* self = static_cast<IoThread*>(a->data);
  if (self->durable_waiters_.empty()) return;
  std::vector<Connection*> waiters;
  waiters.swap(self->durable_waiters_);
  for (Connection* c : waiters) c->DurableProgress();
}

void IoThread::OnStop(uv_async_t* a) {
  auto* self = static_cast<IoThread*>(a->data);
  for (auto& l : self->listeners_) uv_close(reinterpret_cast<uv_handle_t*>(&l->handle), nullptr);
  std::vector<Connection*> all(self->conns_.begin(), self->conns_.end());
  for (Connection* c : all) c->Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&self->idle_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->durable_async_), nullptr);
}

void IoThread::Run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void IoThread::RunInThread() {
  thread_ = std::thread([this] { Run(); });
}

void IoThread::RunHere() { Run(); }

void IoThread::RequestStop() { uv_async_send(&stop_async_); }

void IoThread::Join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace kv
