#include "server/io_thread.h"

#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <vector>

#include "commands/errors.h"
#include "commands/scripting.h"
#include "resp/resp_writer.h"
#include "server/connection.h"
#include "server/resp_session.h"

namespace kv {

namespace {

thread_local IoThread* current_loop = nullptr;
// Every loop, by index: written once by SetLoops before any loop runs, read-only afterwards.
std::vector<IoThread*> all_loops;

// One socket per port, without SO_REUSEPORT: bind fails with EADDRINUSE while any other
// process listens there. SO_REUSEADDR only lets a restart bind past connections in TIME_WAIT.
int ListenSocket(const sockaddr* addr, int backlog, std::string* err) {
  const int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = std::string("socket: ") + strerror(errno);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const socklen_t len =
      addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (bind(fd, addr, len) != 0 || listen(fd, backlog) != 0) {
    *err = strerror(errno);
    if (errno == EADDRINUSE) *err += " (is another server running on this port?)";
    close(fd);
    return -1;
  }
  return fd;
}
}  // namespace

IoThread::IoThread(int index, Dispatcher& dispatcher) : index_(index), dispatcher_(dispatcher) {
  uv_loop_init(&loop_);
  loop_.data = this;
  work_ = std::make_unique<WorkQueue>(&loop_);
  uv_async_init(&loop_, &stop_async_, OnStop);
  stop_async_.data = this;
  uv_async_init(&loop_, &adopt_async_, OnAdopt);
  adopt_async_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&adopt_async_));
  uv_async_init(&loop_, &durable_async_, OnDurable);
  durable_async_.data = this;
  // Like the idle check, it must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&durable_async_));
  uv_prepare_init(&loop_, &before_wait_);
  before_wait_.data = this;
  uv_timer_init(&loop_, &idle_timer_);
  idle_timer_.data = this;
  uv_timer_start(&idle_timer_, OnIdleCheck, 1000, 1000);
  // The idle check must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&idle_timer_));
}

IoThread::~IoThread() {
  Join();
  for (auto& l : listeners_)
    if (l->fd >= 0) close(l->fd);
  for (auto& a : adopt_queue_) close(a.fd);
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
                             SessionFactory protocol, std::vector<IoThread*> loops, int* fd_out,
                             tls::TlsContext* tls) {
  sockaddr_storage ss{};
  if (uv_ip4_addr(bind.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) != 0 &&
      uv_ip6_addr(bind.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) != 0)
    return "invalid bind address '" + bind + "'";
  std::string err;
  const int fd = ListenSocket(reinterpret_cast<sockaddr*>(&ss), backlog, &err);
  if (fd < 0) return "cannot listen on " + bind + ":" + std::to_string(port) + ": " + err;
  *fd_out = fd;
  auto l = std::make_unique<Listener>();
  l->thread = this;
  l->protocol = protocol;
  l->tls = tls;
  l->fd = fd;
  l->loops = std::move(loops);
  uv_poll_init(&loop_, &l->handle, fd);
  l->handle.data = l.get();
  Listener* raw = l.get();
  listeners_.push_back(std::move(l));
  const int rc = uv_poll_start(&raw->handle, UV_READABLE, OnAcceptable);
  if (rc != 0) return std::string("listen: ") + uv_strerror(rc);
  return "";
}

void IoThread::OnAcceptable(uv_poll_t* p, int status, int) {
  auto* l = static_cast<Listener*>(p->data);
  if (status < 0) {
    spdlog::warn("accept failed: {}", uv_strerror(status));
    return;
  }
  l->thread->AcceptPending(*l);
}

void IoThread::AcceptPending(Listener& l) {
  // Bounded, so a flood of connections cannot starve the loop's own clients.
  for (int i = 0; i < 64; ++i) {
    const int fd = accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
        spdlog::warn("accept failed: {}", strerror(errno));
      return;
    }
    IoThread* target = l.loops[l.next++ % l.loops.size()];
    if (target == l.thread)
      target->StartConnection(fd, l.protocol, l.tls);
    else
      target->Adopt(fd, l.protocol, l.tls);
  }
}

void IoThread::Adopt(int fd, SessionFactory protocol, tls::TlsContext* tls) {
  std::lock_guard lk(adopt_mu_);
  if (adopt_closed_) {
    close(fd);
    return;
  }
  adopt_queue_.push_back({fd, protocol, tls});
  uv_async_send(&adopt_async_);
}

void IoThread::OnAdopt(uv_async_t* a) {
  auto* self = static_cast<IoThread*>(a->data);
  std::vector<Accepted> fds;
  {
    std::lock_guard lk(self->adopt_mu_);
    fds.swap(self->adopt_queue_);
  }
  for (auto& a : fds) self->StartConnection(a.fd, a.protocol, a.tls);
}

