#include "client/kv_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>

#include "native_proto/value_codec.h"

namespace kv::client {

using native::Opcode;
using native::Value;

std::string_view ErrorCodeName(ErrorCode c) {
  switch (c) {
    case ErrorCode::kConnection: return "connection";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kServer: return "server error";
    case ErrorCode::kInvalid: return "invalid request";
    case ErrorCode::kProtocol: return "protocol";
    case ErrorCode::kBadUrl: return "bad url";
    case ErrorCode::kUsage: return "usage";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string s(ErrorCodeName(code));
  s += ": ";
  s += message;
  return s;
}

// ---------------------------------------------------------------------------------------------
// URL

namespace {

Error BadUrl(std::string_view url, std::string_view why) {
  std::string m = "invalid URL '";
  m += url;
  m += "': ";
  m += why;
  return Error{ErrorCode::kBadUrl, std::move(m)};
}

}  // namespace

Result<Url> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "kv://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return BadUrl(url, "expected kv://[password@]host:port[/namespace]");
  }
  std::string_view rest = url.substr(kScheme.size());
  Url out;

  // Authority ends at the first '/'.
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view ns = rest.substr(slash + 1);
    if (ns.empty()) return BadUrl(url, "empty namespace after '/'");
    if (ns.find('/') != std::string_view::npos) return BadUrl(url, "namespace contains '/'");
    out.ns = std::string(ns);
  }

  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view pw = authority.substr(0, at);
    if (pw.empty()) return BadUrl(url, "empty password before '@'");
    if (pw.find('@') != std::string_view::npos) return BadUrl(url, "password contains '@'");
    out.password = std::string(pw);
    authority = authority.substr(at + 1);
  }

  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unterminated '[' in host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (after.empty() || after.front() != ':') return BadUrl(url, "missing ':port'");
    port = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) return BadUrl(url, "missing ':port'");
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return BadUrl(url, "IPv6 addresses must be bracketed ([::1]:6380)");
    }
  }
  if (host.empty()) return BadUrl(url, "empty host");
  if (port.empty()) return BadUrl(url, "empty port");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return BadUrl(url, "port must be a number in 1-65535");
  }
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(value);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Client

namespace {

std::string Errno(std::string_view what) {
  std::string m(what);
  m += ": ";
  m += std::strerror(errno);
  return m;
}

// A non-blocking connect bounded by `timeout`; the socket is left blocking.
int ConnectFd(const Url& url, Milliseconds timeout, Error* err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(url.port);
  int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    *err = Error{ErrorCode::kConnection,
                 "cannot resolve " + url.host + ": " + ::gai_strerror(rc)};
    return -1;
  }
  std::string last = "no address for " + url.host;
  ErrorCode last_code = ErrorCode::kConnection;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last = Errno("socket");
      continue;
    }
    bool ok = false;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      ok = true;
    } else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n;
      do {
        n = ::poll(&p, 1, static_cast<int>(timeout.count()));
      } while (n < 0 && errno == EINTR);
      if (n == 0) {
        last = "connect to " + url.host + ":" + port + " timed out";
        last_code = ErrorCode::kTimeout;
      } else if (n < 0) {
        last = Errno("poll");
      } else {
        int so_error = 0;
        socklen_t len = sizeof(so_error);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        if (so_error == 0) {
          ok = true;
        } else {
          last = "connect to " + url.host + ":" + port + ": " + std::strerror(so_error);
          last_code = ErrorCode::kConnection;
        }
      }
    } else {
      last = Errno("connect to " + url.host + ":" + port);
      last_code = ErrorCode::kConnection;
    }
    if (!ok) {
      ::close(fd);
      continue;
    }
    int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ::freeaddrinfo(res);
    return fd;
  }
  ::freeaddrinfo(res);
  *err = Error{last_code, std::move(last)};
  return -1;
}

// ---------------------------------------------------------------------------------------------
// TLS

std::string SslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    out += (out.empty() ? "" : ": ") + std::string(reason ? reason : "unknown");
  }
  return out.empty() ? "unknown TLS error" : out;
}

