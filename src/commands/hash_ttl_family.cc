// Hash field TTLs: HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME HPEXPIRETIME
// HPERSIST, with Redis 7.4's replies, errors and argument order (t_hash.c: the key's type is
// checked first, then the time, the FIELDS keyword, numfields and the field count).
//
// Every command answers one integer per field: -2 when the field (or the key) is missing,
// then per command: HEXPIRE* 0 (NX/XX/GT/LT not met), 1 (set), 2 (deleted: the time is not in
// the future); HTTL* -1 (no TTL) or the value; HPERSIST -1 (no TTL) or 1. The shard has already
// removed expired fields when a handler finds the hash (Shard::Peek), so an expired field is
// a missing one here.
//
// The log gets HEXPIRE and its relatives as HPEXPIREAT with the absolute deadline, as EXPIRE
// is logged as PEXPIREAT, so a replay sets the same deadlines.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/hash.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

// Redis 7.4's HFE_MAX_ABS_TIME_MSEC: field deadlines are 48-bit times with 2 bits reserved.
constexpr int64_t kMaxFieldDeadline = (int64_t{1} << 46) - 1;

enum class Cond { kNone, kNx, kXx, kGt, kLt };

constexpr std::string_view kFieldsMissing =
    "ERR Mandatory argument FIELDS is missing or not at the right position";
constexpr std::string_view kNumFieldsMismatch =
    "ERR The `numfields` parameter must match the number of arguments";

// Checks `FIELDS numfields field...` starting at args[at]; on success the fields are
// args[at + 2 ...]. `bad_count`: the error for a numfields that is not a positive integer.
bool ParseFieldsOrReply(CommandContext& ctx, size_t at, std::string_view bad_count) {
  if (!EqualsIgnoreCase(ctx.args[at], "FIELDS")) {
    ctx.rb->SendError(kFieldsMissing);
    return false;
  }
  int64_t n;
  if (!ParseRangeOrReply(ctx, ctx.args[at + 1], 1, INT64_MAX, bad_count, &n)) return false;
  if (static_cast<uint64_t>(n) != ctx.args.size() - at - 2) {
    ctx.rb->SendError(kNumFieldsMismatch);
    return false;
  }
  return true;
}

void SendAllMissing(CommandContext& ctx, size_t count) {
  ctx.rb->StartArray(static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) ctx.rb->SendLong(-2);
}

// One field's HEXPIRE outcome (hashTypeSetExpiry): the condition first, then a time not in
// the future deletes the field. A field without a TTL counts as one that never expires.
int64_t ExpireField(Entry* e, std::string_view field, int64_t when, Cond cond,
                    int64_t now_ms) {
  int64_t at;
  if (!HashFieldExpire(*e, field, &at)) return -2;
  const bool has = at != kNoExpire;
  if ((cond == Cond::kNx && has) || (cond == Cond::kXx && !has) ||
      (cond == Cond::kGt && (!has || when <= at)) || (cond == Cond::kLt && has && when >= at))
    return 0;
  if (when <= now_ms) {
    HashDelete(e, field);
    return 2;
  }
  HashSetFieldExpire(e, field, when);
  return 1;
}

