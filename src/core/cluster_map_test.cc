#include "core/cluster_map.h"
#include "core/keyspace.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.h"

namespace kv {

namespace {
const std::string kA(40, 'a');
const std::string kB(40, 'b');
const std::string kC(40, 'c');

std::string ThreeNodes() {
  return kA + " 127.0.0.1:7001@17001 master - 0 0 1 connected 0-5460\n" +
         kB + " 127.0.0.1:7002@17002 master - 0 0 2 connected 5461-10922\n" +
         kC + " 127.0.0.1:7003@17003,host-c master - 0 0 3 connected 10923-16383\n" +
         "vars currentEpoch 3 lastVoteEpoch 0\n";
}
}  // namespace

TEST_CASE("cluster map: a shared file, each node found by its address") {
  ClusterMap m;
  REQUIRE(m.Parse(ThreeNodes(), "127.0.0.1", 7002) == "");
  CHECK(m.nodes().size() == 3);
  CHECK(m.myself() == 1);
  CHECK(m.me().id == kB);
  CHECK(m.owner(0) == 0);
  CHECK(m.owner(5460) == 0);
  CHECK(m.owner(5461) == 1);
  CHECK(m.owner(16383) == 2);
  CHECK(m.slots_assigned() == 16384);
  CHECK(m.current_epoch() == 3);
  CHECK(m.nodes()[2].hostname == "host-c");
  CHECK(m.nodes()[2].cport == 17003);
  // Written back with this node flagged, in Redis's form.
  const std::string text = m.Format(true);
  CHECK(text.find(kB + " 127.0.0.1:7002@17002 myself,master - 0 0 2 connected 5461-10922\n") !=
        std::string::npos);
  CHECK(text.find(kC + " 127.0.0.1:7003@17003,host-c master - 0 0 3 connected 10923-16383\n") !=
        std::string::npos);
  CHECK(text.ends_with("vars currentEpoch 3 lastVoteEpoch 0\n"));
  // And read back as the same map, now by its myself flag whatever the address.
  ClusterMap again;
  REQUIRE(again.Parse(text, "10.0.0.9", 1) == "");
  CHECK(again.myself() == 1);
  CHECK(again.Format(true) == text);
}

TEST_CASE("cluster map: slot states and single slots round-trip") {
  ClusterMap m;
  const std::string text =
      kA + " 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-99 101 [100->-" + kB + "]\n" +
      kB + " 127.0.0.1:7002@17002 master - 0 0 2 connected 100 102-16383\n";
  // The migration belongs to the node serving the slot: here slot 100 is B's.
  CHECK(m.Parse(text, "", 0).find("migrating") != std::string::npos);
  ClusterMap ok;
  const std::string fixed =
      kA + " 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-99 101 [101->-" + kB + "]\n" +
      kB + " 127.0.0.1:7002@17002 master - 0 0 2 connected 100 102-16383\n";
  REQUIRE(ok.Parse(fixed, "", 0) == "");
  CHECK(ok.owner(100) == 1);
  CHECK(ok.owner(101) == 0);
  CHECK(ok.slots_assigned() == 16384);
  CHECK(ok.migrating_to(101) == 1);
  CHECK(ok.importing_from(101) == ClusterMap::kNone);
  CHECK(ok.Format(false) == fixed);

  ClusterMap imp;
  const std::string importing =
      kA + " 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-99 [100-<-" + kB + "]\n" +
      kB + " 127.0.0.1:7002 master - 0 0 2 connected 100-16383\n";
  REQUIRE(imp.Parse(importing, "", 0) == "");
  CHECK(imp.importing_from(100) == 1);
  CHECK(imp.nodes()[1].cport == 17002);  // no @cport: port + 10000, as Redis
  CHECK(imp.Format(false) ==
        kA + " 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-99 [100-<-" + kB + "]\n" +
            kB + " 127.0.0.1:7002@17002 master - 0 0 2 connected 100-16383\n");
}

TEST_CASE("cluster map: an empty file makes a node with a new ID and no slots") {
  ClusterMap m;
  REQUIRE(m.Parse("", "127.0.0.1", 6381) == "");
  CHECK(m.nodes().size() == 1);
  CHECK(m.me().id.size() == 40);
  CHECK(m.me().id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(m.slots_assigned() == 0);
  ClusterMap other;
  REQUIRE(other.Parse("", "127.0.0.1", 6381) == "");
  CHECK(other.me().id != m.me().id);
}

TEST_CASE("cluster map: damaged files are refused with the line") {
  auto err = [](const std::string& text) {
    ClusterMap m;
    return m.Parse(text, "127.0.0.1", 7001);
  };
  CHECK(err("nothex " + std::string("127.0.0.1:1@2 master - 0 0 0 connected\n"))
            .starts_with("line 1: 'nothex' is not a node ID"));
  CHECK(err(kA + " 127.0.0.1:1 master\n") == "line 1: a node line needs at least 8 fields");
  CHECK(err(kA + " 127.0.0.1 master - 0 0 0 connected\n").starts_with("line 1: '127.0.0.1' is not"));
  CHECK(err(kA + " 127.0.0.1:1 master - 0 0 0 connected 5-3\n") == "line 1: bad slot range '5-3'");
  CHECK(err(kA + " 127.0.0.1:1 master - 0 0 0 connected 16384\n") == "line 1: bad slot '16384'");
  CHECK(err(kA + " 127.0.0.1:1 master - 0 0 0 connected 1\n" + kB +
            " 127.0.0.1:2 master - 0 0 0 connected 0-2\n") == "line 2: slot 1 is assigned twice");
  CHECK(err(kA + " 127.0.0.1:1 master - 0 0 0 connected\n" + kA +
            " 127.0.0.1:2 master - 0 0 0 connected\n")
            .find("listed twice") != std::string::npos);
  CHECK(err(kA + " 127.0.0.1:1 slave " + kB + " 0 0 0 connected\n").find("replicas") !=
        std::string::npos);
  CHECK(err(kA + " 127.0.0.1:1 myself,master - 0 0 0 connected [3->-" + kC + "]\n")
            .find("unknown node") != std::string::npos);
  CHECK(err("# comment\n\n" + kA + " 127.0.0.1:7001@17001 master - 0 0 0 connected\n") == "");
}

TEST_CASE("cluster map: Load keeps the node's ID in the file") {
  test::TempDir dir;
  const std::string path = dir.path + "/nodes.conf";
  std::string id;
  {
    ClusterMap m;
    REQUIRE(m.Load(path, "127.0.0.1", 7001) == "");
    id = m.me().id;
    m.SetOwner(7, static_cast<uint16_t>(m.myself()));
    REQUIRE(m.Save() == "");
  }
  ClusterMap m;
  REQUIRE(m.Load(path, "127.0.0.1", 9999) == "");
  CHECK(m.me().id == id);
  CHECK(m.owner(7) == m.myself());
  CHECK(m.slots_assigned() == 1);
  std::ofstream(path) << "garbage line\n";
  ClusterMap bad;
  CHECK(bad.Load(path, "127.0.0.1", 7001).find("nodes.conf: line 1:") != std::string::npos);
}

TEST_CASE("cluster map: an import that ends takes a new epoch") {
  ClusterMap m;
  REQUIRE(m.Parse(ThreeNodes(), "127.0.0.1", 7001) == "");
  m.BumpMyEpoch();
  CHECK(m.me().config_epoch == 4);
  CHECK(m.current_epoch() == 4);
  m.BumpMyEpoch();  // already the highest: unchanged
  CHECK(m.me().config_epoch == 4);
}

}  // namespace kv

namespace kv {

TEST_CASE("keyspace by slot: a slot's keys share a shard") {
  Keyspace ks("0", 16, true);
  CHECK(ks.shard_by_slot());
  CHECK(ks.ShardIndex("{user1000}.following") == ks.ShardIndex("{user1000}.followers"));
  CHECK(ks.ShardIndex("foo") == (12182u & 15));
  CHECK(ks.ShardOf("foo", 0) == (12182u & 15));  // the hash is not used
  Keyspace by_hash("0", 16);
  CHECK_FALSE(by_hash.shard_by_slot());
  CHECK(by_hash.ShardOf("foo", 0x1234) == 4);
  CHECK(by_hash.ShardIndex("foo") == (static_cast<uint32_t>(Table::Hash("foo")) & 15));
  Store store(8, true);
  CHECK(store.Get("0")->shard_by_slot());
}

}  // namespace kv
