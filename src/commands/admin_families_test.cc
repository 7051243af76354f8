// DEBUG, FUNCTION and MEMORY in process: the gate, the reply texts Redis clients match on, and
// DEBUG RELOAD's round trip through the snapshot format.
#include <doctest/doctest.h>

#include <string>

#include "commands/server_state.h"
#include "core/acl.h"
#include "core/memory_usage.h"
#include "persist/persistence.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Err;
using test::Harness;
using test::Int;
using test::kNil;
using test::kOk;

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

constexpr std::string_view kRefused = "-ERR DEBUG command not allowed. If the enable-debug-command";

TEST_CASE("DEBUG is refused unless enable-debug-command allows the client") {
  Harness h;
  h.client().addr = "127.0.0.1:5000";
  CHECK(StartsWith(h.Run({"DEBUG", "HELP"}), kRefused));
  CHECK(StartsWith(h.Run({"DEBUG", "NOSUCH"}), kRefused));  // before the subcommand is read
  CHECK(h.Run({"DEBUG"}) == Err("ERR wrong number of arguments for 'debug' command"));
  h.config().enable_debug_command = EnableOption::kLocal;
  CHECK(StartsWith(h.Run({"DEBUG", "HELP"}), "*"));
  h.client().addr = "10.1.2.3:5000";
  CHECK(StartsWith(h.Run({"DEBUG", "HELP"}), kRefused));
  h.config().enable_debug_command = EnableOption::kYes;
  CHECK(h.Run({"DEBUG", "CHANGE-REPL-ID"}) == kOk);
}

