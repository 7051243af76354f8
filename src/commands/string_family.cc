// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX APPEND STRLEN
// INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SUBSTR SETRANGE (LCS in string_lcs.cc), with
// Redis 7.0's replies, errors and option rules (t_string.c).
//
// Values are scalars: RESP writes Bytes, the INCR family stores Int and INCRBYFLOAT stores Float
// (or Bytes when a double cannot hold the exact text Redis would store; on a Decimal it adds
// exactly and keeps a Decimal); DECIMAL.* and native clients store Decimal. Every command that reads a value works on its canonical string when it
// is not Bytes (CanonicalString): GET and MGET reply with it, APPEND, STRLEN, GETRANGE and
// SETRANGE see it as the value's text, as Redis does for its int-encoded strings, and INCR and
// INCRBYFLOAT parse it with Redis's number rules, exactly as Redis would a string holding that
// text ("5" increments, "5.0" or "1E+1" is not an integer). A native client's Null, List or Map
// (kNested) is not a string: GET-like commands reply with the aggregate, every other command
// here answers WRONGTYPE, as Redis does for a key of another type.
//
// The dispatcher has locked the shards of every declared key before a handler runs; handlers
// only call the key's shard. Shard ops (`Op<Name>`) know nothing of replies.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "commands/string_bytes.h"
#include "commands/server_state.h"
#include "core/object.h"
#include "core/scalar.h"
#include "core/shard.h"
#include "core/status.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

// Redis's DECRBY guard: negating INT64_MIN cannot be done.
constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";

// Room for any long double printed with "%.17Lf" (Redis's MAX_LONG_DOUBLE_CHARS).
constexpr size_t kLongDoubleBufSize = 5 * 1024;

// ------------------------------------------------------------------------------------------
// SET options (parseExtendedStringArgumentsOrReply / getExpireMillisecondsOrReply)
// ------------------------------------------------------------------------------------------

enum SetFlag : uint32_t {
  kSetNx = 1u << 0,
  kSetXx = 1u << 1,
  kSetGet = 1u << 2,
  kSetKeepTtl = 1u << 3,
  kSetPersist = 1u << 4,
  kSetEx = 1u << 5,
  kSetPx = 1u << 6,
  kSetExAt = 1u << 7,
  kSetPxAt = 1u << 8,
};
constexpr uint32_t kSetAnyExpire = kSetEx | kSetPx | kSetExAt | kSetPxAt;

struct SetOptions {
  uint32_t flags = 0;
  std::string_view expire;  // the EX/PX/EXAT/PXAT argument; empty when none was given
  bool has_expire = false;
};

enum class OptionsFor { kSet, kGetEx };

