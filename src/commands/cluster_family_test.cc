// Cluster routing through the dispatcher, in process (Redis's getNodeByQuery cases): MOVED,
// CROSSSLOT, CLUSTERDOWN, EXEC's queue, ASK and TRYAGAIN during a migration, ASKING and
// RESTORE-ASKING on the importing side, and nothing of it without cluster mode.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "core/cluster_map.h"
#include "temp_dir.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Err;
using test::Harness;
using test::Int;
using test::kOk;

const std::string kA(40, 'a'), kB(40, 'b'), kC(40, 'c');

// This node is A (slots 0-5460); slot 16383 has no node. Keys: "bar" 5061 and "b" 3300 are A's,
// "foo" 12182 is C's, "k10322" is in slot 16383.
struct ClusterHarness {
  Harness h;
  test::TempDir dir;
  ClusterMap map;
  explicit ClusterHarness(std::string extra = "") {
    std::ofstream(dir.path + "/nodes.conf")
        << kA + " 10.0.0.1:7001@17001 master - 0 0 1 connected 0-5460 " + extra + "\n" + kB +
               " 10.0.0.2:7002@17002 master - 0 0 2 connected 5461-10922\n" + kC +
               " 10.0.0.3:7003@17003 master - 0 0 3 connected 10923-16382\n";
    REQUIRE(map.Load(dir.path + "/nodes.conf", "10.0.0.1", 7001) == "");
    h.config().cluster_require_full_coverage = false;
    h.server().cluster = &map;
  }
};

TEST_CASE("cluster routing: MOVED, CROSSSLOT, CLUSTERDOWN, keyless commands") {
  ClusterHarness c;
  Harness& h = c.h;
  CHECK(h.Run({"SET", "bar", "1"}) == kOk);
  CHECK(h.Run({"GET", "foo"}) == Err("MOVED 12182 10.0.0.3:7003"));
  CHECK(h.Run({"MSET", "bar", "1", "b", "2"}) ==
        Err("CROSSSLOT Keys in request don't hash to the same slot"));
  CHECK(h.Run({"MSET", "{bar}x", "1", "bar", "2"}) == kOk);
  CHECK(h.Run({"GET", "k10322"}) == Err("CLUSTERDOWN Hash slot not served"));
  CHECK(h.Run({"PING"}) == "+PONG\r\n");
  CHECK(h.Run({"EVAL", "return 1", "1", "foo"}) == Err("MOVED 12182 10.0.0.3:7003"));
  CHECK(h.Run({"EVAL", "return 1", "0"}) == Int(1));
  // A slot left without a node takes the whole cluster down when full coverage is required.
  h.config().cluster_require_full_coverage = true;
  CHECK(h.Run({"GET", "bar"}) == Err("CLUSTERDOWN The cluster is down"));
  CHECK(h.Run({"GET", "k10322"}) == Err("CLUSTERDOWN Hash slot not served"));
}

TEST_CASE("cluster routing: EXEC checks its queue as one request") {
  ClusterHarness c;
  Harness& h = c.h;
  CHECK(h.Run({"MULTI"}) == kOk);
  CHECK(h.Run({"SET", "bar", "1"}) == "+QUEUED\r\n");
  CHECK(h.Run({"SET", "b", "1"}) == "+QUEUED\r\n");
  CHECK(h.Run({"EXEC"}) == Err("CROSSSLOT Keys in request don't hash to the same slot"));
  CHECK_FALSE(h.client().tx.in_multi);
  CHECK(h.Run({"GET", "bar"}) == "$-1\r\n");
  CHECK(h.Run({"MULTI"}) == kOk);
  CHECK(h.Run({"GET", "foo"}) == Err("MOVED 12182 10.0.0.3:7003"));
  CHECK(h.Run({"EXEC"}) ==
        Err("EXECABORT Transaction discarded because of previous errors."));
}

TEST_CASE("cluster routing: the migrating side answers ASK for keys it no longer has") {
  ClusterHarness c("[5061->-" + kB + "]");
  Harness& h = c.h;
  // A new key goes to the importing node too.
  CHECK(h.Run({"SET", "{bar}here", "1"}) == Err("ASK 5061 10.0.0.2:7002"));
  h.server().cluster = nullptr;  // one written before the migration began
  CHECK(h.Run({"SET", "{bar}here", "1"}) == kOk);
  h.server().cluster = &c.map;
  CHECK(h.Run({"GET", "{bar}here"}) == Bulk("1"));
  CHECK(h.Run({"GET", "bar"}) == Err("ASK 5061 10.0.0.2:7002"));
  CHECK(h.Run({"MGET", "{bar}here", "bar"}) ==
        Err("TRYAGAIN Multiple keys request during rehashing of slot"));
  // MIGRATE runs whatever keys are missing: it answers NOKEY itself.
  CHECK(h.Run({"MIGRATE", "127.0.0.1", "1", "bar", "0", "10"}) == "+NOKEY\r\n");
}

TEST_CASE("cluster routing: the importing side serves only ASKING clients") {
  test::TempDir dir;
  ClusterMap map;
  std::ofstream(dir.path + "/nodes.conf")
      << kA + " 10.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460 [5461-<-" + kB +
             "]\n" + kB + " 10.0.0.2:7002@17002 master - 0 0 2 connected 5461-16383\n";
  REQUIRE(map.Load(dir.path + "/nodes.conf", "", 0) == "");
  Harness h;
  h.server().cluster = &map;
  // "{u13267}" is slot 5461.
  CHECK(h.Run({"SET", "{u13267}a", "1"}) == Err("MOVED 5461 10.0.0.2:7002"));
  CHECK(h.Run({"ASKING"}) == kOk);
  CHECK(h.Run({"SET", "{u13267}a", "1"}) == kOk);
  CHECK(h.Run({"GET", "{u13267}a"}) == Err("MOVED 5461 10.0.0.2:7002"));  // one command only
  // Inside MULTI the flag lasts until EXEC.
  CHECK(h.Run({"ASKING"}) == kOk);
  CHECK(h.Run({"MULTI"}) == kOk);
  CHECK(h.Run({"GET", "{u13267}a"}) == "+QUEUED\r\n");
  CHECK(h.Run({"EXEC"}) == "*1\r\n" + Bulk("1"));
  CHECK_FALSE(h.client().asking);
  // Several keys while some are still on the other node.
  CHECK(h.Run({"ASKING"}) == kOk);
  CHECK(h.Run({"MGET", "{u13267}a", "{u13267}b"}) ==
        Err("TRYAGAIN Multiple keys request during rehashing of slot"));
  // RESTORE-ASKING needs no ASKING (MIGRATE sends it).
  CHECK(h.Run({"RESTORE-ASKING", "{u13267}b", "0", "bad payload"}) ==
        Err("ERR DUMP payload version or checksum are wrong"));
  CHECK(h.Run({"RESTORE", "{u13267}b", "0", "bad payload"}) == Err("MOVED 5461 10.0.0.2:7002"));
}

TEST_CASE("cluster routing: off, nothing is checked") {
  Harness h;
  CHECK(h.server().cluster == nullptr);
  CHECK(h.Run({"MSET", "bar", "1", "foo", "2"}) == kOk);
  CHECK(h.Run({"SELECT", "app"}) == kOk);
  CHECK(h.Run({"CLUSTER", "INFO"}) == Err("ERR This instance has cluster support disabled"));
}

}  // namespace
}  // namespace kv
