// Sets in snapshots: type byte 6 round-trips every encoding with typed members and expiry, and
// the files of snapshot version 1 (before sets) still load while an unknown version is refused.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "core/keyspace.h"
#include "core/object.h"
#include "core/set.h"
#include "persist/format.h"
#include "persist/snapshot.h"
#include "temp_dir.h"

namespace kv::persist {
namespace {

using SetsTempDir = test::TempDir;

Entry* AddSet(Keyspace* ks, std::string_view key, const std::vector<ScalarView>& members) {
  Shard& shard = ks->ShardFor(key);
  char buf[kScalarBufSize];
  const set::Container c = set::New(CanonicalString(members.front(), buf), members.size());
  Entry* e = shard.SetContainer(key, c.encoding, c.ptr, kNoExpire);
  for (const ScalarView& v : members) set::Add(e, v, CanonicalString(v, buf));
  return e;
}

std::set<std::string> Texts(const Entry& e) {
  std::set<std::string> out;
  set::ForEach(e, [&](const ScalarView& v) {
    char buf[kScalarBufSize];
    out.insert(std::to_string(static_cast<int>(v.type)) + ":" +
               std::string(CanonicalString(v, buf)));
  });
  return out;
}

// A snapshot image by hand: header with `version`, one namespace, one Bytes entry k=v.
std::string Image(uint32_t version) {
  std::string out(kSnapshotMagic);
  auto frame = [&](auto&& body) {
    const size_t start = BeginFrame(&out);
    Encoder e(&out);
    body(e);
    REQUIRE(EndFrame(&out, start));
  };
  frame([&](Encoder& e) {
    e.U8('H');
    e.U32(version);
    e.U64(7);
    e.I64(1000);
  });
  frame([&](Encoder& e) {
    e.U8('N');
    e.Str8("0");
    e.U64(1);
  });
  frame([&](Encoder& e) {
    e.U8('E');
    e.U32(1);
    e.U8(static_cast<uint8_t>(ScalarType::kBytes));
    e.U8(0);
    e.Str32("k");
    e.Str32("v");
  });
  frame([&](Encoder& e) {
    e.U8('T');
    e.U64(1);
    e.U32(1);
  });
  return out;
}

}  // namespace

TEST_CASE("snapshot type 6 round-trips sets of every encoding with typed members") {
  SetsTempDir dir;
  Store src(4);
  Keyspace* ks = src.Get("0");
  AddSet(ks, "ints", {ScalarView::Int(1), ScalarView::Int(-70000), ScalarView::Int(3)});
  AddSet(ks, "pack", {ScalarView::Bytes("a"), ScalarView::Int(5), ScalarView::String("s"),
                      ScalarView::Dec(*Decimal::Parse("2.50"))});
  std::vector<std::string> storage;
  for (int i = 0; i < 1000; ++i) storage.push_back("member:" + std::to_string(i));
  std::vector<ScalarView> big;
  for (const std::string& m : storage) big.push_back(ScalarView::Bytes(m));
  AddSet(ks, "big", big);
  ks->ShardFor("big").SetExpire("big", 4000000000000, 0);
  const std::string path = dir.path + "/" + SnapshotName(5);
  SnapshotInfo info;
  REQUIRE(WriteSnapshot(src.All(), path, 5, 2000, &info) == "");
  CHECK(info.keys == 3);

  Store dst(8);
  SnapshotInfo loaded;
  REQUIRE(LoadSnapshot(path, dst, nullptr, &loaded) == "");
  Keyspace* back = dst.Get("0");
  for (const char* key : {"ints", "pack", "big"}) {
    Entry* a = ks->ShardFor(key).Find(key, 2000);
    Entry* b = back->ShardFor(key).Find(key, 2000);
    REQUIRE(b != nullptr);
    CHECK(TypeOf(*b) == ObjType::kSet);
    CHECK(EncodingName(*b) == EncodingName(*a));
    CHECK(Texts(*b) == Texts(*a));
  }
  CHECK(back->ShardFor("big").Find("big", 2000)->expire_at() == 4000000000000);
}

TEST_CASE("a version 1 snapshot still loads; an unknown version is refused") {
  SetsTempDir dir;
  for (uint32_t version : {1u, 2u, kSnapshotVersion + 1}) {
    const std::string path = dir.path + "/v" + std::to_string(version) + ".kvs";
    std::ofstream(path, std::ios::binary) << Image(version);
    Store dst(4);
    SnapshotInfo loaded;
    const std::string err = LoadSnapshot(path, dst, nullptr, &loaded);
    if (version > kSnapshotVersion) {
      CHECK(err.find("snapshot version " + std::to_string(version)) != std::string::npos);
      continue;
    }
    REQUIRE(err == "");
    Entry* e = dst.Get("0")->ShardFor("k").Find("k", 0);
    REQUIRE(e != nullptr);
    CHECK(e->value().bytes == "v");
  }
}

}  // namespace kv::persist
