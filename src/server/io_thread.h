// IoThread: one libuv loop on its own thread, with its own SO_REUSEPORT listening socket, so
// the kernel spreads new connections over the loops and a connection stays on one loop for
// life. Loop 0 runs on the main thread and also hosts the server cron and signal handling.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
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

  // Opens a listener on bind:port whose connections speak `protocol`, over TLS when `tls` is
  // given (it must outlive the loop). Returns "" or an error.
  std::string Listen(const std::string& bind, int port, int backlog, SessionFactory protocol,
                     tls::TlsContext* tls = nullptr);
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
  static void OnConnection(uv_stream_t* server, int status);
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
    uv_tcp_t handle;
  };
  std::vector<std::unique_ptr<Listener>> listeners_;
  uv_async_t stop_async_;
  uv_async_t durable_async_;
  std::vector<Connection*> durable_waiters_;
  uv_timer_t idle_timer_;
  std::thread thread_;
  std::unordered_set<Connection*> conns_;
};

}  // namespace kv
