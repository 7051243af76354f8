#include "command.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string_view>
#include <utility>

#include "core/utf8.h"

namespace kv::cli {

using client::Error;
using client::ErrorCode;
using client::Result;
using native::Opcode;
using native::Value;
using native::ValueType;

namespace {

Error Usage(std::string message) { return Error{ErrorCode::kUsage, std::move(message)}; }

Error Arity(std::string_view name) {
  return Usage("ERR wrong number of arguments for '" + std::string(name) + "' command");
}

const Error kNotInteger{ErrorCode::kUsage, "ERR value is not an integer or out of range"};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::optional<int64_t> ToInt(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Builds one Plan; keeps the strings that req's views point to.
class Builder {
 public:
  Builder(const std::vector<Arg>& args, std::string name, Opcode op)
      : args_(args) {
    plan_.name = std::move(name);
    plan_.req.info = native::FindOpcode(static_cast<uint8_t>(op));
  }

  size_t argc() const { return args_.size(); }
  Plan& plan() { return plan_; }
  native::Request& req() { return plan_.req; }

  // args_[i] in a text position, stored; the view stays valid as long as the plan.
  Result<std::string_view> Text(size_t i) {
    Result<std::string> t = ArgText(args_[i]);
    if (!t) return t.error();
    return std::string_view(plan_.storage.emplace_back(std::move(t).value()));
  }
  Result<Value> Val(size_t i) { return ArgValue(args_[i]); }
  Result<int64_t> Int(size_t i) {
    Result<std::string> t = ArgText(args_[i]);
    if (!t) return t.error();
    std::optional<int64_t> v = ToInt(*t);
    if (!v) return kNotInteger;
    return *v;
  }
  // [EX seconds | PX milliseconds] from args_[from] on, as SET and CAS take them (Redis's
  // texts for bad ones). NX is SET's own and handled by it, hence `nx`.
  std::optional<Error> ExpiryOptions(size_t from, bool* nx) {
    bool have_ttl = false;
    for (size_t i = from; i < args_.size(); ++i) {
      Result<std::string> opt = ArgText(args_[i]);
      if (!opt) return opt.error();
      std::string o = Lower(*opt);
      if (o == "nx" && nx != nullptr && !*nx) {
        *nx = true;
        continue;
      }
      if ((o == "ex" || o == "px") && !have_ttl && i + 1 < args_.size()) {
        Result<int64_t> n = Int(i + 1);
        if (!n) return n.error();
        int64_t scale = o == "ex" ? 1000 : 1;
        if (*n <= 0 || *n > std::numeric_limits<int64_t>::max() / scale) {
          return Usage("ERR invalid expire time in '" + plan_.name + "' command");
        }
        plan_.req.ttl_ms = static_cast<uint64_t>(*n * scale);
        have_ttl = true;
        ++i;
        continue;
      }
      if (o == "ex" || o == "px" || o == "nx" || o == "xx" || o == "keepttl" || o == "get" ||
          o == "exat" || o == "pxat") {
        if (o == "ex" || o == "px" || o == "nx") return Usage("ERR syntax error");
        return Usage("ERR kv-cli's " + Lower(plan_.name) + " takes EX seconds, PX milliseconds" +
                     (nx != nullptr ? " and NX" : "") +
                     " (the native opcodes keep the value's type); " + Lower(*opt) +
                     " is not available");
      }
      return Usage("ERR syntax error");
    }
    return std::nullopt;
  }

 private:
  const std::vector<Arg>& args_;
  Plan plan_;
};

#define KV_TRY(var, expr)            \
  auto var##_r = (expr);             \
  if (!var##_r) return var##_r.error(); \
  auto var = std::move(var##_r).value()

using Planner = Result<Plan> (*)(const std::vector<Arg>&, const std::string&);

// GET, DEL, EXISTS, INCR, DECR, TTL: `name key`.
template <Opcode op, Show show>
Result<Plan> KeyOnly(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() != 2) return Arity(name);
  Builder b(args, name, op);
  KV_TRY(key, b.Text(1));
  b.req().key = key;
  b.plan().show = show;
  return std::move(b.plan());
}

Result<Plan> PlanSet(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() < 3) return Arity(name);
  Builder b(args, name, Opcode::kSET);
  KV_TRY(key, b.Text(1));
  KV_TRY(value, b.Val(2));
  bool nx = false;
  if (auto e = b.ExpiryOptions(3, &nx)) return *e;
  if (nx) b.req().info = native::FindOpcode(static_cast<uint8_t>(Opcode::kSETNX));
  b.req().key = key;
  b.req().value = std::move(value);
  b.plan().show = nx ? Show::kValue : Show::kOk;
  return std::move(b.plan());
}

Result<Plan> PlanSetNx(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() != 3) return Arity(name);
  Builder b(args, name, Opcode::kSETNX);
  KV_TRY(key, b.Text(1));
  KV_TRY(value, b.Val(2));
  b.req().key = key;
  b.req().value = std::move(value);
  return std::move(b.plan());
}

Result<Plan> PlanCas(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() < 4) return Arity(name);
  Builder b(args, name, Opcode::kCAS);
  KV_TRY(key, b.Text(1));
  KV_TRY(expected, b.Val(2));
  KV_TRY(desired, b.Val(3));
  if (auto e = b.ExpiryOptions(4, nullptr)) return *e;
  b.req().key = key;
  b.req().expected = std::move(expected);
  b.req().value = std::move(desired);
  return std::move(b.plan());
}

Result<Plan> PlanIncrBy(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() != 3) return Arity(name);
  Builder b(args, name, Opcode::kINCRBY);
  KV_TRY(key, b.Text(1));
  KV_TRY(delta, b.Int(2));
  b.req().key = key;
  b.req().delta = delta;
  return std::move(b.plan());
}

