// Host and API rules, proved with in-process plugins that use only the KVModuleAPI table:
// registration errors, declared-key enforcement, typed values, expiry, blocking, unload.
#include "modules/module_host.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Cat;
using test::Harness;
using test::Int;

const KVModuleAPI* g_api = nullptr;

// T.SETINT key n / T.GETINT key: typed Int through the API. T.PEEK key other: opens an
// undeclared key. T.WAIT key: blocks until the key exists (timeout 50 ms) then replies.
int SetIntCmd(KVModuleCtx* ctx, KVModuleString** argv, int argc) {
  if (argc != 3) return g_api->WrongArity(ctx);
  long long v;
  if (g_api->StringToLongLong(argv[2], &v) != KV_OK)
    return g_api->ReplyWithError(ctx, "ERR not a number");
  KVModuleKey* k = g_api->OpenKey(ctx, argv[1], KV_WRITE);
  g_api->SetInt(k, v, 1);
  return g_api->ReplyWithSimpleString(ctx, "OK");
}

int GetIntCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  KVModuleKey* k = g_api->OpenKey(ctx, argv[1], KV_READ);
  long long v;
  if (g_api->KeyType(k) != KV_KEYTYPE_INT || g_api->GetInt(k, &v) != KV_OK)
    return g_api->ReplyWithNull(ctx);
  return g_api->ReplyWithLongLong(ctx, v);
}

int PeekCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  // argv[2] is not a declared key: the host must refuse to open it.
  return g_api->ReplyWithLongLong(ctx, g_api->OpenKey(ctx, argv[2], KV_READ) == nullptr);
}

int WaitCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  KVModuleKey* k = g_api->OpenKey(ctx, argv[1], KV_READ);
  if (g_api->KeyType(k) != KV_KEYTYPE_EMPTY) return g_api->ReplyWithKeyValue(ctx, k);
  if (g_api->IsBlockTimeout(ctx)) return g_api->ReplyWithNull(ctx);
  return g_api->BlockClient(ctx, 50);
}

int SilentCmd(KVModuleCtx*, KVModuleString**, int) { return KV_OK; }

// T.TYPED key value: describes the typed value argument 2 carries ("text" when none) and whether
// it equals the stored value, then stores it with its type (SetValue).
int TypedCmd(KVModuleCtx* ctx, KVModuleString** argv, int) {
  const KVModuleValue* v = g_api->ArgValue(ctx, 2);
  if (!v) return g_api->ReplyWithSimpleString(ctx, "text");
  KVModuleKey* k = g_api->OpenKey(ctx, argv[1], KV_READ | KV_WRITE);
  std::string out = "type=" + std::to_string(g_api->ValueType(v));
  out += " eq=" + std::to_string(g_api->ValueEquals(g_api->KeyValue(k), v));
  long long i;
  double d;
  KVDecimal dec;
  const char* p;
  size_t len;
  if (g_api->ValueGetInt(v, &i) == KV_OK) out += " int=" + std::to_string(i);
  if (g_api->ValueGetFloat(v, &d) == KV_OK) out += " float=" + std::to_string(d);
  if (g_api->ValueGetDecimal(v, &dec) == KV_OK) out += " decimal";
  if (g_api->ValueGetBytes(v, &p, &len) == KV_OK) out += " len=" + std::to_string(len);
  if (g_api->SetValue(k, v, 0) != KV_OK) return g_api->ReplyWithError(ctx, "ERR SetValue");
  return g_api->ReplyWithSimpleString(ctx, out.c_str());
}

int GoodOnLoad(KVModuleCtx* ctx, const KVModuleAPI* api, KVModuleString**, int) {
  g_api = api;
  if (api->Init(ctx, "t", 3, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "t.setint", SetIntCmd, "write denyoom", 3, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "t.getint", GetIntCmd, "readonly fast", 2, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "t.peek", PeekCmd, "readonly", 3, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "t.wait", WaitCmd, "readonly blocking", 2, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "t.silent", SilentCmd, "readonly", 1, 0, 0, 0) != KV_OK ||
      api->CreateCommand(ctx, "t.typed", TypedCmd, "write", 3, 1, 1, 1) != KV_OK)
    return KV_ERR;
  return api->SetCommandDocs(ctx, "t.setint", "Sets an Int.", "key n");
}

