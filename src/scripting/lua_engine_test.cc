// The redis table, error texts (as redis-server 7.0.15 writes them), KEYS/ARGV, the kill hook
// and the memory bound.
#include "scripting/lua_engine.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <thread>

#include "scripting/fake_host_test.h"

namespace kv::scripting {
namespace {

using testing::Env;

TEST_CASE("A host that runs EVAL from inside a script gets an error, not a nested run") {
  Env env;
  CHECK(env.Eval("return redis.pcall('eval', 'return 1')") ==
        "-ERR This Redis command is not allowed from script\r\n");
  CHECK(env.Eval("return 2") == ":2\r\n");
}

TEST_CASE("Script shebangs: flags, Redis's errors, and line numbers that count the shebang") {
  std::string err;
  auto sh = ParseScriptShebang("return 1", &err);
  REQUIRE(sh.has_value());
  CHECK_FALSE(sh->present);
  sh = ParseScriptShebang("#!lua\nreturn 1", &err);
  REQUIRE(sh.has_value());
  CHECK(sh->present);
  CHECK(sh->flags == 0);
  CHECK(sh->length == 5);
  sh = ParseScriptShebang("#!lua  flags=no-writes,allow-oom \t\nreturn 1", &err);
  REQUIRE(sh.has_value());
  CHECK(sh->flags == (kFnNoWrites | kFnAllowOom));
  sh = ParseScriptShebang("#!lua flags=\nreturn 1", &err);
  REQUIRE(sh.has_value());
  CHECK(sh->flags == 0);
  const std::pair<std::string_view, std::string_view> bad[] = {
      {"#!lua", "Invalid script shebang"},
      {"#!python\n", "Unexpected engine in script shebang: #!python"},
      {"#! lua\n", "Unexpected engine in script shebang: #!"},
      {"#!lua foo=bar\n", "Unknown lua shebang option: foo=bar"},
      {"#!lua flags=no-writes,bogus\n", "Unexpected flag in script shebang: bogus"},
      {"#!lua flags=no-writes,,allow-oom\n", "Unexpected flag in script shebang: "},
      {"#!lua flags=no-writes,\n", "Unexpected flag in script shebang: "},
  };
  for (const auto& [body, message] : bad) {
    CAPTURE(body);
    CHECK_FALSE(ParseScriptShebang(body, &err).has_value());
    CHECK(err == message);
  }
  Env env;
  CHECK(env.Eval("#!lua flags=no-writes\nreturn 7") == ":7\r\n");
  CHECK(env.Eval("#!lua flags=bad\nreturn 7") == "-ERR Unexpected flag in script shebang: bad\r\n");
  CHECK(env.Eval("#!lua\nreturn error('e')").starts_with("-ERR user_script:2: e "));
}

TEST_CASE("KEYS and ARGV") {
  Env env;
  CHECK(env.Eval("return KEYS", {"a", "b"}) == "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(env.Eval("return {KEYS[1], ARGV[1], ARGV[2]}", {"k"}, {"a", "b"}) ==
        "*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\nb\r\n");
  // Fresh tables every run: nothing from the previous one.
  CHECK(env.Eval("return {#KEYS, #ARGV}") == "*2\r\n:0\r\n:0\r\n");
  CHECK(env.Eval("KEYS[1] = 'x' return KEYS[1]") == "$1\r\nx\r\n");
}

TEST_CASE("redis.call passes argv to the host; numbers as %.17g") {
  Env env;
  CHECK(env.Eval("return redis.call('GET', KEYS[1])", {"k"}) == "$5\r\nvalue\r\n");
  REQUIRE(env.host.calls.size() == 1);
  CHECK(env.host.calls[0] == std::vector<std::string>{"GET", "k"});
  CHECK(env.Eval("return {redis.call('echo', 0.1), redis.call('echo', 1e300), redis.call('echo', -0), "
                 "redis.call('echo', 100), redis.call('echo', 1.5)}") ==
        "*5\r\n$19\r\n0.10000000000000001\r\n$23\r\n1.0000000000000001e+300\r\n$2\r\n-0\r\n"
        "$3\r\n100\r\n$3\r\n1.5\r\n");
  // Texts from redis-server 7.0.15.
  env.host.calls.clear();
  CHECK(env.Eval("redis.call('echo', 1, 1e20, 1/0, -1/0, 0/0, -(0/0), 99999999999999984, 1e17, "
                 "-99999999999999984, 123456789012345678, 2^63)") == "$-1\r\n");
  REQUIRE(env.host.calls.size() == 1);
  const std::vector<std::string> expected{
      "echo", "1", "1e+20", "inf", "-inf", "-nan", "nan", "99999999999999984", "1e+17",
      "-99999999999999984", "1.2345678901234568e+17", "9.2233720368547758e+18"};
  REQUIRE(env.host.calls[0].size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) CHECK(env.host.calls[0][i] == expected[i]);
}

TEST_CASE("FormatNumberArg writes what %.17g writes") {
  std::vector<double> values = {0.0, -0.0, 1, -1, 0.5, 1e16, 1e17, -1e17, 1e17 - 16, -(1e17 - 16),
                                9007199254740992.0, 9007199254740993.0, 1e300, 5e-324,
                                std::numeric_limits<double>::infinity(), std::nan("")};
  for (double p = 1; p < 1e18; p *= 10) {
    for (double d : {p - 1, p, p + 1, -p, -p + 1, p / 3, p * 1.5}) values.push_back(d);
  }
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {  // xorshift: integers of every size, and arbitrary doubles
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    values.push_back(static_cast<double>(static_cast<int64_t>(x) >> (x % 64)));
    double d;
    std::memcpy(&d, &x, sizeof d);
    values.push_back(d);
  }
  for (double v : values) {
    char mine[64], theirs[64];
    const size_t n = FormatNumberArg(v, mine, sizeof mine);
    const int m = std::snprintf(theirs, sizeof theirs, "%.17g", v);
    REQUIRE(std::string_view(mine, n) == std::string_view(theirs, static_cast<size_t>(m)));
  }
}

TEST_CASE("redis.call raises, redis.pcall returns: Redis's texts") {
  Env env;
  auto raised = [&](std::string_view body, std::string_view msg) {
    CHECK(env.Eval(body) == Env::RunErr(body, msg));
  };
  raised("return redis.call()", "ERR Please specify at least one argument for this redis lib call");
  CHECK(env.Eval("return redis.pcall()") ==
        "-ERR Please specify at least one argument for this redis lib call\r\n");
  raised("return redis.call('nosuch')", "ERR Unknown Redis command called from script");
  CHECK(env.Eval("return redis.pcall('nosuch')") == "-ERR Unknown Redis command called from script\r\n");
  raised("return redis.call('get')", "ERR Wrong number of args calling Redis command from script");
  CHECK(env.Eval("return redis.pcall('get', 'k', 'x')") ==
        "-ERR Wrong number of args calling Redis command from script\r\n");
  raised("return redis.call({})", "ERR Lua redis lib command arguments must be strings or integers");
  raised("return redis.call('get', {})", "ERR Lua redis lib command arguments must be strings or integers");
  raised("return redis.call('get', true)", "ERR Lua redis lib command arguments must be strings or integers");
  CHECK(env.Eval("return redis.pcall('get', {})") ==
        "-ERR Lua redis lib command arguments must be strings or integers\r\n");
  raised("return redis.call('err')", "WRONGTYPE Operation against a key holding the wrong kind of value");
  CHECK(env.Eval("return redis.pcall('err')") ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(env.Eval("return redis.pcall('err')['err']") ==
        "$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(env.Eval("return tostring(redis.pcall('err').ignore_error_stats_update)") == "$4\r\ntrue\r\n");
  // The error of a call on line 3 names line 3.
  const std::string body = "local x = 1\nlocal y = 2\nreturn redis.call('err')";
  CHECK(env.Eval(body) == "-WRONGTYPE Operation against a key holding the wrong kind of value script: " +
                              Sha1Hex(body) + ", on @user_script:3.\r\n");
  // Lua's pcall hands a caught error table to the script as its err string (Redis 7.0).
  CHECK(env.Eval("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), type(e), e}") ==
        "*3\r\n$5\r\nfalse\r\n$6\r\nstring\r\n$44\r\nERR Unknown Redis command called from script\r\n");
  CHECK(env.Eval("local ok, e = pcall(function() return redis.call('err') end) return e") ==
        "$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(env.Eval("local ok, e = pcall(error, {err='x'}) return {tostring(ok), type(e)}") ==
        "*2\r\n$5\r\nfalse\r\n$6\r\nstring\r\n");
  CHECK(env.Eval("local ok, e = pcall(error, {x=1}) return type(e)") == "$5\r\ntable\r\n");
  CHECK(env.Eval("return {pcall(function(a, b) return a + b, 'x' end, 1, 2)}") ==
        "*3\r\n:1\r\n:3\r\n$1\r\nx\r\n");
}

TEST_CASE("Runtime and compile errors") {
  Env env;
  auto raised = [&](std::string_view body, std::string_view msg) {
    CHECK(env.Eval(body) == Env::RunErr(body, msg));
  };
  raised("error('boom')", "ERR user_script:1: boom");
  raised("error({err='MYERR boom'})", "MYERR boom");
  raised("error('boom', 0)", "ERR boom");
  raised("error(12)", "ERR user_script:1: 12");
  raised("error()", "ERR nil");
  raised("error({err='x'}, 0)", "x");
  raised("local t = nil; return t.x", "ERR user_script:1: attempt to index local 't' (a nil value)");
  // Redis 7.0.15 crashes on an error table without err; kv-server answers.
  CHECK(env.Eval("error({x=1})") ==
        "-ERR Error running script " + Sha1Hex("error({x=1})") + ", execution failure\r\n");
  // The error object's metamethods never run outside the script.
  const std::string meta = "error(setmetatable({}, {__index = function() while true do end end}))";
  CHECK(env.Eval(meta) == "-ERR Error running script " + Sha1Hex(meta) + ", execution failure\r\n");
  CHECK(env.Eval("return 1 +") ==
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n");
}

TEST_CASE("redis.error_reply, status_reply, sha1hex") {
  Env env;
  CHECK(env.Eval("return redis.error_reply()") == "-ERR wrong number or type of arguments\r\n");
  CHECK(env.Eval("return redis.error_reply(1)") == "-ERR wrong number or type of arguments\r\n");
  CHECK(env.Eval("return redis.error_reply({})") == "-ERR wrong number or type of arguments\r\n");
  CHECK(env.Eval("return redis.status_reply('FINE')") == "+FINE\r\n");
  CHECK(env.Eval("return redis.status_reply()") == "-ERR wrong number or type of arguments\r\n");
  CHECK(env.Eval("return redis.status_reply('a','b')") == "-ERR wrong number or type of arguments\r\n");
  CHECK(env.Eval("return redis.status_reply(1)") == "-ERR wrong number or type of arguments\r\n");
  CHECK(env.Eval("return redis.sha1hex('')") == "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
  CHECK(env.Eval("return redis.sha1hex(1)") == "$40\r\n356a192b7913b04c54574d18c28d46e6395428ab\r\n");
  CHECK(env.Eval("return redis.sha1hex({})") == "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
  CHECK(env.Eval("return redis.sha1hex()") == Env::RunErr("return redis.sha1hex()", "ERR wrong number of arguments"));
  CHECK(env.Eval("return redis.sha1hex('a','b')") ==
        Env::RunErr("return redis.sha1hex('a','b')", "ERR wrong number of arguments"));
}

TEST_CASE("redis.log") {
  Env env;
  CHECK(env.Eval("return redis.log(redis.LOG_WARNING, 'hello', 'x', 3)") == "$-1\r\n");
  CHECK(env.Eval("return redis.log(redis.LOG_DEBUG, 'a', {}, 'b')") == "$-1\r\n");
  REQUIRE(env.host.logs.size() == 2);
  CHECK(env.host.logs[0].first == LogLevel::kWarning);
  CHECK(env.host.logs[0].second == "hello x 3");
  CHECK(env.host.logs[1].first == LogLevel::kDebug);
  CHECK(env.host.logs[1].second == "a b");
  CHECK(env.Eval("return redis.log(99, 'hello')") == Env::RunErr("return redis.log(99, 'hello')", "ERR Invalid debug level."));
  CHECK(env.Eval("return redis.log(redis.LOG_WARNING)") ==
        Env::RunErr("return redis.log(redis.LOG_WARNING)", "ERR redis.log() requires two arguments or more."));
  CHECK(env.Eval("return redis.log('x','y')") ==
        Env::RunErr("return redis.log('x','y')", "ERR First argument must be a number (log level)."));
  CHECK(env.host.logs.size() == 2);
}

TEST_CASE("redis.setresp, set_repl, replicate_commands, breakpoint, debug, constants") {
  Env env;
  CHECK(env.Eval("return redis.setresp(4)") == Env::RunErr("return redis.setresp(4)", "ERR RESP version must be 2 or 3."));
  CHECK(env.Eval("return redis.setresp('x')") == Env::RunErr("return redis.setresp('x')", "ERR RESP version must be 2 or 3."));
  CHECK(env.Eval("return redis.setresp()") == Env::RunErr("return redis.setresp()", "ERR redis.setresp() requires one argument."));
  CHECK(env.Eval("return redis.setresp(2,3)") == Env::RunErr("return redis.setresp(2,3)", "ERR redis.setresp() requires one argument."));
  CHECK(env.Eval("return redis.set_repl(redis.REPL_ALL)") == "$-1\r\n");
  CHECK(env.Eval("return redis.set_repl()") == Env::RunErr("return redis.set_repl()", "ERR redis.set_repl() requires two arguments."));
  CHECK(env.Eval("return redis.set_repl(99)") ==
        Env::RunErr("return redis.set_repl(99)",
                    "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."));
  CHECK(env.Eval("return redis.replicate_commands()") == ":1\r\n");
  CHECK(env.Eval("return {redis.breakpoint()}") == "*1\r\n$-1\r\n");
  CHECK(env.Eval("return redis.debug('x')") == "$-1\r\n");
  CHECK(env.Eval("return {redis.REPL_ALL, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_NONE}") ==
        "*5\r\n:3\r\n:1\r\n:2\r\n:2\r\n:0\r\n");
  CHECK(env.Eval("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}") ==
        "*4\r\n:0\r\n:1\r\n:2\r\n:3\r\n");
  CHECK(env.Eval("return redis.REDIS_VERSION") == "$6\r\n7.0.15\r\n");
  CHECK(env.Eval("return redis.REDIS_VERSION_NUM") == ":458767\r\n");
}

TEST_CASE("redis.acl_check_cmd asks the host") {
  Env env;
  CHECK(env.Eval("return redis.acl_check_cmd('get','x')") == ":1\r\n");
  CHECK(env.host.acl_calls.back() == std::vector<std::string>{"get", "x"});
  CHECK(env.Eval("return redis.acl_check_cmd('denied')") == "$-1\r\n");
  CHECK(env.Eval("return redis.acl_check_cmd('nosuch')") ==
        Env::RunErr("return redis.acl_check_cmd('nosuch')", "ERR Invalid command passed to redis.acl_check_cmd()"));
  CHECK(env.Eval("return redis.acl_check_cmd()") ==
        Env::RunErr("return redis.acl_check_cmd()", "ERR Please specify at least one argument for this redis lib call"));
}

TEST_CASE("Kill stops an endless script from another thread") {
  EngineOptions options;
  options.busy_threshold = std::chrono::milliseconds(0);
  options.hook_instructions = 1000;
  Env env(options);
  CHECK_FALSE(env.engine.Kill());  // nothing runs: NOTBUSY for the wiring
  std::atomic<bool> killed{false};
  std::thread killer([&] {
    while (!env.engine.busy()) std::this_thread::yield();
    killed = env.engine.Kill();
  });
  const std::string body = "local i = 0 while true do i = i + 1 end";
  const std::string out = env.Eval(body);
  killer.join();
  CHECK(killed);
  CHECK(out == Env::RunErr(body, "ERR Script killed by user with SCRIPT KILL..."));
  CHECK(env.host.busy_calls > 0);
  CHECK_FALSE(env.engine.running());
  CHECK_FALSE(env.engine.busy());
  // The engine runs the next script normally.
  CHECK(env.Eval("return 1") == ":1\r\n");
}

TEST_CASE("A kill cannot be swallowed by pcall; OnBusy may kill from the script's thread") {
  EngineOptions options;
  options.busy_threshold = std::chrono::milliseconds(0);
  options.hook_instructions = 1000;
  Env env(options);
  env.host.on_busy = [&] { env.engine.Kill(); };
  const std::string body = "while true do pcall(function() while true do end end) end";
  CHECK(env.Eval(body) == Env::RunErr(body, "ERR Script killed by user with SCRIPT KILL..."));
  env.host.on_busy = nullptr;
  const int before = env.host.busy_calls;
  // Below the threshold the hook stays silent.
  EngineOptions quiet;
  quiet.busy_threshold = std::chrono::hours(1);
  Env env2(quiet);
  CHECK(env2.Eval("local s = 0 for i = 1, 1000000 do s = s + i end return s") == ":500000500000\r\n");
  CHECK(env2.host.busy_calls == 0);
  CHECK(env.host.busy_calls == before);
}

TEST_CASE("Memory: a script that builds a huge table fails instead of growing without bound") {
  EngineOptions options;
  options.memory_limit = 16u << 20;
  Env env(options);
  const size_t base = env.engine.memory_used();
  CHECK(base < (1u << 20));
  const std::string body = "local t = {} for i = 1, 1e9 do t[i] = i end";
  CHECK(env.Eval(body) == "-ERR Error running script " + Sha1Hex(body) + ", not enough memory\r\n");
  CHECK(env.engine.memory_used() < base + (1u << 20));  // the garbage was collected
  const std::string rep = "return string.rep('x', 1e9)";
  CHECK(env.Eval(rep) == "-ERR Error running script " + Sha1Hex(rep) + ", not enough memory\r\n");
  // Within the limit, scripts work as before.
  CHECK(env.Eval("local t = {} for i = 1, 100000 do t[i] = i end return #t") == ":100000\r\n");
  // A command reply larger than the limit fails the call inside the script.
  const std::string big = "return #redis.call('many', 40000, 1000)";
  CHECK(env.Eval(big) == Env::RunErr(big, "ERR user_script:1: not enough memory"));
  CHECK(env.engine.memory_used() < base + (1u << 20));
  CHECK(env.Eval("return #redis.call('many', 1000, 1000)") == ":1000\r\n");
  // Arguments larger than the limit leave the script no room, and nothing breaks.
  const std::string huge(20u << 20, 'a');
  const std::string concat = "return #(ARGV[1] .. 'x')";
  CHECK(env.Eval(concat, {}, {huge}) == "-ERR Error running script " + Sha1Hex(concat) + ", not enough memory\r\n");
  CHECK(env.Eval("return 7") == ":7\r\n");
  // A collector stopped by one script runs again for the next, whose garbage then fits.
  CHECK(env.Eval("collectgarbage('stop') return 1") == ":1\r\n");
  CHECK(env.Eval("for i = 1, 2000000 do local t = {i} end return 2") == ":2\r\n");
  CHECK(env.Eval("collectgarbage('setpause', 100000) return 1") == ":1\r\n");
  CHECK(env.Eval("for i = 1, 2000000 do local t = {i} end return 3") == ":3\r\n");
}

}  // namespace
}  // namespace kv::scripting
