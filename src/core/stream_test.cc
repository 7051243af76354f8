// The stream container against a std::map model: ID parsing and generation, appends into
// nodes of several shapes (same fields as the node's first entry or not, integer and long
// values), range walks both ways from any bounds, XDEL marking, node dropping and
// compaction, exact and whole-node trimming by MAXLEN and MINID with LIMIT, the node memory
// figure, and the consumer-group structures with Redis's read-counter and lag rules.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/object.h"
#include "core/stream.h"

namespace kv {

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;
using Model = std::map<StreamID, Pairs>;

struct NodeLimits {
  int64_t bytes, entries;
  NodeLimits(int64_t b, int64_t e)
      : bytes(GlobalEncodingLimits().stream_node_max_bytes.load()),
        entries(GlobalEncodingLimits().stream_node_max_entries.load()) {
    GlobalEncodingLimits().stream_node_max_bytes = b;
    GlobalEncodingLimits().stream_node_max_entries = e;
  }
  ~NodeLimits() {
    GlobalEncodingLimits().stream_node_max_bytes = bytes;
    GlobalEncodingLimits().stream_node_max_entries = entries;
  }
};

void Add(Stream& s, Model& m, StreamID id, const Pairs& p) {
  std::vector<std::string_view> fv;
  for (const auto& [f, v] : p) {
    fv.push_back(f);
    fv.push_back(v);
  }
  s.Append(id, fv);
  m[id] = p;
}

Pairs Read(const StreamIterator& it) {
  Pairs p;
  it.ForEachField([&](std::string_view f, std::string_view v) { p.emplace_back(f, v); });
  CHECK(p.size() == it.field_count());
  return p;
}

std::vector<std::pair<StreamID, Pairs>> Range(const Stream& s, StreamID a, StreamID b,
                                              bool rev) {
  std::vector<std::pair<StreamID, Pairs>> out;
  StreamIterator it(s, a, b, rev);
  while (it.Next()) out.emplace_back(it.id(), Read(it));
  return out;
}

std::vector<std::pair<StreamID, Pairs>> ModelRange(const Model& m, StreamID a, StreamID b,
                                                   bool rev) {
  std::vector<std::pair<StreamID, Pairs>> out;
  for (auto it = m.lower_bound(a); it != m.end() && it->first <= b; ++it) out.push_back(*it);
  if (rev) std::reverse(out.begin(), out.end());
  return out;
}

bool Ok(const Stream& s, const StreamID* use, bool seq_given, int64_t now, StreamID* out) {
  return s.NextId(use, seq_given, now, out) == Stream::IdError::kNone;
}

StreamID ParseOk(std::string_view text, uint64_t missing = 0) {
  StreamID id;
  REQUIRE(ParseStreamID(text, missing, false, nullptr, &id));
  return id;
}

Pairs RandomPairs(std::mt19937_64& rng) {
  static const char* kFields[] = {"type", "job", "ts", "a", "b"};
  Pairs p;
  const int shape = static_cast<int>(rng() % 4);
  const int n = shape == 0 ? 1 + static_cast<int>(rng() % 3) : 3;
  for (int i = 0; i < n; ++i) {
    std::string f = shape == 0 ? kFields[rng() % 5] : kFields[i];
    std::string v;
    switch (rng() % 6) {
      case 0:
        v = std::to_string(static_cast<int64_t>(rng()));
        break;
      case 1:
        v = std::to_string(rng() % 1000);
        break;
      case 2:
        v = std::string(190 + rng() % 20, 'x');  // around the one-byte length tag's end
        break;
      case 3:
        v = "-0";  // not an integer: must read back as written
        break;
      case 4:
        v = "";
        break;
      default:
        v = "done";
    }
    p.emplace_back(f, v);
  }
  return p;
}

void CheckSame(const Stream& s, const Model& m) {
  REQUIRE(s.length() == m.size());
  CHECK(s.first_id() == (m.empty() ? StreamID{} : m.begin()->first));
  CHECK(s.CountNodeMemory() <= s.memory());
  CHECK(Range(s, {0, 0}, StreamID::Max(), false) == ModelRange(m, {0, 0}, StreamID::Max(), false));
  CHECK(Range(s, {0, 0}, StreamID::Max(), true) == ModelRange(m, {0, 0}, StreamID::Max(), true));
}

}  // namespace

