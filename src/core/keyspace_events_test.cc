#include "core/keyspace_events.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/keyspace.h"
#include "core/list.h"
#include "core/shard.h"

namespace kv::keyspace_events {
namespace {

std::vector<std::pair<std::string, std::string>>& Published() {
  static std::vector<std::pair<std::string, std::string>> published;
  return published;
}

// Installs a recording sink and the given classes for one test; restores both after it.
struct Recording {
  explicit Recording(std::string_view flags) {
    Published().clear();
    Flags().store(*Parse(flags));
    SetSink([](std::string_view channel, std::string_view message) {
      Published().emplace_back(channel, message);
    });
  }
  ~Recording() {
    Flags().store(0);
    SetSink(nullptr);
  }
};

using Messages = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("keyspace events: class letters parse and print as Redis 7.0's") {
  CHECK(Parse("") == 0u);
  CHECK(Parse("KEA") == (kKeyspace | kKeyevent | kAll));
  CHECK(Parse("g$lshzxetdnKEm") == (kAll | kNew | kKeyspace | kKeyevent | kKeyMiss));
  CHECK_FALSE(Parse("KEq").has_value());
  CHECK_FALSE(Parse("a").has_value());  // letters are case-sensitive
  CHECK(Format(*Parse("KEA")) == "AKE");
  CHECK(Format(*Parse("KEAn")) == "AKE");  // A hides n, as in Redis 7.0
  CHECK(Format(*Parse("Elg")) == "glE");
  CHECK(Format(*Parse("mn")) == "nm");
  CHECK(Format(*Parse("Ex$")) == "$xE");
  CHECK(Format(*Parse("g$lshzxetd")) == "A");
}

TEST_CASE("keyspace events: channels, and nothing without K or E or the class") {
  {
    Recording r("KE$");
    Emit(kString, "set", "k", "0");
    Emit(kList, "lpush", "l", "0");  // class not configured
    CHECK(Published() == Messages{{"__keyspace@0__:k", "set"}, {"__keyevent@0__:set", "k"}});
  }
  {
    Recording r("A");  // classes but neither K nor E: nothing is published
    Emit(kGeneric, "del", "k", "3");
    CHECK(Published().empty());
  }
  {
    Recording r("Kg");
    Emit(kGeneric, "del", "k", "app");
    CHECK(Published() == Messages{{"__keyspace@app__:k", "del"}});
  }
}

TEST_CASE("keyspace events: what a shard does on its own is announced in its namespace") {
  Recording r("EAn");
  Keyspace ks("7", 4);
  Shard& s = ks.ShardFor("k");
  s.Set("k", ScalarView::Bytes("v"), 1000);
  s.Set("k", ScalarView::Bytes("w"), 1000);  // replaced: not new
  CHECK(s.Find("k", 1000) == nullptr);       // expired on access
  Shard& l = ks.ShardFor("l");
  const NewContainer c = NewList();
  Entry* e = l.SetContainer("l", c.encoding, c.ptr, kNoExpire);
  {
    ListRef list(e);
    list->Push(true, ScalarView::Bytes("x"));
    list.Commit();
  }
  {
    ListRef list(e);
    list->EraseRange(0, 1);
    l.ContainerChanged("l", list.Commit(), /*empty=*/true, 0);
  }
  CHECK(Published() == Messages{{"__keyevent@7__:new", "k"},
                                {"__keyevent@7__:expired", "k"},
                                {"__keyevent@7__:new", "l"},
                                {"__keyevent@7__:del", "l"}});
}

}  // namespace
}  // namespace kv::keyspace_events
