#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include "core/ascii.h"
#include "core/config.h"

namespace kv::tls {

namespace {

// Ciphertext is fed and produced in pieces of this size: a memory BIO keeps its largest size
// for its life, so feeding a whole 64 KB read (or a 100 MB reply) at once would pin that much
// to every connection that ever saw it.
constexpr size_t kPiece = 16 * 1024;

std::string Get(const Config& config, std::string_view name) {
  const Config::Directive* d = config.Find(name);
  return d ? d->get() : std::string();
}

// The reasons OpenSSL queued on this thread, root cause first; empties the queue.
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    char buf[256];
    if (reason == nullptr) {
      ERR_error_string_n(e, buf, sizeof buf);
      reason = buf;
    }
    if (out.find(reason) != std::string::npos) continue;
    out += (out.empty() ? "" : ": ") + std::string(reason);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A readable file, or why not, before OpenSSL turns ENOENT into three layers of messages.
std::string CheckReadable(const char* what, const std::string& path) {
  if (access(path.c_str(), R_OK) != 0)
    return std::string(what) + " '" + path + "': " + strerror(errno);
  return "";
}

// Never lets OpenSSL prompt on the terminal for a passphrase: the directive or nothing.
int PassphraseCallback(char* buf, int size, int, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  if (pass == nullptr || pass->empty() || size <= 0) return 0;
  const int n = static_cast<int>(std::min<size_t>(pass->size(), static_cast<size_t>(size)));
  std::memcpy(buf, pass->data(), static_cast<size_t>(n));
  return n;
}

struct CtxDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};

}  // namespace

Settings Settings::From(const Config& config) {
  Settings s;
  s.cert_file = Get(config, "tls-cert-file");
  s.key_file = Get(config, "tls-key-file");
  s.key_file_pass = Get(config, "tls-key-file-pass");
  s.ca_cert_file = Get(config, "tls-ca-cert-file");
  s.ca_cert_dir = Get(config, "tls-ca-cert-dir");
  s.auth_clients = AsciiLower(Get(config, "tls-auth-clients"));
  s.protocols = Get(config, "tls-protocols");
  s.ciphers = Get(config, "tls-ciphers");
  s.ciphersuites = Get(config, "tls-ciphersuites");
  s.prefer_server_ciphers = AsciiLower(Get(config, "tls-prefer-server-ciphers")) == "yes";
  return s;
}

