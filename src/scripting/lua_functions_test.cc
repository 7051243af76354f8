// Function libraries on one engine: the load environment, register_function's forms and errors,
// calls with KEYS and ARGV as arguments, reloads and drops (texts as redis-server 7.0.15).
#include <doctest/doctest.h>

#include "scripting/fake_host_test.h"
#include "scripting/lua_engine.h"

namespace kv::scripting {
namespace {

using testing::Env;

struct Loaded {
  bool ok;
  std::string err;
  std::vector<FunctionDef> fns;
};

Loaded Load(Env& env, std::string_view code, const std::string& lib = "lib", uint64_t gen = 1) {
  Loaded r;
  r.ok = env.engine.LoadLibrary(lib, gen, code, &r.fns, &r.err);
  return r;
}

std::string Call(Env& env, const std::string& fn, std::vector<std::string_view> keys = {},
                 std::vector<std::string_view> args = {}, const std::string& lib = "lib") {
  std::string out;
  resp::RespWriter w(&out);
  env.engine.CallFunction(lib, fn, keys, args, w);
  return out;
}

TEST_CASE("A library registers functions in both forms, with flags and description") {
  Env env;
  Loaded r = Load(env,
                  "\nlocal function helper(k) return redis.call('GET', k) end\n"
                  "redis.register_function('get', function(keys, args) return helper(keys[1]) end)\n"
                  "redis.register_function{function_name='args', description='d',\n"
                  "  flags={'no-writes', 'allow-stale'}, callback=function(keys, args)\n"
                  "  return {#keys, #args, args[1]} end}\n");
  REQUIRE(r.ok);
  REQUIRE(r.fns.size() == 2);
  CHECK(r.fns[0].name == "get");
  CHECK(r.fns[0].flags == 0);
  CHECK(r.fns[1].description == "d");
  CHECK(r.fns[1].flags == (kFnNoWrites | kFnAllowStale));
  // A helper defined at load time reaches redis.call when a function calls it.
  CHECK(Call(env, "get", {"k"}) == "$5\r\nvalue\r\n");
  CHECK(env.host.calls.back() == std::vector<std::string>{"GET", "k"});
  CHECK(Call(env, "args", {"a", "b"}, {"x"}) == "*3\r\n:2\r\n:1\r\n$1\r\nx\r\n");
  CHECK(Call(env, "nope") == "-ERR Function not found\r\n");
  // KEYS and ARGV are not globals for a function.
  REQUIRE(Load(env, "\nredis.register_function('g', function() return KEYS end)", "g").ok);
  CHECK(Call(env, "g", {"a"}, {}, "g") ==
        "-ERR user_function:2: Script attempted to access nonexistent global variable 'KEYS' "
        "script: g, on @user_function:2.\r\n");
}

TEST_CASE("Loading sees only register_function, log and the constants") {
  Env env;
  Loaded r = Load(env, "\nredis.call('PING')");
  CHECK(r.err ==
        "Error registering functions: ERR user_function:2: Script attempted to access "
        "nonexistent global variable 'call'");
  CHECK(Load(env, "\nlocal x = pairs").err ==
        "Error registering functions: ERR user_function:2: Script attempted to access "
        "nonexistent global variable 'pairs'");
  CHECK(Load(env, "\nfoo = 1").err ==
        "Error registering functions: ERR user_function:2: Attempt to modify a readonly table");
  CHECK(Load(env, "\nx y").err == "Error compiling function: user_function:2: '=' expected near 'y'");
  CHECK(Load(env, "\nreturn 1").err == "No functions registered");
  Loaded ok = Load(env, "\nredis.log(redis.LOG_WARNING, redis.REDIS_VERSION)\n"
                        "redis.register_function('v', function() return 1 end)");
  CHECK(ok.ok);
  REQUIRE(!env.host.logs.empty());
  CHECK(env.host.logs.back().second == "7.0.15");
  // At run time register_function is gone.
  REQUIRE(Load(env, "\nredis.register_function('r', function() redis.register_function('x', "
                    "function() end) end)", "r").ok);
  CHECK(Call(env, "r", {}, {}, "r") ==
        "-ERR user_function:2: attempt to call field 'register_function' (a nil value) script: "
        "r, on @user_function:2.\r\n");
}

TEST_CASE("register_function's argument errors") {
  Env env;
  auto err = [&](std::string_view body) {
    return Load(env, std::string("\n") + std::string(body)).err;
  };
  const std::string p = "Error registering functions: ERR ";
  CHECK(err("redis.register_function()") == p + "wrong number of arguments to redis.register_function");
  CHECK(err("redis.register_function('a')") ==
        p + "calling redis.register_function with a single argument is only applicable to Lua "
            "table (representing named arguments).");
  CHECK(err("redis.register_function('a', 1)") ==
        p + "second argument to redis.register_function must be a function");
  CHECK(err("redis.register_function({}, 2)") ==
        p + "first argument to redis.register_function must be a string");
  CHECK(err("redis.register_function{function_name='a'}") ==
        p + "redis.register_function must get a callback argument");
  CHECK(err("redis.register_function{callback=function() end}") ==
        p + "redis.register_function must get a function name argument");
  CHECK(err("redis.register_function{function_name='a', callback=function() end, x=1}") ==
        p + "unknown argument given to redis.register_function");
  CHECK(err("redis.register_function{function_name='a', callback=function() end, flags='x'}") ==
        p + "flags argument to redis.register_function must be a table representing function "
            "flags");
  CHECK(err("redis.register_function{function_name='a', callback=function() end, flags={'x'}}") ==
        p + "unknown flag given");
  CHECK(err("redis.register_function('a-b', function() end)") ==
        p + "Library names can only contain letters, numbers, or underscores(_) and must be at "
            "least one character long");
  CHECK(err("redis.register_function('a', function() end) redis.register_function('A', "
            "function() end)") == p + "Function already exists in the library");
}

TEST_CASE("A load that never ends times out; a reload replaces, a drop frees") {
  Env env;
  CHECK(Load(env, "\nwhile true do end").err ==
        "Error registering functions: ERR FUNCTION LOAD timeout");
  REQUIRE(Load(env, "\nredis.register_function('f', function() return 1 end)", "lib", 1).ok);
  CHECK(env.engine.HasLibrary("lib", 1));
  REQUIRE(Load(env, "\nredis.register_function('f', function() return 2 end)", "lib", 2).ok);
  CHECK(!env.engine.HasLibrary("lib", 1));
  CHECK(Call(env, "f") == ":2\r\n");
  env.engine.DropLibraries([](const std::string&, uint64_t) { return false; });
  CHECK(!env.engine.HasLibrary("lib", 2));
  CHECK(Call(env, "f") == "-ERR Function not found\r\n");
}

}  // namespace
}  // namespace kv::scripting
