// RespWriter: exact bytes for every reply type in RESP2 and RESP3, as redis-server 7.0 sends them.
#include "resp/resp_writer.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <limits>
#include <string>

namespace kv::resp {
namespace {

struct Fixture {
  explicit Fixture(bool resp3) : writer(&out) { writer.set_resp3(resp3); }

  // Returns what was written since the last call.
  std::string Take() {
    std::string s;
    s.swap(out);
    return s;
  }

  std::string out;
  RespWriter writer;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("a writer starts in RESP2 and can switch") {
  std::string out;
  RespWriter w(&out);
  CHECK_FALSE(w.resp3());
  w.set_resp3(true);
  CHECK(w.resp3());
  w.set_resp3(false);
  CHECK_FALSE(w.resp3());
}

TEST_CASE("replies that are the same in RESP2 and RESP3") {
  for (bool resp3 : {false, true}) {
    CAPTURE(resp3);
    Fixture f(resp3);
    auto& w = f.writer;
    w.SendSimple("OK");
    CHECK(f.Take() == "+OK\r\n");
    w.SendOk();
    CHECK(f.Take() == "+OK\r\n");
    w.SendSimple("");
    CHECK(f.Take() == "+\r\n");

    w.SendLong(0);
    CHECK(f.Take() == ":0\r\n");
    w.SendLong(-42);
    CHECK(f.Take() == ":-42\r\n");
    w.SendLong(std::numeric_limits<int64_t>::max());
    CHECK(f.Take() == ":9223372036854775807\r\n");
    w.SendLong(std::numeric_limits<int64_t>::min());
    CHECK(f.Take() == ":-9223372036854775808\r\n");

    w.SendBulk("hello");
    CHECK(f.Take() == "$5\r\nhello\r\n");
    w.SendBulk("");
    CHECK(f.Take() == "$0\r\n\r\n");
    w.SendBulk(std::string_view("a\r\n\0b", 5));
    CHECK(f.Take() == std::string("$5\r\na\r\n\0b\r\n", 11));

    w.StartArray(0);
    CHECK(f.Take() == "*0\r\n");
    w.StartArray(3);
    CHECK(f.Take() == "*3\r\n");
    w.StartArray(std::numeric_limits<uint32_t>::max());
    CHECK(f.Take() == "*4294967295\r\n");

    w.SendError("ERR unknown command");
    CHECK(f.Take() == "-ERR unknown command\r\n");
    w.SendError("WRONGTYPE Operation against a key holding the wrong kind of value");
    CHECK(f.Take() == "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  }
}

TEST_CASE("error text never breaks the line") {
  Fixture f(false);
  f.writer.SendError("ERR bad\r\nthing\rhere\n");
  CHECK(f.Take() == "-ERR bad  thing here\r\n");
  f.writer.SendError("\r\nERR x\n");
  CHECK(f.Take() == "-ERR x\r\n");
  f.writer.SendError("-ERR already dashed");
  CHECK(f.Take() == "-ERR already dashed\r\n");
}

TEST_CASE("a deferred array's header lands before its elements, after what came before") {
  Fixture f(false);
  auto& w = f.writer;
  w.SendLong(7);  // an earlier reply in the same buffer stays in front
  const size_t outer = w.StartDeferredArray();
  for (int i = 0; i < 12; ++i) {
    const size_t inner = w.StartDeferredArray();
    w.SendBulk("v");
    w.EndDeferredArray(inner, 1);
  }
  w.EndDeferredArray(outer, 12);
  std::string want = ":7\r\n*12\r\n";
  for (int i = 0; i < 12; ++i) want += "*1\r\n$1\r\nv\r\n";
  CHECK(f.Take() == want);
  w.EndDeferredArray(w.StartDeferredArray(), 0);
  CHECK(f.Take() == "*0\r\n");
}

TEST_CASE("RESP2 encodings") {
  Fixture f(false);
  auto& w = f.writer;
  w.SendNull();
  CHECK(f.Take() == "$-1\r\n");
  w.SendNullArray();
  CHECK(f.Take() == "*-1\r\n");
  w.SendBool(true);
  CHECK(f.Take() == ":1\r\n");
  w.SendBool(false);
  CHECK(f.Take() == ":0\r\n");
  w.StartMap(2);
  CHECK(f.Take() == "*4\r\n");
  w.StartMap(std::numeric_limits<uint32_t>::max());
  CHECK(f.Take() == "*8589934590\r\n");
  w.StartSet(3);
  CHECK(f.Take() == "*3\r\n");
  w.SendVerbatim("some text");
  CHECK(f.Take() == "$9\r\nsome text\r\n");
  w.SendVerbatim("# Server", "txt");
  CHECK(f.Take() == "$8\r\n# Server\r\n");
}

TEST_CASE("RESP3 encodings") {
  Fixture f(true);
  auto& w = f.writer;
  w.SendNull();
  CHECK(f.Take() == "_\r\n");
  w.SendNullArray();
  CHECK(f.Take() == "_\r\n");
  w.SendBool(true);
  CHECK(f.Take() == "#t\r\n");
  w.SendBool(false);
  CHECK(f.Take() == "#f\r\n");
  w.StartMap(2);
  CHECK(f.Take() == "%2\r\n");
  w.StartSet(3);
  CHECK(f.Take() == "~3\r\n");
  w.SendVerbatim("some text");
  CHECK(f.Take() == "=13\r\ntxt:some text\r\n");
  w.SendVerbatim("**x**", "mkd");
  CHECK(f.Take() == "=9\r\nmkd:**x**\r\n");
  w.SendVerbatim("");
  CHECK(f.Take() == "=4\r\ntxt:\r\n");
}

TEST_CASE("doubles are printed with %.17g like Redis 7.0") {
  Fixture f2(false);
  Fixture f3(true);
  struct Case {
    double v;
    const char* text;
  };
  // ZSCORE answers from redis-server 7.0.15 for the same scores.
  for (const Case& c :
       {Case{0.1, "0.10000000000000001"}, Case{1.5, "1.5"}, Case{3, "3"}, Case{-2.5, "-2.5"},
        Case{0, "0"}, Case{-0.0, "-0"}, Case{1e20, "1e+20"}, Case{1e6, "1000000"},
        Case{1e-5, "1.0000000000000001e-05"}, Case{kInf, "inf"}, Case{-kInf, "-inf"},
        Case{std::numeric_limits<double>::quiet_NaN(), "nan"},
        Case{std::numeric_limits<double>::max(), "1.7976931348623157e+308"}}) {
    CAPTURE(c.text);
    const std::string text = c.text;
    f2.writer.SendDouble(c.v);
    // Built piecewise: "lit" + std::string&& trips GCC 12's -Wrestrict false positive at -O3.
    std::string bulk = "$";
    bulk.append(std::to_string(text.size())).append("\r\n").append(text).append("\r\n");
    CHECK(f2.Take() == bulk);
    f3.writer.SendDouble(c.v);
    CHECK(f3.Take() == std::string(",").append(text).append("\r\n"));
  }
  // Finite values agree with printf itself.
  for (double v : {0.1 + 0.2, 1.0 / 3, 123456789.123456789, 5e-324, 2.5e-310, -1e300}) {
    char expected[64];
    std::snprintf(expected, sizeof(expected), ",%.17g\r\n", v);
    f3.writer.SendDouble(v);
    CHECK(f3.Take() == expected);
  }
}

TEST_CASE("scalars are sent as bulk strings of their canonical form") {
  for (bool resp3 : {false, true}) {
    CAPTURE(resp3);
    Fixture f(resp3);
    f.writer.SendScalar(ScalarView::Bytes("v"));
    CHECK(f.Take() == "$1\r\nv\r\n");
    f.writer.SendScalar(ScalarView::Int(-17));
    CHECK(f.Take() == "$3\r\n-17\r\n");
    f.writer.SendScalar(ScalarView::Float(10.6));
    CHECK(f.Take() == "$4\r\n10.6\r\n");
    // Longer than kScalarBufSize; redis-server 7.0 prints this for SET k 1e50; INCRBYFLOAT k 0.
    f.writer.SendScalar(ScalarView::Float(1e50));
    CHECK(f.Take() == "$51\r\n100000000000000000003583830118858923890798487404544\r\n");
  }
}

TEST_CASE("a nested reply appends in order") {
  Fixture f(true);
  auto& w = f.writer;
  w.StartMap(2);
  w.SendBulk("server");
  w.SendBulk("kv");
  w.SendBulk("modules");
  w.StartArray(0);
  CHECK(f.Take() == "%2\r\n$6\r\nserver\r\n$2\r\nkv\r\n$7\r\nmodules\r\n*0\r\n");

  f.writer.set_resp3(false);
  w.StartMap(1);
  w.SendBulk("a");
  w.SendNull();
  CHECK(f.Take() == "*2\r\n$1\r\na\r\n$-1\r\n");
}

TEST_CASE("the writer appends to existing output") {
  std::string out = "prefix";
  RespWriter w(&out);
  w.SendLong(1);
  w.SendBulk(std::string(100000, 'x'));
  CHECK(out.rfind("prefix:1\r\n$100000\r\n", 0) == 0);
  CHECK(out.size() == 6 + 4 + 9 + 100000 + 2);
  CHECK(out.substr(out.size() - 3) == "x\r\n");
}

}  // namespace kv::resp
