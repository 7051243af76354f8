// Big collections are freed on the background thread whatever drops them (DEL, UNLINK, an
// overwrite, FLUSHALL, expiry), each cause under its lazyfree-lazy-* switch; small ones and
// single-allocation packs inline. Counted by the INFO figures, and the memory figures count
// the bytes until the thread has freed them.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/lazy_free.h"
#include "core/memory.h"
#include "core/shard.h"
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

// Keys the thread freed while running `fn`.
template <typename Fn>
uint64_t FreedLazily(Fn&& fn) {
  LazyFreeDrain();
  const uint64_t before = LazyFreedObjects();
  fn();
  LazyFreeDrain();
  CHECK(LazyFreePendingObjects() == 0);
  CHECK(LazyFreePendingBytes() == 0);
  return LazyFreedObjects() - before;
}

// The switches are process-wide: every test leaves them at their defaults.
void SetSwitch(Harness& h, std::string_view name, std::string_view value) {
  CHECK(h.Run({"CONFIG", "SET", name, value}) == test::kOk);
}

constexpr const char* kSwitches[] = {"lazyfree-lazy-eviction", "lazyfree-lazy-expire",
                                     "lazyfree-lazy-server-del", "lazyfree-lazy-user-del",
                                     "lazyfree-lazy-user-flush"};

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

TEST_CASE("A big stream is freed on the background thread, a small one inline") {
  Harness h;
  auto fill = [&](const std::string& key, int n) {
    for (int i = 1; i <= n; ++i) {
      const std::string id = std::to_string(i) + "-1";
      h.Run({"XADD", key, id, "payload", std::string(40, 'p')});
    }
  };
  CHECK(FreedLazily([&] {
          fill("big", 3000);  // about 130 KB of nodes
          CHECK(h.Run({"DEL", "big"}) == test::Int(1));
        }) == 1);
  CHECK(FreedLazily([&] {
          fill("small", 50);
          CHECK(h.Run({"DEL", "small"}) == test::Int(1));
        }) == 0);
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

TEST_CASE("The lazyfree-lazy-* switches: yes by default, CONFIG SET and GET, bad values refused") {
  Harness h;
  for (const char* name : kSwitches) {
    CHECK(h.Run({"CONFIG", "GET", name}) ==
          test::Cat({"*2\r\n", test::Bulk(name), test::Bulk("yes")}));
    CHECK(h.Run({"CONFIG", "SET", name, "maybe"}).starts_with("-ERR"));
    SetSwitch(h, name, "no");
    CHECK(h.Run({"CONFIG", "GET", name}) ==
          test::Cat({"*2\r\n", test::Bulk(name), test::Bulk("no")}));
    SetSwitch(h, name, "yes");
  }
}

TEST_CASE("Each drop follows its switch; UNLINK and FLUSH... ASYNC are always lazy, SYNC never") {
  Harness h;
  for (const char* name : kSwitches) SetSwitch(h, name, "no");
  SUBCASE("DEL: lazyfree-lazy-user-del; UNLINK always") {
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"DEL", "big"}) == test::Int(1));
          }) == 0);
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"UNLINK", "big"}) == test::Int(1));
          }) == 1);
    SetSwitch(h, "lazyfree-lazy-user-del", "yes");
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"DEL", "big"}) == test::Int(1));
          }) == 1);
  }
  SUBCASE("an overwrite: lazyfree-lazy-server-del") {
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            h.Run({"SET", "big", "x"});
            FillSet(h, "big2", 5000);
            h.Run({"SET", "dst", "x"});
            h.Run({"RENAME", "dst", "big2"});
          }) == 0);
    SetSwitch(h, "lazyfree-lazy-server-del", "yes");
    CHECK(FreedLazily([&] {
            FillSet(h, "big3", 5000);
            h.Run({"SET", "big3", "x"});
            FillSet(h, "big4", 5000);
            h.Run({"SET", "dst", "x"});
            h.Run({"RENAME", "dst", "big4"});
          }) == 2);
    CHECK(FreedLazily([&] {
            FillSet(h, "big5", 5000);
            FillSet(h, "src", 5000);
            h.Run({"SUNIONSTORE", "big5", "src"});  // a STORE destination replaced
          }) == 1);
  }
  SUBCASE("FLUSHALL and FLUSHDB: lazyfree-lazy-user-flush; ASYNC always, SYNC never") {
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            h.Run({"FLUSHALL"});
            FillSet(h, "big", 5000);
            h.Run({"FLUSHDB"});
          }) == 0);
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"FLUSHALL", "ASYNC"}) == test::kOk);
            FillSet(h, "big", 5000);
            CHECK(h.Run({"FLUSHDB", "async"}) == test::kOk);
          }) == 2);
    SetSwitch(h, "lazyfree-lazy-user-flush", "yes");
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"FLUSHALL", "SYNC"}) == test::kOk);
          }) == 0);
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            h.Run({"FLUSHALL"});
          }) == 1);
    CHECK(h.Run({"FLUSHALL", "LATER"}) == test::Err("ERR syntax error"));
  }
  SUBCASE("expiry: lazyfree-lazy-expire, for EXPIRE in the past and a key met past its TTL") {
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"PEXPIREAT", "big", "1"}) == test::Int(1));
          }) == 0);
    SetSwitch(h, "lazyfree-lazy-expire", "yes");
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"PEXPIREAT", "big", "1"}) == test::Int(1));
          }) == 1);
    // Met by DEL after its TTL: an expiry, not a user delete (whose switch is no).
    CHECK(FreedLazily([&] {
            FillSet(h, "big", 5000);
            CHECK(h.Run({"PEXPIRE", "big", "1"}) == test::Int(1));
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            CHECK(h.Run({"DEL", "big"}) == test::Int(0));
          }) == 1);
  }
  for (const char* name : kSwitches) SetSwitch(h, name, "yes");
}