// OpenSSL's own socket BIO writes with write(): a server that closed the connection would kill
// the application with SIGPIPE. This one sends with MSG_NOSIGNAL, like the plain path, and
// turns a timeout (SO_RCVTIMEO / SO_SNDTIMEO, or a non-blocking probe) into "retry".
int BioRecv(BIO* b, char* data, int n) {
  BIO_clear_retry_flags(b);
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b)));
  ssize_t r;
  do {
    r = ::recv(fd, data, static_cast<size_t>(n), 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_read(b);
  return static_cast<int>(r);
}

int BioSend(BIO* b, const char* data, int n) {
  BIO_clear_retry_flags(b);
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b)));
  ssize_t r;
  do {
    r = ::send(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL);
  } while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) BIO_set_retry_write(b);
  return static_cast<int>(r);
}

long BioCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

BIO* NewSocketBio(int fd) {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kv-client socket");
    BIO_meth_set_read(m, BioRecv);
    BIO_meth_set_write(m, BioSend);
    BIO_meth_set_ctrl(m, BioCtrl);
    return m;
  }();
  BIO* b = BIO_new(method);
  if (b == nullptr) return nullptr;
  BIO_set_data(b, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  BIO_set_init(b, 1);
  return b;
}

// Runs the TLS handshake on a connected blocking socket; the SSL, or null with *err set.
SSL* StartTls(int fd, const Url& url, Error* err) {
  ERR_clear_error();
  const Url::Tls& t = url.tls;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *err = Error{ErrorCode::kConnection, "TLS: " + SslErrors()};
    return nullptr;
  }
  auto fail = [&](const std::string& what) -> SSL* {
    *err = Error{ErrorCode::kConnection, "TLS: " + what + ": " + SslErrors()};
    SSL_CTX_free(ctx);
    return nullptr;
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (t.verify) {
    if (t.ca_file.empty() && t.ca_dir.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) return fail("the system's CA certificates");
    } else if (SSL_CTX_load_verify_locations(ctx, t.ca_file.empty() ? nullptr : t.ca_file.c_str(),
                                             t.ca_dir.empty() ? nullptr : t.ca_dir.c_str()) != 1) {
      return fail("CA certificates '" + (t.ca_file.empty() ? t.ca_dir : t.ca_file) + "'");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (!t.cert_file.empty() && SSL_CTX_use_certificate_chain_file(ctx, t.cert_file.c_str()) != 1)
    return fail("certificate '" + t.cert_file + "'");
  if (!t.key_file.empty()) {
    if (SSL_CTX_use_PrivateKey_file(ctx, t.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
      return fail("key '" + t.key_file + "'");
  }
  SSL* ssl = SSL_new(ctx);
  SSL_CTX_free(ctx);  // the SSL holds its own reference
  BIO* bio = ssl ? NewSocketBio(fd) : nullptr;
  if (bio == nullptr) {
    SSL_free(ssl);
    *err = Error{ErrorCode::kConnection, "TLS: " + SslErrors()};
    return nullptr;
  }
  SSL_set_bio(ssl, bio, bio);
  in6_addr ip;
  const bool is_ip = ::inet_pton(AF_INET, url.host.c_str(), &ip) == 1 ||
                     ::inet_pton(AF_INET6, url.host.c_str(), &ip) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(ssl, url.host.c_str());
  if (t.verify) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip)
      X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
    else
      X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
  }
  const int rc = SSL_connect(ssl);
  if (rc != 1) {
    const int e = SSL_get_error(ssl, rc);
    const long verify = SSL_get_verify_result(ssl);
    std::string why = verify != X509_V_OK
                          ? std::string("server certificate: ") + X509_verify_cert_error_string(verify)
                          : e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE
                                ? std::string("handshake timed out")
                                : SslErrors();
    ERR_clear_error();
    SSL_free(ssl);
    *err = Error{e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? ErrorCode::kTimeout
                                                                       : ErrorCode::kConnection,
                 "TLS handshake with " + url.host + ":" + std::to_string(url.port) + ": " + why};
    return nullptr;
  }
  return ssl;
}

native::Request MakeRequest(Opcode op) {
  native::Request r;
  r.info = native::FindOpcode(static_cast<uint8_t>(op));
  return r;
}

// A request whose only field is the key (GET, DEL, EXISTS, INCR, TTL).
native::Request KeyRequest(Opcode op, std::string_view key) {
  native::Request r = MakeRequest(op);
  r.key = key;
  return r;
}

// Key16 fields hold at most 65535 bytes.
std::optional<Error> CheckKey16(const native::Request& req) {
  switch (req.info->shape) {
    case native::PayloadShape::kKeyTtlValue:
    case native::PayloadShape::kKeyTtlTwoValues:
    case native::PayloadShape::kKeyOwnerTtl:
    case native::PayloadShape::kKeyOwner:
    case native::PayloadShape::kKeyDelta:
    case native::PayloadShape::kKeyTtl:
    case native::PayloadShape::kAuth:
      if (req.key.size() > 0xFFFF || req.owner.size() > 0xFFFF) {
        return Error{ErrorCode::kUsage, "key, owner, user or password longer than 65535 bytes"};
      }
      break;
    case native::PayloadShape::kCall:
      if (req.args.empty() || req.args.size() > 0xFFFF) {
        return Error{ErrorCode::kUsage, "CALL needs 1 to 65535 arguments"};
      }
      break;
    default: break;
  }
  return std::nullopt;
}

// Appends the request frame to *out, or returns why it cannot be sent.
std::optional<Error> AppendRequestFrame(const native::Request& req, std::string* out) {
  if (req.info == nullptr) return Error{ErrorCode::kUsage, "request without an opcode"};
  if (auto e = CheckKey16(req)) return e;
  std::string payload = native::EncodeRequestPayload(req);
  if (payload.size() > native::kMaxPayloadSize) {
    return Error{ErrorCode::kUsage, "request payload larger than 64 MB"};
  }
  native::AppendRequest(out, req.info->op, payload);
  return std::nullopt;
}

}  // namespace

