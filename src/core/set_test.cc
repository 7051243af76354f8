// The set containers against a std::set model: each encoding (intset with its width upgrades,
// listpack, table), every conversion between them at Redis's thresholds, typed members compared
// by text, and the memory accounting a command reports (the sum of before/after deltas must
// equal what the container really holds).
#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/intset.h"
#include "core/object.h"
#include "core/set.h"
#include "core/set_table.h"

namespace kv {

namespace {

std::string Text(const ScalarView& v) {
  char buf[kScalarBufSize];
  return std::string(CanonicalString(v, buf));
}

std::set<std::string> Contents(const Entry& e) {
  std::set<std::string> out;
  size_t n = 0;
  set::ForEach(e, [&](const ScalarView& v) {
    out.insert(Text(v));
    ++n;
  });
  CHECK(n == out.size());  // no duplicates
  return out;
}

// An entry holding a new set sized for `hint` members starting with `first`.
Entry* NewSetEntry(std::string_view first, size_t hint) {
  const set::Container c = set::New(first, hint);
  Entry* e = Entry::CreateEncoded("k", c.encoding, 8, false);
  e->set_container(c.ptr);
  return e;
}

// Restores the default limits whatever a test changed.
struct LimitsGuard {
  ~LimitsGuard() {
    EncodingLimits& l = GlobalEncodingLimits();
    l.set_max_intset_entries = 512;
    l.set_max_listpack_entries = 128;
    l.set_max_listpack_value = 64;
  }
};

// Random SADD / SREM of members drawn from `pool` on `e`, checked against a model after each
// step; returns the accounted container bytes (initial size + every delta).
int64_t RandomOps(Entry* e, std::set<std::string>* model, const std::vector<ScalarView>& pool,
                  int steps, uint64_t seed, int add_percent = 70) {
  std::mt19937_64 rng(seed);
  int64_t accounted = static_cast<int64_t>(ContainerBytes(*e));
  for (int i = 0; i < steps; ++i) {
    const ScalarView& v = pool[rng() % pool.size()];
    const std::string text = Text(v);
    const int64_t before = static_cast<int64_t>(ContainerBytes(*e));
    if (static_cast<int>(rng() % 100) < add_percent) {
      CHECK(set::Add(e, v, text) == model->insert(text).second);
    } else {
      CHECK(set::Remove(e, text) == (model->erase(text) == 1));
    }
    accounted += static_cast<int64_t>(ContainerBytes(*e)) - before;
    CHECK(set::Size(*e) == model->size());
    CHECK(set::Contains(*e, text) == (model->count(text) == 1));
  }
  CHECK(Contents(*e) == *model);
  return accounted;
}

}  // namespace

TEST_CASE("intset keeps members sorted and upgrades its width one way") {
  char* is = intset::New();
  std::set<int64_t> model;
  std::mt19937_64 rng(7);
  bool added;
  for (int i = 0; i < 300; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % 200) - 100;
    is = intset::Add(is, v, &added);
    CHECK(added == model.insert(v).second);
  }
  CHECK(intset::Width(is) == 2);
  is = intset::Add(is, 100000, &added);  // needs 4 bytes: appended at the top
  model.insert(100000);
  CHECK(intset::Width(is) == 4);
  is = intset::Add(is, INT64_MIN, &added);  // needs 8 bytes: prepended
  model.insert(INT64_MIN);
  CHECK(intset::Width(is) == 8);
  is = intset::Add(is, INT64_MAX, &added);
  model.insert(INT64_MAX);
  for (int i = 0; i < 200; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % 200) - 100;
    bool removed;
    is = intset::Remove(is, v, &removed);
    CHECK(removed == (model.erase(v) == 1));
  }
  std::vector<int64_t> got;
  for (uint32_t i = 0; i < intset::Count(is); ++i) got.push_back(intset::Get(is, i));
  CHECK(got == std::vector<int64_t>(model.begin(), model.end()));
  CHECK(intset::Width(is) == 8);  // one way, as Redis
  CHECK(intset::Contains(is, INT64_MIN));
  CHECK_FALSE(intset::Contains(is, 12345));
  intset::Free(is);
}

