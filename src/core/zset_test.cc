// The sorted-set containers against a std::set / std::map model: both encodings (a listpack,
// the skip list tree) and the conversions (past the thresholds, and through the persisted form
// both ways), with rank queries, score and lex counts, range erasure, walks both ways from any
// rank, the tree's member index (growth, shrinking, SCAN) and the memory accounting a Commit
// reports.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <unordered_map>
#include <string>
#include <vector>

#include "core/object.h"
#include "core/zset.h"

namespace kv {

namespace {

using Model = std::set<std::pair<double, std::string>>;

struct Limits {
  int64_t entries, value;
  Limits(int64_t e, int64_t v)
      : entries(GlobalEncodingLimits().zset_max_listpack_entries.load()),
        value(GlobalEncodingLimits().zset_max_listpack_value.load()) {
    GlobalEncodingLimits().zset_max_listpack_entries = e;
    GlobalEncodingLimits().zset_max_listpack_value = v;
  }
  ~Limits() {
    GlobalEncodingLimits().zset_max_listpack_entries = entries;
    GlobalEncodingLimits().zset_max_listpack_value = value;
  }
};

Entry* NewEntry(bool big) {
  const NewContainer c = NewZSet(big);
  Entry* e = Entry::CreateEncoded("z", c.encoding, 8, false);
  e->set_container(c.ptr);
  return e;
}

std::vector<std::pair<double, std::string>> Forward(const ZSetRef& z) {
  std::vector<std::pair<double, std::string>> out;
  z.Walk(0, z.size(), false, [&](const ZItem& it) { out.emplace_back(it.score, it.member); });
  return out;
}

std::vector<std::pair<double, std::string>> Backward(const ZSetRef& z) {
  std::vector<std::pair<double, std::string>> out;
  if (z.size()) {
    z.Walk(z.size() - 1, z.size(), true,
           [&](const ZItem& it) { out.insert(out.begin(), std::make_pair(it.score, std::string(it.member))); });
  }
  return out;
}

void Check(const ZSetRef& z, const Model& model, const std::map<std::string, double>& scores,
           std::mt19937_64& rng) {
  REQUIRE(z.size() == model.size());
  const std::vector<std::pair<double, std::string>> want(model.begin(), model.end());
  REQUIRE(Forward(z) == want);
  REQUIRE(Backward(z) == want);
  for (uint64_t i = 0; i < want.size(); ++i) {
    REQUIRE(z.Rank(want[i].second) == i);
    REQUIRE(z.Score(want[i].second) == want[i].first);
  }
  CHECK(!z.Rank("absent").has_value());
  CHECK(!z.Score("absent").has_value());
  if (!z.is_pack()) CHECK(z.tree()->memory() == z.tree()->CountMemory());
  // Walks of any length from any rank, both ways (a reverse walk of the tree goes by chunks).
  for (int i = 0; i < 4 && !want.empty(); ++i) {
    const uint64_t start = rng() % want.size();
    const bool reverse = rng() % 2;
    const uint64_t room = reverse ? start + 1 : want.size() - start;
    const uint64_t n = rng() % 3 == 0 ? room : rng() % (room + 1);
    std::vector<std::pair<double, std::string>> got;
    z.Walk(start, n, reverse,
           [&](const ZItem& it) { got.emplace_back(it.score, std::string(it.member)); });
    REQUIRE(got.size() == n);
    for (uint64_t k = 0; k < n; ++k) REQUIRE(got[k] == want[reverse ? start - k : start + k]);
  }
  for (int i = 0; i < 5; ++i) {
    const double s = static_cast<double>(rng() % 60) - 5;
    uint64_t less = 0, less_eq = 0;
    for (const auto& [sc, m] : model) {
      less += sc < s;
      less_eq += sc <= s;
    }
    CHECK(z.CountBefore({ZBound::kScoreLess, s, {}}) == less);
    CHECK(z.CountBefore({ZBound::kScoreLessEq, s, {}}) == less_eq);
  }
  (void)scores;
}

// Random adds, updates, removals and range erasures; the container must match the model and
// the accounted bytes must equal ContainerBytes at every step.
void Exercise(uint64_t seed, int ops, int members) {
  std::mt19937_64 rng(seed);
  Entry* e = NewEntry(false);
  Model model;
  std::map<std::string, double> scores;
  int64_t accounted = static_cast<int64_t>(ContainerBytes(*e));
  for (int op = 0; op < ops; ++op) {
    ZSetRef z(e);
    const uint64_t id = rng() % static_cast<uint64_t>(members);
    // A few members are long (their length takes two varint bytes in a tree node) or empty.
    const std::string m = id == 0   ? std::string()
                          : id == 1 ? std::string(20000, 'L')
                                    : "m" + std::to_string(id) +
                                          std::string(id % 7 == 0 ? 20 : id % 11 == 0 ? 200 : 0, 'x');
    const double s = static_cast<double>(rng() % 50) / 2;
    switch (rng() % 6) {
      case 0:
      case 1:
      case 2: {
        const bool added = z.Set(m, s);
        CHECK(added == !scores.count(m));
        if (scores.count(m)) model.erase({scores[m], m});
        scores[m] = s;
        model.insert({s, m});
        break;
      }
      case 3: {
        const bool erased = z.Erase(m);
        CHECK(erased == (scores.count(m) == 1));
        if (erased) {
          model.erase({scores[m], m});
          scores.erase(m);
        }
        break;
      }
      case 4: {
        if (model.empty()) break;
        const uint64_t start = rng() % model.size();
        const uint64_t n = std::min<uint64_t>(rng() % 4, model.size() - start);
        z.EraseRange(start, n);
        auto it = std::next(model.begin(), static_cast<long>(start));
        for (uint64_t i = 0; i < n; ++i) {
          scores.erase(it->second);
          it = model.erase(it);
        }
        break;
      }
      default:
        break;
    }
    accounted += z.Commit();
    REQUIRE(accounted == static_cast<int64_t>(ContainerBytes(*e)));
    if (op % 17 == 0) Check(z, model, scores, rng);
  }
  ZSetRef z(e);
  Check(z, model, scores, rng);
  DestroyEntry(e);
}

}  // namespace

TEST_CASE("zset listpack matches the model") {
  Limits limits(1000, 100000);
  for (uint64_t seed = 1; seed <= 5; ++seed) Exercise(seed, 600, 40);
}

TEST_CASE("zset tree matches the model, converted from a listpack") {
  Limits limits(16, 100000);
  for (uint64_t seed = 11; seed <= 15; ++seed) Exercise(seed, 3000, 300);
  // Members that land in the tree at once (one is past the value limit).
  Limits small(16, 10);
  for (uint64_t seed = 21; seed <= 22; ++seed) Exercise(seed, 3000, 300);
}

TEST_CASE("zset tree lex counts match the model with equal scores") {
  std::mt19937_64 rng(7);
  Entry* e = NewEntry(true);
  std::set<std::string> model;
  {
    ZSetRef z(e);
    for (int op = 0; op < 4000; ++op) {
      const std::string m = "k" + std::to_string(rng() % 500);
      if (rng() % 3 == 0) {
        CHECK(z.Erase(m) == (model.erase(m) == 1));
      } else {
        CHECK(z.Set(m, 0) == model.insert(m).second);
      }
      if (op % 50 != 0) continue;
      const std::string b = "k" + std::to_string(rng() % 600);
      const auto less = static_cast<uint64_t>(std::distance(model.begin(), model.lower_bound(b)));
      const auto less_eq =
          static_cast<uint64_t>(std::distance(model.begin(), model.upper_bound(b)));
      REQUIRE(z.CountBefore({ZBound::kLexLess, 0, b}) == less);
      REQUIRE(z.CountBefore({ZBound::kLexLessEq, 0, b}) == less_eq);
    }
  }
  DestroyEntry(e);
}

TEST_CASE("zset tree index grows, shrinks and scans every member") {
  Entry* e = NewEntry(true);
  {
    ZSetRef z(e);
    ZSetTree* t = z.tree();
    for (int i = 0; i < 20000; ++i) z.Set("member:" + std::to_string(i), i % 97);
    const size_t big = t->memory();
    REQUIRE(t->memory() == t->CountMemory());
    // A full SCAN with members added and removed between steps: every member present the
    // whole time comes back at least once.
    std::unordered_map<std::string, int> seen;
    uint64_t cursor = 0;
    int step = 0;
    do {
      cursor = t->Scan(cursor, [&](std::string_view m, double s) {
        CHECK(z.Score(m) == s);
        ++seen[std::string(m)];
      });
      if (++step % 8 == 0) {
        const int k = step % 1000;
        z.Set("churn:" + std::to_string(k), k);
        z.Erase("member:" + std::to_string(10000 + step));
      }
    } while (cursor != 0);
    for (int i = 0; i < 10000; ++i) CHECK(seen.count("member:" + std::to_string(i)) == 1);
    // Emptied down to a few members, the index halves back.
    const uint64_t before = z.size();
    z.EraseRange(0, before - 10);
    CHECK(z.size() == 10);
    CHECK(t->memory() == t->CountMemory());
    CHECK(t->memory() * 20 < big);
    while (z.size() > 0) z.Erase(std::string(z.Get(z.Seek(0)).member));
    CHECK(t->memory() == t->CountMemory());
    uint64_t visited = 0;
    cursor = 0;
    do {
      cursor = t->Scan(cursor, [&](std::string_view, double) { ++visited; });
    } while (cursor != 0);
    CHECK(visited == 0);
  }
  DestroyEntry(e);
}

TEST_CASE("zset persisted form converts both ways by the thresholds") {
  Limits limits(8, 64);
  for (const int n : {3, 8, 9, 300}) {
    for (const bool big : {false, true}) {
      Entry* e = NewEntry(big);
      std::vector<std::pair<double, std::string>> want;
      {
        ZSetRef z(e);
        for (int i = 0; i < n; ++i) z.Set("m" + std::to_string(i), -i * 0.5);
        want = Forward(z);
      }
      std::string scratch;
      const ScalarView whole = WholeValue(*e, &scratch);
      const NewContainer c = ZSetFromEncoded(whole.bytes);
      Entry* copy = Entry::CreateEncoded("c", c.encoding, 8, false);
      copy->set_container(c.ptr);
      // Back to a listpack when small, whichever encoding it was saved from.
      CHECK(EncodingName(*copy) == (n > 8 ? "skiplist" : "listpack"));
      {
        ZSetRef z(copy);
        CHECK(Forward(z) == want);
        CHECK(Backward(z) == want);
      }
      DestroyEntry(copy);
      DestroyEntry(e);
    }
  }
}

TEST_CASE("zset conversion past the thresholds is one way") {
  Limits limits(4, 10);
  Entry* e = NewEntry(false);
  {
    ZSetRef z(e);
    for (int i = 0; i < 4; ++i) z.Set("m" + std::to_string(i), i);
    CHECK(EncodingName(*e) == "listpack");
    z.Set("m9", 9);
    CHECK(EncodingName(*e) == "skiplist");
    z.EraseRange(0, 4);
    z.Commit();
    CHECK(EncodingName(*e) == "skiplist");
    CHECK(z.size() == 1);
  }
  DestroyEntry(e);
  e = NewEntry(false);
  {
    ZSetRef z(e);
    z.Set("short", 1);
    CHECK(EncodingName(*e) == "listpack");
    z.Set("a-member-longer-than-ten", 2);
    CHECK(EncodingName(*e) == "skiplist");
    CHECK(Forward(z) == std::vector<std::pair<double, std::string>>{
                            {1, "short"}, {2, "a-member-longer-than-ten"}});
  }
  DestroyEntry(e);
}

TEST_CASE("zset lex counts with equal scores") {
  for (bool big : {false, true}) {
    Entry* e = NewEntry(big);
    {
      ZSetRef z(e);
      for (const char* m : {"a", "b", "c", "d", "e"}) z.Set(m, 0);
      CHECK(z.CountBefore({ZBound::kLexLess, 0, "c"}) == 2);
      CHECK(z.CountBefore({ZBound::kLexLessEq, 0, "c"}) == 3);
      CHECK(z.CountBefore({ZBound::kLexLessEq, 0, "cc"}) == 3);
      CHECK(z.CountBefore({ZBound::kLexLess, 0, ""}) == 0);
      CHECK(z.CountBefore({ZBound::kLexLessEq, 0, "z"}) == 5);
    }
    DestroyEntry(e);
  }
}

}  // namespace kv
