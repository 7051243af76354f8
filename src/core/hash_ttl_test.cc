// Hash field TTLs: deadlines set, read and cleared on both encodings (a pack turns into a
// table on its first one), HSET clearing and HINCRBY-style keeping them, lazy removal when the
// shard finds the hash (the key too when no field is left), the active step over hashes nobody
// reads, RENAME-style moves staying tracked, and exact memory accounting throughout.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

#include "core/expiry.h"
#include "core/hash.h"
#include "core/keyspace.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Entry* NewHash(Shard& shard, std::string_view key, int fields) {
  Entry* e = shard.SetContainer(key, NewHashEncoding(), NewHashContainer(), kNoExpire);
  const auto before = static_cast<int64_t>(ContainerBytes(*e));
  for (int i = 0; i < fields; ++i) HashSet(e, "f" + std::to_string(i), ScalarView::Int(i));
  shard.ContainerChanged(key, static_cast<int64_t>(ContainerBytes(*e)) - before, false, kNow);
  return e;
}

// Sets a field deadline the way the commands do: in place, the size change reported.
void Expire(Shard& shard, std::string_view key, std::string_view field, int64_t at) {
  Entry* e = shard.Find(key, kNow);
  REQUIRE(e);
  const auto before = static_cast<int64_t>(ContainerBytes(*e));
  REQUIRE(HashSetFieldExpire(e, field, at));
  shard.ContainerChanged(key, static_cast<int64_t>(ContainerBytes(*e)) - before, false, kNow);
  if (at != kNoExpire) shard.TrackFieldTtl(key);
}

int64_t DeadlineOf(const Entry& e, std::string_view field) {
  int64_t at;
  return HashFieldExpire(e, field, &at) ? at : -2;
}

}  // namespace

TEST_CASE("field TTLs: a pack becomes a table on the first one; set, read, clear") {
  Shard shard;
  Entry* e = NewHash(shard, "h", 3);
  CHECK(EncodingName(*e) == "listpack");
  CHECK(DeadlineOf(*e, "f0") == kNoExpire);
  CHECK(DeadlineOf(*e, "nope") == -2);
  // Clearing a TTL nobody has changes nothing, and no conversion.
  CHECK(HashSetFieldExpire(e, "f0", kNoExpire));
  CHECK(EncodingName(*e) == "listpack");
  CHECK_FALSE(HashHasFieldTtl(*e));
  CHECK_FALSE(HashSetFieldExpire(e, "nope", kNow + 10));
  CHECK(EncodingName(*e) == "listpack");

  Expire(shard, "h", "f1", kNow + 100);
  e = shard.Find("h", kNow);
  CHECK(EncodingName(*e) == "hashtable");
  CHECK(HashHasFieldTtl(*e));
  CHECK(DeadlineOf(*e, "f1") == kNow + 100);
  CHECK(DeadlineOf(*e, "f0") == kNoExpire);
  Expire(shard, "h", "f1", kNow + 50);  // moved earlier
  CHECK(DeadlineOf(*e, "f1") == kNow + 50);
  CHECK_FALSE(HashHasExpiredField(*e, kNow + 49));
  CHECK(HashHasExpiredField(*e, kNow + 50));
  Expire(shard, "h", "f1", kNoExpire);
  CHECK(DeadlineOf(*e, "f1") == kNoExpire);
  CHECK_FALSE(HashHasFieldTtl(*e));
  CHECK_FALSE(HashHasExpiredField(*e, kNow + 1000));
  // It stays a table, as every conversion is one way.
  CHECK(EncodingName(*e) == "hashtable");
  ScalarView v;
  REQUIRE(HashGet(*e, "f1", &v));
  CHECK(v.i == 1);
}

TEST_CASE("field TTLs: HSET clears one, a keep_ttl set (HINCRBY) keeps it, HDEL drops it") {
  Shard shard;
  Entry* e = NewHash(shard, "h", 2);
  Expire(shard, "h", "f0", kNow + 100);
  Expire(shard, "h", "f1", kNow + 200);
  CHECK_FALSE(HashSet(e, "f0", ScalarView::Int(5), /*keep_ttl=*/true));
  CHECK(DeadlineOf(*e, "f0") == kNow + 100);
  CHECK_FALSE(HashSet(e, "f0", ScalarView::Int(6)));
  CHECK(DeadlineOf(*e, "f0") == kNoExpire);
  CHECK(HashDelete(e, "f1"));
  CHECK_FALSE(HashHasFieldTtl(*e));
  // Nothing is left to expire: a time far ahead removes nothing.
  CHECK(shard.Find("h", kNow + 1'000'000) == e);
  CHECK(HashLen(*e) == 1);
}

