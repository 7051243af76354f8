// The version 4 calls' edges that a plugin over the wire cannot reach easily: keys opened for
// reading only, nested values, NaN scores, missing callbacks, writes (of any API call) during
// a walk, and the typed values a walk hands out. test_plugin_collections_v4.py covers the rest.
// Also version 5's NotifyKeyspaceEvent: the classes it refuses, and what it publishes.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "core/keyspace_events.h"
#include "modules/module_host.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;
using test::Int;

const KVModuleAPI* g_api = nullptr;

// C.RO key: every write call on a key opened KV_READ, as a string of return codes.
int ReadOnlyCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  KVModuleKey* k = g_api->OpenKey(ctx, argv[1], KV_READ);
  std::string out;
  out += std::to_string(g_api->HashSetBytes(k, "f", 1, "v", 1, nullptr));
  out += std::to_string(g_api->HashDelete(k, "f", 1, nullptr));
  out += std::to_string(g_api->SetAddBytes(k, "m", 1, nullptr));
  out += std::to_string(g_api->SetRemove(k, "m", 1, nullptr));
  out += std::to_string(g_api->ZsetAdd(k, "m", 1, 1.0, nullptr));
  out += std::to_string(g_api->ZsetRemove(k, "m", 1, nullptr));
  return g_api->ReplyWithSimpleString(ctx, out.c_str());
}

// C.BAD key value: refused arguments on a writable key: a nested value as a set member, NaN,
// null callbacks and values; then ValueText of the (typed) argument.
int BadArgsCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  KVModuleKey* k = g_api->OpenKey(ctx, argv[1], KV_WRITE);
  const KVModuleValue* v = g_api->ArgValue(ctx, 2);
  std::string out;
  out += std::to_string(g_api->SetAdd(k, v, nullptr));
  out += std::to_string(g_api->SetAdd(k, nullptr, nullptr));
  out += std::to_string(g_api->HashSet(k, "f", 1, nullptr, nullptr));
  out += std::to_string(g_api->ZsetAdd(k, "m", 1, std::nan(""), nullptr));
  out += std::to_string(g_api->SetWalk(k, nullptr, nullptr));
  out += std::to_string(g_api->OpenAs(k, KV_OBJ_STRING));
  size_t len = 0;
  const char* t = g_api->ValueText(v, &len);
  out += t ? " text=" + std::string(t, len) : " notext";
  return g_api->ReplyWithSimpleString(ctx, out.c_str());
}

struct WalkState {
  KVModuleKey* key;
  std::string out;
};

// Inside a walk every write is refused, the v3 list and key calls too.
int TryWrites(void* priv, const char* member, size_t len, double) {
  auto* w = static_cast<WalkState*>(priv);
  w->out += std::to_string(g_api->ZsetRemove(w->key, member, len, nullptr));
  w->out += std::to_string(g_api->ZsetAdd(w->key, "new", 3, 9, nullptr));
  w->out += std::to_string(g_api->DeleteKey(w->key));
  w->out += std::to_string(g_api->SetBytes(w->key, "x", 1, 0));
  w->out += std::to_string(g_api->ListPushBytes(w->key, KV_LIST_TAIL, "x", 1));
  return 0;
}

// C.WALK key: a zset walk whose callback tries to write; then a write after the walk works.
int WalkCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  WalkState w{g_api->OpenKey(ctx, argv[1], KV_WRITE), {}};
  const int rc = g_api->ZsetRangeWalk(w.key, 0, -1, 0, TryWrites, &w);
  w.out += ":" + std::to_string(rc) + ":";
  w.out += std::to_string(g_api->ZsetAdd(w.key, "after", 5, 0, nullptr));
  return g_api->ReplyWithSimpleString(ctx, w.out.c_str());
}

int HashTypes(void* priv, const char*, size_t, const KVModuleValue* v) {
  auto* out = static_cast<std::string*>(priv);
  long long i;
  *out += std::to_string(g_api->ValueType(v));
  if (g_api->ValueGetInt(v, &i) == KV_OK) *out += "=" + std::to_string(i);
  *out += " ";
  return 0;
}

// C.HTYPES key: the KV_VALUE_* of each hash value, Ints read through ValueGetInt.
int HashTypesCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  std::string out;
  g_api->HashWalk(g_api->OpenKey(ctx, argv[1], KV_READ), HashTypes, &out);
  return g_api->ReplyWithSimpleString(ctx, out.c_str());
}

