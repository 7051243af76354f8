// Connection: one client socket on one I/O loop, for its whole life.
//
// Read path: bytes land in a per-connection input buffer; the Session parses and runs every
// complete request (pipelining) and appends replies to `out_`. After the whole read is
// processed, all replies leave in one uv_write. While a write is in flight new replies collect
// in `out_` and go in the next write; the in-flight buffer (`wbuf_`) is owned by the connection
// until its callback. A client that stops reading first gets its input paused (back-pressure);
// if its pending output still passes the output buffer limit, only that client is closed.
//
// On a TLS listener the connection also owns a tls::TlsStream: reads are decrypted into the
// same input buffer and `out_` is encrypted just before it is written, so the Session and
// everything above it see plaintext only.
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "commands/command.h"
#include "commands/tracking.h"
#include "server/session.h"
#include "server/tls.h"

namespace kv {

class IoThread;
class ThreadStats;

class Connection {
 public:
  Connection(IoThread* thread, std::unique_ptr<Session> (*make_session)(Connection*));
  ~Connection();

  // Takes the accepted socket `fd` (closed here on failure); starts reading.
  bool Start(int fd);
  // Makes this a TLS connection on `tls`'s current context (before any byte is read). False if
  // no TLS session could be created.
  bool UseTls(tls::TlsContext& tls);
  // Start, then processes `input` as if read from the socket (a replica's link to its
  // primary: the bytes of the stream that came with the end of the handshake).
  bool StartWithInput(int fd, std::string_view input);
  // Appends bytes to the output as they are (the replication stream, a replica's ACK) and
  // sends them; closes the client past its output limit.
  void SendRaw(std::string_view bytes);
  // Closes the socket (once); the object deletes itself in the close callback.
  void Close();
  // Sends `message` as an error in the connection's protocol (best effort), then closes.
  void Refuse(std::string_view message);

  ClientState& client() { return client_; }
  IoThread* thread() { return thread_; }
  uv_tcp_t* handle() { return &handle_; }
  bool closing() const { return closing_; }
  bool processing() const { return processing_; }
  size_t query_buffer_bytes() const { return in_end_ - in_start_; }
  size_t output_bytes() const { return out_.size() + wbuf_.size() + tls_out_.size(); }
  // Bytes this connection's buffers hold (capacities), as counted in ClientBufferBytes().
  size_t buffer_capacity() const {
    return in_cap_ + out_.capacity() + wbuf_.capacity() + tls_out_.capacity();
  }
  // The WAL fsynced more: send held replies if they are now covered.
  void DurableProgress();
  // On this connection's loop: appends a published message for subscription `to` (dropped if
  // the client unsubscribed since it was published), then sends it, or closes the client if
  // its output passes its class's client-output-buffer-limit.
  // `frame` is the RESP2 message frame for a channel subscriber (`*3`, message or smessage,
  // channel, payload); its last `tail` bytes are the channel and payload bulks.
  void DeliverPubSub(const PubSubMessage& msg, std::string_view frame, size_t tail,
                     const PubSubTarget& to);
  // On this connection's loop: appends an invalidation (commands/tracking.h WriteMessage) if
  // the client can take one, then sends it as DeliverPubSub does. Native clients take none.
  void DeliverTracking(const tracking::Message& m, bool broken);
  // On this connection's loop: appends a MONITOR line, then sends it as DeliverPubSub does
  // (closing a monitor that passes its output buffer limit).
  void DeliverMonitor(const std::string& line);
  // The loop is about to wait: sends what DeliverPubSub appended.
  void FlushDelivered();
  // Called from inside a busy script running on this loop (the loop cannot turn): reads what
  // the client sent and answers it (-BUSY, or SCRIPT KILL). Skips the script's own client and
  // any connection that is paused, closing, on TLS, blocked or watching keys (closing one
  // would take the shard locks the script holds on this thread); those wait for the script.
  void ServeWhileBusy();
  // Runs input held by CLIENT PAUSE again (the pause ended or UNPAUSE woke it).
  void ResumeAfterPause();
  // Runs the request of a client blocked on keys again (a key it waits on may be ready).
  void WakeBlocked();

 private:
  static void OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClose(uv_handle_t* h);
  static void OnRetry(uv_timer_t* t);
  static void OnLingerEnd(uv_timer_t* t);
  static void OnPauseEnd(uv_timer_t* t);
  void HoldWhilePaused();

  void ProcessInput();
  // `n` plaintext bytes landed at the end of the input buffer: counts them and processes.
  void Received(size_t n);
  // TLS: decrypts ciphertext just read into the input buffer, then processes it.
  void OnTlsRead(const char* data, size_t n);
  // TLS: moves `out_` (and a close_notify when closing) into `tls_out_` as ciphertext.
  bool EncryptOutput();
  // Makes room for at least one read chunk at the end of the input buffer.
  void PrepareInput();
  void Flush();
  // appendfsync always: true (and queued on the loop) while replies wait for the fsync.
  bool HeldForDurability();
  void PauseReading();
  void ResumeReading();
  // Makes room for the next read without trusting an announced length (see OnAlloc).
  void GrowInput(size_t hint);
  // Reports a change of buffer_capacity() to the global client-buffer figure.
  void SyncBufferAccounting();
  void ReleaseIdleBuffers();
  // client-output-buffer-limit for this client's class (pubsub while it has subscriptions,
  // normal otherwise): true when past the hard limit, or past the soft one for longer than its
  // seconds.
  bool OverOutputLimit();

  IoThread* thread_;
  ThreadStats& stats_;  // this loop's counters (reads, writes, bytes)
  uv_tcp_t handle_;
  uv_write_t write_req_;
  uv_timer_t retry_timer_;  // re-runs a blocked command
  uv_timer_t pause_timer_;  // ends a CLIENT PAUSE hold
  bool pause_held_ = false;  // registered with ClientPause for UNPAUSE's wake-up
  int open_handles_ = 0;    // the object is deleted when both handles have closed
  ClientState client_;
  std::unique_ptr<Session> session_;
  bool resp_ = false;  // a RESP session: only those can carry pushed messages

  // Not a std::vector: growing it must not zero-fill memory that no byte has reached yet.
  std::unique_ptr<char[]> in_;
  size_t in_cap_ = 0;
  size_t in_start_ = 0, in_end_ = 0;
  size_t accounted_bytes_ = 0;  // buffer_capacity() as last reported
  std::string out_;   // replies not yet handed to uv_write
  std::string wbuf_;  // the buffer of the write in flight
  bool writing_ = false;
  bool reading_ = false;
  bool close_after_flush_ = false;
  bool closing_ = false;
  bool lingering_ = false;  // refused: input is dropped until EOF or the linger timer
  // How long a refused connection waits for its client to close (its fd is held that long).
  static constexpr uint64_t kRefusalLingerMs = 1000;
  bool waiting_durable_ = false;
  bool processing_ = false;     // inside session_->Process: the caller flushes and checks
  bool flush_soon_ = false;     // queued on the loop's FlushSoon list
  // Over its output limit while receiving Pub/Sub messages: closed at the next FlushDelivered.
  bool dropping_ = false;
  int64_t soft_limit_since_ = 0;  // when output first passed the soft limit (0 = below it)
  std::unique_ptr<tls::TlsStream> tls_;  // null on a plain listener
  std::string tls_out_;                  // ciphertext not yet handed to uv_write
};

}  // namespace kv
