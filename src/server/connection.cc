#include "server/connection.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "commands/blocking.h"
#include "commands/replication.h"
#include "commands/scripting.h"
#include "commands/transactions.h"
#include "core/memory.h"
#include "persist/persistence.h"
#include "resp/resp_writer.h"
#include "server/io_thread.h"
#include "server/resp_session.h"

// ThreadSanitizer's hook for a close it cannot intercept (sanitizer/linux_syscall_hooks.h), and
// its per-thread ignore switch.
#if defined(__SANITIZE_THREAD__)
extern "C" void __sanitizer_syscall_pre_impl_close(long fd);
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
#endif

namespace kv {

namespace {
constexpr size_t kReadChunk = 16 * 1024;
// An emptied buffer bigger than this is given back rather than kept for the connection's life
// (one large SET or GET must not pin its size to an idle client).
constexpr size_t kKeepBufferCapacity = 256 * 1024;
// Replies buffered past this pause the client's input until they are written.
constexpr size_t kOutputSoftLimit = 4 * 1024 * 1024;
// TLS connections read ciphertext here: it goes into OpenSSL at once, so one buffer per loop
// thread serves all of them. On the heap, made on first use: as a thread_local array it was
// static TLS, carved out of every thread's stack (civetweb's workers get 100 KB in all).
constexpr size_t kTlsReadBuffer = 64 * 1024;
char* TlsReadBuffer() {
  thread_local std::unique_ptr<char[]> buf;
  if (!buf) buf = std::make_unique<char[]>(kTlsReadBuffer);
  return buf.get();
}

std::string PeerString(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
  }
  return std::string(ip) + ":" + std::to_string(port);
}

// uv_close of a socket. libuv closes it with a raw close system call, which ThreadSanitizer
// does not see, so it would keep the descriptor number's history: the next descriptor with that
// number, opened on another thread (a file, a replica link's socket, a memfd), would look like a
// race with this loop's last epoll_ctl on it. So the detector is told of the close first, as
// libuv's own sanitizer build does, and ignores the epoll_ctl that uv_close still makes on the
// way (telling it afterwards instead would race with that other thread's new descriptor).
void CloseSocket(uv_handle_t* handle, uv_close_cb on_close) {
#if defined(__SANITIZE_THREAD__)
  uv_os_fd_t fd;
  if (uv_fileno(handle, &fd) == 0) __sanitizer_syscall_pre_impl_close(fd);
  __tsan_ignore_thread_begin();
  uv_close(handle, on_close);
  __tsan_ignore_thread_end();
#else
  uv_close(handle, on_close);
#endif
}

}  // namespace

Connection::Connection(IoThread* thread, std::unique_ptr<Session> (*make_session)(Connection*))
    : thread_(thread), stats_(thread->server().thread_stats.Local()) {
  uv_tcp_init(thread->loop(), &handle_);
  handle_.data = this;
  uv_timer_init(thread->loop(), &retry_timer_);
  retry_timer_.data = this;
  uv_timer_init(thread->loop(), &pause_timer_);
  pause_timer_.data = this;
  open_handles_ = 3;
  ServerState& server = thread->server();
  client_.id = server.clients.NextId();
  client_.io_thread = thread->index();
  client_.created_ms.store(NowMs(), std::memory_order_relaxed);
  client_.last_active_ms.store(client_.created_ms.load(std::memory_order_relaxed),
                               std::memory_order_relaxed);
  client_.user = server.acl.Default();
  client_.authenticated = !client_.user->RequiresAuth();
  client_.ns = server.store.Get(client_.ns_name);
  session_ = make_session(this);
  resp_ = dynamic_cast<RespSession*>(session_.get()) != nullptr;
}

Connection::~Connection() {
  // What the buffers still held leaves the client-buffer figure with them.
  AddClientBufferBytes(-static_cast<int64_t>(accounted_bytes_));
}

