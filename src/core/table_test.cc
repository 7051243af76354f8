#include "core/table.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "core/entry.h"

namespace kv {
namespace {

Entry* Make(const std::string& key) { return Entry::Create(key, ScalarType::kBytes, 0, false); }

struct Owned {
  Table t;
  ~Owned() {
    t.ForEach([](Entry* e) { Entry::Destroy(e); });
  }
  void Add(const std::string& k) { t.Insert(Make(k), Table::Hash(k)); }
  bool Has(const std::string& k) const { return t.FindSlot(k, Table::Hash(k)) >= 0; }
  void Remove(const std::string& k) {
    const int64_t slot = t.FindSlot(k, Table::Hash(k));
    REQUIRE(slot >= 0);
    Entry::Destroy(t.RemoveAt(static_cast<size_t>(slot)));
  }
};

TEST_CASE("Table: inserted keys are found, absent keys are not") {
  Owned o;
  for (int i = 0; i < 5000; ++i) o.Add("key:" + std::to_string(i));
  CHECK(o.t.size() == 5000);
  for (int i = 0; i < 5000; ++i) CHECK(o.Has("key:" + std::to_string(i)));
  CHECK_FALSE(o.Has("key:5000"));
  CHECK_FALSE(o.Has(""));
}

TEST_CASE("Table: load factor stays at or below 0.8 as it grows") {
  Owned o;
  for (int i = 0; i < 10000; ++i) {
    o.Add(std::to_string(i));
    CHECK(o.t.size() * 5 <= o.t.capacity() * 4);
  }
}

TEST_CASE("Table: backward-shift deletion keeps every other key reachable") {
  Owned o;
  for (int i = 0; i < 3000; ++i) o.Add("k" + std::to_string(i));
  for (int i = 0; i < 3000; i += 3) o.Remove("k" + std::to_string(i));
  for (int i = 0; i < 3000; ++i) CHECK(o.Has("k" + std::to_string(i)) == (i % 3 != 0));
  CHECK(o.t.size() == 2000);
}

TEST_CASE("Table: shrinks when mostly empty") {
  Owned o;
  for (int i = 0; i < 4096; ++i) o.Add(std::to_string(i));
  const size_t big = o.t.capacity();
  for (int i = 0; i < 4090; ++i) o.Remove(std::to_string(i));
  CHECK(o.t.capacity() < big / 8);
  for (int i = 4090; i < 4096; ++i) CHECK(o.Has(std::to_string(i)));
}

TEST_CASE("Table: Scan returns every key present for the whole scan, across a resize") {
  Owned o;
  for (int i = 0; i < 1000; ++i) o.Add("a" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = o.t.Scan(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    // Grow the table in the middle of the scan: reverse-binary cursors survive it.
    if (++steps == 100)
      for (int i = 0; i < 3000; ++i) o.Add("b" + std::to_string(i));
  } while (cursor != 0);
  for (int i = 0; i < 1000; ++i) CHECK(seen.count("a" + std::to_string(i)) == 1);
}

TEST_CASE("Table: Scan survives a shrink in the middle") {
  Owned o;
  for (int i = 0; i < 4000; ++i) o.Add("k" + std::to_string(i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = o.t.Scan(cursor, [&](Entry* e) { seen.insert(std::string(e->key())); });
    if (++steps == 50)
      for (int i = 100; i < 4000; ++i) o.Remove("k" + std::to_string(i));
  } while (cursor != 0);
  for (int i = 0; i < 100; ++i) CHECK(seen.count("k" + std::to_string(i)) == 1);
}

TEST_CASE("Table: RandomEntry returns a member, nullptr when empty") {
  Owned o;
  CHECK(o.t.RandomEntry(12345) == nullptr);
  o.Add("only");
  for (uint64_t r = 0; r < 50; ++r) CHECK(o.t.RandomEntry(r * 7919)->key() == "only");
}

}  // namespace
}  // namespace kv
