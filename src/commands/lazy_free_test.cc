// Big collections are freed on the background thread whatever drops them (DEL, an overwrite,
// FLUSHALL); small ones and single-allocation packs inline. Counted by the INFO figures.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/lazy_free.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;

// SADD of `n` 30-byte members: a hashtable set of about 50 bytes per member.
void FillSet(Harness& h, const std::string& key, int n) {
  std::vector<std::string> args = {"SADD", key};
  for (int i = 0; i < n; ++i) args.push_back("member:" + std::to_string(i) + std::string(20, 'x'));
  std::vector<std::string_view> views(args.begin(), args.end());
  h.Run(views);
}

// Containers the thread freed while running `fn`.
template <typename Fn>
uint64_t FreedLazily(Fn&& fn) {
  LazyFreeDrain();
  const uint64_t before = LazyFreedObjects();
  fn();
  LazyFreeDrain();
  CHECK(LazyFreePendingObjects() == 0);
  return LazyFreedObjects() - before;
}

TEST_CASE("DEL, overwrite and FLUSHALL of a big set free it on the background thread") {
  Harness h;
  CHECK(FreedLazily([&] {
          FillSet(h, "big", 5000);
          CHECK(h.Run({"DEL", "big"}) == test::Int(1));
        }) == 1);
  CHECK(FreedLazily([&] {
          FillSet(h, "big", 5000);
          h.Run({"SET", "big", "now a string"});
        }) == 1);
  CHECK(FreedLazily([&] {
          FillSet(h, "a", 5000);
          FillSet(h, "b", 5000);
          h.Run({"FLUSHALL"});
        }) == 2);
  CHECK(h.Run({"DBSIZE"}) == test::Int(0));
}

TEST_CASE("Small collections and packs are freed inline") {
  Harness h;
  CHECK(FreedLazily([&] {
          FillSet(h, "small", 100);
          h.Run({"DEL", "small"});
          h.Run({"CONFIG", "SET", "set-max-listpack-entries", "100000"});
          h.Run({"CONFIG", "SET", "set-max-listpack-value", "100"});
          FillSet(h, "pack", 5000);  // one listpack: one free, whatever its size
          h.Run({"DEL", "pack"});
        }) == 0);
  // The limits are process-wide: back to the defaults for the other tests.
  h.Run({"CONFIG", "SET", "set-max-listpack-entries", "128"});
  h.Run({"CONFIG", "SET", "set-max-listpack-value", "64"});
}

}  // namespace
}  // namespace kv