bool Connection::Start(int fd) {
  if (uv_tcp_open(&handle_, fd) != 0) {
    close(fd);
    return false;
  }
  uv_tcp_nodelay(&handle_, 1);
  client_.fd = fd;
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    client_.addr = PeerString(ss);
  len = sizeof ss;
  if (uv_tcp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    client_.laddr = PeerString(ss);
  thread_->Register(this);
  thread_->server().clients.Add(&client_);
  ResumeReading();
  return true;
}

bool Connection::UseTls(tls::TlsContext& tls) {
  SSL* ssl = tls.NewSsl();
  if (ssl == nullptr) return false;
  tls_ = std::make_unique<tls::TlsStream>(ssl);
  return true;
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  // Writers on other threads must stop reaching this client's WATCH flag before it is freed.
  UnwatchAll(client_);
  // A blocked client leaves its queues; the next waiter of each it led is woken.
  blocking::Release(client_);
  blocking::StopWaitingOnKeyChanges(client_);
  // Its BCAST prefixes go; the keys it read are dropped when they next change.
  tracking::Disable(client_);
  thread_->Unregister(this);
  ServerState& server = thread_->server();
  server.clients.Remove(&client_);
  if ((client_.master || client_.replica.load(std::memory_order_relaxed)) && server.replication)
    server.replication->ClientClosed(client_);
  // A vanished subscriber leaves every channel at once: PUBLISH stops counting it.
  if (client_.pubsub.Any()) server.pubsub.RemoveClient(client_.pubsub, client_.id);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), OnClose);
  uv_close(reinterpret_cast<uv_handle_t*>(&pause_timer_), OnClose);
  CloseSocket(reinterpret_cast<uv_handle_t*>(&handle_), OnClose);
}

void Connection::Refuse(std::string_view message) {
  std::string bytes;
  session_->AppendRefusal(message, &bytes);
  if (tls_) {
    // Nothing can be said before the handshake: the refusal leaves once it is done.
    out_ += bytes;
    close_after_flush_ = true;
    Flush();
    return;
  }
  uv_buf_t b = uv_buf_init(bytes.data(), static_cast<unsigned>(bytes.size()));
  uv_try_write(reinterpret_cast<uv_stream_t*>(&handle_), &b, 1);
  // A lingering close, as HTTP servers do: closing now, with the client's first request unread
  // or still in flight, makes the kernel answer with a reset, and a reset can discard the
  // refusal before the client reads it. So: FIN after the text, drop whatever arrives, close on
  // the client's EOF or after kRefusalLingerMs.
  // No longer a client (CLIENT LIST, connected_clients, the maxclients count); Close's second
  // removal is a no-op.
  thread_->server().clients.Remove(&client_);
  lingering_ = true;
  shutdown(client_.fd, SHUT_WR);
  uv_timer_start(&retry_timer_, OnLingerEnd, kRefusalLingerMs, 0);
}

void Connection::OnLingerEnd(uv_timer_t* t) { static_cast<Connection*>(t->data)->Close(); }

void Connection::OnClose(uv_handle_t* h) {
  auto* c = static_cast<Connection*>(h->data);
  if (--c->open_handles_ == 0) delete c;
}

void Connection::OnRetry(uv_timer_t* t) {
  auto* c = static_cast<Connection*>(t->data);
  c->ProcessInput();
}

// CLIENT PAUSE holds the next request: woken by a timer at the pause's end, or at once by
// CLIENT UNPAUSE (ClientPause::wake); either way the request is tried again, and waits again if
// the pause was made longer meanwhile.
void Connection::HoldWhilePaused() {
  ClientPause& pause = thread_->server().pause;
  if (!pause_held_) {
    if (!pause.AddHeld(thread_->index(), client_.id)) {
      uv_timer_start(&pause_timer_, OnPauseEnd, 0, 0);  // ended meanwhile: retry next turn
      return;
    }
    pause_held_ = true;
  }
  const int64_t left = std::max<int64_t>(pause.end_ms() - NowMs(), 0);
  uv_timer_start(&pause_timer_, OnPauseEnd, static_cast<uint64_t>(left), 0);
}