TEST_CASE("stream IDs parse as Redis's streamGenericParseIDOrReply") {
  CHECK(ParseOk("-") == StreamID{0, 0});
  CHECK(ParseOk("+") == StreamID::Max());
  CHECK(ParseOk("5") == StreamID{5, 0});
  CHECK(ParseOk("5", UINT64_MAX) == StreamID{5, UINT64_MAX});
  CHECK(ParseOk("5-3") == StreamID{5, 3});
  CHECK(ParseOk("18446744073709551615-18446744073709551615") == StreamID::Max());
  // string2ull falls back to strtoull: a sign, blanks and leading zeros pass.
  CHECK(ParseOk("+5") == StreamID{5, 0});
  CHECK(ParseOk("007-01") == StreamID{7, 1});
  CHECK(ParseOk("1- 2") == StreamID{1, 2});
  CHECK(ParseOk(std::string_view("3\0junk", 6)) == StreamID{3, 0});
  StreamID id;
  for (const char* bad : {"", "x", "-1", "1-x", "1-2-3", "1--1", "18446744073709551616", "-5",
                          "1-", "1.5", "abc-1"})
    CHECK_MESSAGE(!ParseStreamID(bad, 0, false, nullptr, &id), bad);
  CHECK(!ParseStreamID(std::string(128, '1'), 0, false, nullptr, &id));
  // Strict: "-" and "+" are no IDs (XADD, XSETID).
  CHECK(!ParseStreamID("-", 0, true, nullptr, &id));
  CHECK(!ParseStreamID("+", 0, true, nullptr, &id));
  // "<ms>-*" only where a seq_given flag is asked for.
  bool given = true;
  CHECK(ParseStreamID("9-*", 0, true, &given, &id));
  CHECK(!given);
  CHECK(id == StreamID{9, 0});
  CHECK(!ParseStreamID("9-*", 0, true, nullptr, &id));
  CHECK(ParseStreamID("9-4", 0, true, &given, &id));
  CHECK(given);
}

TEST_CASE("stream ID increments and decrements carry across ms") {
  StreamID id{1, UINT64_MAX};
  CHECK(id.Incr());
  CHECK(id == StreamID{2, 0});
  CHECK(id.Decr());
  CHECK(id == StreamID{1, UINT64_MAX});
  StreamID max = StreamID::Max();
  CHECK(!max.Incr());
  StreamID zero;
  CHECK(!zero.Decr());
  CHECK(StreamID{12, 7}.ToString() == "12-7");
}

TEST_CASE("stream ID generation follows XADD's rules") {
  Stream s;
  StreamID id;
  CHECK(Ok(s, nullptr, true, 1000, &id));
  CHECK(id == StreamID{1000, 0});
  const std::string_view fv[] = {"f", "v"};
  s.Append({1000, 5}, fv);
  // The clock behind the last ID: the sequence goes on.
  CHECK(Ok(s, nullptr, true, 900, &id));
  CHECK(id == StreamID{1000, 6});
  // "<ms>-*": next seq of the same ms, 0 for a later one, an error for an earlier one.
  StreamID use{1000, 0};
  CHECK(Ok(s, &use, false, 0, &id));
  CHECK(id == StreamID{1000, 6});
  use = {2000, 0};
  CHECK(Ok(s, &use, false, 0, &id));
  CHECK(id == StreamID{2000, 0});
  use = {999, 0};
  CHECK(!Ok(s, &use, false, 0, &id));
  // Explicit: strictly above the last ID.
  use = {1000, 5};
  CHECK(!Ok(s, &use, true, 0, &id));
  use = {1000, 6};
  CHECK(Ok(s, &use, true, 0, &id));
  // A sequence at its end with "<ms>-*".
  s.Append({1000, UINT64_MAX}, fv);
  use = {1000, 0};
  CHECK(s.NextId(&use, false, 0, &id) == Stream::IdError::kSeqExhausted);
  CHECK(Ok(s, nullptr, true, 0, &id));
  CHECK(id == StreamID{1001, 0});
}

