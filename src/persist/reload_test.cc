// DEBUG RELOAD's two halves: ReplaceWithSnapshotLocked (all or nothing under a StoreFreeze) and
// Persistence::Reload (the snapshot it takes is the one a restart loads).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/keyspace.h"
#include "persist/files.h"
#include "persist/manifest.h"
#include "persist/persistence.h"
#include "persist/snapshot.h"
#include "temp_dir.h"

namespace kv::persist {
namespace {

using ReloadDir = test::TempDir;

bool Has(Store& s, std::string_view ns, std::string_view key) {
  Shard& shard = s.Get(ns)->ShardFor(key);
  std::lock_guard lock(shard.mu());
  return shard.Peek(key, 1000) != nullptr;
}

void Put(Store& s, std::string_view ns, std::string_view key, int64_t expire_at = kNoExpire) {
  Shard& shard = s.Get(ns)->ShardFor(key);
  std::lock_guard lock(shard.mu());
  shard.Set(key, ScalarView::Bytes("v"), expire_at);
}

}  // namespace

TEST_CASE("ReplaceWithSnapshotLocked: a damaged image or an unknown namespace changes nothing") {
  ReloadDir dir;
  Store image_src(4);
  Put(image_src, "0", "from-image");
  Put(image_src, "other", "elsewhere");
  const std::string path = dir.path + "/" + SnapshotName(1);
  REQUIRE(WriteSnapshot(image_src.All(), path, 1, 1000, nullptr) == "");
  std::string data;
  REQUIRE(ReadWholeFile(path, &data) == "");

  Store live(4);
  Put(live, "0", "old");
  SnapshotInfo info;
  {
    // Only namespace "0" exists here: the image's "other" has nowhere to go.
    StoreFreeze freeze(live);
    CHECK(ReplaceWithSnapshotLocked(data, freeze.spaces(), &info) != "");
  }
  CHECK(Has(live, "0", "old"));
  live.Get("other");
  std::string damaged = data;
  damaged[damaged.size() / 2] ^= 0x20;
  {
    StoreFreeze freeze(live);
    CHECK(ReplaceWithSnapshotLocked(damaged, freeze.spaces(), &info) != "");
    CHECK(ReplaceWithSnapshotLocked(std::string_view(data).substr(0, data.size() - 3),
                                    freeze.spaces(), &info) != "");
  }
  CHECK(Has(live, "0", "old"));
  {
    StoreFreeze freeze(live);
    CHECK(ReplaceWithSnapshotLocked(data, freeze.spaces(), &info) == "");
  }
  CHECK(info.keys == 2);
  CHECK_FALSE(Has(live, "0", "old"));
  CHECK(Has(live, "0", "from-image"));
  CHECK(Has(live, "other", "elsewhere"));
}

TEST_CASE("Persistence::Reload commits the snapshot a restart loads") {
  ReloadDir dir;
  PersistenceOptions po;
  po.dir = dir.path;
  {
    Store store(4);
    Persistence p(store, po);
    RecoveryReport report;
    REQUIRE(p.Recover([](const WalRecord&) { return std::string(); }, &report) == "");
    REQUIRE(p.OpenLog([] {}) == "");
    Put(store, "0", "kept");
    Put(store, "0", "with-ttl", 4000000000000);
    Put(store, "ns2", "other");
    Put(store, "0", "expired", 1);  // long gone: the reload drops it, as a restart would
    REQUIRE(p.Reload() == "");
    CHECK(Has(store, "0", "kept"));
    CHECK(Has(store, "ns2", "other"));
    CHECK(store.Get("0")->Size() == 2);
    Manifest m;
    bool exists = false;
    REQUIRE(LoadManifest(dir.path, &m, &exists) == "");
    CHECK(exists);
    CHECK(m.snapshot == SnapshotName(0));
    CHECK(std::filesystem::exists(dir.path + "/" + m.snapshot));
    CHECK(p.Shutdown(false) == "");
  }
  Store again(4);
  Persistence p(again, po);
  RecoveryReport report;
  REQUIRE(p.Recover([](const WalRecord&) { return std::string(); }, &report) == "");
  CHECK(Has(again, "0", "kept"));
  CHECK(Has(again, "0", "with-ttl"));
  CHECK(Has(again, "ns2", "other"));
  CHECK_FALSE(Has(again, "0", "expired"));
}

TEST_CASE("Persistence::Reload with persistence off leaves the directory alone") {
  ReloadDir dir;
  PersistenceOptions po;
  po.dir = dir.path + "/never";
  po.enabled = false;
  Store store(4);
  Persistence p(store, po);
  Put(store, "0", "k");
  REQUIRE(p.Reload() == "");
  CHECK(Has(store, "0", "k"));
  CHECK_FALSE(std::filesystem::exists(po.dir));
}

}  // namespace kv::persist