int NewerApiOnLoad(KVModuleCtx* ctx, const KVModuleAPI* api, KVModuleString**, int) {
  return api->Init(ctx, "future", 1, KVMODULE_API_VERSION + 1);
}

int ClashOnLoad(KVModuleCtx* ctx, const KVModuleAPI* api, KVModuleString**, int) {
  api->Init(ctx, "clash", 1, KVMODULE_API_VERSION);
  if (api->CreateCommand(ctx, "clash.ok", SilentCmd, "readonly", 1, 0, 0, 0) != KV_OK)
    return KV_ERR;
  return api->CreateCommand(ctx, "GET", SilentCmd, "readonly", 2, 1, 1, 1);
}

int BadFlagOnLoad(KVModuleCtx* ctx, const KVModuleAPI* api, KVModuleString**, int) {
  api->Init(ctx, "badflag", 1, KVMODULE_API_VERSION);
  return api->CreateCommand(ctx, "bf.x", SilentCmd, "write sometimes", 1, 0, 0, 0);
}

struct Fixture {
  Harness h;
  ModuleHost host{h.table()};
  Fixture() { REQUIRE(host.LoadBuiltin(GoodOnLoad).empty()); }
};

TEST_CASE("Plugin commands join the table and answer through the host") {
  Fixture f;
  CHECK(f.h.Run({"T.SETINT", "n", "41"}) == test::kOk);
  CHECK(f.h.Run({"t.getint", "n"}) == Int(41));
  CHECK(f.h.Run({"GET", "n"}) == Bulk("41"));  // an Int reads as its canonical string
  CHECK(f.h.Run({"T.SETINT", "n", "x"}) == "-ERR not a number\r\n");
  CHECK(f.h.Run({"T.SETINT", "n"}) == "-ERR wrong number of arguments for 't.setint' command\r\n");
  const std::string docs = f.h.Run({"COMMAND", "DOCS", "t.setint"});
  CHECK(docs.find("Sets an Int.") != std::string::npos);
  CHECK(docs.find("module") != std::string::npos);
  auto list = f.host.List();
  REQUIRE(list.size() == 1);
  CHECK(list[0]->name == "t");
  CHECK(list[0]->version == 3);
}

TEST_CASE("A handler may open only the keys its command declares") {
  Fixture f;
  CHECK(f.h.Run({"T.PEEK", "a", "b"}) == Int(1));
}

TEST_CASE("Set keeps or clears the expiry as asked") {
  Fixture f;
  CHECK(f.h.Run({"SET", "n", "1", "EX", "100"}) == test::kOk);
  CHECK(f.h.Run({"T.SETINT", "n", "2"}) == test::kOk);  // keep_expiry = 1
  CHECK(f.h.Run({"TTL", "n"}) == Int(100));
}