// Parses the options from args[first] on with Redis's exact rules: an option that conflicts with
// one already seen, an unknown word, or a missing expire argument is "ERR syntax error". The
// same expire option may repeat (the last one wins), as in Redis.
bool ParseSetOptionsOrReply(CommandContext& ctx, size_t first, OptionsFor cmd,
                            SetOptions* out) {
  const bool is_set = cmd == OptionsFor::kSet;
  uint32_t& f = out->flags;
  for (size_t j = first; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    uint32_t expire_flag = 0;
    if (EqualsIgnoreCase(opt, "EX")) {
      expire_flag = kSetEx;
    } else if (EqualsIgnoreCase(opt, "PX")) {
      expire_flag = kSetPx;
    } else if (EqualsIgnoreCase(opt, "EXAT")) {
      expire_flag = kSetExAt;
    } else if (EqualsIgnoreCase(opt, "PXAT")) {
      expire_flag = kSetPxAt;
    }
    if (expire_flag) {
      // Allowed when no other expire kind, KEEPTTL or PERSIST was given and an argument follows.
      const uint32_t conflicts = (kSetAnyExpire & ~expire_flag) | kSetKeepTtl | kSetPersist;
      if ((f & conflicts) || j + 1 == ctx.args.size()) {
        ctx.rb->SendError(errors::kSyntax);
        return false;
      }
      f |= expire_flag;
      out->expire = ctx.args[++j];
      out->has_expire = true;
    } else if (is_set && EqualsIgnoreCase(opt, "NX") && !(f & kSetXx)) {
      f |= kSetNx;
    } else if (is_set && EqualsIgnoreCase(opt, "XX") && !(f & kSetNx)) {
      f |= kSetXx;
    } else if (is_set && EqualsIgnoreCase(opt, "GET")) {
      f |= kSetGet;
    } else if (is_set && EqualsIgnoreCase(opt, "KEEPTTL") && !(f & kSetAnyExpire)) {
      f |= kSetKeepTtl;
    } else if (!is_set && EqualsIgnoreCase(opt, "PERSIST") && !(f & kSetAnyExpire)) {
      f |= kSetPersist;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  return true;
}

// Converts the expire argument of SET/SETEX/PSETEX/GETEX into an absolute time in ms. A value
// that is not an integer is "not an integer"; zero, negative, or overflowing the conversion to
// ms or the addition of the current time is "invalid expire time in '<cmd>' command".
bool ExpireAtOrReply(CommandContext& ctx, const SetOptions& o, int64_t* at) {
  int64_t v;
  if (!ParseIntOrReply(ctx, o.expire, &v)) return false;
  const bool seconds = o.flags & (kSetEx | kSetExAt);
  const bool relative = o.flags & (kSetEx | kSetPx);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  bool valid = v > 0 && !(seconds && v > kMax / 1000);
  if (valid && seconds) v *= 1000;
  if (valid && relative) {
    valid = v <= kMax - ctx.now_ms;
    if (valid) v += ctx.now_ms;
  }
  if (!valid) {
    ctx.rb->SendError(fmt::format(fmt::runtime(errors::kInvalidExpire), ctx.spec->name));
    return false;
  }
  *at = v;
  return true;
}

// ------------------------------------------------------------------------------------------
// Shard operations
// ------------------------------------------------------------------------------------------

// Stores `value` unless the NX/XX condition fails (kSkipped). KEEPTTL keeps the key's expiry;
// otherwise `expire_at` (kNoExpire clears it). An absolute time already past deletes the key,
// which is what a key expiring at once amounts to.
OpStatus OpSet(Shard& shard, std::string_view key, const ScalarView& value, uint32_t flags,
               int64_t expire_at, int64_t now_ms) {
  Entry* e = shard.Find(key, now_ms);
  if (((flags & kSetNx) && e) || ((flags & kSetXx) && !e)) return OpStatus::kSkipped;
  if ((flags & kSetKeepTtl) && e) expire_at = e->expire_at();
  if (expire_at != kNoExpire && expire_at <= now_ms) {
    shard.Erase(key, now_ms);
    return OpStatus::kOk;
  }
  shard.Set(key, value, expire_at);
  return OpStatus::kOk;
}

// Adds `delta` to the integer at `key` (0 when missing), keeping its TTL; stores an Int.
OpResult<int64_t> OpIncrBy(Shard& shard, std::string_view key, int64_t delta, int64_t now_ms) {
  Entry* e = shard.Find(key, now_ms);
  if (!e) {
    shard.Set(key, ScalarView::Int(delta), kNoExpire);
    return delta;
  }
  if (!IsString(*e)) return OpStatus::kWrongType;
  const ScalarView v = e->value();
  int64_t cur;
  if (v.type == ScalarType::kInt) {
    cur = v.i;
  } else {
    char buf[kScalarBufSize];
    const auto parsed = ParseInt64(CanonicalString(v, buf));
    if (!parsed) return OpStatus::kNotAnInteger;
    cur = *parsed;
  }
  int64_t result;
  if (__builtin_add_overflow(cur, delta, &result)) return OpStatus::kOutOfRange;
  if (v.type == ScalarType::kInt) {
    e->SetInt(result);  // same size: update in place
    NoteWrite();
  } else {
    shard.Set(key, ScalarView::Int(result), e->expire_at());
  }
  return result;
}

// Adds `incr` to the number at `key` in long double, as Redis does, keeping its TTL. Returns the
// result's text (Redis's "%.17Lf", trimmed). Stores a Float when the double reads back as that
// same text, else the text itself as Bytes, so GET and later increments match Redis exactly.
// INCRBYFLOAT on a Decimal stays exact: the increment (its text) is added as a decimal and the
// result stays a Decimal. Turning it into a binary Float would silently round money amounts.
// An increment that is no exact decimal (inf, more than 34 digits) or a sum that cannot be
// exact is refused, the value untouched. *error gets the reason for the error reply.
std::optional<std::string> IncrDecimalExactly(Shard& shard, std::string_view key,
                                              const Decimal& cur, std::string_view incr_text,
                                              int64_t expire_at, std::string* error) {
  DecimalStatus why = DecimalStatus::kOk;
  const std::optional<Decimal> incr = Decimal::Parse(incr_text, &why);
  if (!incr) {
    *error = fmt::format("ERR the value is a decimal and the increment is {}",
                         DecimalStatusText(why));
    return std::nullopt;
  }
  const DecimalResult sum = Decimal::Add(cur, *incr);
  if (!sum.ok()) {
    *error = fmt::format("ERR decimal result {}", DecimalStatusText(sum.status));
    return std::nullopt;
  }
  shard.Set(key, ScalarView::Dec(sum.value), expire_at);
  return sum.value.ToString();
}

OpResult<std::string> OpIncrByFloat(Shard& shard, std::string_view key, long double incr,
                                    std::string_view incr_text, int64_t now_ms,
                                    std::string* error) {
  Entry* e = shard.Find(key, now_ms);
  long double cur = 0;
  int64_t expire_at = kNoExpire;
  if (e) {
    expire_at = e->expire_at();
    if (!IsString(*e)) return OpStatus::kWrongType;
    const ScalarView v = e->value();
    if (v.type == ScalarType::kDecimal) {
      auto out = IncrDecimalExactly(shard, key, v.dec, incr_text, expire_at, error);
      if (!out) return OpStatus::kNotAFloat;  // the text in *error says why
      return std::move(*out);
    }
    if (v.type == ScalarType::kInt) {
      cur = static_cast<long double>(v.i);
    } else {
      char buf[kScalarBufSize];
      const auto parsed = ParseLongDouble(CanonicalString(v, buf));
      if (!parsed) return OpStatus::kNotAFloat;
      cur = *parsed;
    }
  }
  const long double sum = cur + incr;
  if (std::isnan(sum) || std::isinf(sum)) return OpStatus::kInvalidFloat;
  char text[kLongDoubleBufSize];
  const std::string_view out(text, FormatLongDouble(sum, text, sizeof(text)));
  const double d = static_cast<double>(sum);
  char canon[kScalarBufSize];
  if (std::isfinite(d) && CanonicalString(ScalarView::Float(d), canon) == out)
    shard.Set(key, ScalarView::Float(d), expire_at);
  else
    shard.Set(key, ScalarView::Bytes(out), expire_at);
  return std::string(out);
}

// Appends `tail` to the string at `key` (creating it); returns the new length. An Int, Float or
// Decimal becomes the Bytes of its canonical string followed by `tail`.
OpResult<uint64_t> OpAppend(Shard& shard, std::string_view key, std::string_view tail,
                            uint64_t max_len, int64_t now_ms) {
  Entry* e = shard.Find(key, now_ms);
  if (!e) {
    shard.Set(key, ScalarView::Bytes(tail), kNoExpire);
    return tail.size();
  }
  if (!IsString(*e)) return OpStatus::kWrongType;
  const ScalarView v = e->value();
  char buf[kScalarBufSize];
  const std::string_view head = CanonicalString(v, buf);  // Bytes: points into the old entry
  const uint64_t head_len = head.size();
  if (tail.size() > max_len || head_len > max_len - tail.size()) return OpStatus::kTooBig;
  if (tail.empty()) return head_len;
  Entry* fresh = shard.ResizeBytes(key, static_cast<uint32_t>(head_len + tail.size()), now_ms);
  char* out = fresh->mutable_value();
  // ResizeBytes kept the bytes of a Bytes value; a number's text lives in `buf`.
  if (!IsText(v.type)) std::memcpy(out, head.data(), head_len);
  std::memcpy(out + head_len, tail.data(), tail.size());
  return head_len + tail.size();
}

// Writes `piece` at `offset` of the string at `key`, zero-padding any gap; returns the new
// length. Nothing is created or changed when `piece` is empty.
OpResult<uint64_t> OpSetRange(Shard& shard, std::string_view key, uint64_t offset,
                              std::string_view piece, uint64_t max_len, int64_t now_ms) {
  Entry* e = shard.Find(key, now_ms);
  char buf[kScalarBufSize];
  ScalarView v = ScalarView::Bytes({});
  std::string_view head;
  if (e) {
    if (!IsString(*e)) return OpStatus::kWrongType;
    v = e->value();
    head = CanonicalString(v, buf);
  }
  const uint64_t old_len = head.size();
  if (piece.empty()) return old_len;
  if (offset > max_len || piece.size() > max_len - offset) return OpStatus::kTooBig;
  const uint64_t end = offset + piece.size();
  if (e && v.type == ScalarType::kBytes && end <= old_len) {
    std::memcpy(e->mutable_value() + offset, piece.data(), piece.size());  // in place
    NoteWrite();
    return old_len;
  }
  const uint64_t new_len = std::max(old_len, end);
  Entry* fresh = shard.ResizeBytes(key, static_cast<uint32_t>(new_len), now_ms);
  char* out = fresh->mutable_value();
  if (e && !IsText(v.type)) std::memcpy(out, head.data(), old_len);
  if (offset > old_len) std::memset(out + old_len, 0, offset - old_len);
  std::memcpy(out + offset, piece.data(), piece.size());
  return new_len;
}

// ------------------------------------------------------------------------------------------
// Handlers
// ------------------------------------------------------------------------------------------

// GET-like commands. A native client reads any value whole (a list as a List, a hash as a Map);
// over RESP a list or hash is not a string: WRONGTYPE, as Redis answers.
bool Gettable(const CommandContext& ctx, const Entry& e) {
  const ObjType t = TypeOf(e);
  return t == ObjType::kString || t == ObjType::kNull || ctx.rb->keeps_types();
}
bool GettableOrReply(CommandContext& ctx, const Entry& e) {
  if (Gettable(ctx, e)) return true;
  ctx.rb->SendError(errors::kWrongType);
  return false;
}
void SendWhole(CommandContext& ctx, const Entry& e) {
  std::string scratch;
  ctx.rb->SendScalar(WholeValue(e, &scratch));
}
bool SendWholeValue(CommandContext& ctx, const Entry& e) {
  if (!GettableOrReply(ctx, e)) return false;
  SendWhole(ctx, e);
  return true;
}

// Replies with the value at `key` or nil (getGenericCommand). False after WRONGTYPE.
bool SendValueOrNull(CommandContext& ctx, std::string_view key) {
  Entry* e = FindRead(ctx.ShardFor(key), key, ctx.now_ms);
  if (e) return SendWholeValue(ctx, *e);
  ctx.rb->SendNull();
  return true;
}

void CmdGet(CommandContext& ctx) { SendValueOrNull(ctx, ctx.args[1]); }

// What a SET-like command replies when it stored the value and when NX/XX stopped it.
enum class SetReply { kOkOrNull, kOneOrZero };

// The shared body of SET, SETNX, SETEX and PSETEX (setGenericCommand), expiry already parsed.
void SetGeneric(CommandContext& ctx, std::string_view key, const ScalarView& value,
                uint32_t flags, int64_t expire_at, SetReply reply) {
  // GET replies with the old value first; NX/XX then only decide whether the write happens.
  if ((flags & kSetGet) && !SendValueOrNull(ctx, key)) return;
  const OpStatus st = OpSet(ctx.ShardFor(key), key, value, flags, expire_at, ctx.now_ms);
  const bool stored = st == OpStatus::kOk;
  if (stored) {
    ctx.Notify(ev::kString, "set", key);
    if (expire_at != kNoExpire && !(flags & kSetKeepTtl)) ctx.Notify(ev::kGeneric, "expire", key);
  }
  if (flags & kSetGet) return;
  if (reply == SetReply::kOneOrZero)
    ctx.rb->SendLong(stored ? 1 : 0);
  else if (stored)
    ctx.rb->SendOk();
  else
    ctx.rb->SendNull();
}

// The log gets an expiring SET with its deadline: SET key value [NX|XX] PXAT <ms>. (Replay
// with the record's clock would compute the same deadline from EX/PX; the absolute form also
// reads right in kv-check --dump.) The value keeps a native client's type.
void LogSetWithDeadline(CommandContext& ctx, std::string_view value, uint32_t flags, int64_t at) {
  const std::string deadline = std::to_string(at);
  const std::string_view cond = (flags & kSetNx) ? "NX" : (flags & kSetXx) ? "XX" : "";
  if (cond.empty()) {
    ctx.LogAs({"SET", ctx.args[1], value, "PXAT", deadline}, {2});
  } else {
    ctx.LogAs({"SET", ctx.args[1], value, cond, "PXAT", deadline}, {2});
  }
}

void CmdSet(CommandContext& ctx) {
  SetOptions o;
  if (!ParseSetOptionsOrReply(ctx, 3, OptionsFor::kSet, &o)) return;
  int64_t at = kNoExpire;
  if (o.has_expire && !ExpireAtOrReply(ctx, o, &at)) return;
  // Native clients send a typed value (Int stays Int, a List stays a List); RESP values are bytes.
  const ScalarView* typed = ctx.Typed(2);
  const ScalarView value = typed ? *typed : ScalarView::Bytes(ctx.args[2]);
  if (o.has_expire && !(o.flags & kSetPxAt)) LogSetWithDeadline(ctx, ctx.args[2], o.flags, at);
  SetGeneric(ctx, ctx.args[1], value, o.flags, at, SetReply::kOkOrNull);
}

void CmdSetNx(CommandContext& ctx) {
  SetGeneric(ctx, ctx.args[1], ScalarView::Bytes(ctx.args[2]), kSetNx, kNoExpire,
             SetReply::kOneOrZero);
}

// SETEX key seconds value / PSETEX key milliseconds value.
void SetExGeneric(CommandContext& ctx, uint32_t unit_flag) {
  SetOptions o;
  o.flags = unit_flag;
  o.expire = ctx.args[2];
  o.has_expire = true;
  int64_t at;
  if (!ExpireAtOrReply(ctx, o, &at)) return;
  LogSetWithDeadline(ctx, ctx.args[3], 0, at);
  SetGeneric(ctx, ctx.args[1], ScalarView::Bytes(ctx.args[3]), unit_flag, at,
             SetReply::kOkOrNull);
}

void CmdSetEx(CommandContext& ctx) { SetExGeneric(ctx, kSetEx); }
void CmdPSetEx(CommandContext& ctx) { SetExGeneric(ctx, kSetPx); }

void CmdGetSet(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  if (!SendValueOrNull(ctx, key)) return;
  OpSet(ctx.ShardFor(key), key, ScalarView::Bytes(ctx.args[2]), 0, kNoExpire,
        ctx.now_ms);  // drops any TTL
  ctx.Notify(ev::kString, "set", key);
}

void CmdGetDel(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Shard& shard = ctx.ShardFor(key);
  Entry* e = FindRead(shard, key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendNull();
    return;
  }
  if (!SendWholeValue(ctx, *e)) return;
  shard.Erase(key, ctx.now_ms);
  ctx.Notify(ev::kGeneric, "del", key);
}

void CmdGetEx(CommandContext& ctx) {
  SetOptions o;
  if (!ParseSetOptionsOrReply(ctx, 2, OptionsFor::kGetEx, &o)) return;
  const std::string_view key = ctx.args[1];
  Shard& shard = ctx.ShardFor(key);
  Entry* e = FindRead(shard, key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendNull();  // before the expire argument is looked at, as in Redis
    return;
  }
  if (!GettableOrReply(ctx, *e)) return;
  int64_t at = kNoExpire;
  if (o.has_expire && !ExpireAtOrReply(ctx, o, &at)) return;
  SendWhole(ctx, *e);
  // Logged as what it did to the key, as Redis propagates GETEX.
  if (o.has_expire) {
    if (at <= ctx.now_ms) {
      shard.Erase(key, ctx.now_ms);  // EXAT/PXAT in the past
      ctx.LogAs({"DEL", key});
      ctx.Notify(ev::kGeneric, "del", key);
    } else {
      shard.SetExpire(key, at, ctx.now_ms);
      ctx.LogAs({"PEXPIREAT", key, std::to_string(at)});
      ctx.Notify(ev::kGeneric, "expire", key);
    }
  } else if (o.flags & kSetPersist) {
    const bool had_ttl = e->has_expire();
    shard.SetExpire(key, kNoExpire, ctx.now_ms);
    ctx.LogAs({"PERSIST", key});
    if (had_ttl) ctx.Notify(ev::kGeneric, "persist", key);
  }
}

void CmdMGet(CommandContext& ctx) {
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 1));
  // A key of another type reads as nil, as in Redis (a native client gets it whole).
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    Entry* e = FindRead(ctx.ShardFor(ctx.args[i]), ctx.args[i], ctx.now_ms);
    if (e && Gettable(ctx, *e))
      SendWhole(ctx, *e);
    else
      ctx.rb->SendNull();
  }
}

