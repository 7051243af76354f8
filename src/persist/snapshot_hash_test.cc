// Hashes in snapshots: type 8 round-trips both encodings, typed values, binary fields and
// expiry; a version-1 image (before type 8) still loads, its type-5 Map as a hash; a damaged
// type-8 value is refused.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/hash.h"
#include "core/keyspace.h"
#include "core/object.h"
#include "core/value_encoding.h"
#include "persist/format.h"
#include "persist/snapshot.h"

namespace kv::persist {
namespace {

constexpr int64_t kNow = 2000;

std::map<std::string, std::string> Fields(const Entry& e) {
  std::map<std::string, std::string> out;
  HashForEach(e, [&](std::string_view f, const ScalarView& v) {
    char buf[kScalarBufSize];
    out[std::string(f)] = std::to_string(static_cast<int>(v.type)) + ":" +
                          std::string(IsNested(v.type) ? v.bytes : CanonicalString(v, buf));
  });
  return out;
}

// A snapshot image by hand: `version`, one namespace "0", the given (type, key, raw) entries.
std::string Image(uint32_t version, const std::vector<std::tuple<uint8_t, std::string,
                                                                  std::string>>& entries) {
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
  e.U64(entries.size());
  EndFrame(&b, f);
  f = BeginFrame(&b);
  e.U8('E');
  e.U32(static_cast<uint32_t>(entries.size()));
  for (const auto& [type, key, raw] : entries) {
    e.U8(type);
    e.U8(0);
    e.Str32(key);
    e.Str32(raw);
  }
  EndFrame(&b, f);
  f = BeginFrame(&b);
  e.U8('T');
  e.U64(entries.size());
  e.U32(1);
  EndFrame(&b, f);
  return b;
}

std::string MapOf(std::initializer_list<std::pair<std::string, ScalarView>> kv) {
  std::string out;
  wire::PutU8(&out, static_cast<uint8_t>(EncodedType::kMap));
  wire::PutU32(&out, static_cast<uint32_t>(kv.size()));
  for (const auto& [k, v] : kv) {
    wire::PutU32(&out, static_cast<uint32_t>(k.size()));
    out += k;
    AppendEncodedScalar(v, &out);
  }
  return out;
}

}  // namespace

TEST_CASE("snapshot: hashes round-trip as type 8, in both encodings") {
  Store src(4);
  Keyspace* ks = src.Get("0");
  Shard& small = ks->ShardFor("small");
  Entry* s = small.SetContainer("small", NewHashEncoding(), NewHashContainer(), 4000000000000);
  HashSet(s, "i", ScalarView::Int(7));
  HashSet(s, "d", ScalarView::Dec(*Decimal::Parse("2.50")));
  HashSet(s, std::string("\xff\x00", 2), ScalarView::Bytes("bin"));
  Shard& big = ks->ShardFor("big");
  Entry* b = big.SetContainer("big", NewHashEncoding(), NewHashContainer(), kNoExpire);
  for (int i = 0; i < 300; ++i) HashSet(b, "f" + std::to_string(i), ScalarView::Int(i));
  REQUIRE(EncodingName(*b) == "hashtable");
  const auto want_small = Fields(*s), want_big = Fields(*b);

  std::string image;
  {
    char tmpl[] = "/tmp/kvsnaphashXXXXXX";
    const std::string dir = mkdtemp(tmpl);
    const std::string path = dir + "/snap.kvs";
    REQUIRE(WriteSnapshot(src.All(), path, 1, kNow, nullptr) == "");
    Store dst(8);
    SnapshotInfo info;
    REQUIRE(LoadSnapshot(path, dst, nullptr, &info) == "");
    Entry* ls = dst.Get("0")->ShardFor("small").Find("small", kNow);
    Entry* lb = dst.Get("0")->ShardFor("big").Find("big", kNow);
    REQUIRE(ls);
    REQUIRE(lb);
    CHECK(Fields(*ls) == want_small);
    CHECK(Fields(*lb) == want_big);
    CHECK(ls->expire_at() == 4000000000000);
    CHECK(EncodingName(*ls) == "listpack");
    CHECK(EncodingName(*lb) == "hashtable");
    // The type byte is 8, whatever the in-memory encoding.
    std::string data;
    std::vector<uint8_t> types;
    SnapshotSink sink;
    sink.on_entry = [&](std::string_view, const ScalarView& v, int64_t) {
      types.push_back(static_cast<uint8_t>(v.type));
    };
    sink.on_collection = [&](std::string_view, uint8_t t, std::string_view, int64_t) {
      types.push_back(t);
    };
    FILE* fp = fopen(path.c_str(), "rb");
    REQUIRE(fp);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) data.append(buf, n);
    fclose(fp);
    size_t bad = SIZE_MAX;
    REQUIRE(ReadSnapshot(data, sink, &info, &bad) == "");
    CHECK(types == std::vector<uint8_t>{kSnapshotHash, kSnapshotHash});
    std::remove(path.c_str());
    rmdir(dir.c_str());
  }
}

TEST_CASE("snapshot: a version-1 image loads, its Map as a hash; a bad type-8 value is refused") {
  const std::string map = MapOf({{"a", ScalarView::Int(1)}, {"b", ScalarView::Bytes("x")}});
  const std::string v1 =
      Image(1, {{static_cast<uint8_t>(ScalarType::kNested), "m", map},
                {static_cast<uint8_t>(ScalarType::kBytes), "s", "str"}});
  Store dst(4);
  Keyspace* ks = dst.Get("0");
  std::vector<Keyspace*> spaces{ks};
  SnapshotInfo info;
  REQUIRE(ReplaceWithSnapshotLocked(v1, spaces, &info) == "");
  Entry* m = ks->ShardFor("m").Find("m", kNow);
  REQUIRE(m);
  CHECK(TypeOf(*m) == ObjType::kHash);
  CHECK(HashLen(*m) == 2);
  std::string whole;
  CHECK(WholeValue(*m, &whole).bytes == map);

  // An odd count, or a value that is not a List, is damage.
  std::string odd;
  AppendListHeader(1, &odd);
  AppendEncodedScalar(ScalarView::Bytes("f"), &odd);
  SnapshotSink none;
  size_t bad = SIZE_MAX;
  CHECK(ReadSnapshot(Image(2, {{kSnapshotHash, "h", odd}}), none, &info, &bad) != "");
  CHECK(ReadSnapshot(Image(2, {{kSnapshotHash, "h", map}}), none, &info, &bad) != "");
  CHECK(ReadSnapshot(Image(2, {{kSnapshotHash, "h", ""}}), none, &info, &bad) != "");
  std::string pairs;
  AppendListHeader(2, &pairs);
  AppendEncodedScalar(ScalarView::Bytes("f"), &pairs);
  AppendEncodedScalar(ScalarView::Int(3), &pairs);
  CHECK(ReadSnapshot(Image(2, {{kSnapshotHash, "h", pairs}}), none, &info, &bad) == "");
  CHECK(ReadSnapshot(Image(kSnapshotVersion + 1, {{kSnapshotHash, "h", pairs}}), none, &info, &bad) != "");
}

}  // namespace kv::persist
