// COMMAND on the real table: a container's subcommands in INFO, DOCS, LIST and GETKEYS, and
// Redis 7.0's errors.
#include <doctest/doctest.h>

#include <string>

#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Harness;
using test::kNil;

const std::string kSyntax = "-ERR syntax error\r\n";

TEST_CASE("COMMAND INFO lists a container's subcommands and answers one by its full name") {
  Harness h;
  const std::string config_get =
      "*10\r\n" + Bulk("config|get") +
      ":-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n"
      "*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n";
  CHECK(h.Run({"COMMAND", "INFO", "config|get"}) == "*1\r\n" + config_get);
  CHECK(h.Run({"COMMAND", "INFO", "CONFIG|GET"}) == "*1\r\n" + config_get);
  // The container: no flags of its own, @slow, and five subcommand entries.
  const std::string config = h.Run({"COMMAND", "INFO", "config"});
  CHECK(config.rfind("*1\r\n*10\r\n" + Bulk("config") +
                         ":-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*5\r\n",
                     0) == 0);
  CHECK(config.find(config_get) != std::string::npos);
  for (const char* unknown : {"config|", "|get", "config|get|x", "get|x", "config|nosuch"})
    CHECK(h.Run({"COMMAND", "INFO", unknown}) == "*1\r\n" + std::string(kNil));
}

TEST_CASE("COMMAND INFO gives a subcommand's key as a range key spec") {
  Harness h;
  const std::string r = h.Run({"COMMAND", "INFO", "object|encoding"});
  CHECK(r.find(":2\r\n:2\r\n:1\r\n*3\r\n+@keyspace\r\n+@read\r\n+@slow\r\n") !=
        std::string::npos);
  CHECK(r.find("*1\r\n+RO\r\n") != std::string::npos);
}

TEST_CASE("COMMAND DOCS gives a container's subcommands and one subcommand's docs") {
  Harness h;
  // Its arguments, from its arity: redis-cli's hint.
  const auto arg = [](const std::string& name) {
    return "*4\r\n" + Bulk("name") + Bulk(name) + Bulk("type") + Bulk("string");
  };
  CHECK(h.Run({"COMMAND", "DOCS", "config|get", "nosuch"}) ==
        "*2\r\n" + Bulk("config|get") + "*8\r\n" + Bulk("summary") +
            Bulk("Get the values of configuration parameters") + Bulk("since") + Bulk("2.0.0") +
            Bulk("group") + Bulk("server") + Bulk("arguments") + "*2\r\n" + arg("arg") +
            arg("[arg ...]"));
  CHECK(h.Run({"COMMAND", "DOCS", "object|encoding"}).find(Bulk("arguments") + "*1\r\n" +
                                                           arg("key")) != std::string::npos);
  CHECK(h.Run({"COMMAND", "DOCS", "client|id"}).find("arguments") == std::string::npos);
  const std::string docs = h.Run({"COMMAND", "DOCS", "slowlog"});
  CHECK(docs.find(Bulk("subcommands") + "*8\r\n" + Bulk("slowlog|get")) != std::string::npos);
}

TEST_CASE("COMMAND LIST names subcommands too, and FILTERBY keeps what matches") {
  Harness h;
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "SLOWLOG*"}) ==
        "*5\r\n" + Bulk("slowlog") + Bulk("slowlog|get") + Bulk("slowlog|help") +
            Bulk("slowlog|len") + Bulk("slowlog|reset"));
  // A category keeps a subcommand whose container it does not keep.
  const std::string admin = h.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "admin"});
  CHECK(admin.find(Bulk("config|get")) != std::string::npos);
  CHECK(admin.find(Bulk("config")) == std::string::npos);
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"}) == "*0\r\n");
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch"}) == "*0\r\n");
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "NAME", "x"}) == kSyntax);
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN"}) == kSyntax);
  CHECK(h.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "x", "y"}) == kSyntax);
}

TEST_CASE("COMMAND GETKEYS and GETKEYSANDFLAGS find a subcommand's key") {
  Harness h;
  CHECK(h.Run({"COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k"}) == "*1\r\n" + Bulk("k"));
  CHECK(h.Run({"COMMAND", "GETKEYSANDFLAGS", "object", "encoding", "k"}) ==
        "*1\r\n*2\r\n" + Bulk("k") + "*1\r\n+RO\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYSANDFLAGS", "XGROUP", "CREATE", "s", "g", "$"}) ==
        "*1\r\n*2\r\n" + Bulk("s") + "*1\r\n+RW\r\n");
  // A write's source keys are read: BITOP's.
  CHECK(h.Run({"COMMAND", "GETKEYSANDFLAGS", "BITOP", "AND", "d", "a"}) ==
        "*2\r\n*2\r\n" + Bulk("d") + "*1\r\n+RW\r\n*2\r\n" + Bulk("a") + "*1\r\n+RO\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYS", "OBJECT", "nosuch", "k"}) ==
        "-ERR Invalid command specified\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYS", "object|encoding", "k"}) ==
        "-ERR Invalid command specified\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYS", "CONFIG", "GET", "x"}) ==
        "-ERR The command has no key arguments\r\n");
  // Whether it has keys comes before its arity, as in Redis.
  CHECK(h.Run({"COMMAND", "GETKEYS", "XINFO", "HELP", "x"}) ==
        "-ERR The command has no key arguments\r\n");
  CHECK(h.Run({"COMMAND", "GETKEYS", "OBJECT", "ENCODING"}) ==
        "-ERR Invalid number of arguments specified for command\r\n");
}

}  // namespace
}  // namespace kv
