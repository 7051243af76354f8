// The sorted-set containers against a std::set / std::map model: both encodings (a listpack,
// the skip list tree) and the one-way conversion, with rank queries, score and lex counts,
// range erasure, walks both ways, and the memory accounting a Commit reports.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
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
    const std::string m = "m" + std::to_string(rng() % static_cast<uint64_t>(members)) +
                          std::string(rng() % 7 == 0 ? 20 : 0, 'x');
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
  Limits limits(1000, 1000);
  for (uint64_t seed = 1; seed <= 5; ++seed) Exercise(seed, 600, 40);
}

TEST_CASE("zset tree matches the model, converted from a listpack") {
  Limits limits(16, 1000);
  for (uint64_t seed = 11; seed <= 15; ++seed) Exercise(seed, 3000, 300);
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