TEST_CASE("stream appends, walks, deletes and compacts against a model") {
  for (const auto& [bytes, entries] : std::vector<std::pair<int64_t, int64_t>>{
           {4096, 100}, {300, 0}, {0, 7}, {0, 1}}) {
    NodeLimits limits(bytes, entries);
    std::mt19937_64 rng(static_cast<uint64_t>(bytes * 31 + entries));
    Stream s;
    Model m;
    StreamID last{1, 0};
    for (int i = 0; i < 600; ++i) {
      // Same ms runs, small and big ms steps, sequence jumps.
      switch (rng() % 4) {
        case 0:
          last.seq += 1 + rng() % 3;
          break;
        case 1:
          last = {last.ms + 1 + rng() % 60, rng() % 3};
          break;
        case 2:
          last = {last.ms + 63 + rng() % 100000, rng() % 1000};
          break;
        default:
          last.seq += 1;
      }
      Add(s, m, last, RandomPairs(rng));
    }
    CHECK(s.entries_added() == 600);
    CHECK(s.last_id() == last);
    CheckSame(s, m);
    for (int round = 0; round < 300; ++round) {
      auto it = m.begin();
      std::advance(it, static_cast<long>(rng() % m.size()));
      const StreamID a = it->first;
      std::advance(it, static_cast<long>(rng() % static_cast<uint64_t>(std::distance(it, m.end()))));
      StreamID b = it->first;
      if (rng() % 3 == 0) b.seq += 1;  // bounds between entries
      const bool rev = rng() % 2 == 0;
      CHECK(Range(s, a, b, rev) == ModelRange(m, a, b, rev));
      // Delete a few: present, absent, already deleted.
      const StreamID victim = (rng() % 2) ? a : StreamID{a.ms, a.seq + 1};
      const bool present = m.erase(victim) > 0;
      CHECK(s.Delete(victim) == present);
      CHECK(!s.Delete(victim));
      CHECK(s.Contains(a) == (m.count(a) > 0));
      if (m.size() < 50) break;
    }
    CheckSame(s, m);
    CHECK(s.CountNodeMemory() + s.node_count() * 64 == s.memory());
    CHECK(s.last_id() == last);
    // Deleting everything drops every node; the IDs stay.
    while (!m.empty()) {
      CHECK(s.Delete(m.begin()->first));
      m.erase(m.begin());
    }
    CHECK(s.node_count() == 0);
    CHECK(s.memory() == 0);
    CheckSame(s, m);
    CHECK(s.last_id() == last);
    StreamID next;
    CHECK(!Ok(s, &last, true, 0, &next));
  }
}

TEST_CASE("stream XDEL keeps first ID and max deleted ID as Redis") {
  Stream s;
  Model m;
  for (uint64_t i = 1; i <= 5; ++i) Add(s, m, {i, 0}, {{"f", "v"}});
  CHECK(s.Delete({3, 0}));
  CHECK(s.max_deleted_id() == StreamID{3, 0});
  CHECK(s.first_id() == StreamID{1, 0});
  CHECK(s.Delete({1, 0}));
  CHECK(s.first_id() == StreamID{2, 0});
  CHECK(s.max_deleted_id() == StreamID{3, 0});
  CHECK(!s.Delete({9, 0}));
  CHECK(s.max_deleted_id() == StreamID{3, 0});
}