TEST_CASE("Typed arguments reach the handler, compare by type and value, and store typed") {
  Fixture f;
  CHECK(f.h.Run({"T.TYPED", "k", "7"}) == "+text\r\n");  // RESP: plain text, no typed value
  CHECK(f.h.Run({"GET", "k"}) == test::kNil);
  const TypedArg seven[] = {{2, ScalarView::Int(7)}};
  CHECK(f.h.Run({"T.TYPED", "k", "7"}, seven) == "+type=1 eq=0 int=7\r\n");
  CHECK(f.h.Run({"T.TYPED", "k", "7"}, seven) == "+type=1 eq=1 int=7\r\n");  // stored typed
  CHECK(f.h.Run({"T.GETINT", "k"}) == Int(7));
  const TypedArg text[] = {{2, ScalarView::Bytes("7")}};
  CHECK(f.h.Run({"T.TYPED", "k", "7"}, text) == "+type=5 eq=0 len=1\r\n");  // Bytes is not Int
  const TypedArg dec[] = {{2, ScalarView::Dec(*Decimal::Parse("2.50"))}};
  CHECK(f.h.Run({"T.TYPED", "k", "2.50"}, dec) == "+type=3 eq=0 decimal\r\n");
  const TypedArg flt[] = {{2, ScalarView::Float(1.5)}};
  CHECK(f.h.Run({"T.TYPED", "k", "1.5"}, flt) == "+type=2 eq=0 float=1.500000\r\n");
  const std::string list("\x06\x00\x00\x00\x01\x00", 6);  // [null]
  const TypedArg nested[] = {{2, ScalarView::Nested(list)}};
  CHECK(f.h.Run({"T.TYPED", "k", ""}, nested) == "+type=6 eq=0 len=6\r\n");
  CHECK(f.h.Run({"T.TYPED", "k", ""}, nested) == "+type=6 eq=1 len=6\r\n");
  // A stored List is the key's list: LRANGE reads it, GET over RESP answers WRONGTYPE.
  CHECK(f.h.Run({"LRANGE", "k", "0", "-1"}) == "*1\r\n$-1\r\n");
  CHECK(f.h.Run({"GET", "k"}) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(f.h.Run({"TYPE", "k"}) == "+list\r\n");
  CHECK(f.h.Run({"T.GETINT", "k"}) == test::kNil);  // KeyType: OTHER
}

TEST_CASE("A handler that does not reply gets a generic error, not a hang") {
  Fixture f;
  CHECK(f.h.Run({"T.SILENT"}) == "-ERR plugin command returned without replying\r\n");
}

TEST_CASE("BlockClient keeps the request pending and flags the final timeout call") {
  Fixture f;
  ClientState& c = f.h.client();
  CHECK(f.h.Run({"T.WAIT", "w"}).empty());  // blocked: no reply yet
  CHECK(c.block_requested);
  CHECK(c.block_deadline_ms > 0);
  c.block_requested = false;
  c.block_timed_out = true;  // what the session does once the deadline has passed
  CHECK(f.h.Run({"T.WAIT", "w"}) == test::kNil);
  CHECK_FALSE(c.block_requested);
}

// A plugin built against an older header passes its older version to Init.
template <int kVersion>
int OldOnLoad(KVModuleCtx* ctx, const KVModuleAPI* api, KVModuleString**, int) {
  const std::string name = "old" + std::to_string(kVersion);
  if (api->Init(ctx, name.c_str(), 1, kVersion) != KV_OK) return KV_ERR;
  return api->CreateCommand(ctx, (name + ".x").c_str(), SilentCmd, "readonly", 1, 0, 0, 0);
}

TEST_CASE("Plugins built against API versions 1 to 3 still load") {
  Fixture f;
  CHECK(f.host.LoadBuiltin(OldOnLoad<1>).empty());
  CHECK(f.host.LoadBuiltin(OldOnLoad<2>).empty());
  CHECK(f.host.LoadBuiltin(OldOnLoad<3>).empty());
  CHECK(f.host.List().size() == 4);
  CHECK(f.h.Run({"OLD1.X"}) == "-ERR plugin command returned without replying\r\n");
}

TEST_CASE("Loading errors are clear and leave nothing registered") {
  Fixture f;
  CHECK(f.host.LoadBuiltin(NewerApiOnLoad).find("needs kvmodule API version") !=
        std::string::npos);
  CHECK(f.host.LoadBuiltin(ClashOnLoad) == "command 'get' already exists");
  CHECK(f.h.Run({"CLASH.OK"}).rfind("-ERR unknown command", 0) == 0);  // rolled back
  CHECK(f.host.LoadBuiltin(BadFlagOnLoad) == "command 'bf.x': unknown flag 'sometimes'");
  CHECK(f.host.LoadBuiltin(GoodOnLoad) == "a plugin named 't' is already loaded");
  CHECK(f.h.Run({"T.GETINT", "nothing"}) == test::kNil);  // the loaded one is untouched
  CHECK(f.host.List().size() == 1);
}

TEST_CASE("Built-in extensions cannot be unloaded; unknown names are reported") {
  Fixture f;
  CHECK(f.host.Unload("t", f.h.server().clients) == "built-in modules cannot be unloaded");
  CHECK(f.host.Unload("nope", f.h.server().clients) == "no such module with that name");
  CHECK(f.host.Load("/nonexistent/x.so", {}) == "no such file: /nonexistent/x.so");
}

}  // namespace
}  // namespace kv
