// IoThread: one libuv loop on its own thread. Each port has one listening socket, on loop 0
// (no SO_REUSEPORT: a port another process holds must refuse the start, not be shared with
// it); loop 0 accepts and hands connections round-robin to the loops, and a connection stays
// on its loop for life. Loop 0 runs on the main thread and also hosts the server cron and
// signal handling.
//
// Cross-thread work: every loop has a WorkQueue. Post(loop, fn) runs fn on that loop's thread;
// PostToConnection(conn_id, fn) runs fn with the connection if it is still open when the work
// runs (it is looked up by id on its own loop then, so a connection that closed in between is
// simply skipped: no pointer to it crosses threads). Work one thread posts to one loop runs in
// posting order.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "commands/dispatch.h"
#include "commands/tracking.h"
#include "server/work_queue.h"

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

  void Register(Connection* c);
  void Unregister(Connection* c);
  // The open connection with this client id on this loop, or null (loop thread only).
  Connection* FindConnection(uint64_t id) const;

  // Thread-safe: runs `fn` on this loop's thread. False (fn dropped) once the loop is stopping.
  bool Post(WorkQueue::Work fn) { return work_->Post(std::move(fn)); }
  // Every loop of the server, by index (set once before the loops run).
  static void SetLoops(std::vector<IoThread*> loops);
  // Thread-safe: runs `fn` on loop `index`. False if there is no such loop or it is stopping.
  static bool Post(int index, WorkQueue::Work fn);
  // Thread-safe: runs fn(connection) on the loop serving client `conn_id`, if that connection
  // is still open when the work runs there. False when no such client is connected now.
  static bool PostToConnection(uint64_t conn_id, std::function<void(Connection&)> fn);
  // Same, when the caller knows the client's loop (pub/sub keeps it with the subscription).
  static bool PostToConnection(int index, uint64_t conn_id, std::function<void(Connection&)> fn);
  // Loop thread: `c` has output to send before the loop next waits for events (one write
  // for every message delivered to it in this turn, not one each).
  void FlushSoon(Connection* c);
  // The loop running on the calling thread, or null off the I/O threads.
  static IoThread* Current();
  // ServerState::deliver_pubsub: at once when `index` is the calling thread's loop, else
  // through that loop's queue (so one publisher's messages arrive in publish order).
  static void DeliverPubSub(int index, const std::shared_ptr<const PubSubMessage>& msg,
                            std::span<const PubSubTarget> to);

  // tracking::Deliverer: each invalidation goes to its receiver's loop (the tracking client's,
  // or its REDIRECT target's; a target gone turns it into tracking-redir-broken for the
  // client), at once for the calling thread's loop, else through that loop's queue.
  static void DeliverTracking(std::vector<tracking::Message>& batch);
  // tracking::BroadcastSoon: the calling thread's loop sends the BCAST invalidations collected
  // so far before it next waits (Redis sends them in beforeSleep).
  static void BroadcastTrackingSoon();

  // appendfsync always: `c` holds replies until the WAL is durable past its last write.
  void WaitDurable(Connection* c) { durable_waiters_.push_back(c); }
  // Thread-safe: the WAL made progress; held connections re-check on this loop.
  void NotifyDurable() { uv_async_send(&durable_async_); }

 private:
  static void OnAcceptable(uv_poll_t* p, int status, int events);
  struct Listener;
  void AcceptPending(Listener& l);
  static void OnAdopt(uv_async_t* a);
  // Thread-safe: `fd` is a new connection for this loop (closed if the loop is stopping).
  void Adopt(int fd, SessionFactory protocol, tls::TlsContext* tls);
  void StartConnection(int fd, SessionFactory protocol, tls::TlsContext* tls);
  static void OnStop(uv_async_t* a);
  static void OnIdleCheck(uv_timer_t* t);
  static void OnDurable(uv_async_t* a);
  static void OnBeforeWait(uv_prepare_t* p);
  // Called from inside a busy script on this loop (scripting.h ServeLoopWhileBusy): answers
  // the requests the loop's other clients have sent since.
  static void ServeWhileBusy(void* self);
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
  std::vector<Connection*> flush_soon_;
  // The batch being flushed; a member so its buffer is reused from turn to turn.
  std::vector<Connection*> flushing_;
  bool broadcast_tracking_ = false;  // BroadcastTrackingSoon was asked this turn
  uv_prepare_t before_wait_;  // flushes flush_soon_ (and BCAST invalidations first)
  uv_timer_t idle_timer_;
  std::thread thread_;
  std::unordered_map<uint64_t, Connection*> conns_;  // by client id
  std::unique_ptr<WorkQueue> work_;  // made once loop_ is initialised
};

}  // namespace kv
