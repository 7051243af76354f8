// A ScriptHost for the scripting unit tests: records every call and answers canned replies of
// every RESP type, picked by the command name.
#pragma once

#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "resp/resp_writer.h"
#include "scripting/lua_engine.h"

namespace kv::scripting::testing {

class FakeHost : public ScriptHost {
 public:
  void Call(std::span<const std::string_view> argv, int resp, ReplyBuilder& rb) override {
    calls.emplace_back(argv.begin(), argv.end());
    resps.push_back(resp);
    std::string cmd(argv[0]);
    std::transform(cmd.begin(), cmd.end(), cmd.begin(), [](unsigned char c) { return std::tolower(c); });
    if (cmd == "get") {
      if (argv.size() != 2) return rb.SendError(kErrWrongArity);
      return rb.SendBulk("value");
    }
    if (cmd == "echo") return rb.SendBulk(argv.size() > 1 ? argv[1] : "");
    if (cmd == "int") return rb.SendLong(42);
    if (cmd == "neg") return rb.SendLong(-7);
    if (cmd == "bulk") return rb.SendBulk(std::string_view("a\0b", 3));
    if (cmd == "nil") return rb.SendNull();
    if (cmd == "nilarray") return rb.SendNullArray();
    if (cmd == "status") return rb.SendSimple("PONG");
    if (cmd == "err") return rb.SendError("WRONGTYPE Operation against a key holding the wrong kind of value");
    if (cmd == "double") return rb.SendDouble(1.5);
    if (cmd == "doubletext") return rb.SendDoubleText(0.1, "0.1");
    if (cmd == "true") return rb.SendBool(true);
    if (cmd == "false") return rb.SendBool(false);
    if (cmd == "verbatim") return rb.SendVerbatim("text", "txt");
    if (cmd == "array") {
      rb.StartArray(4);
      rb.SendLong(1);
      rb.SendBulk("two");
      rb.SendNull();
      rb.StartArray(1);
      rb.SendLong(3);
      return;
    }
    if (cmd == "empty") return rb.StartArray(0);
    if (cmd == "map") {
      rb.StartMap(2);
      rb.SendBulk("a");
      rb.SendLong(1);
      rb.SendBulk("b");
      rb.StartArray(0);
      return;
    }
    if (cmd == "set") {
      rb.StartSet(2);
      rb.SendBulk("m");
      rb.SendBulk("n");
      return;
    }
    if (cmd == "nested") {  // errors and statuses inside an array
      rb.StartArray(2);
      rb.SendError("ERR inner");
      rb.SendSimple("OK");
      return;
    }
    if (cmd == "deferred") {  // arrays whose lengths come after their elements, one nested
      const size_t outer = rb.StartDeferredArray();
      rb.SendLong(1);
      const size_t inner = rb.StartDeferredArray();
      rb.SendBulk("x");
      rb.StartArray(1);
      rb.SendLong(2);
      rb.EndDeferredArray(inner, 2);
      const size_t empty = rb.StartDeferredArray();
      rb.EndDeferredArray(empty, 0);
      rb.EndDeferredArray(outer, 3);
      return;
    }
    if (cmd == "silent") return;  // a host bug: no reply at all
    if (cmd == "eval" && engine != nullptr) return engine->Eval(argv[1], {}, {}, rb);  // re-entry
    if (cmd == "deep") {  // arrays nested deeper than the Lua stack allows
      for (int i = 0; i < 100000; ++i) rb.StartArray(1);
      return rb.SendLong(1);
    }
    if (cmd == "nilkey") {  // a RESP3 map whose first key is null
      rb.StartMap(2);
      rb.SendNull();
      rb.SendLong(1);
      rb.SendBulk("b");
      rb.SendLong(2);
      return;
    }
    if (cmd == "many") {  // argv[1] distinct strings of argv[2] bytes (Lua interns equal ones)
      const auto n = static_cast<uint32_t>(std::stoul(std::string(argv[1])));
      std::string item(std::stoul(std::string(argv[2])), 'x');
      rb.StartArray(n);
      for (uint32_t i = 0; i < n; ++i) {
        const std::string tag = std::to_string(i);
        item.replace(0, std::min(tag.size(), item.size()), tag);
        rb.SendBulk(item);
      }
      return;
    }
    rb.SendError(kErrUnknownCommand);
  }

  int AclCheck(std::span<const std::string_view> argv) override {
    acl_calls.emplace_back(argv.begin(), argv.end());
    if (argv[0] == "nosuch") return -1;
    return argv[0] == "denied" ? 0 : 1;
  }

  void Log(LogLevel level, std::string_view message) override { logs.emplace_back(level, message); }

  void OnBusy(std::chrono::milliseconds) override {
    ++busy_calls;
    if (on_busy) on_busy();
  }

  std::vector<std::vector<std::string>> calls;
  std::vector<int> resps;
  std::vector<std::vector<std::string>> acl_calls;
  std::vector<std::pair<LogLevel, std::string>> logs;
  int busy_calls = 0;
  std::function<void()> on_busy;
  LuaEngine* engine = nullptr;  // set by Env, for a host that (wrongly) re-enters the engine
};

// An engine with a fake host; Eval returns the RESP bytes a RESP2 (or RESP3) client receives.
struct Env {
  explicit Env(EngineOptions options = {}) : engine(cache, host, std::move(options)) { host.engine = &engine; }

  std::string Eval(std::string_view body, std::vector<std::string_view> keys = {},
                   std::vector<std::string_view> args = {}, bool resp3 = false) {
    std::string out;
    resp::RespWriter w(&out);
    w.set_resp3(resp3);
    engine.Eval(body, keys, args, w);
    return out;
  }
  std::string Eval3(std::string_view body) { return Eval(body, {}, {}, true); }
  std::string EvalSha(std::string_view sha) {
    std::string out;
    resp::RespWriter w(&out);
    engine.EvalSha(sha, {}, {}, w);
    return out;
  }
  std::string Load(std::string_view body) {
    std::string out;
    resp::RespWriter w(&out);
    engine.Load(body, w);
    return out;
  }
  // The error suffix Redis 7.0 appends to a runtime error raised on `line` of `body`.
  static std::string At(std::string_view body, int line = 1) {
    return " script: " + Sha1Hex(body) + ", on @user_script:" + std::to_string(line) + ".";
  }
  // The whole error reply for an error `msg` raised by the script `body` on line 1.
  static std::string RunErr(std::string_view body, std::string_view msg) {
    return "-" + std::string(msg) + At(body) + "\r\n";
  }

  ScriptCache cache;
  FakeHost host;
  LuaEngine engine;
};

}  // namespace kv::scripting::testing
