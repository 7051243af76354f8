// Blocking reads and writes on a socket to another RESP server, each wait for the peer bounded
// by a timeout: a replica's link to its primary (server/replica_link.cc) and MIGRATE's
// connection to its target (commands/migrate.cc). Both run off the event loops (the link on its
// own thread, MIGRATE blocking its client's loop for at most its timeout, as Redis does).
//
// The socket stays the caller's (opened, shut down from another thread, closed or handed to a
// loop by it); these only read and write it, whether it is blocking or not: every read and
// write asks for what is there without waiting, and waits in poll() for the rest.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kv::resp {

// Waits until `fd` is ready for poll() `events` (POLLIN, POLLOUT); false after `timeout_ms` or on
// an error. A peer that hung up counts as ready: the read or write that follows reports it.
bool WaitReady(int fd, short events, int timeout_ms);

// Writes all of `bytes`; false on an error or when the peer takes nothing for `timeout_ms`.
bool SendAll(int fd, std::string_view bytes, int timeout_ms);

// Reads a socket's bytes a line or a sized block at a time, keeping what was read past them.
class PeerReader {
 public:
  PeerReader(int fd, int timeout_ms) : fd_(fd), timeout_ms_(timeout_ms) {}

  // One line without its CRLF. False on an error, end of stream, a wait past the timeout, or
  // 64 KiB without a line end (every line read this way is a status, an error or a header).
  bool Line(std::string* line);

  // Exactly `n` bytes into *out, calling progress(bytes so far) after each piece (a replica's
  // full-sync figures). False as Line is.
  template <typename Progress>
  bool Bytes(size_t n, std::string* out, Progress&& progress) {
    out->clear();
    // The announced length is the peer's word: grow with what arrives beyond a first block.
    out->reserve(n < kFirstBlock ? n : kFirstBlock);
    const size_t first = n < buf_.size() ? n : buf_.size();
    out->append(buf_, 0, first);
    buf_.erase(0, first);
    progress(out->size());
    while (out->size() < n) {
      if (!Receive(out, n - out->size())) return false;
      progress(out->size());
    }
    return true;
  }

  // What was read past the last line or block handed out.
  std::string TakeRest() { return std::move(buf_); }

 private:
  static constexpr size_t kFirstBlock = size_t{64} << 20;
  // Appends up to `max` bytes (at least one) to *to, waiting for them up to the timeout.
  bool Receive(std::string* to, size_t max);

  int fd_;
  int timeout_ms_;
  std::string buf_;
};

}  // namespace kv::resp
