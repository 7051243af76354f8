#include <doctest/doctest.h>

#include <string>

#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Harness;
using test::kOk;

constexpr std::string_view kPHash =
    "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940";

TEST_CASE("ACL SETUSER / LIST / USERS / DELUSER as Redis answers them") {
  Harness h;
  CHECK(h.Run({"ACL", "SETUSER", "alice", "on", ">p", "~k*", "%R~r*", "&ch*", "+get", "+set"}) ==
        kOk);
  CHECK(h.Run({"ACL", "LIST"}) ==
        "*2\r\n" + Bulk("user alice on #" + std::string(kPHash) +
                        " ~k* %R~r* resetchannels &ch* -@all +get +set") +
            Bulk("user default on nopass ~* &* +@all"));
  CHECK(h.Run({"ACL", "USERS"}) == "*2\r\n" + Bulk("alice") + Bulk("default"));
  CHECK(h.Run({"ACL", "SETUSER", "alice", "+nosuch"}) ==
        "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in "
        "ACL\r\n");
  CHECK(h.Run({"ACL", "SETUSER", "a b"}) ==
        "-ERR Usernames can't contain spaces or null characters\r\n");
  CHECK(h.Run({"ACL", "DELUSER", "default"}) == "-ERR The 'default' user cannot be removed\r\n");
  CHECK(h.Run({"ACL", "DELUSER", "alice", "nobody"}) == ":1\r\n");
  CHECK(h.Run({"ACL", "GETUSER", "alice"}) == "$-1\r\n");
  CHECK(h.Run({"ACL", "NOPE"}) == "-ERR unknown subcommand 'NOPE'. Try ACL HELP.\r\n");
}

TEST_CASE("AUTH as a limited user: denied commands and keys answer NOPERM and are logged") {
  Harness h;
  REQUIRE(h.Run({"ACL", "SETUSER", "alice", "on", ">p", "~k*", "%R~r*", "+get", "+set"}) == kOk);
  CHECK(h.Run({"AUTH", "alice", "bad"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(h.Run({"AUTH", "alice", "p"}) == kOk);
  CHECK(h.Run({"ACL", "WHOAMI"}) ==
        "-NOPERM this user has no permissions to run the 'acl|whoami' command\r\n");
  CHECK(h.Run({"SET", "k1", "v"}) == kOk);
  CHECK(h.Run({"GET", "r1"}) == "$-1\r\n");
  CHECK(h.Run({"SET", "r1", "v"}) ==
        "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n");
  CHECK(h.Run({"DEL", "k1"}) == "-NOPERM this user has no permissions to run the 'del' command\r\n");
  const auto log = h.server().acl.LogEntries(10);
  REQUIRE(log.size() == 4);
  CHECK(log[0].reason == "command");
  CHECK(log[0].object == "del");
  CHECK(log[1].reason == "key");
  CHECK(log[1].object == "r1");
  CHECK(log[3].reason == "auth");
  CHECK(log[3].username == "alice");
}

TEST_CASE("ACL DRYRUN, CAT and GENPASS") {
  Harness h;
  REQUIRE(h.Run({"ACL", "SETUSER", "bob", "on", "nopass", "allkeys", "+@all", "-@dangerous"}) ==
          kOk);
  CHECK(h.Run({"ACL", "DRYRUN", "bob", "get", "k"}) == kOk);
  CHECK(h.Run({"ACL", "DRYRUN", "bob", "flushall"}) ==
        Bulk("This user has no permissions to run the 'flushall' command"));
  CHECK(h.Run({"ACL", "DRYRUN", "bob", "config", "get", "x"}) ==
        Bulk("This user has no permissions to run the 'config|get' command"));
  CHECK(h.Run({"ACL", "DRYRUN", "nob", "get", "k"}) == "-ERR User 'nob' not found\r\n");
  CHECK(h.Run({"ACL", "DRYRUN", "bob", "nocmd"}) == "-ERR Command 'nocmd' not found\r\n");
  CHECK(h.Run({"ACL", "CAT", "foo"}) == "-ERR Unknown category 'foo'\r\n");
  CHECK(h.Run({"ACL", "CAT"}).starts_with("*21\r\n$8\r\nkeyspace\r\n"));
  CHECK(h.Run({"ACL", "CAT", "string"}).find(Bulk("getrange")) != std::string::npos);
  CHECK(h.Run({"ACL", "CAT", "dangerous"}).find(Bulk("keys")) != std::string::npos);
  CHECK(h.Run({"ACL", "GENPASS", "5"}).size() == std::string("$2\r\nxx\r\n").size());
  CHECK(h.Run({"ACL", "GENPASS", "0"}).starts_with("-ERR ACL GENPASS argument"));
}

TEST_CASE("requirepass is the default user's password") {
  Harness h;
  CHECK(h.config().Set("requirepass", "s3cret", false).empty());
  CHECK(h.server().acl.Default()->passwords().size() == 1);
  CHECK(h.config().has_password());
  CHECK(h.Run({"AUTH", "s3cret"}) == kOk);
  CHECK(h.config().Set("requirepass", "", false).empty());
  CHECK(h.server().acl.Default()->nopass());
  CHECK_FALSE(h.config().has_password());
}

TEST_CASE("a client whose user is deleted is closed on its next command") {
  Harness h;
  REQUIRE(h.Run({"ACL", "SETUSER", "alice", "on", ">p", "+@all", "~*"}) == kOk);
  REQUIRE(h.Run({"AUTH", "alice", "p"}) == kOk);
  REQUIRE(h.server().acl.DelUsers({"alice"}) == 1);
  CHECK(h.Run({"PING"}).empty());
  CHECK(h.client().close_after_reply);
}

}  // namespace
}  // namespace kv