Result<Client> Client::Connect(std::string_view url, Milliseconds timeout) {
  Result<Url> parsed = ParseUrl(url);
  if (!parsed) return parsed.error();
  return Connect(*parsed, timeout);
}

Result<Client> Client::Connect(const Url& url, Milliseconds timeout) {
  Error err{ErrorCode::kConnection, ""};
  int fd = ConnectFd(url, timeout, &err);
  if (fd < 0) return err;
  SSL* ssl = nullptr;
  if (url.tls.enabled) {
    ssl = StartTls(fd, url, &err);
    if (ssl == nullptr) {
      ::close(fd);
      return err;
    }
  }
  Client c(fd, url, timeout);
  c.ssl_ = ssl;
  if (!url.password.empty()) {
    Result<Value> r = c.Auth(url.password, url.user);
    if (!r) return Error{r.error().code, "AUTH: " + r.error().message};
  }
  if (!url.ns.empty()) {
    Result<Value> r = c.Select(url.ns);
    if (!r) return Error{r.error().code, "SELECT " + url.ns + ": " + r.error().message};
  }
  return c;
}

Client::Client(Client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      url_(std::move(other.url_)),
      timeout_(other.timeout_),
      in_(std::move(other.in_)),
      in_pos_(std::exchange(other.in_pos_, 0)) {}

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    ssl_ = std::exchange(other.ssl_, nullptr);
    url_ = std::move(other.url_);
    timeout_ = other.timeout_;
    in_ = std::move(other.in_);
    in_pos_ = std::exchange(other.in_pos_, 0);
  }
  return *this;
}

Client::~Client() { Close(); }

void Client::Close() {
  SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
  in_pos_ = 0;
}

