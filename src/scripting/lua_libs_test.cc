// cjson, bit, struct and math.random as Redis scripts see them (expected values and bytes from
// redis-server 7.0.15).
#include <doctest/doctest.h>

#include "scripting/fake_host_test.h"

namespace kv::scripting {
namespace {

using testing::Env;
using namespace std::string_literals;

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

TEST_CASE("struct packs, unpacks and sizes as Redis's struct library") {
  Env env;
  CHECK(env.Eval("return struct.pack('>i2', 258)") == "$2\r\n\x01\x02\r\n"s);
  CHECK(env.Eval("return struct.pack('<i2', 258)") == "$2\r\n\x02\x01\r\n"s);
  CHECK(env.Eval("return struct.pack('!4bi', 1, 2)") ==
        "$8\r\n\x01\x00\x00\x00\x02\x00\x00\x00\r\n"s);
  CHECK(env.Eval("return struct.pack('s', 'ab')") == "$3\r\nab\x00\r\n"s);
  CHECK(env.Eval("return {struct.unpack('>i4', '\\255\\255\\255\\254')}") == "*2\r\n:-2\r\n:5\r\n");
  CHECK(env.Eval("return {struct.unpack('bc0', '\\3abcd')}") == "*2\r\n$3\r\nabc\r\n:5\r\n");
  CHECK(env.Eval("return {struct.unpack('s', 'ab\\0cd')}") == "*2\r\n$2\r\nab\r\n:4\r\n");
  CHECK(env.Eval("return struct.size('!bhilTfd')") == ":40\r\n");
  CHECK(env.Eval("return struct.size('bhilTfd')") == ":35\r\n");
  const std::string short_data = "return struct.unpack('>i2', 'x')";
  CHECK(env.Eval(short_data) == Env::RunErr(short_data,
        "ERR user_script:1: bad argument #2 to 'unpack' (data string too short)"));
  const std::string bad_align = "return struct.size('!3i')";
  CHECK(env.Eval(bad_align) == Env::RunErr(bad_align,
        "ERR user_script:1: alignment 3 is not a power of 2"));
  const std::string missing = "return struct.pack('i')";
  CHECK(env.Eval(missing) == Env::RunErr(missing,
        "ERR user_script:1: bad argument #2 to 'pack' (number expected, got nil)"));
  const std::string sealed = "struct.pack = nil";
  CHECK(env.Eval(sealed) == Env::RunErr(sealed,
        "ERR user_script:1: Attempt to modify a readonly table"));
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
