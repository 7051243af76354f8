// IoThread: one libuv loop on its own thread. Each port has one listening socket, on loop 0
// (no SO_REUSEPORT: a port another process holds must refuse the start, not be shared with
// it); loop 0 accepts and hands connections round-robin to the loops, and a connection stays
// on its loop for life. Loop 0 runs on the main thread and also hosts the server cron and
// signal handling.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "commands/dispatch.h"

namespace kv {

class Connection;
class Session;
namespace tls {
class TlsContext;
}

// Makes the protocol half of a new connection (RESP or native).
using SessionFactory = std::unique_ptr<Session> (*)(Connection*);

class IoThread {
 public:
  IoThread(int index, Dispatcher& dispatcher);
  ~IoThread();

  // Opens a listener on bind:port whose connections speak `protocol` (over TLS when `tls` is
  // given; it must outlive the loops), shared out among `loops` (which include this one).
  // Returns "" or an error. Sets *fd to the socket.
  std::string Listen(const std::string& bind, int port, int backlog, SessionFactory protocol,
                     std::vector<IoThread*> loops, int* fd, tls::TlsContext* tls = nullptr);
  // Runs the loop on a new thread (index > 0) or the calling thread (RunHere).
  void RunInThread();
  void RunHere();
  // Thread-safe: asks the loop to close its listener and connections and return.
  void RequestStop();
  void Join();

  uv_loop_t* loop() { return &loop_; }
  int index() const { return index_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  ServerState& server() { return dispatcher_.server(); }

  void Register(Connection* c) { conns_.insert(c); }
  void Unregister(Connection* c);

  // appendfsync always: `c` holds replies until the WAL is durable past its last write.
  void WaitDurable(Connection* c) { durable_waiters_.push_back(c); }
  // Thread-safe: the WAL made progress; held connections re-check on this loop.
  void NotifyDurable() { uv_async_send(&durable_async_); }

 private:
  static void OnAcceptable(uv_poll_t* p, int status, int events);
  static void OnAdopt(uv_async_t* a);
  // Thread-safe: `fd` is a new connection for this loop (closed if the loop is stopping).
  void Adopt(int fd, SessionFactory protocol, tls::TlsContext* tls);
  void StartConnection(int fd, SessionFactory protocol, tls::TlsContext* tls);
  static void OnStop(uv_async_t* a);
  static void OnIdleCheck(uv_timer_t* t);
  static void OnDurable(uv_async_t* a);
  void Run();

  int index_;
  Dispatcher& dispatcher_;
  uv_loop_t loop_;
  struct Listener {
    IoThread* thread;
    SessionFactory protocol;
    tls::TlsContext* tls;  // null: plain TCP
    int fd;
    std::vector<IoThread*> loops;
    size_t next = 0;  // round-robin position in `loops`
    uv_poll_t handle;
  };
  std::vector<std::unique_ptr<Listener>> listeners_;
  uv_async_t stop_async_;
  uv_async_t durable_async_;
  uv_async_t adopt_async_;
  std::mutex adopt_mu_;  // guards the two below; Adopt sends under it so a stop cannot race
  bool adopt_closed_ = false;
  struct Accepted {
    int fd;
    SessionFactory protocol;
    tls::TlsContext* tls;
  };
  std::vector<Accepted> adopt_queue_;
  std::vector<Connection*> durable_waiters_;
  uv_timer_t idle_timer_;
  std::thread thread_;
  std::unordered_set<Connection*> conns_;
};

}  // namespace kv
