#include "server/native_session.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "commands/atomic_batch.h"
#include "commands/tracking.h"
#include "core/clock.h"
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
  // Invalidations its writes caused, for RESP clients (a native one receives none).
  tracking::DeliverPending();
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
    client_.block_on_acks = false;
    client_.blocked_owner.store(nullptr, std::memory_order_relaxed);
    *consumed += used;
    if (client_.close_after_reply) return Outcome::kClose;
  }
  return Outcome::kOk;
}

bool NativeSession::Run(const native::Request& req, std::string* out) {
  const native::OpcodeInfo& op = *req.info;
  const std::string command(op.command);
  if (op.shape == native::PayloadShape::kCall) {
    if (!RunCall(req, out)) return true;
  } else if (op.run == native::RunMode::kPerItem) {
    RunPerItem(req, out);
    return true;
  } else {
    // The payload's fields, in the shape's order, are the command's arguments.
    std::vector<std::string> args = {command};
    std::string encoded[2];
    std::vector<TypedArg> typed;
    const std::string key(req.key);
    switch (op.shape) {
      case native::PayloadShape::kEmpty:
        break;
      case native::PayloadShape::kKey:
      case native::PayloadShape::kName:
        args.push_back(key);
        break;
      case native::PayloadShape::kKeyTtlValue:
      case native::PayloadShape::kKeyTtlTwoValues: {
        args.push_back(key);
        const bool two = op.shape == native::PayloadShape::kKeyTtlTwoValues;
        if (two) typed.push_back({args.size(), StoredValue(req.expected, &encoded[0])});
        if (two) args.emplace_back();
        typed.push_back({args.size(), StoredValue(req.value, &encoded[1])});
        args.emplace_back();
        if (req.ttl_ms != 0) {  // the value's expiry, as SET ... PX takes it
          args.push_back("PX");
          args.push_back(std::to_string(req.ttl_ms));
        }
        break;
      }
      case native::PayloadShape::kKeyOwnerTtl:
        args.insert(args.end(), {key, std::string(req.owner), std::to_string(req.ttl_ms)});
        break;
      case native::PayloadShape::kKeyOwner:
        args.insert(args.end(), {key, std::string(req.owner)});
        break;
      case native::PayloadShape::kKeyDelta:
        args.insert(args.end(), {key, std::to_string(req.delta)});
        break;
      case native::PayloadShape::kKeyTtl:
        args.insert(args.end(), {key, std::to_string(req.ttl_ms)});
        break;
      case native::PayloadShape::kKeyList:
        for (std::string_view k : req.keys) args.emplace_back(k);
        break;
      case native::PayloadShape::kAuth:  // AUTH password, or AUTH user password
        if (!req.key.empty()) args.push_back(key);
        args.emplace_back(req.owner);
        break;
      case native::PayloadShape::kBatchSet:
      case native::PayloadShape::kCall:
        break;  // handled above
    }
    if (!op.extra.empty()) args.emplace_back(op.extra);
    Exec(std::move(args), typed);
  }
  if (client_.block_requested) {
    client_.block_requested = false;
    return false;
  }
  if (op.run == native::RunMode::kStoredFlag && !writer_.has_error()) {
    const bool stored = !writer_.nil();  // OK stored; nil: the condition stopped it
    writer_.Reset();
    writer_.SendLong(stored ? 1 : 0);
  }
  Frame(req, out);
  return true;
}

bool NativeSession::RunCall(const native::Request& req, std::string* out) {
  // Numbers keep their type (a command that stores values, such as SET or RPUSH, stores an
  // Int as an Int); every command also sees the canonical text, as a RESP client would have
  // sent it. String, Bytes and Null (the empty string) are plain text, as they were before
  // numbers were typed here (the published vectors rely on it).
  std::vector<std::string> args(req.args.size());
  std::vector<TypedArg> typed;
  for (size_t i = 0; i < req.args.size(); ++i) {
    const Value& v = req.args[i];
    if (!ArgText(v, &args[i])) {
      native::AppendError(out, "ERR CALL arguments must be scalars or Null (List and Map are not)");
      return false;
    }
    const ValueType t = v.type();
    if (i > 0 && (t == ValueType::kInt || t == ValueType::kFloat || t == ValueType::kDecimal)) {
      std::string unused;
      typed.push_back({i, StoredValue(v, &unused)});
    }
  }
  Exec(std::move(args), typed);
  return true;
}

void NativeSession::RunPerItem(const native::Request& req, std::string* out) {
  const std::string command(req.info->command);
  Value::List results;
  if (req.info->shape == native::PayloadShape::kKeyList) {  // MDEL
    for (std::string_view k : req.keys) {
      Exec({command, std::string(k)});
      results.push_back(writer_.has_error() ? Value::String(writer_.error()) : writer_.value());
    }
    native::AppendOkValue(out, Value::MakeList(std::move(results)));
    return;
  }
  // MSET: validated whole first, so all-or-nothing fails before writing anything. Best-effort
  // writes the items one by one (each atomic); all-or-nothing writes them as one atomic batch
  // (commands/atomic_batch.h): the items' shards stay locked from the first to the last, and
  // the WAL logs them as one record.
  std::vector<TypedArg> values(req.items.size());
  std::vector<std::string> encoded(req.items.size());
  std::vector<std::string> problems(req.items.size());  // why an item cannot be written
  bool any_problem = false;
  for (size_t i = 0; i < req.items.size(); ++i) {
    const std::string_view key_error = dispatcher_.CheckKey(req.items[i].key);
    if (!key_error.empty()) problems[i] = std::string(key_error);
    values[i] = {2, StoredValue(req.items[i].value, &encoded[i])};
    any_problem |= !problems[i].empty();
  }
  if (any_problem && req.mode == native::BatchMode::kAllOrNothing) {
    // Nothing is written: each item answers 0, the faulty ones their error.
    for (const std::string& p : problems)
      results.push_back(p.empty() ? Value::Int(0) : Value::String(p));
    native::AppendOkValue(out, Value::MakeList(std::move(results)));
    return;
  }
  std::optional<AtomicBatch> batch;
  if (req.mode == native::BatchMode::kAllOrNothing) {
    // Eviction cannot run under the batch's locks: it runs first. When it cannot make room,
    // no batch: each SET is then refused with OOM by itself, so nothing is written either way.
    const int64_t now = NowMs();
    if (dispatcher_.FreeMemory(now)) {
      LockPlan plan(dispatcher_.server().store);
      for (const auto& item : req.items) plan.AddKey(client_.ns, item.key);
      batch.emplace(dispatcher_, client_, plan, now);
    }
  }
  for (size_t i = 0; i < req.items.size(); ++i) {
    const auto& item = req.items[i];
    if (!problems[i].empty()) {
      results.push_back(Value::String(problems[i]));
      continue;
    }
    std::vector<std::string> args = {command, std::string(item.key), ""};
    if (item.ttl_ms != 0) {
      args.push_back("PX");
      args.push_back(std::to_string(item.ttl_ms));
    }
    Exec(std::move(args), std::span(&values[i], 1));
    results.push_back(writer_.has_error() ? Value::String(writer_.error()) : Value::Int(1));
  }
  native::AppendOkValue(out, Value::MakeList(std::move(results)));
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
