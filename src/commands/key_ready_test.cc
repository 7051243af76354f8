// The key-ready hook blocking pops will hang on (core/shard.h SetKeyReadyListener), driven by
// real commands: a key that becomes a list or a sorted set is reported once, with its type;
// pushes onto an existing list, strings, sets, hashes and TTL changes are not. A stream is
// reported at every XADD (blocked XREADs wait on streams that exist).
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/object.h"
#include "core/shard.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Harness;

std::vector<std::pair<std::string, ObjType>>& Seen() {
  static std::vector<std::pair<std::string, ObjType>> seen;
  return seen;
}

void Record(Shard& /*shard*/, std::string_view key, ObjType type) {
  Seen().emplace_back(std::string(key), type);
}

// Installs the recording listener for one test case and removes it after.
struct Listening {
  Listening() {
    Seen().clear();
    SetKeyReadyListener(&Record);
  }
  ~Listening() { SetKeyReadyListener(nullptr); }
};

using Ready = std::vector<std::pair<std::string, ObjType>>;

TEST_CASE("A key that becomes a list or a sorted set is reported ready") {
  Harness h;
  Listening listening;
  h.Run({"LPUSH", "q", "a"});
  h.Run({"RPUSH", "q", "b", "c"});  // already a list: nobody can be waiting on it
  h.Run({"ZADD", "z", "1", "m"});
  h.Run({"ZADD", "z", "2", "n"});
  CHECK(Seen() == Ready{{"q", ObjType::kList}, {"z", ObjType::kZSet}});

  Seen().clear();
  h.Run({"SET", "s", "v"});
  h.Run({"SADD", "set", "m"});
  h.Run({"HSET", "h", "f", "v"});
  h.Run({"EXPIRE", "q", "100"});  // a new expiry layout moves the entry: not a new list
  h.Run({"PERSIST", "q"});
  CHECK(Seen().empty());
}

TEST_CASE("Emptied and re-created, renamed onto, or moved by LMOVE: each new list is reported") {
  Harness h;
  Listening listening;
  h.Run({"RPUSH", "src", "a", "b"});
  h.Run({"LPOP", "src", "2"});  // the emptied list deletes its key
  h.Run({"RPUSH", "src", "c"});
  h.Run({"SET", "dst", "string"});
  h.Run({"RENAME", "src", "dst"});  // a string replaced by a list
  h.Run({"LMOVE", "dst", "other", "LEFT", "RIGHT"});
  CHECK(Seen() == Ready{{"src", ObjType::kList},
                        {"src", ObjType::kList},
                        {"dst", ObjType::kList},
                        {"other", ObjType::kList}});
}

TEST_CASE("Every XADD reports its stream ready; refused and other stream writes do not") {
  Harness h;
  Listening listening;
  h.Run({"XADD", "s", "1-1", "f", "v"});  // a new stream
  h.Run({"XADD", "s", "2-1", "f", "v"});  // entries for readers already waiting on it
  h.Run({"XADD", "s", "MAXLEN", "0", "3-1", "f", "v"});
  CHECK(Seen() == Ready{{"s", ObjType::kStream}, {"s", ObjType::kStream}, {"s", ObjType::kStream}});
  Seen().clear();
  h.Run({"XADD", "s", "1-1", "f", "v"});  // a stale ID: refused
  h.Run({"XADD", "missing", "NOMKSTREAM", "*", "f", "v"});
  h.Run({"XDEL", "s", "3-1"});
  h.Run({"XTRIM", "s", "MAXLEN", "0"});
  h.Run({"XSETID", "s", "9-9"});
  h.Run({"XRANGE", "s", "-", "+"});
  CHECK(Seen().empty());
}

TEST_CASE("No listener: commands run as before") {
  Harness h;
  SetKeyReadyListener(nullptr);
  CHECK(h.Run({"LPUSH", "q", "a"}) == test::Int(1));
  CHECK(h.Run({"LLEN", "q"}) == test::Int(1));
}

}  // namespace
}  // namespace kv
