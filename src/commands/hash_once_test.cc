// A request hashes each key once: the dispatcher's hash (shard choice and lock) is the one the
// handler's ShardFor and the shard's lookup and insert use. Counted with Table::HashesComputed.
#include <doctest/doctest.h>

#include <string>

#include "core/table.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;

// Hashes computed while running one command.
uint64_t HashesFor(Harness& h, std::initializer_list<std::string_view> args) {
  const uint64_t before = Table::HashesComputed();
  h.Run(args);
  return Table::HashesComputed() - before;
}

TEST_CASE("SET, GET, INCR, DEL and a list push hash their key once") {
  Harness h;
  CHECK(HashesFor(h, {"SET", "key:000000000001", "value"}) == 1);
  CHECK(HashesFor(h, {"SET", "key:000000000001", "other"}) == 1);  // replace
  CHECK(HashesFor(h, {"GET", "key:000000000001"}) == 1);
  CHECK(HashesFor(h, {"INCR", "counter"}) == 1);
  CHECK(HashesFor(h, {"LPUSH", "mylist", "a"}) == 1);
  CHECK(HashesFor(h, {"LPUSH", "mylist", "b"}) == 1);
  CHECK(HashesFor(h, {"DEL", "counter"}) == 1);
}

TEST_CASE("Multi-key commands hash each of their first keys once") {
  Harness h;
  CHECK(HashesFor(h, {"MSET", "a", "1", "b", "2", "c", "3"}) == 3);
  CHECK(HashesFor(h, {"MGET", "a", "b", "c"}) == 3);
  // Past KnownHashes::kMax keys the rest are hashed for the lock, ShardFor and the lookup.
  CHECK(HashesFor(h, {"MGET", "a", "b", "c", "d", "e", "f"}) == 4 + 3 * 2);
  CHECK(h.Run({"MGET", "a", "b", "c", "d"}) == "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$-1\r\n");
}

TEST_CASE("A remembered hash dies with its command: the same bytes' address reused is hashed anew") {
  std::string key = "aaaa";
  uint64_t inside = 0;
  {
    KeyHashScope scope;
    inside = scope.Add(key);
    const uint64_t computed = Table::HashesComputed();
    CHECK(Table::Hash(key) == inside);
    CHECK(Table::HashesComputed() == computed);  // remembered, not computed
    CHECK(Table::Hash(std::string_view(key).substr(0, 3)) == Table::ComputeHash("aaa"));
  }
  key[0] = 'b';  // same address and length, other bytes
  CHECK(Table::Hash(key) == Table::ComputeHash("baaa"));
  CHECK(Table::Hash(key) != inside);
}

TEST_CASE("Nested scopes: the inner one forgets only its own keys") {
  const std::string outer_key = "outer", inner_key = "inner";
  KeyHashScope outer;
  outer.Add(outer_key);
  {
    KeyHashScope inner;
    inner.Add(inner_key);
    CHECK(t_known_hashes.n == 2);
  }
  CHECK(t_known_hashes.n == 1);
  const uint64_t computed = Table::HashesComputed();
  CHECK(Table::Hash(outer_key) == Table::ComputeHash("outer"));
  CHECK(Table::HashesComputed() == computed + 1);  // only the ComputeHash of the check
}

}  // namespace
}  // namespace kv