bool Client::stale() const {
  if (fd_ < 0) return true;
  if (in_pos_ < in_.size()) return true;  // bytes of no request of ours
  if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return true;
  pollfd p{fd_, POLLIN, 0};
  int n;
  do {
    n = ::poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  // POLLIN on an idle connection is EOF, a reset or unsolicited bytes; all make it unusable.
  if (n == 0 || ssl_ == nullptr) return n != 0;
  // Over TLS it may also be a session ticket (TLS 1.3 sends them after the handshake): let
  // OpenSSL read what is there without waiting, and call it stale only if it was not that.
  const int flags = ::fcntl(fd_, F_GETFL);
  ::fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  char c;
  ERR_clear_error();
  const int r = SSL_peek(ssl_, &c, 1);
  const int e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
  ERR_clear_error();
  ::fcntl(fd_, F_SETFL, flags);
  return e != SSL_ERROR_WANT_READ;
}

long Client::SendSome(const char* data, size_t n) {
  if (ssl_ == nullptr) return ::send(fd_, data, n, MSG_NOSIGNAL);
  ERR_clear_error();
  const int w = SSL_write(ssl_, data, static_cast<int>(std::min<size_t>(n, INT_MAX)));
  if (w > 0) return w;
  const int e = SSL_get_error(ssl_, w);
  // The socket BIO keeps errno for real socket errors; timeouts come back as "want".
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) errno = EAGAIN;
  else if (e != SSL_ERROR_SYSCALL || errno == 0) errno = ECONNRESET;
  ERR_clear_error();
  return -1;
}

long Client::RecvSome(char* data, size_t n) {
  if (ssl_ == nullptr) return ::recv(fd_, data, n, 0);
  ERR_clear_error();
  const int r = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(n, INT_MAX)));
  if (r > 0) return r;
  const int e = SSL_get_error(ssl_, r);
  ERR_clear_error();
  if (e == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) errno = EAGAIN;
  else if (e == SSL_ERROR_SYSCALL && errno == 0) return 0;  // EOF without close_notify
  else if (e != SSL_ERROR_SYSCALL) errno = ECONNRESET;
  return -1;
}

Error Client::Break(ErrorCode code, std::string message) {
  Close();
  return Error{code, std::move(message)};
}

std::optional<Error> Client::WriteAll(std::string_view bytes) {
  if (fd_ < 0) return Error{ErrorCode::kConnection, "not connected (connection lost earlier)"};
  while (!bytes.empty()) {
    const long n = SendSome(bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return Break(ErrorCode::kTimeout, "write timed out");
      }
      return Break(ErrorCode::kConnection, Errno("connection lost on write"));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return std::nullopt;
}

Result<Value> Client::ReadReply(Opcode op) {
  if (fd_ < 0) return Error{ErrorCode::kConnection, "not connected (connection lost earlier)"};
  native::FrameParser parser;
  native::Frame frame;
  for (;;) {
    std::string_view avail(in_.data() + in_pos_, in_.size() - in_pos_);
    size_t consumed = 0;
    auto pr = parser.Parse(avail, &consumed, &frame);
    if (pr == native::FrameParser::Result::kTooLarge) {
      return Break(ErrorCode::kProtocol, "reply larger than 64 MB");
    }
    if (pr == native::FrameParser::Result::kOk) {
      in_pos_ += consumed;
      // Copy what we need before compacting the buffer (frame.payload views in_).
      Result<Value> out = Error{ErrorCode::kProtocol, ""};
      const native::OpcodeInfo* info = native::FindOpcode(static_cast<uint8_t>(op));
      switch (static_cast<native::Status>(frame.code)) {
        case native::Status::kOk:
          if (info->reply == native::ReplyShape::kEmpty) {
            out = Value();
          } else if (info->reply == native::ReplyShape::kText) {
            out = Value::String(std::string(frame.payload));
          } else {
            native::ValueDecoder dec;
            size_t used = 0;
            size_t off = 0;
            Value v;
            native::DecodeError de = dec.Decode(frame.payload, &used, &v, &off);
            if (de != native::DecodeError::kOk) {
              return Break(ErrorCode::kProtocol, native::DecodeErrorMessage(de, off));
            }
            if (used != frame.payload.size()) {
              return Break(ErrorCode::kProtocol, "trailing bytes after the reply value");
            }
            out = std::move(v);
          }
          break;
        case native::Status::kNull: out = Value(); break;
        case native::Status::kError:
          out = Error{ErrorCode::kServer, std::string(frame.payload)};
          break;
        case native::Status::kInvalid:
          out = Error{ErrorCode::kInvalid, std::string(frame.payload)};
          break;
        default:
          return Break(ErrorCode::kProtocol, "unknown reply status " + std::to_string(frame.code));
      }
      if (in_pos_ == in_.size()) {
        in_.clear();
        in_pos_ = 0;
      }
      return out;
    }
    // Need more bytes.
    if (in_pos_ > 0 && in_pos_ * 2 >= in_.size()) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    size_t old = in_.size();
    size_t want = std::max<size_t>(16384, parser.pending_hint() > avail.size()
                                              ? parser.pending_hint() - avail.size()
                                              : 0);
    in_.resize(old + want);
    long n;
    do {
      n = RecvSome(in_.data() + old, want);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      in_.resize(old);
      if (n == 0) return Break(ErrorCode::kConnection, "connection closed by the server");
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return Break(ErrorCode::kTimeout, "no reply within " + std::to_string(timeout_.count()) + " ms");
      }
      return Break(ErrorCode::kConnection, Errno("connection lost on read"));
    }
    in_.resize(old + static_cast<size_t>(n));
  }
}

