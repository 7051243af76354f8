// The hash container against a std::map model: both encodings (listpack, hashtable), the
// conversion between them by either limit, typed values, and the shard's memory accounting.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include "core/hash.h"
#include "core/object.h"
#include "core/shard.h"
#include "core/value_encoding.h"

namespace kv {

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Describe(const ScalarView& v) {
  char buf[kScalarBufSize];
  if (IsNested(v.type)) return "nested:" + std::string(v.bytes);
  return std::to_string(static_cast<int>(v.type)) + ":" + std::string(CanonicalString(v, buf));
}

std::map<std::string, std::string> Contents(const Entry& e) {
  std::map<std::string, std::string> out;
  HashForEach(e, [&](std::string_view f, const ScalarView& v) {
    CHECK(out.emplace(std::string(f), Describe(v)).second);
  });
  return out;
}

// Limits set for one test, restored after it.
struct LimitsGuard {
  int64_t entries, value;
  LimitsGuard(int64_t e, int64_t v)
      : entries(GlobalEncodingLimits().hash_max_listpack_entries.load()),
        value(GlobalEncodingLimits().hash_max_listpack_value.load()) {
    GlobalEncodingLimits().hash_max_listpack_entries = e;
    GlobalEncodingLimits().hash_max_listpack_value = v;
  }
  ~LimitsGuard() {
    GlobalEncodingLimits().hash_max_listpack_entries = entries;
    GlobalEncodingLimits().hash_max_listpack_value = value;
  }
};

}  // namespace

TEST_CASE("hash matches a std::map under random operations, in both encodings") {
  for (int64_t max_entries : {0, 4, 16, 128}) {
    CAPTURE(max_entries);
    LimitsGuard limits(max_entries, 64);
    Shard shard;
    const std::string key = "h";
    std::map<std::string, std::string> model;
    std::mt19937_64 rng(static_cast<uint64_t>(max_entries) + 7);
    Entry* e = nullptr;
    for (int step = 0; step < 3000; ++step) {
      const std::string field = "f" + std::to_string(rng() % 40);
      const int op = static_cast<int>(rng() % 10);
      if (!e) {
        e = shard.SetContainer(key, NewHashEncoding(), NewHashContainer(), kNoExpire);
      }
      const auto before = static_cast<int64_t>(ContainerBytes(*e));
      if (op < 6) {
        ScalarView v;
        std::string text;
        switch (rng() % 4) {
          case 0: v = ScalarView::Int(static_cast<int64_t>(rng() % 1000) - 500); break;
          case 1: v = ScalarView::Float(static_cast<double>(rng() % 100) / 4); break;
          case 2: text = std::string(rng() % 80, 'x'); v = ScalarView::Bytes(text); break;
          default: text = "s" + std::to_string(rng()); v = ScalarView::String(text); break;
        }
        const bool fresh = model.find(field) == model.end();
        CHECK(HashSet(e, field, v) == fresh);
        model[field] = Describe(v);
      } else {
        CHECK(HashDelete(e, field) == (model.erase(field) == 1));
      }
      shard.ContainerChanged(key, static_cast<int64_t>(ContainerBytes(*e)) - before,
                             HashLen(*e) == 0, kNow);
      if (model.empty()) {
        CHECK(shard.Find(key, kNow) == nullptr);
        e = nullptr;
        continue;
      }
      REQUIRE(shard.Find(key, kNow) == e);
      CHECK(HashLen(*e) == model.size());
      // The shard accounts exactly the entry plus its container, whatever happened.
      CHECK(shard.memory_bytes() >= static_cast<int64_t>(EntryBytes(*e)));
      if (step % 100 == 0) {
        CHECK(Contents(*e) == model);
        for (const auto& [f, d] : model) {
          ScalarView got;
          REQUIRE(HashGet(*e, f, &got));
          CHECK(Describe(got) == d);
        }
      }
      // A value past 64 bytes or more fields than the limit means a table, and it stays one.
      if (model.size() > static_cast<size_t>(max_entries)) CHECK(EncodingName(*e) == "hashtable");
    }
    const int64_t with_hash = shard.memory_bytes();
    if (e) {
      const int64_t entry_bytes = static_cast<int64_t>(EntryBytes(*e));
      shard.Erase(key, kNow);
      CHECK(with_hash - shard.memory_bytes() >= entry_bytes);
    }
    shard.Clear();
    CHECK(shard.memory_bytes() == 0);
  }
}

TEST_CASE("hash accounting: the shard's bytes equal a fresh shard's plus the container") {
  LimitsGuard limits(8, 64);
  Shard shard;
  Entry* e = shard.SetContainer("h", NewHashEncoding(), NewHashContainer(), kNoExpire);
  const int64_t base = shard.memory_bytes() - static_cast<int64_t>(ContainerBytes(*e));
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; ++i) {
    const auto before = static_cast<int64_t>(ContainerBytes(*e));
    const std::string f = std::to_string(rng() % 50);
    if (rng() % 3)
      HashSet(e, f, ScalarView::Bytes(std::string(rng() % 20, 'v')));
    else
      HashDelete(e, f);
    if (HashLen(*e) == 0) HashSet(e, "keep", ScalarView::Int(1));
    shard.ContainerChanged("h", static_cast<int64_t>(ContainerBytes(*e)) - before, false, kNow);
    CHECK(shard.memory_bytes() == base + static_cast<int64_t>(ContainerBytes(*e)));
  }
}