TEST_CASE("field TTLs: Find removes expired fields, earliest first, and the key with the last") {
  Shard shard;
  NewHash(shard, "h", 4);
  Expire(shard, "h", "f0", kNow + 10);
  Expire(shard, "h", "f1", kNow + 20);
  Expire(shard, "h", "f2", kNow + 20);
  const uint64_t expired_before = GlobalEngineStats().expired_subkeys.load();
  Entry* e = shard.Find("h", kNow + 9);
  REQUIRE(e);
  CHECK(HashLen(*e) == 4);
  e = shard.Find("h", kNow + 10);
  REQUIRE(e);
  CHECK(HashLen(*e) == 3);
  CHECK(DeadlineOf(*e, "f0") == -2);
  e = shard.Peek("h", kNow + 20);
  REQUIRE(e);
  CHECK(HashLen(*e) == 1);
  CHECK(GlobalEngineStats().expired_subkeys.load() - expired_before == 3);
  // The accounting follows: the shard holds the entry and what is left of its container.
  CHECK(shard.memory_bytes() >= static_cast<int64_t>(EntryBytes(*e)));
  Expire(shard, "h", "f3", kNow + 30);
  CHECK(shard.Find("h", kNow + 29) != nullptr);
  // DEL of a hash whose every field expired deletes nothing that was there.
  CHECK_FALSE(shard.Erase("h", kNow + 30));
  CHECK(shard.Find("h", kNow + 30) == nullptr);
  CHECK(shard.size() == 0);
  // Nothing of the hash is left accounted: the same as a shard whose hash was deleted.
  Shard twin;
  NewHash(twin, "h", 4);
  twin.Erase("h", kNow);
  CHECK(shard.memory_bytes() == twin.memory_bytes());
}

TEST_CASE("field TTLs: the active step reclaims hashes nobody reads, and drops stale keys") {
  Shard shard;
  for (int k = 0; k < 30; ++k) {
    const std::string key = "h" + std::to_string(k);
    NewHash(shard, key, 5);
    for (int f = 0; f < 5; ++f) Expire(shard, key, "f" + std::to_string(f), kNow + 10 + f);
  }
  NewHash(shard, "plain", 3);
  Expire(shard, "plain", "f0", kNow + 1'000'000);
  NewHash(shard, "persisted", 3);
  Expire(shard, "persisted", "f0", kNow + 1'000'000);
  Expire(shard, "persisted", "f0", kNoExpire);
  CHECK(shard.field_ttl_hashes() == 32);
  // Deleted and overwritten keys leave the set at once, their accounted bytes with them.
  const int64_t with_names = shard.memory_bytes();
  shard.Erase("h0", kNow);
  shard.Set("h1", ScalarView::Bytes("now a string"), kNoExpire);
  CHECK(shard.field_ttl_hashes() == 30);
  CHECK(shard.memory_bytes() < with_names);
  // A hash whose fields lost their TTLs is dropped when the step meets it; before any
  // deadline nothing else goes.
  auto [visited, reclaimed] = shard.ActiveExpireFields(kNow, 100, 1000);
  CHECK(visited == 30);
  CHECK(reclaimed == 0);
  CHECK(shard.field_ttl_hashes() == 29);
  // Half the deadlines passed: per hash f0..f2 go, bounded by the field budget per step.
  std::tie(visited, reclaimed) = shard.ActiveExpireFields(kNow + 12, 100, 10);
  CHECK(reclaimed == 10);
  size_t total = reclaimed;
  for (int i = 0; i < 20 && total < 28 * 3; ++i)
    total += shard.ActiveExpireFields(kNow + 12, 5, 1000).second;
  CHECK(total == 28 * 3);
  for (int k = 2; k < 30; ++k) {
    const Entry* e = shard.Peek("h" + std::to_string(k), kNow + 12);
    REQUIRE(e);
    CHECK(HashLen(*e) == 2);
  }
  // Every deadline passed: the hashes go, keys and all; "plain" stays, still tracked.
  for (int i = 0; i < 20 && shard.size() > 3; ++i) shard.ActiveExpireFields(kNow + 100, 7, 1000);
  CHECK(shard.size() == 3);  // "plain", "persisted" and the string "h1"
  CHECK(shard.field_ttl_hashes() == 1);
  REQUIRE(shard.Peek("plain", kNow + 100));
  CHECK(HashLen(*shard.Peek("plain", kNow + 100)) == 3);
}