TEST_CASE("set table matches a model, scans every member once without resizes, accounts memory") {
  SetTable t;
  std::set<std::string> model;
  std::mt19937_64 rng(11);
  std::vector<std::string> texts;
  for (int i = 0; i < 3000; ++i) texts.push_back("m" + std::to_string(i));
  for (int i = 0; i < 20000; ++i) {
    const std::string& m = texts[rng() % texts.size()];
    if (rng() % 3) {
      CHECK(t.Add(ScalarView::Bytes(m), m) == model.insert(m).second);
    } else {
      CHECK(t.Remove(m) == (model.erase(m) == 1));
    }
  }
  CHECK(t.size() == model.size());
  CHECK(t.memory() == t.CountMemory());
  std::multiset<std::string> scanned;
  uint64_t cursor = 0;
  do {
    cursor = t.Scan(cursor, [&](const ScalarView& v) { scanned.insert(Text(v)); });
  } while (cursor != 0);
  CHECK(std::set<std::string>(scanned.begin(), scanned.end()) == model);
  CHECK(scanned.size() == model.size());
  for (int i = 0; i < 100; ++i) CHECK(model.count(Text(t.Random(rng()))) == 1);
  // Emptying shrinks back to the smallest table.
  for (const std::string& m : std::vector<std::string>(model.begin(), model.end())) t.Remove(m);
  CHECK(t.size() == 0);
  CHECK(t.memory() == t.CountMemory());
}

TEST_CASE("set table scan returns members present throughout, across growth") {
  SetTable t;
  std::set<std::string> kept;
  for (int i = 0; i < 500; ++i) {
    const std::string m = "k" + std::to_string(i);
    t.Add(ScalarView::Bytes(m), m);
    kept.insert(m);
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = t.Scan(cursor, [&](const ScalarView& v) { seen.insert(Text(v)); });
    // Grow the table between steps.
    for (int j = 0; j < 50; ++j) {
      const std::string m = "new" + std::to_string(step * 50 + j);
      t.Add(ScalarView::Bytes(m), m);
    }
    ++step;
  } while (cursor != 0);
  for (const std::string& m : kept) CHECK(seen.count(m) == 1);
}

TEST_CASE("set encodings: intset, listpack and table each match the model") {
  LimitsGuard guard;
  std::vector<ScalarView> ints, words, mixed;
  std::vector<std::string> storage;
  storage.reserve(400);
  for (int i = -100; i < 100; ++i) ints.push_back(ScalarView::Int(i * 1000));
  for (int i = 0; i < 200; ++i) storage.push_back("w" + std::to_string(i));
  for (const std::string& s : storage) words.push_back(ScalarView::Bytes(s));
  mixed = ints;
  mixed.insert(mixed.end(), words.begin(), words.end());

  SUBCASE("intset stays an intset for integer members within the limit") {
    Entry* e = NewSetEntry("1", 1);
    CHECK(EncodingName(*e) == "intset");
    std::set<std::string> model;
    const int64_t accounted = RandomOps(e, &model, ints, 2000, 1);
    CHECK(Is(*e, Encoding::kIntSet));
    CHECK(accounted == static_cast<int64_t>(ContainerBytes(*e)));
    DestroyEntry(e);
  }
  SUBCASE("listpack stays a listpack within its limits") {
    GlobalEncodingLimits().set_max_listpack_entries = 1000;
    Entry* e = NewSetEntry("a", 1);
    CHECK(EncodingName(*e) == "listpack");
    std::set<std::string> model;
    const int64_t accounted = RandomOps(e, &model, mixed, 2000, 2);
    CHECK(Is(*e, Encoding::kSetPack));
    CHECK(accounted == static_cast<int64_t>(ContainerBytes(*e)));
    DestroyEntry(e);
  }
  SUBCASE("table") {
    Entry* e = NewSetEntry("a", 1000);
    CHECK(EncodingName(*e) == "hashtable");
    std::set<std::string> model;
    const int64_t accounted = RandomOps(e, &model, mixed, 3000, 3, 60);
    CHECK(accounted == static_cast<int64_t>(ContainerBytes(*e)));
    CHECK(static_cast<SetTable*>(e->container())->memory() ==
          static_cast<SetTable*>(e->container())->CountMemory());
    DestroyEntry(e);
  }
}