Result<Value> Client::Execute(const native::Request& req) {
  std::string out;
  if (auto e = AppendRequestFrame(req, &out)) return *e;
  if (auto e = WriteAll(out)) return *e;
  return ReadReply(req.info->op);
}

Result<Value> Client::Get(std::string_view key) {
  return Execute(KeyRequest(Opcode::kGET, key));
}
Result<Value> Client::Set(std::string_view key, const Value& value, uint64_t ttl_ms) {
  auto r = MakeRequest(Opcode::kSET);
  r.key = key;
  r.ttl_ms = ttl_ms;
  r.value = value;
  return Execute(r);
}
Result<Value> Client::Del(std::string_view key) {
  return Execute(KeyRequest(Opcode::kDEL, key));
}
Result<Value> Client::Exists(std::string_view key) {
  return Execute(KeyRequest(Opcode::kEXISTS, key));
}
Result<Value> Client::Incr(std::string_view key) {
  return Execute(KeyRequest(Opcode::kINCR, key));
}
Result<Value> Client::IncrBy(std::string_view key, int64_t delta) {
  auto r = MakeRequest(Opcode::kINCRBY);
  r.key = key;
  r.delta = delta;
  return Execute(r);
}
Result<Value> Client::Ttl(std::string_view key) {
  return Execute(KeyRequest(Opcode::kTTL, key));
}
Result<Value> Client::Expire(std::string_view key, uint64_t ttl_ms) {
  auto r = MakeRequest(Opcode::kEXPIRE);
  r.key = key;
  r.ttl_ms = ttl_ms;
  return Execute(r);
}
Result<Value> Client::Cas(std::string_view key, const Value& expected, const Value& desired,
                          uint64_t ttl_ms) {
  auto r = MakeRequest(Opcode::kCAS);
  r.key = key;
  r.ttl_ms = ttl_ms;
  r.expected = expected;
  r.value = desired;
  return Execute(r);
}
Result<Value> Client::Lock(std::string_view key, std::string_view owner, uint64_t ttl_ms) {
  auto r = MakeRequest(Opcode::kLOCK);
  r.key = key;
  r.owner = owner;
  r.ttl_ms = ttl_ms;
  return Execute(r);
}
Result<Value> Client::Unlock(std::string_view key, std::string_view owner) {
  auto r = MakeRequest(Opcode::kUNLOCK);
  r.key = key;
  r.owner = owner;
  return Execute(r);
}
Result<Value> Client::Extend(std::string_view key, std::string_view owner, uint64_t ttl_ms) {
  auto r = MakeRequest(Opcode::kEXTEND);
  r.key = key;
  r.owner = owner;
  r.ttl_ms = ttl_ms;
  return Execute(r);
}
Result<Value> Client::Ping() { return Execute(MakeRequest(Opcode::kPING)); }
Result<Value> Client::Call(const std::vector<Value>& args) {
  auto r = MakeRequest(Opcode::kCALL);
  r.args = args;
  return Execute(r);
}
Result<Value> Client::Select(std::string_view ns) {
  auto r = MakeRequest(Opcode::kSELECT);
  r.key = ns;
  return Execute(r);
}
Result<Value> Client::Auth(std::string_view password, std::string_view user) {
  auto r = MakeRequest(Opcode::kAUTH);
  r.key = user;
  r.owner = password;
  return Execute(r);
}