TEST_CASE("field TTLs: a hash moved to another key (RENAME) stays tracked there") {
  Shard src, dst;
  Entry* e = NewHash(src, "a", 3);
  Expire(src, "a", "f0", kNow + 10);
  e = src.Find("a", kNow);
  const uint8_t encoding = e->encoding();
  void* container = e->container();
  src.Detach("a");
  dst.SetContainer("b", encoding, container, kNoExpire);
  CHECK(dst.field_ttl_hashes() == 1);
  CHECK(dst.ActiveExpireFields(kNow + 10, 10, 10).second == 1);
  const Entry* b = dst.Peek("b", kNow + 10);
  REQUIRE(b);
  CHECK(HashLen(*b) == 2);
}

TEST_CASE("field TTLs: ActiveExpireCycle reclaims fields in every namespace") {
  Store store(4);
  for (const char* ns : {"0", "app"}) {
    Keyspace* ks = store.Get(ns);
    for (int k = 0; k < 50; ++k) {
      const std::string key = "h" + std::to_string(k);
      Shard& shard = ks->ShardFor(key);
      std::lock_guard lock(shard.mu());
      NewHash(shard, key, 3);
      Expire(shard, key, "f0", kNow + 5);
      Expire(shard, key, "f1", kNow + 5);
    }
  }
  const uint64_t before = GlobalEngineStats().expired_subkeys.load();
  uint64_t reclaimed = 0;
  for (int i = 0; i < 50 && reclaimed < 200; ++i)
    reclaimed += ActiveExpireCycle(store, kNow + 5, 1'000'000).fields_reclaimed;
  CHECK(reclaimed == 200);
  CHECK(GlobalEngineStats().expired_subkeys.load() - before >= 200);
  for (const char* ns : {"0", "app"}) {
    Keyspace* ks = store.Get(ns);
    CHECK(ks->Size() == 50);
    for (int k = 0; k < 50; ++k) {
      const std::string key = "h" + std::to_string(k);
      Shard& shard = ks->ShardFor(key);
      std::lock_guard lock(shard.mu());
      CHECK(shard.field_ttl_hashes() == 0);
      // Peek at the deadline would reclaim too: look at the container as the cycle left it.
      const Entry* e = shard.Peek(key, kNow);
      REQUIRE(e);
      CHECK(HashLen(*e) == 1);
    }
  }
}

TEST_CASE("field TTLs: random operations against a model, with exact accounting") {
  Shard shard;
  // "keep" is never touched, so the hash never empties.
  Entry* e = NewHash(shard, "h", 0);
  const int64_t base = shard.memory_bytes() - static_cast<int64_t>(ContainerBytes(*e));
  const auto empty = static_cast<int64_t>(ContainerBytes(*e));
  HashSet(e, "keep", ScalarView::Int(0));
  shard.ContainerChanged("h", static_cast<int64_t>(ContainerBytes(*e)) - empty, false, kNow);
  std::map<std::string, int64_t> model{{"keep", kNoExpire}};  // field -> deadline
  std::mt19937_64 rng(11);
  int64_t now = kNow;
  for (int step = 0; step < 4000; ++step) {
    now += static_cast<int64_t>(rng() % 3);
    e = shard.Find("h", now);
    REQUIRE(e);
    for (auto it = model.begin(); it != model.end();)
      it = it->second != kNoExpire && it->second <= now ? model.erase(it) : std::next(it);
    const auto before = static_cast<int64_t>(ContainerBytes(*e));
    const std::string f = "f" + std::to_string(rng() % 60);
    switch (rng() % 5) {
      case 0:
        CHECK(HashSet(e, f, ScalarView::Int(step)) == (model.count(f) == 0));
        model[f] = kNoExpire;
        break;
      case 1:
        if (HashSet(e, f, ScalarView::Int(step), true)) model[f] = kNoExpire;
        break;
      case 2:
        CHECK(HashDelete(e, f) == (model.erase(f) == 1));
        break;
      default: {
        const int64_t at = rng() % 4 == 0 ? kNoExpire : now + 1 + static_cast<int64_t>(rng() % 50);
        CHECK(HashSetFieldExpire(e, f, at) == (model.count(f) == 1));
        if (model.count(f)) model[f] = at;
      }
    }
    shard.ContainerChanged("h", static_cast<int64_t>(ContainerBytes(*e)) - before, false, now);
    CHECK(shard.memory_bytes() == base + static_cast<int64_t>(ContainerBytes(*e)));
    CHECK(HashLen(*e) == model.size());
    if (step % 50 == 0)
      for (const auto& [field, at] : model) CHECK(DeadlineOf(*e, field) == at);
  }
}

}  // namespace kv
