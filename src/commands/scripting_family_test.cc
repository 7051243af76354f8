// EVAL / EVALSHA / SCRIPT through the dispatcher, in process: argument errors in Redis's order,
// the shared cache, commands a script may not run, EVAL inside EXEC, the busy count, and
// SCRIPT KILL from another thread.
#include <doctest/doctest.h>

#include <future>
#include <string>
#include <vector>

#include "commands/atomic_batch.h"
#include "commands/scripting.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Cat;
using test::Err;
using test::Harness;
using test::Int;
using test::kOk;

std::string RunAs(Harness& h, ClientState& c, std::vector<std::string_view> args) {
  std::string out;
  resp::RespWriter writer(&out);
  h.dispatcher().Execute(c, args, writer);
  return out;
}

constexpr std::string_view kNoScript = "NOSCRIPT No matching script. Please use EVAL.";

TEST_CASE("EVAL: numkeys errors, KEYS and ARGV, writes through the batch") {
  Harness h;
  CHECK(h.Run({"EVAL", "return 1", "x"}) == Err("ERR value is not an integer or out of range"));
  CHECK(h.Run({"EVAL", "return 1", "2", "a"}) ==
        Err("ERR Number of keys can't be greater than number of args"));
  CHECK(h.Run({"EVAL", "return 1", "-1"}) == Err("ERR Number of keys can't be negative"));
  CHECK(h.Run({"EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])",
               "1", "k", "v"}) == Bulk("v"));
  CHECK(h.Run({"EVAL", "return redis.call('incr', 'undeclared')", "0"}) == Int(1));
  CHECK(AtomicBatch::Current() == nullptr);
}

TEST_CASE("EVALSHA: a malformed SHA1 before numkeys, an unknown one after; the cache is shared") {
  Harness h;
  CHECK(h.Run({"EVALSHA", "abc", "x"}) == Err(kNoScript));
  const std::string unknown(40, 'a');
  CHECK(h.Run({"EVALSHA", unknown, "x"}) == Err("ERR value is not an integer or out of range"));
  CHECK(h.Run({"EVALSHA", unknown, "0"}) == Err(kNoScript));
  const std::string reply = h.Run({"SCRIPT", "LOAD", "return 'hi'"});
  REQUIRE(reply.size() == 40 + 7);  // $40\r\n<sha>\r\n
  const std::string sha = reply.substr(5, 40);
  // Another thread, another engine, the same cache.
  std::string other = std::async(std::launch::async, [&] {
                        ClientState c;
                        c.ns = h.client().ns;
                        return RunAs(h, c, {"EVALSHA", sha, "0"});
                      }).get();
  CHECK(other == Bulk("hi"));
  CHECK(h.Run({"SCRIPT", "EXISTS", sha, unknown}) == Cat({"*2\r\n", Int(1), Int(0)}));
  CHECK(h.Run({"SCRIPT", "FLUSH"}) == kOk);
  CHECK(h.Run({"EVALSHA", sha, "0"}) == Err(kNoScript));
  CHECK(h.Run({"SCRIPT", "FLUSH", "LAZY"}) ==
        Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
  CHECK(h.Run({"SCRIPT", "LOAD"}) ==
        Err("ERR wrong number of arguments for 'script|load' command"));
  CHECK(h.Run({"SCRIPT", "NOPE"}) == Err("ERR unknown subcommand 'NOPE'. Try SCRIPT HELP."));
  CHECK(h.Run({"SCRIPT", "KILL"}) == Err("NOTBUSY No scripts in execution right now."));
}

TEST_CASE("EVAL_RO refuses writes; scripts refuse what their namespace's locks do not cover") {
  Harness h;
  const std::string ro = h.Run({"EVAL_RO", "return redis.call('set', 'a', 'b')", "0"});
  CHECK(ro.starts_with("-ERR Write commands are not allowed from read-only scripts."));
  CHECK(h.Run({"GET", "a"}) == "$-1\r\n");
  CHECK(h.Run({"EVAL", "return redis.call('flushall')", "0"})
            .starts_with("-ERR This command is not allowed from scripts in kv-server"));
  CHECK(h.Run({"EVAL", "return redis.call('multi')", "0"})
            .starts_with("-ERR This Redis command is not allowed from script"));
  // PUBLISH locks nothing: allowed.
  CHECK(h.Run({"EVAL", "return redis.call('publish', 'c', 'm')", "0"}) == Int(0));
}

TEST_CASE("EVAL inside MULTI runs in the transaction's batch") {
  Harness h;
  CHECK(h.Run({"MULTI"}) == kOk);
  CHECK(h.Run({"EVAL", "return redis.call('incr', KEYS[1])", "1", "n"}) == "+QUEUED\r\n");
  CHECK(h.Run({"EVAL", "return redis.call('select', '1')", "0"}) == "+QUEUED\r\n");
  const std::string exec = h.Run({"EXEC"});
  CHECK(exec.starts_with(Cat({"*2\r\n", Int(1), "-ERR This Redis command is not allowed"})));
}

TEST_CASE("SCRIPT KILL from another thread stops a busy script; the busy count goes back") {
  Harness h;
  CHECK(h.Run({"CONFIG", "SET", "busy-reply-threshold", "0"}) == kOk);
  auto killer = std::async(std::launch::async, [&] {
    ClientState c;
    c.ns = h.client().ns;
    // Bounded: the script below never ends unless killed.
    for (int i = 0; i < 10'000'000; ++i) {
      std::string r = RunAs(h, c, {"SCRIPT", "KILL"});
      if (r == kOk) return true;
    }
    return false;
  });
  const std::string reply = h.Run({"EVAL", "while true do end", "0"});
  CHECK(killer.get());
  CHECK(reply.starts_with("-ERR Script killed by user with SCRIPT KILL..."));
  CHECK_FALSE(ScriptBusy());
  CHECK(h.Run({"PING"}) == "+PONG\r\n");
}

}  // namespace
}  // namespace kv
