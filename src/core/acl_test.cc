#include "core/acl.h"

#include <doctest/doctest.h>

namespace kv::acl {
namespace {

// A command table stand-in: get (read string fast), set (write string slow), flushall.
std::optional<uint32_t> Lookup(std::string_view name) {
  if (name == "get") return kRead | kString | kFast;
  if (name == "set") return kWrite | kString | kSlow;
  if (name == "flushall") return kKeyspace | kWrite | kSlow | kDangerous;
  if (name == "config") return kSlow;
  return std::nullopt;
}

CommandRef Cmd(std::string_view name, std::string_view sub = {}) {
  return {name, sub, *Lookup(name)};
}

User Make(std::initializer_list<std::string_view> rules) {
  User u("alice");
  for (std::string_view r : rules) REQUIRE(u.ApplyRule(r, Lookup) == "");
  return u;
}

TEST_CASE("acl: SHA-256 hashes are lower-case hex as Redis stores them") {
  CHECK(Sha256Hex("p") == "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940");
  CHECK(GenPass(256).size() == 64);
  CHECK(GenPass(5).size() == 2);
  CHECK(GenPass(256) != GenPass(256));
}

TEST_CASE("acl: a new user is off, has no password and may run nothing") {
  User u("bob");
  CHECK(u.Describe() == "off resetchannels -@all");
  CHECK(u.RequiresAuth());
  CHECK_FALSE(u.CheckPassword(""));
  CHECK_FALSE(u.CommandAllowed(Cmd("get")));
}

TEST_CASE("acl: passwords are stored hashed; the last match of command rules wins") {
  User u = Make({"on", ">p", "~k*", "%R~r*", "&ch*", "+@all", "-@dangerous", "+config|get"});
  CHECK(u.Describe() ==
        "on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~k* %R~r* "
        "resetchannels &ch* +@all -@dangerous +config|get");
  CHECK(u.CheckPassword("p"));
  CHECK_FALSE(u.CheckPassword("q"));
  CHECK(u.CommandAllowed(Cmd("get")));
  CHECK_FALSE(u.CommandAllowed(Cmd("flushall")));
  CHECK(u.CommandAllowed(Cmd("config", "get")));
  CHECK(u.CommandAllowed(Cmd("config", "set")));  // config is not @dangerous in itself
  CHECK_FALSE(u.unrestricted());
}

TEST_CASE("acl: key patterns separate read and write access") {
  User u = Make({"on", "nopass", "+@all", "~k*", "%R~r*", "%W~w*"});
  CHECK(u.KeyAllowed("k1", true, true));
  CHECK(u.KeyAllowed("r1", true, false));
  CHECK_FALSE(u.KeyAllowed("r1", false, true));
  CHECK(u.KeyAllowed("w1", false, true));
  CHECK_FALSE(u.KeyAllowed("w1", true, false));
  CHECK_FALSE(u.KeyAllowed("x", true, false));
  User both = Make({"%R~a*", "%W~a*"});
  CHECK(both.KeyAllowed("ab", true, true));
  CHECK_FALSE(Make({"allkeys", "+@all"}).unrestricted());  // no channels yet
  CHECK(Make({"allkeys", "allchannels", "+@all"}).unrestricted());
}

TEST_CASE("acl: reading every key takes the pattern \"*\" with read access") {
  CHECK(Make({"~*"}).ReadsAllKeys());
  CHECK(Make({"allkeys"}).ReadsAllKeys());
  CHECK(Make({"%R~*", "%W~d"}).ReadsAllKeys());
  CHECK(Make({"%RW~*"}).ReadsAllKeys());
  CHECK_FALSE(Make({"%W~*"}).ReadsAllKeys());
  // These match the key named "*", not every key.
  CHECK_FALSE(Make({"~?"}).ReadsAllKeys());
  CHECK_FALSE(Make({"~[*]"}).ReadsAllKeys());
  CHECK_FALSE(Make({"~a*", "~l"}).ReadsAllKeys());
  CHECK_FALSE(Make({}).ReadsAllKeys());
}

TEST_CASE("acl: channel patterns") {
  User u = Make({"&news.*"});
  CHECK(u.ChannelAllowed("news.x"));
  CHECK_FALSE(u.ChannelAllowed("other"));
  CHECK(Make({"allchannels"}).ChannelAllowed("other"));
  CHECK(Make({"allchannels", "resetchannels"}).Describe() == "off resetchannels -@all");
}

TEST_CASE("acl: bad rules give Redis's reasons and leave the user as it was") {
  User u("bob");
  CHECK(u.ApplyRule("+nosuch", Lookup) == "Unknown command or category name in ACL");
  CHECK(u.ApplyRule("+@nosuch", Lookup) == "Unknown command or category name in ACL");
  CHECK(u.ApplyRule("foo", Lookup) == "Syntax error");
  CHECK(u.ApplyRule("%X~a", Lookup) == "Syntax error");
  CHECK(u.ApplyRule("#abc", Lookup).starts_with("The password hash must be exactly 64"));
  CHECK(u.ApplyRule("<x", Lookup) ==
        "The password you are trying to remove from the user does not exist");
  Registry reg;
  CHECK(reg.SetUser("bob", {"on", "+nosuch"}, Lookup) ==
        "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  CHECK(reg.Get("bob") == nullptr);
}

TEST_CASE("acl: the registry marks replaced and deleted users stale") {
  Registry reg;
  bool default_requires_auth = true;
  reg.OnDefaultChange([&](bool b) { default_requires_auth = b; });
  CHECK_FALSE(default_requires_auth);
  CHECK(reg.Default()->Describe() == "on nopass ~* &* +@all");
  CHECK(reg.Default()->unrestricted());
  REQUIRE(reg.SetUser("alice", {"on", ">p"}, Lookup) == "");
  auto v1 = reg.Get("alice");
  REQUIRE(reg.SetUser("alice", {"+get"}, Lookup) == "");
  CHECK(v1->stale());
  auto v2 = reg.Get("alice");
  CHECK_FALSE(v2->stale());
  CHECK(v2->CommandAllowed(Cmd("get")));
  CHECK(reg.DelUsers({"alice", "nobody", "default"}) == 1);
  CHECK(v2->stale());
  REQUIRE(reg.SetUser("default", {"resetpass", ">secret"}, Lookup) == "");
  CHECK(default_requires_auth);
}

TEST_CASE("acl: the ACL file round-trips and names the bad line") {
  Registry reg;
  REQUIRE(reg.SetUser("alice", {"on", ">p", "~k*", "%W~w*", "&c", "-@all", "+get"}, Lookup) ==
          "");
  const std::string text = FormatAclFile(reg.All());
  CHECK(text ==
        "user alice on #148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940 ~k* "
        "%W~w* resetchannels &c -@all +get\nuser default on nopass ~* &* +@all\n");
  std::vector<std::shared_ptr<User>> users;
  REQUIRE(ParseAclFile("# comment\n\n" + text, Lookup, &users) == "");
  REQUIRE(users.size() == 2);
  CHECK(users[0]->Describe() == reg.Get("alice")->Describe());
  CHECK(ParseAclFile("user a on\nuser b +nosuch\n", Lookup, &users) ==
        "2: Error in applying operation '+nosuch': Unknown command or category name in ACL");
  CHECK(ParseAclFile("usr a on\n", Lookup, &users) == "1: line should start with user keyword");
  CHECK(ParseAclFile("user a\nuser a\n", Lookup, &users) ==
        "2: duplicate user 'a' found");
}

TEST_CASE("acl: log entries of the same failure are counted, newest first") {
  Registry reg;
  reg.Log({"auth", "toplevel", "AUTH", "alice", "id=1", 0, 0, 1}, 1000);
  reg.Log({"command", "toplevel", "set", "bob", "id=2", 0, 0, 1}, 1001);
  reg.Log({"auth", "toplevel", "AUTH", "alice", "id=3", 0, 0, 1}, 1002);
  auto e = reg.LogEntries(10);
  REQUIRE(e.size() == 2);
  CHECK(e[0].username == "alice");
  CHECK(e[0].count == 2);
  CHECK(e[0].client_info == "id=3");
  reg.set_log_max_len(1);
  CHECK(reg.LogEntries(10).size() == 1);
  reg.ResetLog();
  CHECK(reg.LogEntries(10).empty());
}

}  // namespace
}  // namespace kv::acl
