// RequestParser: framing at every split point, inline quoting, and each protocol error text that
// redis-server 7.0 sends for the same input.
#include "resp/resp_parser.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace kv::resp {
namespace {

using Result = RequestParser::Result;
using Args = std::vector<std::string>;

std::vector<std::string> ToStrings(const std::vector<std::string_view>& args) {
  return {args.begin(), args.end()};
}

// Plays a connection: bytes arrive in chunks, complete requests are consumed from the front.
// Every Parse call sees a fresh copy of the pending bytes, so the parser must not rely on the
// buffer's address between calls.
struct Connection {
  explicit Connection(ParserLimits limits = {}) : parser(limits) {}

  Result Feed(std::string_view bytes) {
    pending.append(bytes);
    while (true) {
      const std::string copy = pending;
      size_t consumed = 0;
      std::vector<std::string_view> args;
      const Result r = parser.Parse(copy, &consumed, &args);
      if (r != Result::kOk) return r;
      REQUIRE(consumed > 0);
      REQUIRE(consumed <= copy.size());
      requests.push_back(ToStrings(args));
      pending.erase(0, consumed);
    }
  }

  RequestParser parser;
  std::string pending;
  std::vector<Args> requests;
};

// Parses `input` (expected to be exactly one request) from a fresh parser in one call.
Result ParseOne(std::string_view input, Args* out = nullptr, size_t* consumed_out = nullptr,
                ParserLimits limits = {}) {
  RequestParser parser(limits);
  size_t consumed = 0;
  std::vector<std::string_view> args;
  const Result r = parser.Parse(input, &consumed, &args);
  if (out != nullptr) *out = ToStrings(args);
  if (consumed_out != nullptr) *consumed_out = consumed;
  return r;
}

std::string ErrorOf(std::string_view input, ParserLimits limits = {}) {
  RequestParser parser(limits);
  size_t consumed = 0;
  std::vector<std::string_view> args;
  if (parser.Parse(input, &consumed, &args) != Result::kError) return "<no error>";
  CHECK(consumed == 0);
  return std::string(parser.error());
}

const std::string kBinary("a\r\nb\0c", 6);

// Several requests of every shape, pipelined.
const std::string kPipeline = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\n" + kBinary +
                              "\r\n"
                              "PING\r\n"
                              "*0\r\n"
                              "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"
                              "\r\n"
                              "SET k \"a b\\x41\" 'c d'\n"
                              "*-1\r\n"
                              "*1\r\n$12\r\n0123456789ab\r\n";
const std::vector<Args> kPipelineRequests = {
    {"SET", "key", kBinary}, {"PING"}, {}, {"ECHO", ""}, {}, {"SET", "k", "a bA", "c d"}, {},
    {"0123456789ab"}};

}  // namespace

TEST_CASE("a pipeline parses the same at every split point") {
  for (size_t split = 0; split <= kPipeline.size(); ++split) {
    CAPTURE(split);
    Connection conn;
    const Result first = conn.Feed(std::string_view(kPipeline).substr(0, split));
    REQUIRE(first == Result::kNeedMore);
    REQUIRE(conn.Feed(std::string_view(kPipeline).substr(split)) == Result::kNeedMore);
    CHECK(conn.pending.empty());
    CHECK(conn.requests == kPipelineRequests);
  }
}

TEST_CASE("a pipeline fed one byte at a time") {
  Connection conn;
  for (char c : kPipeline) REQUIRE(conn.Feed(std::string_view(&c, 1)) == Result::kNeedMore);
  CHECK(conn.requests == kPipelineRequests);
  CHECK(conn.pending.empty());
}