bool IsTlsDirective(std::string_view name) {
  return name.starts_with("tls-") && name != "tls-port" && name != "tls-native-port";
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

std::string TlsContext::Configure(const Settings& s) {
  if (s.cert_file.empty()) return "tls-cert-file is not set";
  if (s.key_file.empty()) return "tls-key-file is not set";
  // Redis's rule: asking clients for a certificate needs something to check it against.
  if (s.auth_clients != "no" && s.ca_cert_file.empty() && s.ca_cert_dir.empty())
    return "tls-auth-clients is '" + s.auth_clients +
           "' but neither tls-ca-cert-file nor tls-ca-cert-dir is set";
  for (auto [what, path] : {std::pair<const char*, const std::string*>{"tls-cert-file", &s.cert_file},
                            {"tls-key-file", &s.key_file},
                            {"tls-ca-cert-file", &s.ca_cert_file},
                            {"tls-ca-cert-dir", &s.ca_cert_dir}}) {
    if (path->empty()) continue;
    if (std::string err = CheckReadable(what, *path); !err.empty()) return err;
  }

  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return "cannot create a TLS context: " + OpenSslErrors();
  SSL_CTX* c = ctx.get();

  // Compression leaks plaintext lengths (CRIME); renegotiation by the client costs the server a
  // handshake per request for free.
  uint64_t options = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
  if (s.prefer_server_ciphers) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  bool any_version = false;
  const std::string protocols = AsciiLower(s.protocols);
  auto listed = [&protocols](std::string_view v) {
    size_t pos = 0;
    while ((pos = protocols.find(v, pos)) != std::string::npos) {
      const size_t end = pos + v.size();
      const bool starts = pos == 0 || std::isspace(static_cast<unsigned char>(protocols[pos - 1]));
      const bool ends =
          end == protocols.size() || std::isspace(static_cast<unsigned char>(protocols[end]));
      if (starts && ends) return true;
      pos = end;
    }
    return false;
  };
  for (auto [name, off] : {std::pair<const char*, uint64_t>{"tlsv1", SSL_OP_NO_TLSv1},
                           {"tlsv1.1", SSL_OP_NO_TLSv1_1},
                           {"tlsv1.2", SSL_OP_NO_TLSv1_2},
                           {"tlsv1.3", SSL_OP_NO_TLSv1_3}}) {
    if (listed(name))
      any_version = true;
    else
      options |= off;
  }
  if (!any_version) return "tls-protocols '" + s.protocols + "' names no TLS version";
  // OpenSSL's default floor is TLS 1.0 at security level 1; an operator who lists TLSv1 gets it.
  SSL_CTX_set_min_proto_version(c, listed("tlsv1") ? TLS1_VERSION : 0);
  SSL_CTX_set_options(c, options);
  // Idle connections give their 34 KB of record buffers back.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);

  // Session resumption needs an id context once client certificates are verified.
  static const unsigned char kSessionContext[] = "kv-server";
  SSL_CTX_set_session_id_context(c, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);

  SSL_CTX_set_default_passwd_cb(c, PassphraseCallback);
  SSL_CTX_set_default_passwd_cb_userdata(c, const_cast<std::string*>(&s.key_file_pass));
  if (SSL_CTX_use_certificate_chain_file(c, s.cert_file.c_str()) != 1)
    return "tls-cert-file '" + s.cert_file + "': " + OpenSslErrors();
  if (SSL_CTX_use_PrivateKey_file(c, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const std::string why = OpenSslErrors();
    if (why.find("key values mismatch") != std::string::npos)
      return "tls-key-file '" + s.key_file + "' does not match tls-cert-file '" + s.cert_file +
             "'";
    const bool passphrase = why.find("password") != std::string::npos ||
                            why.find("decrypt") != std::string::npos;
    return "tls-key-file '" + s.key_file + "': " + why +
           (passphrase && s.key_file_pass.empty() ? " (an encrypted key needs tls-key-file-pass)"
                                                  : "");
  }
  // The settings die with this call: no dangling passphrase pointer in the context.
  SSL_CTX_set_default_passwd_cb_userdata(c, nullptr);
  if (SSL_CTX_check_private_key(c) != 1)
    return "tls-key-file '" + s.key_file + "' does not match tls-cert-file '" + s.cert_file +
           "': " + OpenSslErrors();

  if (!s.ca_cert_file.empty() || !s.ca_cert_dir.empty()) {
    if (SSL_CTX_load_verify_locations(c, s.ca_cert_file.empty() ? nullptr : s.ca_cert_file.c_str(),
                                      s.ca_cert_dir.empty() ? nullptr : s.ca_cert_dir.c_str()) !=
        1) {
      return (s.ca_cert_file.empty() ? "tls-ca-cert-dir '" + s.ca_cert_dir
                                     : "tls-ca-cert-file '" + s.ca_cert_file) +
             "': " + OpenSslErrors();
    }
    // Tells clients which CAs are accepted, so one with several certificates picks the right one.
    if (!s.ca_cert_file.empty()) {
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.ca_cert_file.c_str()))
        SSL_CTX_set_client_CA_list(c, names);
      ERR_clear_error();
    }
  }
  if (s.auth_clients == "yes")
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  else if (s.auth_clients == "optional")
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  else
    SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);

  if (!s.ciphers.empty() && SSL_CTX_set_cipher_list(c, s.ciphers.c_str()) != 1)
    return "tls-ciphers '" + s.ciphers + "': " + OpenSslErrors();
  if (!s.ciphersuites.empty() && SSL_CTX_set_ciphersuites(c, s.ciphersuites.c_str()) != 1)
    return "tls-ciphersuites '" + s.ciphersuites + "': " + OpenSslErrors();

  std::lock_guard lock(mu_);
  SSL_CTX_free(ctx_);  // connections that use it hold their own reference
  ctx_ = ctx.release();
  return "";
}

