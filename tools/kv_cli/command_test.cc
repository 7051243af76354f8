// kv-cli's commands: which opcode each command word becomes, the request bytes it encodes to
// (through native::EncodeRequestPayload, as kv::client sends them), the local Redis-style
// argument errors, and how replies are rendered.
#include "command.h"

#include <doctest/doctest.h>

#include <string>

namespace kv::cli {
namespace {

using native::Opcode;
using native::Value;

Plan P(std::string_view line) {
  auto args = ParseLine(line);
  REQUIRE_MESSAGE(args.ok(), args.error().message);
  auto plan = PlanCommand(*args);
  REQUIRE_MESSAGE(plan.ok(), plan.error().message);
  return std::move(plan).value();
}

std::string PlanError(std::string_view line) {
  auto args = ParseLine(line);
  REQUIRE(args.ok());
  auto plan = PlanCommand(*args);
  REQUIRE_FALSE(plan.ok());
  return plan.error().message;
}

Opcode Op(const Plan& p) { return p.req.info->op; }

std::string Hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

TEST_CASE("PlanCommand: typed SET encodes as the spec's vector") {
  // test/vectors/native/vectors.txt, "SET Decimal no ttl".
  Plan p = P("SET price 19.99d");
  CHECK(Op(p) == Opcode::kSET);
  CHECK(p.show == Show::kOk);
  CHECK(Hex(native::EncodeRequestPayload(p.req)) ==
        "000570726963650000000000000000030000000531392e3939");
  p = P("set count 42 px 60000");  // "SET Int with ttl"
  CHECK(Hex(native::EncodeRequestPayload(p.req)) ==
        "0005636f756e74000000000000ea6001000000000000002a");
  p = P("set count 42 EX 60");
  CHECK(p.req.ttl_ms == 60000);
  p = P(R"(set tags ["a", "b", 3])");
  CHECK(p.req.value ==
        Value::MakeList({Value::String("a"), Value::String("b"), Value::Int(3)}));
  p = P("set k v NX");
  CHECK(Op(p) == Opcode::kSETNX);
  CHECK(p.show == Show::kValue);
  p = P("set 42 42");  // the key is text, the value typed
  CHECK(p.req.key == "42");
  CHECK(p.req.value == Value::Int(42));
}

TEST_CASE("PlanCommand: every native command word picks its opcode") {
  CHECK(Op(P("get k")) == Opcode::kGET);
  CHECK(Op(P("setnx k 1")) == Opcode::kSETNX);
  CHECK(Op(P("del k")) == Opcode::kDEL);
  Plan del = P("del a b");
  CHECK(Op(del) == Opcode::kMDEL);
  CHECK(del.show == Show::kSum);
  CHECK(Op(P("exists k")) == Opcode::kEXISTS);
  CHECK(Op(P("exists a b")) == Opcode::kCALL);
  CHECK(Op(P("incr k")) == Opcode::kINCR);
  CHECK(Op(P("decr k")) == Opcode::kDECR);
  Plan incrby = P("incrby k -5");
  CHECK(Op(incrby) == Opcode::kINCRBY);
  CHECK(incrby.req.delta == -5);
  Plan cas = P("cas k 1 2.5 PX 100");
  CHECK(Op(cas) == Opcode::kCAS);
  CHECK(cas.req.expected == Value::Int(1));
  CHECK(cas.req.value == Value::Float(2.5));
  CHECK(cas.req.ttl_ms == 100);
  CHECK(Op(P("ping")) == Opcode::kPING);
  CHECK(Op(P("ping hello")) == Opcode::kCALL);
  CHECK(Op(P("info")) == Opcode::kINFO);
  Plan lock = P("lock job:1 me 30000");
  CHECK(Op(lock) == Opcode::kLOCK);
  CHECK(lock.req.key == "job:1");
  CHECK(lock.req.owner == "me");
  CHECK(lock.req.ttl_ms == 30000);
  CHECK(Op(P("unlock job:1 me")) == Opcode::kUNLOCK);
  CHECK(Op(P("extend job:1 me 10")) == Opcode::kEXTEND);
  Plan mget = P("mget a b");
  CHECK(Op(mget) == Opcode::kMGET);
  CHECK(mget.req.keys.size() == 2);
  Plan mset = P("mset a 1 b 2.5d");
  CHECK(Op(mset) == Opcode::kMSET);
  REQUIRE(mset.req.items.size() == 2);
  CHECK(mset.req.items[1].key == "b");
  CHECK(mset.req.items[1].value.type() == native::ValueType::kDecimal);
  CHECK(Op(P("mdel a b")) == Opcode::kMDEL);
  Plan ttl = P("ttl k");
  CHECK(Op(ttl) == Opcode::kTTL);
  CHECK(ttl.show == Show::kSeconds);
  CHECK(P("pttl k").show == Show::kValue);
  CHECK(P("expire k 10").req.ttl_ms == 10000);
  CHECK(P("pexpire k 10").req.ttl_ms == 10);
  CHECK(P("expire k -1").req.ttl_ms == 0);
  Plan select = P("select my_app");
  CHECK(Op(select) == Opcode::kSELECT);
  CHECK(select.req.key == "my_app");
  Plan auth = P("auth pw");
  CHECK(Op(auth) == Opcode::kAUTH);
  CHECK(auth.req.key.empty());
  CHECK(auth.req.owner == "pw");
  CHECK(P("AUTH user pw").req.key == "user");
}

TEST_CASE("PlanCommand: other commands go through CALL with text arguments") {
  Plan p = P(R"(DECIMAL.ADD price 0.01 "a b" b"\x00" 007)");
  CHECK(Op(p) == Opcode::kCALL);
  CHECK(p.show == Show::kCall);
  REQUIRE(p.req.args.size() == 6);
  CHECK(p.req.args[0] == Value::String("DECIMAL.ADD"));
  CHECK(p.req.args[2] == Value::String("0.01"));  // as typed, not a Float
  CHECK(p.req.args[3] == Value::String("a b"));
  CHECK(p.req.args[4] == Value::Bytes(std::string("\x00", 1)));
  CHECK(p.req.args[5] == Value::String("007"));
  CHECK(PlanError("rpush l [1, 2]").find("a list (column 9) is not allowed here") == 0);
}

TEST_CASE("PlanCommand: Redis's errors for bad arguments, before anything is sent") {
  CHECK(PlanError("get") == "ERR wrong number of arguments for 'get' command");
  CHECK(PlanError("GET a b") == "ERR wrong number of arguments for 'get' command");
  CHECK(PlanError("mset a 1 b") == "ERR wrong number of arguments for 'mset' command");
  CHECK(PlanError("incrby k x") == "ERR value is not an integer or out of range");
  CHECK(PlanError("lock k me -1") == "ERR value is not an integer or out of range");
  CHECK(PlanError("set k v EX 0") == "ERR invalid expire time in 'set' command");
  CHECK(PlanError("set k v EX") == "ERR syntax error");
  CHECK(PlanError("set k v EX 1 PX 1") == "ERR syntax error");
  CHECK(PlanError("set k v bogus") == "ERR syntax error");
  CHECK(PlanError("set k v XX").find("is not available") != std::string::npos);
  CHECK(PlanError("expire k 9223372036854775807") ==
        "ERR invalid expire time in 'expire' command");
  CHECK(PlanError("set k 99999999999999999999").find("column 7: integer") != std::string::npos);
}

TEST_CASE("Render: replies by command") {
  auto f = OutputMode::kFormatted;
  CHECK(Render(P("set k 1"), Value(), f).out == "OK\n");
  CHECK(Render(P("get k"), Value(), f).out == "(nil)\n");
  CHECK(Render(P("get k"), Value::Dec(*Decimal::Parse("19.99")), f).out == "(decimal) 19.99\n");
  CHECK(Render(P("ping"), Value::String("PONG"), f).out == "PONG\n");
  CHECK(Render(P("info"), Value::String("# Server\r\nx:1\r\n"), f).out == "# Server\nx:1\n");
  CHECK(Render(P("del a b c"), Value::MakeList({Value::Int(1), Value::Int(0), Value::Int(1)}), f)
            .out == "(integer) 2\n");
  CHECK(Render(P("ttl k"), Value::Int(59501), f).out == "(integer) 60\n");
  CHECK(Render(P("ttl k"), Value::Int(-2), f).out == "(integer) -2\n");
  CHECK(Render(P("config set a b"), Value::String("OK"), f).out == "OK\n");
  CHECK(Render(P("echo OKAY"), Value::String("OKAY"), f).out == "\"OKAY\"\n");
  Output ok = Render(P("mset a 1 b 2"), Value::MakeList({Value::Int(1), Value::Int(1)}), f);
  CHECK(ok.out == "OK\n");
  CHECK_FALSE(ok.failed);
  Output bad = Render(P("mset a 1 b 2"), Value::MakeList({Value::Int(0), Value::String("ERR x")}), f);
  CHECK(bad.failed);
  CHECK(bad.out == "1) (integer) 0\n2) \"ERR x\"\n");

  Output err = Render(P("incr k"), client::Error{client::ErrorCode::kServer, "ERR not int"}, f);
  CHECK(err.failed);
  CHECK(err.out.empty());
  CHECK(err.err == "(error) ERR not int\n");
  err = Render(P("get k"), client::Error{client::ErrorCode::kInvalid, "GET: bad"}, OutputMode::kRaw);
  CHECK(err.err == "INVALID GET: bad\n");
  err = Render(P("get k"), client::Error{client::ErrorCode::kConnection, "closed"}, f);
  CHECK(err.failed);
  CHECK(err.err == "Error: connection: closed\n");
}

}  // namespace
}  // namespace kv::cli