TEST_CASE("stream nodes follow the entry and byte caps; compaction keeps order") {
  NodeLimits limits(0, 4);
  Stream s;
  Model m;
  for (uint64_t i = 1; i <= 12; ++i) Add(s, m, {i, 0}, {{"f", std::to_string(i)}});
  CHECK(s.node_count() == 3);
  // Three of four deleted in the first node: rewritten without them, keyed by entry 4.
  for (uint64_t i = 1; i <= 3; ++i) {
    CHECK(s.Delete({i, 0}));
    m.erase({i, 0});
  }
  CHECK(s.node_count() == 3);
  CheckSame(s, m);
  CHECK(Range(s, {2, 0}, {5, 0}, false) == ModelRange(m, {2, 0}, {5, 0}, false));
  CHECK(Range(s, {0, 0}, {4, 0}, true) == ModelRange(m, {0, 0}, {4, 0}, true));
  // The last node is never compacted: it still takes appends and counts its deleted ones.
  CHECK(s.Delete({10, 0}));
  m.erase({10, 0});
  Add(s, m, {13, 0}, {{"f", "x"}});
  CHECK(s.node_count() == 4);
  CheckSame(s, m);

  NodeLimits by_bytes(100, 0);
  Stream b;
  Model mb;
  for (uint64_t i = 1; i <= 10; ++i) Add(b, mb, {i, 0}, {{"f", std::string(40, 'y')}});
  CHECK(b.node_count() > 2);
  CheckSame(b, mb);
}

TEST_CASE("stream trimming matches Redis's streamTrim") {
  NodeLimits limits(0, 10);
  auto fill = [](Stream& s, Model& m) {
    for (uint64_t i = 1; i <= 100; ++i) Add(s, m, {i, 0}, {{"f", "v"}});
  };
  SUBCASE("exact MAXLEN removes whole nodes then marks inside one") {
    Stream s;
    Model m;
    fill(s, m);
    StreamTrim t{StreamTrim::kMaxLen, false, 35, {}, 0};
    CHECK(s.Trim(t) == 65);
    while (m.size() > 35) m.erase(m.begin());
    CheckSame(s, m);
    CHECK(s.node_count() == 4);
    CHECK(s.first_id() == StreamID{66, 0});
    CHECK(s.Trim(t) == 0);
  }
  SUBCASE("approximate MAXLEN removes whole nodes only") {
    Stream s;
    Model m;
    fill(s, m);
    StreamTrim t{StreamTrim::kMaxLen, true, 35, {}, 0};
    CHECK(s.Trim(t) == 60);
    CHECK(s.length() == 40);
    CHECK(s.first_id() == StreamID{61, 0});
  }
  SUBCASE("LIMIT caps the entries removed in whole nodes") {
    Stream s;
    Model m;
    fill(s, m);
    StreamTrim t{StreamTrim::kMaxLen, true, 0, {}, 0};
    t.limit = 25;
    CHECK(s.Trim(t) == 20);
    t.limit = 5;
    CHECK(s.Trim(t) == 0);
  }
  SUBCASE("MINID: nodes whose last ID is below, then entries below") {
    Stream s;
    Model m;
    fill(s, m);
    StreamTrim t{StreamTrim::kMinId, false, 0, {47, 0}, 0};
    CHECK(s.Trim(t) == 46);
    CHECK(s.first_id() == StreamID{47, 0});
    StreamTrim approx{StreamTrim::kMinId, true, 0, {75, 0}, 0};
    CHECK(s.Trim(approx) == 24);
    CHECK(s.first_id() == StreamID{71, 0});
  }
  SUBCASE("a node's last ID counts deleted entries, as Redis's node does") {
    Stream s;
    Model m;
    fill(s, m);
    CHECK(s.Delete({10, 0}));
    // Node 1-10's last entry is deleted: its last ID is still 10.
    StreamTrim t{StreamTrim::kMinId, true, 0, {10, 0}, 0};
    CHECK(s.Trim(t) == 0);
    t.minid = {11, 0};
    CHECK(s.Trim(t) == 9);
  }
  SUBCASE("trimming everything keeps the last ID") {
    Stream s;
    Model m;
    fill(s, m);
    StreamTrim t{StreamTrim::kMaxLen, false, 0, {}, 0};
    CHECK(s.Trim(t) == 100);
    CHECK(s.length() == 0);
    CHECK(s.first_id() == StreamID{});
    CHECK(s.last_id() == StreamID{100, 0});
    CHECK(s.entries_added() == 100);
  }
}

