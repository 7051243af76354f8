// RequestParser: turns the bytes a RESP client sends into request arguments.
//
// It understands both request forms redis-server accepts: multibulk (`*N\r\n$len\r\narg\r\n...`,
// what every client library sends) and inline commands (`SET k "a b"\n`, what telnet users type).
// It is incremental: it parses one request per call from the front of the connection's unconsumed
// bytes and remembers how far it got when the request is incomplete, so neither huge pipelines
// nor many-argument requests are re-scanned as more bytes arrive. It knows nothing about commands
// or connections, so clients, tools and fuzzers reuse it as is.
//
// Thread contract: one parser per connection, used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kv::resp {

struct ParserLimits {
  size_t max_bulk_len = 512ull * 1024 * 1024;  // proto-max-bulk-len
  size_t max_multibulk_len = 1024 * 1024;      // args per request
  // Longest inline request line; also bounds the `*N` and `$len` header lines, as in Redis.
  size_t max_inline_len = 64 * 1024;
  // A client that must still authenticate may send at most kUnauthMaxArgs arguments of at most
  // kUnauthMaxBulkLen bytes each (Redis's limits and error texts): enough for AUTH and HELLO,
  // too little to make the server hold memory for someone who has not logged in.
  bool unauthenticated = false;
};

inline constexpr size_t kUnauthMaxArgs = 10;
inline constexpr size_t kUnauthMaxBulkLen = 16 * 1024;

class RequestParser {
 public:
  enum class Result { kOk, kNeedMore, kError };

  explicit RequestParser(ParserLimits limits = {});

  // Takes effect from the next header the parser reads (a bulk already announced keeps its
  // length), like CONFIG SET proto-max-bulk-len in Redis.
  void set_limits(ParserLimits l) { limits_ = l; }

  // `buf` always starts at the first byte of the request being parsed: the caller keeps the
  // unconsumed bytes contiguous and at the front, and may move them between calls (only offsets
  // are remembered), but must not change bytes it has already passed.
  //
  // kOk: *consumed is the request's size and `args` holds its arguments. Multibulk arguments are
  // views into `buf` (zero-copy); inline ones point into parser-owned storage. Either way they
  // are valid until the next Parse or Reset call (and, for multibulk, while `buf` is unchanged).
  // Requests that Redis silently skips (an empty or blank inline line, `*0`, `*-1`) yield kOk
  // with zero arguments; the caller consumes them and moves on.
  //
  // kNeedMore: nothing is consumed; call again when more bytes have arrived.
  //
  // kError: the input violates the protocol. error() is Redis's text without the "ERR " prefix;
  // the caller replies "-ERR <text>" and closes the connection. The parser keeps returning kError
  // until Reset().
  Result Parse(std::string_view buf, size_t* consumed, std::vector<std::string_view>* args);

  std::string_view error() const { return error_; }

  // After kNeedMore: bytes the current request still needs at minimum beyond the `buf` last
  // passed, when known (inside a bulk whose length has been read), so the caller can reserve
  // room for a big argument in one step; 0 if unknown.
  size_t pending_hint() const { return pending_; }

  // Forgets any partial request and a previous error.
  void Reset();

 private:
  enum class State : uint8_t { kIdle, kMultibulk, kError };
  enum class LineStatus : uint8_t { kFound, kNeedMore, kTooBig };
  struct Span {
    size_t offset;
    size_t len;
  };

  Result ParseMultibulk(std::string_view buf, size_t* consumed,
                        std::vector<std::string_view>* args);
  Result ParseInline(std::string_view buf, size_t* consumed, std::vector<std::string_view>* args);
  // Looks for `terminator` in the line that starts at pos_, which may hold at most
  // limits_.max_inline_len bytes before it. On kFound, *at is the terminator's offset in `buf`.
  LineStatus FindLineEnd(std::string_view buf, char terminator, size_t* at);
  Result Fail(std::string msg);
  void FinishRequest();

  ParserLimits limits_;
  State state_ = State::kIdle;
  size_t pos_ = 0;         // offset in buf of the first byte not yet parsed
  size_t scanned_to_ = 0;  // the current line has no terminator before this offset
  size_t args_left_ = 0;   // multibulk arguments still to read
  bool have_bulk_len_ = false;
  size_t bulk_len_ = 0;  // length of the bulk being read, once its header was parsed
  size_t pending_ = 0;
  std::vector<Span> spans_;     // arguments read so far, as offsets: `buf` may move
  std::string inline_storage_;  // unescaped inline arguments
  std::string error_;
};

}  // namespace kv::resp
