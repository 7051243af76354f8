// The atomic batch (lock plans, locks held across commands, re-entrant shard locks) and WATCH
// (which changes mark a watcher), in process.
#include <doctest/doctest.h>

#include <future>
#include <string>
#include <vector>

#include "commands/atomic_batch.h"
#include "commands/transactions.h"
#include "core/clock.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Cat;
using test::Err;
using test::Harness;
using test::Int;
using test::kOk;

// try_lock from another thread: whether the shard is free for anyone but the batch.
bool FreeForOthers(Shard& shard) {
  return std::async(std::launch::async, [&] {
           if (!shard.mu().try_lock()) return false;
           shard.mu().unlock();
           return true;
         }).get();
}

std::string RunAs(Harness& h, ClientState& c, std::vector<std::string_view> args) {
  std::string out;
  resp::RespWriter writer(&out);
  h.dispatcher().Execute(c, args, writer);
  return out;
}

TEST_CASE("LockPlan: what each kind of command makes a batch lock") {
  Harness h(8);
  Keyspace* ns = h.store().Get("0");
  auto plan_of = [&](std::vector<std::vector<std::string_view>> cmds) {
    LockPlan plan(h.store());
    for (auto& args : cmds) plan.AddCommand(*h.table().Find(args[0]), args, ns);
    return plan;
  };
  LockPlan keys = plan_of({{"SET", "a", "1"}, {"MGET", "b", "c"}});
  CHECK_FALSE(keys.everything());
  CHECK_FALSE(keys.whole_namespace());
  CHECK(plan_of({{"SET", "a", "1"}, {"KEYS", "*"}}).whole_namespace());
  CHECK(plan_of({{"FLUSHDB"}}).whole_namespace());
  CHECK(plan_of({{"PING"}, {"ECHO", "x"}}).everything() == false);
  CHECK(plan_of({{"INFO"}}).everything());  // may lock shards of every namespace
  CHECK(plan_of({{"FLUSHALL"}}).everything());
  CHECK(plan_of({{"SWAPDB", "0", "1"}}).everything());
  CHECK(h.store().All().size() == 2);  // SWAPDB's namespaces exist before the batch locks
  CHECK(plan_of({{"SELECT", "fresh"}}).everything());
  CHECK(plan_of({{"MOVE", "k", "other"}}).everything());
  CHECK(h.store().All().size() == 4);
  LockPlan two(h.store());
  two.AddKey(ns, "a");
  two.AddKey(h.store().Get("1"), "a");
  CHECK(two.everything());
}

TEST_CASE("AtomicBatch holds its shards across commands; commands inside relock them freely") {
  Harness h(8);
  Keyspace& ns = *h.store().Get("0");
  Shard& sa = ns.ShardFor("a");
  Shard& sb = ns.ShardFor("b");
  LockPlan plan(h.store());
  plan.AddKey(&ns, "a");
  plan.AddKey(&ns, "b");
  std::string out;
  resp::RespWriter writer(&out);
  {
    AtomicBatch batch(h.dispatcher(), h.client(), plan, NowMs());
    CHECK(AtomicBatch::Current() == &batch);
    CHECK_FALSE(FreeForOthers(sa));
    CHECK_FALSE(FreeForOthers(sb));
    std::vector<std::string_view> mset{"MSET", "a", "1", "b", "2"};
    batch.Run(mset, {}, writer);
    std::vector<std::string_view> incr{"INCR", "a"};
    batch.Run(incr, {}, writer);
    // Still held between and after commands.
    CHECK_FALSE(FreeForOthers(sa));
    CHECK_FALSE(FreeForOthers(sb));
  }
  CHECK(AtomicBatch::Current() == nullptr);
  CHECK(FreeForOthers(sa));
  CHECK(FreeForOthers(sb));
  CHECK(out == Cat({kOk, Int(2)}));
  CHECK(h.Run({"MGET", "a", "b"}) == Cat({"*2\r\n", Bulk("2"), Bulk("2")}));
}

