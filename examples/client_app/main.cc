// client_app: an application on the installed C++ client (docs/cpp-client.md). A shop keeps a
// price as an exact Decimal and a stock count as an Int; several worker threads sell from the
// stock through one shared Pool.
//
// Outside this tree, after `meson install`:
//   c++ -std=c++20 main.cc $(pkg-config --cflags --libs kv-client) -o client_app
//   ./client_app kv://127.0.0.1:6380/shop
//
// Prints:
//   price = 19.99 (decimal)
//   stock = 38 (int)
// and exits 0, or prints the first error on stderr and exits 1 (2 for a bad URL).
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/kv_client.h"

namespace {

using kv::client::Pool;
using kv::client::Result;
using kv::native::Value;

constexpr int kWorkers = 4;

bool Failed(std::string_view what, const Result<Value>& r) {
  if (r.ok()) return false;
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(what.size()), what.data(),
               r.error().ToString().c_str());
  return true;
}

// One call on a pooled connection; the lease goes back to the pool when this returns.
template <typename Fn>
Result<Value> WithConnection(Pool& pool, Fn&& fn) {
  auto lease = pool.Acquire();
  if (!lease) return lease.error();
  return fn(**lease);
}

void Print(std::string_view key, const Value& v) {
  std::string text;
  switch (v.type()) {
    case kv::native::ValueType::kDecimal: text = v.as_decimal().ToString(); break;
    case kv::native::ValueType::kInt: text = std::to_string(v.as_int()); break;
    default: text = kv::native::ToDebugString(v); break;
  }
  const std::string_view type = kv::native::ValueTypeName(v.type());
  std::printf("%.*s = %s (%.*s)\n", static_cast<int>(key.size()), key.data(), text.c_str(),
              static_cast<int>(type.size()), type.data());
}

}  // namespace

int main(int argc, char** argv) {
  const char* url_text = argc > 1 ? argv[1] : "kv://127.0.0.1:6380";
  auto url = kv::client::ParseUrl(url_text);
  if (!url) {
    std::fprintf(stderr, "%s\n", url.error().ToString().c_str());
    return 2;
  }
  // Fewer connections than workers: Acquire blocks until one is free.
  Pool pool(url.value(), 2);

  // Parsed from text, never through a double: 19.99 stays exactly 19.99.
  const auto price = kv::Decimal::Parse("19.99");
  if (!price) return 1;
  if (Failed("SET price", WithConnection(pool, [&](kv::client::Client& c) {
        return c.Set("shop:price", Value::Dec(*price));
      })) ||
      Failed("SET stock", WithConnection(pool, [](kv::client::Client& c) {
        return c.Set("shop:stock", Value::Int(42));
      }))) {
    return 1;
  }

  // Each worker sells one item; IncrBy is atomic on the server, so no update is lost.
  std::vector<Result<Value>> sold(kWorkers, Result<Value>(Value()));
  std::vector<std::thread> workers;
  for (int i = 0; i < kWorkers; ++i) {
    workers.emplace_back([&pool, &sold, i] {
      sold[i] = WithConnection(pool, [](kv::client::Client& c) { return c.IncrBy("shop:stock", -1); });
    });
  }
  for (auto& t : workers) t.join();
  for (const auto& r : sold) {
    if (Failed("INCRBY stock", r)) return 1;
  }

  for (const char* key : {"shop:price", "shop:stock"}) {
    auto r = WithConnection(pool, [key](kv::client::Client& c) { return c.Get(key); });
    if (Failed(std::string("GET ") + key, r)) return 1;
    Print(std::string_view(key).substr(5), r.value());
  }
  return 0;
}
