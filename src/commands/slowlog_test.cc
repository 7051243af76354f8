#include "commands/slowlog.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"

namespace kv {
namespace {

std::vector<std::string> Args(std::vector<std::string_view> v) {
  return SlowLog::EntryArgs(v);
}

TEST_CASE("SLOWLOG entries: arguments cut as Redis cuts them") {
  std::vector<std::string> many = {"rpush", "l"};
  for (int i = 0; i < 40; ++i) many.push_back(std::to_string(i));
  std::vector<std::string_view> views(many.begin(), many.end());
  const std::vector<std::string> got = SlowLog::EntryArgs(views);
  REQUIRE(got.size() == 32);
  CHECK(got[30] == "28");
  CHECK(got[31] == "... (11 more arguments)");
  // Exactly 32 arguments are kept whole.
  views.resize(32);
  CHECK(SlowLog::EntryArgs(views).back() == "29");

  const std::string big(200, 'a');
  CHECK(Args({"set", "k", big})[2] == std::string(128, 'a') + "... (72 more bytes)");
  CHECK(Args({"set", "k", std::string_view(big).substr(0, 128)})[2] == std::string(128, 'a'));
}

TEST_CASE("SLOWLOG and MONITOR redact AUTH, HELLO AUTH and MIGRATE AUTH") {
  CHECK(Args({"AUTH", "pw"}) == std::vector<std::string>{"AUTH", "(redacted)"});
  CHECK(Args({"auth", "user", "pw"}) ==
        std::vector<std::string>{"auth", "(redacted)", "(redacted)"});
  CHECK(Args({"HELLO", "3", "AUTH", "u", "p", "SETNAME", "n"}) ==
        std::vector<std::string>{"HELLO", "3", "AUTH", "(redacted)", "(redacted)", "SETNAME",
                                 "n"});
  CHECK(Args({"MIGRATE", "h", "1", "", "0", "5", "AUTH2", "u", "p", "KEYS", "a"}) ==
        std::vector<std::string>{"MIGRATE", "h", "1", "", "0", "5", "AUTH2", "(redacted)",
                                 "(redacted)", "KEYS", "a"});
  CHECK(Args({"MIGRATE", "h", "1", "k", "0", "5", "AUTH", "p"})[7] == "(redacted)");
  CHECK(Args({"SET", "auth", "x"})[2] == "x");
}

TEST_CASE("SlowLog keeps the newest max_len entries, ids growing") {
  SlowLog log;
  ClientState c;
  c.addr = "127.0.0.1:5000";
  c.name = "n";
  const std::vector<std::string_view> args = {"get", "k"};
  for (int i = 0; i < 5; ++i) log.Push(c, args, 10 + i, 1000 * i, 3);
  CHECK(log.Len() == 3);
  const std::vector<SlowLogEntry> got = log.Get(-1);
  REQUIRE(got.size() == 3);
  CHECK(got[0].id == 4);
  CHECK(got[2].id == 2);
  CHECK(got[0].duration_us == 14);
  CHECK(got[0].time_s == 4);
  CHECK(got[0].peer == "127.0.0.1:5000");
  CHECK(got[0].name == "n");
  CHECK(log.Get(1).size() == 1);
  log.Reset();
  CHECK(log.Len() == 0);
  log.Push(c, args, 1, 0, 3);
  CHECK(log.Get(-1)[0].id == 5);  // ids go on after a reset, as Redis's do
}

}  // namespace
}  // namespace kv