void Connection::ResumeAfterPause() {
  pause_held_ = false;
  uv_timer_stop(&pause_timer_);
  ProcessInput();
}

void Connection::WakeBlocked() {
  if (closing_ || processing_ ||
      (client_.blocked_keys.empty() && client_.block_watched.empty() && !client_.block_on_acks))
    return;
  ProcessInput();
}

void Connection::OnPauseEnd(uv_timer_t* t) {
  static_cast<Connection*>(t->data)->ResumeAfterPause();
}

void Connection::OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  if (c->tls_) {
    *buf = uv_buf_init(TlsReadBuffer(), kTlsReadBuffer);
    return;
  }
  c->PrepareInput();
  buf->base = c->in_.get() + c->in_end_;
  buf->len = c->in_cap_ - c->in_end_;
}

void Connection::PrepareInput() {
  Connection* c = this;
  // Keep unconsumed bytes at the front so the parser sees one contiguous request.
  if (c->in_start_ > 0 && (c->in_start_ == c->in_end_ || c->in_start_ > c->in_cap_ / 2)) {
    std::memmove(c->in_.get(), c->in_.get() + c->in_start_, c->in_end_ - c->in_start_);
    c->in_end_ -= c->in_start_;
    c->in_start_ = 0;
  }
  if (c->in_cap_ - c->in_end_ < kReadChunk) c->GrowInput(c->session_->PendingHint());
}

void Connection::GrowInput(size_t hint) {
  // A big bulk announces its length, but announcing costs the client nothing: grow by at most
  // the bytes already received (doubling, so a large argument is still copied O(1) times per
  // byte), never to the announced size at once. A client that declares 512 MB and stalls holds
  // little more than what it actually sent.
  const size_t unconsumed = in_end_ - in_start_;
  // Without a hint (many small requests in flight) grow by half, still geometric.
  const size_t step = std::max(kReadChunk, hint == 0 ? unconsumed / 2 : std::min(hint, unconsumed));
  const size_t cap = unconsumed + step;
  auto grown = std::make_unique_for_overwrite<char[]>(cap);
  if (unconsumed > 0) std::memcpy(grown.get(), in_.get() + in_start_, unconsumed);
  in_ = std::move(grown);
  // The copy moved the unconsumed bytes to the front.
  in_end_ = unconsumed;
  in_start_ = 0;
  in_cap_ = cap;
  SyncBufferAccounting();
}

void Connection::SyncBufferAccounting() {
  const size_t now = buffer_capacity();
  if (now == accounted_bytes_) return;
  AddClientBufferBytes(static_cast<int64_t>(now) - static_cast<int64_t>(accounted_bytes_));
  accounted_bytes_ = now;
}

void Connection::OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(s->data);
  if (nread < 0) {
    // EOF or reset: a vanished client only loses its own connection.
    c->Close();
    return;
  }
  if (nread == 0 || c->lingering_) return;  // a refused client's bytes are dropped
  if (c->tls_) {
    c->OnTlsRead(buf->base, static_cast<size_t>(nread));
    return;
  }
  c->Received(static_cast<size_t>(nread));
}

bool Connection::StartWithInput(int fd, std::string_view input) {
  if (!Start(fd)) return false;
  if (input.empty()) return true;
  in_ = std::make_unique_for_overwrite<char[]>(input.size());
  in_cap_ = input.size();
  std::memcpy(in_.get(), input.data(), input.size());
  Received(input.size());
  if (!processing_) Flush();
  return true;
}

void Connection::SendRaw(std::string_view bytes) {
  if (closing_ || close_after_flush_) return;
  out_.append(bytes);
  if (OverOutputLimit()) {
    Close();
    return;
  }
  Flush();
}

void Connection::Received(size_t n) {
  in_end_ += n;
  stats_.reads.Add(1);
  (client_.master ? stats_.net_repl_input : stats_.net_input).Add(n);
  ProcessInput();
}

