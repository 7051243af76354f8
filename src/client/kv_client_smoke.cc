// kv-client-smoke: exercises kv::client against a running server (test/integration/
// test_kv_client.py runs it). Usage: kv-client-smoke kv://[password@]host:port[/namespace]
// Prints one line per failed check and exits 1, or prints "ok" and exits 0.
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "client/kv_client.h"

namespace {

using kv::client::Client;
using kv::client::ErrorCode;
using kv::client::Result;
using kv::native::Value;

int failures = 0;

void Check(bool ok, const char* what, const Result<Value>& r) {
  if (ok) return;
  ++failures;
  std::fprintf(stderr, "FAIL %s: %s\n", what,
               r.ok() ? kv::native::ToDebugString(r.value()).c_str() : r.error().ToString().c_str());
}

bool IsInt(const Result<Value>& r, int64_t v) {
  return r.ok() && r->type() == kv::native::ValueType::kInt && r->as_int() == v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: kv-client-smoke kv://[password@]host:port[/namespace]\n");
    return 2;
  }
  Result<Client> conn = Client::Connect(argv[1]);
  if (!conn) {
    std::fprintf(stderr, "connect: %s\n", conn.error().ToString().c_str());
    return 1;
  }
  Client& c = *conn;

  auto r = c.Ping();
  Check(r.ok() && r->as_string() == "PONG", "PING", r);
  r = c.Set("smoke:i", Value::Int(41));
  Check(r.ok() && r->is_null(), "SET", r);
  r = c.Get("smoke:i");
  Check(IsInt(r, 41), "GET Int", r);
  r = c.Incr("smoke:i");
  Check(IsInt(r, 42), "INCR", r);
  r = c.IncrBy("smoke:i", -2);
  Check(IsInt(r, 40), "INCRBY", r);
  r = c.Exists("smoke:i");
  Check(IsInt(r, 1), "EXISTS", r);
  r = c.Get("smoke:missing");
  Check(r.ok() && r->is_null(), "GET miss is Null", r);
  r = c.Set("smoke:s", Value::String("héllo"), 60000);
  Check(r.ok(), "SET ttl", r);
  r = c.Get("smoke:s");
  Check(r.ok() && r->type() == kv::native::ValueType::kString && r->as_string() == "héllo",
        "GET String", r);
  r = c.Ttl("smoke:s");
  Check(r.ok() && r->as_int() > 0 && r->as_int() <= 60000, "TTL", r);
  r = c.Expire("smoke:s", 0);
  Check(IsInt(r, 1), "EXPIRE", r);
  r = c.Incr("smoke:str");
  Check(r.ok(), "INCR new", r);
  r = c.Set("smoke:str", Value::String("x"));
  r = c.Incr("smoke:str");
  Check(!r.ok() && r.error().code == ErrorCode::kServer &&
            r.error().message.find("not an integer") != std::string::npos,
        "INCR not an integer is a server error", r);
  r = c.Cas("smoke:str", Value::String("x"), Value::String("y"));
  Check(IsInt(r, 1), "CAS", r);
  r = c.Lock("smoke:lock", "me", 30000);
  Check(r.ok() && r->type() == kv::native::ValueType::kInt, "LOCK", r);
  r = c.Lock("smoke:lock", "you", 30000);
  Check(r.ok() && r->is_null(), "LOCK held is Null", r);
  r = c.Extend("smoke:lock", "me", 30000);
  Check(IsInt(r, 1), "EXTEND", r);
  r = c.Unlock("smoke:lock", "me");
  Check(IsInt(r, 1), "UNLOCK", r);
  r = c.Call({Value::String("echo"), Value::Bytes("hi")});
  Check(r.ok() && r->as_string() == "hi", "CALL echo", r);
  r = c.Del("smoke:i");
  Check(IsInt(r, 1), "DEL", r);

  // Pipeline: 200 INCRs in one write, replies in order.
  kv::client::Pipeline p = c.MakePipeline();
  for (int i = 0; i < 200; ++i) p.Incr("smoke:pipe");
  p.Get("smoke:pipe");
  auto replies = p.Execute();
  bool in_order = replies.size() == 201;
  for (int i = 0; in_order && i < 200; ++i) in_order = IsInt(replies[static_cast<size_t>(i)], i + 1);
  Check(in_order && IsInt(replies[200], 200), "pipeline order", replies.back());

  // Pool: 8 threads over 3 connections, 100 INCRs each.
  auto url = kv::client::ParseUrl(argv[1]);
  kv::client::Pool pool(url.value(), 3);
  std::atomic<int> pool_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        auto lease = pool.Acquire();
        if (!lease || !(*lease)->Incr("smoke:pool").ok()) ++pool_errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  r = c.Get("smoke:pool");
  Check(pool_errors == 0 && IsInt(r, 800), "pool", r);

  if (failures == 0) std::printf("ok\n");
  return failures == 0 ? 0 : 1;
}
