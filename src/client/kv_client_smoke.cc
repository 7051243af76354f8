// kv-client-smoke: exercises kv::client against a running server (test/integration/
// test_kv_client.py runs it). Usage: kv-client-smoke kv://[password@]host:port[/namespace]
// Prints one line per failed check and exits 1, or prints "ok" and exits 0.
//
// kv-client-smoke --pool-restart URL: a Pool across a server restart, in steps the test drives
// over stdin/stdout (the test kills and restarts the server between them):
//   1. use the pool, keep one lease, print "up", wait for a line on stdin (server killed);
//   2. the kept lease and a new Acquire fail with kConnection within the timeout, print "down",
//      wait for a line (server restarted on the same port);
//   3. the pool's next operations succeed on fresh connections (SELECT again), print "ok".
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
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

// Waits for the test's go-ahead; false when stdin closed (the test gave up).
bool Step(const char* done) {
  std::printf("%s\n", done);
  std::fflush(stdout);
  std::string line;
  return static_cast<bool>(std::getline(std::cin, line));
}

bool IsConnectionError(const Result<Value>& r) {
  return !r.ok() && r.error().code == ErrorCode::kConnection;
}

int PoolRestart(const char* url_text) {
  auto url = kv::client::ParseUrl(url_text);
  if (!url) {
    std::fprintf(stderr, "%s\n", url.error().ToString().c_str());
    return 2;
  }
  // A short timeout: a hang would show as a timeout error (or the test's own timeout), not pass.
  kv::client::Pool pool(url.value(), 2, std::chrono::milliseconds(2000));
  using Clock = std::chrono::steady_clock;

  // 1. Both slots connected and used; one lease stays out across the kill ("in use").
  auto kept = pool.Acquire();
  Result<Value> r = kept ? (*kept)->Set("restart:k", Value::String("before"))
                         : Result<Value>(kept.error());
  Check(r.ok(), "pool SET before the restart", r);
  {
    auto other = pool.Acquire();
    r = other ? (*other)->Incr("restart:n") : Result<Value>(other.error());
    Check(IsInt(r, 1), "pool INCR on the second slot", r);
  }
  if (!kept || !Step("up")) return 1;

  // 2. Server down: the lease in use fails with a connection error; so does a new Acquire
  // (the idle slot is stale, its reconnect is refused). Both promptly.
  auto t0 = Clock::now();
  r = (*kept)->Get("restart:k");
  Check(IsConnectionError(r), "the lease in use fails with kConnection", r);
  Check((*kept)->broken(), "the lease in use is broken afterwards", r);
  { auto drop = std::move(kept).value(); }  // back to the pool, broken
  auto lease = pool.Acquire();
  r = lease ? (*lease)->Ping() : Result<Value>(lease.error());
  Check(IsConnectionError(r), "Acquire while the server is down fails with kConnection", r);
  Check(!lease.ok() && lease.error().message.find("refused") != std::string::npos,
        "the connect error says the connection was refused", r);
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  if (elapsed.count() > 4000) {
    ++failures;
    std::fprintf(stderr, "FAIL failing while down took %lld ms\n",
                 static_cast<long long>(elapsed.count()));
  }
  if (!Step("down")) return 1;

  // 3. Server back on the same port: every slot reconnects (the namespace is selected again).
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto l = pool.Acquire();
        if (!l || !(*l)->Incr("restart:after").ok()) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  auto l = pool.Acquire();
  r = l ? (*l)->Get("restart:after") : Result<Value>(l.error());
  Check(errors == 0 && IsInt(r, 100), "pool after the restart: 100 INCRs", r);
  r = l ? (*l)->Get("restart:k") : Result<Value>(l.error());
  Check(r.ok() && r->is_null(), "a fresh server (no key from before)", r);

  if (failures == 0) std::printf("ok\n");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--pool-restart") == 0) return PoolRestart(argv[2]);
  if (argc != 2) {
    std::fprintf(stderr, "usage: kv-client-smoke [--pool-restart] kv://[password@]host:port[/namespace]\n");
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