TEST_CASE("every proper prefix of a request needs more, the whole request parses") {
  const std::vector<std::string> requests = {
      "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\n" + kBinary + "\r\n",
      "*1\r\n$0\r\n\r\n",
      "*0\r\n",
      "PING\r\n",
      "ECHO \"x y\"\n",
  };
  for (const std::string& req : requests) {
    CAPTURE(req);
    for (size_t len = 0; len < req.size(); ++len) {
      CAPTURE(len);
      // From a fresh parser...
      CHECK(ParseOne(std::string_view(req).substr(0, len)) == Result::kNeedMore);
    }
    // ...and from one parser that saw every prefix in turn.
    RequestParser parser;
    size_t consumed = 0;
    std::vector<std::string_view> args;
    for (size_t len = 0; len < req.size(); ++len) {
      REQUIRE(parser.Parse(std::string_view(req).substr(0, len), &consumed, &args) ==
              Result::kNeedMore);
      CHECK(consumed == 0);
    }
    REQUIRE(parser.Parse(req, &consumed, &args) == Result::kOk);
    CHECK(consumed == req.size());
  }
}

TEST_CASE("multibulk arguments are views into the caller's buffer") {
  const std::string buf = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nextra";
  RequestParser parser;
  size_t consumed = 0;
  std::vector<std::string_view> args;
  REQUIRE(parser.Parse(buf, &consumed, &args) == Result::kOk);
  CHECK(consumed == buf.size() - 5);
  REQUIRE(args.size() == 2);
  CHECK(args[0].data() == buf.data() + 8);
  CHECK(args[1].data() == buf.data() + 17);
  CHECK(args[1] == "k");
}

TEST_CASE("only the first request is consumed") {
  Args args;
  size_t consumed = 0;
  CHECK(ParseOne("PING\r\nPING\r\n", &args, &consumed) == Result::kOk);
  CHECK(consumed == 6);
  CHECK(args == Args{"PING"});
  CHECK(ParseOne("*1\r\n$4\r\nPING\r\n*1\r\n", &args, &consumed) == Result::kOk);
  CHECK(consumed == 14);
}

TEST_CASE("requests Redis skips yield zero arguments") {
  for (const char* input : {"\r\n", "\n", "   \r\n", " \t \n", "*0\r\n", "*-1\r\n", "*-5\r\n"}) {
    CAPTURE(input);
    Args args{"stale"};
    size_t consumed = 0;
    CHECK(ParseOne(input, &args, &consumed) == Result::kOk);
    CHECK(args.empty());
    CHECK(consumed == std::string_view(input).size());
  }
}

TEST_CASE("inline commands split like sdssplitargs") {
  struct Case {
    const char* line;
    Args args;
  };
  const std::vector<Case> cases = {
      {"PING", {"PING"}},
      {"  SET   k  v  ", {"SET", "k", "v"}},
      {"SET\tk\tv", {"SET", "k", "v"}},
      {"ECHO \"hello world\"", {"ECHO", "hello world"}},
      {"ECHO \"a\\n\\r\\t\\b\\a\\\\\\\"z\"", {"ECHO", "a\n\r\t\b\a\\\"z"}},
      {"ECHO \"\\x41\\x4a\\x6b\"", {"ECHO", "AJk"}},
      {"ECHO \"\\x4\"", {"ECHO", "x4"}},  // not two hex digits: plain escaped 'x'
      {"ECHO \"\\q\"", {"ECHO", "q"}},    // unknown escapes keep the character
      {"ECHO 'it\\'s'", {"ECHO", "it's"}},
      {"ECHO 'a\\nb'", {"ECHO", "a\\nb"}},  // single quotes only unescape \'
      {"ECHO 'a \"b\" c'", {"ECHO", "a \"b\" c"}},
      {"ECHO a\"b c\"", {"ECHO", "ab c"}},  // a quote may open mid-argument
      {"ECHO \"\" ''", {"ECHO", "", ""}},
      {"ECHO \"x\"\t'y'", {"ECHO", "x", "y"}},
      {"ECHO a\vb", {"ECHO", "a\vb"}},  // \v separates nothing inside an argument
      {"\vECHO", {"ECHO"}},             // ...but is skipped before one
      {"ECHO \xff\x80", {"ECHO", "\xff\x80"}},
  };
  for (const Case& c : cases) {
    for (const char* eol : {"\r\n", "\n"}) {
      const std::string input = std::string(c.line) + eol;
      CAPTURE(input);
      Args args;
      size_t consumed = 0;
      REQUIRE(ParseOne(input, &args, &consumed) == Result::kOk);
      CHECK(consumed == input.size());
      CHECK(args == c.args);
    }
  }
  // An embedded NUL byte is an ordinary character.
  Args args;
  REQUIRE(ParseOne(std::string("ECHO a\0b\r\n", 10), &args) == Result::kOk);
  CHECK(args == Args{"ECHO", std::string("a\0b", 3)});
  // A lone CR inside the line is a separator, not a line end.
  REQUIRE(ParseOne("A\rB\n", &args) == Result::kOk);
  CHECK(args == Args{"A", "B"});
}

