// The snapshot's 'R' frame (a replica's replication ID, offset and stream namespace, written at
// a clean shutdown): it round-trips through the writer and every reader, an image without it has
// no mark, and a misplaced or malformed frame is refused.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/keyspace.h"
#include "persist/files.h"
#include "persist/format.h"
#include "persist/snapshot.h"
#include "persist/snapshot_image_test.h"
#include "temp_dir.h"

namespace kv::persist {
namespace {

using test::TempDir;
using test_image::Image;

const ReplicationMark kMark{std::string(40, 'a'), 123456789, "app"};

std::string MarkPayload(std::string_view replid, std::string_view ns) {
  std::string p;
  Encoder e(&p);
  e.U8('R');
  e.Str8(replid);
  e.U64(42);
  e.Str8(ns);
  return p;
}

std::string NamespacePayload() {
  std::string p;
  Encoder e(&p);
  e.U8('N');
  e.Str8("0");
  e.U64(0);
  return p;
}

std::string Read(std::string_view image, SnapshotInfo* info) {
  SnapshotSink none;
  size_t bad = SIZE_MAX;
  return ReadSnapshot(image, none, info, &bad);
}

}  // namespace

TEST_CASE("snapshot 'R' frame: the mark round-trips; an image without one has none") {
  TempDir dir;
  Store src(4);
  src.Get("app")->ShardFor("k").Set("k", ScalarView::Bytes("v"), kNoExpire);
  const std::string path = dir.path + "/" + SnapshotName(7);
  SnapshotInfo info;
  REQUIRE(WriteSnapshot(src.All(), path, 7, 2000, &info, {}, &kMark) == "");
  REQUIRE(info.replication);
  CHECK(info.replication->replid == kMark.replid);

  Store dst(4);
  SnapshotInfo loaded;
  REQUIRE(LoadSnapshot(path, dst, nullptr, &loaded) == "");
  REQUIRE(loaded.replication);
  CHECK(loaded.replication->replid == kMark.replid);
  CHECK(loaded.replication->offset == kMark.offset);
  CHECK(loaded.replication->ns == "app");
  CHECK(loaded.keys == 1);

  REQUIRE(WriteSnapshot(src.All(), path, 7, 2000, &info) == "");
  CHECK(!info.replication);
  REQUIRE(LoadSnapshot(path, dst, nullptr, &loaded) == "");
  CHECK(!loaded.replication);
  // Version 5 images (no 'R' frame) still load, without a mark.
  CHECK(Read(Image(5, {NamespacePayload()}, 1), &loaded) == "");
  CHECK(!loaded.replication);
}

TEST_CASE("snapshot 'R' frame: a misplaced or malformed frame is refused") {
  const std::string id(40, 'b');
  auto refused = [](const std::string& image, std::string_view why) {
    SnapshotInfo info;
    const std::string err = Read(image, &info);
    CHECK_MESSAGE(err.find(why) != std::string::npos, err);
  };
  SnapshotInfo info;
  CHECK(Read(Image(6, {MarkPayload(id, "0"), NamespacePayload()}, 1), &info) == "");
  CHECK(info.replication->offset == 42);
  refused(Image(5, {MarkPayload(id, "0")}, 0), "a replication frame in a version 5 snapshot");
  refused(Image(6, {NamespacePayload(), MarkPayload(id, "0")}, 1),
          "a replication frame after the namespaces");
  refused(Image(6, {MarkPayload(id, "0"), MarkPayload(id, "0")}, 0), "or a second one");
  refused(Image(6, {MarkPayload("short", "0")}, 0), "bad replication frame");
  refused(Image(6, {MarkPayload(id, "")}, 0), "bad replication frame");
}

}  // namespace kv::persist
