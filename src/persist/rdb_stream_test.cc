// Streams in Redis's RDB value format: a payload redis-server 7.0.15 wrote reads back with its
// entries, tombstones, group and PEL; DumpRdbStream's payloads read back as the same stream
// (compared through Stream::Serialize, the canonical logical form); and damaged bodies under a
// valid checksum (every truncation, every bit flip) are refused or read without crashing.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "core/crc64.h"
#include "core/stream.h"
#include "persist/rdb_value.h"

namespace kv {

namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// Replaces the footer's checksum so only the body is damaged.
std::string Reseal(std::string payload) {
  payload.resize(payload.size() - 8);
  const uint64_t crc = Crc64(0, payload);
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(crc >> (8 * i)));
  return payload;
}

std::string Canonical(const Stream& s) {
  std::string out;
  s.Serialize(&out);
  return out;
}

std::unique_ptr<Stream> Sample() {
  auto s = std::make_unique<Stream>();
  for (uint64_t i = 1; i <= 450; ++i) {
    std::vector<std::string> fv;
    if (i % 5 == 0) {
      fv = {"other", std::string(i % 300, 'x'), "n", std::to_string(-static_cast<int64_t>(i))};
    } else {
      fv = {"type", "done", "job", std::to_string(i), "ts", "1700000000"};
    }
    const std::vector<std::string_view> views(fv.begin(), fv.end());
    s->Append({1000 + i, i % 3 == 0 ? UINT64_MAX - i : i}, views);
  }
  for (uint64_t i = 1; i <= 450; i += 11) s->Delete({1000 + i, i % 3 == 0 ? UINT64_MAX - i : i});
  StreamGroup* g = s->CreateGroup("workers", {1010, 7}, StreamGroup::kInvalidEntriesRead);
  bool created;
  StreamConsumer& a = g->CreateConsumer("alice", 111, &created);
  StreamConsumer& b = g->CreateConsumer("bob", 222, &created);
  g->CreateConsumer("idle", 333, &created);
  g->AddPending({1001, 1}, a, 5000, 3);
  g->AddPending({1002, 2}, b, 6000, 1);
  g->AddPending({1003, UINT64_MAX - 3}, a, -7, 9);
  s->CreateGroup("empty", {0, 0}, 0);
  s->set_last_id({999999, 5});
  return s;
}

}  // namespace

TEST_CASE("rdb stream: a payload redis-server 7.0.15 wrote") {
  // XADD s 1-1 a 1 b x; XADD s 2-0 a 2 b y; XADD s 3-0 c z; XDEL s 2-0;
  // XGROUP CREATE s g 0; XREADGROUP GROUP g alice COUNT 1 STREAMS s >
  const std::string dump = FromHex(
      "13011000000000000000010000000000000001404141000000190002010101020181610281620200010201"
      "000100010101817802050103010101dfff020201817902050100010201dfff020101816302817a020601ff02"
      "03000101020003010167010181ffffffffffffffff01000000000000000100000000000000010a212747a201"
      "0000010105616c6963650a212747a201000001000000000000000100000000000000010a001c27d5b6ccceb7"
      "68");
  RdbValue v;
  REQUIRE(ParseRdbValue(dump, &v) == RdbError::kOk);
  REQUIRE(v.kind == RdbValue::Kind::kStream);
  const Stream& s = *v.stream;
  CHECK(s.length() == 2);
  CHECK(s.last_id() == StreamID{3, 0});
  CHECK(s.max_deleted_id() == StreamID{2, 0});
  CHECK(s.entries_added() == 3);
  StreamIterator it(s, {0, 0}, StreamID::Max(), false);
  REQUIRE(it.Next());
  CHECK(it.id() == StreamID{1, 1});
  std::vector<std::string> fv;
  it.ForEachField([&](std::string_view f, std::string_view val) {
    fv.emplace_back(f);
    fv.emplace_back(val);
  });
  CHECK(fv == std::vector<std::string>{"a", "1", "b", "x"});
  REQUIRE(it.Next());
  CHECK(it.id() == StreamID{3, 0});
  CHECK(!it.Next());
  REQUIRE(s.groups().size() == 1);
  const StreamGroup& g = s.groups().begin()->second;
  CHECK(g.last_id == StreamID{1, 1});
  CHECK(g.entries_read == StreamGroup::kInvalidEntriesRead);
  REQUIRE(g.pel().size() == 1);
  CHECK(g.pel().begin()->first == StreamID{1, 1});
  CHECK(g.pel().begin()->second.consumer->name == "alice");
  CHECK(g.pel().begin()->second.delivery_count == 1);
  CHECK(g.consumers().at("alice").pel.size() == 1);
  // And back: what kv-server writes reads as the same stream.
  RdbValue again;
  REQUIRE(ParseRdbValue(DumpRdbStream(s), &again) == RdbError::kOk);
  CHECK(Canonical(*again.stream) == Canonical(s));
}

TEST_CASE("rdb stream: round trip of entries, tombstones, groups, PELs and consumers") {
  const auto s = Sample();
  const std::string payload = DumpRdbStream(*s);
  RdbValue v;
  REQUIRE(ParseRdbValue(payload, &v) == RdbError::kOk);
  CHECK(Canonical(*v.stream) == Canonical(*s));
  CHECK(v.stream->first_id() == s->first_id());
  // An empty stream keeps its IDs and counters.
  Stream empty;
  const std::string_view fv[] = {"f", "v"};
  empty.Append({5, 5}, fv);
  empty.Delete({5, 5});
  RdbValue e;
  REQUIRE(ParseRdbValue(DumpRdbStream(empty), &e) == RdbError::kOk);
  CHECK(e.stream->length() == 0);
  CHECK(e.stream->last_id() == StreamID{5, 5});
  CHECK(e.stream->max_deleted_id() == StreamID{5, 5});
  CHECK(e.stream->entries_added() == 1);
}

TEST_CASE("rdb stream: damaged bodies never crash the reader") {
  const auto s = Sample();
  const std::string payload = DumpRdbStream(*s);
  const std::string body = payload.substr(0, payload.size() - 10);
  const std::string footer = payload.substr(payload.size() - 10);
  size_t refused = 0, runs = 0;
  for (size_t cut = 1; cut < body.size(); cut += 7) {
    RdbValue v;
    ++runs;
    refused += ParseRdbValue(Reseal(body.substr(0, cut) + footer), &v) != RdbError::kOk;
  }
  CHECK(refused == runs);  // every truncation is refused
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3000; ++i) {
    std::string b = body;
    b[rng() % b.size()] ^= static_cast<char>(1 << (rng() % 8));
    RdbValue v;
    if (ParseRdbValue(Reseal(b + footer), &v) == RdbError::kOk && v.stream) {
      // What was accepted is a consistent stream: it writes and reads back the same.
      RdbValue again;
      REQUIRE(ParseRdbValue(DumpRdbStream(*v.stream), &again) == RdbError::kOk);
      CHECK(Canonical(*again.stream) == Canonical(*v.stream));
    }
  }
}

}  // namespace kv
