// Hashes with field TTLs in snapshots: type 9 (version 3) round-trips every field's deadline,
// and only a hash with one uses it; the loaded hash is tracked for the active cycle; version-2
// images (type 8 only) still load; a damaged type-9 value is refused.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/keyspace.h"
#include "core/object.h"
#include "core/value_encoding.h"
#include "persist/format.h"
#include "persist/snapshot.h"

namespace kv::persist {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string ReadAll(const std::string& path) {
  std::string data;
  FILE* fp = fopen(path.c_str(), "rb");
  REQUIRE(fp);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) data.append(buf, n);
  fclose(fp);
  return data;
}

// One namespace "0" holding one collection entry (`type`, key "h", `encoded`).
std::string Image(uint32_t version, uint8_t type, const std::string& encoded) {
  std::string b(kSnapshotMagic);
  Encoder e(&b);
  size_t f = BeginFrame(&b);
  e.U8('H');
  e.U32(version);
  e.U64(7);
  e.I64(kNow);
  EndFrame(&b, f);
  f = BeginFrame(&b);
  e.U8('N');
  e.Str8("0");
  e.U64(1);
  EndFrame(&b, f);
  f = BeginFrame(&b);
  e.U8('E');
  e.U32(1);
  e.U8(type);
  e.U8(0);
  e.Str32("h");
  e.Str32(encoded);
  EndFrame(&b, f);
  f = BeginFrame(&b);
  e.U8('T');
  e.U64(1);
  e.U32(1);
  EndFrame(&b, f);
  return b;
}

std::string List(const std::vector<ScalarView>& items) {
  std::string out;
  AppendListHeader(static_cast<uint32_t>(items.size()), &out);
  for (const ScalarView& v : items) AppendEncodedScalar(v, &out);
  return out;
}

int64_t DeadlineOf(const Entry& e, std::string_view field) {
  int64_t at;
  return HashFieldExpire(e, field, &at) ? at : -2;
}

}  // namespace

TEST_CASE("snapshot: a hash with field TTLs round-trips as type 9, one without as type 8") {
  Store src(4);
  Keyspace* ks = src.Get("0");
  Shard& ts = ks->ShardFor("ttl");
  Entry* t = ts.SetContainer("ttl", NewHashEncoding(), NewHashContainer(), kNow + 9'000'000);
  HashSet(t, "a", ScalarView::Int(1));
  HashSet(t, "b", ScalarView::Bytes("two"));
  HashSet(t, std::string("\xff", 1), ScalarView::Dec(*Decimal::Parse("3.50")));
  REQUIRE(HashSetFieldExpire(t, "a", kNow + 5000));
  REQUIRE(HashSetFieldExpire(t, std::string("\xff", 1), kNow + 10));
  Shard& ps = ks->ShardFor("plain");
  Entry* p = ps.SetContainer("plain", NewHashEncoding(), NewHashContainer(), kNoExpire);
  HashSet(p, "x", ScalarView::Int(9));

  char tmpl[] = "/tmp/kvsnaphttlXXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string path = dir + "/snap.kvs";
  REQUIRE(WriteSnapshot(src.All(), path, 1, kNow, nullptr) == "");
  std::vector<uint8_t> types;
  SnapshotSink sink;
  sink.on_collection = [&](std::string_view, uint8_t type, std::string_view, int64_t) {
    types.push_back(type);
  };
  SnapshotInfo info;
  size_t bad = SIZE_MAX;
  REQUIRE(ReadSnapshot(ReadAll(path), sink, &info, &bad) == "");
  std::sort(types.begin(), types.end());
  CHECK(types == std::vector<uint8_t>{kSnapshotHash, kSnapshotHashTtl});

  Store dst(8);
  REQUIRE(LoadSnapshot(path, dst, nullptr, &info) == "");
  Shard& lts = dst.Get("0")->ShardFor("ttl");
  CHECK(lts.field_ttl_hashes() == 1);
  Entry* lt = lts.Find("ttl", kNow);
  REQUIRE(lt);
  CHECK(lt->expire_at() == kNow + 9'000'000);
  CHECK(HashLen(*lt) == 3);
  CHECK(DeadlineOf(*lt, "a") == kNow + 5000);
  CHECK(DeadlineOf(*lt, "b") == kNoExpire);
  CHECK(DeadlineOf(*lt, std::string("\xff", 1)) == kNow + 10);
  ScalarView v;
  REQUIRE(HashGet(*lt, std::string("\xff", 1), &v));
  CHECK(v.type == ScalarType::kDecimal);
  // A deadline that passed goes as soon as the hash is looked at.
  lt = lts.Find("ttl", kNow + 10);
  REQUIRE(lt);
  CHECK(HashLen(*lt) == 2);
  Entry* lp = dst.Get("0")->ShardFor("plain").Find("plain", kNow);
  REQUIRE(lp);
  CHECK(EncodingName(*lp) == "listpack");
  std::remove(path.c_str());
  rmdir(dir.c_str());
}

TEST_CASE("snapshot: a version-2 image still loads; a bad type-9 value is refused") {
  const std::string pairs = List({ScalarView::Bytes("f"), ScalarView::Int(3)});
  Store dst(4);
  Keyspace* ks = dst.Get("0");
  std::vector<Keyspace*> spaces{ks};
  SnapshotInfo info;
  REQUIRE(ReplaceWithSnapshotLocked(Image(2, kSnapshotHash, pairs), spaces, &info) == "");
  Entry* h = ks->ShardFor("h").Find("h", kNow);
  REQUIRE(h);
  CHECK(HashLen(*h) == 1);
  CHECK(DeadlineOf(*h, "f") == kNoExpire);

  SnapshotSink none;
  size_t bad = SIZE_MAX;
  const std::string good =
      List({ScalarView::Bytes("f"), ScalarView::Int(3), ScalarView::Int(kNow)});
  CHECK(ReadSnapshot(Image(3, kSnapshotHashTtl, good), none, &info, &bad) == "");
  CHECK(ReadSnapshot(Image(3, kSnapshotHashTtl, pairs), none, &info, &bad) != "");
  CHECK(ReadSnapshot(Image(3, kSnapshotHashTtl,
                           List({ScalarView::Bytes("f"), ScalarView::Int(3),
                                 ScalarView::Bytes("soon")})),
                     none, &info, &bad) != "");
  CHECK(ReadSnapshot(Image(3, kSnapshotHashTtl,
                           List({ScalarView::Bytes("f"), ScalarView::Int(3), ScalarView::Int(-5)})),
                     none, &info, &bad) != "");
  CHECK(ReadSnapshot(Image(3, kSnapshotHashTtl,
                           List({ScalarView::Int(1), ScalarView::Int(3), ScalarView::Int(-1)})),
                     none, &info, &bad) != "");
  CHECK(ReadSnapshot(Image(3, kSnapshotHashTtl, List({})), none, &info, &bad) != "");
}

}  // namespace kv::persist
