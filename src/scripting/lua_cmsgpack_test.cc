// cmsgpack as Redis scripts see it (expected bytes and texts from redis-server 7.0.15; the
// differential test test_lua_cmsgpack.py compares many more scripts with a live redis-server).
#include <doctest/doctest.h>

#include "scripting/fake_host_test.h"

namespace kv::scripting {
namespace {

using testing::Env;
using namespace std::string_literals;

TEST_CASE("cmsgpack packs as lua_cmsgpack and round trips") {
  Env env;
  CHECK(env.Eval("return cmsgpack.pack({1,2,3})") == "$4\r\n\x93\x01\x02\x03\r\n");
  CHECK(env.Eval("return cmsgpack.pack(1.5, 'a', {a=1})") ==
        "$11\r\n\xca?\xc0\x00\x00\xa1" "a\x81\xa1" "a\x01\r\n"s);
  CHECK(env.Eval("return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1,2}))}") ==
        "*3\r\n:1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n");
  CHECK(env.Eval("return cmsgpack.pack(0.1, -1, 300, {})") ==
        "$14\r\n\xcb?\xb9\x99\x99\x99\x99\x99\x9a\xff\xcd\x01,\x90\r\n"s);
  CHECK(env.Eval("return cmsgpack.pack(-200, 70000, 5000000000, -5000000000, 1/0)") ==
        "$31\r\n\xd1\xff" "8\xce\x00\x01\x11p\xcf\x00\x00\x00\x01*\x05\xf2\x00\xd3\xff\xff\xff\xfe\xd5\xfa"
        "\x0e\x00\xca\x7f\x80\x00\x00\r\n"s);
  CHECK(env.Eval("local t = cmsgpack.unpack(cmsgpack.pack({k={1,2,{x='y'}}, s=string.rep('z', 40)})) "
                 "return {t.k[3].x, #t.s}") == "*2\r\n$1\r\ny\r\n:40\r\n");
  CHECK(env.Eval("return select('#', cmsgpack.unpack(cmsgpack.pack(nil, 1)))") == ":2\r\n");
  CHECK(env.Eval("return cmsgpack.pack(string.rep('x', 40)):byte(1)") == ":217\r\n");  // str8
  CHECK(env.Eval("return type(require)") == Env::RunErr("return type(require)",
        "ERR user_script:1: Script attempted to access nonexistent global variable 'require'"));
}

TEST_CASE("cmsgpack picks the smallest integer, str, array and map headers") {
  Env env;
  CHECK(env.Eval("return cmsgpack.pack(127, 128, 255, 256, 65535, 65536, -32, -33, -128, -129)") ==
        "$24\r\n\x7f\xcc\x80\xcc\xff\xcd\x01\x00\xcd\xff\xff\xce\x00\x01\x00\x00"
        "\xe0\xd0\xdf\xd0\x80\xd1\xff\x7f\r\n"s);
  CHECK(env.Eval("return cmsgpack.pack(-0.0, 2^63, -2^63)") ==
        "$15\r\n\x00\xca\x5f\x00\x00\x00\xd3\x80\x00\x00\x00\x00\x00\x00\x00\r\n"s);
  // Headers: fixstr < 32 <= str8 < 256 <= str16; fixarray < 16 <= array16 < 65536 <= array32.
  CHECK(env.Eval("local s = cmsgpack.pack(string.rep('x', 31), string.rep('x', 32), string.rep('x', 256)) "
                 "return {s:byte(1), s:byte(33), s:byte(33 + 34)}") == "*3\r\n:191\r\n:217\r\n:218\r\n");
  CHECK(env.Eval("local function arr(n) local t = {} for i = 1, n do t[i] = 0 end return t end "
                 "local a, b, c = cmsgpack.pack(arr(15)), cmsgpack.pack(arr(16)), cmsgpack.pack(arr(65536)) "
                 "return a:sub(1, 1) .. b:sub(1, 3) .. c:sub(1, 5)") ==
        "$9\r\n\x9f\xdc\x00\x10\xdd\x00\x01\x00\x00\r\n"s);
  CHECK(env.Eval("return cmsgpack.pack({[1]=1, [3]=3})") == "$5\r\n\x82\x01\x01\x03\x03\r\n"s);
  CHECK(env.Eval("return cmsgpack.pack({[1.5]=true})") == "$7\r\n\x81\xca\x3f\xc0\x00\x00\xc3\r\n"s);
}

TEST_CASE("cmsgpack packs tables nested past 16 levels as nil") {
  Env env;
  CHECK(env.Eval("local t = {} t[1] = t return cmsgpack.pack(t)") ==
        "$17\r\n" + std::string(16, '\x91') + "\xc0\r\n");
}

TEST_CASE("cmsgpack unpacks every type it knows and refuses bin and ext") {
  Env env;
  CHECK(env.Eval("return {cmsgpack.unpack('\\204\\255\\208\\255\\205\\1\\0\\209\\255\\0\\206\\0\\1\\0\\0"
                 "\\210\\255\\255\\255\\0\\224')}") ==
        "*7\r\n:255\r\n:-1\r\n:256\r\n:-256\r\n:65536\r\n:-256\r\n:-32\r\n");
  // A uint64 goes through a signed lua_Integer as in Redis.
  CHECK(env.Eval("return cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')") == ":-1\r\n");
  CHECK(env.Eval("return tostring(cmsgpack.unpack('\\203\\63\\185\\153\\153\\153\\153\\153\\154'))") ==
        "$3\r\n0.1\r\n");
  CHECK(env.Eval("local t = cmsgpack.unpack('\\130\\161a\\1\\161b\\146\\195\\192') "
                 "return {t.a, type(t.b), #t.b, tostring(t.b[1])}") == "*4\r\n:1\r\n$5\r\ntable\r\n:1\r\n$4\r\ntrue\r\n");
  for (const char* bad : {"\\196\\1a", "\\199\\1\\1a", "\\212\\1a", "\\193"}) {
    const std::string script = "return cmsgpack.unpack('"s + bad + "')";
    CHECK(env.Eval(script) == Env::RunErr(script, "ERR user_script:1: Bad data format in input."));
  }
  const std::string truncated = "return cmsgpack.unpack('\\147\\1\\2')";
  CHECK(env.Eval(truncated) == Env::RunErr(truncated, "ERR user_script:1: Missing bytes in input."));
  const std::string nil_key = "return cmsgpack.unpack('\\129\\192\\1')";
  CHECK(env.Eval(nil_key) == Env::RunErr(nil_key, "ERR table index is nil"));
}

TEST_CASE("cmsgpack unpack_one and unpack_limit return the next offset first") {
  Env env;
  CHECK(env.Eval("return {cmsgpack.unpack_one(cmsgpack.pack(1, 'ab', 3))}") == "*2\r\n:1\r\n:1\r\n");
  CHECK(env.Eval("return {cmsgpack.unpack_one(cmsgpack.pack(1, 'ab', 3), 4)}") == "*2\r\n:-1\r\n:3\r\n");
  CHECK(env.Eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 'ab', 3), 2)}") ==
        "*3\r\n:4\r\n:1\r\n$2\r\nab\r\n");
  CHECK(env.Eval("return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2), 0)}") == "*2\r\n:1\r\n:2\r\n");
  const std::string past = "return cmsgpack.unpack_one('ab', 3)";
  CHECK(env.Eval(past) == Env::RunErr(past, "ERR user_script:1: Start offset 3 greater than input length 2."));
  const std::string negative = "return cmsgpack.unpack_limit('abc', -1)";
  CHECK(env.Eval(negative) == Env::RunErr(negative,
        "ERR user_script:1: Invalid request to unpack with offset of 0 and limit of 3."));
  const std::string empty = "return cmsgpack.pack()";
  CHECK(env.Eval(empty) == Env::RunErr(empty,
        "ERR user_script:1: bad argument #0 to 'pack' (MessagePack pack needs input.)"));
  CHECK(env.Eval("return cmsgpack._VERSION") == "$18\r\nlua-cmsgpack 0.4.0\r\n");
}

}  // namespace
}  // namespace kv::scripting