TEST_CASE("stream consumer group PELs stay ordered and owned by one consumer") {
  Stream s;
  StreamGroup* g = s.CreateGroup("g", {0, 0}, 0);
  REQUIRE(g);
  CHECK(s.CreateGroup("g", {1, 0}, 0) == nullptr);
  bool created;
  StreamConsumer& alice = g->CreateConsumer("alice", 100, &created);
  CHECK(created);
  CHECK(&g->CreateConsumer("alice", 200, &created) == &alice);
  CHECK(!created);
  CHECK(alice.seen_time_ms == 100);
  StreamConsumer& bob = g->CreateConsumer("bob", 100, &created);
  for (uint64_t i : {5, 1, 9, 3}) g->DeliverNew({i, 0}, alice, 1000 + static_cast<int64_t>(i));
  std::vector<StreamID> order;
  for (const auto& [id, p] : g->pel()) order.push_back(id);
  CHECK(order == std::vector<StreamID>{{1, 0}, {3, 0}, {5, 0}, {9, 0}});
  CHECK(alice.pel.size() == 4);
  // A new delivery of an entry pending elsewhere moves it and restarts its count.
  g->FindPending({3, 0})->delivery_count = 7;
  StreamPending& moved = g->DeliverNew({3, 0}, bob, 5000);
  CHECK(moved.consumer == &bob);
  CHECK(moved.delivery_count == 1);
  CHECK(moved.delivery_time_ms == 5000);
  CHECK(alice.pel.size() == 3);
  CHECK(bob.pel.count({3, 0}) == 1);
  // Claiming moves without touching the figures.
  StreamPending* p = g->FindPending({9, 0});
  g->Assign({9, 0}, *p, bob);
  CHECK(p->delivery_time_ms == 1009);
  CHECK(bob.pel.size() == 2);
  CHECK(g->Ack({1, 0}));
  CHECK(!g->Ack({1, 0}));
  CHECK(alice.pel.size() == 1);
  CHECK(g->pel().size() == 3);
  g->AddPending({7, 0}, alice, 42, 3);
  CHECK(g->FindPending({7, 0})->delivery_count == 3);
  const size_t before = s.memory();
  CHECK(g->DeleteConsumer("alice") == 2u);
  CHECK(!g->DeleteConsumer("alice"));
  CHECK(s.memory() < before);
  CHECK(g->pel().size() == 2);
  CHECK(g->FindConsumer("bob") == &bob);
  CHECK(g->FindConsumer("alice") == nullptr);
  CHECK(s.DestroyGroup("g"));
  CHECK(!s.DestroyGroup("g"));
  CHECK(s.groups().empty());
}