// EXPIRE key seconds / PEXPIRE key ms, both through the EXPIRE opcode (milliseconds). A
// negative time expires the key at once, as in Redis (the opcode's 0).
template <int64_t kScale>
Result<Plan> PlanExpire(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() != 3) return Arity(name);
  Builder b(args, name, Opcode::kEXPIRE);
  KV_TRY(key, b.Text(1));
  KV_TRY(t, b.Int(2));
  if (t > std::numeric_limits<int64_t>::max() / kScale) {
    return Usage("ERR invalid expire time in '" + name + "' command");
  }
  b.req().key = key;
  b.req().ttl_ms = t < 0 ? 0 : static_cast<uint64_t>(t * kScale);
  return std::move(b.plan());
}

// LOCK key owner ttl_ms / EXTEND key owner ttl_ms / UNLOCK key owner.
template <Opcode op>
Result<Plan> PlanLock(const std::vector<Arg>& args, const std::string& name) {
  constexpr bool kTtl = op != Opcode::kUNLOCK;
  if (args.size() != (kTtl ? 4u : 3u)) return Arity(name);
  Builder b(args, name, op);
  KV_TRY(key, b.Text(1));
  KV_TRY(owner, b.Text(2));
  b.req().key = key;
  b.req().owner = owner;
  if constexpr (kTtl) {
    KV_TRY(ttl, b.Int(3));
    if (ttl < 0) return kNotInteger;
    b.req().ttl_ms = static_cast<uint64_t>(ttl);
  }
  return std::move(b.plan());
}

// MGET / MDEL (and DEL with several keys): `name key [key ...]`.
template <Opcode op, Show show>
Result<Plan> PlanKeys(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() < 2) return Arity(name);
  Builder b(args, name, op);
  for (size_t i = 1; i < args.size(); ++i) {
    KV_TRY(key, b.Text(i));
    b.req().keys.push_back(key);
  }
  b.plan().show = show;
  return std::move(b.plan());
}

Result<Plan> PlanMset(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() < 3 || args.size() % 2 == 0) return Arity(name);
  Builder b(args, name, Opcode::kMSET);
  b.req().mode = native::BatchMode::kAllOrNothing;
  for (size_t i = 1; i < args.size(); i += 2) {
    KV_TRY(key, b.Text(i));
    KV_TRY(value, b.Val(i + 1));
    b.req().items.push_back(native::BatchItem{key, 0, std::move(value)});
  }
  b.plan().show = Show::kMset;
  return std::move(b.plan());
}

Result<Plan> PlanCall(const std::vector<Arg>& args, const std::string& name, Show show) {
  Builder b(args, name, Opcode::kCALL);
  for (size_t i = 0; i < args.size(); ++i) {
    KV_TRY(text, b.Text(i));
    // Bare words and quoted strings are text; b"..." stays Bytes. The server passes both as the
    // argument's bytes.
    bool bytes = args[i].kind == Arg::Kind::kBytes || Utf8Length(text) < 0;
    b.req().args.push_back(bytes ? Value::Bytes(std::string(text)) : Value::String(std::string(text)));
  }
  b.plan().show = show;
  return std::move(b.plan());
}

Result<Plan> PlanDel(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() > 2) return PlanKeys<Opcode::kMDEL, Show::kSum>(args, name);
  return KeyOnly<Opcode::kDEL, Show::kValue>(args, name);
}

Result<Plan> PlanExists(const std::vector<Arg>& args, const std::string& name) {
  // Several keys: Redis counts them; no opcode does, and keys are text, so CALL loses nothing.
  if (args.size() > 2) return PlanCall(args, name, Show::kCall);
  return KeyOnly<Opcode::kEXISTS, Show::kValue>(args, name);
}

Result<Plan> PlanPing(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() > 1) return PlanCall(args, name, Show::kCall);  // PING message: an echo
  Builder b(args, name, Opcode::kPING);
  b.plan().show = Show::kText;
  return std::move(b.plan());
}

Result<Plan> PlanInfo(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() > 1) return PlanCall(args, name, Show::kText);  // INFO section
  Builder b(args, name, Opcode::kINFO);
  b.plan().show = Show::kText;
  return std::move(b.plan());
}

