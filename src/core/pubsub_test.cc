#include "core/pubsub.h"

#include <doctest/doctest.h>

#include <algorithm>

namespace kv {

namespace {
std::vector<PubSubTarget> Receivers(const PubSubRegistry& r, std::string_view ch, bool shard) {
  std::vector<PubSubTarget> out;
  const size_t n = r.Collect(ch, shard, &out);
  CHECK(n == out.size());
  return out;
}
}  // namespace

TEST_CASE("pubsub registry: channel subscriptions, counts and receivers") {
  PubSubRegistry r;
  PubSubClient a, b;
  CHECK(r.Subscribe(a, 1, 0, SubKind::kChannel, "news"));
  CHECK_FALSE(r.Subscribe(a, 1, 0, SubKind::kChannel, "news"));  // already there
  CHECK(r.Subscribe(a, 1, 0, SubKind::kChannel, "sport"));
  CHECK(r.Subscribe(b, 2, 1, SubKind::kChannel, "news"));
  CHECK(a.Count(SubKind::kChannel) == 2);
  CHECK(a.Any());
  CHECK(r.NumSub(false, "news") == 2);
  CHECK(r.NumSub(false, "none") == 0);
  CHECK(r.NumChannels(false) == 2);

  auto to = Receivers(r, "news", false);
  REQUIRE(to.size() == 2);
  std::sort(to.begin(), to.end(),
            [](const PubSubTarget& x, const PubSubTarget& y) { return x.client_id < y.client_id; });
  CHECK(to[0].client_id == 1);
  CHECK(to[0].loop == 0);
  CHECK(to[1].client_id == 2);
  CHECK(to[1].loop == 1);
  CHECK_FALSE(to[0].by_pattern);

  CHECK(r.Unsubscribe(a, 1, SubKind::kChannel, "news"));
  CHECK_FALSE(r.Unsubscribe(a, 1, SubKind::kChannel, "news"));
  CHECK(Receivers(r, "news", false).size() == 1);
  CHECK(r.Unsubscribe(b, 2, SubKind::kChannel, "news"));
  // A channel nobody listens on is gone from PUBSUB CHANNELS.
  CHECK(r.Channels(false, std::nullopt) == std::vector<std::string>{"sport"});
  CHECK(Receivers(r, "news", false).empty());
}

TEST_CASE("pubsub registry: patterns match with the glob rules and count per subscription") {
  PubSubRegistry r;
  PubSubClient a, b;
  r.Subscribe(a, 1, 0, SubKind::kPattern, "news.*");
  r.Subscribe(a, 1, 0, SubKind::kPattern, "n?ws.[ab]rt");
  r.Subscribe(a, 1, 0, SubKind::kChannel, "news.art");
  r.Subscribe(b, 2, 0, SubKind::kPattern, "news.*");
  CHECK(a.Count(SubKind::kPattern) == 3);  // channels and patterns together, as Redis replies
  CHECK(r.NumPatterns() == 2);             // distinct patterns
  CHECK(a.pattern_order == std::vector<std::string>{"news.*", "n?ws.[ab]rt"});

  auto to = Receivers(r, "news.art", false);
  // The channel subscriber first, then one delivery per matching pattern subscription.
  REQUIRE(to.size() == 4);
  CHECK_FALSE(to[0].by_pattern);
  CHECK(to[0].client_id == 1);
  size_t a_patterns = 0;
  for (size_t i = 1; i < to.size(); ++i) {
    CHECK(to[i].by_pattern);
    if (to[i].client_id == 1) ++a_patterns;
  }
  CHECK(a_patterns == 2);
  CHECK(Receivers(r, "news.zrt", false).size() == 2);  // news.* only
  CHECK(Receivers(r, "sport", false).empty());
  // PUBSUB NUMSUB counts channel subscribers only.
  CHECK(r.NumSub(false, "news.art") == 1);
  CHECK(r.Channels(false, std::string_view("news.*")) == std::vector<std::string>{"news.art"});
  CHECK(r.Channels(false, std::string_view("x*")).empty());
}

TEST_CASE("pubsub registry: shard channels are apart from channels and patterns") {
  PubSubRegistry r;
  PubSubClient a;
  r.Subscribe(a, 1, 0, SubKind::kShard, "orders");
  r.Subscribe(a, 1, 0, SubKind::kPattern, "*");
  CHECK(a.Count(SubKind::kShard) == 1);
  CHECK(a.Count(SubKind::kChannel) == 1);  // the pattern
  CHECK(r.NumChannels(true) == 1);
  CHECK(r.NumChannels(false) == 0);
  auto shard = Receivers(r, "orders", true);
  REQUIRE(shard.size() == 1);
  CHECK_FALSE(shard[0].by_pattern);
  // PUBLISH reaches the pattern, not the shard subscription.
  auto plain = Receivers(r, "orders", false);
  REQUIRE(plain.size() == 1);
  CHECK(plain[0].by_pattern);
  CHECK(r.NumSub(true, "orders") == 1);
  CHECK(r.NumSub(false, "orders") == 0);
}

TEST_CASE("pubsub registry: a client that goes away leaves every subscription") {
  PubSubRegistry r;
  PubSubClient a, b;
  r.Subscribe(a, 1, 0, SubKind::kChannel, "c1");
  r.Subscribe(a, 1, 0, SubKind::kChannel, "c2");
  r.Subscribe(a, 1, 0, SubKind::kPattern, "c*");
  r.Subscribe(a, 1, 0, SubKind::kShard, "s1");
  r.Subscribe(b, 2, 1, SubKind::kChannel, "c1");
  r.RemoveClient(a, 1);
  CHECK_FALSE(a.Any());
  CHECK(a.channels.empty());
  CHECK(a.pattern_order.empty());
  CHECK(a.n_channels == 0);
  CHECK(a.n_patterns == 0);
  CHECK(a.n_shard == 0);
  CHECK(r.NumPatterns() == 0);
  CHECK(r.NumChannels(true) == 0);
  CHECK(r.Channels(false, std::nullopt) == std::vector<std::string>{"c1"});
  auto to = Receivers(r, "c1", false);
  REQUIRE(to.size() == 1);
  CHECK(to[0].client_id == 2);
  CHECK(Receivers(r, "c2", false).empty());
  // It may subscribe again afterwards (RESET then SUBSCRIBE).
  CHECK(r.Subscribe(a, 1, 0, SubKind::kChannel, "c2"));
  CHECK(Receivers(r, "c2", false).size() == 1);
}

}  // namespace kv