void Connection::OnTlsRead(const char* data, size_t n) {
  size_t plain = 0;
  bool peer_closed = false;
  // Fed in pieces and drained after each, so OpenSSL's buffers stay small (see tls.cc).
  constexpr size_t kFeed = 16 * 1024;
  for (size_t off = 0; off < n && !peer_closed;) {
    const size_t piece = std::min(kFeed, n - off);
    tls_->Feed(data + off, piece);
    off += piece;
    for (;;) {
      PrepareInput();
      size_t got = 0;
      const auto r = tls_->Read(in_.get() + in_end_, in_cap_ - in_end_, &got);
      if (r == tls::TlsStream::ReadResult::kData) {
        in_end_ += got;
        plain += got;
        continue;
      }
      if (r == tls::TlsStream::ReadResult::kPeerClosed) peer_closed = true;
      if (r == tls::TlsStream::ReadResult::kError) {
        // A client that speaks plaintext, an untrusted certificate, a refused version: only this
        // connection goes. The alert OpenSSL queued is sent when the socket takes it at once.
        if (!tls_->handshake_done())
          tls::LogHandshakeFailure(client_.addr, tls_->error());
        else
          spdlog::warn("closing client {} ({}): TLS error: {}", client_.id, client_.addr,
                       tls_->error());
        std::string alert;
        tls_->TakeCipher(&alert);
        if (!alert.empty() && !writing_) {
          uv_buf_t b = uv_buf_init(alert.data(), static_cast<unsigned>(alert.size()));
          uv_try_write(reinterpret_cast<uv_stream_t*>(&handle_), &b, 1);
        }
        Close();
        return;
      }
      break;
    }
  }
  stats_.reads.Add(1);
  (client_.master ? stats_.net_repl_input : stats_.net_input).Add(plain);
  if (plain > 0) ProcessInput();
  if (closing_) return;
  if (peer_closed) {
    // close_notify: answer what came before it, then close.
    close_after_flush_ = true;
    PauseReading();
  }
  // Handshake records and session tickets leave even when no reply is due. Plain replies
  // leave at the end of the loop turn (ProcessInput).
  if (tls_ || close_after_flush_) Flush();
  if (!closing_) SyncBufferAccounting();
}

bool Connection::EncryptOutput() {
  if (!out_.empty()) {
    size_t consumed = 0;
    if (!tls_->Write(out_, &consumed, &tls_out_)) {
      spdlog::warn("closing client {} ({}): TLS error: {}", client_.id, client_.addr,
                   tls_->error());
      return false;
    }
    out_.erase(0, consumed);
  }
  if (close_after_flush_ && out_.empty()) tls_->Shutdown();
  tls_->TakeCipher(&tls_out_);
  return true;
}

