// String family tests: every command, option and error path, replies compared byte for byte with
// what redis-server 7.0 sends.
#include <doctest/doctest.h>

#include <chrono>
#include <initializer_list>
#include <string>
#include <thread>

#include "commands/command_table.h"
#include "commands/dispatch.h"
#include "core/decimal.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Cat;
using test::Err;
using test::Key;
using test::Harness;
using test::Int;
using test::kNil;
using test::kOk;

std::string Arr(std::initializer_list<std::string> items) {
  std::string out = Cat({"*", std::to_string(items.size()), "\r\n"});
  for (const auto& i : items) out += i;
  return out;
}
// Reads ":<n>\r\n".
long long AsInt(const std::string& reply) {
  REQUIRE(reply.size() > 3);
  REQUIRE(reply[0] == ':');
  return std::stoll(reply.substr(1));
}
std::string Str(long long v) { return std::to_string(v); }

// Two keys that land on different shards of the harness's keyspace, and two on the same one.
std::pair<std::string, std::string> KeysOnShards(Harness& h, bool same,
                                                 const std::string& prefix = "key:") {
  Keyspace& ks = *h.client().ns;
  const std::string a = Key(prefix, 0);
  for (int i = 1; i < 1000; ++i) {
    std::string b = Key(prefix, i);
    if ((ks.ShardIndex(a) == ks.ShardIndex(b)) == same) return {a, b};
  }
  FAIL("no such key pair");
  return {};
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

const std::string kSyntax = Err("ERR syntax error");
const std::string kNotInt = Err("ERR value is not an integer or out of range");
const std::string kNotFloat = Err("ERR value is not a valid float");

// ------------------------------------------------------------------------------------------
// GET / SET
// ------------------------------------------------------------------------------------------

TEST_CASE("GET returns nil for a missing key and the value after SET") {
  Harness h;
  CHECK(h.Run({"GET", "k"}) == kNil);
  CHECK(h.Run({"SET", "k", "hello"}) == kOk);
  CHECK(h.Run({"GET", "k"}) == Bulk("hello"));
  CHECK(h.Run({"SET", "k", "world"}) == kOk);
  CHECK(h.Run({"GET", "k"}) == Bulk("world"));
  CHECK(h.Run({"SET", "empty", ""}) == kOk);
  CHECK(h.Run({"GET", "empty"}) == Bulk(""));
  const std::string binary("a\0b\r\nc", 6);
  CHECK(h.Run({"SET", "bin", binary}) == kOk);
  CHECK(h.Run({"GET", "bin"}) == Bulk(binary));
}

TEST_CASE("GET and SET check their arity") {
  Harness h;
  CHECK(h.Run({"GET"}) == Err("ERR wrong number of arguments for 'get' command"));
  CHECK(h.Run({"GET", "a", "b"}) == Err("ERR wrong number of arguments for 'get' command"));
  CHECK(h.Run({"SET", "k"}) == Err("ERR wrong number of arguments for 'set' command"));
}

TEST_CASE("SET NX and XX decide whether the value is written; a skipped SET replies nil") {
  Harness h;
  CHECK(h.Run({"SET", "k", "1", "XX"}) == kNil);
  CHECK(h.Run({"GET", "k"}) == kNil);
  CHECK(h.Run({"SET", "k", "1", "NX"}) == kOk);
  CHECK(h.Run({"SET", "k", "2", "nx"}) == kNil);
  CHECK(h.Run({"GET", "k"}) == Bulk("1"));
  CHECK(h.Run({"SET", "k", "3", "xx"}) == kOk);
  CHECK(h.Run({"GET", "k"}) == Bulk("3"));
  CHECK(h.Run({"SET", "k", "4", "NX", "NX"}) == kNil);  // repeating an option is allowed
}

TEST_CASE("SET GET replies with the old value, also when NX or XX stop the write") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v1", "GET"}) == kNil);
  CHECK(h.Run({"GET", "k"}) == Bulk("v1"));
  CHECK(h.Run({"SET", "k", "v2", "GET"}) == Bulk("v1"));
  CHECK(h.Run({"SET", "k", "v3", "NX", "GET"}) == Bulk("v2"));
  CHECK(h.Run({"GET", "k"}) == Bulk("v2"));
  CHECK(h.Run({"SET", "new", "x", "XX", "GET"}) == kNil);
  CHECK(h.Run({"GET", "new"}) == kNil);
  CHECK(h.Run({"SET", "new", "x", "GET", "NX"}) == kNil);
  CHECK(h.Run({"GET", "new"}) == Bulk("x"));
  CHECK(h.Run({"INCR", "n"}) == Int(1));
  CHECK(h.Run({"SET", "n", "z", "GET", "GET"}) == Bulk("1"));  // an Int reads as its string
}

