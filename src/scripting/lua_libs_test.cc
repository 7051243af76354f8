// cjson, bit and math.random as Redis scripts see them (expected values from redis-server 7.0.15).
#include <doctest/doctest.h>

#include "scripting/fake_host_test.h"

namespace kv::scripting {
namespace {

using testing::Env;

TEST_CASE("cjson round trips and reports errors") {
  Env env;
  CHECK(env.Eval("return cjson.encode({1,2,{a='b'}})") == "$15\r\n[1,2,{\"a\":\"b\"}]\r\n");
  CHECK(env.Eval("return cjson.decode('[1,2,{\"a\":\"b\"}]')[3].a") == "$1\r\nb\r\n");
  CHECK(env.Eval("local v = cjson.decode(cjson.encode({k={1,2,3}, s='x\\ny'})) return {v.k[3], v.s}") ==
        "*2\r\n:3\r\n$3\r\nx\ny\r\n");
  CHECK(env.Eval("return cjson.encode(cjson.decode('null')) ") == "$4\r\nnull\r\n");
  const std::string bad = "return cjson.decode('{')";
  CHECK(env.Eval(bad) == Env::RunErr(bad, "ERR user_script:1: Expected object key string but found T_END at character 2"));
}

TEST_CASE("bit") {
  Env env;
  CHECK(env.Eval("return bit.band(0xff, 0x0f)") == ":15\r\n");
  CHECK(env.Eval("return bit.tohex(65535)") == "$8\r\n0000ffff\r\n");
  CHECK(env.Eval("return {bit.bor(1, 2), bit.bxor(3, 1), bit.lshift(1, 4), bit.rshift(-1, 28), bit.bnot(0)}") ==
        "*5\r\n:3\r\n:2\r\n:16\r\n:15\r\n:-1\r\n");
}

TEST_CASE("cmsgpack and struct are not there (no Debian package)") {
  Env env;
  for (std::string_view name : {"cmsgpack", "struct"}) {
    const std::string body = "return " + std::string(name);
    CHECK(env.Eval(body) == Env::RunErr(body, "ERR user_script:1: Script attempted to access nonexistent global variable '" +
                                                  std::string(name) + "'"));
  }
}

TEST_CASE("math.random is Redis's generator: the same sequence in every new state") {
  Env env;
  CHECK(env.Eval("return math.random()") == ":0\r\n");
  CHECK(env.Eval("return {math.random(1000), math.random(1000), math.random(1000)}") ==
        "*3\r\n:841\r\n:354\r\n:447\r\n");
  CHECK(env.Eval("math.randomseed(7) return {math.random(1000), math.random(1000)}") ==
        "*2\r\n:267\r\n:683\r\n");
  CHECK(env.Eval("return tostring(math.random())") == "$16\r\n0.26549059351231\r\n");
  CHECK(env.Eval("return math.random(0)") ==
        Env::RunErr("return math.random(0)", "ERR user_script:1: bad argument #1 to 'random' (interval is empty)"));
  CHECK(env.Eval("return math.random(1,2,3)") ==
        Env::RunErr("return math.random(1,2,3)", "ERR user_script:1: wrong number of arguments"));
  CHECK(env.Eval("return math.random(5, 5)") == ":5\r\n");
  Env fresh;
  CHECK(fresh.Eval("return math.random(100)") == ":40\r\n");
}

}  // namespace
}  // namespace kv::scripting