// MSET/MSETNX take key-value pairs: an odd count of arguments after the name is an arity error.
bool PairsOrReply(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.rb->SendError(errors::WrongArity(ctx.spec->name));
    return false;
  }
  return true;
}

void SetPairs(CommandContext& ctx) {
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    ctx.ShardFor(ctx.args[i]).Set(ctx.args[i], ScalarView::Bytes(ctx.args[i + 1]), kNoExpire);
    ctx.Notify(ev::kString, "set", ctx.args[i]);
  }
}

void CmdMSet(CommandContext& ctx) {
  if (!PairsOrReply(ctx)) return;
  SetPairs(ctx);
  ctx.rb->SendOk();
}

void CmdMSetNx(CommandContext& ctx) {
  if (!PairsOrReply(ctx)) return;
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    if (ctx.ShardFor(ctx.args[i]).Find(ctx.args[i], ctx.now_ms)) {
      ctx.rb->SendLong(0);
      return;
    }
  }
  SetPairs(ctx);
  ctx.rb->SendLong(1);
}

void CmdAppend(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const auto res =
      OpAppend(ctx.ShardFor(key), key, ctx.args[2], MaxStringLength(ctx), ctx.now_ms);
  if (!res.ok()) {
    ctx.rb->SendError(errors::FromStatus(res.status()));
    return;
  }
  // Appending nothing changes no byte, but Redis signals the key modified (WATCH sees it).
  if (ctx.args[2].empty()) ctx.ShardFor(key).TouchWatched(key);
  ctx.Notify(ev::kString, "append", key);
  ctx.rb->SendLong(static_cast<int64_t>(*res));
}