TEST_CASE("SET EX PX EXAT PXAT set the expiry; a plain SET clears it; KEEPTTL keeps it") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  CHECK(h.Run({"SET", "k", "v", "PX", "50000"}) == kOk);
  long long pttl = AsInt(h.Run({"PTTL", "k"}));
  CHECK(pttl > 49000);
  CHECK(pttl <= 50000);
  const long long now_s = NowMs() / 1000;
  CHECK(h.Run({"SET", "k", "v", "EXAT", Str(now_s + 1000)}) == kOk);
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(now_s + 1000));
  const long long at_ms = NowMs() + 123456;
  CHECK(h.Run({"SET", "k", "v", "PXAT", Str(at_ms)}) == kOk);
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(at_ms));
  CHECK(h.Run({"SET", "k", "v2", "KEEPTTL"}) == kOk);
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(at_ms));
  CHECK(h.Run({"GET", "k"}) == Bulk("v2"));
  CHECK(h.Run({"SET", "k", "v3"}) == kOk);
  CHECK(h.Run({"TTL", "k"}) == Int(-1));
  CHECK(h.Run({"SET", "k", "v", "EX", "10", "EX", "20"}) == kOk);  // the last one wins
  CHECK(h.Run({"TTL", "k"}) == Int(20));
  CHECK(h.Run({"SET", "k", "v", "KEEPTTL", "KEEPTTL", "XX"}) == kOk);
  CHECK(h.Run({"TTL", "k"}) == Int(20));
  CHECK(h.Run({"SET", "fresh", "v", "KEEPTTL"}) == kOk);
  CHECK(h.Run({"TTL", "fresh"}) == Int(-1));
  CHECK(h.Run({"SET", "k", "v", "PXAT", "9223372036854775807"}) == kOk);
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(9223372036854775807LL));
}

TEST_CASE("SET with an absolute time in the past leaves no key") {
  Harness h;
  CHECK(h.Run({"SET", "k", "old"}) == kOk);
  CHECK(h.Run({"SET", "k", "v", "PXAT", "1"}) == kOk);
  CHECK(h.Run({"GET", "k"}) == kNil);
  CHECK(h.Run({"EXISTS", "k"}) == Int(0));
  CHECK(h.Run({"SET", "k2", "v", "EXAT", Str(NowMs() / 1000 - 10)}) == kOk);
  CHECK(h.Run({"EXISTS", "k2"}) == Int(0));
  CHECK(h.Run({"DBSIZE"}) == Int(0));
}

TEST_CASE("SET with a relative expiry is gone once it passes") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v", "PX", "1"}) == kOk);
  SleepMs(5);
  CHECK(h.Run({"GET", "k"}) == kNil);
  CHECK(h.Run({"TTL", "k"}) == Int(-2));
}

TEST_CASE("SET option errors: syntax first, then the expire value, as Redis orders them") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v", "NX", "XX"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "XX", "NX"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "EX", "10", "PX", "10"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "PX", "10", "EXAT", "10"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "EXAT", "10", "PXAT", "10"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "KEEPTTL", "EX", "10"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "PX", "10", "KEEPTTL"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "EX"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "PERSIST"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "FOO"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "EX", "abc", "NX", "XX"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "EX", "0", "FOO"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "EX", "abc"}) == kNotInt);
  CHECK(h.Run({"SET", "k", "v", "PX", "1.5"}) == kNotInt);
  const std::string invalid = Err("ERR invalid expire time in 'set' command");
  CHECK(h.Run({"SET", "k", "v", "EX", "0"}) == invalid);
  CHECK(h.Run({"SET", "k", "v", "EX", "-1"}) == invalid);
  CHECK(h.Run({"SET", "k", "v", "PX", "0"}) == invalid);
  CHECK(h.Run({"SET", "k", "v", "EXAT", "0"}) == invalid);
  CHECK(h.Run({"SET", "k", "v", "PXAT", "-5"}) == invalid);
  CHECK(h.Run({"SET", "k", "v", "EX", "9223372036854775807"}) == invalid);  // *1000 overflows
  CHECK(h.Run({"SET", "k", "v", "EXAT", "9223372036854776"}) == invalid);
  CHECK(h.Run({"SET", "k", "v", "PX", "9223372036854775807"}) == invalid);  // + now overflows
  CHECK(h.Run({"GET", "k"}) == kNil);  // no failed SET wrote anything
}

TEST_CASE("SETNX replies 1 when it sets and 0 when the key exists") {
  Harness h;
  CHECK(h.Run({"SETNX", "k", "a"}) == Int(1));
  CHECK(h.Run({"SETNX", "k", "b"}) == Int(0));
  CHECK(h.Run({"GET", "k"}) == Bulk("a"));
  CHECK(h.Run({"SETNX", "k"}) == Err("ERR wrong number of arguments for 'setnx' command"));
}