void Connection::ProcessInput() {
  if (closing_ || close_after_flush_) return;
  client_.last_active_ms.store(NowMs(), std::memory_order_relaxed);
  // Checked before parsing, like Redis: unparsed input (one huge request or a flood of
  // partial ones) over the limit closes this client only.
  if (static_cast<int64_t>(query_buffer_bytes()) >
      thread_->server().config.client_query_buffer_limit.load()) {
    spdlog::warn("closing client {} ({}): query buffer over client-query-buffer-limit",
                 client_.id, client_.addr);
    Close();
    return;
  }
  size_t consumed = 0;
  processing_ = true;
  const Session::Outcome outcome = session_->Process(
      std::string_view(in_.get() + in_start_, in_end_ - in_start_), &consumed, &out_,
      kOutputSoftLimit);
  processing_ = false;
  in_start_ += consumed;
  if (in_start_ == in_end_) {
    in_start_ = in_end_ = 0;
    if (in_cap_ > kKeepBufferCapacity) {
      in_.reset();
      in_cap_ = 0;
    }
  }
  if (outcome == Session::Outcome::kBlocked) {
    const int64_t left = client_.block_deadline_ms - NowMs();
    if (!client_.blocked_keys.empty() || client_.block_on_acks) {
      // Blocked on keys: woken by a push (WakeBlocked), or by this timer at the deadline. WAIT
      // likewise, woken by a replica's acknowledgement.
      if (client_.block_deadline_ms == blocking::kForever)
        uv_timer_stop(&retry_timer_);
      else
        uv_timer_start(&retry_timer_, OnRetry, static_cast<uint64_t>(std::max<int64_t>(left, 0)), 0);
    } else if (!client_.block_watched.empty()) {
      // A plugin's command waiting on its keys: woken by a change to one of them (WakeBlocked),
      // or by this timer when the first of them expires or at the deadline.
      int64_t at = client_.block_deadline_ms;
      if (client_.block_wake_at_ms != 0) at = std::min(at, client_.block_wake_at_ms);
      uv_timer_start(&retry_timer_, OnRetry, static_cast<uint64_t>(std::max<int64_t>(at - NowMs(), 0)), 0);
    } else {
      // A plugin's command with no keys to wait on polls: retried every few milliseconds (and
      // on new input) until it replies; other clients on this loop keep being served meanwhile.
      uv_timer_start(&retry_timer_, OnRetry, static_cast<uint64_t>(std::clamp<int64_t>(left, 0, 5)), 0);
    }
  } else if (!client_.block_watched.empty()) {
    blocking::StopWaitingOnKeyChanges(client_);  // its command replied
  }
  if (outcome == Session::Outcome::kPaused) HoldWhilePaused();
  if (outcome == Session::Outcome::kClose) {
    close_after_flush_ = true;
    PauseReading();
  } else {
    if (OverOutputLimit()) {
      Close();
      return;
    }
    if (out_.size() > kOutputSoftLimit) PauseReading();
  }
  // Replies leave when the loop has read every ready client, as Redis writes them before it
  // sleeps: the client then wakes once for a burst of replies instead of once per connection
  // (a wake-up of a sleeping client cost kv-server twice Redis's kernel time per EVALSHA).
  // At once when a busy script serves this loop (it does not turn until the script ends) and
  // for TLS and closing clients, whose Flush does more than write.
  if (tls_ || close_after_flush_ || ServingLoopWhileBusy()) {
    Flush();
  } else if (!out_.empty() && !flush_soon_) {
    flush_soon_ = true;
    thread_->FlushSoon(this);
  }
  if (!closing_) {
    ReleaseIdleBuffers();
    SyncBufferAccounting();
  }
}

bool Connection::OverOutputLimit() {
  Config& cfg = thread_->server().config;
  const bool pubsub = client_.pubsub.Any();
  const bool replica = client_.replica.load(std::memory_order_relaxed);
  const Config::OutputLimit& l =
      cfg.output_limit(replica  ? Config::ClientClass::kReplica
                       : pubsub ? Config::ClientClass::kPubSub
                                : Config::ClientClass::kNormal);
  const int64_t used = static_cast<int64_t>(output_bytes());
  const char* cls = replica ? "replica" : pubsub ? "pubsub" : "normal";
  const int64_t hard = l.hard->load(std::memory_order_relaxed);
  if (hard > 0 && used > hard) {
    spdlog::warn("closing client {} ({}): output buffer over client-output-buffer-limit {} hard "
                 "limit ({} bytes)",
                 client_.id, client_.addr, cls, used);
    return true;
  }
  const int64_t soft = l.soft.load(std::memory_order_relaxed);
  if (soft <= 0 || used <= soft) {
    soft_limit_since_ = 0;
    return false;
  }
  const int64_t now = NowMs();
  if (soft_limit_since_ == 0) soft_limit_since_ = now;
  if (now - soft_limit_since_ <= l.soft_seconds.load(std::memory_order_relaxed) * 1000)
    return false;
  spdlog::warn("closing client {} ({}): output buffer over client-output-buffer-limit {} soft "
               "limit for {} s ({} bytes)",
               client_.id, client_.addr, cls, (now - soft_limit_since_) / 1000, used);
  return true;
}