void CmdStrLen(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Entry* e = FindRead(ctx.ShardFor(key), key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  if (!IsString(*e)) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  char buf[kScalarBufSize];
  ctx.rb->SendLong(static_cast<int64_t>(CanonicalString(e->value(), buf).size()));
}

void IncrByGeneric(CommandContext& ctx, int64_t delta) {
  const std::string_view key = ctx.args[1];
  const auto res = OpIncrBy(ctx.ShardFor(key), key, delta, ctx.now_ms);
  if (!res.ok()) {
    ctx.rb->SendError(errors::FromStatus(res.status()));
    return;
  }
  ctx.Notify(ev::kString, "incrby", key);
  ctx.rb->SendLong(*res);
}

void CmdIncr(CommandContext& ctx) { IncrByGeneric(ctx, 1); }
void CmdDecr(CommandContext& ctx) { IncrByGeneric(ctx, -1); }

void CmdIncrBy(CommandContext& ctx) {
  int64_t delta;
  if (ParseIntOrReply(ctx, ctx.args[2], &delta)) IncrByGeneric(ctx, delta);
}

void CmdDecrBy(CommandContext& ctx) {
  int64_t delta;
  if (!ParseIntOrReply(ctx, ctx.args[2], &delta)) return;
  if (delta == std::numeric_limits<int64_t>::min()) {
    ctx.rb->SendError(kDecrementOverflow);
    return;
  }
  IncrByGeneric(ctx, -delta);
}

void CmdIncrByFloat(CommandContext& ctx) {
  // Redis checks the stored value before the increment; both fail with the same text, so the
  // order cannot be observed.
  long double incr;
  if (!ParseDoubleOrReply(ctx, ctx.args[2], &incr)) return;
  const std::string_view key = ctx.args[1];
  std::string decimal_error;
  const auto res =
      OpIncrByFloat(ctx.ShardFor(key), key, incr, ctx.args[2], ctx.now_ms, &decimal_error);
  if (!res.ok()) {
    ctx.rb->SendError(decimal_error.empty() ? std::string(errors::FromStatus(res.status()))
                                            : decimal_error);
    return;
  }
  ctx.Notify(ev::kString, "incrbyfloat", key);
  ctx.rb->SendBulk(*res);
}

void CmdGetRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntOrReply(ctx, ctx.args[2], &start) || !ParseIntOrReply(ctx, ctx.args[3], &end))
    return;
  const std::string_view key = ctx.args[1];
  Entry* e = FindRead(ctx.ShardFor(key), key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendBulk("");
    return;
  }
  if (!IsString(*e)) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  char buf[kScalarBufSize];
  const std::string_view s = CanonicalString(e->value(), buf);
  const int64_t len = static_cast<int64_t>(s.size());
  // Redis's index rules (getrangeCommand): negative indexes count from the end; two negative
  // indexes with start > end give an empty string before any clamping.
  if (start < 0 && end < 0 && start > end) {
    ctx.rb->SendBulk("");
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    ctx.rb->SendBulk("");
    return;
  }
  ctx.rb->SendBulk(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void CmdSetRange(CommandContext& ctx) {
  int64_t offset;
  if (!ParseIntOrReply(ctx, ctx.args[2], &offset)) return;
  if (offset < 0) {
    ctx.rb->SendError(errors::kOffsetOutOfRange);
    return;
  }
  const std::string_view key = ctx.args[1];
  const auto res = OpSetRange(ctx.ShardFor(key), key, static_cast<uint64_t>(offset),
                              ctx.args[3], MaxStringLength(ctx), ctx.now_ms);
  if (!res.ok()) {
    ctx.rb->SendError(errors::FromStatus(res.status()));
    return;
  }
  // Writing nothing changes nothing, as in Redis (no event, no write counted).
  if (!ctx.args[3].empty()) ctx.Notify(ev::kString, "setrange", key);
  ctx.rb->SendLong(static_cast<int64_t>(*res));
}

// ------------------------------------------------------------------------------------------
// Registration
// ------------------------------------------------------------------------------------------

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, keys, h, "string", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterStringFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kGrowFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  t.Register(Spec("get", 2, kRead, kOneKey, CmdGet, "1.0.0", "Get the value of a key", "key"));
  t.Register(Spec("set", -3, kGrow, kOneKey, CmdSet, "1.0.0", "Set the string value of a key",
                  "key value [NX | XX] [GET] [EX seconds | PX milliseconds | "
                  "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]"));
  t.Register(Spec("setnx", 3, kGrowFast, kOneKey, CmdSetNx, "1.0.0",
                  "Set the value of a key, only if the key does not exist", "key value"));
  t.Register(Spec("setex", 4, kGrow, kOneKey, CmdSetEx, "2.0.0",
                  "Set the value and expiration of a key", "key seconds value"));
  t.Register(Spec("psetex", 4, kGrow, kOneKey, CmdPSetEx, "2.6.0",
                  "Set the value and expiration in milliseconds of a key",
                  "key milliseconds value"));
  t.Register(Spec("getset", 3, kGrowFast, kOneKey, CmdGetSet, "1.0.0",
                  "Set the string value of a key and return its old value", "key value"));
  t.Register(Spec("getdel", 2, kWriteFast, kOneKey, CmdGetDel, "6.2.0",
                  "Get the value of a key and delete the key", "key"));
  t.Register(Spec("getex", -2, kWriteFast, kOneKey, CmdGetEx, "6.2.0",
                  "Get the value of a key and optionally set its expiration",
                  "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
                  "PXAT unix-time-milliseconds | PERSIST]"));
  t.Register(Spec("mget", -2, kRead, kAllKeys, CmdMGet, "1.0.0",
                  "Get the values of all the given keys", "key [key ...]"));
  t.Register(Spec("mset", -3, kGrow, kKeyValuePairs, CmdMSet, "1.0.1",
                  "Set multiple keys to multiple values", "key value [key value ...]"));
  t.Register(Spec("msetnx", -3, kGrow, kKeyValuePairs, CmdMSetNx, "1.0.1",
                  "Set multiple keys to multiple values, only if none of the keys exist",
                  "key value [key value ...]"));
  t.Register(Spec("append", 3, kGrowFast, kOneKey, CmdAppend, "2.0.0", "Append a value to a key",
                  "key value"));
  t.Register(Spec("strlen", 2, kRead, kOneKey, CmdStrLen, "2.2.0",
                  "Get the length of the value stored in a key", "key"));
  t.Register(Spec("incr", 2, kGrowFast, kOneKey, CmdIncr, "1.0.0",
                  "Increment the integer value of a key by one", "key"));
  t.Register(Spec("decr", 2, kGrowFast, kOneKey, CmdDecr, "1.0.0",
                  "Decrement the integer value of a key by one", "key"));
  t.Register(Spec("incrby", 3, kGrowFast, kOneKey, CmdIncrBy, "1.0.0",
                  "Increment the integer value of a key by the given amount", "key increment"));
  t.Register(Spec("decrby", 3, kGrowFast, kOneKey, CmdDecrBy, "1.0.0",
                  "Decrement the integer value of a key by the given number", "key decrement"));
  t.Register(Spec("incrbyfloat", 3, kGrowFast, kOneKey, CmdIncrByFloat, "2.6.0",
                  "Increment the float value of a key by the given amount", "key increment"));
  t.Register(Spec("getrange", 4, kCmdReadonly, kOneKey, CmdGetRange, "2.4.0",
                  "Get a substring of the string stored at a key", "key start end"));
  // SUBSTR is GETRANGE's name before Redis 2.0; clients still send it.
  t.Register(Spec("substr", 4, kCmdReadonly, kOneKey, CmdGetRange, "1.0.0",
                  "Get a substring of the string stored at a key", "key start end"));
  t.Register(Spec("setrange", 4, kGrow, kOneKey, CmdSetRange, "2.2.0",
                  "Overwrite part of a string at key starting at the specified offset",
                  "key offset value"));
  RegisterLcs(t);
}

}  // namespace kv