TEST_CASE("unbalanced quotes are a protocol error") {
  for (const char* line : {"ECHO \"abc", "ECHO 'abc", "ECHO \"a\"b", "ECHO 'a'b", "ECHO \"x\\",
                           "ECHO \"x\\\"", "ECHO 'x\\'", "\""}) {
    CAPTURE(line);
    CHECK(ErrorOf(std::string(line) + "\r\n") == "Protocol error: unbalanced quotes in request");
  }
}

TEST_CASE("malformed multibulk headers give Redis's errors") {
  CHECK(ErrorOf("*\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*x\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*01\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*+1\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("* 1\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*1 \r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*99999999999999999999\r\n") == "Protocol error: invalid multibulk length");
  CHECK(ErrorOf("*1\rX") == "Protocol error: invalid multibulk length");

  CHECK(ErrorOf("*1\r\nfoo\r\n") == "Protocol error: expected '$', got 'f'");
  CHECK(ErrorOf("*1\r\n:1\r\n") == "Protocol error: expected '$', got ':'");
  CHECK(ErrorOf("*1\r\n\r\n") == "Protocol error: expected '$', got ' '");  // CR shown as space
  CHECK(ErrorOf("*2\r\n$1\r\na\r\n*1\r\n") == "Protocol error: expected '$', got '*'");

  CHECK(ErrorOf("*1\r\n$\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$-1\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$-5\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$01\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$1x\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$1\rX") == "Protocol error: invalid bulk length");
}

TEST_CASE("bulk data must end with CRLF") {
  CHECK(ErrorOf("*1\r\n$4\r\nPINGxx") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$4\r\nPING\rx") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$3\r\nPING\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$5\r\nPING\r\n\r\n") == "Protocol error: invalid bulk length");
  // The two bytes are checked only once both are there.
  CHECK(ParseOne("*1\r\n$4\r\nPING\r") == Result::kNeedMore);
}

TEST_CASE("bulk length limit") {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  Args args;
  CHECK(ParseOne("*1\r\n$10\r\n0123456789\r\n", &args, nullptr, limits) == Result::kOk);
  CHECK(args == Args{"0123456789"});
  CHECK(ErrorOf("*1\r\n$11\r\n", limits) == "Protocol error: invalid bulk length");
  // The default is proto-max-bulk-len's 512 MB; one byte more is refused from the header alone.
  CHECK(ParseOne("*1\r\n$536870912\r\n") == Result::kNeedMore);
  CHECK(ErrorOf("*1\r\n$536870913\r\n") == "Protocol error: invalid bulk length");
  CHECK(ErrorOf("*1\r\n$9223372036854775807\r\n") == "Protocol error: invalid bulk length");
}

TEST_CASE("a client that must authenticate gets Redis's smaller limits") {
  ParserLimits limits;
  limits.unauthenticated = true;
  const std::string bulk(kUnauthMaxBulkLen, 'p');
  Args args;
  CHECK(ParseOne("*2\r\n$4\r\nAUTH\r\n$16384\r\n" + bulk + "\r\n", &args, nullptr, limits) ==
        Result::kOk);
  CHECK(args.size() == 2);
  CHECK(ErrorOf("*2\r\n$4\r\nAUTH\r\n$16385\r\n", limits) ==
        "Protocol error: unauthenticated bulk length");
  // Over proto-max-bulk-len is still the general error, as in Redis.
  CHECK(ErrorOf("*1\r\n$536870913\r\n", limits) == "Protocol error: invalid bulk length");
  CHECK(ParseOne("*10\r\n", nullptr, nullptr, limits) == Result::kNeedMore);
  CHECK(ErrorOf("*11\r\n", limits) == "Protocol error: unauthenticated multibulk length");
  // Inline requests are bounded by the inline limit alone, as in Redis.
  CHECK(ParseOne("PING\r\n", nullptr, nullptr, limits) == Result::kOk);
}

TEST_CASE("argument count limit") {
  ParserLimits limits;
  limits.max_multibulk_len = 3;
  CHECK(ParseOne("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", nullptr, nullptr, limits) ==
        Result::kOk);
  CHECK(ErrorOf("*4\r\n", limits) == "Protocol error: invalid multibulk length");
  CHECK(ParseOne("*1048576\r\n") == Result::kNeedMore);
  CHECK(ErrorOf("*1048577\r\n") == "Protocol error: invalid multibulk length");
  // Counts Redis skips are not subject to the limit.
  CHECK(ParseOne("*-1\r\n", nullptr, nullptr, limits) == Result::kOk);
}

TEST_CASE("inline line limit") {
  ParserLimits limits;
  limits.max_inline_len = 16;
  const std::string at_limit = "ECHO 01234567890";  // 16 bytes
  Args args;
  CHECK(ParseOne(at_limit + "\n", &args, nullptr, limits) == Result::kOk);
  CHECK(args == Args{"ECHO", "01234567890"});
  CHECK(ParseOne(at_limit, nullptr, nullptr, limits) == Result::kNeedMore);
  CHECK(ErrorOf(at_limit + "x", limits) == "Protocol error: too big inline request");
  CHECK(ErrorOf(at_limit + "x\n", limits) == "Protocol error: too big inline request");
  // The default is Redis's 64 KB.
  const std::string big(64 * 1024, 'a');
  CHECK(ParseOne(big) == Result::kNeedMore);
  CHECK(ErrorOf(big + "a") == "Protocol error: too big inline request");
}

TEST_CASE("header lines are bounded like inline requests") {
  ParserLimits limits;
  limits.max_inline_len = 8;
  CHECK(ParseOne("*0000000", nullptr, nullptr, limits) == Result::kNeedMore);
  CHECK(ErrorOf("*00000000", limits) == "Protocol error: too big mbulk count string");
  CHECK(ParseOne("*1\r\n$0000000", nullptr, nullptr, limits) == Result::kNeedMore);
  CHECK(ErrorOf("*1\r\n$00000000", limits) == "Protocol error: too big bulk count string");
  CHECK(ErrorOf(std::string("*1").append(64 * 1024, '1')) ==
        "Protocol error: too big mbulk count string");
  CHECK(ErrorOf(std::string("*1\r\n$").append(64 * 1024, '1')) ==
        "Protocol error: too big bulk count string");
}

TEST_CASE("the limit is checked across calls too") {
  ParserLimits limits;
  limits.max_inline_len = 16;
  Connection conn(limits);
  for (int i = 0; i < 16; ++i) REQUIRE(conn.Feed("a") == Result::kNeedMore);
  CHECK(conn.Feed("a") == Result::kError);
  CHECK(conn.parser.error() == "Protocol error: too big inline request");
}

TEST_CASE("set_limits applies to the next request") {
  RequestParser parser;
  size_t consumed = 0;
  std::vector<std::string_view> args;
  CHECK(parser.Parse("*1\r\n$5\r\nhello\r\n", &consumed, &args) == Result::kOk);
  ParserLimits limits;
  limits.max_bulk_len = 4;
  parser.set_limits(limits);
  CHECK(parser.Parse("*1\r\n$5\r\nhello\r\n", &consumed, &args) == Result::kError);
  CHECK(parser.error() == "Protocol error: invalid bulk length");
}

TEST_CASE("errors stick until Reset") {
  RequestParser parser;
  size_t consumed = 0;
  std::vector<std::string_view> args;
  REQUIRE(parser.Parse("*x\r\n", &consumed, &args) == Result::kError);
  CHECK(parser.Parse("PING\r\n", &consumed, &args) == Result::kError);
  CHECK(parser.error() == "Protocol error: invalid multibulk length");
  parser.Reset();
  CHECK(parser.error().empty());
  REQUIRE(parser.Parse("PING\r\n", &consumed, &args) == Result::kOk);
  CHECK(ToStrings(args) == Args{"PING"});
}

TEST_CASE("Reset drops a partial request") {
  RequestParser parser;
  size_t consumed = 0;
  std::vector<std::string_view> args;
  REQUIRE(parser.Parse("*2\r\n$3\r\nGET\r\n", &consumed, &args) == Result::kNeedMore);
  parser.Reset();
  REQUIRE(parser.Parse("*1\r\n$4\r\nPING\r\n", &consumed, &args) == Result::kOk);
  CHECK(ToStrings(args) == Args{"PING"});
}

TEST_CASE("pending_hint tells how much of a bulk is missing") {
  RequestParser parser;
  size_t consumed = 0;
  std::vector<std::string_view> args;
  std::string buf = "*2\r\n$3\r\nSET\r\n$100000\r\n";
  REQUIRE(parser.Parse(buf, &consumed, &args) == Result::kNeedMore);
  CHECK(parser.pending_hint() == 100002);
  buf += std::string(1000, 'v');
  REQUIRE(parser.Parse(buf, &consumed, &args) == Result::kNeedMore);
  CHECK(parser.pending_hint() == 99002);
  buf += std::string(99000, 'v');
  REQUIRE(parser.Parse(buf, &consumed, &args) == Result::kNeedMore);
  CHECK(parser.pending_hint() == 2);
  buf += "\r\n";
  REQUIRE(parser.Parse(buf, &consumed, &args) == Result::kOk);
  CHECK(parser.pending_hint() == 0);
  CHECK(args.size() == 2);
  CHECK(args[1].size() == 100000);
  // Unknown while a header line is incomplete.
  REQUIRE(parser.Parse("*2\r\n$3", &consumed, &args) == Result::kNeedMore);
  CHECK(parser.pending_hint() == 0);
}

TEST_CASE("a many-argument request arriving in chunks") {
  std::string req = "*100000\r\n";
  for (int i = 0; i < 100000; ++i) {
    const std::string arg = std::to_string(i);
    // Appended piecewise: "lit" + std::string&& trips GCC 12's -Wrestrict false positive at -O3.
    req.append("$").append(std::to_string(arg.size())).append("\r\n").append(arg).append("\r\n");
  }
  RequestParser parser;
  size_t consumed = 0;
  std::vector<std::string_view> args;
  // A growing buffer in a new allocation each time, as a connection might present it.
  const size_t step = req.size() / 100 + 1;
  for (size_t len = step; len < req.size(); len += step) {
    const std::string copy = req.substr(0, len);
    REQUIRE(parser.Parse(copy, &consumed, &args) == Result::kNeedMore);
  }
  REQUIRE(parser.Parse(req, &consumed, &args) == Result::kOk);
  CHECK(consumed == req.size());
  REQUIRE(args.size() == 100000);
  CHECK(args[0] == "0");
  CHECK(args[99999] == "99999");
}

}  // namespace kv::resp
