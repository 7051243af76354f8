// TLS for the listeners (OpenSSL): the transport under RESP and the native protocol.
//
// TlsContext  the server's SSL_CTX, built from the tls-* directives. Built once at start-up
//             (a bad certificate or key stops the start) and rebuilt by CONFIG SET of any tls-*
//             directive: a rebuild that fails leaves the old context in place, so a typo never
//             takes TLS down. New connections take the current context; connections already
//             open keep the one they started with (each SSL holds a reference to its SSL_CTX).
// TlsStream   one connection's TLS state. OpenSSL never touches the socket: ciphertext read by
//             libuv is fed in (Feed), plaintext comes out (Read) for the protocol session, and
//             replies go in (Write) to come out as ciphertext (TakeCipher) for the connection's
//             own write path. Memory BIOs keep the connection's libuv loop, back-pressure and
//             output limits unchanged, and keep sessions unaware of TLS.
//
// Thread contract: TlsContext is thread-safe (I/O loops create streams while CONFIG SET
// rebuilds); a TlsStream belongs to its connection's loop.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace kv {

class Config;

namespace tls {

// The tls-* directives that shape an SSL_CTX, read from the Config at (re)build time.
struct Settings {
  std::string cert_file, key_file, key_file_pass, ca_cert_file, ca_cert_dir;
  std::string auth_clients = "yes";  // yes | no | optional
  std::string protocols = "TLSv1.2 TLSv1.3";
  std::string ciphers, ciphersuites;
  bool prefer_server_ciphers = false;

  static Settings From(const Config& config);
};

// True for the directives whose change needs a rebuilt context.
bool IsTlsDirective(std::string_view name);

class TlsContext {
 public:
  TlsContext() = default;
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Builds a context from `settings` and makes it current. On failure returns an error naming
  // the file or setting at fault (with OpenSSL's reason) and keeps the previous context.
  std::string Configure(const Settings& settings);
  // A new SSL in server mode on the current context, or nullptr (no context, or out of memory).
  SSL* NewSsl();

 private:
  std::mutex mu_;
  SSL_CTX* ctx_ = nullptr;  // owned (one reference)
};

class TlsStream {
 public:
  // Takes ownership of `ssl` (from TlsContext::NewSsl).
  explicit TlsStream(SSL* ssl);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  enum class ReadResult { kData, kNeedMore, kPeerClosed, kError };

  // Hands ciphertext received from the socket to OpenSSL.
  void Feed(const char* data, size_t n);
  // Decrypts into dst (drives the handshake first). kData sets *n > 0.
  ReadResult Read(char* dst, size_t cap, size_t* n);
  // Encrypts all of `plain` once the handshake is done, appending the ciphertext to *cipher
  // (returns false on a TLS error). Before the handshake is done nothing is consumed.
  bool Write(std::string_view plain, size_t* consumed, std::string* cipher);
  // Queues a close_notify alert (once).
  void Shutdown();
  // Appends the ciphertext OpenSSL produced (handshake records, data, alerts) to *out.
  void TakeCipher(std::string* out);

  bool handshake_done() const;
  // Why the last Read or Write failed (OpenSSL's reason, or the verification result).
  const std::string& error() const { return error_; }

 private:
  void SetError(int ret);

  SSL* ssl_;
  BIO* rbio_;  // socket -> OpenSSL (owned by ssl_)
  BIO* wbio_;  // OpenSSL -> socket (owned by ssl_)
  bool shutdown_sent_ = false;
  std::string error_;
};

// Handshake failures are logged at most a few times per second process-wide, with a count of
// the ones left out, so a flood of bad clients cannot fill the log.
void LogHandshakeFailure(const std::string& peer, const std::string& reason);

}  // namespace tls
}  // namespace kv
