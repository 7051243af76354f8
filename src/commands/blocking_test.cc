// Blocking pops through the dispatcher (commands/blocking.h, blocking_family.cc): a pop with
// nothing to take queues the client and asks the session to keep the request; a push wakes
// the first waiter of the key only; a waiter that is served or leaves wakes the next; a client
// that is not first in a key's queue may not take from it; the timed-out run answers nil.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "commands/blocking.h"
#include "core/shard.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;

std::vector<uint64_t>& Woken() {
  static std::vector<uint64_t> woken;
  return woken;
}

void RecordWake(int /*io_thread*/, uint64_t client_id) { Woken().push_back(client_id); }

// Installs the registry's key-ready hook and a recording waker for one test case.
struct Registry {
  Registry() {
    Woken().clear();
    blocking::SetWaker(&RecordWake);
    blocking::Install();
  }
  ~Registry() {
    SetKeyReadyListener(nullptr);
    blocking::SetWaker(nullptr);
  }
};

// Runs a blocking command for `h`'s client: its reply, or "" when it blocked (the session would
// keep the request).
std::string RunBlocking(Harness& h, std::initializer_list<std::string_view> args) {
  std::string reply = h.Run(args);
  if (h.client().block_requested) {
    h.client().block_requested = false;
    CHECK(reply.empty());
    return "";
  }
  h.client().block_deadline_ms = 0;
  return reply;
}

TEST_CASE("BLPOP blocks on an empty key, is woken by the push and pops; FIFO among waiters") {
  Registry registry;
  Harness a;
  // Two more clients on the same keyspace.
  ClientState b_state, c_state;
  Harness& h = a;
  b_state.id = 1001;
  c_state.id = 1002;
  for (ClientState* c : {&b_state, &c_state}) {
    c->ns = h.client().ns;
    c->user = h.client().user;
  }

  CHECK(RunBlocking(h, {"BLPOP", "q", "0"}).empty());
  CHECK(h.client().block_deadline_ms == blocking::kForever);
  CHECK(h.client().blocked_keys.size() == 1);

  // The other two queue behind it on the same key.
  Shard& shard = h.client().ns->ShardFor("q");
  {
    std::lock_guard lock(shard.mu());
    blocking::Wait(shard, "q", ObjType::kList, b_state);
    blocking::Wait(shard, "q", ObjType::kList, c_state);
    blocking::Wait(shard, "q", ObjType::kList, b_state);  // once: its place is kept
    CHECK_FALSE(blocking::MayServe(shard, "q", ObjType::kList, b_state));
    CHECK(blocking::MayServe(shard, "q", ObjType::kList, h.client()));
    // Another type's queue on the same key is another queue.
    CHECK(blocking::MayServe(shard, "q", ObjType::kZSet, b_state));
  }

  // A push creating the list wakes only the first waiter.
  h.Run({"RPUSH", "q", "x", "y"});
  CHECK(Woken() == std::vector<uint64_t>{h.client().id});

  // Woken, it runs again and pops; leaving the queue it led wakes the next one.
  Woken().clear();
  CHECK(RunBlocking(h, {"BLPOP", "q", "0"}) == "*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
  CHECK(h.client().blocked_keys.empty());
  CHECK(Woken() == std::vector<uint64_t>{b_state.id});

  // A newcomer may not take the element the woken waiter is due.
  CHECK(RunBlocking(h, {"BLPOP", "q", "0"}).empty());
  CHECK(h.Run({"LLEN", "q"}) == ":1\r\n");

  // The waiter that leaves without being served (disconnect, timeout) wakes the next.
  Woken().clear();
  blocking::Release(b_state);
  CHECK(Woken() == std::vector<uint64_t>{c_state.id});
  blocking::Release(c_state);
  blocking::Release(h.client());
}

TEST_CASE("Timed out, inside MULTI, or on a key of another type") {
  Registry registry;
  Harness h;
  // The last run of a blocked request (deadline passed) answers nil and leaves the queues.
  CHECK(RunBlocking(h, {"BRPOP", "a", "b", "0.5"}).empty());
  CHECK(h.client().blocked_keys.size() == 2);
  h.client().block_timed_out = true;
  CHECK(RunBlocking(h, {"BRPOP", "a", "b", "0.5"}) == "*-1\r\n");
  h.client().block_timed_out = false;
  CHECK(h.client().blocked_keys.empty());

  // MULTI runs it as its non-blocking form.
  h.Run({"MULTI"});
  h.Run({"BLMOVE", "a", "b", "LEFT", "RIGHT", "0"});
  h.Run({"BZPOPMIN", "z", "0"});
  CHECK(h.Run({"EXEC"}) == "*2\r\n$-1\r\n*-1\r\n");
  CHECK(h.client().blocked_keys.empty());

  // WRONGTYPE before blocking, as Redis.
  h.Run({"SET", "s", "v"});
  CHECK(RunBlocking(h, {"BLPOP", "none", "s", "0"}).starts_with("-WRONGTYPE"));
  CHECK(h.client().blocked_keys.empty());
}

TEST_CASE("Served pops are logged as their non-blocking commands") {
  Registry registry;
  Harness h;
  h.Run({"RPUSH", "l", "a", "b", "c"});
  h.Run({"ZADD", "z", "1", "m", "2", "n"});
  CHECK(RunBlocking(h, {"BLMPOP", "0", "2", "x", "l", "RIGHT", "COUNT", "2"}) ==
        "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
  CHECK(RunBlocking(h, {"BZPOPMAX", "z", "0"}) == "*3\r\n$1\r\nz\r\n$1\r\nn\r\n$1\r\n2\r\n");
  CHECK(RunBlocking(h, {"BRPOPLPUSH", "l", "dst", "0"}) == "$1\r\na\r\n");
  CHECK(h.Run({"LRANGE", "dst", "0", "-1"}) == "*1\r\n$1\r\na\r\n");
  CHECK(RunBlocking(h, {"BZMPOP", "1", "1", "z", "MIN"}) ==
        "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nm\r\n$1\r\n1\r\n");
  CHECK(h.Run({"EXISTS", "l", "z"}) == ":0\r\n");
}

}  // namespace
}  // namespace kv
