#include <doctest/doctest.h>

#include <string>

#include "core/shard.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;
using test::kOk;

TEST_CASE("CLIENT REPLY sets the flags the session drops replies by") {
  Harness h;
  ClientState& c = h.client();
  CHECK(h.Run({"CLIENT", "REPLY", "SKIP"}).empty());
  CHECK(c.reply_skip_next);
  CHECK_FALSE(c.reply_off);
  c.reply_skip_next = false;
  CHECK(h.Run({"CLIENT", "REPLY", "OFF"}).empty());
  CHECK(c.reply_off);
  CHECK(h.Run({"CLIENT", "REPLY", "skip"}).empty());
  CHECK_FALSE(c.reply_skip_next);  // SKIP while off changes nothing
  CHECK(h.Run({"CLIENT", "REPLY", "On"}) == kOk);
  CHECK_FALSE(c.reply_off);
  c.reply_off = true;
  c.reply_skip_next = true;
  CHECK(h.Run({"RESET"}) == "+RESET\r\n");
  CHECK_FALSE(c.reply_off);
  CHECK_FALSE(c.reply_skip_next);
  CHECK(h.Run({"CLIENT", "REPLY", "x"}) == "-ERR syntax error\r\n");
  CHECK(h.Run({"CLIENT", "REPLY"}) ==
        "-ERR wrong number of arguments for 'client|reply' command\r\n");
}

TEST_CASE("CLIENT NO-EVICT and NO-TOUCH flags") {
  Harness h;
  CHECK(h.Run({"CLIENT", "NO-EVICT", "ON"}) == kOk);
  CHECK(h.Run({"CLIENT", "NO-TOUCH", "on"}) == kOk);
  CHECK(h.Run({"CLIENT", "INFO"}).find(" flags=eT ") != std::string::npos);
  CHECK(h.Run({"RESET"}) == "+RESET\r\n");
  CHECK(h.client().no_evict.load());
  CHECK(h.Run({"CLIENT", "NO-EVICT", "off"}) == kOk);
  CHECK(h.Run({"CLIENT", "NO-TOUCH", "OFF"}) == kOk);
  CHECK(h.Run({"CLIENT", "INFO"}).find(" flags=N ") != std::string::npos);
  CHECK(h.Run({"CLIENT", "NO-TOUCH", "maybe"}) == "-ERR syntax error\r\n");
  CHECK(h.Run({"CLIENT", "NO-EVICT", "on", "x"}) ==
        "-ERR wrong number of arguments for 'client|no-evict' command\r\n");
}

TEST_CASE("NO-TOUCH: reads keep the LRU clock, TOUCH moves it") {
  Harness h;
  UpdateLruClock(1'000'000);
  CHECK(h.Run({"SET", "k", "v"}) == kOk);
  UpdateLruClock(2'000'000);
  h.client().no_touch = true;
  CHECK(h.Run({"GET", "k"}) == test::Bulk("v"));
  CHECK_FALSE(t_no_touch);  // only while the command runs
  Shard& shard = h.client().ns->ShardFor("k");
  CHECK(shard.Peek("k", 0)->lru() == LruClock() - 1000);
  CHECK(h.Run({"TOUCH", "k"}) == test::Int(1));
  CHECK(shard.Peek("k", 0)->lru() == LruClock());
  UpdateLruClock(3'000'000);
  h.client().no_touch = false;
  CHECK(h.Run({"GET", "k"}) == test::Bulk("v"));
  CHECK(shard.Peek("k", 0)->lru() == LruClock());
}

}  // namespace
}  // namespace kv