// HEXPIRE / HPEXPIRE (basetime = now) and HEXPIREAT / HPEXPIREAT (basetime = 0).
void HExpireGeneric(CommandContext& ctx, int64_t basetime, bool seconds) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kHash, Access::kWrite, &wrong);
  if (wrong) return;
  int64_t when;
  if (!ParseIntOrReply(ctx, ctx.args[2], &when)) return;
  if (when < 0) {
    ctx.rb->SendError("ERR invalid expire time, must be >= 0");
    return;
  }
  const std::string invalid = fmt::format(fmt::runtime(errors::kInvalidExpire), ctx.spec->name);
  if (seconds) {
    if (when > kMaxFieldDeadline / 1000) {
      ctx.rb->SendError(invalid);
      return;
    }
    when *= 1000;
  }
  if (when > kMaxFieldDeadline - basetime) {
    ctx.rb->SendError(invalid);
    return;
  }
  when += basetime;
  Cond cond = Cond::kNone;
  const std::string_view opt = ctx.args[3];
  if (EqualsIgnoreCase(opt, "NX")) cond = Cond::kNx;
  if (EqualsIgnoreCase(opt, "XX")) cond = Cond::kXx;
  if (EqualsIgnoreCase(opt, "GT")) cond = Cond::kGt;
  if (EqualsIgnoreCase(opt, "LT")) cond = Cond::kLt;
  const size_t fields_at = cond == Cond::kNone ? 3 : 4;
  if (!ParseFieldsOrReply(ctx, fields_at, "ERR Parameter `numFields` should be greater than 0"))
    return;
  const size_t first = fields_at + 2, count = ctx.args.size() - first;
  if (!e) {
    SendAllMissing(ctx, count);
    return;
  }
  Shard& shard = ctx.ShardFor(key);
  const auto before = static_cast<int64_t>(ContainerBytes(*e));
  std::vector<int64_t> codes;
  codes.reserve(count);
  bool changed = false, set = false, deleted = false;
  for (size_t i = first; i < ctx.args.size(); ++i) {
    codes.push_back(ExpireField(e, ctx.args[i], when, cond, ctx.now_ms));
    changed |= codes.back() >= 1;
    set |= codes.back() == 1;
    deleted |= codes.back() == 2;
  }
  if (changed) {
    // As Redis 7.4: one event, "hdel" when a deadline already past deleted fields.
    ctx.Notify(ev::kHash, deleted ? "hdel" : "hexpire", key);
    const bool empty = HashLen(*e) == 0;
    if (set && !empty) shard.TrackFieldTtl(key);
    shard.ContainerChanged(key, static_cast<int64_t>(ContainerBytes(*e)) - before, empty,
                           ctx.now_ms);
    // The deterministic form: the absolute deadline, the same condition and fields.
    std::vector<std::string> logged{"HPEXPIREAT", std::string(key), std::to_string(when)};
    if (cond != Cond::kNone) logged.emplace_back(opt);
    for (size_t i = fields_at; i < ctx.args.size(); ++i) logged.emplace_back(ctx.args[i]);
    ctx.log_as = std::move(logged);
    ctx.log_as_typed.clear();
  }
  ctx.rb->StartArray(static_cast<uint32_t>(codes.size()));
  for (int64_t c : codes) ctx.rb->SendLong(c);
}

void CmdHExpire(CommandContext& ctx) { HExpireGeneric(ctx, ctx.now_ms, true); }
void CmdHPExpire(CommandContext& ctx) { HExpireGeneric(ctx, ctx.now_ms, false); }
void CmdHExpireAt(CommandContext& ctx) { HExpireGeneric(ctx, 0, true); }
void CmdHPExpireAt(CommandContext& ctx) { HExpireGeneric(ctx, 0, false); }

constexpr std::string_view kBadFieldCount = "ERR Number of fields must be a positive integer";

// HTTL's and HPERSIST's `key FIELDS numfields field...`: the hash, or nullptr once the reply
// is sent (WRONGTYPE, a FIELDS error, or -2 for every field of a missing key).
Entry* FieldsTargetOrReply(CommandContext& ctx, Access access) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kHash, access, &wrong);
  if (wrong || !ParseFieldsOrReply(ctx, 2, kBadFieldCount)) return nullptr;
  if (!e) SendAllMissing(ctx, ctx.args.size() - 4);
  return e;
}

// HTTL HPTTL HEXPIRETIME HPEXPIRETIME (httlGenericCommand). Seconds round up, as Redis 7.4's
// (ms + 999) / 1000 does.
void HTtlGeneric(CommandContext& ctx, bool output_ms, bool absolute) {
  Entry* e = FieldsTargetOrReply(ctx, Access::kRead);
  if (!e) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 4));
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    int64_t at;
    if (!HashFieldExpire(*e, ctx.args[i], &at)) {
      ctx.rb->SendLong(-2);
    } else if (at == kNoExpire) {
      ctx.rb->SendLong(-1);
    } else {
      const int64_t ms = absolute ? at : at - ctx.now_ms;
      ctx.rb->SendLong(output_ms ? ms : (ms + 999) / 1000);
    }
  }
}

