// The function libraries across a restart, in process: FUNCTION's writes go to the log (and
// its reads do not), a snapshot carries the libraries and the log after it replays over them,
// and a snapshot library that no longer loads stops recovery with its file named.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands/function_libraries.h"
#include "persist/persistence.h"
#include "test_harness.h"
#include "temp_dir.h"

namespace kv {
namespace {

using test::Bulk;
using test::Err;
using test::Harness;
using test::Int;
using test::kOk;

using test::TempDir;

constexpr std::string_view kLibA =
    "#!lua name=liba\nredis.register_function('fa', function(keys, args) "
    "return redis.call('set', keys[1], args[1]) end)";
constexpr std::string_view kLibB =
    "#!lua name=libb\nredis.register_function('fb', function() return 'b' end)";
constexpr std::string_view kLibC =
    "#!lua name=libc\nredis.register_function('fc', function() return 'c' end)";

// A server's data directory through one process life: the data emptied (a new process), then
// recovered, the log open. The harness outlives the lives (Shared).
struct Life {
  Harness& h;
  persist::Persistence p;
  persist::RecoveryReport report;
  std::string recover_error;
  Life(Harness& harness, const std::string& dir)
      : h(harness), p(harness.store(), [&] {
          persist::PersistenceOptions o;
          o.dir = dir;
          o.policy = persist::FsyncPolicy::kAlways;
          return o;
        }()) {
    h.store().ClearAll();
    p.SetLibraryHooks({FunctionLibraryCodes, ReplaceFunctionLibraries});
    h.server().persistence = &p;
    recover_error = p.Recover(
        [this](const persist::WalRecord& r) { return h.dispatcher().Replay(r); }, &report);
    if (recover_error.empty()) REQUIRE(p.OpenLog(nullptr) == "");
  }
  ~Life() {
    p.Shutdown(false);
    h.server().persistence = nullptr;
  }
  uint64_t last_lsn() { return p.wal()->last_lsn(); }
};

// One harness for every test here: the dispatcher's replay client (thread-local) keeps the
// namespace it last replayed into, known by its store's address, which a store made where a
// freed one was would share.
Harness& Shared() {
  static Harness h;
  return h;
}

// The libraries are one per process: each test starts and ends with none.
struct NoLibraries {
  NoLibraries() { REQUIRE(ReplaceFunctionLibraries({}) == ""); }
  ~NoLibraries() { (void)ReplaceFunctionLibraries({}); }
};

}  // namespace

TEST_CASE("FUNCTION writes are logged, its reads and refused writes are not") {
  NoLibraries clean;
  TempDir dir;
  Harness& h = Shared();
  Life life(h, dir.path);
  REQUIRE(life.recover_error == "");
  const uint64_t start = life.last_lsn();
  CHECK(life.h.Run({"FUNCTION", "LOAD", kLibA}) == Bulk("liba"));
  CHECK(life.last_lsn() == start + 1);
  CHECK(life.h.Run({"FUNCTION", "LOAD", kLibA}) == Err("ERR Library 'liba' already exists"));
  CHECK(life.h.Run({"FUNCTION", "DELETE", "nope"}) == Err("ERR Library not found"));
  CHECK(life.h.Run({"FUNCTION", "RESTORE", "bad"}) ==
        Err("ERR DUMP payload version or checksum are wrong"));
  CHECK(life.h.Run({"FUNCTION", "LIST"}).starts_with("*1\r\n"));
  CHECK(life.h.Run({"FUNCTION", "STATS"}).starts_with("*4\r\n"));
  CHECK(life.h.Run({"FUNCTION", "DUMP"}).starts_with("$"));
  CHECK(life.last_lsn() == start + 1);
  CHECK(life.h.Run({"FUNCTION", "DELETE", "liba"}) == kOk);
  CHECK(life.h.Run({"FUNCTION", "FLUSH"}) == kOk);
  CHECK(life.last_lsn() == start + 3);
  // The WAL-failed and maxmemory refusals go by the subcommand's flags.
  const CommandSpec* spec = life.h.table().Find("function");
  REQUIRE(spec != nullptr);
  CHECK(spec->flags == 0);
  const std::vector<std::string_view> load = {"FUNCTION", "load", "x"};
  const std::vector<std::string_view> list = {"FUNCTION", "LIST"};
  CHECK(spec->CallFlags(load) == (kCmdWrite | kCmdDenyOom | kCmdNoScript));
  CHECK(spec->CallFlags(list) == kCmdNoScript);
  const std::vector<std::string_view> help = {"FUNCTION", "HELP"};
  CHECK(spec->CallFlags(help) == (kCmdLoading | kCmdStale));
  // A write holds every shard of its namespace until it is logged: a snapshot's freeze then
  // sees a library change and its record both or neither.
  REQUIRE(static_cast<bool>(spec->locks_all_shards));
  CHECK(spec->locks_all_shards(load));
  for (std::string_view sub : {"DELETE", "flush", "Restore"}) {
    const std::vector<std::string_view> args = {"FUNCTION", sub, "x"};
    CHECK(spec->locks_all_shards(args));
    CHECK((spec->CallFlags(args) & kCmdWrite) != 0);
  }
  CHECK_FALSE(spec->locks_all_shards(list));
  const std::vector<std::string_view> dump = {"FUNCTION", "DUMP"};
  CHECK_FALSE(spec->locks_all_shards(dump));
  // The dispatcher logs a write as sent by its declared flags: the subcommand's.
  CHECK((spec->DeclaredFlags(load) & kCmdWrite) != 0);
}

TEST_CASE("the libraries come back from a snapshot plus the log after it") {
  NoLibraries clean;
  TempDir dir;
  Harness& h = Shared();
  std::string dump;
  {
    Life life(h, dir.path);
    REQUIRE(life.recover_error == "");
    REQUIRE(life.h.Run({"FUNCTION", "LOAD", kLibA}) == Bulk("liba"));
    REQUIRE(life.h.Run({"FUNCTION", "LOAD", kLibB}) == Bulk("libb"));
    REQUIRE(life.h.Run({"FCALL", "fa", "1", "k", "v1"}) == kOk);
    REQUIRE(life.p.Save() == "");
    // After the snapshot: the log replays these over the snapshot's libraries.
    REQUIRE(life.h.Run({"FUNCTION", "DELETE", "libb"}) == kOk);
    REQUIRE(life.h.Run({"FUNCTION", "LOAD", kLibC}) == Bulk("libc"));
    REQUIRE(life.h.Run({"FUNCTION", "LOAD", "REPLACE", kLibA}) == Bulk("liba"));
    dump = life.h.Run({"FUNCTION", "LIST", "WITHCODE"});
  }
  REQUIRE(ReplaceFunctionLibraries({}) == "");
  {
    Life life(h, dir.path);
    REQUIRE(life.recover_error == "");
    CHECK(life.report.snapshot.libraries == 2);
    CHECK(life.report.records_replayed == 3);
    CHECK(life.h.Run({"FUNCTION", "LIST", "WITHCODE"}) == dump);
    CHECK(life.h.Run({"FCALL", "fc", "0"}) == Bulk("c"));
    CHECK(life.h.Run({"FCALL", "fb", "0"}) == Err("ERR Function not found"));
    CHECK(life.h.Run({"FCALL", "fa", "1", "k", "v2"}) == kOk);
    CHECK(life.h.Run({"GET", "k"}) == Bulk("v2"));
    // A snapshot at shutdown, then a start from it alone.
    CHECK(life.p.Shutdown(true) == "");
  }
  REQUIRE(ReplaceFunctionLibraries({}) == "");
  {
    Life life(h, dir.path);
    REQUIRE(life.recover_error == "");
    CHECK(life.report.records_replayed == 0);
    CHECK(life.h.Run({"FUNCTION", "LIST", "WITHCODE"}) == dump);
  }
}

TEST_CASE("a FUNCTION LOAD replayed over a state that has its library does not stop recovery") {
  NoLibraries clean;
  TempDir dir;
  Harness& h = Shared();
  {
    Life life(h, dir.path);
    REQUIRE(life.h.Run({"FUNCTION", "LOAD", kLibA}) == Bulk("liba"));
  }
  // As if a snapshot held the library and the log its load too: logged as LOAD REPLACE.
  REQUIRE(ReplaceFunctionLibraries({std::string(kLibA)}) == "");
  Life life(h, dir.path);
  CHECK(life.recover_error == "");
  CHECK(life.report.records_replayed == 1);
  CHECK(life.h.Run({"FCALL", "fa", "1", "k", "v"}) == kOk);
}

TEST_CASE("DEBUG RELOAD keeps the libraries") {
  NoLibraries clean;
  TempDir dir;
  Harness& h = Shared();
  Life life(h, dir.path);
  life.h.config().enable_debug_command = EnableOption::kYes;
  REQUIRE(life.h.Run({"FUNCTION", "LOAD", kLibB}) == Bulk("libb"));
  CHECK(life.h.Run({"DEBUG", "RELOAD"}) == kOk);
  CHECK(life.h.Run({"FCALL", "fb", "0"}) == Bulk("b"));
  CHECK(FunctionLibraryCodes() == std::vector<std::string>{std::string(kLibB)});
}

TEST_CASE("a snapshot library that does not load stops recovery, naming the file") {
  NoLibraries clean;
  TempDir dir;
  Harness& h = Shared();
  {
    Life life(h, dir.path);
    REQUIRE(life.recover_error == "");
    life.p.SetLibraryHooks(
        {[] { return std::vector<std::string>{"#!lua name=broken\nthis is not lua"}; },
         ReplaceFunctionLibraries});
    REQUIRE(life.p.Shutdown(true) == "");
  }
  Life life(h, dir.path);
  CHECK(life.recover_error.find(".kvs: a function library does not load: ") != std::string::npos);
  CHECK(FunctionLibraryCodes().empty());
}

TEST_CASE("ReplaceFunctionLibraries is all or nothing") {
  NoLibraries clean;
  REQUIRE(ReplaceFunctionLibraries({std::string(kLibA)}) == "");
  const std::string dup =
      "#!lua name=other\nredis.register_function('fa', function() return 1 end)";
  CHECK(ReplaceFunctionLibraries({std::string(kLibB), dup, std::string(kLibA)}) ==
        "Function fa already exists");
  CHECK(ReplaceFunctionLibraries({std::string(kLibB), std::string(kLibB)}) ==
        "Library 'libb' already exists");
  CHECK(ReplaceFunctionLibraries({"#!lua name=x\nerror('no')"}) != "");
  CHECK(FunctionLibraryCodes() == std::vector<std::string>{std::string(kLibA)});
  REQUIRE(ReplaceFunctionLibraries({std::string(kLibC), std::string(kLibB)}) == "");
  CHECK(FunctionLibraryCodes() == std::vector<std::string>{std::string(kLibB), std::string(kLibC)});
}

}  // namespace kv
