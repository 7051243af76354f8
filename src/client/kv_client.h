// kv::client: a blocking C++ client for the native protocol (docs/native-protocol.md).
//
// Client    one TCP connection (plain blocking POSIX socket, TCP_NODELAY; over TLS through
//           OpenSSL when Url::tls.enabled, for kv-server's tls-native-port), typed calls that
//           return Result<native::Value>. Connect() takes a URL
//           `kv://[password@]host:port[/namespace]` and sends AUTH / SELECT before returning.
// Pipeline  queues requests on one Client and sends them in a single write, then reads the
//           replies in order.
// Pool      a fixed number of connections shared by threads; Acquire() hands one out (blocking
//           while all are in use) and reconnects a broken or stale one (the server closed it
//           while it sat idle, e.g. because the server restarted) before handing it out again.
//
// Every frame is built and parsed by src/native_proto (EncodeRequestPayload, AppendRequest,
// FrameParser, ValueDecoder): this library owns sockets only, never a second encoder.
//
// Errors: a Result holds either the value or an Error whose code says what happened:
//   kConnection  connect failed, or the connection was lost (the Client is broken()).
//   kTimeout     no reply within the timeout (the Client is broken(): a late reply would be
//                misread as the answer to the next request).
//   kServer      the server answered ERROR: the command ran and failed; message = its text.
//   kInvalid     the server answered INVALID: malformed request, the command did not run.
//   kProtocol    the server's bytes do not parse (the Client is broken()).
//   kBadUrl      Connect / ParseUrl: the URL is not `kv://[password@]host:port[/namespace]`.
//   kUsage       a local misuse (a key longer than 65535 bytes, a moved-from Client, ...).
// A NULL reply (no such key, lock held by another owner) is a success holding a Null value.
//
// Thread contract: Client and Pipeline are not thread-safe (one thread at a time); Pool is.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "native_proto/frame.h"
#include "native_proto/opcodes.h"
#include "native_proto/value.h"

struct ssl_st;

namespace kv::client {

enum class ErrorCode : uint8_t { kConnection, kTimeout, kServer, kInvalid, kProtocol, kBadUrl, kUsage };

// "connection", "timeout", "server error", "invalid request", "protocol", "bad url", "usage".
std::string_view ErrorCodeName(ErrorCode c);

struct Error {
  ErrorCode code;
  std::string message;
  // "<code name>: <message>".
  std::string ToString() const;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : rep_(std::in_place_index<0>, std::move(v)) {}       // NOLINT: implicit on purpose
  Result(Error e) : rep_(std::in_place_index<1>, std::move(e)) {}   // NOLINT: implicit on purpose

