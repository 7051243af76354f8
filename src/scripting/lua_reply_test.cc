// Both conversion directions, RESP2 and RESP3, against the bytes redis-server 7.0.15 writes for
// the same scripts (the expected strings were taken from it).
#include "scripting/lua_reply.h"

#include <doctest/doctest.h>

#include "scripting/fake_host_test.h"

namespace kv::scripting {
namespace {

using testing::Env;

TEST_CASE("Lua values to RESP2 replies") {
  Env env;
  CHECK(env.Eval("return 'a\\0b'") == std::string("$3\r\na\0b\r\n", 9));
  CHECK(env.Eval("return 3.99") == ":3\r\n");
  CHECK(env.Eval("return -3.99") == ":-3\r\n");
  CHECK(env.Eval("return 1e20") == ":-9223372036854775808\r\n");
  CHECK(env.Eval("return -1e20") == ":-9223372036854775808\r\n");
  CHECK(env.Eval("return 0/0") == ":-9223372036854775808\r\n");
  CHECK(env.Eval("return 1/0") == ":-9223372036854775808\r\n");
  CHECK(env.Eval("return true") == ":1\r\n");
  CHECK(env.Eval("return false") == "$-1\r\n");
  CHECK(env.Eval("return nil") == "$-1\r\n");
  CHECK(env.Eval("return print ~= nil") == "-ERR user_script:1: Script attempted to access nonexistent global variable 'print'" + Env::At("return print ~= nil") + "\r\n");
  CHECK(env.Eval("return function() end") == "$-1\r\n");
  CHECK(env.Eval("return {}") == "*0\r\n");
  CHECK(env.Eval("return {1,2,3,nil,4}") == "*3\r\n:1\r\n:2\r\n:3\r\n");
  CHECK(env.Eval("return {1,'a',{2,3},true,false}") ==
        "*5\r\n:1\r\n$1\r\na\r\n*2\r\n:2\r\n:3\r\n:1\r\n$-1\r\n");
  CHECK(env.Eval("return {1, 2, x=3}") == "*2\r\n:1\r\n:2\r\n");
  CHECK(env.Eval("return {a=1}") == "*0\r\n");
}

TEST_CASE("Lua tables with err, ok, double, map, set, big_number, verbatim_string fields") {
  Env env;
  CHECK(env.Eval("return {err='x y'}") == "-x y\r\n");
  CHECK(env.Eval("return {ok='fine'}") == "+fine\r\n");
  CHECK(env.Eval("return {ok='a\\r\\nb'}") == "+a  b\r\n");
  CHECK(env.Eval("return {err=5}") == "*0\r\n");
  CHECK(env.Eval("return {ok=5}") == "*0\r\n");
  CHECK(env.Eval("return {ok='a', err='b'}") == "-b\r\n");
  CHECK(env.Eval("return {1, {err='e'}, {ok='o'}}") == "*3\r\n:1\r\n-e\r\n+o\r\n");
  // A RESP2 client gets RESP2 shapes of the RESP3 types.
  CHECK(env.Eval("return {double=3.5}") == "$3\r\n3.5\r\n");
  CHECK(env.Eval("return {map={a=1}}") == "*2\r\n$1\r\na\r\n:1\r\n");
  CHECK(env.Eval("return {set={a=true}}") == "*1\r\n$1\r\na\r\n");
  CHECK(env.Eval("return {big_number='123'}") == "$3\r\n123\r\n");
  CHECK(env.Eval("return {verbatim_string={format='txt', string='hi'}}") == "$2\r\nhi\r\n");
  // Metatables are not consulted (rawget), as in Redis.
  CHECK(env.Eval("return setmetatable({}, {__index={ok='no'}})") == "*0\r\n");
}

TEST_CASE("Lua values to RESP3 replies, with and without redis.setresp(3)") {
  Env env;
  CHECK(env.Eval3("return false") == "_\r\n");  // a RESP2 script's false is the client's null
  CHECK(env.Eval3("return true") == ":1\r\n");
  CHECK(env.Eval3("redis.setresp(3) return true") == "#t\r\n");
  CHECK(env.Eval3("redis.setresp(3) return false") == "#f\r\n");
  CHECK(env.Eval("redis.setresp(3) return true") == ":1\r\n");
  CHECK(env.Eval("redis.setresp(3) return false") == ":0\r\n");
  CHECK(env.Eval3("return {double=3.5}") == ",3.5\r\n");
  CHECK(env.Eval3("return {map={a=1}}") == "%1\r\n$1\r\na\r\n:1\r\n");
  CHECK(env.Eval3("return {set={a=true}}") == "~1\r\n$1\r\na\r\n");
  CHECK(env.Eval3("return {verbatim_string={format='txt', string='hi'}}") == "=6\r\ntxt:hi\r\n");
  CHECK(env.Eval3("return nil") == "_\r\n");
}

TEST_CASE("A table that contains itself ends in 'reached lua stack limit'") {
  Env env;
  const std::string out = env.Eval("local t = {} t[1] = t return t");
  CHECK(out.starts_with("*1\r\n*1\r\n"));
  CHECK(out.ends_with("-ERR reached lua stack limit\r\n"));
}

TEST_CASE("RESP2 replies of every type to Lua values") {
  Env env;
  CHECK(env.Eval("return redis.call('int')") == ":42\r\n");
  CHECK(env.Eval("return type(redis.call('int'))") == "$6\r\nnumber\r\n");
  CHECK(env.Eval("return redis.call('neg')") == ":-7\r\n");
  CHECK(env.Eval("return redis.call('bulk')") == std::string("$3\r\na\0b\r\n", 9));
  CHECK(env.Eval("local v = redis.call('nil') return {type(v), tostring(v)}") ==
        "*2\r\n$7\r\nboolean\r\n$5\r\nfalse\r\n");
  CHECK(env.Eval("return tostring(redis.call('nilarray'))") == "$5\r\nfalse\r\n");
  CHECK(env.Eval("return redis.call('status')") == "+PONG\r\n");
  CHECK(env.Eval("return redis.call('status').ok") == "$4\r\nPONG\r\n");
  CHECK(env.Eval("return redis.call('array')") == "*4\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n*1\r\n:3\r\n");
  CHECK(env.Eval("return redis.call('empty')") == "*0\r\n");
  // RESP2 has no maps, sets, doubles, booleans or verbatim strings: the command's RESP2 shapes.
  CHECK(env.Eval("return redis.call('map')") == "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*0\r\n");
  CHECK(env.Eval("return redis.call('set')") == "*2\r\n$1\r\nm\r\n$1\r\nn\r\n");
  CHECK(env.Eval("return redis.call('double')") == "$3\r\n1.5\r\n");
  CHECK(env.Eval("return redis.call('doubletext')") == "$3\r\n0.1\r\n");
  CHECK(env.Eval("return {redis.call('true'), redis.call('false')}") == "*2\r\n:1\r\n:0\r\n");
  CHECK(env.Eval("return redis.call('verbatim')") == "$4\r\ntext\r\n");
  CHECK(env.Eval("return redis.pcall('nested')") == "*2\r\n-ERR inner\r\n+OK\r\n");
  CHECK(env.Eval("return redis.call('deferred')") ==
        "*3\r\n:1\r\n*2\r\n$1\r\nx\r\n*1\r\n:2\r\n*0\r\n");
  CHECK(env.Eval("return {redis.call('deferred'), 4}") ==
        "*2\r\n*3\r\n:1\r\n*2\r\n$1\r\nx\r\n*1\r\n:2\r\n*0\r\n:4\r\n");
  CHECK(env.Eval("return redis.call('nested')[1].err") == "$9\r\nERR inner\r\n");
  CHECK(env.host.resps.back() == 2);
}

TEST_CASE("RESP3 replies of every type to Lua values after redis.setresp(3)") {
  Env env;
  CHECK(env.Eval("redis.setresp(3) local v = redis.call('nil') return type(v)") == "$3\r\nnil\r\n");
  CHECK(env.host.resps.back() == 3);
  CHECK(env.Eval("redis.setresp(3) return type(redis.call('nilarray'))") == "$3\r\nnil\r\n");
  CHECK(env.Eval("redis.setresp(3) local m = redis.call('map').map return {m.a, #m.b}") ==
        "*2\r\n:1\r\n:0\r\n");
  CHECK(env.Eval("redis.setresp(3) local s = redis.call('set').set return {s.m, s.n, s.x}") ==
        "*2\r\n:1\r\n:1\r\n");
  CHECK(env.Eval("redis.setresp(3) return redis.call('double').double * 2") == ":3\r\n");
  CHECK(env.Eval("redis.setresp(3) return tostring(redis.call('doubletext').double)") ==
        "$3\r\n0.1\r\n");
  CHECK(env.Eval("redis.setresp(3) return {type(redis.call('true')), tostring(redis.call('false'))}") ==
        "*2\r\n$7\r\nboolean\r\n$5\r\nfalse\r\n");
  CHECK(env.Eval("redis.setresp(3) local v = redis.call('verbatim').verbatim_string return {v.format, v.string}") ==
        "*2\r\n$3\r\ntxt\r\n$4\r\ntext\r\n");
  // Handed back to a RESP3 client, the tables become the RESP3 types again.
  CHECK(env.Eval3("redis.setresp(3) return redis.call('set')").starts_with("~2\r\n"));
  CHECK(env.Eval3("redis.setresp(3) return redis.call('double')") == ",1.5\r\n");
  CHECK(env.Eval3("redis.setresp(3) return redis.call('verbatim')") == "=8\r\ntxt:text\r\n");
  // Each script starts in RESP2 again.
  CHECK(env.Eval("return type(redis.call('nil'))") == "$7\r\nboolean\r\n");
  CHECK(env.host.resps.back() == 2);
}

TEST_CASE("Replies the Lua stack cannot hold, and host bugs, become errors") {
  Env env;
  CHECK(env.Eval("return redis.pcall('deep')") == "-ERR reached lua stack limit\r\n");
  const std::string deep = "return redis.call('deep')";
  CHECK(env.Eval(deep) == Env::RunErr(deep, "ERR reached lua stack limit"));
  CHECK(env.Eval("return redis.pcall('silent')") == "-ERR the command sent no reply\r\n");
  // A null map key (RESP3) cannot index a Lua table: that pair is dropped.
  CHECK(env.Eval("redis.setresp(3) local m = redis.call('nilkey').map local n = 0 "
                 "for k, v in pairs(m) do n = n + 1 end return {n, m.b}") == "*2\r\n:1\r\n:2\r\n");
  CHECK(env.Eval("return 1") == ":1\r\n");
}

TEST_CASE("PushErrorTable follows luaPushErrorBuff") {
  Env env;
  CHECK(env.Eval("return redis.error_reply('My Error')") == "-My Error\r\n");
  CHECK(env.Eval("return redis.error_reply('-My Error')") == "-My Error\r\n");
  CHECK(env.Eval("return redis.error_reply('')") == "-ERR \r\n");
  CHECK(env.Eval("return redis.error_reply('-ERR')") == "-ERR ERR\r\n");
  CHECK(env.Eval("return redis.error_reply('-CODE msg\\r\\n')") == "-CODE msg\r\n");
  CHECK(env.Eval("return redis.error_reply('x').err") == "$5\r\nERR x\r\n");
}

}  // namespace
}  // namespace kv::scripting