Result<Plan> PlanSelect(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() != 2) return Arity(name);
  Builder b(args, name, Opcode::kSELECT);
  KV_TRY(ns, b.Text(1));
  b.req().key = ns;
  b.plan().show = Show::kOk;
  return std::move(b.plan());
}

// AUTH password / AUTH user password.
Result<Plan> PlanAuth(const std::vector<Arg>& args, const std::string& name) {
  if (args.size() != 2 && args.size() != 3) return Arity(name);
  Builder b(args, name, Opcode::kAUTH);
  if (args.size() == 3) {
    KV_TRY(user, b.Text(1));
    b.req().key = user;
  }
  KV_TRY(password, b.Text(args.size() - 1));
  b.req().owner = password;
  b.plan().show = Show::kOk;
  return std::move(b.plan());
}

struct Entry {
  std::string_view name;
  Planner plan;
};

constexpr Entry kCommands[] = {
    {"get", KeyOnly<Opcode::kGET, Show::kValue>},
    {"set", PlanSet},
    {"setnx", PlanSetNx},
    {"del", PlanDel},
    {"exists", PlanExists},
    {"incr", KeyOnly<Opcode::kINCR, Show::kValue>},
    {"decr", KeyOnly<Opcode::kDECR, Show::kValue>},
    {"incrby", PlanIncrBy},
    {"cas", PlanCas},
    {"ping", PlanPing},
    {"info", PlanInfo},
    {"lock", PlanLock<Opcode::kLOCK>},
    {"unlock", PlanLock<Opcode::kUNLOCK>},
    {"extend", PlanLock<Opcode::kEXTEND>},
    {"mget", PlanKeys<Opcode::kMGET, Show::kValue>},
    {"mset", PlanMset},
    {"mdel", PlanKeys<Opcode::kMDEL, Show::kValue>},
    {"ttl", KeyOnly<Opcode::kTTL, Show::kSeconds>},
    {"pttl", KeyOnly<Opcode::kTTL, Show::kValue>},
    {"expire", PlanExpire<1000>},
    {"pexpire", PlanExpire<1>},
    {"select", PlanSelect},
    {"auth", PlanAuth},
};

#undef KV_TRY

std::string ErrorText(const Error& e) {
  switch (e.code) {
    case ErrorCode::kServer:
    case ErrorCode::kUsage: return e.message;
    case ErrorCode::kInvalid: return "INVALID " + e.message;
    default: return {};
  }
}

}  // namespace

Result<Plan> PlanCommand(const std::vector<Arg>& args) {
  Result<std::string> word = ArgText(args[0]);
  if (!word) return word.error();
  std::string name = Lower(*word);
  for (const Entry& e : kCommands) {
    if (e.name == name) return e.plan(args, name);
  }
  return PlanCall(args, name, Show::kCall);
}

Output Render(const Plan& plan, const Result<Value>& reply, OutputMode mode) {
  Output o;
  if (!reply) {
    o.failed = true;
    const Error& e = reply.error();
    std::string text = ErrorText(e);
    o.err = text.empty() ? "Error: " + e.ToString() + "\n" : FormatError(text, mode);
    return o;
  }
  const Value& v = *reply;
  auto integer = [&](int64_t n) {
    o.out = FormatValue(Value::Int(n), mode);
  };
  switch (plan.show) {
    case Show::kValue: o.out = FormatValue(v, mode); return o;
    case Show::kOk: o.out = "OK\n"; return o;
    case Show::kText:
      if (v.type() == ValueType::kString || v.type() == ValueType::kBytes) {
        // INFO's lines end with CRLF on the wire (as over RESP); a terminal wants LF.
        for (char c : v.as_string()) {
          if (c != '\r') o.out.push_back(c);
        }
        if (o.out.empty() || o.out.back() != '\n') o.out.push_back('\n');
      } else {
        o.out = FormatValue(v, mode);
      }
      return o;
    case Show::kSum:
      if (v.type() == ValueType::kList) {
        int64_t sum = 0;
        for (const Value& e : v.as_list()) sum += e.type() == ValueType::kInt ? e.as_int() : 0;
        integer(sum);
      } else {
        o.out = FormatValue(v, mode);
      }
      return o;
    case Show::kSeconds:
      if (v.type() == ValueType::kInt && v.as_int() >= 0) {
        integer((v.as_int() + 500) / 1000);  // Redis rounds TTL to the nearest second
      } else {
        o.out = FormatValue(v, mode);
      }
      return o;
    case Show::kMset: {
      bool all = v.type() == ValueType::kList;
      if (all) {
        for (const Value& e : v.as_list()) {
          all = all && e.type() == ValueType::kInt && e.as_int() == 1;
        }
      }
      if (all) {
        o.out = "OK\n";
      } else {
        o.out = FormatValue(v, mode);
        o.err = FormatError("MSET wrote nothing: the results per key are above", mode);
        o.failed = true;
      }
      return o;
    }
    case Show::kCall:
      if (v.type() == ValueType::kString && v.as_string() == "OK") {
        o.out = "OK\n";
      } else {
        o.out = FormatValue(v, mode);
      }
      return o;
  }
  return o;
}

}  // namespace kv::cli