TEST_CASE("A flush hands whole tables of small keys to the thread, counted per key") {
  Harness h;  // 4 shards: about 250 keys each, past the 64-key threshold
  auto fill = [&] {
    for (int i = 0; i < 1000; ++i) h.Run({"SET", test::Key("k", i), "v"});
  };
  CHECK(FreedLazily([&] {
          fill();
          h.Run({"FLUSHALL"});
        }) == 1000);
  CHECK(FreedLazily([&] {
          fill();
          h.Run({"FLUSHALL", "SYNC"});
        }) == 0);
  CHECK(FreedLazily([&] {
          for (int i = 0; i < 10; ++i) h.Run({"SET", test::Key("k", i), "v"});
          h.Run({"FLUSHALL", "ASYNC"});  // a few keys: freed inline whatever the mode
        }) == 0);
  CHECK(h.Run({"DBSIZE"}) == test::Int(0));
}

TEST_CASE("Held, a dropped set stays counted as pending memory until the thread frees it") {
  Harness h;
  LazyFreeDrain();
  FillSet(h, "big", 20000);
  const int64_t tracked = GlobalEngineStats().tracked_bytes.load();
  const int64_t used = UsedMemory();
  LazyFreeHold(true);
  CHECK(h.Run({"DEL", "big"}) == test::Int(1));
  CHECK(LazyFreePendingObjects() == 1);
  const int64_t pending = LazyFreePendingBytes();
  CHECK(pending > 20000 * 30);
  // The keyspace's figure dropped; used_memory still counts the bytes (the allocator has them),
  // once, and maxmemory compares without them.
  CHECK(GlobalEngineStats().tracked_bytes.load() <= tracked - pending);
  CHECK(std::abs(UsedMemory() - used) < 4096);
  CHECK(UsedMemoryAfterPendingFrees() == UsedMemory() - pending);
  CHECK(h.Run({"EXISTS", "big"}) == test::Int(0));
  LazyFreeHold(false);
  LazyFreeDrain();
  CHECK(LazyFreePendingObjects() == 0);
  CHECK(LazyFreePendingBytes() == 0);
  CHECK(UsedMemory() <= used - pending);
}

}  // namespace
}  // namespace kv
