// Session: the protocol half of a connection. A Connection owns the socket and its buffers; a
// Session turns the bytes it has read into requests, runs them through the Dispatcher and
// appends replies to the output buffer. RESP is one Session; the native protocol is another.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kv {

struct ClientState;

class Session {
 public:
  enum class Outcome {
    kOk,         // everything complete was processed; wait for more input
    kClose,      // flush the output, then close (QUIT, protocol error)
    kBlocked,    // a blocking command waits: call Process again soon, or after more input
    kPaused,     // CLIENT PAUSE holds the next request: call Process again when it ends
  };
  virtual ~Session() = default;
  // Processes every complete request at the front of `in`; sets *consumed to the bytes used.
  // Replies are appended to `out`. Stops early (returning kOk) once `out` holds more than
  // `out_soft_limit` bytes so a pipelining client that does not read cannot grow it unbounded.
  virtual Outcome Process(std::string_view in, size_t* consumed, std::string* out,
                          size_t out_soft_limit) = 0;
  // Bytes the current partial request still needs, when known (0 = unknown).
  virtual size_t PendingHint() const = 0;
  // An error sent before closing a connection the server will not serve (maxclients), in the
  // session's protocol: a native client must not read RESP text as a frame header.
  virtual void AppendRefusal(std::string_view message, std::string* out) const = 0;
};

}  // namespace kv