TEST_CASE("hash converts past either limit, one way") {
  LimitsGuard limits(3, 10);
  Shard shard;
  Entry* e = shard.SetContainer("h", NewHashEncoding(), NewHashContainer(), kNoExpire);
  for (int i = 0; i < 3; ++i) HashSet(e, "f" + std::to_string(i), ScalarView::Int(i));
  CHECK(EncodingName(*e) == "listpack");
  HashSet(e, "f3", ScalarView::Int(3));
  CHECK(EncodingName(*e) == "hashtable");
  for (int i = 0; i < 4; ++i) HashDelete(e, "f" + std::to_string(i));
  HashSet(e, "a", ScalarView::Int(1));
  CHECK(EncodingName(*e) == "hashtable");

  Entry* v = shard.SetContainer("v", NewHashEncoding(), NewHashContainer(), kNoExpire);
  HashSet(v, "f", ScalarView::Bytes("0123456789"));
  CHECK(EncodingName(*v) == "listpack");
  HashSet(v, "f", ScalarView::Bytes("0123456789a"));
  CHECK(EncodingName(*v) == "hashtable");
  Entry* f = shard.SetContainer("f", NewHashEncoding(), NewHashContainer(), kNoExpire);
  HashSet(f, "0123456789a", ScalarView::Bytes("x"));
  CHECK(EncodingName(*f) == "hashtable");
  ScalarView got;
  REQUIRE(HashGet(*v, "f", &got));
  CHECK(got.bytes == "0123456789a");
}

TEST_CASE("a hash encodes as a Map when its fields are UTF-8, else as pairs; snapshots as pairs") {
  Shard shard;
  Entry* e = shard.SetContainer("h", NewHashEncoding(), NewHashContainer(), kNoExpire);
  HashSet(e, "name", ScalarView::String("ada"));
  HashSet(e, "age", ScalarView::Int(36));
  std::string out;
  EncodeHash(*e, &out);
  CHECK(EncodedValueText(out) == R"x({"name": (string)"ada", "age": (int)36})x");
  HashSet(e, std::string("\xff", 1), ScalarView::Bytes("b"));
  out.clear();
  EncodeHash(*e, &out);
  CHECK(EncodedValueText(out) ==
        R"x([["name", (string)"ada"], ["age", (int)36], ["\xff", "b"]])x");
  out.clear();
  EncodeHashPairs(*e, &out);
  CHECK(EncodedValueText(out) == R"x(["name", (string)"ada", "age", (int)36, "\xff", "b"])x");
  StoreHashPairs(shard, "copy", out, kNoExpire);
  Entry* c = shard.Find("copy", kNow);
  REQUIRE(c);
  CHECK(Contents(*c) == Contents(*e));
}

TEST_CASE("Shard::Set of a nested Map makes a hash; an empty Map deletes the key") {
  Shard shard;
  std::string map;
  wire::PutU8(&map, static_cast<uint8_t>(EncodedType::kMap));
  wire::PutU32(&map, 2);
  wire::PutU32(&map, 1);
  map += "a";
  AppendEncodedScalar(ScalarView::Int(1), &map);
  wire::PutU32(&map, 1);
  map += "b";
  AppendEncodedScalar(ScalarView::Bytes("x"), &map);
  Entry* e = shard.Set("k", ScalarView::Nested(map), kNoExpire);
  REQUIRE(e);
  CHECK(TypeOf(*e) == ObjType::kHash);
  CHECK(HashLen(*e) == 2);
  std::string whole;
  CHECK(WholeValue(*e, &whole).bytes == map);
  std::string empty;
  wire::PutU8(&empty, static_cast<uint8_t>(EncodedType::kMap));
  wire::PutU32(&empty, 0);
  CHECK(shard.Set("k", ScalarView::Nested(empty), kNoExpire) == nullptr);
  CHECK(shard.Find("k", kNow) == nullptr);
  shard.Clear();
  CHECK(shard.memory_bytes() == 0);
}

TEST_CASE("HashRandom draws every field of either encoding, each with its own value") {
  for (int64_t max_entries : {128, 0}) {
    LimitsGuard limits(max_entries, 64);
    Shard shard;
    Entry* e = shard.SetContainer("h", NewHashEncoding(), NewHashContainer(), kNoExpire);
    for (int i = 0; i < 20; ++i) HashSet(e, "f" + std::to_string(i), ScalarView::Int(i));
    std::map<std::string, int> seen;
    std::mt19937_64 rng(1);
    for (int i = 0; i < 4000; ++i) {
      std::string_view f;
      ScalarView v;
      HashRandom(*e, rng(), &f, &v);
      CHECK("f" + std::to_string(v.i) == f);
      ++seen[std::string(f)];
    }
    CHECK(seen.size() == 20);
  }
}

}  // namespace kv