TEST_CASE("DEBUG subcommands answer as Redis 7 does") {
  Harness h;
  h.config().enable_debug_command = EnableOption::kYes;
  CHECK(h.Run({"DEBUG", "Foo"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'Foo'. Try DEBUG HELP."));
  CHECK(h.Run({"DEBUG", "JMAP"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP."));
  CHECK(h.Run({"DEBUG", "OBJECT"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'OBJECT'. Try DEBUG HELP."));
  CHECK(h.Run({"DEBUG", "OBJECT", "missing"}) == Err("ERR no such key"));
  CHECK(h.Run({"DEBUG", "LISTPACK", "missing"}) == Err("ERR no such key"));
  CHECK(h.Run({"DEBUG", "SLEEP", "0"}) == kOk);
  CHECK(h.Run({"DEBUG", "SLEEP", "abc"}) == kOk);  // strtod: no number reads as 0
  CHECK(h.Run({"SET", "k", "hello"}) == kOk);
  const std::string obj = h.Run({"DEBUG", "OBJECT", "k"});
  CHECK(StartsWith(obj, "+Value at:0x"));
  CHECK(obj.find(" refcount:1 encoding:embstr serializedlength:9 lru:") != std::string::npos);
  CHECK(obj.find(" lru_seconds_idle:") != std::string::npos);
  CHECK(h.Run({"DEBUG", "LISTPACK", "k"}) == Err("ERR Not a listpack encoded object."));
  CHECK(h.Run({"DEBUG", "RELOAD", "BOGUS"}) ==
        Err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."));
  CHECK(StartsWith(h.Run({"DEBUG", "RELOAD", "NOSAVE"}), "-ERR DEBUG RELOAD MERGE, NOFLUSH"));
}

TEST_CASE("DEBUG SET-ACTIVE-EXPIRE switches the cron's expiry cycle, with atoi's reading") {
  Harness h;
  h.config().enable_debug_command = EnableOption::kYes;
  CHECK(h.server().active_expire.load());
  CHECK(h.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == kOk);
  CHECK_FALSE(h.server().active_expire.load());
  CHECK(h.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "1"}) == kOk);
  CHECK(h.server().active_expire.load());
  CHECK(h.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "x"}) == kOk);
  CHECK_FALSE(h.server().active_expire.load());
  CHECK(h.Run({"DEBUG", "set-active-expire", "2"}) == kOk);
  CHECK(h.server().active_expire.load());
}

TEST_CASE("DEBUG RELOAD without a data directory keeps keys, TTLs and namespaces") {
  Harness h;
  h.config().enable_debug_command = EnableOption::kYes;
  CHECK(h.Run({"DEBUG", "RELOAD"}) == Err("ERR persistence is not available"));
  persist::PersistenceOptions po;
  po.enabled = false;
  persist::Persistence p(h.store(), po);
  h.server().persistence = &p;
  CHECK(h.Run({"SET", "a", "1"}) == kOk);
  CHECK(h.Run({"SET", "t", "v", "EX", "1000"}) == kOk);
  CHECK(h.Run({"SELECT", "other"}) == kOk);
  CHECK(h.Run({"SET", "b", "2"}) == kOk);
  CHECK(h.Run({"SELECT", "0"}) == kOk);
  CHECK(h.Run({"DEBUG", "RELOAD"}) == kOk);
  CHECK(h.Run({"GET", "a"}) == Bulk("1"));
  const std::string ttl = h.Run({"TTL", "t"});
  CHECK((ttl == Int(1000) || ttl == Int(999)));
  CHECK(h.Run({"DBSIZE"}) == Int(2));
  CHECK(h.Run({"SELECT", "other"}) == kOk);
  CHECK(h.Run({"GET", "b"}) == Bulk("2"));
  h.server().persistence = nullptr;
}

TEST_CASE("FUNCTION with no library loaded answers as Redis") {
  Harness h;
  CHECK(h.Run({"FUNCTION", "LIST"}) == "*0\r\n");
  CHECK(h.Run({"FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "x*"}) == "*0\r\n");
  CHECK(h.Run({"FUNCTION", "LIST", "LIBRARYNAME"}) ==
        Err("ERR library name argument was not given"));
  CHECK(h.Run({"FUNCTION", "LIST", "WITHCODE", "WITHCODE"}) ==
        Err("ERR Unknown argument WITHCODE"));
  CHECK(h.Run({"FUNCTION", "FLUSH", "ASYNC"}) == kOk);
  CHECK(h.Run({"FUNCTION", "FLUSH", "LATER"}) ==
        Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
  CHECK(h.Run({"FUNCTION", "FLUSH", "a", "b"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION "
            "HELP."));
  CHECK(h.Run({"FUNCTION", "DELETE", "lib"}) == Err("ERR Library not found"));
  CHECK(h.Run({"FUNCTION", "KILL"}) == Err("NOTBUSY No scripts in execution right now."));
  CHECK(h.Run({"FUNCTION", "STATS", "x"}) ==
        Err("ERR wrong number of arguments for 'function|stats' command"));
  CHECK(h.Run({"FUNCTION", "NOPE"}) == Err("ERR unknown subcommand 'NOPE'. Try FUNCTION HELP."));
  CHECK(h.Run({"FUNCTION", "LOAD", "KEEP", "code"}) == Err("ERR Unknown option given: KEEP"));
  CHECK(h.Run({"FUNCTION", "LOAD", "REPLACE", "code"}) == Err("ERR Missing library metadata"));
  const std::string dump = h.Run({"FUNCTION", "DUMP"});
  const std::string payload("\x0a\x00\x5d\x9b\x5c\x40\x0f\x7f\xa2\xda", 10);
  CHECK(dump == Bulk(payload));
  CHECK(h.Run({"FUNCTION", "RESTORE", payload}) == kOk);
  CHECK(h.Run({"FUNCTION", "RESTORE", payload, "FLUSH"}) == kOk);
  CHECK(h.Run({"FUNCTION", "RESTORE", payload, "MERGE"}) ==
        Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."));
  CHECK(h.Run({"FUNCTION", "RESTORE", "junk"}) ==
        Err("ERR DUMP payload version or checksum are wrong"));
  CHECK(h.Run({"FUNCTION", "RESTORE", "\xf5libs" + payload}) ==
        Err("ERR DUMP payload version or checksum are wrong"));
  CHECK(h.Run({"FCALL", "f", "0"}) == Err("ERR Function not found"));
  CHECK(h.Run({"FCALL_RO", "f", "2", "k"}) == Err("ERR Function not found"));
}

TEST_CASE("Scripting commands carry @scripting and neither @read nor @write, as in Redis") {
  Harness h;
  const CommandSpec* ro = h.table().Find("fcall_ro");
  REQUIRE(ro != nullptr);
  CHECK(ro->has(kCmdReadonly));
  CHECK(ro->acl_categories == (acl::kSlow | acl::kScripting));
  CHECK(h.table().Find("function")->acl_categories == acl::kSlow);
}

TEST_CASE("MEMORY USAGE counts the entry, its slot share and its expiry index place") {
  Harness h;
  CHECK(h.Run({"MEMORY", "USAGE", "missing"}) == kNil);
  CHECK(h.Run({"SET", "k", std::string(100, 'x')}) == kOk);
  CHECK(h.Run({"SET", "t", std::string(100, 'x'), "EX", "100"}) == kOk);
  size_t plain = 0, with_ttl = 0;
  {
    Shard& s = h.store().Get("0")->ShardFor("k");
    std::lock_guard lock(s.mu());
    plain = EntryMemory(*s.Peek("k", 0));
  }
  {
    Shard& s = h.store().Get("0")->ShardFor("t");
    std::lock_guard lock(s.mu());
    with_ttl = EntryMemory(*s.Peek("t", 0));
  }
  CHECK(plain >= 16 + 1 + 100 + kTableSlotShare);
  CHECK(with_ttl > plain);
  CHECK(h.Run({"MEMORY", "USAGE", "k"}) == Int(static_cast<long long>(plain)));
  CHECK(h.Run({"MEMORY", "USAGE", "t", "SAMPLES", "0"}) == Int(static_cast<long long>(with_ttl)));
  CHECK(h.Run({"MEMORY", "USAGE", "k", "SAMPLES"}) == Err("ERR syntax error"));
  CHECK(h.Run({"MEMORY", "USAGE", "k", "SAMPLES", "-1"}) == Err("ERR syntax error"));
  CHECK(h.Run({"MEMORY", "USAGE", "k", "SAMPLES", "x"}) ==
        Err("ERR value is not an integer or out of range"));
  CHECK(h.Run({"MEMORY", "USAGE", "k", "BOGUS"}) == Err("ERR syntax error"));
  CHECK(h.Run({"MEMORY", "USAGE"}) ==
        Err("ERR wrong number of arguments for 'memory|usage' command"));
  CHECK(h.Run({"MEMORY", "DOCTOR", "x"}) ==
        Err("ERR wrong number of arguments for 'memory|doctor' command"));
  CHECK(h.Run({"MEMORY", "Foo"}) == Err("ERR unknown subcommand 'Foo'. Try MEMORY HELP."));
  CHECK(h.Run({"MEMORY", "PURGE"}) == kOk);
  const std::string stats = h.Run({"MEMORY", "STATS"});
  CHECK(stats.find("$10\r\nkeys.count\r\n:2\r\n") != std::string::npos);
  CHECK(stats.find("$4\r\ndb.0\r\n*4\r\n") != std::string::npos);
}

}  // namespace
}  // namespace kv