TEST_CASE("set conversions happen at Redis's thresholds, one way") {
  LimitsGuard guard;
  EncodingLimits& l = GlobalEncodingLimits();
  std::set<std::string> model;

  SUBCASE("intset -> listpack when a non-integer arrives and the set is small") {
    Entry* e = NewSetEntry("1", 1);
    for (int i = 0; i < 10; ++i) set::Add(e, ScalarView::Int(i), std::to_string(i));
    set::Add(e, ScalarView::Bytes("x"), "x");
    CHECK(EncodingName(*e) == "listpack");
    // The intset's members came over as Ints.
    bool saw_int = false;
    set::ForEach(*e, [&](const ScalarView& v) { saw_int |= v.type == ScalarType::kInt; });
    CHECK(saw_int);
    set::Remove(e, "x");
    CHECK(EncodingName(*e) == "listpack");  // one way
    DestroyEntry(e);
  }
  SUBCASE("intset -> table when a non-integer arrives and the intset has the listpack limit") {
    l.set_max_listpack_entries = 5;
    Entry* e = NewSetEntry("1", 1);
    for (int i = 0; i < 5; ++i) set::Add(e, ScalarView::Int(i), std::to_string(i));
    set::Add(e, ScalarView::Bytes("x"), "x");
    CHECK(EncodingName(*e) == "hashtable");
    CHECK(Contents(*e) == std::set<std::string>{"0", "1", "2", "3", "4", "x"});
    DestroyEntry(e);
  }
  SUBCASE("intset -> table when its integers are longer than set-max-listpack-value") {
    l.set_max_listpack_value = 3;
    Entry* e = NewSetEntry("1", 1);
    set::Add(e, ScalarView::Int(12345), "12345");
    set::Add(e, ScalarView::Bytes("x"), "x");
    CHECK(EncodingName(*e) == "hashtable");
    DestroyEntry(e);
  }
  SUBCASE("intset -> table past set-max-intset-entries") {
    l.set_max_intset_entries = 20;
    Entry* e = NewSetEntry("1", 1);
    for (int i = 0; i < 20; ++i) set::Add(e, ScalarView::Int(i), std::to_string(i));
    CHECK(EncodingName(*e) == "intset");
    set::Add(e, ScalarView::Int(99), "99");
    CHECK(EncodingName(*e) == "hashtable");
    CHECK(set::Size(*e) == 21);
    DestroyEntry(e);
  }
  SUBCASE("listpack -> table past the entry limit and past the value limit") {
    l.set_max_listpack_entries = 4;
    Entry* e = NewSetEntry("a", 1);
    for (const char* m : {"a", "b", "c", "d"}) set::Add(e, ScalarView::Bytes(m), m);
    CHECK(EncodingName(*e) == "listpack");
    set::Add(e, ScalarView::Bytes("e"), "e");
    CHECK(EncodingName(*e) == "hashtable");
    for (const char* m : {"a", "b", "c", "d"}) set::Remove(e, m);
    CHECK(EncodingName(*e) == "hashtable");  // one way
    DestroyEntry(e);
    l.set_max_listpack_entries = 128;
    e = NewSetEntry("a", 1);
    set::Add(e, ScalarView::Bytes("a"), "a");
    const std::string long_member(65, 'x');
    set::Add(e, ScalarView::Bytes(long_member), long_member);
    CHECK(EncodingName(*e) == "hashtable");
    DestroyEntry(e);
  }
  SUBCASE("a new set follows the first member and the size hint (setTypeCreate)") {
    Entry* e = NewSetEntry("12", 512);
    CHECK(EncodingName(*e) == "intset");
    DestroyEntry(e);
    e = NewSetEntry("12", 513);
    CHECK(EncodingName(*e) == "hashtable");
    DestroyEntry(e);
    e = NewSetEntry("012", 3);  // not canonical: not an integer member
    CHECK(EncodingName(*e) == "listpack");
    DestroyEntry(e);
  }
}

TEST_CASE("set members compare by canonical text whatever their type") {
  Entry* e = NewSetEntry("a", 1);
  CHECK(set::Add(e, ScalarView::Bytes("a"), "a"));
  CHECK(set::Add(e, ScalarView::Int(5), "5"));
  CHECK_FALSE(set::Add(e, ScalarView::Bytes("5"), "5"));
  CHECK_FALSE(set::Add(e, ScalarView::String("a"), "a"));
  CHECK(set::Contains(*e, "5"));
  // The first arrival's type is kept.
  set::ForEach(*e, [&](const ScalarView& v) {
    if (Text(v) == "5") CHECK(v.type == ScalarType::kInt);
  });
  std::string scratch;
  const ScalarView whole = WholeValue(*e, &scratch);
  CHECK(EncodedTypeOf(whole.bytes) == EncodedType::kList);
  CHECK(TypeOf(*e) == ObjType::kSet);
  DestroyEntry(e);
}

}  // namespace kv
