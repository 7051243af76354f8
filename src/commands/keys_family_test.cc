// Keys family tests: every command, option and error path, replies compared byte for byte with
// what redis-server 7.0 sends; SCAN completeness across shards and table resizes.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "commands/command_table.h"
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

std::string Str(long long v) { return std::to_string(v); }
long long AsInt(const std::string& reply) {
  REQUIRE(reply.size() > 3);
  REQUIRE(reply[0] == ':');
  return std::stoll(reply.substr(1));
}
void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

const std::string kSyntax = Err("ERR syntax error");
const std::string kNotInt = Err("ERR value is not an integer or out of range");

// --- RESP reading helpers for array replies -------------------------------------------------

std::string ReadBulk(const std::string& r, size_t& pos) {
  REQUIRE(pos < r.size());
  REQUIRE(r[pos] == '$');
  const size_t eol = r.find("\r\n", pos);
  const size_t n = std::stoul(r.substr(pos + 1, eol - pos - 1));
  std::string s = r.substr(eol + 2, n);
  pos = eol + 2 + n + 2;
  return s;
}

std::vector<std::string> ReadBulkArray(const std::string& r, size_t& pos) {
  REQUIRE(pos < r.size());
  REQUIRE(r[pos] == '*');
  const size_t eol = r.find("\r\n", pos);
  const size_t n = std::stoul(r.substr(pos + 1, eol - pos - 1));
  pos = eol + 2;
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back(ReadBulk(r, pos));
  return out;
}

std::vector<std::string> SortedArray(const std::string& r) {
  size_t pos = 0;
  auto v = ReadBulkArray(r, pos);
  CHECK(pos == r.size());
  std::sort(v.begin(), v.end());
  return v;
}

struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};

ScanPage ParseScan(const std::string& r) {
  REQUIRE(r.rfind("*2\r\n", 0) == 0);
  size_t pos = 4;
  ScanPage page;
  page.cursor = ReadBulk(r, pos);
  page.keys = ReadBulkArray(r, pos);
  CHECK(pos == r.size());
  return page;
}

ScanPage Scan(Harness& h, const std::string& cursor, std::vector<std::string> extra = {}) {
  std::vector<std::string_view> args = {"SCAN", cursor};
  for (const auto& e : extra) args.push_back(e);
  return ParseScan(h.Run(args));
}

// Runs a whole SCAN; returns every key seen (with repeats counted in *calls).
std::multiset<std::string> ScanAll(Harness& h, std::vector<std::string> extra = {},
                                   int* calls = nullptr) {
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int n = 0;
  do {
    ScanPage p = Scan(h, cursor, extra);
    seen.insert(p.keys.begin(), p.keys.end());
    cursor = p.cursor;
    REQUIRE(++n < 100000);
  } while (cursor != "0");
  if (calls) *calls = n;
  return seen;
}

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

void FillKeys(Harness& h, const std::string& prefix, int n) {
  for (int i = 0; i < n; ++i) REQUIRE(h.Run({"SET", Key(prefix, i), "v"}) == kOk);
}

// ------------------------------------------------------------------------------------------
// DEL UNLINK EXISTS TOUCH TYPE
// ------------------------------------------------------------------------------------------

TEST_CASE("DEL and UNLINK count the keys they removed, across shards") {
  Harness h;
  const auto [a, b] = KeysOnShards(h, false);
  const auto [c, d] = KeysOnShards(h, true, "same:");
  CHECK(h.Run({"MSET", a, "1", b, "2", c, "3", d, "4"}) == kOk);
  CHECK(h.Run({"DEL", a, b, "missing"}) == Int(2));
  CHECK(h.Run({"EXISTS", a, b}) == Int(0));
  CHECK(h.Run({"UNLINK", c, d, c}) == Int(2));
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"DEL", "k", "k"}) == Int(1));
  CHECK(h.Run({"DEL"}) == Err("ERR wrong number of arguments for 'del' command"));
  CHECK(h.Run({"UNLINK"}) == Err("ERR wrong number of arguments for 'unlink' command"));
}

