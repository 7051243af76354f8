#include "server/tls.h"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace kv::tls {
namespace {

// A self-signed certificate and its key as PEM files in a fresh directory (EC P-256: quick).
struct TestCert {
  std::filesystem::path dir, cert, key;

  TestCert() {
    char tmpl[] = "/tmp/kv-tls-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    cert = dir / "server.crt";
    key = dir / "server.key";
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    REQUIRE(pkey != nullptr);
    X509* x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("kv unit test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
    FILE* f = fopen(cert.c_str(), "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key.c_str(), "w");
    PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
  ~TestCert() { std::filesystem::remove_all(dir); }

  Settings settings() const {
    Settings s;
    s.cert_file = cert;
    s.key_file = key;
    s.auth_clients = "no";
    return s;
  }
};

// A client SSL over memory BIOs that trusts nothing in particular (verification is off: the
// tests are about the server's stream, not about chains).
struct TestClient {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = nullptr;
  BIO* in = BIO_new(BIO_s_mem());   // server -> client
  BIO* out = BIO_new(BIO_s_mem());  // client -> server

  TestClient() {
    ssl = SSL_new(ctx);
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_connect_state(ssl);
  }
  ~TestClient() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  std::string TakeOut() {
    std::string s(BIO_ctrl_pending(out), '\0');
    if (!s.empty()) BIO_read(out, s.data(), static_cast<int>(s.size()));
    return s;
  }
  void Give(const std::string& cipher) {
    if (!cipher.empty()) BIO_write(in, cipher.data(), static_cast<int>(cipher.size()));
  }
};

// Moves bytes both ways until neither side has anything to say.
void Pump(TestClient& c, TlsStream& s, std::string* server_plain) {
  for (int round = 0; round < 20; ++round) {
    SSL_do_handshake(c.ssl);
    const std::string to_server = c.TakeOut();
    s.Feed(to_server.data(), to_server.size());
    char buf[4096];
    size_t n = 0;
    while (s.Read(buf, sizeof buf, &n) == TlsStream::ReadResult::kData)
      server_plain->append(buf, n);
    std::string to_client;
    s.TakeCipher(&to_client);
    c.Give(to_client);
    if (to_server.empty() && to_client.empty()) return;
  }
}

}  // namespace

TEST_CASE("TlsContext: a missing certificate is an error naming the directive and the file") {
  TestCert tc;
  Settings s = tc.settings();
  s.cert_file = (tc.dir / "nope.crt").string();
  TlsContext ctx;
  const std::string err = ctx.Configure(s);
  CHECK(err.find("tls-cert-file") != std::string::npos);
  CHECK(err.find("nope.crt") != std::string::npos);
  CHECK(ctx.NewSsl() == nullptr);
}

TEST_CASE("TlsContext: a failed rebuild keeps the previous context") {
  TestCert tc;
  TlsContext ctx;
  REQUIRE(ctx.Configure(tc.settings()) == "");
  Settings bad = tc.settings();
  bad.ciphersuites = "NO_SUCH_SUITE";
  CHECK(ctx.Configure(bad).find("tls-ciphersuites") != std::string::npos);
  SSL* ssl = ctx.NewSsl();
  CHECK(ssl != nullptr);
  SSL_free(ssl);
}

TEST_CASE("TlsContext: client authentication without a CA is refused") {
  TestCert tc;
  Settings s = tc.settings();
  s.auth_clients = "yes";
  TlsContext ctx;
  CHECK(ctx.Configure(s).find("tls-ca-cert-file") != std::string::npos);
}

TEST_CASE("TlsStream: handshake and data in both directions through memory only") {
  TestCert tc;
  TlsContext ctx;
  REQUIRE(ctx.Configure(tc.settings()) == "");
  TlsStream s(ctx.NewSsl());
  TestClient c;

  // Before the handshake is done, replies wait: nothing is consumed.
  std::string cipher;
  size_t consumed = 99;
  CHECK(s.Write("early", &consumed, &cipher));
  CHECK(consumed == 0);

  std::string plain;
  Pump(c, s, &plain);
  REQUIRE(SSL_is_init_finished(c.ssl));
  CHECK(s.handshake_done());

  const std::string request = "*1\r\n$4\r\nPING\r\n";
  REQUIRE(SSL_write(c.ssl, request.data(), static_cast<int>(request.size())) > 0);
  Pump(c, s, &plain);
  CHECK(plain == request);

  // A reply larger than one record (and than the 16 KB pieces) arrives whole.
  const std::string reply(100000, 'r');
  cipher.clear();
  REQUIRE(s.Write(reply, &consumed, &cipher));
  CHECK(consumed == reply.size());
  c.Give(cipher);
  std::string got(reply.size() + 10, '\0');
  size_t total = 0;
  int n;
  while ((n = SSL_read(c.ssl, got.data() + total, static_cast<int>(got.size() - total))) > 0)
    total += static_cast<size_t>(n);
  got.resize(total);
  CHECK(got == reply);

  // close_notify from the client reads as a clean end of stream.
  SSL_shutdown(c.ssl);
  const std::string bye = c.TakeOut();
  s.Feed(bye.data(), bye.size());
  char buf[16];
  size_t m = 0;
  CHECK(s.Read(buf, sizeof buf, &m) == TlsStream::ReadResult::kPeerClosed);
}

TEST_CASE("TlsStream: plaintext instead of a handshake is an error, not data") {
  TestCert tc;
  TlsContext ctx;
  REQUIRE(ctx.Configure(tc.settings()) == "");
  TlsStream s(ctx.NewSsl());
  const std::string junk = "*1\r\n$4\r\nPING\r\n";
  s.Feed(junk.data(), junk.size());
  char buf[64];
  size_t n = 0;
  CHECK(s.Read(buf, sizeof buf, &n) == TlsStream::ReadResult::kError);
  CHECK(n == 0);
  CHECK(!s.error().empty());
  CHECK(!s.handshake_done());
}

TEST_CASE("IsTlsDirective: the context's directives, not the ports") {
  CHECK(IsTlsDirective("tls-cert-file"));
  CHECK(IsTlsDirective("tls-protocols"));
  CHECK_FALSE(IsTlsDirective("tls-port"));
  CHECK_FALSE(IsTlsDirective("tls-native-port"));
  CHECK_FALSE(IsTlsDirective("port"));
}

}  // namespace kv::tls
