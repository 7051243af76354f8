#include "commands/tracking.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "resp/resp_writer.h"
#include "test_harness.h"

namespace kv {
namespace {

using tracking::kBcast;
using tracking::kNoLoop;
using tracking::Message;
using tracking::Table;

std::vector<std::string_view> None() { return {}; }

// The receivers of `out`, sorted.
std::vector<uint64_t> Receivers(const std::vector<Message>& out) {
  std::vector<uint64_t> ids;
  for (const Message& m : out) ids.push_back(m.client);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST_CASE("tracking table: a changed key invalidates every client that read it, once") {
  Table t;
  t.Enable(1, 0, 0, 0, None());
  t.Enable(2, 1, 7, 0, None());
  t.Remember("k", 1);
  t.Remember("k", 1);  // the same pair counts once
  t.Remember("k", 2);
  t.Remember("other", 1);
  CHECK(t.keys() == 2);
  CHECK(t.items() == 3);
  std::vector<Message> out;
  t.Invalidate("k", 0, 0, &out);
  REQUIRE(out.size() == 2);
  CHECK(Receivers(out) == std::vector<uint64_t>{1, 2});
  for (const Message& m : out) {
    REQUIRE(m.keys);
    CHECK(*m.keys == std::vector<std::string>{"k"});
    CHECK(m.loop == (m.client == 1 ? 0 : 1));
    CHECK(m.redirect == (m.client == 1 ? 0u : 7u));
  }
  CHECK(t.keys() == 1);
  CHECK(t.items() == 1);
  out.clear();
  t.Invalidate("k", 0, 0, &out);  // forgotten: a second change sends nothing
  CHECK(out.empty());
  t.Invalidate("never-read", 0, 0, &out);
  CHECK(out.empty());
}

TEST_CASE("tracking table: clients gone or off are skipped; their entries go with the key") {
  Table t;
  t.Enable(1, 0, 0, 0, None());
  t.Enable(2, 0, 0, 0, None());
  t.Remember("k", 1);
  t.Remember("k", 2);
  t.Disable(2);
  CHECK(t.clients() == 1);
  CHECK(t.items() == 2);  // disabling does not walk the table, as in Redis
  std::vector<Message> out;
  t.Invalidate("k", 0, 0, &out);
  CHECK(Receivers(out) == std::vector<uint64_t>{1});
  CHECK(t.items() == 0);
  CHECK_FALSE(t.active());
}

TEST_CASE("tracking table: NOLOOP skips the client's own change, which still forgets the key") {
  Table t;
  t.Enable(1, 0, 0, kNoLoop, None());
  t.Enable(2, 0, 0, 0, None());
  t.Remember("k", 1);
  t.Remember("k", 2);
  std::vector<Message> out;
  t.Invalidate("k", /*current=*/1, 1, &out);
  CHECK(Receivers(out) == std::vector<uint64_t>{2});
  out.clear();
  t.Remember("k", 1);
  t.Invalidate("k", /*current=*/2, 2, &out);  // someone else's change reaches it
  CHECK(Receivers(out) == std::vector<uint64_t>{1});
}

TEST_CASE("tracking table: a client switched to BCAST gets no default-mode invalidation") {
  Table t;
  t.Enable(1, 0, 0, 0, None());
  t.Remember("k", 1);
  t.Disable(1);
  t.Enable(1, 0, 0, kBcast, std::vector<std::string_view>{"x"});
  std::vector<Message> out;
  t.Invalidate("k", 0, 0, &out);
  CHECK(out.empty());
  CHECK(t.keys() == 0);
}

TEST_CASE("tracking table: flush sends every tracking client a null and forgets every key") {
  Table t;
  t.Enable(1, 0, 0, 0, None());
  t.Enable(2, 0, 0, kBcast, None());
  t.Remember("a", 1);
  t.Remember("b", 1);
  std::vector<Message> out;
  t.Flush(&out);
  CHECK(Receivers(out) == std::vector<uint64_t>{1, 2});
  for (const Message& m : out) CHECK_FALSE(m.keys);
  CHECK(t.keys() == 0);
  CHECK(t.items() == 0);
  CHECK(t.prefixes() == 1);  // BCAST registrations stay
}

TEST_CASE("tracking table: BCAST collects changed keys per prefix, sorted, once per turn") {
  Table t;
  const std::vector<std::string_view> user_obj{"user:", "obj:"};
  t.Enable(1, 0, 0, kBcast, user_obj);
  t.Enable(2, 0, 0, kBcast, None());  // every key
  CHECK(t.prefixes() == 3);
  std::vector<Message> out;
  t.Invalidate("user:2", 9, 9, &out);
  t.Invalidate("user:1", 9, 9, &out);
  t.Invalidate("user:2", 9, 9, &out);
  t.Invalidate("other", 9, 9, &out);
  t.Invalidate("obj:1", 9, 9, &out);
  CHECK(out.empty());  // nothing until the end of the turn
  CHECK(t.broadcasts_pending());
  t.TakeBroadcasts(&out);
  CHECK_FALSE(t.broadcasts_pending());
  // Prefixes in byte order: "" (client 2), "obj:", "user:" (client 1).
  REQUIRE(out.size() == 3);
  CHECK(out[0].client == 2);
  CHECK(*out[0].keys == std::vector<std::string>{"obj:1", "other", "user:1", "user:2"});
  CHECK(out[1].client == 1);
  CHECK(*out[1].keys == std::vector<std::string>{"obj:1"});
  CHECK(out[2].client == 1);
  CHECK(*out[2].keys == std::vector<std::string>{"user:1", "user:2"});
  out.clear();
  t.TakeBroadcasts(&out);
  CHECK(out.empty());
  t.Disable(1);
  CHECK(t.prefixes() == 1);
  t.Disable(2);
  CHECK(t.prefixes() == 0);
  CHECK_FALSE(t.active());
}

TEST_CASE("tracking table: BCAST NOLOOP leaves out the keys the client changed last") {
  Table t;
  t.Enable(1, 0, 0, kBcast | kNoLoop, std::vector<std::string_view>{"u"});
  std::vector<Message> out;
  t.Invalidate("u1", 1, 1, &out);
  t.TakeBroadcasts(&out);
  CHECK(out.empty());  // only its own change: no message at all
  t.Invalidate("u1", 1, 1, &out);
  t.Invalidate("u2", 5, 5, &out);
  t.Invalidate("u3", 1, 0, &out);  // an expiry names no modifier
  t.TakeBroadcasts(&out);
  REQUIRE(out.size() == 1);
  CHECK(*out[0].keys == std::vector<std::string>{"u2", "u3"});
}

TEST_CASE("tracking table: prefix collisions have Redis's messages") {
  Table t;
  const std::vector<std::string_view> a_ab{"a", "ab"};
  CHECK(t.PrefixCollision(1, a_ab) ==
        "ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single "
        "client must not overlap.");
  const std::vector<std::string_view> same{"x", "x"};
  CHECK_FALSE(t.PrefixCollision(1, same).empty());
  t.Enable(1, 0, 0, kBcast, std::vector<std::string_view>{"user:"});
  const std::vector<std::string_view> user{"user:1"};
  CHECK(t.PrefixCollision(1, user) ==
        "ERR Prefix 'user:1' overlaps with an existing prefix 'user:'. Prefixes for a single "
        "client must not overlap.");
  CHECK(t.PrefixCollision(2, user).empty());  // another client's prefixes do not count
  const std::vector<std::string_view> disjoint{"obj:", "job:"};
  CHECK(t.PrefixCollision(1, disjoint).empty());
  const std::vector<std::string_view> empty{""};
  CHECK_FALSE(t.PrefixCollision(1, empty).empty());  // "" overlaps everything
}

TEST_CASE("tracking table: re-enabling BCAST adds prefixes; Find reports the mode") {
  Table t;
  t.Enable(1, 3, 0, kBcast, std::vector<std::string_view>{"a"});
  t.Enable(1, 3, 0, kBcast, std::vector<std::string_view>{"b"});
  const Table::Client* c = t.Find(1);
  REQUIRE(c != nullptr);
  CHECK(c->prefixes.size() == 2);
  CHECK((c->flags & kBcast) != 0);
  CHECK(c->loop == 3);
  CHECK(t.clients() == 1);
  CHECK(t.Find(2) == nullptr);
}

TEST_CASE("tracking table: the key limit invalidates random keys until under it") {
  Table t;
  t.Enable(1, 0, 0, 0, None());
  for (int i = 0; i < 50; ++i) t.Remember("k" + std::to_string(i), 1);
  std::vector<Message> out;
  t.Limit(0, 0, &out);  // 0: no limit
  CHECK(out.empty());
  t.Limit(50, 0, &out);
  CHECK(out.empty());
  t.Limit(10, 0, &out);
  CHECK(t.keys() == 10);
  CHECK(out.size() == 40);
  std::vector<std::string> gone;
  for (const Message& m : out) gone.push_back(m.keys->at(0));
  std::sort(gone.begin(), gone.end());
  CHECK(std::unique(gone.begin(), gone.end()) == gone.end());
  // A limit further than one call's effort (100 keys) gets there over several calls.
  for (int i = 0; i < 400; ++i) t.Remember("m" + std::to_string(i), 1);
  out.clear();
  t.Limit(1, 0, &out);
  CHECK(t.keys() == 310);
  t.Limit(1, 0, &out);
  CHECK(t.keys() == 110);
  t.Limit(1, 0, &out);
  CHECK(t.keys() == 1);
  CHECK(out.size() == 409);
}

// What WriteMessage writes for `receiver` (empty when it writes nothing).
std::string Written(ClientState& receiver, const Message& m, bool broken) {
  std::string out;
  resp::RespWriter w(&out);
  w.set_resp3(receiver.resp.load() == 3);
  const bool wrote = tracking::WriteMessage(receiver, m, broken, w);
  CHECK(wrote == !out.empty());
  return out;
}

TEST_CASE("tracking messages: RESP3 pushes, RESP2 redirect messages, broken redirects") {
  Message m;
  m.client = 5;
  m.keys = std::make_shared<const std::vector<std::string>>(std::vector<std::string>{"a", "bc"});
  ClientState r3;
  r3.resp = 3;
  CHECK(Written(r3, m, false) == ">2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
  Message flush = m;
  flush.keys = nullptr;
  CHECK(Written(r3, flush, false) == ">2\r\n$10\r\ninvalidate\r\n_\r\n");
  // RESP2: nothing for the client itself; a redirect target only while subscribed.
  ClientState r2;
  CHECK(Written(r2, m, false).empty());
  m.redirect = 9;
  CHECK(Written(r2, m, false).empty());
  r2.pubsub.n_channels = 1;
  CHECK(Written(r2, m, false) ==
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
  flush.redirect = 9;
  CHECK(Written(r2, flush, false) ==
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n");
  // A broken redirect marks the tracking client, and tells it in RESP3 only.
  ClientState t3;
  t3.resp = 3;
  t3.tracking = tracking::kOn;
  t3.tracking_redirect = 9;
  CHECK(Written(t3, m, true) == ">2\r\n$21\r\ntracking-redir-broken\r\n:9\r\n");
  CHECK((t3.tracking.load() & tracking::kBrokenRedir) != 0);
  ClientState t2;
  t2.tracking = tracking::kOn;
  t2.tracking_redirect = 9;
  CHECK(Written(t2, m, true).empty());
  CHECK((t2.tracking.load() & tracking::kBrokenRedir) != 0);
  // Switched off, or redirected elsewhere since: not its concern any more.
  ClientState moved;
  moved.resp = 3;
  moved.tracking = tracking::kOn;
  moved.tracking_redirect = 10;
  CHECK(Written(moved, m, true).empty());
  CHECK((moved.tracking.load() & tracking::kBrokenRedir) == 0);
}

TEST_CASE("CLIENT TRACKING through the dispatcher: flags, remembered keys, INFO figures") {
  tracking::Install();
  test::Harness h;
  ClientState& c = h.client();
  CHECK(h.Run({"CLIENT", "TRACKING", "on", "OPTIN"}) == test::kOk);
  CHECK((c.tracking.load() & tracking::kOptIn) != 0);
  CHECK(tracking::Clients() == 1);
  const size_t keys = tracking::Keys();
  h.Run({"GET", "unit:a"});
  CHECK(tracking::Keys() == keys);  // OPTIN without CACHING YES
  CHECK(h.Run({"CLIENT", "CACHING", "yes"}) == test::kOk);
  CHECK((c.tracking.load() & tracking::kCaching) != 0);
  h.Run({"MGET", "unit:a", "unit:b"});
  CHECK(tracking::Keys() == keys + 2);
  CHECK((c.tracking.load() & tracking::kCaching) == 0);  // one command only
  h.Run({"GET", "unit:c"});
  CHECK(tracking::Keys() == keys + 2);
  CHECK(h.Run({"CLIENT", "GETREDIR"}) == ":0\r\n");
  h.Run({"SET", "unit:a", "1"});
  CHECK(tracking::Keys() == keys + 1);
  CHECK(h.Run({"RESET"}) == "+RESET\r\n");
  CHECK(c.tracking.load() == 0);
  CHECK(tracking::Clients() == 0);
  CHECK(h.Run({"CLIENT", "GETREDIR"}) == ":-1\r\n");
  h.Run({"FLUSHALL"});
  CHECK(tracking::Keys() == 0);
  tracking::DeliverPending();  // no deliverer here: dropped
}

}  // namespace
}  // namespace kv