TEST_CASE("DEL does not count a key that already expired") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v", "PX", "1"}) == kOk);
  SleepMs(5);
  CHECK(h.Run({"DEL", "k"}) == Int(0));
  CHECK(h.Run({"DBSIZE"}) == Int(0));
}

TEST_CASE("EXISTS and TOUCH count existing keys, repeats included") {
  Harness h;
  const auto [a, b] = KeysOnShards(h, false);
  CHECK(h.Run({"MSET", a, "1", b, "2"}) == kOk);
  CHECK(h.Run({"EXISTS", a}) == Int(1));
  CHECK(h.Run({"EXISTS", "missing"}) == Int(0));
  CHECK(h.Run({"EXISTS", a, a, b, "missing"}) == Int(3));
  CHECK(h.Run({"TOUCH", a, b, "missing"}) == Int(2));
  CHECK(h.Run({"TOUCH", a, a}) == Int(2));
  CHECK(h.Run({"EXISTS"}) == Err("ERR wrong number of arguments for 'exists' command"));
  CHECK(h.Run({"TOUCH"}) == Err("ERR wrong number of arguments for 'touch' command"));
}

TEST_CASE("TYPE is string for any value and none for a missing key") {
  Harness h;
  CHECK(h.Run({"TYPE", "k"}) == "+none\r\n");
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"TYPE", "k"}) == "+string\r\n");
  CHECK(h.Run({"INCR", "n"}) == Int(1));
  CHECK(h.Run({"TYPE", "n"}) == "+string\r\n");
  CHECK(h.Run({"INCRBYFLOAT", "f", "1.5"}) == Bulk("1.5"));
  CHECK(h.Run({"TYPE", "f"}) == "+string\r\n");
  CHECK(h.Run({"SET", "x", "v", "PX", "1"}) == kOk);
  SleepMs(5);
  CHECK(h.Run({"TYPE", "x"}) == "+none\r\n");
}

// ------------------------------------------------------------------------------------------
// Expiry
// ------------------------------------------------------------------------------------------

TEST_CASE("EXPIRE PEXPIRE EXPIREAT PEXPIREAT set the TTL that TTL PTTL and *EXPIRETIME read") {
  Harness h;
  CHECK(h.Run({"TTL", "k"}) == Int(-2));
  CHECK(h.Run({"PTTL", "k"}) == Int(-2));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(-2));
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(-2));
  CHECK(h.Run({"EXPIRE", "k", "100"}) == Int(0));  // no key
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"TTL", "k"}) == Int(-1));
  CHECK(h.Run({"PTTL", "k"}) == Int(-1));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(-1));
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(-1));
  CHECK(h.Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  const long long pttl = AsInt(h.Run({"PTTL", "k"}));
  CHECK(pttl > 99000);
  CHECK(pttl <= 100000);
  CHECK(h.Run({"PEXPIRE", "k", "5000"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(5));
  const long long at_s = NowMs() / 1000 + 1000;
  CHECK(h.Run({"EXPIREAT", "k", Str(at_s)}) == Int(1));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(at_s));
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(at_s * 1000));
  const long long at_ms = NowMs() + 654321;
  CHECK(h.Run({"PEXPIREAT", "k", Str(at_ms)}) == Int(1));
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(at_ms));
  CHECK(h.Run({"GET", "k"}) == Bulk("v"));
  CHECK(h.Run({"PEXPIREAT", "k", "9223372036854775807"}) == Int(1));
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(9223372036854775807LL));
}

TEST_CASE("TTL and EXPIRETIME round to the nearest second") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"PEXPIREAT", "k", "4102444800499"}) == Int(1));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(4102444800));
  CHECK(h.Run({"PEXPIREAT", "k", "4102444800500"}) == Int(1));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(4102444801));
  CHECK(h.Run({"PEXPIREAT", "k", Str(NowMs() + 1900)}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(2));
  // Rounding the largest time must not overflow (UBSan); redis-server 7.0 replies the same.
  CHECK(h.Run({"PEXPIREAT", "k", "9223372036854775807"}) == Int(1));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(9223372036854776LL));
  CHECK(h.Run({"PEXPIREAT", "k", "9223372036854775499"}) == Int(1));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(9223372036854775LL));
  CHECK(AsInt(h.Run({"TTL", "k"})) > 9'000'000'000'000'000LL);
}

