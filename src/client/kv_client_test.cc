// kv::client URL parsing: `kv://[password@]host:port[/namespace]`, valid and invalid forms; the
// Result type; a connect to a closed port fails with a connection error, not a crash; stale()
// sees a peer that closed an idle connection (against a bare listening socket, no server).
#include "client/kv_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <string>

namespace kv::client {
namespace {

TEST_CASE("ParseUrl: host and port") {
  Result<Url> u = ParseUrl("kv://localhost:6380");
  REQUIRE(u.ok());
  CHECK(u->host == "localhost");
  CHECK(u->port == 6380);
  CHECK(u->password.empty());
  CHECK(u->ns.empty());
}

TEST_CASE("ParseUrl: password, IPv4 host, namespace") {
  Result<Url> u = ParseUrl("kv://s3cr:et@127.0.0.1:1/my_app");
  REQUIRE(u.ok());
  CHECK(u->password == "s3cr:et");
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == 1);
  CHECK(u->ns == "my_app");
}

TEST_CASE("ParseUrl: bracketed IPv6 host, highest port") {
  Result<Url> u = ParseUrl("kv://pw@[::1]:65535/ns");
  REQUIRE(u.ok());
  CHECK(u->host == "::1");
  CHECK(u->port == 65535);
  CHECK(u->password == "pw");
  CHECK(u->ns == "ns");
}

TEST_CASE("ParseUrl: invalid URLs are kBadUrl with a reason") {
  const char* bad[] = {
      "",                          // empty
      "redis://localhost:6380",    // wrong scheme
      "kv:/localhost:6380",        // malformed scheme
      "kv://localhost",            // no port
      "kv://localhost:",           // empty port
      "kv://:6380",                // empty host
      "kv://localhost:0",          // port 0
      "kv://localhost:65536",      // port too large
      "kv://localhost:63a0",       // not a number
      "kv://localhost:-1",         // negative
      "kv://localhost:6380/",      // empty namespace
      "kv://localhost:6380/a/b",   // nested path
      "kv://@localhost:6380",      // empty password
      "kv://a@b@localhost:6380",   // '@' in password
      "kv://::1:6380",             // unbracketed IPv6
      "kv://[::1:6380",            // unterminated bracket
      "kv://[::1]6380",            // no ':' after bracket
      "kv://[]:6380",              // empty bracketed host
  };
  for (const char* s : bad) {
    CAPTURE(s);
    Result<Url> u = ParseUrl(s);
    REQUIRE_FALSE(u.ok());
    CHECK(u.error().code == ErrorCode::kBadUrl);
    CHECK(u.error().message.find("invalid URL") == 0);
  }
}

TEST_CASE("Client::Connect: a bad URL fails before any socket") {
  Result<Client> c = Client::Connect("kv://nope");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == ErrorCode::kBadUrl);
  CHECK(c.error().ToString().rfind("bad url: ", 0) == 0);
}

TEST_CASE("Pool: a failed connect is reported and the slot is handed out again") {
  // Port 1 on loopback: nothing listens there in the test environment.
  Pool pool(ParseUrl("kv://127.0.0.1:1").value(), 1, Milliseconds(500));
  for (int i = 0; i < 2; ++i) {
    Result<Pool::Lease> l = pool.Acquire();
    REQUIRE_FALSE(l.ok());
    CHECK((l.error().code == ErrorCode::kConnection || l.error().code == ErrorCode::kTimeout));
  }
}

TEST_CASE("Client::stale: an idle connection the peer closed is stale, a quiet one is not") {
  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(lfd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  REQUIRE(::listen(lfd, 1) == 0);
  REQUIRE(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);

  Result<Client> c = Client::Connect("kv://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  REQUIRE(c.ok());
  int peer = ::accept(lfd, nullptr, nullptr);
  REQUIRE(peer >= 0);
  CHECK_FALSE(c->stale());
  ::close(peer);  // what a server restart does to its clients
  // The FIN arrives asynchronously; loopback delivers it at once, poll a little to be sure.
  bool stale = false;
  for (int i = 0; i < 100 && !stale; ++i) {
    stale = c->stale();
    if (!stale) ::usleep(1000);
  }
  CHECK(stale);
  CHECK_FALSE(c->broken());  // not known broken until used: stale() is what Pool checks
  ::close(lfd);
}

}  // namespace
}  // namespace kv::client