void CmdHTtl(CommandContext& ctx) { HTtlGeneric(ctx, false, false); }
void CmdHPTtl(CommandContext& ctx) { HTtlGeneric(ctx, true, false); }
void CmdHExpireTime(CommandContext& ctx) { HTtlGeneric(ctx, false, true); }
void CmdHPExpireTime(CommandContext& ctx) { HTtlGeneric(ctx, true, true); }

void CmdHPersist(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Entry* e = FieldsTargetOrReply(ctx, Access::kWrite);
  if (!e) return;
  const size_t count = ctx.args.size() - 4;
  const auto before = static_cast<int64_t>(ContainerBytes(*e));
  std::vector<int64_t> codes;
  codes.reserve(count);
  bool changed = false;
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    int64_t at;
    if (!HashFieldExpire(*e, ctx.args[i], &at)) {
      codes.push_back(-2);
    } else if (at == kNoExpire) {
      codes.push_back(-1);
    } else {
      HashSetFieldExpire(e, ctx.args[i], kNoExpire);
      codes.push_back(1);
      changed = true;
    }
  }
  if (changed) ctx.Notify(ev::kHash, "hpersist", key);
  if (changed)
    ctx.ShardFor(key).ContainerChanged(key, static_cast<int64_t>(ContainerBytes(*e)) - before,
                                       false, ctx.now_ms);
  ctx.rb->StartArray(static_cast<uint32_t>(codes.size()));
  for (int64_t c : codes) ctx.rb->SendLong(c);
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, CommandHandler h,
                 std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, kOneKey, h, "hash", "7.4.0",
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterHashTtl(CommandTable& t) {
  constexpr uint32_t kExpire = kCmdWrite | kCmdDenyOom | kCmdFast;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  const std::string cond = " [NX | XX | GT | LT] FIELDS numfields field [field ...]";
  const std::string fields = "key FIELDS numfields field [field ...]";
  t.Register(Spec("hexpire", -6, kExpire, CmdHExpire,
                  "Set expiry for hash field using relative time to expire (seconds)",
                  "key seconds" + cond));
  t.Register(Spec("hpexpire", -6, kExpire, CmdHPExpire,
                  "Set expiry for hash field using relative time to expire (milliseconds)",
                  "key milliseconds" + cond));
  t.Register(Spec("hexpireat", -6, kExpire, CmdHExpireAt,
                  "Set expiry for hash field using an absolute Unix timestamp (seconds)",
                  "key unix-time-seconds" + cond));
  t.Register(Spec("hpexpireat", -6, kExpire, CmdHPExpireAt,
                  "Set expiry for hash field using an absolute Unix timestamp (milliseconds)",
                  "key unix-time-milliseconds" + cond));
  t.Register(Spec("httl", -5, kReadFast, CmdHTtl, "Returns the TTL in seconds of a hash field.",
                  fields));
  t.Register(Spec("hpttl", -5, kReadFast, CmdHPTtl,
                  "Returns the TTL in milliseconds of a hash field.", fields));
  t.Register(Spec("hexpiretime", -5, kReadFast, CmdHExpireTime,
                  "Returns the expiration time of a hash field as a Unix timestamp, in seconds.",
                  fields));
  t.Register(Spec("hpexpiretime", -5, kReadFast, CmdHPExpireTime,
                  "Returns the expiration time of a hash field as a Unix timestamp, in msec.",
                  fields));
  t.Register(Spec("hpersist", -5, kCmdWrite | kCmdFast, CmdHPersist,
                  "Removes the expiration time for each specified field", fields));
}

}  // namespace kv