TEST_CASE("EXPIRE with a time not in the future deletes the key and replies 1") {
  Harness h;
  CHECK(h.Run({"SET", "a", "v"}) == kOk);
  CHECK(h.Run({"EXPIRE", "a", "0"}) == Int(1));
  CHECK(h.Run({"EXISTS", "a"}) == Int(0));
  CHECK(h.Run({"SET", "a", "v"}) == kOk);
  CHECK(h.Run({"PEXPIRE", "a", "-5"}) == Int(1));
  CHECK(h.Run({"EXISTS", "a"}) == Int(0));
  CHECK(h.Run({"SET", "a", "v"}) == kOk);
  CHECK(h.Run({"EXPIREAT", "a", "1"}) == Int(1));
  CHECK(h.Run({"EXISTS", "a"}) == Int(0));
  CHECK(h.Run({"SET", "a", "v"}) == kOk);
  CHECK(h.Run({"PEXPIREAT", "a", Str(NowMs() - 1)}) == Int(1));
  CHECK(h.Run({"EXISTS", "a"}) == Int(0));
  CHECK(h.Run({"EXPIREAT", "a", "1"}) == Int(0));  // no key any more
  CHECK(h.Run({"DBSIZE"}) == Int(0));
}

TEST_CASE("a key with a TTL is gone once the TTL passes") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"PEXPIRE", "k", "1"}) == Int(1));
  SleepMs(5);
  CHECK(h.Run({"GET", "k"}) == kNil);
  CHECK(h.Run({"EXISTS", "k"}) == Int(0));
  CHECK(h.Run({"TTL", "k"}) == Int(-2));
  CHECK(h.Run({"DBSIZE"}) == Int(0));
}

