// Consumer groups across a restart, in process: XREADGROUP, XCLAIM and XAUTOCLAIM are logged as
// their effects (one record each), reads that change nothing are not logged, and replaying the
// log rebuilds the same groups (pending entries with their consumers, delivery times and
// counts; consumers; last-delivered IDs and entries-read).
#include <doctest/doctest.h>

#include <string>

#include "persist/persistence.h"
#include "temp_dir.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;
using test::TempDir;

// One process life over a data directory (as function_persist_test.cc): the data emptied, then
// recovered from the log.
struct Life {
  Harness& h;
  persist::Persistence p;
  persist::RecoveryReport report;
  Life(Harness& harness, const std::string& dir)
      : h(harness), p(harness.store(), [&] {
          persist::PersistenceOptions o;
          o.dir = dir;
          o.policy = persist::FsyncPolicy::kAlways;
          return o;
        }()) {
    h.store().ClearAll();
    h.server().persistence = &p;
    REQUIRE(p.Recover([this](const persist::WalRecord& r) { return h.dispatcher().Replay(r); },
                      &report) == "");
    REQUIRE(p.OpenLog(nullptr) == "");
  }
  ~Life() {
    p.Shutdown(false);
    h.server().persistence = nullptr;
  }
  uint64_t last_lsn() { return p.wal()->last_lsn(); }
};

Harness& Shared() {
  static Harness h;
  return h;
}

}  // namespace

TEST_CASE("Group reads and claims are logged as their effects and replay rebuilds the groups") {
  TempDir dir;
  Harness& h = Shared();
  std::string before;
  {
    Life life(h, dir.path);
    for (const char* id : {"1-1", "2-1", "3-1", "4-1", "5-1"}) h.Run({"XADD", "s", id, "f", "v"});
    h.Run({"XGROUP", "CREATE", "s", "g", "0"});
    const uint64_t lsn = life.last_lsn();
    h.Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"});
    CHECK(life.last_lsn() == lsn + 1);  // one record: consumer, three XCLAIMs, SETID
    h.Run({"XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">"});
    h.Run({"XCLAIM", "s", "g", "carol", "0", "1-1", "RETRYCOUNT", "5", "TIME", "1000"});
    h.Run({"XDEL", "s", "2-1"});
    h.Run({"XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "1"});
    h.Run({"XACK", "s", "g", "3-1"});
    const uint64_t after = life.last_lsn();
    // Reads that change nothing leave the log alone.
    h.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
    h.Run({"XREAD", "STREAMS", "s", "0"});
    h.Run({"XPENDING", "s", "g"});
    h.Run({"XINFO", "STREAM", "s", "FULL"});
    CHECK(life.last_lsn() == after);
    before = h.Run({"XINFO", "STREAM", "s", "FULL"});
    CHECK(before.find("carol") != std::string::npos);
  }
  {
    Life life(h, dir.path);
    // Times are absolute in XINFO STREAM FULL: replay restored the logged ones.
    CHECK(h.Run({"XINFO", "STREAM", "s", "FULL"}) == before);
  }
  h.store().ClearAll();
}

}  // namespace kv
