#include "resp/peer_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace kv::resp {

bool WaitReady(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

bool SendAll(int fd, std::string_view bytes, int timeout_ms) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitReady(fd, POLLOUT, timeout_ms)) return false;
    } else {
      return false;
    }
  }
  return true;
}

bool PeerReader::Line(std::string* line) {
  for (;;) {
    const size_t eol = buf_.find("\r\n");
    if (eol != std::string::npos) {
      line->assign(buf_, 0, eol);
      buf_.erase(0, eol + 2);
      return true;
    }
    if (buf_.size() > 64 * 1024 || !Receive(&buf_, 16 * 1024)) return false;
  }
}

bool PeerReader::Receive(std::string* to, size_t max) {
  char chunk[64 * 1024];
  if (max > sizeof chunk) max = sizeof chunk;
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, max, MSG_DONTWAIT);
    if (n > 0) {
      to->append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitReady(fd_, POLLIN, timeout_ms_)) return false;
      continue;
    }
    return false;  // end of stream or an error
  }
}

}  // namespace kv::resp