// C.NOTIFY key: NotifyKeyspaceEvent with no class, two classes, an unknown bit, then class d.
int NotifyCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  std::string out;
  out += std::to_string(g_api->NotifyKeyspaceEvent(ctx, 0, "e0", argv[1]));
  out += std::to_string(
      g_api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE | KV_NOTIFY_STRING, "e1", argv[1]));
  out += std::to_string(g_api->NotifyKeyspaceEvent(ctx, 1 << 20, "e2", argv[1]));
  out += std::to_string(g_api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "e3", argv[1]));
  return g_api->ReplyWithSimpleString(ctx, out.c_str());
}

int OnLoad(KVModuleCtx* ctx, const KVModuleAPI* api, KVModuleString**, int) {
  g_api = api;
  if (api->Init(ctx, "c", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "c.ro", ReadOnlyCmd, "readonly", 2, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "c.bad", BadArgsCmd, "write", 3, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "c.walk", WalkCmd, "write", 2, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "c.htypes", HashTypesCmd, "readonly", 2, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "c.notify", NotifyCmd, "write", 2, 1, 1, 1) != KV_OK)
    return KV_ERR;
  return KV_OK;
}

struct Fixture {
  Harness h;
  ModuleHost host{h.table()};
  Fixture() { REQUIRE(host.LoadBuiltin(OnLoad).empty()); }
};

TEST_CASE("Collection writes need a key opened for writing") {
  Fixture f;
  CHECK(f.h.Run({"C.RO", "k"}) == "+111111\r\n");
  CHECK(f.h.Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE("Invalid collection arguments are refused and create nothing") {
  Fixture f;
  const std::string list("\x06\x00\x00\x00\x01\x00", 6);  // [null]
  const TypedArg nested[] = {{2, ScalarView::Nested(list)}};
  CHECK(f.h.Run({"C.BAD", "k", ""}, nested) == "+111111 notext\r\n");
  CHECK(f.h.Run({"EXISTS", "k"}) == Int(0));
  const TypedArg dec[] = {{2, ScalarView::Dec(*Decimal::Parse("2.50"))}};
  // The Decimal is a member (0), the rest refused as before, and the set now exists.
  // NaN on the set is KV_WRONGTYPE now: the type is checked before the arguments.
  CHECK(f.h.Run({"C.BAD", "k", "2.50"}, dec) == "+011211 text=2.50\r\n");
  CHECK(f.h.Run({"SMEMBERS", "k"}) == "*1\r\n$4\r\n2.50\r\n");
}

std::vector<std::string>& Published() {
  static std::vector<std::string> published;
  return published;
}

TEST_CASE("NotifyKeyspaceEvent takes one known class and publishes in the command's namespace") {
  Fixture f;
  Published().clear();
  keyspace_events::Flags().store(*keyspace_events::Parse("Ed"));
  keyspace_events::SetSink([](std::string_view channel, std::string_view message) {
    Published().push_back(std::string(channel) + " " + std::string(message));
  });
  const std::string reply = f.h.Run({"C.NOTIFY", "k"});
  keyspace_events::Flags().store(0);
  keyspace_events::SetSink(nullptr);
  CHECK(reply == "+1110\r\n");
  CHECK(Published() == std::vector<std::string>{"__keyevent@0__:e3 k"});
}

TEST_CASE("No write of any kind goes through during a walk") {
  Fixture f;
  CHECK(f.h.Run({"ZADD", "z", "1", "a", "2", "b"}) == Int(2));
  CHECK(f.h.Run({"C.WALK", "z"}) == "+1111111111:0:0\r\n");
  CHECK(f.h.Run({"ZRANGE", "z", "0", "-1"}) == "*3\r\n$5\r\nafter\r\n$1\r\na\r\n$1\r\nb\r\n");
}

TEST_CASE("A hash walk hands out values with their stored type") {
  Fixture f;
  CHECK(f.h.Run({"HSET", "h", "n", "5"}) == Int(1));
  CHECK(f.h.Run({"HINCRBY", "h", "m", "7"}) == Int(7));
  const std::string got = f.h.Run({"C.HTYPES", "h"});
  // "5" was written as Bytes; HINCRBY stores an Int, which reads through ValueGetInt.
  CHECK(got == "+5 1=7 \r\n");
}

}  // namespace
}  // namespace kv
