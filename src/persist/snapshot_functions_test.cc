// The snapshot's 'F' frame (the function libraries' code): what the writer puts there comes back
// in order through every reader, an image without the frame (versions 1-3) still loads, and a
// misplaced or malformed frame is refused with its offset.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
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

const std::vector<std::string> kLibs = {
    "#!lua name=alpha\nredis.register_function('a', function() return 1 end)",
    "#!lua name=beta\nredis.register_function('b', function() return 2 end)\n"};

std::string FunctionsPayload(const std::vector<std::string>& codes, int count_delta = 0) {
  std::string p;
  Encoder e(&p);
  e.U8('F');
  e.U32(static_cast<uint32_t>(static_cast<int>(codes.size()) + count_delta));
  for (const std::string& c : codes) e.Str32(c);
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

std::string Read(std::string_view image, std::vector<std::string>* libs, SnapshotInfo* info) {
  SnapshotSink sink;
  sink.on_library = [&](std::string_view code) { libs->emplace_back(code); };
  size_t bad = SIZE_MAX;
  return ReadSnapshot(image, sink, info, &bad);
}

}  // namespace

TEST_CASE("snapshot 'F' frame: the libraries' code round-trips in order through every reader") {
  TempDir dir;
  Store src(4);
  src.Get("0")->ShardFor("k").Set("k", ScalarView::Bytes("v"), kNoExpire);
  const std::string path = dir.path + "/" + SnapshotName(5);
  SnapshotInfo info;
  REQUIRE(WriteSnapshot(src.All(), path, 5, 2000, &info, kLibs) == "");
  CHECK(info.libraries == 2);

  std::string data;
  REQUIRE(ReadWholeFile(path, &data) == "");
  std::vector<std::string> seen;
  SnapshotInfo read;
  REQUIRE(Read(data, &seen, &read) == "");
  CHECK(seen == kLibs);
  CHECK(read.libraries == 2);
  CHECK(read.keys == 1);

  Store dst(4);
  std::vector<std::string> loaded = {"stale"};
  REQUIRE(LoadSnapshot(path, dst, nullptr, &read, &loaded) == "");
  CHECK(loaded == kLibs);
  CHECK(dst.Get("0")->ShardFor("k").Find("k", 2000) != nullptr);

  std::vector<std::string> replaced;
  StoreFreeze freeze(dst);
  REQUIRE(ReplaceWithSnapshotLocked(data, freeze.spaces(), &read, &replaced) == "");
  CHECK(replaced == kLibs);
}

TEST_CASE("snapshot 'F' frame: none loaded, an empty frame, and images older than version 4") {
  TempDir dir;
  Store src(4);
  const std::string path = dir.path + "/" + SnapshotName(1);
  SnapshotInfo info;
  REQUIRE(WriteSnapshot(src.All(), path, 1, 2000, &info) == "");
  CHECK(info.libraries == 0);
  Store dst(4);
  std::vector<std::string> loaded = {"stale"};
  REQUIRE(LoadSnapshot(path, dst, nullptr, &info, &loaded) == "");
  CHECK(loaded.empty());

  // Versions 1 to 3 have no 'F' frame and load with no library.
  for (uint32_t version = 1; version < 4; ++version) {
    std::vector<std::string> seen;
    CHECK(Read(Image(version, {NamespacePayload()}, 1), &seen, &info) == "");
    CHECK(seen.empty());
  }
  std::vector<std::string> seen;
  CHECK(Read(Image(kSnapshotVersion, {FunctionsPayload({})}), &seen, &info) == "");
  CHECK(seen.empty());
}

TEST_CASE("snapshot 'F' frame: a misplaced or malformed frame is refused with its offset") {
  const size_t first_frame = kSnapshotMagic.size() + kFrameHeaderSize + 21;  // after the header
  auto refused = [&](const std::string& image, std::string_view why) {
    SnapshotSink none;
    SnapshotInfo info;
    size_t bad = SIZE_MAX;
    const std::string err = ReadSnapshot(image, none, &info, &bad);
    CHECK_MESSAGE(err.find(why) != std::string::npos, err);
    CHECK(bad >= first_frame);
    CHECK(bad < image.size());
  };
  refused(Image(3, {FunctionsPayload(kLibs)}), "a functions frame in a version 3 snapshot");
  refused(Image(4, {NamespacePayload(), FunctionsPayload(kLibs)}, 1),
          "a functions frame after the namespaces");
  refused(Image(4, {FunctionsPayload(kLibs), FunctionsPayload(kLibs)}), "or a second one");
  refused(Image(4, {FunctionsPayload(kLibs, 1)}), "a library runs past its frame");
  refused(Image(4, {FunctionsPayload(kLibs, -1)}), "trailing bytes in the functions frame");
  refused(Image(4, {FunctionsPayload({"return 1"})}), "a library without its #! line");

  // A damaged byte inside the frame: its checksum, at the frame's offset.
  std::string image = Image(4, {FunctionsPayload(kLibs)});
  image[first_frame + kFrameHeaderSize + 10] ^= 0x20;
  SnapshotSink none;
  SnapshotInfo info;
  size_t bad = SIZE_MAX;
  const std::string err = ReadSnapshot(image, none, &info, &bad);
  CHECK(err == "offset " + std::to_string(first_frame) + ": checksum mismatch");
  CHECK(bad == first_frame);
}

}  // namespace kv::persist