TEST_CASE("EXPIRE NX XX GT LT follow Redis 7 semantics") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  // No TTL: XX and GT fail (no TTL counts as infinite), NX and LT succeed.
  CHECK(h.Run({"EXPIRE", "k", "100", "XX"}) == Int(0));
  CHECK(h.Run({"EXPIRE", "k", "100", "GT"}) == Int(0));
  CHECK(h.Run({"TTL", "k"}) == Int(-1));
  CHECK(h.Run({"EXPIRE", "k", "100", "LT"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  CHECK(h.Run({"PERSIST", "k"}) == Int(1));
  CHECK(h.Run({"EXPIRE", "k", "100", "nx"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(100));
  // With a TTL of 100 s.
  CHECK(h.Run({"EXPIRE", "k", "200", "NX"}) == Int(0));
  CHECK(h.Run({"EXPIRE", "k", "50", "GT"}) == Int(0));
  CHECK(h.Run({"EXPIRE", "k", "100", "GT"}) == Int(0));  // equal is not greater
  CHECK(h.Run({"EXPIRE", "k", "200", "GT"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(200));
  CHECK(h.Run({"EXPIRE", "k", "300", "LT"}) == Int(0));
  CHECK(h.Run({"EXPIRE", "k", "150", "LT"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(150));
  CHECK(h.Run({"EXPIRE", "k", "120", "XX"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(120));
  CHECK(h.Run({"EXPIRE", "k", "500", "XX", "GT"}) == Int(1));
  CHECK(h.Run({"EXPIRE", "k", "400", "XX", "LT"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(400));
  CHECK(h.Run({"PEXPIRE", "k", "1000", "GT"}) == Int(0));
  CHECK(h.Run({"PEXPIREAT", "k", Str(NowMs() + 10000000), "GT"}) == Int(1));
  const long long at_s = NowMs() / 1000 + 20;
  CHECK(h.Run({"EXPIREAT", "k", Str(at_s), "LT"}) == Int(1));
  CHECK(h.Run({"EXPIRETIME", "k"}) == Int(at_s));
  // A condition that fails leaves even a past time harmless.
  CHECK(h.Run({"SET", "p", "v"}) == kOk);
  CHECK(h.Run({"EXPIRE", "p", "-1", "XX"}) == Int(0));
  CHECK(h.Run({"EXISTS", "p"}) == Int(1));
  CHECK(h.Run({"EXPIRE", "p", "-1", "LT"}) == Int(1));
  CHECK(h.Run({"EXISTS", "p"}) == Int(0));
  CHECK(h.Run({"EXPIRE", "missing", "10", "NX"}) == Int(0));
}

TEST_CASE("EXPIRE errors: unknown option, incompatible options, bad numbers, overflow") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  const std::string nx = Err("ERR NX and XX, GT or LT options at the same time are not compatible");
  const std::string gtlt = Err("ERR GT and LT options at the same time are not compatible");
  CHECK(h.Run({"EXPIRE", "k", "100", "FOO"}) == Err("ERR Unsupported option FOO"));
  CHECK(h.Run({"EXPIRE", "k", "abc", "FOO"}) == Err("ERR Unsupported option FOO"));
  CHECK(h.Run({"EXPIRE", "k", "100", "NX", "XX"}) == nx);
  CHECK(h.Run({"EXPIRE", "k", "100", "NX", "GT"}) == nx);
  CHECK(h.Run({"PEXPIRE", "k", "100", "LT", "NX"}) == nx);
  CHECK(h.Run({"EXPIRE", "k", "100", "GT", "LT"}) == gtlt);
  CHECK(h.Run({"EXPIREAT", "k", "100", "lt", "gt"}) == gtlt);
  CHECK(h.Run({"EXPIRE", "k", "100", "NX", "XX", "GT", "LT"}) == nx);
  CHECK(h.Run({"EXPIRE", "k", "abc"}) == kNotInt);
  CHECK(h.Run({"EXPIRE", "k", "1.5"}) == kNotInt);
  CHECK(h.Run({"EXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(h.Run({"EXPIRE", "k", "-9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(h.Run({"EXPIRE", "missing", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(h.Run({"PEXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'pexpire' command"));
  CHECK(h.Run({"EXPIREAT", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expireat' command"));
  CHECK(h.Run({"TTL", "k"}) == Int(-1));  // nothing changed
  CHECK(h.Run({"EXPIRE", "k"}) == Err("ERR wrong number of arguments for 'expire' command"));
  CHECK(h.Run({"TTL"}) == Err("ERR wrong number of arguments for 'ttl' command"));
}

TEST_CASE("PERSIST removes a TTL and replies whether there was one") {
  Harness h;
  CHECK(h.Run({"PERSIST", "k"}) == Int(0));
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"PERSIST", "k"}) == Int(0));
  CHECK(h.Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(h.Run({"PERSIST", "k"}) == Int(1));
  CHECK(h.Run({"TTL", "k"}) == Int(-1));
  CHECK(h.Run({"GET", "k"}) == Bulk("v"));
}

// ------------------------------------------------------------------------------------------
// KEYS
// ------------------------------------------------------------------------------------------

TEST_CASE("KEYS matches glob patterns over every shard") {
  Harness h;
  CHECK(h.Run({"KEYS", "*"}) == "*0\r\n");
  CHECK(h.Run({"MSET", "firstname", "Jack", "lastname", "Stuntman", "age", "35"}) == kOk);
  using V = std::vector<std::string>;
  CHECK(SortedArray(h.Run({"KEYS", "*name*"})) == V{"firstname", "lastname"});
  CHECK(SortedArray(h.Run({"KEYS", "a??"})) == V{"age"});
  CHECK(SortedArray(h.Run({"KEYS", "*"})) == V{"age", "firstname", "lastname"});
  CHECK(h.Run({"MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1",
               "h*llo", "1"}) == kOk);
  CHECK(SortedArray(h.Run({"KEYS", "h?llo"})) == V{"h*llo", "hallo", "hello", "hxllo"});
  CHECK(SortedArray(h.Run({"KEYS", "h*llo"})) ==
        V{"h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"});
  CHECK(SortedArray(h.Run({"KEYS", "h[ae]llo"})) == V{"hallo", "hello"});
  CHECK(SortedArray(h.Run({"KEYS", "h[^e]llo"})) == V{"h*llo", "hallo", "hxllo"});
  CHECK(SortedArray(h.Run({"KEYS", "h[a-b]llo"})) == V{"hallo"});
  CHECK(SortedArray(h.Run({"KEYS", "h\\*llo"})) == V{"h*llo"});
  CHECK(SortedArray(h.Run({"KEYS", "nomatch*"})).empty());
  CHECK(h.Run({"KEYS"}) == Err("ERR wrong number of arguments for 'keys' command"));
}

TEST_CASE("KEYS leaves out expired keys and sees keys of every shard") {
  Harness h;
  FillKeys(h, "k", 200);
  CHECK(h.Run({"SET", "gone", "v", "PX", "1"}) == kOk);
  SleepMs(5);
  const auto all = SortedArray(h.Run({"KEYS", "*"}));
  CHECK(all.size() == 200);
  CHECK(std::find(all.begin(), all.end(), "gone") == all.end());
  CHECK(SortedArray(h.Run({"KEYS", "k1?"})).size() == 10);
}

// ------------------------------------------------------------------------------------------
// SCAN
// ------------------------------------------------------------------------------------------

TEST_CASE("SCAN of an empty keyspace returns cursor 0 and no keys") {
  Harness h;
  CHECK(h.Run({"SCAN", "0"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
}

TEST_CASE("SCAN returns every key exactly once when nothing changes") {
  Harness h;
  FillKeys(h, "key:", 1000);
  int calls = 0;
  const auto seen = ScanAll(h, {}, &calls);
  CHECK(seen.size() == 1000);
  CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 1000);
  CHECK(calls > 10);  // COUNT 10 by default: many pages
  int big_calls = 0;
  const auto all = ScanAll(h, {"COUNT", "5000"}, &big_calls);
  CHECK(all.size() == 1000);
  CHECK(big_calls == 1);
}

TEST_CASE("SCAN pages stay close to COUNT") {
  Harness h;
  FillKeys(h, "key:", 2000);
  std::string cursor = "0";
  size_t max_page = 0, total = 0;
  do {
    ScanPage p = Scan(h, cursor, {"COUNT", "50"});
    max_page = std::max(max_page, p.keys.size());
    total += p.keys.size();
    cursor = p.cursor;
  } while (cursor != "0");
  CHECK(total == 2000);
  CHECK(max_page >= 50);
  CHECK(max_page < 100);  // a bucket's run can add a few keys past COUNT
}

TEST_CASE("SCAN MATCH and TYPE filter the keys") {
  Harness h;
  FillKeys(h, "user:", 100);
  FillKeys(h, "item:", 100);
  const auto users = ScanAll(h, {"MATCH", "user:*"});
  CHECK(users.size() == 100);
  for (const auto& k : users) CHECK(k.rfind("user:", 0) == 0);
  CHECK(ScanAll(h, {"MATCH", "user:1?"}).size() == 10);
  CHECK(ScanAll(h, {"MATCH", "*"}).size() == 200);
  CHECK(ScanAll(h, {"TYPE", "string"}).size() == 200);
  CHECK(ScanAll(h, {"TYPE", "STRING", "MATCH", "item:*", "COUNT", "7"}).size() == 100);
  CHECK(ScanAll(h, {"TYPE", "list"}).empty());
  CHECK(ScanAll(h, {"TYPE", "nosuchtype"}).empty());
}

TEST_CASE("SCAN leaves out expired keys") {
  Harness h;
  FillKeys(h, "k", 50);
  for (int i = 0; i < 10; ++i)
    REQUIRE(h.Run({"SET", Key("x", i), "v", "PX", "1"}) == kOk);
  SleepMs(5);
  const auto seen = ScanAll(h);
  CHECK(seen.size() == 50);
  for (const auto& k : seen) CHECK(k[0] == 'k');
}

TEST_CASE("SCAN returns every key present for the whole scan while tables grow") {
  Harness h;
  FillKeys(h, "stay:", 300);
  std::set<std::string> seen;
  ScanPage p = Scan(h, "0");
  seen.insert(p.keys.begin(), p.keys.end());
  for (int i = 0; i < 5 && p.cursor != "0"; ++i) {
    p = Scan(h, p.cursor);
    seen.insert(p.keys.begin(), p.keys.end());
  }
  REQUIRE(p.cursor != "0");
  FillKeys(h, "grow:", 8000);  // every shard's table doubles several times
  std::string cursor = p.cursor;
  while (cursor != "0") {
    p = Scan(h, cursor, {"COUNT", "100"});
    seen.insert(p.keys.begin(), p.keys.end());
    cursor = p.cursor;
  }
  for (int i = 0; i < 300; ++i) CHECK(seen.count(Key("stay:", i)) == 1);
}

TEST_CASE("SCAN returns every key present for the whole scan while tables shrink") {
  Harness h;
  FillKeys(h, "stay:", 100);
  FillKeys(h, "drop:", 8000);
  std::set<std::string> seen;
  ScanPage p = Scan(h, "0", {"COUNT", "100"});
  seen.insert(p.keys.begin(), p.keys.end());
  for (int i = 0; i < 10 && p.cursor != "0"; ++i) {
    p = Scan(h, p.cursor, {"COUNT", "100"});
    seen.insert(p.keys.begin(), p.keys.end());
  }
  REQUIRE(p.cursor != "0");
  for (int i = 0; i < 8000; ++i) REQUIRE(h.Run({"DEL", Key("drop:", i)}) == Int(1));
  std::string cursor = p.cursor;
  while (cursor != "0") {
    p = Scan(h, cursor);
    seen.insert(p.keys.begin(), p.keys.end());
    cursor = p.cursor;
  }
  for (int i = 0; i < 100; ++i) CHECK(seen.count(Key("stay:", i)) == 1);
}

TEST_CASE("SCAN errors and cursor parsing") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  const std::string invalid = Err("ERR invalid cursor");
  CHECK(h.Run({"SCAN", "abc"}) == invalid);
  CHECK(h.Run({"SCAN", "1x"}) == invalid);
  CHECK(h.Run({"SCAN", " 1"}) == invalid);
  CHECK(h.Run({"SCAN", "18446744073709551616"}) == invalid);
  CHECK(h.Run({"SCAN", "abc", "COUNT", "0"}) == invalid);  // the cursor is checked first
  CHECK(Scan(h, "+0").keys.size() == 1);                     // strtoul's rules, as in Redis
  CHECK(h.Run({"SCAN", "-1"}).rfind("*2\r\n", 0) == 0);
  CHECK(h.Run({"SCAN", "18446744073709551615"}).rfind("*2\r\n", 0) == 0);
  CHECK(h.Run({"SCAN", "0", "COUNT", "0"}) == kSyntax);
  CHECK(h.Run({"SCAN", "0", "COUNT", "-5"}) == kSyntax);
  CHECK(h.Run({"SCAN", "0", "COUNT", "abc"}) == kNotInt);
  CHECK(h.Run({"SCAN", "0", "MATCH"}) == kSyntax);
  CHECK(h.Run({"SCAN", "0", "TYPE"}) == kSyntax);
  CHECK(h.Run({"SCAN", "0", "FOO", "bar"}) == kSyntax);
  CHECK(h.Run({"SCAN"}) == Err("ERR wrong number of arguments for 'scan' command"));
}

// ------------------------------------------------------------------------------------------
// RENAME / RENAMENX
// ------------------------------------------------------------------------------------------

TEST_CASE("RENAME moves value and TTL within a shard and across shards") {
  for (bool same : {true, false}) {
    CAPTURE(same);
    Harness h;
    const auto [src, dst] = KeysOnShards(h, same);
    CHECK(h.Run({"SET", src, "hello", "EX", "100"}) == kOk);
    CHECK(h.Run({"RENAME", src, dst}) == kOk);
    CHECK(h.Run({"EXISTS", src}) == Int(0));
    CHECK(h.Run({"GET", dst}) == Bulk("hello"));
    CHECK(h.Run({"TTL", dst}) == Int(100));
    // Overwriting: the destination takes the source's value and (absence of) TTL.
    CHECK(h.Run({"SET", src, "world"}) == kOk);
    CHECK(h.Run({"RENAME", src, dst}) == kOk);
    CHECK(h.Run({"GET", dst}) == Bulk("world"));
    CHECK(h.Run({"TTL", dst}) == Int(-1));
    // Typed values keep their type.
    CHECK(h.Run({"INCRBY", src, "41"}) == Int(41));
    CHECK(h.Run({"RENAME", src, dst}) == kOk);
    CHECK(h.Run({"INCR", dst}) == Int(42));
    CHECK(h.Run({"DBSIZE"}) == Int(1));
  }
}

TEST_CASE("RENAME of a missing key fails; renaming a key to itself is a no-op") {
  Harness h;
  CHECK(h.Run({"RENAME", "nokey", "x"}) == Err("ERR no such key"));
  CHECK(h.Run({"RENAME", "nokey", "nokey"}) == Err("ERR no such key"));
  CHECK(h.Run({"RENAMENX", "nokey", "x"}) == Err("ERR no such key"));
  CHECK(h.Run({"SET", "a", "1", "EX", "100"}) == kOk);
  CHECK(h.Run({"RENAME", "a", "a"}) == kOk);
  CHECK(h.Run({"GET", "a"}) == Bulk("1"));
  CHECK(h.Run({"TTL", "a"}) == Int(100));
  CHECK(h.Run({"RENAMENX", "a", "a"}) == Int(0));
  CHECK(h.Run({"SET", "gone", "v", "PX", "1"}) == kOk);
  SleepMs(5);
  CHECK(h.Run({"RENAME", "gone", "x"}) == Err("ERR no such key"));
  CHECK(h.Run({"RENAME", "a"}) == Err("ERR wrong number of arguments for 'rename' command"));
}

TEST_CASE("RENAMENX renames only when the destination does not exist") {
  for (bool same : {true, false}) {
    CAPTURE(same);
    Harness h;
    const auto [src, dst] = KeysOnShards(h, same);
    CHECK(h.Run({"MSET", src, "1", dst, "2"}) == kOk);
    CHECK(h.Run({"RENAMENX", src, dst}) == Int(0));
    CHECK(h.Run({"MGET", src, dst}) == Cat({"*2\r\n", Bulk("1"), Bulk("2")}));
    CHECK(h.Run({"DEL", dst}) == Int(1));
    CHECK(h.Run({"PEXPIRE", src, "100000"}) == Int(1));
    CHECK(h.Run({"RENAMENX", src, dst}) == Int(1));
    CHECK(h.Run({"EXISTS", src}) == Int(0));
    CHECK(h.Run({"GET", dst}) == Bulk("1"));
    CHECK(AsInt(h.Run({"PTTL", dst})) > 99000);
  }
}

// ------------------------------------------------------------------------------------------
// RANDOMKEY DBSIZE FLUSHDB FLUSHALL
// ------------------------------------------------------------------------------------------

TEST_CASE("RANDOMKEY returns nil when empty and an existing key otherwise") {
  Harness h;
  CHECK(h.Run({"RANDOMKEY"}) == kNil);
  CHECK(h.Run({"SET", "only", "v"}) == kOk);
  CHECK(h.Run({"RANDOMKEY"}) == Bulk("only"));
  FillKeys(h, "k", 100);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string r = h.Run({"RANDOMKEY"});
    size_t pos = 0;
    const std::string key = ReadBulk(r, pos);
    CHECK(h.Run({"EXISTS", key}) == Int(1));
    seen.insert(key);
  }
  CHECK(seen.size() > 20);  // not stuck on one key or one shard
  CHECK(h.Run({"RANDOMKEY", "x"}) ==
        Err("ERR wrong number of arguments for 'randomkey' command"));
}

TEST_CASE("RANDOMKEY skips expired keys and returns nil when all have expired") {
  Harness h;
  for (int i = 0; i < 20; ++i)
    REQUIRE(h.Run({"SET", Key("x", i), "v", "PX", "1"}) == kOk);
  SleepMs(5);
  CHECK(h.Run({"RANDOMKEY"}) == kNil);
  CHECK(h.Run({"SET", "live", "v"}) == kOk);
  for (int i = 0; i < 20; ++i)
    REQUIRE(h.Run({"SET", Key("y", i), "v", "PX", "1"}) == kOk);
  SleepMs(5);
  CHECK(h.Run({"RANDOMKEY"}) == Bulk("live"));
}

TEST_CASE("DBSIZE FLUSHDB and FLUSHALL work per namespace") {
  Harness h;
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  FillKeys(h, "k", 50);
  CHECK(h.Run({"DBSIZE"}) == Int(50));
  Keyspace* first = h.client().ns;
  h.client().ns = h.store().Get("other");
  FillKeys(h, "o", 7);
  CHECK(h.Run({"DBSIZE"}) == Int(7));
  CHECK(h.Run({"FLUSHDB"}) == kOk);
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  h.client().ns = first;
  CHECK(h.Run({"DBSIZE"}) == Int(50));
  CHECK(h.Run({"FLUSHDB", "ASYNC"}) == kOk);
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  FillKeys(h, "k", 5);
  CHECK(h.Run({"FLUSHDB", "sync"}) == kOk);
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  FillKeys(h, "k", 5);
  h.client().ns = h.store().Get("other");
  FillKeys(h, "o", 5);
  CHECK(h.Run({"FLUSHALL"}) == kOk);
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  h.client().ns = first;
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  FillKeys(h, "k", 5);
  CHECK(h.Run({"FLUSHALL", "ASYNC"}) == kOk);
  CHECK(h.Run({"FLUSHALL", "SYNC"}) == kOk);
  CHECK(h.Run({"DBSIZE"}) == Int(0));
  CHECK(h.Run({"DBSIZE", "x"}) == Err("ERR wrong number of arguments for 'dbsize' command"));
}

TEST_CASE("FLUSHDB and FLUSHALL reject unknown or extra arguments") {
  Harness h;
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  CHECK(h.Run({"FLUSHDB", "foo"}) == kSyntax);
  CHECK(h.Run({"FLUSHDB", "ASYNC", "SYNC"}) == kSyntax);
  CHECK(h.Run({"FLUSHALL", "sync", "extra"}) == kSyntax);
  CHECK(h.Run({"FLUSHALL", "now"}) == kSyntax);
  CHECK(h.Run({"DBSIZE"}) == Int(1));
}

// ------------------------------------------------------------------------------------------
// Registration
// ------------------------------------------------------------------------------------------

TEST_CASE("keys commands are registered with Redis's arity, flags, key positions and group") {
  Harness h;
  const CommandTable& t = h.server().commands;
  struct Want {
    const char* name;
    int arity;
    uint32_t flags;
    int first, last, step;
    const char* group;
  };
  constexpr uint32_t R = kCmdReadonly, W = kCmdWrite, F = kCmdFast, A = kCmdAllShards;
  const Want wants[] = {
      {"del", -2, W, 1, -1, 1, "generic"},
      {"unlink", -2, W | F, 1, -1, 1, "generic"},
      {"exists", -2, R | F, 1, -1, 1, "generic"},
      {"expire", -3, W | F, 1, 1, 1, "generic"},
      {"pexpire", -3, W | F, 1, 1, 1, "generic"},
      {"expireat", -3, W | F, 1, 1, 1, "generic"},
      {"pexpireat", -3, W | F, 1, 1, 1, "generic"},
      {"expiretime", 2, R | F, 1, 1, 1, "generic"},
      {"pexpiretime", 2, R | F, 1, 1, 1, "generic"},
      {"ttl", 2, R | F, 1, 1, 1, "generic"},
      {"pttl", 2, R | F, 1, 1, 1, "generic"},
      {"persist", 2, W | F, 1, 1, 1, "generic"},
      {"type", 2, R | F, 1, 1, 1, "generic"},
      {"keys", 2, R | A, 0, 0, 0, "generic"},
      {"scan", -2, R | A, 0, 0, 0, "generic"},
      {"rename", 3, W, 1, 2, 1, "generic"},
      {"renamenx", 3, W | F, 1, 2, 1, "generic"},
      {"randomkey", 1, R | A, 0, 0, 0, "generic"},
      {"touch", -2, R | F, 1, -1, 1, "generic"},
      {"dbsize", 1, R | F | A, 0, 0, 0, "server"},
      {"flushdb", -1, W | A, 0, 0, 0, "server"},
      {"flushall", -1, W | A, 0, 0, 0, "server"},
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
    CHECK(s->group == w.group);
    CHECK(!s->summary.empty());
  }
}

}  // namespace
}  // namespace kv
