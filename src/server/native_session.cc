#include "server/native_session.h"

#include <spdlog/spdlog.h>

#include "core/scalar.h"

namespace kv {

namespace {
using native::Opcode;
using native::ReplyShape;
using native::Status;
using native::Value;
using native::ValueType;

// The stored form of a SET value: scalars keep their type (String too, Bytes as bytes).
bool StoredScalar(const Value& v, ScalarView* out) {
  switch (v.type()) {
    case ValueType::kInt:
      *out = ScalarView::Int(v.as_int());
      return true;
    case ValueType::kFloat:
      *out = ScalarView::Float(v.as_float());
      return true;
    case ValueType::kDecimal:
      *out = ScalarView::Dec(v.as_decimal());
      return true;
    case ValueType::kString:
      *out = ScalarView::String(v.as_string());
      return true;
    case ValueType::kBytes:
      *out = ScalarView::Bytes(v.as_string());
      return true;
    default:
      return false;
  }
}

// A Value as the text a RESP client would send for it (command arguments are text): a scalar's
// canonical string; Null is the empty string (RESP has no null argument); Lists and Maps have
// no text.
bool ArgText(const Value& v, std::string* out) {
  if (v.is_null()) {
    out->clear();
    return true;
  }
  ScalarView scalar;
  if (!StoredScalar(v, &scalar)) return false;
  char buf[kScalarBufSize];
  *out = std::string(CanonicalString(scalar, buf));
  return true;
}

constexpr std::string_view kUnsupportedValue =
    "ERR Null, List and Map values cannot be stored yet (only Int, Float, Decimal, String, Bytes)";
}  // namespace

NativeSession::NativeSession(Dispatcher& dispatcher, ClientState& client)
    : dispatcher_(dispatcher), client_(client) {}

void NativeSession::Exec(std::vector<std::string> args, const ScalarView* typed) {
  writer_.Reset();
  std::vector<std::string_view> views(args.begin(), args.end());
  dispatcher_.Execute(client_, views, writer_, typed);
}

Session::Outcome NativeSession::Process(std::string_view in, size_t* consumed, std::string* out,
                                        size_t out_soft_limit) {
  *consumed = 0;
  while (*consumed < in.size() && out->size() <= out_soft_limit) {
    native::Frame frame;
    size_t used = 0;
    const auto r = parser_.Parse(in.substr(*consumed), &used, &frame);
    if (r == native::FrameParser::Result::kNeedMore) break;
    if (r == native::FrameParser::Result::kTooLarge) {
      native::AppendInvalid(out, native::kPayloadTooLargeMessage);
      spdlog::debug("client {} ({}): native frame over 64 MB; closing it", client_.id,
                    client_.addr);
      return Outcome::kClose;
    }
    native::Request req;
    std::string err;
    if (!native::ParseRequest(frame.code, frame.payload, &req, &err)) {
      native::AppendInvalid(out, err);
      *consumed += used;
      continue;
    }
    if (client_.block_deadline_ms != 0 && NowMs() >= client_.block_deadline_ms)
      client_.block_timed_out = true;
    if (!Run(req, out)) return Outcome::kBlocked;
    client_.block_deadline_ms = 0;
    client_.block_timed_out = false;
    client_.blocked_owner.store(nullptr, std::memory_order_relaxed);
    *consumed += used;
    if (client_.close_after_reply) return Outcome::kClose;
  }
  return Outcome::kOk;
}

bool NativeSession::Run(const native::Request& req, std::string* out) {
  const auto op = req.info->op;
  const std::string key(req.key);
  auto ttl_args = [&](std::vector<std::string>* args, uint64_t ttl) {
    if (ttl == 0) return;
    args->push_back("PX");
    args->push_back(std::to_string(ttl));
  };
  switch (op) {
    case Opcode::kSET:
    case Opcode::kSETNX: {
      ScalarView v;
      if (!StoredScalar(req.value, &v)) {
        native::AppendError(out, kUnsupportedValue);
        return true;
      }
      std::vector<std::string> args = {"set", key, ""};
      ttl_args(&args, req.ttl_ms);
      if (op == Opcode::kSETNX) args.push_back("NX");
      Exec(std::move(args), &v);
      if (op == Opcode::kSETNX && !writer_.has_error()) {
        // SET NX answers OK or nil; SETNX's contract is Int 1 set, 0 existed.
        const bool stored = !writer_.value().is_null();
        writer_.Reset();
        writer_.SendLong(stored ? 1 : 0);
      }
      break;
    }
    case Opcode::kCAS: {
      std::string expected, fresh;
      if (!ArgText(req.expected, &expected) || !ArgText(req.value, &fresh)) {
        native::AppendError(out, kUnsupportedValue);
        return true;
      }
      std::vector<std::string> args = {"cas", key, expected, fresh};
      ttl_args(&args, req.ttl_ms);
      Exec(std::move(args));
      break;
    }
    case Opcode::kMSET: {
      // Validated whole first, so all-or-nothing fails before writing anything; items are then
      // written one by one (each atomic, the batch not isolated from concurrent writers).
      std::vector<ScalarView> values(req.items.size());
      // Why each item cannot be written ("" = it can).
      std::vector<std::string> problems(req.items.size());
      bool any_problem = false;
      for (size_t i = 0; i < req.items.size(); ++i) {
        const std::string_view key_error = dispatcher_.CheckKey(req.items[i].key);
        if (!key_error.empty())
          problems[i] = std::string(key_error);
        else if (!StoredScalar(req.items[i].value, &values[i]))
          problems[i] = std::string(kUnsupportedValue);
        any_problem |= !problems[i].empty();
      }
      if (any_problem && req.mode == native::BatchMode::kAllOrNothing) {
        // Nothing is written: each item answers 0, the faulty ones their error.
        Value::List results;
        for (const std::string& p : problems)
          results.push_back(p.empty() ? Value::Int(0) : Value::String(p));
        native::AppendOkValue(out, Value::MakeList(std::move(results)));
        return true;
      }
      Value::List results;
      for (size_t i = 0; i < req.items.size(); ++i) {
        const auto& item = req.items[i];
        if (!problems[i].empty()) {
          results.push_back(Value::String(problems[i]));
          continue;
        }
        std::vector<std::string> args = {"set", std::string(item.key), ""};
        ttl_args(&args, item.ttl_ms);
        Exec(std::move(args), &values[i]);
        results.push_back(writer_.has_error() ? Value::String(writer_.error()) : Value::Int(1));
      }
      native::AppendOkValue(out, Value::MakeList(std::move(results)));
      return true;
    }
    case Opcode::kMDEL: {
      Value::List results;
      for (std::string_view k : req.keys) {
        Exec({"del", std::string(k)});
        results.push_back(writer_.has_error() ? Value::String(writer_.error()) : writer_.value());
      }
      native::AppendOkValue(out, Value::MakeList(std::move(results)));
      return true;
    }
    case Opcode::kMGET: {
      std::vector<std::string> args = {"mget"};
      for (std::string_view k : req.keys) args.emplace_back(k);
      Exec(std::move(args));
      break;
    }
    case Opcode::kLOCK:
    case Opcode::kEXTEND:
      Exec({std::string(req.info->command), key, std::string(req.owner), std::to_string(req.ttl_ms)});
      break;
    case Opcode::kUNLOCK:
      Exec({"unlock", key, std::string(req.owner)});
      break;
    case Opcode::kINCRBY:
      Exec({"incrby", key, std::to_string(req.delta)});
      break;
    case Opcode::kEXPIRE:
      Exec({"pexpire", key, std::to_string(req.ttl_ms)});
      break;
    case Opcode::kAUTH:
      if (req.key.empty())
        Exec({"auth", std::string(req.owner)});
      else
        Exec({"auth", key, std::string(req.owner)});
      break;
    case Opcode::kPING:
    case Opcode::kINFO:
      Exec({std::string(req.info->command)});
      break;
    case Opcode::kCALL: {
      std::vector<std::string> args(req.args.size());
      for (size_t i = 0; i < req.args.size(); ++i) {
        if (!ArgText(req.args[i], &args[i])) {
          native::AppendError(out, "ERR CALL arguments must be scalars or Null (List and Map are not)");
          return true;
        }
      }
      Exec(std::move(args));
      break;
    }
    default:  // GET DEL EXISTS INCR DECR TTL SELECT: the key (or name) is the one argument
      Exec({std::string(req.info->command), key});
      break;
  }
  if (client_.block_requested) {
    client_.block_requested = false;
    return false;
  }
  Frame(req, out);
  return true;
}

void NativeSession::Frame(const native::Request& req, std::string* out) {
  if (writer_.has_error()) return native::AppendError(out, writer_.error());
  const Value& v = writer_.value();
  if (v.is_null()) return native::AppendNull(out);
  switch (req.info->reply) {
    case ReplyShape::kEmpty:
      return native::AppendResponse(out, Status::kOk);
    case ReplyShape::kText: {
      std::string text;
      ArgText(v, &text);
      return native::AppendResponse(out, Status::kOk, text);
    }
    case ReplyShape::kValue:
      break;
  }
  native::AppendOkValue(out, v);
}

}  // namespace kv