SSL* TlsContext::NewSsl() {
  std::lock_guard lock(mu_);
  return ctx_ ? SSL_new(ctx_) : nullptr;
}

// ------------------------------------------------------------------------------------------
// TlsStream
// ------------------------------------------------------------------------------------------

TlsStream::TlsStream(SSL* ssl) : ssl_(ssl) {
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  // An empty BIO means "no bytes yet" (retry), not end of stream.
  BIO_set_mem_eof_return(rbio_, -1);
  BIO_set_mem_eof_return(wbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

bool TlsStream::handshake_done() const { return SSL_is_init_finished(ssl_) != 0; }

void TlsStream::Feed(const char* data, size_t n) {
  while (n > 0) {
    const int w = BIO_write(rbio_, data, static_cast<int>(std::min<size_t>(n, INT_MAX)));
    if (w <= 0) return;  // out of memory: the next Read reports the broken stream
    data += w;
    n -= static_cast<size_t>(w);
  }
}

void TlsStream::SetError(int ret) {
  const int e = SSL_get_error(ssl_, ret);
  const long verify = SSL_get_verify_result(ssl_);
  if (e == SSL_ERROR_SSL && verify != X509_V_OK) {
    error_ = std::string("client certificate: ") + X509_verify_cert_error_string(verify);
    ERR_clear_error();
  } else if (e == SSL_ERROR_SSL) {
    error_ = OpenSslErrors();
  } else {
    error_ = "TLS error " + std::to_string(e);
    ERR_clear_error();
  }
}

TlsStream::ReadResult TlsStream::Read(char* dst, size_t cap, size_t* n) {
  *n = 0;
  ERR_clear_error();
  const int r = SSL_read(ssl_, dst, static_cast<int>(std::min<size_t>(cap, INT_MAX)));
  if (r > 0) {
    *n = static_cast<size_t>(r);
    return ReadResult::kData;
  }
  switch (SSL_get_error(ssl_, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return ReadResult::kNeedMore;
    case SSL_ERROR_ZERO_RETURN:
      return ReadResult::kPeerClosed;
    default:
      SetError(r);
      return ReadResult::kError;
  }
}

bool TlsStream::Write(std::string_view plain, size_t* consumed, std::string* cipher) {
  *consumed = 0;
  if (!handshake_done()) return true;
  while (*consumed < plain.size()) {
    const size_t piece = std::min(kPiece, plain.size() - *consumed);
    ERR_clear_error();
    const int w = SSL_write(ssl_, plain.data() + *consumed, static_cast<int>(piece));
    if (w <= 0) {
      SetError(w);
      return false;
    }
    *consumed += static_cast<size_t>(w);
    TakeCipher(cipher);
  }
  return true;
}

void TlsStream::Shutdown() {
  if (shutdown_sent_ || !handshake_done()) return;
  shutdown_sent_ = true;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

void TlsStream::TakeCipher(std::string* out) {
  const size_t pending = BIO_ctrl_pending(wbio_);
  if (pending == 0) return;
  const size_t old = out->size();
  out->resize(old + pending);
  const int r = BIO_read(wbio_, out->data() + old, static_cast<int>(pending));
  out->resize(old + static_cast<size_t>(std::max(r, 0)));
}

void LogHandshakeFailure(const std::string& peer, const std::string& reason) {
  constexpr int kPerSecond = 5;
  static std::mutex mu;
  static int64_t window = 0;
  static int logged = 0;
  static uint64_t left_out = 0;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  std::lock_guard lock(mu);
  if (now != window) {
    if (left_out > 0)
      spdlog::warn("{} more TLS handshake failures were not logged (at most {} a second)",
                   left_out, kPerSecond);
    window = now;
    logged = 0;
    left_out = 0;
  }
  if (logged < kPerSecond) {
    ++logged;
    spdlog::warn("TLS handshake with {} failed: {}", peer, reason);
  } else {
    ++left_out;
  }
}

}  // namespace kv::tls
