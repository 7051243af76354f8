#include "server/native_session.h"

#include <spdlog/spdlog.h>

#include "core/scalar.h"
#include "native_proto/value_codec.h"

namespace kv {

namespace {
using native::Opcode;
using native::ReplyShape;
using native::Status;
using native::Value;
using native::ValueType;

// The stored form of a native value: scalars keep their type (String too, Bytes as bytes); a
// Null, List or Map is stored whole as its canonical encoding, written to *encoded (which the
// view then points into).
ScalarView StoredValue(const Value& v, std::string* encoded) {
  switch (v.type()) {
    case ValueType::kInt:
      return ScalarView::Int(v.as_int());
    case ValueType::kFloat:
      return ScalarView::Float(v.as_float());
    case ValueType::kDecimal:
      return ScalarView::Dec(v.as_decimal());
    case ValueType::kString:
      return ScalarView::String(v.as_string());
    case ValueType::kBytes:
      return ScalarView::Bytes(v.as_string());
    case ValueType::kNull:
    case ValueType::kList:
    case ValueType::kMap:
      break;
  }
  encoded->clear();
  native::EncodeValue(v, encoded);
  return ScalarView::Nested(*encoded);
}

// A CALL argument as the text a RESP client would send for it (CALL passes text): a scalar's
// canonical string; Null is the empty string (RESP has no null argument); Lists and Maps have
// no text.
bool ArgText(const Value& v, std::string* out) {
  if (v.type() == ValueType::kList || v.type() == ValueType::kMap) return false;
  std::string unused;
  const ScalarView scalar = StoredValue(v, &unused);
  char buf[kScalarBufSize];
  *out = IsNested(scalar.type) ? std::string() : std::string(CanonicalString(scalar, buf));
  return true;
}

}  // namespace

NativeSession::NativeSession(Dispatcher& dispatcher, ClientState& client)
    : dispatcher_(dispatcher), client_(client) {}

void NativeSession::Exec(std::vector<std::string> args, std::span<const TypedArg> typed) {
  writer_.Reset();
  // A typed argument's text is its canonical string (CommandContext's contract), so handlers
  // and plugins that read text see what a RESP client would have sent; String and Bytes are
  // viewed where they are rather than copied.
  std::vector<std::string_view> views(args.size());
  for (const TypedArg& t : typed) {
    char buf[kScalarBufSize];
    if (!IsText(t.value.type) && !IsNested(t.value.type))
      args[t.pos] = std::string(CanonicalString(t.value, buf));
  }
  for (size_t i = 0; i < args.size(); ++i) views[i] = args[i];
  for (const TypedArg& t : typed)
    if (IsText(t.value.type)) views[t.pos] = t.value.bytes;
  dispatcher_.Execute(client_, views, writer_, typed);
}

Session::Outcome NativeSession::Process(std::string_view in, size_t* consumed, std::string* out,
                                        size_t out_soft_limit) {
  *consumed = 0;
  while (*consumed < in.size() && out->size() <= out_soft_limit) {
    native::Frame frame;
    size_t used = 0;
    // Per frame: an AUTH earlier in the same read lifts the limit for the frames after it.
    const bool unauth = !client_.authenticated;
    parser_.set_limits(
        {unauth ? native::kUnauthMaxPayloadSize : native::kMaxPayloadSize});
    const auto r = parser_.Parse(in.substr(*consumed), &used, &frame);
    if (r == native::FrameParser::Result::kNeedMore) break;
    if (r == native::FrameParser::Result::kTooLarge) {
      native::AppendInvalid(out, unauth ? native::kUnauthPayloadTooLargeMessage
                                        : native::kPayloadTooLargeMessage);
      spdlog::debug("client {} ({}): native frame of {} bytes over the limit; closing it",
                    client_.id, client_.addr, parser_.declared_length());
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
      std::string encoded;
      const TypedArg typed[] = {{2, StoredValue(req.value, &encoded)}};
      std::vector<std::string> args = {"set", key, ""};
      ttl_args(&args, req.ttl_ms);
      if (op == Opcode::kSETNX) args.push_back("NX");
      Exec(std::move(args), typed);
      if (op == Opcode::kSETNX && !writer_.has_error()) {
        // SET NX answers OK or nil; SETNX's contract is Int 1 set, 0 existed.
        const bool stored = !writer_.nil();
        writer_.Reset();
        writer_.SendLong(stored ? 1 : 0);
      }
      break;
    }
    case Opcode::kCAS: {
      std::string expected_encoded, new_encoded;
      const TypedArg typed[] = {{2, StoredValue(req.expected, &expected_encoded)},
                                {3, StoredValue(req.value, &new_encoded)}};
      std::vector<std::string> args = {"cas", key, "", ""};
      ttl_args(&args, req.ttl_ms);
      Exec(std::move(args), typed);
      break;
    }
    case Opcode::kMSET: {
      // Validated whole first, so all-or-nothing fails before writing anything; items are then
      // written one by one (each atomic, the batch not isolated from concurrent writers).
      std::vector<TypedArg> values(req.items.size());
      std::vector<std::string> encoded(req.items.size());
      // Why each item cannot be written ("" = it can).
      std::vector<std::string> problems(req.items.size());
      bool any_problem = false;
      for (size_t i = 0; i < req.items.size(); ++i) {
        const std::string_view key_error = dispatcher_.CheckKey(req.items[i].key);
        if (!key_error.empty()) problems[i] = std::string(key_error);
        values[i] = {2, StoredValue(req.items[i].value, &encoded[i])};
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
        Exec(std::move(args), std::span(&values[i], 1));
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
      // Numbers keep their type (a command that stores values, such as SET or RPUSH, stores an
      // Int as an Int); every command also sees the canonical text, as a RESP client would
      // have sent it. String, Bytes and Null (the empty string) are plain text, as they were
      // before numbers were typed here (the published vectors rely on it).
      std::vector<std::string> args(req.args.size());
      std::vector<TypedArg> typed;
      for (size_t i = 0; i < req.args.size(); ++i) {
        const Value& v = req.args[i];
        if (!ArgText(v, &args[i])) {
          native::AppendError(out, "ERR CALL arguments must be scalars or Null (List and Map are not)");
          return true;
        }
        const ValueType t = v.type();
        if (i > 0 && (t == ValueType::kInt || t == ValueType::kFloat || t == ValueType::kDecimal)) {
          std::string unused;
          typed.push_back({i, StoredValue(v, &unused)});
        }
      }
      Exec(std::move(args), typed);
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
  if (writer_.nil()) return native::AppendNull(out);
  const Value& v = writer_.value();
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
