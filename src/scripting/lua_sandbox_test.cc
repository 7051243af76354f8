// The sandbox: what scripts cannot reach or change, with redis-server 7.0.15's error texts.
#include "scripting/lua_sandbox.h"

#include <doctest/doctest.h>

#include "scripting/fake_host_test.h"

namespace kv::scripting {
namespace {

using testing::Env;

std::string Nonexistent(std::string_view body, std::string_view name) {
  return Env::RunErr(body, "ERR user_script:1: Script attempted to access nonexistent global variable '" +
                               std::string(name) + "'");
}

TEST_CASE("Libraries and functions Redis removes are not reachable") {
  Env env;
  for (std::string_view name : {"print", "os", "io", "loadfile", "dofile", "package", "require",
                                "module", "debug", "setfenv", "getfenv", "newproxy", "y"}) {
    const std::string body = "return " + std::string(name);
    CHECK(env.Eval(body) == Nonexistent(body, name));
  }
  CHECK(env.Eval("return _G.y") == Nonexistent("return _G.y", "y"));
  CHECK(env.Eval("print('x')") == Nonexistent("print('x')", "print"));
  for (std::string_view name : {"load", "loadstring", "gcinfo", "collectgarbage", "pcall", "unpack"}) {
    CHECK(env.Eval("return type(" + std::string(name) + ")") == "$8\r\nfunction\r\n");
  }
  for (std::string_view name : {"coroutine", "string", "table", "math", "cjson", "bit", "cmsgpack", "redis"}) {
    CHECK(env.Eval("return type(" + std::string(name) + ")") == "$5\r\ntable\r\n");
  }
  CHECK(env.Eval("return _VERSION") == "$7\r\nLua 5.1\r\n");
}

TEST_CASE("Globals and library tables are read-only") {
  Env env;
  auto readonly = [&](std::string_view body, bool with_position) {
    CHECK(env.Eval(body) == Env::RunErr(body, with_position ? "ERR user_script:1: Attempt to modify a readonly table"
                                                            : "ERR Attempt to modify a readonly table"));
  };
  readonly("x = 1", true);
  readonly("KEYS = {}", true);
  readonly("string.x = 1 return 1", true);
  readonly("redis.call = nil", true);
  readonly("cjson.encode = nil", true);
  readonly("cmsgpack.pack = nil", true);
  readonly("_G.redis = nil", true);
  readonly("getmetatable('').__index = nil", true);
  readonly("local function f() y = 2 end f()", true);
  // Writes that skip __newindex fail too, without a position, as in Redis.
  readonly("return rawset(_G, 'x', 1)", false);
  readonly("return setmetatable(_G, nil)", false);
  readonly("return table.insert(_G, 1)", false);
  readonly("return table.insert(string, 'x')", false);
  // table.remove and table.sort find no array part and write nothing (Redis returns nil too).
  CHECK(env.Eval("return table.remove(redis)") == "$-1\r\n");
  CHECK(env.Eval("return table.sort(math)") == "$-1\r\n");
  // Ordinary tables are untouched by the guards.
  CHECK(env.Eval("local t = {} rawset(t, 'a', 1) table.insert(t, 5) table.sort(t) return {t.a, t[1]}") ==
        "*2\r\n:1\r\n:5\r\n");
  CHECK(env.Eval("return getmetatable(_G)") == "*0\r\n");
  readonly("getmetatable(_G).__index = nil", true);
  CHECK(env.Eval("return getmetatable(getmetatable(_G))") == "$-1\r\n");
  CHECK(env.Eval("return getmetatable('').__index == string") == ":1\r\n");
  // No metatable leads to a real library table: a write through one would outlive the script.
  for (std::string_view lib : {"string", "table", "math", "redis", "cjson", "bit", "cmsgpack", "coroutine"}) {
    const std::string name(lib);
    CHECK(env.Eval("local mt = getmetatable(" + name + ") if mt then mt.__index.kv_x = 1 end return type(mt)") ==
          "$7\r\nboolean\r\n");
    CHECK(env.Eval("return " + name + ".kv_x") == "$-1\r\n");
  }
  readonly("getmetatable('').__index.kv_x = 1", true);
  CHECK(env.Eval("return type(getmetatable(_G).__index)") == "$8\r\nfunction\r\n");
  CHECK(env.Eval("return ('abc'):upper()") == "$3\r\nABC\r\n");
  // Nothing a script tried leaked into the next one.
  CHECK(env.Eval("return type(redis.call)") == "$8\r\nfunction\r\n");
  CHECK(env.Eval("return _G.redis == redis") == ":1\r\n");
  CHECK(env.Eval("return x") == Nonexistent("return x", "x"));
}

TEST_CASE("Bytecode is refused; loaded text runs in the sandbox") {
  Env env;
  CHECK(env.Eval("local f, e = loadstring(string.dump(function() return 1 end)) return e") ==
        "$53\r\n[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'\r\n");
  CHECK(env.Eval("local f, e = load(function() return nil end) return type(f)") == "$8\r\nfunction\r\n");
  CHECK(env.Eval("local s = string.dump(function() return 1 end) local done = false "
                 "local f, e = load(function() if done then return nil end done = true return s end) "
                 "return e") ==
        "$43\r\n(load):1: unexpected symbol near 'char(27)'\r\n");
  CHECK(env.Eval(std::string("\x1bLuaQ\x00\x01\x04", 8)) ==
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near 'char(27)'\r\n");
  CHECK(env.Eval("return loadstring('return 5')()") == ":5\r\n");
  CHECK(env.Eval("return loadstring('return 1 +')") == "$-1\r\n");
  // The error names the loaded chunk, whose source is its own text.
  const std::string write = "local f = loadstring('x = 1') f()";
  CHECK(env.Eval(write) == "-ERR [string \"x = 1\"]:1: Attempt to modify a readonly table script: " +
                               Sha1Hex(write) + ", on x = 1:1.\r\n");
  const std::string read = "return loadstring('return print')()";
  CHECK(env.Eval(read) ==
        "-ERR [string \"return print\"]:1: Script attempted to access nonexistent global variable 'print' script: " +
            Sha1Hex(read) + ", on return print:1.\r\n");
}

}  // namespace
}  // namespace kv::scripting
