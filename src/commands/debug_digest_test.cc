// DEBUG DIGEST and DIGEST-VALUE (core/digest.h): equal data gives equal digests whatever order
// it was built in; any change to a key, value, type or TTL changes them.
#include <doctest/doctest.h>

#include <string>

#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;

std::string Digest(Harness& h) {
  const std::string r = h.Run({"DEBUG", "DIGEST"});
  REQUIRE(r.size() == 43);  // +<40 hex>\r\n
  return r.substr(1, 40);
}

Harness& Debuggable(Harness& h) {
  h.config().enable_debug_command = EnableOption::kYes;
  return h;
}

TEST_CASE("DEBUG DIGEST: zeros for nothing, the same for the same data built in any order") {
  Harness a, b;
  Debuggable(a);
  Debuggable(b);
  CHECK(Digest(a) == std::string(40, '0'));
  a.Run({"SET", "s", "v"});
  a.Run({"RPUSH", "l", "1", "2", "3"});
  a.Run({"SADD", "set", "x", "y", "z", "1"});
  a.Run({"HSET", "h", "f1", "a", "f2", "b"});
  a.Run({"ZADD", "z", "1", "m1", "2", "m2"});
  a.Run({"PEXPIREAT", "s", "99999999999999"});
  // The other in the reverse order, with detours that leave the same data.
  b.Run({"ZADD", "z", "2", "m2", "5", "m1"});
  b.Run({"ZADD", "z", "1", "m1"});
  b.Run({"HSET", "h", "f2", "b", "f1", "a", "f3", "c"});
  b.Run({"HDEL", "h", "f3"});
  b.Run({"SADD", "set", "1", "z", "y", "x", "w"});
  b.Run({"SREM", "set", "w"});
  b.Run({"RPUSH", "l", "1", "2", "3"});
  b.Run({"SET", "s", "v", "PXAT", "99999999999999"});
  CHECK(Digest(a) == Digest(b));
  CHECK(a.Run({"DEBUG", "DIGEST-VALUE", "set", "h", "missing"}) ==
        b.Run({"DEBUG", "DIGEST-VALUE", "set", "h", "missing"}));
  CHECK(a.Run({"DEBUG", "DIGEST-VALUE", "missing"}) ==
        "*1\r\n+" + std::string(40, '0') + "\r\n");
}

TEST_CASE("DEBUG DIGEST changes with any key, value, element order or TTL") {
  Harness h;
  Debuggable(h);
  h.Run({"RPUSH", "l", "a", "b"});
  h.Run({"SET", "k", "v"});
  const std::string base = Digest(h);
  const std::string list_value = h.Run({"DEBUG", "DIGEST-VALUE", "l"});
  h.Run({"PEXPIREAT", "k", "99999999999999"});
  const std::string with_ttl = Digest(h);
  CHECK(with_ttl != base);
  h.Run({"PERSIST", "k"});
  CHECK(Digest(h) == base);
  h.Run({"SET", "k", "w"});
  CHECK(Digest(h) != base);
  h.Run({"SET", "k", "v"});
  h.Run({"RENAME", "k", "k2"});
  CHECK(Digest(h) != base);
  h.Run({"RENAME", "k2", "k"});
  CHECK(Digest(h) == base);
  h.Run({"DEL", "l"});
  h.Run({"RPUSH", "l", "b", "a"});  // a list's order counts
  CHECK(h.Run({"DEBUG", "DIGEST-VALUE", "l"}) != list_value);
  // Another namespace is another digest.
  h.Run({"SELECT", "9"});
  CHECK(Digest(h) == std::string(40, '0'));
}

TEST_CASE("DEBUG DIGEST-VALUE: a value's digest ignores its name and TTL, not its type") {
  Harness h;
  Debuggable(h);
  h.Run({"SET", "a", "1"});
  h.Run({"SET", "b", "1", "PXAT", "99999999999999"});
  h.Run({"SADD", "c", "1"});
  const std::string r = h.Run({"DEBUG", "DIGEST-VALUE", "a", "b", "c"});
  CHECK(r.substr(4, 43) == r.substr(4 + 43, 43));
  CHECK(r.substr(4, 43) != r.substr(4 + 86, 43));
  CHECK(h.Run({"DEBUG", "DIGEST", "extra"}) ==
        "-ERR unknown subcommand or wrong number of arguments for 'DIGEST'. Try DEBUG HELP.\r\n");
}

}  // namespace
}  // namespace kv