void IoThread::StartConnection(int fd, SessionFactory protocol, tls::TlsContext* tls) {
  ServerState& st = server();
  auto* conn = new Connection(this, protocol);
  if (!conn->Start(fd)) {
    conn->Close();
    return;
  }
  if (tls != nullptr && !conn->UseTls(*tls)) {
    spdlog::warn("cannot create a TLS session for client {}", conn->client().addr);
    conn->Close();
    return;
  }
  st.stats.total_connections.fetch_add(1, std::memory_order_relaxed);
  if (static_cast<int64_t>(st.clients.size()) > st.config.maxclients.load()) {
    // Like Redis: tell the client why, then drop it.
    st.stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    conn->Refuse(errors::kMaxClients);
    return;
  }
  // Checked per connection, so CONFIG SET requirepass or protected-mode applies to the next one.
  const Config& cfg = st.config;
  if (cfg.protected_mode.load() && !cfg.has_password() && !IsLocalClient(conn->client())) {
    st.stats.rejected_connections.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("refused {}: protected mode", conn->client().addr);
    conn->Refuse(errors::kProtectedMode);
  }
}

void IoThread::OnIdleCheck(uv_timer_t* t) {
  auto* self = static_cast<IoThread*>(t->data);
  const int64_t timeout_s = self->server().config.timeout.load();
  if (timeout_s <= 0) return;
  const int64_t now = NowMs();
  std::vector<Connection*> idle;
  for (auto& [id, c] : self->conns_)
    // Subscribers wait for messages, not for their own requests, and replication links have
    // repl-timeout: Redis exempts them too.
    if (!c->client().pubsub.Any() && !c->client().master &&
        !c->client().replica.load(std::memory_order_relaxed) &&
        now - c->client().last_active_ms.load(std::memory_order_relaxed) > timeout_s * 1000)
      idle.push_back(c);
  for (Connection* c : idle) c->Close();
}

void IoThread::Register(Connection* c) { conns_.emplace(c->client().id, c); }