void Connection::DeliverPubSub(const PubSubMessage& msg, std::string_view frame, size_t tail,
                               const PubSubTarget& to) {
  if (closing_ || dropping_) return;
  // Published before an UNSUBSCRIBE this client has already been answered: Redis would not
  // have sent it, so neither do we.
  const PubSubClient& subs = client_.pubsub;
  const bool subscribed = to.by_pattern ? subs.patterns.contains(to.pattern)
                          : msg.shard   ? subs.shard_channels.contains(msg.channel)
                                        : subs.channels.contains(msg.channel);
  if (!subscribed) return;
  // A RESP3 push frame differs from RESP2's array only in its first byte.
  const bool resp3 = client_.resp.load(std::memory_order_relaxed) == 3;
  if (to.by_pattern) {
    out_ += resp3 ? '>' : '*';
    out_ += "4\r\n$8\r\npmessage\r\n";
    resp::RespWriter(&out_).SendBulk(to.pattern);
    out_.append(frame.substr(frame.size() - tail));
  } else if (resp3) {
    out_ += '>';
    out_.append(frame.substr(1));
  } else {
    out_.append(frame);
  }
  // Its own PUBLISH (RESP3): the message goes before the reply, and ProcessInput sends both.
  if (processing_) return;
  // Checked at every message, so a subscriber that does not read is dropped at its limit
  // however many messages one turn of the loop brings.
  // however many messages one turn of the loop brings. It is closed when the loop is about to
  // wait, not here: a keyspace notification is published under its command's shard locks, and
  // closing unwatches keys under those locks.
  if (OverOutputLimit()) dropping_ = true;
  if (!flush_soon_) {
    flush_soon_ = true;
    thread_->FlushSoon(this);
  }
}

void Connection::DeliverMonitor(const std::string& line) {
  if (closing_ || dropping_ || !resp_) return;
  out_ += line;
  if (processing_) return;
  if (OverOutputLimit()) dropping_ = true;
  if (!flush_soon_) {
    flush_soon_ = true;
    thread_->FlushSoon(this);
  }
}

void Connection::DeliverTracking(const tracking::Message& m, bool broken) {
  if (closing_ || dropping_ || !resp_) return;
  resp::RespWriter w(&out_);
  w.set_resp3(client_.resp.load(std::memory_order_relaxed) == 3);
  if (!tracking::WriteMessage(client_, m, broken, w)) return;
  // Its own request's invalidation, after that request's reply: ProcessInput sends both.
  if (processing_) return;
  // Past its output limit it is closed when the loop is about to wait, as a subscriber is.
  if (OverOutputLimit()) dropping_ = true;
  if (!flush_soon_) {
    flush_soon_ = true;
    thread_->FlushSoon(this);
  }
}

void Connection::ServeWhileBusy() {
  // The primary's stream is not answered -BUSY: it waits for the script like the locks would.
  if (processing_ || closing_ || lingering_ || close_after_flush_ || !reading_ || tls_ ||
      client_.block_deadline_ms != 0 || !client_.tx.watched.empty() || client_.master)
    return;
  PrepareInput();
  const ssize_t n =
      recv(client_.fd, in_.get() + in_end_, in_cap_ - in_end_, MSG_DONTWAIT);
  // Nothing yet, or EOF / an error: the loop sees those again when it turns (its poll is
  // level-triggered) and closes the connection then.
  if (n > 0) Received(static_cast<size_t>(n));
}

void Connection::FlushDelivered() {
  flush_soon_ = false;
  if (closing_) return;
  if (dropping_) {
    Close();
    return;
  }
  Flush();
  if (!closing_) {
    ReleaseIdleBuffers();
    SyncBufferAccounting();
  }
}