Pipeline Client::MakePipeline() { return Pipeline(*this); }

// ---------------------------------------------------------------------------------------------
// Pipeline

Pipeline& Pipeline::Add(const native::Request& req) {
  // A request that cannot be encoded is not sent; Execute reports its error in its position.
  if (auto e = AppendRequestFrame(req, &out_)) {
    errors_.emplace_back(ops_.size(), std::move(*e));
    ops_.push_back(Opcode::kPING);  // placeholder; its slot reports the error, nothing is sent
    return *this;
  }
  ops_.push_back(req.info->op);
  return *this;
}

Pipeline& Pipeline::Get(std::string_view key) {
  return Add(KeyRequest(Opcode::kGET, key));
}
Pipeline& Pipeline::Set(std::string_view key, const Value& value, uint64_t ttl_ms) {
  auto r = MakeRequest(Opcode::kSET);
  r.key = key;
  r.ttl_ms = ttl_ms;
  r.value = value;
  return Add(r);
}
Pipeline& Pipeline::Del(std::string_view key) {
  return Add(KeyRequest(Opcode::kDEL, key));
}
Pipeline& Pipeline::Exists(std::string_view key) {
  return Add(KeyRequest(Opcode::kEXISTS, key));
}
Pipeline& Pipeline::Incr(std::string_view key) {
  return Add(KeyRequest(Opcode::kINCR, key));
}
Pipeline& Pipeline::IncrBy(std::string_view key, int64_t delta) {
  auto r = MakeRequest(Opcode::kINCRBY);
  r.key = key;
  r.delta = delta;
  return Add(r);
}
Pipeline& Pipeline::Ttl(std::string_view key) {
  return Add(KeyRequest(Opcode::kTTL, key));
}
Pipeline& Pipeline::Expire(std::string_view key, uint64_t ttl_ms) {
  auto r = MakeRequest(Opcode::kEXPIRE);
  r.key = key;
  r.ttl_ms = ttl_ms;
  return Add(r);
}
Pipeline& Pipeline::Ping() { return Add(MakeRequest(Opcode::kPING)); }
Pipeline& Pipeline::Call(const std::vector<Value>& args) {
  auto r = MakeRequest(Opcode::kCALL);
  r.args = args;
  return Add(r);
}

std::vector<Result<Value>> Pipeline::Execute() {
  std::vector<Result<Value>> out;
  out.reserve(ops_.size());
  std::optional<Error> write_error = client_->WriteAll(out_);
  size_t next_error = 0;
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (next_error < errors_.size() && errors_[next_error].first == i) {
      out.emplace_back(errors_[next_error++].second);
      continue;
    }
    if (write_error) {
      out.emplace_back(*write_error);
      continue;
    }
    out.push_back(client_->ReadReply(ops_[i]));
  }
  out_.clear();
  ops_.clear();
  errors_.clear();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Pool

Pool::Pool(Url url, size_t size, Milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout), slots_(size == 0 ? 1 : size) {
  for (size_t i = slots_.size(); i > 0; --i) free_.push_back(i - 1);
}

Result<Pool::Lease> Pool::Acquire() {
  size_t slot;
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !free_.empty(); });
    slot = free_.back();
    free_.pop_back();
  }
  std::optional<Client>& c = slots_[slot];
  if (!c || c->stale()) {
    c.reset();
    Result<Client> fresh = Client::Connect(url_, timeout_);
    if (!fresh) {
      Release(slot);
      return fresh.error();
    }
    c.emplace(std::move(fresh).value());
  }
  return Lease(this, slot);
}

void Pool::Release(size_t slot) {
  {
    std::lock_guard lock(mu_);
    free_.push_back(slot);
  }
  cv_.notify_one();
}

Pool::Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(slot_);
}

Client& Pool::Lease::operator*() const { return *pool_->slots_[slot_]; }

}  // namespace kv::client
