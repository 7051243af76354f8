// Replay and the built-in lock extension's fencing guarantees at the command level:
// LOCK.RESTORE is internal (only WAL replay runs it), tokens never wrap past INT64_MAX, and a
// logged record that no longer applies stops the recovery instead of being skipped.
//
// The plugin's token counter is process-wide state, and this test drives it to INT64_MAX: it
// is the only unit test that loads the lock extension, so nothing else in the binary sees that.
#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/shard.h"
#include "persist/wal_record.h"
#include "modules/module_host.h"
#include "test_harness.h"

namespace kv {
namespace {

using test::Bulk;
using test::Int;
using test::kOk;

std::string Future() { return std::to_string(NowMs() + 3'600'000); }

// Runs LOCK.RESTORE as the log's replay does.
std::string Restore(test::Harness& h, std::initializer_list<std::string_view> args) {
  h.client().replaying = true;
  std::vector<std::string_view> argv{"LOCK.RESTORE"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string reply = h.Run(argv);
  h.client().replaying = false;
  return reply;
}

// Declared first: doctest runs a file's cases in order, and the case after this one leaves the
// token counter at INT64_MAX.
TEST_CASE("LOCK.RESTORE in replay sets the lock exactly and raises the token counter") {
  test::Harness h;
  ModuleHost host{h.table()};
  REQUIRE(LoadBuiltinModules(host).empty());
  const std::string at = std::to_string(NowMs() + 10000);
  CHECK(h.Run({"SET", "k", "not a lock"}) == kOk);
  CHECK(Restore(h, {"k", "a", "123", at}) == kOk);
  CHECK(h.Run({"GET", "k"}) == Bulk("123:a"));
  CHECK(h.Run({"PEXPIRETIME", "k"}) == Int(std::stoll(at)));
  CHECK(h.Run({"LOCK", "k", "a", "5000"}) == Int(123));  // the same owner: same token
  CHECK(h.Run({"LOCK", "k", "b", "5000"}) == test::kNil);

  // A token an hour ahead of the clock: every later token is larger.
  const long long far = (NowMs() + 3'600'000) * 1000;
  CHECK(Restore(h, {"r", "a", std::to_string(far), at}) == kOk);
  const std::string next = h.Run({"LOCK", "other", "b", "10000"});
  REQUIRE(next.size() > 3);
  CHECK(std::stoll(next.substr(1)) > far);

  // An expiry already past deletes the key.
  CHECK(h.Run({"LOCK", "gone", "a", "10000"}).front() == ':');
  CHECK(Restore(h, {"gone", "b", "5", std::to_string(NowMs() - 1)}) == kOk);
  CHECK(h.Run({"EXISTS", "gone"}) == Int(0));

  // Argument errors, which leave the key alone.
  CHECK(Restore(h, {"e", "a", "1"}) ==
        test::Err("ERR wrong number of arguments for 'lock.restore' command"));
  for (const char* bad : {"0", "-3", "x"})
    CHECK(Restore(h, {"e", "a", bad, at}) ==
          test::Err("ERR the fencing token must be a positive integer"));
  CHECK(Restore(h, {"e", "a", "5", "0"}) ==
        test::Err("ERR invalid expire time in 'lock.restore' command"));
  CHECK(Restore(h, {"e", "a", "5", "x"}) ==
        test::Err("ERR value is not an integer or out of range"));
  CHECK(h.Run({"EXISTS", "e"}) == Int(0));
}

TEST_CASE("LOCK.RESTORE is internal; tokens stop at INT64_MAX instead of wrapping") {
  test::Harness h;
  ModuleHost host{h.table()};
  REQUIRE(LoadBuiltinModules(host).empty());

  // A client cannot call it, and COMMAND does not show it.
  const std::string at = Future();
  CHECK(h.Run({"LOCK.RESTORE", "job", "intruder", "1", at}) ==
        "-ERR unknown command 'LOCK.RESTORE', with args beginning with: 'job' 'intruder' '1' '" +
            at + "' \r\n");
  CHECK(h.Run({"COMMAND", "INFO", "lock.restore"}) == "*1\r\n$-1\r\n");
  CHECK(h.Run({"COMMAND", "LIST"}).find("lock.restore") == std::string::npos);

  // Replay runs it: here it restores a lock holding the largest token there is.
  CHECK(Restore(h, {"held", "owner", "9223372036854775807", at}) == kOk);
  CHECK(h.Run({"GET", "held"}) == Bulk("9223372036854775807:owner"));

  // No larger token exists: a new acquisition is refused rather than handed a negative token,
  // and the owner of the held lock can still release it.
  CHECK(h.Run({"LOCK", "other", "w", "1000"}) ==
        "-ERR fencing tokens exhausted: the last token issued is 9223372036854775807\r\n");
  CHECK(h.Run({"EXISTS", "other"}) == Int(0));
  CHECK(h.Run({"LOCK", "held", "owner", "1000"}) == Int(9223372036854775807LL));  // a refresh
  CHECK(h.Run({"UNLOCK", "held", "owner"}) == Int(1));
}

TEST_CASE("A logged write that answers an error on replay stops the recovery") {
  test::Harness h;
  CHECK(h.Run({"SET", "k", "not a number"}) == kOk);
  persist::WalRecord rec;
  rec.lsn = 7;
  rec.time_ms = NowMs();
  rec.commands.push_back({"0", {{ScalarType::kBytes, "INCR"}, {ScalarType::kBytes, "k"}}});
  const std::string err = h.dispatcher().Replay(rec);
  CHECK(err == "record 7 (incr) answered an error on replay: ERR value is not an integer or out "
               "of range");
  CHECK(h.Run({"GET", "k"}) == Bulk("not a number"));
  // The same record on a state where it applies is fine.
  CHECK(h.Run({"SET", "k", "41"}) == kOk);
  CHECK(h.dispatcher().Replay(rec).empty());
  CHECK(h.Run({"GET", "k"}) == Bulk("42"));
}

}  // namespace
}  // namespace kv