void Connection::ReleaseIdleBuffers() {
  // A large reply's buffer is not kept for the connection's life.
  if (out_.empty() && out_.capacity() > kKeepBufferCapacity) std::string().swap(out_);
  if (wbuf_.empty() && wbuf_.capacity() > kKeepBufferCapacity) std::string().swap(wbuf_);
  if (tls_out_.empty() && tls_out_.capacity() > kKeepBufferCapacity) std::string().swap(tls_out_);
}

bool Connection::HeldForDurability() {
  if (client_.durable_wait_lsn == 0) return false;
  persist::Persistence* p = thread_->server().persistence;
  persist::Wal* wal = p ? p->wal() : nullptr;
  if (wal && client_.durable_wait_lsn > wal->durable_lsn()) {
    if (!waiting_durable_) {
      waiting_durable_ = true;
      thread_->WaitDurable(this);
    }
    return true;
  }
  client_.durable_wait_lsn = 0;
  return false;
}

void Connection::DurableProgress() {
  waiting_durable_ = false;
  Flush();
}

void Connection::Flush() {
  if (closing_ || writing_) return;
  // A write is acknowledged only once the fsync covering it is done (replies stay in order, so
  // everything after it waits too).
  if (!out_.empty() && HeldForDurability()) return;
  // Reply bytes, before encryption (the figure is the same with and without TLS).
  (client_.replica.load(std::memory_order_relaxed) ? stats_.net_repl_output : stats_.net_output)
      .Add(out_.size());
  if (tls_ && !EncryptOutput()) {
    Close();
    return;
  }
  // What goes on the wire: the replies, or their ciphertext (until the TLS handshake is done
  // replies wait in out_ while handshake records leave).
  std::string& pending = tls_ ? tls_out_ : out_;
  if (pending.empty()) {
    if (close_after_flush_ && out_.empty()) Close();
    return;
  }
  stats_.writes.Add(1);
  // Most replies fit the socket buffer: a direct write skips the write request and the loop
  // bookkeeping (an epoll_ctl per reply) that uv_write costs. Not while input is paused for
  // back-pressure: only OnWrite resumes it, so a direct write that took everything would
  // leave the client unread forever.
  int n = UV_EAGAIN;
  if (reading_ || close_after_flush_) {
    uv_buf_t direct = uv_buf_init(pending.data(), static_cast<unsigned>(pending.size()));
    n = uv_try_write(reinterpret_cast<uv_stream_t*>(&handle_), &direct, 1);
  }
  if (n == static_cast<int>(pending.size())) {
    pending.clear();
    if (close_after_flush_ && out_.empty()) Close();
    return;
  }
  if (n < 0 && n != UV_EAGAIN) {
    Close();
    return;
  }
  if (n > 0) {
    wbuf_.assign(pending, static_cast<size_t>(n));
  } else {
    wbuf_.swap(pending);  // wbuf_ is empty between writes: no copy
  }
  pending.clear();
  writing_ = true;
  write_req_.data = this;
  uv_buf_t b = uv_buf_init(wbuf_.data(), static_cast<unsigned>(wbuf_.size()));
  if (uv_write(&write_req_, reinterpret_cast<uv_stream_t*>(&handle_), &b, 1, OnWrite) != 0) {
    writing_ = false;
    Close();
  }
}

void Connection::OnWrite(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  c->writing_ = false;
  c->wbuf_.clear();
  c->ReleaseIdleBuffers();
  c->SyncBufferAccounting();
  if (c->closing_) return;
  if (status < 0) {
    c->Close();
    return;
  }
  if (!c->reading_ && !c->close_after_flush_) {
    // Input was paused for back-pressure: finish what is buffered, then listen again.
    c->ResumeReading();
    if (c->in_end_ > c->in_start_) {
      c->ProcessInput();
      return;
    }
  }
  c->Flush();
}

void Connection::PauseReading() {
  if (!reading_) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle_));
  reading_ = false;
}

void Connection::ResumeReading() {
  if (reading_ || closing_) return;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&handle_), OnAlloc, OnRead);
  reading_ = true;
}

}  // namespace kv