TEST_CASE("stream groups count reads and lag as Redis 7.0") {
  Stream s;
  const std::string_view fv[] = {"f", "v"};
  // Never written: lag 0.
  StreamGroup* g = s.CreateGroup("g", {0, 0}, StreamGroup::kInvalidEntriesRead);
  CHECK(s.Lag(*g) == 0);
  for (uint64_t i = 1; i <= 5; ++i) s.Append({i, 0}, fv);
  // An unknown counter before the first entry: estimated from entries_added - length.
  CHECK(s.EstimateDistanceFromFirstEverEntry({0, 0}) == 0);
  CHECK(s.EstimateDistanceFromFirstEverEntry({1, 0}) == 1);
  CHECK(s.EstimateDistanceFromFirstEverEntry({5, 0}) == 5);
  CHECK(s.EstimateDistanceFromFirstEverEntry({6, 0}) == StreamGroup::kInvalidEntriesRead);
  CHECK(s.EstimateDistanceFromFirstEverEntry({3, 0}) == StreamGroup::kInvalidEntriesRead);
  CHECK(s.Lag(*g) == 5);
  s.AdvanceGroup(*g, {1, 0});
  CHECK(g->entries_read == 1);
  s.AdvanceGroup(*g, {2, 0});
  CHECK(g->entries_read == 2);
  s.AdvanceGroup(*g, {2, 0});  // not past last_id: nothing
  CHECK(g->entries_read == 2);
  CHECK(s.Lag(*g) == 3);
  // A tombstone ahead makes the counter unknown, then it is estimated again.
  CHECK(s.Delete({4, 0}));
  CHECK(s.RangeHasTombstones(&g->last_id, nullptr));
  CHECK(s.Lag(*g) == std::nullopt);
  s.AdvanceGroup(*g, {3, 0});
  CHECK(g->entries_read == StreamGroup::kInvalidEntriesRead);
  s.AdvanceGroup(*g, {5, 0});
  CHECK(g->entries_read == 5);
  CHECK(s.Lag(*g) == 0);
  // A tombstone before the first entry does not count.
  CHECK(s.Delete({1, 0}));
  CHECK(s.Delete({2, 0}));
  CHECK(s.Delete({3, 0}));
  CHECK(s.first_id() == StreamID{5, 0});
  CHECK(!s.RangeHasTombstones(nullptr, nullptr));
  CHECK(s.EstimateDistanceFromFirstEverEntry({5, 0}) == 5);
  CHECK(s.EstimateDistanceFromFirstEverEntry({4, 0}) == 4);
  // Emptied: every ID up to the last counts everything added.
  CHECK(s.Delete({5, 0}));
  CHECK(s.EstimateDistanceFromFirstEverEntry({0, 0}) == 5);
  CHECK(!s.RangeHasTombstones(nullptr, nullptr));
}

}  // namespace kv

namespace kv {

TEST_CASE("stream persisted form: round trip, and damaged input is refused or consistent") {
  NodeLimits limits(0, 5);
  std::mt19937_64 rng(11);
  Stream s;
  Model m;
  for (uint64_t i = 1; i <= 60; ++i) Add(s, m, {i, i % 4}, RandomPairs(rng));
  for (uint64_t i = 3; i <= 60; i += 9) CHECK(s.Delete({i, i % 4}));
  StreamGroup* g = s.CreateGroup("g", {7, 3}, 4);
  bool created;
  StreamConsumer& c = g->CreateConsumer("c", 99, &created);
  g->CreateConsumer("d", -1, &created);
  g->AddPending({1, 1}, c, 123, 2);
  g->AddPending({2, 2}, c, 456, 1);
  s.set_last_id({1000, 0});
  std::string bytes;
  s.Serialize(&bytes);
  const auto back = Stream::Deserialize(bytes);
  REQUIRE(back);
  std::string again;
  back->Serialize(&again);
  CHECK(again == bytes);
  CHECK(back->first_id() == s.first_id());
  CHECK(back->max_deleted_id() == s.max_deleted_id());
  CHECK(back->entries_added() == s.entries_added());
  CHECK(back->groups().at("g").consumers().at("c").pel.size() == 2);
  // Node caps at load are today's: the same entries in other nodes.
  NodeLimits bigger(0, 50);
  CHECK(Stream::Deserialize(bytes)->node_count() < s.node_count());

  for (size_t cut = 0; cut < bytes.size(); ++cut) CHECK(!Stream::Deserialize(bytes.substr(0, cut)));
  for (int i = 0; i < 5000; ++i) {
    std::string b = bytes;
    b[rng() % b.size()] ^= static_cast<char>(1 << (rng() % 8));
    if (const auto d = Stream::Deserialize(b)) {
      std::string round;
      d->Serialize(&round);
      const auto d2 = Stream::Deserialize(round);
      REQUIRE(d2);
      std::string round2;
      d2->Serialize(&round2);
      CHECK(round2 == round);
    }
  }
  // A count far past the input ends at the input's end.
  std::string lying(1, '\1');
  for (int i = 0; i < 6; ++i) lying.push_back('\0');
  for (int i = 0; i < 9; ++i) lying.push_back('\xff');
  lying.push_back('\1');
  CHECK(!Stream::Deserialize(lying));
}

}  // namespace kv