TEST_CASE("SETEX and PSETEX set value and expiry, and name themselves in errors") {
  Harness h;
  CHECK(h.Run({"SETEX", "k", "100", "v"}) == kOk);
  CHECK(h.Run({"GET", "k"}) == Bulk("v"));
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  CHECK(h.Run({"PSETEX", "p", "100000", "w"}) == kOk);
  CHECK(h.Run({"GET", "p"}) == Bulk("w"));
  CHECK(AsInt(h.Run({"PTTL", "p"})) > 99000);
  CHECK(h.Run({"SETEX", "k", "0", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  CHECK(h.Run({"SETEX", "k", "-10", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  CHECK(h.Run({"SETEX", "k", "x", "v"}) == kNotInt);
  CHECK(h.Run({"PSETEX", "k", "0", "v"}) == Err("ERR invalid expire time in 'psetex' command"));
  CHECK(h.Run({"SETEX", "k", "9223372036854775807", "v"}) ==
        Err("ERR invalid expire time in 'setex' command"));
  CHECK(h.Run({"SETEX", "k", "10"}) == Err("ERR wrong number of arguments for 'setex' command"));
}

TEST_CASE("GETSET replies with the old value, stores the new one and drops the TTL") {
  Harness h;
  CHECK(h.Run({"GETSET", "k", "a"}) == kNil);
  CHECK(h.Run({"GET", "k"}) == Bulk("a"));
  CHECK(h.Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(h.Run({"GETSET", "k", "b"}) == Bulk("a"));
  CHECK(h.Run({"GET", "k"}) == Bulk("b"));
  CHECK(h.Run({"TTL", "k"}) == Int(-1));
  CHECK(h.Run({"INCRBY", "n", "42"}) == Int(42));
  CHECK(h.Run({"GETSET", "n", "x"}) == Bulk("42"));
}

TEST_CASE("GETDEL replies with the value and deletes the key") {
  Harness h;
  CHECK(h.Run({"GETDEL", "k"}) == kNil);
  CHECK(h.Run({"SET", "k", "v", "EX", "100"}) == kOk);
  CHECK(h.Run({"GETDEL", "k"}) == Bulk("v"));
  CHECK(h.Run({"EXISTS", "k"}) == Int(0));
  CHECK(h.Run({"GETDEL", "k"}) == kNil);
}

TEST_CASE("GETEX without options is GET; with options it changes the expiry") {
  Harness h;
  CHECK(h.Run({"GETEX", "k"}) == kNil);
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"GETEX", "k"}) == Bulk("v"));
  CHECK(h.Run({"TTL", "k"}) == Int(-1));
  CHECK(h.Run({"GETEX", "k", "EX", "100"}) == Bulk("v"));
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  CHECK(h.Run({"GETEX", "k", "PX", "200000"}) == Bulk("v"));
  CHECK(h.Run({"TTL", "k"}) == Int(200));
  const long long s = NowMs() / 1000 + 5000;
  CHECK(h.Run({"GETEX", "k", "EXAT", Str(s)}) == Bulk("v"));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(s));
  const long long ms = NowMs() + 7777777;
  CHECK(h.Run({"GETEX", "k", "PXAT", Str(ms)}) == Bulk("v"));
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(ms));
  CHECK(h.Run({"GETEX", "k", "PERSIST"}) == Bulk("v"));
  CHECK(h.Run({"TTL", "k"}) == Int(-1));
  CHECK(h.Run({"GETEX", "k", "PERSIST", "PERSIST"}) == Bulk("v"));
  CHECK(h.Run({"GETEX", "k", "EX", "10", "EX", "20"}) == Bulk("v"));
  CHECK(h.Run({"TTL", "k"}) == Int(20));
}

TEST_CASE("GETEX with EXAT or PXAT in the past replies with the value and deletes the key") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"GETEX", "k", "EXAT", "1"}) == Bulk("v"));
  CHECK(h.Run({"EXISTS", "k"}) == Int(0));
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"GETEX", "k", "PXAT", Str(NowMs() - 1000)}) == Bulk("v"));
  CHECK(h.Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE("GETEX errors: syntax, then a missing key replies nil, then the expire value") {
  Harness h;
  CHECK(h.Run({"GETEX", "nokey", "EX", "abc"}) == kNil);
  CHECK(h.Run({"GETEX", "nokey", "FOO"}) == kSyntax);
  CHECK(h.Run({"SET", "k", "v", "EX", "50"}) == kOk);
  CHECK(h.Run({"GETEX", "k", "EX", "abc"}) == kNotInt);
  CHECK(h.Run({"GETEX", "k", "EX", "0"}) == Err("ERR invalid expire time in 'getex' command"));
  CHECK(h.Run({"GETEX", "k", "PX", "-1"}) == Err("ERR invalid expire time in 'getex' command"));
  CHECK(h.Run({"GETEX", "k", "PERSIST", "EX", "1"}) == kSyntax);
  CHECK(h.Run({"GETEX", "k", "EX", "1", "PERSIST"}) == kSyntax);
  CHECK(h.Run({"GETEX", "k", "EX", "1", "PX", "1"}) == kSyntax);
  CHECK(h.Run({"GETEX", "k", "KEEPTTL"}) == kSyntax);
  CHECK(h.Run({"GETEX", "k", "NX"}) == kSyntax);
  CHECK(h.Run({"GETEX", "k", "GET"}) == kSyntax);
  CHECK(h.Run({"GETEX", "k", "EX"}) == kSyntax);
  CHECK(h.Run({"TTL", "k"}) == Int(50));  // untouched by the failures
}

// ------------------------------------------------------------------------------------------
// MGET / MSET / MSETNX
// ------------------------------------------------------------------------------------------

TEST_CASE("MSET and MGET span shards") {
  Harness h;
  const auto [a, b] = KeysOnShards(h, false);
  const auto [c, d] = KeysOnShards(h, true, "other:");
  CHECK(h.Run({"MSET", a, "1", b, "2", d, "4"}) == kOk);
  CHECK(h.Run({"MGET", a, b, c, d, "missing"}) ==
        Arr({Bulk("1"), Bulk("2"), kNil, Bulk("4"), kNil}));
  CHECK(h.Run({"MGET", a}) == Arr({Bulk("1")}));
  CHECK(h.Run({"MSET", a, "x", a, "y"}) == kOk);  // the later pair wins
  CHECK(h.Run({"GET", a}) == Bulk("y"));
  CHECK(h.Run({"INCR", "n"}) == Int(1));
  CHECK(h.Run({"MGET", "n", a}) == Arr({Bulk("1"), Bulk("y")}));
  CHECK(h.Run({"MGET"}) == Err("ERR wrong number of arguments for 'mget' command"));
}

TEST_CASE("MSET drops existing TTLs and rejects an odd number of arguments") {
  Harness h;
  CHECK(h.Run({"SET", "a", "1", "EX", "100"}) == kOk);
  CHECK(h.Run({"MSET", "a", "2", "b", "3"}) == kOk);
  CHECK(h.Run({"TTL", "a"}) == Int(-1));
  CHECK(h.Run({"MSET", "a"}) == Err("ERR wrong number of arguments for 'mset' command"));
  CHECK(h.Run({"MSET", "a", "1", "b"}) == Err("ERR wrong number of arguments for 'mset' command"));
  CHECK(h.Run({"GET", "a"}) == Bulk("2"));
}

TEST_CASE("MSETNX sets all keys or none") {
  Harness h;
  const auto [a, b] = KeysOnShards(h, false);
  CHECK(h.Run({"MSETNX", a, "1", b, "2"}) == Int(1));
  CHECK(h.Run({"MGET", a, b}) == Arr({Bulk("1"), Bulk("2")}));
  CHECK(h.Run({"MSETNX", "fresh", "x", b, "3"}) == Int(0));
  CHECK(h.Run({"EXISTS", "fresh"}) == Int(0));
  CHECK(h.Run({"GET", b}) == Bulk("2"));
  CHECK(h.Run({"MSETNX", "x", "1", "y"}) ==
        Err("ERR wrong number of arguments for 'msetnx' command"));
}

// ------------------------------------------------------------------------------------------
// APPEND / STRLEN / GETRANGE / SETRANGE
// ------------------------------------------------------------------------------------------

TEST_CASE("APPEND creates, extends, keeps the TTL and works on a number's text") {
  Harness h;
  CHECK(h.Run({"APPEND", "k", "Hello"}) == Int(5));
  CHECK(h.Run({"APPEND", "k", " World"}) == Int(11));
  CHECK(h.Run({"GET", "k"}) == Bulk("Hello World"));
  CHECK(h.Run({"APPEND", "k", ""}) == Int(11));
  CHECK(h.Run({"APPEND", "e", ""}) == Int(0));
  CHECK(h.Run({"EXISTS", "e"}) == Int(1));  // Redis creates the empty string
  CHECK(h.Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(h.Run({"APPEND", "k", "!"}) == Int(12));
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  CHECK(h.Run({"INCRBY", "n", "123"}) == Int(123));
  CHECK(h.Run({"APPEND", "n", "45"}) == Int(5));
  CHECK(h.Run({"GET", "n"}) == Bulk("12345"));
  CHECK(h.Run({"INCR", "n"}) == Int(12346));
  CHECK(h.Run({"INCRBYFLOAT", "f", "1.5"}) == Bulk("1.5"));
  CHECK(h.Run({"APPEND", "f", "x"}) == Int(4));
  CHECK(h.Run({"GET", "f"}) == Bulk("1.5x"));
}

TEST_CASE("APPEND past proto-max-bulk-len fails and leaves the value") {
  Harness h;
  h.config().proto_max_bulk_len = 1024 * 1024;
  const std::string half(512 * 1024, 'a');
  CHECK(h.Run({"APPEND", "k", half}) == Int(512 * 1024));
  CHECK(h.Run({"APPEND", "k", half}) == Int(1024 * 1024));
  CHECK(h.Run({"APPEND", "k", "b"}) ==
        Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(h.Run({"STRLEN", "k"}) == Int(1024 * 1024));
}

TEST_CASE("STRLEN counts bytes, of a number's text too") {
  Harness h;
  CHECK(h.Run({"STRLEN", "k"}) == Int(0));
  CHECK(h.Run({"SET", "k", "hello"}) == kOk);
  CHECK(h.Run({"STRLEN", "k"}) == Int(5));
  CHECK(h.Run({"INCRBY", "n", "-1234"}) == Int(-1234));
  CHECK(h.Run({"STRLEN", "n"}) == Int(5));
  CHECK(h.Run({"INCRBYFLOAT", "f", "0.25"}) == Bulk("0.25"));
  CHECK(h.Run({"STRLEN", "f"}) == Int(4));
}

TEST_CASE("GETRANGE follows Redis's index rules") {
  Harness h;
  CHECK(h.Run({"GETRANGE", "k", "0", "-1"}) == Bulk(""));
  CHECK(h.Run({"SET", "k", "This is a string"}) == kOk);
  CHECK(h.Run({"GETRANGE", "k", "0", "3"}) == Bulk("This"));
  CHECK(h.Run({"GETRANGE", "k", "-3", "-1"}) == Bulk("ing"));
  CHECK(h.Run({"GETRANGE", "k", "0", "-1"}) == Bulk("This is a string"));
  CHECK(h.Run({"GETRANGE", "k", "10", "100"}) == Bulk("string"));
  CHECK(h.Run({"GETRANGE", "k", "-1", "-3"}) == Bulk(""));
  CHECK(h.Run({"GETRANGE", "k", "5", "3"}) == Bulk(""));
  CHECK(h.Run({"GETRANGE", "k", "0", "-100"}) == Bulk("T"));
  CHECK(h.Run({"GETRANGE", "k", "-100", "-100"}) == Bulk("T"));
  CHECK(h.Run({"GETRANGE", "k", "-100", "2"}) == Bulk("Thi"));
  CHECK(h.Run({"GETRANGE", "k", "100", "200"}) == Bulk(""));
  CHECK(h.Run({"SET", "e", ""}) == kOk);
  CHECK(h.Run({"GETRANGE", "e", "0", "-1"}) == Bulk(""));
  CHECK(h.Run({"INCRBY", "n", "12345"}) == Int(12345));
  CHECK(h.Run({"GETRANGE", "n", "1", "2"}) == Bulk("23"));
  CHECK(h.Run({"GETRANGE", "k", "a", "1"}) == kNotInt);
  CHECK(h.Run({"GETRANGE", "k", "0", "b"}) == kNotInt);
  CHECK(h.Run({"GETRANGE", "k", "0"}) ==
        Err("ERR wrong number of arguments for 'getrange' command"));
}

TEST_CASE("SETRANGE overwrites, extends with zero bytes, and keeps the TTL") {
  Harness h;
  CHECK(h.Run({"SET", "k", "Hello World"}) == kOk);
  CHECK(h.Run({"SETRANGE", "k", "6", "Redis"}) == Int(11));
  CHECK(h.Run({"GET", "k"}) == Bulk("Hello Redis"));
  CHECK(h.Run({"SETRANGE", "k", "11", "!!"}) == Int(13));
  CHECK(h.Run({"GET", "k"}) == Bulk("Hello Redis!!"));
  CHECK(h.Run({"SETRANGE", "k", "15", "x"}) == Int(16));
  CHECK(h.Run({"GET", "k"}) == Bulk(std::string("Hello Redis!!\0\0x", 16)));
  CHECK(h.Run({"SETRANGE", "new", "6", "Redis"}) == Int(11));
  CHECK(h.Run({"GET", "new"}) == Bulk(std::string("\0\0\0\0\0\0Redis", 11)));
  CHECK(h.Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(h.Run({"SETRANGE", "k", "0", "J"}) == Int(16));
  CHECK(h.Run({"SETRANGE", "k", "20", "y"}) == Int(21));
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  CHECK(h.Run({"INCRBY", "n", "123"}) == Int(123));
  CHECK(h.Run({"SETRANGE", "n", "1", "x"}) == Int(3));
  CHECK(h.Run({"GET", "n"}) == Bulk("1x3"));
  CHECK(h.Run({"INCRBY", "m", "123"}) == Int(123));
  CHECK(h.Run({"SETRANGE", "m", "4", "x"}) == Int(5));
  CHECK(h.Run({"GET", "m"}) == Bulk(std::string("123\0x", 5)));
}

TEST_CASE("SETRANGE with an empty value creates nothing and replies the current length") {
  Harness h;
  CHECK(h.Run({"SETRANGE", "k", "3", ""}) == Int(0));
  CHECK(h.Run({"EXISTS", "k"}) == Int(0));
  CHECK(h.Run({"SET", "k", "abc"}) == kOk);
  CHECK(h.Run({"SETRANGE", "k", "100", ""}) == Int(3));
  CHECK(h.Run({"GET", "k"}) == Bulk("abc"));
}

TEST_CASE("SETRANGE errors: bad offset, negative offset, result too long") {
  Harness h;
  CHECK(h.Run({"SETRANGE", "k", "x", "v"}) == kNotInt);
  CHECK(h.Run({"SETRANGE", "k", "-1", "v"}) == Err("ERR offset is out of range"));
  const std::string too_big = Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(h.Run({"SETRANGE", "k", "536870912", "x"}) == too_big);  // default limit: 512 MB
  CHECK(h.Run({"SETRANGE", "k", "9223372036854775807", "x"}) == too_big);
  CHECK(h.Run({"EXISTS", "k"}) == Int(0));
  h.config().proto_max_bulk_len = 1024 * 1024;
  CHECK(h.Run({"SETRANGE", "k", "1048575", "x"}) == Int(1048576));
  CHECK(h.Run({"SETRANGE", "k", "1048575", "xy"}) == too_big);
  CHECK(h.Run({"SETRANGE", "k", "1048576", "x"}) == too_big);
  CHECK(h.Run({"STRLEN", "k"}) == Int(1048576));
}

// ------------------------------------------------------------------------------------------
// INCR family
// ------------------------------------------------------------------------------------------

TEST_CASE("INCR DECR INCRBY DECRBY count from zero and read back as strings") {
  Harness h;
  CHECK(h.Run({"INCR", "n"}) == Int(1));
  CHECK(h.Run({"INCR", "n"}) == Int(2));
  CHECK(h.Run({"DECR", "n"}) == Int(1));
  CHECK(h.Run({"INCRBY", "n", "10"}) == Int(11));
  CHECK(h.Run({"DECRBY", "n", "20"}) == Int(-9));
  CHECK(h.Run({"INCRBY", "n", "-1"}) == Int(-10));
  CHECK(h.Run({"DECRBY", "n", "-10"}) == Int(0));
  CHECK(h.Run({"GET", "n"}) == Bulk("0"));
  CHECK(h.Run({"DECR", "d"}) == Int(-1));
  CHECK(h.Run({"SET", "s", "41"}) == kOk);
  CHECK(h.Run({"INCR", "s"}) == Int(42));
  CHECK(h.Run({"GET", "s"}) == Bulk("42"));
  CHECK(h.Run({"SET", "neg", "-9223372036854775807"}) == kOk);
  CHECK(h.Run({"DECR", "neg"}) == Int(-9223372036854775807LL - 1));
}

TEST_CASE("INCR keeps the key's TTL") {
  Harness h;
  CHECK(h.Run({"SET", "n", "5", "EX", "100"}) == kOk);
  CHECK(h.Run({"INCR", "n"}) == Int(6));  // Bytes -> Int
  CHECK(h.Run({"TTL", "n"}) == Int(100));
  CHECK(h.Run({"INCRBY", "n", "4"}) == Int(10));  // Int in place
  CHECK(h.Run({"TTL", "n"}) == Int(100));
}

TEST_CASE("INCR family errors") {
  Harness h;
  CHECK(h.Run({"SET", "s", "abc"}) == kOk);
  CHECK(h.Run({"INCR", "s"}) == kNotInt);
  CHECK(h.Run({"SET", "s", " 1"}) == kOk);
  CHECK(h.Run({"INCR", "s"}) == kNotInt);
  CHECK(h.Run({"SET", "s", "01"}) == kOk);
  CHECK(h.Run({"INCR", "s"}) == kNotInt);
  CHECK(h.Run({"SET", "s", "1.5"}) == kOk);
  CHECK(h.Run({"DECR", "s"}) == kNotInt);
  CHECK(h.Run({"SET", "s", "9223372036854775808"}) == kOk);
  CHECK(h.Run({"INCR", "s"}) == kNotInt);
  CHECK(h.Run({"INCRBY", "n", "abc"}) == kNotInt);
  CHECK(h.Run({"INCRBY", "n", "1.0"}) == kNotInt);
  CHECK(h.Run({"DECRBY", "n", ""}) == kNotInt);
  CHECK(h.Run({"EXISTS", "n"}) == Int(0));
  const std::string overflow = Err("ERR increment or decrement would overflow");
  CHECK(h.Run({"SET", "big", "9223372036854775807"}) == kOk);
  CHECK(h.Run({"INCR", "big"}) == overflow);
  CHECK(h.Run({"INCRBY", "big", "1"}) == overflow);
  CHECK(h.Run({"GET", "big"}) == Bulk("9223372036854775807"));
  CHECK(h.Run({"SET", "small", "-9223372036854775808"}) == kOk);
  CHECK(h.Run({"DECR", "small"}) == overflow);
  CHECK(h.Run({"DECRBY", "small", "1"}) == overflow);
  CHECK(h.Run({"DECRBY", "small", "-9223372036854775808"}) ==
        Err("ERR decrement would overflow"));
  CHECK(h.Run({"DECRBY", "nokey", "-9223372036854775808"}) ==
        Err("ERR decrement would overflow"));
  CHECK(h.Run({"INCRBY", "x", "-9223372036854775808"}) == Int(-9223372036854775807LL - 1));
  CHECK(h.Run({"INCR", "a", "b"}) == Err("ERR wrong number of arguments for 'incr' command"));
}

TEST_CASE("INCRBYFLOAT adds in long double and replies like Redis") {
  Harness h;
  CHECK(h.Run({"INCRBYFLOAT", "f", "10.5"}) == Bulk("10.5"));
  CHECK(h.Run({"INCRBYFLOAT", "f", "0.1"}) == Bulk("10.6"));
  CHECK(h.Run({"GET", "f"}) == Bulk("10.6"));
  CHECK(h.Run({"INCRBYFLOAT", "f", "-5e3"}) == Bulk("-4989.39999999999999991"));
  CHECK(h.Run({"GET", "f"}) == Bulk("-4989.39999999999999991"));
  CHECK(h.Run({"SET", "e", "5.0e3"}) == kOk);
  CHECK(h.Run({"INCRBYFLOAT", "e", "2.0e2"}) == Bulk("5200"));
  CHECK(h.Run({"SET", "i", "10"}) == kOk);
  CHECK(h.Run({"INCRBYFLOAT", "i", "1.5"}) == Bulk("11.5"));
  CHECK(h.Run({"INCRBY", "n", "3"}) == Int(3));
  CHECK(h.Run({"INCRBYFLOAT", "n", "0.5"}) == Bulk("3.5"));
  CHECK(h.Run({"INCRBYFLOAT", "n", "0.5"}) == Bulk("4"));
  CHECK(h.Run({"INCR", "n"}) == Int(5));  // an integral float is an integer's text
  CHECK(h.Run({"INCRBYFLOAT", "z", "-0.0"}) == Bulk("0"));
}

TEST_CASE("INCRBYFLOAT beyond a double's range keeps Redis's exact text") {
  Harness h;
  const std::string once =
      "99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126"
      "92188853932044674722505401322315213474959396058359742081443019641876795910001960319077866"
      "31096045071066679391533957889389145605435630612683649016186302170865892534448816237913008"
      "55757318142424510452728255046343928578048";
  const std::string twice =
      "19999999999999999999337175931169129132112019969483113441559409598984346973767612374420025"
      "38437770786408934944501080264463042694991879211671948416288603928375359182000392063815573"
      "26219209014213335878306791577877829121087126122536729803237260434173178506889763247582601"
      "711514636284849020905456510092687857156096";
  CHECK(h.Run({"INCRBYFLOAT", "f", "1e308"}) == Bulk(once));
  CHECK(h.Run({"INCRBYFLOAT", "f", "1e308"}) == Bulk(twice));
  CHECK(h.Run({"GET", "f"}) == Bulk(twice));
}

TEST_CASE("INCRBYFLOAT keeps the TTL; errors for bad numbers and NaN or Infinity") {
  Harness h;
  CHECK(h.Run({"SET", "f", "1", "EX", "100"}) == kOk);
  CHECK(h.Run({"INCRBYFLOAT", "f", "1.25"}) == Bulk("2.25"));
  CHECK(h.Run({"TTL", "f"}) == Int(100));
  CHECK(h.Run({"INCRBYFLOAT", "f", "abc"}) == kNotFloat);
  CHECK(h.Run({"INCRBYFLOAT", "f", ""}) == kNotFloat);
  CHECK(h.Run({"INCRBYFLOAT", "f", " 1"}) == kNotFloat);
  CHECK(h.Run({"INCRBYFLOAT", "f", "nan"}) == kNotFloat);
  const std::string nan_inf = Err("ERR increment would produce NaN or Infinity");
  CHECK(h.Run({"INCRBYFLOAT", "f", "inf"}) == nan_inf);
  CHECK(h.Run({"INCRBYFLOAT", "nokey", "-inf"}) == nan_inf);
  CHECK(h.Run({"EXISTS", "nokey"}) == Int(0));
  CHECK(h.Run({"SET", "s", "abc"}) == kOk);
  CHECK(h.Run({"INCRBYFLOAT", "s", "1"}) == kNotFloat);
  CHECK(h.Run({"GET", "f"}) == Bulk("2.25"));
}

// ------------------------------------------------------------------------------------------
// Decimal values (stored by DECIMAL.* and native clients) read as their canonical text, as
// Redis would treat a string holding that text
// ------------------------------------------------------------------------------------------

// Stores a Decimal scalar the way the plugin API's SetDecimal does.
void SetDecimal(Harness& h, std::string_view key, std::string_view literal,
                int64_t expire_at = kNoExpire) {
  const auto d = Decimal::Parse(literal);
  REQUIRE(d.has_value());
  h.client().ns->ShardFor(key).Set(key, ScalarView::Dec(*d), expire_at);
}

TEST_CASE("GET, MGET, STRLEN, GETRANGE, TYPE and GETDEL see a decimal as its canonical text") {
  Harness h;
  SetDecimal(h, "price", "19.990");
  SetDecimal(h, "big", "1e5");
  CHECK(h.Run({"GET", "price"}) == Bulk("19.990"));
  CHECK(h.Run({"GET", "big"}) == Bulk("1E+5"));
  CHECK(h.Run({"MGET", "price", "nokey", "big"}) ==
        Arr({Bulk("19.990"), kNil, Bulk("1E+5")}));
  CHECK(h.Run({"STRLEN", "price"}) == Int(6));
  CHECK(h.Run({"STRLEN", "big"}) == Int(4));
  CHECK(h.Run({"GETRANGE", "price", "0", "1"}) == Bulk("19"));
  CHECK(h.Run({"GETRANGE", "big", "-2", "-1"}) == Bulk("+5"));
  CHECK(h.Run({"TYPE", "price"}) == "+string\r\n");
  CHECK(h.Run({"EXISTS", "price"}) == Int(1));
  CHECK(h.Run({"GETDEL", "price"}) == Bulk("19.990"));
  CHECK(h.Run({"EXISTS", "price"}) == Int(0));
}

TEST_CASE("APPEND and SETRANGE turn a decimal into the bytes of its text") {
  Harness h;
  SetDecimal(h, "d", "-0.50", NowMs() + 100000);
  CHECK(h.Run({"APPEND", "d", "x"}) == Int(6));
  CHECK(h.Run({"GET", "d"}) == Bulk("-0.50x"));
  CHECK(AsInt(h.Run({"TTL", "d"})) > 0);  // APPEND keeps the TTL
  SetDecimal(h, "e", "12.5");
  CHECK(h.Run({"SETRANGE", "e", "1", "9"}) == Int(4));
  CHECK(h.Run({"GET", "e"}) == Bulk("19.5"));
}

TEST_CASE("INCR family on a decimal parses its text with Redis's rules; INCRBYFLOAT stays exact") {
  Harness h;
  SetDecimal(h, "n", "41");
  CHECK(h.Run({"INCR", "n"}) == Int(42));
  CHECK(h.Run({"GET", "n"}) == Bulk("42"));
  SetDecimal(h, "n", "5.0");  // "5.0" is not an integer for Redis
  CHECK(h.Run({"INCRBY", "n", "1"}) == kNotInt);
  SetDecimal(h, "n", "1E+1");
  CHECK(h.Run({"DECR", "n"}) == kNotInt);
  CHECK(h.Run({"GET", "n"}) == Bulk("1E+1"));  // unchanged
  SetDecimal(h, "f", "1E+5");
  CHECK(h.Run({"INCRBYFLOAT", "f", "0.5"}) == Bulk("100000.5"));
  SetDecimal(h, "f", "19.99");
  // Exact decimal addition, the scale kept (a binary float would answer 20).
  CHECK(h.Run({"INCRBYFLOAT", "f", "0.01"}) == Bulk("20.00"));
  SetDecimal(h, "f", "1E+6144");
  const std::string before = h.Run({"GET", "f"});
  CHECK(h.Run({"INCRBYFLOAT", "f", "1"}) ==
        Err("ERR decimal result not exact (more than 34 significant digits)"));
  CHECK(h.Run({"GET", "f"}) == before);  // unchanged
}

TEST_CASE("SET, GETSET and RENAME on a decimal key") {
  Harness h;
  SetDecimal(h, "d", "1.50");
  CHECK(h.Run({"GETSET", "d", "abc"}) == Bulk("1.50"));
  CHECK(h.Run({"GET", "d"}) == Bulk("abc"));
  SetDecimal(h, "d", "2.50");
  CHECK(h.Run({"SET", "d", "plain"}) == kOk);
  CHECK(h.Run({"GET", "d"}) == Bulk("plain"));
  SetDecimal(h, "d", "3.50");
  CHECK(h.Run({"RENAME", "d", "d2"}) == kOk);
  CHECK(h.Run({"GET", "d2"}) == Bulk("3.50"));
  Entry* e = h.client().ns->ShardFor("d2").Find("d2", NowMs());
  REQUIRE(e != nullptr);
  CHECK(e->type() == ScalarType::kDecimal);  // RENAME keeps the type
}

// ------------------------------------------------------------------------------------------
// Registration
// ------------------------------------------------------------------------------------------

TEST_CASE("string commands are registered with Redis's arity, flags and key positions") {
  Harness h;
  const CommandTable& t = h.server().commands;
  struct Want {
    const char* name;
    int arity;
    uint32_t flags;
    int first, last, step;
  };
  constexpr uint32_t R = kCmdReadonly, W = kCmdWrite, D = kCmdDenyOom, F = kCmdFast;
  const Want wants[] = {
      {"get", 2, R | F, 1, 1, 1},          {"set", -3, W | D, 1, 1, 1},
      {"setnx", 3, W | D | F, 1, 1, 1},    {"setex", 4, W | D, 1, 1, 1},
      {"psetex", 4, W | D, 1, 1, 1},       {"getset", 3, W | D | F, 1, 1, 1},
      {"getdel", 2, W | F, 1, 1, 1},       {"getex", -2, W | F, 1, 1, 1},
      {"mget", -2, R | F, 1, -1, 1},       {"mset", -3, W | D, 1, -1, 2},
      {"msetnx", -3, W | D, 1, -1, 2},     {"append", 3, W | D | F, 1, 1, 1},
      {"strlen", 2, R | F, 1, 1, 1},       {"incr", 2, W | D | F, 1, 1, 1},
      {"decr", 2, W | D | F, 1, 1, 1},     {"incrby", 3, W | D | F, 1, 1, 1},
      {"decrby", 3, W | D | F, 1, 1, 1},   {"incrbyfloat", 3, W | D | F, 1, 1, 1},
      {"getrange", 4, R, 1, 1, 1},         {"setrange", 4, W | D, 1, 1, 1},
  };
  for (const Want& w : wants) {
    CAPTURE(w.name);
    const CommandSpec* s = t.Find(w.name);
    REQUIRE(s != nullptr);
    CHECK(s->arity == w.arity);
    CHECK(s->flags == w.flags);
    CHECK(s->first_key == w.first);
    CHECK(s->last_key == w.last);
    CHECK(s->key_step == w.step);
    CHECK(s->group == "string");
    CHECK(!s->summary.empty());
  }
}

}  // namespace
}  // namespace kv
