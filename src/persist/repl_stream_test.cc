#include "persist/repl_stream.h"

#include <doctest/doctest.h>

#include <string>

#include "core/scalar.h"
#include "persist/wal_record.h"

namespace kv::persist {
namespace {

TEST_CASE("Replication stream: a record of one command is that command") {
  std::string body;
  RecordBodyWriter w(&body, 1);
  w.AddCommand("0", 3);
  w.AddArg("SET");
  w.AddArg("k");
  w.AddArg("v");
  std::string ns = "0", out;
  AppendRecordAsResp(body, &ns, &out);
  CHECK(out == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
  CHECK(ns == "0");
}

TEST_CASE("Replication stream: SELECT when the namespace changes, MULTI/EXEC around a batch") {
  std::string body;
  RecordBodyWriter w(&body, 0);
  w.AddCommand("app", 2);
  w.AddArg("INCR");
  w.AddArg("a");
  w.AddCommand("app", 2);
  w.AddArg("INCR");
  w.AddArg("b");
  SetRecordBodyCount(&body, 2);
  std::string ns = "0", out;
  AppendRecordAsResp(body, &ns, &out);
  CHECK(out ==
        "*1\r\n$5\r\nMULTI\r\n*2\r\n$6\r\nSELECT\r\n$3\r\napp\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n"
        "*2\r\n$4\r\nINCR\r\n$1\r\nb\r\n*1\r\n$4\r\nEXEC\r\n");
  CHECK(ns == "app");
  // The stream stays in that namespace: the next record in it needs no SELECT.
  std::string again;
  AppendRecordAsResp(body, &ns, &again);
  CHECK(again.find("SELECT") == std::string::npos);
}

TEST_CASE("Replication stream: typed arguments go as KV.TYPED with their WAL type bytes") {
  std::string body;
  RecordBodyWriter w(&body, 1);
  w.AddCommand("0", 3);
  w.AddArg("SET");
  w.AddArg("n");
  w.AddArg(ScalarView::Int(7));
  std::string ns = "0", out;
  AppendRecordAsResp(body, &ns, &out);
  const std::string raw7("\x07\0\0\0\0\0\0\0", 8);
  CHECK(out == "*5\r\n$8\r\nKV.TYPED\r\n$3\r\n001\r\n$3\r\nSET\r\n$1\r\nn\r\n$8\r\n" + raw7 +
                   "\r\n");
}

}  // namespace
}  // namespace kv::persist