Connection* IoThread::FindConnection(uint64_t id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

void IoThread::SetLoops(std::vector<IoThread*> loops) { all_loops = std::move(loops); }

IoThread* IoThread::Current() { return current_loop; }

bool IoThread::Post(int index, WorkQueue::Work fn) {
  if (index < 0 || static_cast<size_t>(index) >= all_loops.size()) return false;
  return all_loops[static_cast<size_t>(index)]->Post(std::move(fn));
}

bool IoThread::PostToConnection(int index, uint64_t conn_id,
                                std::function<void(Connection&)> fn) {
  if (index < 0 || static_cast<size_t>(index) >= all_loops.size()) return false;
  IoThread* t = all_loops[static_cast<size_t>(index)];
  // Looked up on the loop when the work runs: the connection may have closed meanwhile.
  return t->Post([t, conn_id, fn = std::move(fn)] {
    if (Connection* c = t->FindConnection(conn_id); c != nullptr && !c->closing()) fn(*c);
  });
}

bool IoThread::PostToConnection(uint64_t conn_id, std::function<void(Connection&)> fn) {
  if (all_loops.empty()) return false;
  const int index = all_loops[0]->server().clients.LoopOf(conn_id);
  if (index < 0) return false;
  return PostToConnection(index, conn_id, std::move(fn));
}

void IoThread::DeliverPubSub(int index, const std::shared_ptr<const PubSubMessage>& msg,
                             std::span<const PubSubTarget> to) {
  auto deliver = [](IoThread* t, const PubSubMessage& m, std::span<const PubSubTarget> to) {
    // The frame of a channel subscriber, whose channel and payload bulks also end a pattern
    // subscriber's: encoded once per loop, not once per subscriber, and appended whole.
    thread_local std::string frame;
    frame.assign(m.shard ? "*3\r\n$8\r\nsmessage\r\n" : "*3\r\n$7\r\nmessage\r\n");
    const size_t head = frame.size();
    resp::RespWriter w(&frame);
    w.SendBulk(m.channel);
    w.SendBulk(m.payload);
    for (const PubSubTarget& d : to)
      if (Connection* c = t->FindConnection(d.client_id))
        c->DeliverPubSub(m, frame, frame.size() - head, d);
  };
  if (IoThread* here = Current(); here != nullptr && here->index() == index) {
    deliver(here, *msg, to);
    return;
  }
  Post(index, [deliver, msg, to = std::vector<PubSubTarget>(to.begin(), to.end())] {
    deliver(Current(), *msg, to);
  });
}

void IoThread::DeliverTracking(std::vector<tracking::Message>& batch) {
  if (all_loops.empty()) return;
  ClientRegistry& clients = all_loops[0]->server().clients;
  struct Delivery {
    int loop;
    uint64_t receiver;
    bool broken;
    tracking::Message message;
  };
  std::vector<Delivery> out;
  out.reserve(batch.size());
  for (tracking::Message& m : batch) {
    Delivery d{m.loop, m.client, false, std::move(m)};
    if (d.message.redirect != 0) {
      const int loop = clients.LoopOf(d.message.redirect);
      if (loop >= 0) {
        d.loop = loop;
        d.receiver = d.message.redirect;
      } else {
        d.broken = true;
      }
    }
    out.push_back(std::move(d));
  }
  // One hand-off per loop, stable so that each receiver gets its messages in order.
  std::stable_sort(out.begin(), out.end(),
                   [](const Delivery& a, const Delivery& b) { return a.loop < b.loop; });
  auto deliver = [](IoThread* t, const std::vector<Delivery>& ds) {
    for (const Delivery& d : ds)
      if (Connection* c = t->FindConnection(d.receiver)) c->DeliverTracking(d.message, d.broken);
  };
  for (auto first = out.begin(); first != out.end();) {
    auto last = std::find_if(first, out.end(),
                             [&](const Delivery& d) { return d.loop != first->loop; });
    std::vector<Delivery> group(std::make_move_iterator(first), std::make_move_iterator(last));
    const int index = first->loop;
    first = last;
    if (IoThread* here = Current(); here != nullptr && here->index() == index) {
      deliver(here, group);
      continue;
    }
    Post(index, [deliver, group = std::move(group)] { deliver(Current(), group); });
  }
}

void IoThread::BroadcastTrackingSoon() {
  IoThread* t = Current();
  if (t == nullptr) {
    tracking::FlushBroadcasts();
    return;
  }
  t->broadcast_tracking_ = true;
  uv_prepare_start(&t->before_wait_, OnBeforeWait);
}

void IoThread::FlushSoon(Connection* c) {
  if (flush_soon_.empty()) uv_prepare_start(&before_wait_, OnBeforeWait);
  flush_soon_.push_back(c);
}

void IoThread::OnBeforeWait(uv_prepare_t* p) {
  auto* self = static_cast<IoThread*>(p->data);
  // First, so that what it delivers to this loop's clients leaves in this same flush.
  if (self->broadcast_tracking_) {
    self->broadcast_tracking_ = false;
    tracking::FlushBroadcasts();
  }
  // Swapped: connections queued while these flush wait for the next turn.
  std::vector<Connection*>& due = self->flushing_;
  due.swap(self->flush_soon_);
  uv_prepare_stop(p);
  for (Connection* c : due) c->FlushDelivered();
  due.clear();
}

void IoThread::Unregister(Connection* c) {
  conns_.erase(c->client().id);
  std::erase(flush_soon_, c);
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
  for (auto& l : self->listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&l->handle), nullptr);
    close(l->fd);
    l->fd = -1;
  }
  {
    std::lock_guard lk(self->adopt_mu_);
    self->adopt_closed_ = true;
    for (auto& a : self->adopt_queue_) close(a.fd);
    self->adopt_queue_.clear();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&self->adopt_async_), nullptr);
  self->work_->Close();
  std::vector<Connection*> all;
  for (auto& [id, c] : self->conns_) all.push_back(c);
  for (Connection* c : all) c->Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&self->idle_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->before_wait_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->durable_async_), nullptr);
}

void IoThread::Run() {
  current_loop = this;
  tracking::DeliverFromThisThread();
  SetServeLoopWhileBusy(&IoThread::ServeWhileBusy, this);
  uv_run(&loop_, UV_RUN_DEFAULT);
  SetServeLoopWhileBusy(nullptr, nullptr);
  current_loop = nullptr;
}

void IoThread::ServeWhileBusy(void* arg) {
  auto* self = static_cast<IoThread*>(arg);
  // Replies that waited for the end of the loop turn leave now: the turn ends only with the
  // script. Not the script's own client, whose reply is still being written.
  if (!self->flush_soon_.empty()) {
    std::vector<Connection*> due;
    due.swap(self->flush_soon_);
    for (Connection* c : due) {
      if (c->processing())
        self->flush_soon_.push_back(c);
      else
        c->FlushDelivered();
    }
    if (self->flush_soon_.empty()) uv_prepare_stop(&self->before_wait_);
  }
  // New clients too: `redis-cli SCRIPT KILL` connects after the script went busy.
  for (auto& l : self->listeners_) self->AcceptPending(*l);
  OnAdopt(&self->adopt_async_);
  // Copied first: a connection may close while it is served (it unregisters at once and is
  // freed only by a later turn of the loop, so the pointers stay valid here).
  std::vector<Connection*> conns;
  conns.reserve(self->conns_.size());
  for (const auto& [id, c] : self->conns_) conns.push_back(c);
  for (Connection* c : conns) c->ServeWhileBusy();
}

void IoThread::RunInThread() {
  thread_ = std::thread([this] { Run(); });
}

void IoThread::RunHere() { Run(); }

void IoThread::RequestStop() { uv_async_send(&stop_async_); }

void IoThread::Join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace kv
