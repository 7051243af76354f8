// Frames: split points, the 64 MB header rule, response writers, payload readers and shapes.
#include "native_proto/frame.h"

#include <doctest/doctest.h>

#include <deque>
#include <string>
#include <vector>

namespace kv::native {
namespace {

using Result = FrameParser::Result;

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Request fields view their payload: Keep holds payloads built inline for the whole test run.
std::string_view Keep(const std::string& payload) {
  static std::deque<std::string> kept;
  return kept.emplace_back(payload);
}

struct Parsed {
  uint8_t code;
  std::string payload;
  bool operator==(const Parsed&) const = default;
};

// Feeds `bytes` in two chunks split at `split`, consuming complete frames from the front of a
// fresh copy each time (the parser must not depend on the buffer's address).
std::vector<Parsed> FeedSplit(const std::string& bytes, size_t split) {
  FrameParser parser;
  std::string pending;
  std::vector<Parsed> out;
  for (std::string_view chunk : {std::string_view(bytes).substr(0, split),
                                 std::string_view(bytes).substr(split)}) {
    pending.append(chunk);
    while (true) {
      const std::string copy = pending;
      size_t consumed = 0;
      Frame f;
      const Result r = parser.Parse(copy, &consumed, &f);
      if (r != Result::kOk) {
        REQUIRE(r == Result::kNeedMore);
        REQUIRE(consumed == 0);
        break;
      }
      out.push_back({f.code, std::string(f.payload)});
      pending.erase(0, consumed);
    }
  }
  CHECK(pending.empty());
  return out;
}

TEST_CASE("FrameParser: several frames parse identically at every split point") {
  std::string bytes;
  AppendRequest(&bytes, Opcode::kPING, "");
  AppendRequest(&bytes, Opcode::kGET, "user:1");
  AppendRequest(&bytes, Opcode::kSET, PayloadWriter().Key16("k").U64(0).Val(Value::Int(42)).str());
  AppendResponse(&bytes, Status::kOk, "PONG");
  AppendNull(&bytes);
  const std::vector<Parsed> want = {
      {0x08, ""},
      {0x01, "user:1"},
      {0x02, B({0, 1, 'k', 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 42})},
      {0x00, "PONG"},
      {0x01, ""},
  };
  for (size_t split = 0; split <= bytes.size(); ++split) {
    CAPTURE(split);
    CHECK(FeedSplit(bytes, split) == want);
  }
}

TEST_CASE("FrameParser: need-more until header and body are complete, with a size hint") {
  FrameParser p;
  size_t consumed = 99;
  Frame f;
  CHECK(p.Parse("", &consumed, &f) == Result::kNeedMore);
  CHECK(consumed == 0);
  CHECK(p.pending_hint() == 0);
  CHECK(p.Parse(B({1, 0, 0, 0}), &consumed, &f) == Result::kNeedMore);
  CHECK(p.pending_hint() == 0);
  CHECK(p.Parse(B({1, 0, 0, 0, 3, 'a'}), &consumed, &f) == Result::kNeedMore);
  CHECK(p.pending_hint() == 8);
  // The frame's payload views the buffer, so the buffer must outlive the checks below.
  const std::string whole = B({1, 0, 0, 0, 3, 'a', 'b', 'c', 9});
  REQUIRE(p.Parse(whole, &consumed, &f) == Result::kOk);
  CHECK(consumed == 8);
  CHECK(f.code == 1);
  CHECK(f.payload == "abc");
}

TEST_CASE("FrameParser: a header declaring 64 MB + 1 is refused with no body present") {
  FrameParser p;
  size_t consumed = 0;
  Frame f;
  // 64 MB + 1 = 0x04000001.
  CHECK(p.Parse(B({0x02, 0x04, 0x00, 0x00, 0x01}), &consumed, &f) == Result::kTooLarge);
  CHECK(consumed == 0);
  CHECK(p.declared_length() == 64u * 1024 * 1024 + 1);
  CHECK(p.Parse(B({0x01, 0xff, 0xff, 0xff, 0xff}), &consumed, &f) == Result::kTooLarge);
  // Exactly 64 MB is allowed: it waits for the body.
  CHECK(p.Parse(B({0x02, 0x04, 0x00, 0x00, 0x00}), &consumed, &f) == Result::kNeedMore);
  CHECK(p.pending_hint() == 64u * 1024 * 1024 + 5);
  // The limit comes from the ctor.
  FrameParser small({.max_payload = 3});
  CHECK(small.Parse(B({1, 0, 0, 0, 4}), &consumed, &f) == Result::kTooLarge);
  CHECK(small.Parse(B({1, 0, 0, 0, 3, 'a', 'b', 'c'}), &consumed, &f) == Result::kOk);
}

TEST_CASE("Response writers produce [status u8][length u32][payload]") {
  std::string out;
  AppendOkValue(&out, Value::Int(1));
  CHECK(out == B({0, 0, 0, 0, 9, 1, 0, 0, 0, 0, 0, 0, 0, 1}));
  out.clear();
  AppendNull(&out);
  CHECK(out == B({1, 0, 0, 0, 0}));
  out.clear();
  AppendError(&out, "boom");
  CHECK(out == B({2, 0, 0, 0, 4}) + "boom");
  out.clear();
  AppendInvalid(&out, "bad");
  CHECK(out == B({3, 0, 0, 0, 3}) + "bad");
  // AppendOkValue appends after existing bytes.
  out = "xy";
  AppendOkValue(&out, Value::String(std::string(300, 'a')));
  CHECK(out.substr(0, 7) == "xy" + B({0, 0, 0, 0x01, 0x31}));
  CHECK(out.size() == 2 + 5 + 305);
}

TEST_CASE("PayloadReader: each read fails cleanly on truncation and keeps its position") {
  const std::string bytes = B({0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11});
  PayloadReader r(bytes);  // views its payload: keep the bytes alive
  uint8_t u8 = 0;
  uint16_t u16 = 0;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  REQUIRE(r.ReadU8(&u8));
  CHECK(u8 == 0x12);
  REQUIRE(r.ReadU16(&u16));
  CHECK(u16 == 0x3456);
  REQUIRE(r.ReadU32(&u32));
  CHECK(u32 == 0x789abcde);
  CHECK(!r.ReadU64(&u64));
  CHECK(r.error() == "truncated payload: u64 at offset 7");
  CHECK(r.position() == 7);
  CHECK(!r.ReadU32(&u32));
  REQUIRE(r.ReadU16(&u16));
  CHECK(u16 == 0xf011);
  CHECK(r.AtEnd());
  CHECK(!r.ReadU8(&u8));

  const std::string kb = B({0, 5, 'a', 'b'});
  PayloadReader k(kb);
  std::string_view key;
  CHECK(!k.ReadKey16(&key));
  CHECK(k.position() == 0);
  const std::string vb = B({1, 0, 0});
  PayloadReader v(vb);
  Value val;
  CHECK(!v.ReadValue(&val));
  CHECK(v.error() == "invalid value at offset 1: truncated value");
  CHECK(v.position() == 0);
  const std::string ib = B({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe});
  PayloadReader i(ib);
  int64_t delta = 0;
  REQUIRE(i.ReadI64(&delta));
  CHECK(delta == -2);
}

TEST_CASE("ParseRequest: the shapes of DESIGN 5") {
  Request req;
  std::string err;
  REQUIRE(ParseRequest(0x01, "user:1", &req, &err));
  CHECK(req.info->op == Opcode::kGET);
  CHECK(req.key == "user:1");
  REQUIRE(ParseRequest(0x01, "", &req, &err));  // an empty key is a layout the server judges
  CHECK(req.key.empty());

  REQUIRE(ParseRequest(0x0A, Keep(PayloadWriter().Key16("k").U64(60000).Val(Value::String("v")).str()),
                       &req, &err));
  CHECK(req.info->extra == "NX");
  CHECK(req.ttl_ms == 60000);
  CHECK(req.value == Value::String("v"));

  REQUIRE(ParseRequest(0x07,
                       Keep(PayloadWriter().Key16("k").U64(0).Val(Value::Int(1)).Val(Value::Int(2)).str()),
                       &req, &err));
  CHECK(req.expected == Value::Int(1));
  CHECK(req.value == Value::Int(2));

  REQUIRE(ParseRequest(0x0B, Keep(PayloadWriter().Key16("res").Key16("me").U64(5000).str()), &req, &err));
  CHECK(req.key == "res");
  CHECK(req.owner == "me");
  CHECK(req.ttl_ms == 5000);

  REQUIRE(ParseRequest(0x0C, Keep(PayloadWriter().Key16("res").Key16("me").str()), &req, &err));
  CHECK(req.owner == "me");
  REQUIRE(ParseRequest(0x08, "", &req, &err));
}

TEST_CASE("ParseRequest: the project's shapes 0x0E-0x16") {
  Request req;
  std::string err;
  const std::string_view mget = Keep(PayloadWriter().U32(2).Key16("a").Key16("b").str());
  REQUIRE(ParseRequest(0x0E, mget, &req, &err));
  CHECK(req.keys == std::vector<std::string_view>{"a", "b"});
  REQUIRE(ParseRequest(0x0F,
                       Keep(PayloadWriter().U8(1).U32(2).Key16("a").U64(0).Val(Value::Int(1))
                           .Key16("b").U64(10).Val(Value()).str()),
                       &req, &err));
  CHECK(req.mode == BatchMode::kBestEffort);
  REQUIRE(req.items.size() == 2);
  CHECK(req.items[1].key == "b");
  CHECK(req.items[1].ttl_ms == 10);
  REQUIRE(ParseRequest(0x11, Keep(PayloadWriter().Key16("n").I64(-5).str()), &req, &err));
  CHECK(req.delta == -5);
  REQUIRE(ParseRequest(0x13, Keep(PayloadWriter().Key16("n").U64(1500).str()), &req, &err));
  CHECK(req.ttl_ms == 1500);
  REQUIRE(ParseRequest(0x14, "my_app", &req, &err));
  CHECK(req.key == "my_app");
  REQUIRE(ParseRequest(0x15, Keep(PayloadWriter().Key16("").Key16("secret").str()), &req, &err));
  CHECK(req.key.empty());
  CHECK(req.owner == "secret");
  REQUIRE(ParseRequest(0x16,
                       Keep(PayloadWriter().U16(2).Val(Value::String("hello.world"))
                           .Val(Value::Int(3)).str()),
                       &req, &err));
  REQUIRE(req.args.size() == 2);
  CHECK(req.args[0] == Value::String("hello.world"));
}

TEST_CASE("ParseRequest: malformed payloads give INVALID messages") {
  Request req;
  std::string err;
  CHECK(!ParseRequest(0x00, "", &req, &err));
  CHECK(err == "unknown command byte 0");
  CHECK(!ParseRequest(0x17, "", &req, &err));
  CHECK(!ParseRequest(0x08, "x", &req, &err));
  CHECK(err == "PING: 1 trailing bytes after the payload");
  CHECK(!ParseRequest(0x02, B({0, 1, 'k', 0, 0}), &req, &err));
  CHECK(err == "SET: truncated payload: u64 at offset 3");
  CHECK(!ParseRequest(0x02, PayloadWriter().Key16("k").U64(0).U8(9).str(), &req, &err));
  CHECK(err == "SET: invalid value at offset 11: unknown value type byte");
  CHECK(!ParseRequest(0x0C, PayloadWriter().Key16("k").U16(3).str(), &req, &err));
  CHECK(err == "UNLOCK: truncated payload: key at offset 3");
  CHECK(!ParseRequest(0x0E, PayloadWriter().U32(0xffffffff).Key16("a").str(), &req, &err));
  CHECK(err == "MGET: count 4294967295 larger than the payload can hold");
  CHECK(!ParseRequest(0x0F, PayloadWriter().U8(2).U32(0).str(), &req, &err));
  CHECK(err == "MSET: unknown batch mode 2");
  CHECK(!ParseRequest(0x16, PayloadWriter().U16(0).str(), &req, &err));
  CHECK(err == "CALL: CALL needs a command name");
  CHECK(!ParseRequest(0x16, PayloadWriter().U16(1).Val(Value::Int(1)).str(), &req, &err));
  CHECK(!ParseRequest(0x16, PayloadWriter().U16(500).Val(Value()).str(), &req, &err));
  CHECK(!ParseRequest(0x16, PayloadWriter().U16(1).Val(Value::MakeList()).str(), &req, &err));
  // Value limits pass through.
  std::string nested = PayloadWriter().Key16("k").U64(0).str();
  for (int i = 0; i < 3; ++i) nested += B({6, 0, 0, 0, 1});
  nested += B({0});
  CHECK(ParseRequest(0x02, nested, &req, &err));
  CHECK(!ParseRequest(0x02, nested, &req, &err, {.max_depth = 2}));
  CHECK(err == "SET: invalid value at offset 21: value nested too deeply");
}

}  // namespace
}  // namespace kv::native
