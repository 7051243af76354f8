#include "scripting/script_cache.h"

#include <doctest/doctest.h>

#include "scripting/fake_host_test.h"

namespace kv::scripting {
namespace {

using testing::Env;

TEST_CASE("Sha1Hex is SHA1 in lowercase hex") {
  CHECK(Sha1Hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(Sha1Hex("return 1") == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST_CASE("ScriptCache stores bodies by SHA1, matches any case, flushes to a new epoch") {
  ScriptCache cache;
  const std::string sha = cache.Add("return 1");
  CHECK(sha == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(cache.Add("return 1") == sha);
  CHECK(cache.size() == 1);
  CHECK(cache.body_bytes() == 8);
  REQUIRE(cache.Find("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB") != nullptr);
  CHECK(*cache.Find(sha) == "return 1");
  CHECK(cache.Find("abc") == nullptr);
  std::vector<std::string_view> q = {"E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", "abc",
                                     "ffffffffffffffffffffffffffffffffffffffff"};
  CHECK(cache.Exists(q) == std::vector<bool>{true, false, false});
  const uint64_t epoch = cache.epoch();
  cache.Flush();
  CHECK(cache.epoch() == epoch + 1);
  CHECK(cache.size() == 0);
  CHECK(cache.body_bytes() == 0);
  CHECK(cache.Find(sha) == nullptr);
}

TEST_CASE("EVAL caches the body; EVALSHA runs it, any case; NOSCRIPT otherwise") {
  Env env;
  CHECK(env.EvalSha("e0e1f9fabfc9d4800c877a703b823ac0578ff8db") ==
        "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  CHECK(env.EvalSha("abc") == "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  CHECK(env.Eval("return 1") == ":1\r\n");
  CHECK(env.cache.size() == 1);
  CHECK(env.EvalSha("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB") == ":1\r\n");
  CHECK(env.engine.compiled_scripts() == 1);
}

TEST_CASE("A body that does not compile is not cached") {
  Env env;
  const std::string err = "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n";
  CHECK(env.Eval("return 1 +") == err);
  CHECK(env.Load("return 1 +") == err);
  CHECK(env.cache.size() == 0);
  CHECK(env.engine.compiled_scripts() == 0);
}

TEST_CASE("SCRIPT LOAD caches without running; another engine compiles it lazily") {
  Env env;
  CHECK(env.Load("return redis.call('int')") == "$40\r\n" + Sha1Hex("return redis.call('int')") + "\r\n");
  CHECK(env.host.calls.empty());
  // A second engine (another I/O thread) shares the cache.
  testing::FakeHost host2;
  LuaEngine other(env.cache, host2);
  std::string out;
  resp::RespWriter w(&out);
  other.EvalSha(Sha1Hex("return redis.call('int')"), {}, {}, w);
  CHECK(out == ":42\r\n");
  CHECK(other.compiled_scripts() == 1);
}

TEST_CASE("SCRIPT FLUSH makes every engine drop its compiled functions") {
  Env env;
  CHECK(env.Eval("return 1") == ":1\r\n");
  env.cache.Flush();
  CHECK(env.EvalSha(Sha1Hex("return 1")) == "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  CHECK(env.engine.compiled_scripts() == 0);
  CHECK(env.Eval("return 2") == ":2\r\n");
  CHECK(env.engine.compiled_scripts() == 1);
}

}  // namespace
}  // namespace kv::scripting