TEST_CASE("AtomicBatch over a whole namespace runs commands that lock shard by shard") {
  Harness h(8);
  h.Run({"MSET", "a", "1", "b", "2", "c", "3"});
  LockPlan plan(h.store());
  plan.AddNamespace(h.store().Get("0"));
  std::string out;
  resp::RespWriter writer(&out);
  {
    AtomicBatch batch(h.dispatcher(), h.client(), plan, NowMs());
    for (uint32_t i = 0; i < 8; ++i) CHECK_FALSE(FreeForOthers(h.store().Get("0")->shard(i)));
    std::vector<std::string_view> dbsize{"DBSIZE"}, flush{"FLUSHDB"};
    batch.Run(dbsize, {}, writer);
    batch.Run(flush, {}, writer);
    batch.Run(dbsize, {}, writer);
  }
  CHECK(out == Cat({Int(3), kOk, Int(0)}));
}

TEST_CASE("MULTI/EXEC through the dispatcher") {
  Harness h;
  CHECK(h.Run({"MULTI"}) == kOk);
  CHECK(h.Run({"SET", "k", "v"}) == "+QUEUED\r\n");
  CHECK(h.Run({"GET", "k"}) == "+QUEUED\r\n");
  CHECK(h.client().tx.queued_count.load() == 2);
  CHECK(h.Run({"EXEC"}) == Cat({"*2\r\n", kOk, Bulk("v")}));
  CHECK(h.client().tx.queued_count.load() == -1);
  CHECK(h.Run({"MULTI"}) == kOk);
  CHECK(h.Run({"GET"}) == Err("ERR wrong number of arguments for 'get' command"));
  CHECK(h.Run({"EXEC"}) == Err("EXECABORT Transaction discarded because of previous errors."));
  CHECK(h.Run({"EXEC"}) == Err("ERR EXEC without MULTI"));
}

TEST_CASE("Shard marks a watcher on every change to its key, and only then") {
  Shard s, other;
  WatchFlag f;
  CHECK(s.Watch("k", &f));
  CHECK_FALSE(s.Watch("k", &f));
  const int64_t now = NowMs();
  auto dirty = [&] { return f.dirty.exchange(false); };
  s.Set("x", ScalarView::Bytes("1"), kNoExpire);
  CHECK_FALSE(dirty());
  s.Set("k", ScalarView::Bytes("1"), kNoExpire);
  CHECK(dirty());
  s.SetExpire("k", now + 5, now);
  CHECK(dirty());
  CHECK(s.Peek("k", now + 10) == nullptr);  // lazily expired
  CHECK(dirty());
  CHECK_FALSE(s.Erase("k", now));
  CHECK_FALSE(dirty());
  s.Clear();  // the watched key does not exist: not a change
  CHECK_FALSE(dirty());
  other.Set("k", ScalarView::Bytes("2"), kNoExpire);
  s.SwapContents(other);  // k arrives
  CHECK(dirty());
  s.Clear();
  CHECK(dirty());
  s.Unwatch("k", &f);
  CHECK_FALSE(s.watched());
  s.Set("k", ScalarView::Bytes("3"), kNoExpire);
  CHECK_FALSE(dirty());
}

TEST_CASE("WATCH: a write from another client marks the watcher, an in-place one too") {
  Harness h;
  ClientState other;
  other.ns = h.store().Get("0");
  h.Run({"SET", "n", "1"});
  CHECK(h.Run({"WATCH", "n", "m"}) == kOk);
  CHECK_FALSE(h.client().tx.watch.dirty.load());
  RunAs(h, other, {"GET", "n"});
  RunAs(h, other, {"SET", "unrelated", "1"});
  CHECK_FALSE(h.client().tx.watch.dirty.load());
  RunAs(h, other, {"SETRANGE", "n", "0", "2"});  // changes the entry in place
  CHECK(h.client().tx.watch.dirty.load());
  h.Run({"MULTI"});
  h.Run({"SET", "n", "x"});
  CHECK(h.Run({"EXEC"}) == "*-1\r\n");
  CHECK(h.Run({"GET", "n"}) == Bulk("2"));
  // EXEC forgot the watches: the shards hold no watcher any more.
  CHECK_FALSE(h.store().Get("0")->ShardFor("n").watched());
  CHECK_FALSE(h.store().Get("0")->ShardFor("m").watched());
  h.Run({"WATCH", "n", "n"});
  h.Run({"WATCH", "n"});
  CHECK(h.client().tx.watched.size() == 1);  // a key watched again is one watch
  UnwatchAll(h.client());
  CHECK_FALSE(h.store().Get("0")->ShardFor("n").watched());
}

}  // namespace
}  // namespace kv
