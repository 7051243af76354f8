// Snapshot type 7 (sorted sets) and the version bump it came with: a version-1 image still
// reads, a type-7 entry reaches the collection sink whole, and a malformed one is refused.
#include <doctest/doctest.h>

#include <string>

#include "core/value_encoding.h"
#include "persist/format.h"
#include "persist/snapshot.h"

namespace kv::persist {

namespace {

// An image with one namespace holding one entry of `type` with value `raw`.
std::string Image(uint32_t version, uint8_t type, std::string_view raw) {
  std::string b(kSnapshotMagic);
  Encoder e(&b);
  size_t f = BeginFrame(&b);
  e.U8('H');
  e.U32(version);
  e.U64(0);
  e.I64(0);
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
  e.Str32("k");
  e.Str32(raw);
  EndFrame(&b, f);
  f = BeginFrame(&b);
  e.U8('T');
  e.U64(1);
  e.U32(1);
  EndFrame(&b, f);
  return b;
}

std::string Pairs(bool well_formed) {
  std::string v;
  AppendListHeader(2, &v);
  for (const char* m : {"a", "b"}) {
    AppendListHeader(2, &v);
    AppendEncodedScalar(ScalarView::Bytes(m), &v);
    AppendEncodedScalar(well_formed ? ScalarView::Float(1.5) : ScalarView::Int(1), &v);
  }
  return v;
}

}  // namespace

TEST_CASE("snapshot version 1 still reads") {
  int entries = 0;
  SnapshotSink sink;
  sink.on_entry = [&](std::string_view key, const ScalarView& v, int64_t) {
    CHECK(key == "k");
    CHECK(v.bytes == "v");
    ++entries;
  };
  SnapshotInfo info;
  size_t bad = SIZE_MAX;
  const std::string img = Image(1, static_cast<uint8_t>(ScalarType::kBytes), "v");
  CHECK(ReadSnapshot(img, sink, &info, &bad) == "");
  CHECK(entries == 1);
  CHECK(ReadSnapshot(Image(kSnapshotVersion + 1, 0, "v"), sink, &info, &bad) != "");
}

TEST_CASE("snapshot sorted-set entries reach the collection sink") {
  std::string got;
  SnapshotSink sink;
  sink.on_collection = [&](std::string_view key, uint8_t type, std::string_view encoded,
                           int64_t) {
    CHECK(key == "k");
    CHECK(type == kSnapshotZSet);
    got.assign(encoded);
  };
  SnapshotInfo info;
  size_t bad = SIZE_MAX;
  CHECK(ReadSnapshot(Image(kSnapshotVersion, kSnapshotZSet, Pairs(true)), sink, &info, &bad) == "");
  CHECK(got == Pairs(true));
  got.clear();
  const std::string err =
      ReadSnapshot(Image(kSnapshotVersion, kSnapshotZSet, Pairs(false)), sink, &info, &bad);
  CHECK(err.find("bad sorted set value") != std::string::npos);
  CHECK(got.empty());
}

}  // namespace kv::persist
