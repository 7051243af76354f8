#include <doctest/doctest.h>

#include <string>

#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Harness;
using test::Int;
using test::kNil;
using test::kOk;

TEST_CASE("PING and ECHO") {
  Harness h;
  CHECK(h.Run({"PING"}) == "+PONG\r\n");
  CHECK(h.Run({"ping", "hi"}) == Bulk("hi"));
  CHECK(h.Run({"PING", "a", "b"}) == "-ERR wrong number of arguments for 'ping' command\r\n");
  CHECK(h.Run({"ECHO", "x y"}) == Bulk("x y"));
  CHECK(h.Run({"ECHO"}) == "-ERR wrong number of arguments for 'echo' command\r\n");
}

TEST_CASE("Unknown command is worded as Redis words it") {
  Harness h;
  CHECK(h.Run({"NOPE", "a", "b"}) ==
        "-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n");
}

TEST_CASE("SELECT switches namespace and validates the name") {
  Harness h;
  CHECK(h.Run({"SELECT", "app"}) == kOk);
  CHECK(h.client().ns == h.store().Get("app"));
  CHECK(h.Run({"SELECT", "bad name"}).rfind("-ERR invalid namespace name", 0) == 0);
  CHECK(h.client().ns_name == "app");
  CHECK(h.Run({"SELECT", "0"}) == kOk);
}

TEST_CASE("AUTH and NOAUTH with requirepass") {
  Harness h;
  CHECK(h.Run({"AUTH", "x"}).rfind("-ERR AUTH <password> called without any password", 0) == 0);
  CHECK(h.config().Set("requirepass", "s3cret", false).empty());
  h.client().authenticated = false;
  CHECK(h.Run({"PING"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(h.Run({"AUTH", "wrong"}) ==
        "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(h.Run({"AUTH", "default", "s3cret"}) == kOk);
  CHECK(h.Run({"PING"}) == "+PONG\r\n");
  CHECK(h.Run({"RESET"}) == "+RESET\r\n");
  CHECK(h.Run({"PING"}) == "-NOAUTH Authentication required.\r\n");
}

TEST_CASE("HELLO 3 switches to RESP3 and answers a map") {
  Harness h;
  const std::string r = h.Run({"HELLO", "3"});
  CHECK(r.rfind("%7\r\n", 0) == 0);
  CHECK(r.find("$5\r\nproto\r\n:3\r\n") != std::string::npos);
  CHECK(h.client().resp == 3);
  CHECK(h.Run({"HELLO", "4"}) == "-NOPROTO unsupported protocol version\r\n");
  CHECK(h.Run({"HELLO", "2", "SETNAME", "svc"}).rfind("*14\r\n", 0) == 0);
  CHECK(h.Run({"CLIENT", "GETNAME"}) == Bulk("svc"));
}

TEST_CASE("CLIENT subcommands") {
  Harness h;
  CHECK(h.Run({"CLIENT", "ID"}) == Int(static_cast<long long>(h.client().id)));
  CHECK(h.Run({"CLIENT", "GETNAME"}) == kNil);
  CHECK(h.Run({"CLIENT", "SETNAME", "worker-1"}) == kOk);
  CHECK(h.Run({"CLIENT", "SETNAME", "has space"}) ==
        "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  CHECK(h.Run({"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}) == kOk);
  h.server().clients.Add(&h.client());
  const std::string list = h.Run({"CLIENT", "LIST"});
  CHECK(list.find("name=worker-1") != std::string::npos);
  CHECK(list.find("lib-name=redis-py") != std::string::npos);
  CHECK(list.find("cmd=client") != std::string::npos);
  h.server().clients.Remove(&h.client());
  CHECK(h.Run({"CLIENT", "BOGUS"}) == "-ERR unknown subcommand 'BOGUS'. Try CLIENT HELP.\r\n");
}

TEST_CASE("CONFIG GET and SET use Redis directive names") {
  Harness h;
  CHECK(h.Run({"CONFIG", "GET", "maxmemory"}) == "*2\r\n" + Bulk("maxmemory") + Bulk("0"));
  CHECK(h.Run({"CONFIG", "GET", "save"}) == "*2\r\n" + Bulk("save") + Bulk(""));
  CHECK(h.Run({"CONFIG", "GET", "appendonly"}) == "*2\r\n" + Bulk("appendonly") + Bulk("yes"));
  CHECK(h.Run({"CONFIG", "SET", "maxmemory", "10mb"}) == kOk);
  CHECK(h.config().maxmemory.load() == 10 * 1024 * 1024);
  CHECK(h.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == kOk);
  CHECK(h.Run({"CONFIG", "SET", "maxmemory-policy", "bogus"})
            .rfind("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy')", 0) == 0);
  CHECK(h.Run({"CONFIG", "SET", "port", "1"}).find("can't set immutable config") !=
        std::string::npos);
  CHECK(h.Run({"CONFIG", "SET", "nosuch", "1"}).rfind("-ERR Unknown option", 0) == 0);
  CHECK(h.Run({"CONFIG", "GET"}) == "-ERR wrong number of arguments for 'config|get' command\r\n");
  // A bad pair undoes the pairs before it.
  CHECK(h.Run({"CONFIG", "SET", "maxmemory", "1mb", "hz", "0"})
            .rfind("-ERR CONFIG SET failed (possibly related to argument 'hz')", 0) == 0);
  CHECK(h.config().maxmemory.load() == 10 * 1024 * 1024);
}

TEST_CASE("INFO sections are in Redis's format") {
  Harness h;
  const std::string all = h.Run({"INFO"});
  for (const char* s : {"# Server", "# Clients", "# Memory", "# Stats", "# Keyspace",
                        "redis_version:", "used_memory:", "connected_clients:",
                        "total_commands_processed:"})
    CHECK(all.find(s) != std::string::npos);
  h.Run({"INCR", "nope-not-a-number-key"});
  h.Run({"SET", "s", "x"});
  h.Run({"INCR", "s"});          // a handler's error
  h.Run({"NOSUCHCOMMAND"});      // a dispatcher's error
  CHECK(h.Run({"INFO", "stats"}).find("total_error_replies:2\r\n") != std::string::npos);
  const std::string mem = h.Run({"INFO", "memory"});
  CHECK(mem.find("# Memory") != std::string::npos);
  CHECK(mem.find("# Server") == std::string::npos);
}

TEST_CASE("COMMAND COUNT, INFO and GETKEYS come from the table") {
  Harness h;
  const std::string count = h.Run({"COMMAND", "COUNT"});
  CHECK(count[0] == ':');
  CHECK(std::stoi(count.substr(1)) > 50);
  const std::string info = h.Run({"COMMAND", "INFO", "get", "nosuch"});
  CHECK(info.rfind("*2\r\n*10\r\n$3\r\nget\r\n:2\r\n", 0) == 0);
  CHECK(info.size() > 5);
  CHECK(info.substr(info.size() - 5) == "$-1\r\n");  // Redis: a null bulk for unknown names
  CHECK(h.Run({"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}) ==
        "*2\r\n" + Bulk("a") + Bulk("b"));
}

TEST_CASE("TIME answers seconds and microseconds") {
  Harness h;
  const std::string r = h.Run({"TIME"});
  CHECK(r.rfind("*2\r\n$10\r\n", 0) == 0);
}

}  // namespace
}  // namespace kv