  bool ok() const { return rep_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The caller checks ok() first (otherwise std::bad_variant_access).
  T& value() & { return std::get<0>(rep_); }
  const T& value() const& { return std::get<0>(rep_); }
  T&& value() && { return std::get<0>(std::move(rep_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(rep_); }

 private:
  std::variant<T, Error> rep_;
};

// The parts of `kv://[password@]host:port[/namespace]`. host may be a name, an IPv4 address or a
// bracketed IPv6 address (`kv://[::1]:6380`, stored without brackets). The password is taken
// verbatim (no percent-decoding) and may not contain '@' or '/'; the port is 1-65535; the
// namespace, when present, is non-empty and has no further '/'.
struct Url {
  std::string password;  // empty: no AUTH
  // The ACL user AUTH names; empty: the default user. Not part of the URL text (a password may
  // contain ':'), set by the caller (kv-cli --user).
  std::string user;
  std::string host;
  uint16_t port = 0;
  std::string ns;        // empty: no SELECT
  // TLS: set by the caller (kv-cli --tls ...), not by the URL text. The server's certificate
  // must chain to ca_file / ca_dir (the system's CAs when both are empty) and name `host`
  // (a DNS name or an IP address), unless verify is false.
  struct Tls {
    bool enabled = false;
    std::string ca_file, ca_dir;
    std::string cert_file, key_file;  // a client certificate, for tls-auth-clients yes
    bool verify = true;
  } tls;
};

Result<Url> ParseUrl(std::string_view url);

using Milliseconds = std::chrono::milliseconds;
inline constexpr Milliseconds kDefaultTimeout{5000};

class Pipeline;

class Client {
 public:
  // Connects within `timeout` (also the timeout of every later reply), sets TCP_NODELAY, then
  // sends AUTH when the URL has a password and SELECT when it has a namespace.
  static Result<Client> Connect(std::string_view url, Milliseconds timeout = kDefaultTimeout);
  static Result<Client> Connect(const Url& url, Milliseconds timeout = kDefaultTimeout);

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // OK replies: GET the value; SET / SELECT / AUTH Null; PING String "PONG"; the rest Int as in
  // docs/native-protocol.md section 5. NULL replies: Null.
  Result<native::Value> Get(std::string_view key);
  Result<native::Value> Set(std::string_view key, const native::Value& value, uint64_t ttl_ms = 0);
  Result<native::Value> Del(std::string_view key);
  Result<native::Value> Exists(std::string_view key);
  Result<native::Value> Incr(std::string_view key);
  Result<native::Value> IncrBy(std::string_view key, int64_t delta);
  Result<native::Value> Ttl(std::string_view key);
  Result<native::Value> Expire(std::string_view key, uint64_t ttl_ms);
  Result<native::Value> Cas(std::string_view key, const native::Value& expected,
                            const native::Value& desired, uint64_t ttl_ms = 0);
  Result<native::Value> Lock(std::string_view key, std::string_view owner, uint64_t ttl_ms);
  Result<native::Value> Unlock(std::string_view key, std::string_view owner);
  Result<native::Value> Extend(std::string_view key, std::string_view owner, uint64_t ttl_ms);
  Result<native::Value> Ping();
  // CALL: args[0] is the command name; the reply mapped to a typed value.
  Result<native::Value> Call(const std::vector<native::Value>& args);
  Result<native::Value> Select(std::string_view ns);
  Result<native::Value> Auth(std::string_view password, std::string_view user = {});

  // Any request (req.info set); the building block of the calls above.
  Result<native::Value> Execute(const native::Request& req);

  Pipeline MakePipeline();

  // True after a lost connection, a timeout or unparsable bytes: the Client can only be dropped
  // (Pool reconnects it).
  bool broken() const { return fd_ < 0; }
  // True when broken(), or when the socket is readable while no reply is awaited: the server
  // closed or reset the connection (it restarted, or dropped an idle client), or sent bytes
  // nobody asked for. Polls without waiting; meant for idle connections (Pool::Acquire), where
  // it turns "the first request after a server restart fails" into a transparent reconnect.
  bool stale() const;
  const Url& url() const { return url_; }

 private:
  friend class Pipeline;
  Client(int fd, Url url, Milliseconds timeout) : fd_(fd), url_(std::move(url)), timeout_(timeout) {}

  // Send / receive through TLS when ssl_ is set, else through the socket; errno-style result.
  long SendSome(const char* data, size_t n);
  long RecvSome(char* data, size_t n);

  std::optional<Error> WriteAll(std::string_view bytes);
  // Reads one response frame and maps it for `op`.
  Result<native::Value> ReadReply(native::Opcode op);
  Error Break(ErrorCode code, std::string message);
  void Close();

  int fd_ = -1;
  ssl_st* ssl_ = nullptr;  // owned; null on a plain connection
  Url url_;
  Milliseconds timeout_{kDefaultTimeout};
  std::string in_;       // bytes received, not yet parsed
  size_t in_pos_ = 0;    // parsed prefix of in_
};

// Queue requests, then Execute() writes them in one write and returns one Result per request,
// in order. A connection error fails every reply not yet read. The Pipeline is reusable after
// Execute (the queue is emptied). It refers to its Client, which must outlive it.
class Pipeline {
 public:
  explicit Pipeline(Client& client) : client_(&client) {}

  Pipeline& Get(std::string_view key);
  Pipeline& Set(std::string_view key, const native::Value& value, uint64_t ttl_ms = 0);
  Pipeline& Del(std::string_view key);
  Pipeline& Exists(std::string_view key);
  Pipeline& Incr(std::string_view key);
  Pipeline& IncrBy(std::string_view key, int64_t delta);
  Pipeline& Ttl(std::string_view key);
  Pipeline& Expire(std::string_view key, uint64_t ttl_ms);
  Pipeline& Ping();
  Pipeline& Call(const std::vector<native::Value>& args);
  Pipeline& Add(const native::Request& req);

  size_t size() const { return ops_.size(); }
  std::vector<Result<native::Value>> Execute();

 private:
  Client* client_;
  std::string out_;
  std::vector<native::Opcode> ops_;
  std::vector<std::pair<size_t, Error>> errors_;  // (position, why) of requests not encodable
};

// A fixed-size, thread-safe pool of connections to one URL. Connections are opened lazily on
// first use; a connection found stale() (broken, or closed by the server while idle) when handed
// out is reconnected first, with AUTH and SELECT again. A connection that breaks while leased
// fails that request (kConnection / kTimeout) and is reconnected on its next Acquire; requests
// are never retried behind the caller's back (an INCR must not run twice).
class Pool {
 public:
  Pool(Url url, size_t size, Milliseconds timeout = kDefaultTimeout);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection on loan; returned to the pool when destroyed. Move-only.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Client& operator*() const;
    Client* operator->() const { return &**this; }

   private:
    friend class Pool;
    Lease(Pool* pool, size_t slot) : pool_(pool), slot_(slot) {}
    Pool* pool_;
    size_t slot_;
  };

  // Waits until a connection is free, (re)connects it if needed. The error is the connect error
  // (the slot goes back to the pool and is retried on the next Acquire).
  Result<Lease> Acquire();

  size_t size() const { return slots_.size(); }

 private:
  void Release(size_t slot);

  Url url_;
  Milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::optional<Client>> slots_;  // slot i is touched only by its current holder
  std::vector<size_t> free_;                  // guarded by mu_
};

}  // namespace kv::client
