// Hash commands: HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HGETALL HKEYS HVALS
// HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, with Redis 7.0's replies, errors and argument order
// (t_hash.c: what is parsed before the key is looked up decides which error a client sees).
//
// Field TTLs (HEXPIRE ...) are in hash_ttl_family.cc. The shard removes expired fields before
// a handler finds the hash (Shard::Peek), so these handlers never see one; HSET clears a
// field's TTL, HINCRBY and HINCRBYFLOAT keep it, as Redis 7.4 does.
//
// Fields are bytes; values are typed: RESP writes Bytes, a native client what it sent (an Int,
// a Decimal, a nested List or Map), HINCRBY stores an Int and HINCRBYFLOAT a Float when the
// Float reads back as the same text. Reads give each value back as stored (over RESP as its
// canonical text, a nested value as an aggregate).
//
// The container (core/hash.h) knows nothing of commands; handlers change it and report the
// size change to the shard (memory accounting, the write count, deleting an emptied hash).

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/args.h"
#include "commands/scan_args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/glob.h"
#include "core/hash.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

namespace {

constexpr size_t kLongDoubleBufSize = 5 * 1024;

ScalarView ValueArg(const CommandContext& ctx, size_t pos) {
  const ScalarView* typed = ctx.Typed(pos);
  return typed ? *typed : ScalarView::Bytes(ctx.args[pos]);
}

uint64_t NextRandom() {
  thread_local uint64_t state =
      std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A hash opened for writing: created empty when missing, its size change reported on Done.
class HashWrite {
 public:
  HashWrite(Shard& shard, std::string_view key, Entry* e, int64_t now_ms)
      : shard_(shard), key_(key), now_ms_(now_ms) {
    e_ = e ? e : shard.SetContainer(key, NewHashEncoding(), NewHashContainer(), kNoExpire);
    before_ = static_cast<int64_t>(ContainerBytes(*e_));
  }
  Entry* operator->() { return e_; }
  Entry* get() { return e_; }
  // Announces `event` (before the "del" of an emptied hash, as Redis orders them).
  void Done(const CommandContext& ctx, std::string_view event) {
    ctx.Notify(keyspace_events::kHash, event, key_);
    const int64_t delta = static_cast<int64_t>(ContainerBytes(*e_)) - before_;
    shard_.ContainerChanged(key_, delta, HashLen(*e_) == 0, now_ms_);
  }

 private:
  Shard& shard_;
  std::string_view key_;
  int64_t now_ms_;
  Entry* e_;
  int64_t before_;
};

Entry* FindHash(CommandContext& ctx, Access access, bool* wrong) {
  return FindTypedOrReply(ctx, ctx.args[1], ObjType::kHash, access, wrong);
}

// ------------------------------------------------------------------------------------------
// Handlers
// ------------------------------------------------------------------------------------------

void HSetGeneric(CommandContext& ctx, bool reply_count) {
  if (ctx.args.size() % 2 == 1) {
    ctx.rb->SendError(errors::WrongArity(AsciiLower(ctx.args[0])));
    return;
  }
  bool wrong;
  Entry* e = FindHash(ctx, Access::kWrite, &wrong);
  if (wrong) return;
  HashWrite h(ctx.ShardFor(ctx.args[1]), ctx.args[1], e, ctx.now_ms);
  int64_t created = 0;
  for (size_t i = 2; i < ctx.args.size(); i += 2)
    created += HashSet(h.get(), ctx.args[i], ValueArg(ctx, i + 1)) ? 1 : 0;
  h.Done(ctx, "hset");
  if (reply_count)
    ctx.rb->SendLong(created);
  else
    ctx.rb->SendOk();
}

void CmdHSet(CommandContext& ctx) { HSetGeneric(ctx, true); }
void CmdHMSet(CommandContext& ctx) { HSetGeneric(ctx, false); }

void CmdHSetNx(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kWrite, &wrong);
  if (wrong) return;
  ScalarView v;
  if (e && HashGet(*e, ctx.args[2], &v)) {
    ctx.rb->SendLong(0);
    return;
  }
  HashWrite h(ctx.ShardFor(ctx.args[1]), ctx.args[1], e, ctx.now_ms);
  HashSet(h.get(), ctx.args[2], ValueArg(ctx, 3));
  h.Done(ctx, "hset");
  ctx.rb->SendLong(1);
}

void CmdHGet(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  ScalarView v;
  if (e && HashGet(*e, ctx.args[2], &v))
    ctx.rb->SendScalar(v);
  else
    ctx.rb->SendNull();
}

void CmdHMGet(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ScalarView v;
    if (e && HashGet(*e, ctx.args[i], &v))
      ctx.rb->SendScalar(v);
    else
      ctx.rb->SendNull();
  }
}

void CmdHDel(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  HashWrite h(ctx.ShardFor(ctx.args[1]), ctx.args[1], e, ctx.now_ms);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size() && HashLen(*h.get()) > 0; ++i)
    deleted += HashDelete(h.get(), ctx.args[i]) ? 1 : 0;
  if (deleted > 0) h.Done(ctx, "hdel");
  ctx.rb->SendLong(deleted);
}

void CmdHLen(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  ctx.rb->SendLong(e ? static_cast<int64_t>(HashLen(*e)) : 0);
}

void CmdHStrLen(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  ScalarView v;
  if (!e || !HashGet(*e, ctx.args[2], &v)) {
    ctx.rb->SendLong(0);
    return;
  }
  char buf[kScalarBufSize];
  ctx.rb->SendLong(static_cast<int64_t>(CanonicalString(v, buf).size()));
}

void CmdHExists(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  ScalarView v;
  ctx.rb->SendLong(e && HashGet(*e, ctx.args[2], &v) ? 1 : 0);
}

enum GetAllFlags { kFields = 1, kValues = 2 };

void GetAllGeneric(CommandContext& ctx, int flags) {
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  if (e && flags == (kFields | kValues) && ctx.rb->keeps_types()) {
    // A native client gets what its GET gets: a Map, or [field, value] pairs when a field is
    // not UTF-8 (a Map key must be).
    std::string whole;
    ctx.rb->SendScalar(WholeValue(*e, &whole));
    return;
  }
  const auto n = static_cast<uint32_t>(e ? HashLen(*e) : 0);
  if (flags == (kFields | kValues))
    ctx.rb->StartMap(n);
  else
    ctx.rb->StartArray(n);
  if (!e) return;
  HashForEach(*e, [&](std::string_view f, const ScalarView& v) {
    if (flags & kFields) ctx.rb->SendBulk(f);
    if (flags & kValues) ctx.rb->SendScalar(v);
  });
}

void CmdHGetAll(CommandContext& ctx) { GetAllGeneric(ctx, kFields | kValues); }
void CmdHKeys(CommandContext& ctx) { GetAllGeneric(ctx, kFields); }
void CmdHVals(CommandContext& ctx) { GetAllGeneric(ctx, kValues); }

void CmdHIncrBy(CommandContext& ctx) {
  int64_t incr;
  if (!ParseIntOrReply(ctx, ctx.args[3], &incr)) return;
  bool wrong;
  Entry* e = FindHash(ctx, Access::kWrite, &wrong);
  if (wrong) return;
  int64_t value = 0;
  ScalarView cur;
  if (e && HashGet(*e, ctx.args[2], &cur)) {
    if (cur.type == ScalarType::kInt) {
      value = cur.i;
    } else {
      char buf[kScalarBufSize];
      const auto parsed = IsNested(cur.type) ? std::nullopt : ParseInt64(CanonicalString(cur, buf));
      if (!parsed) {
        ctx.rb->SendError("ERR hash value is not an integer");
        return;
      }
      value = *parsed;
    }
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    ctx.rb->SendError(errors::kOverflow);
    return;
  }
  value += incr;
  HashWrite h(ctx.ShardFor(ctx.args[1]), ctx.args[1], e, ctx.now_ms);
  // The value changes in place, so a field TTL stays (Redis 7.4's HASH_SET_KEEP_TTL).
  HashSet(h.get(), ctx.args[2], ScalarView::Int(value), /*keep_ttl=*/true);
  h.Done(ctx, "hincrby");
  ctx.rb->SendLong(value);
}

void CmdHIncrByFloat(CommandContext& ctx) {
  long double incr;
  if (!ParseDoubleOrReply(ctx, ctx.args[3], &incr)) return;
  if (std::isnan(incr) || std::isinf(incr)) {
    ctx.rb->SendError("ERR value is NaN or Infinity");
    return;
  }
  bool wrong;
  Entry* e = FindHash(ctx, Access::kWrite, &wrong);
  if (wrong) return;
  long double value = 0;
  ScalarView cur;
  if (e && HashGet(*e, ctx.args[2], &cur)) {
    if (cur.type == ScalarType::kInt) {
      value = static_cast<long double>(cur.i);
    } else {
      char buf[kScalarBufSize];
      const auto parsed =
          IsNested(cur.type) ? std::nullopt : ParseLongDouble(CanonicalString(cur, buf));
      if (!parsed) {
        ctx.rb->SendError("ERR hash value is not a float");
        return;
      }
      value = *parsed;
    }
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.rb->SendError(errors::kIncrFloatNaN);
    return;
  }
  char text[kLongDoubleBufSize];
  const std::string_view out(text, FormatLongDouble(value, text, sizeof(text)));
  // Stored as a Float when it reads back as the same text (a native client then gets a number),
  // else as the text Redis stores.
  const double d = static_cast<double>(value);
  char canon[kScalarBufSize];
  const bool as_float = std::isfinite(d) && CanonicalString(ScalarView::Float(d), canon) == out;
  HashWrite h(ctx.ShardFor(ctx.args[1]), ctx.args[1], e, ctx.now_ms);
  HashSet(h.get(), ctx.args[2], as_float ? ScalarView::Float(d) : ScalarView::Bytes(out),
          /*keep_ttl=*/true);
  h.Done(ctx, "hincrbyfloat");
  ctx.rb->SendBulk(out);
}

// One field and its value, as views into an unchanged hash.
using Pair = std::pair<std::string_view, ScalarView>;

std::vector<Pair> AllPairs(const Entry& e) {
  std::vector<Pair> all;
  all.reserve(HashLen(e));
  HashForEach(e, [&](std::string_view f, const ScalarView& v) { all.emplace_back(f, v); });
  return all;
}

void SendPairs(CommandContext& ctx, const std::vector<const Pair*>& picked, bool withvalues) {
  const bool flat = ctx.rb->flat_pairs();
  const auto n = static_cast<uint32_t>(picked.size());
  ctx.rb->StartArray(withvalues && flat ? n * 2 : n);
  for (const Pair* p : picked) {
    if (withvalues && !flat) ctx.rb->StartArray(2);
    ctx.rb->SendBulk(p->first);
    if (withvalues) ctx.rb->SendScalar(p->second);
  }
}

void CmdHRandField(CommandContext& ctx) {
  if (ctx.args.size() < 3) {
    bool wrong;
    Entry* e = FindHash(ctx, Access::kRead, &wrong);
    if (wrong) return;
    if (!e) {
      ctx.rb->SendNull();
      return;
    }
    std::string_view field;
    ScalarView value;
    HashRandom(*e, NextRandom(), &field, &value);
    ctx.rb->SendBulk(field);
    return;
  }
  int64_t l;
  if (!ParseRangeOrReply(ctx, ctx.args[2], -INT64_MAX, INT64_MAX, "", &l)) return;
  bool withvalues = false;
  if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !EqualsIgnoreCase(ctx.args[3], "WITHVALUES"))) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  if (ctx.args.size() == 4) {
    withvalues = true;
    if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
      ctx.rb->SendError("ERR value is out of range");
      return;
    }
  }
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  if (!e || l == 0) {
    ctx.rb->StartArray(0);
    return;
  }
  if (l < 0 || l == 1) {
    // Repetitions allowed: each pick independent.
    const auto count = static_cast<uint64_t>(l < 0 ? -l : l);
    // The reply is built as it goes: a huge negative count needs no huge vector.
    const bool flat = ctx.rb->flat_pairs();
    ctx.rb->StartArray(static_cast<uint32_t>(withvalues && flat ? count * 2 : count));
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view field;
      ScalarView value;
      HashRandom(*e, NextRandom(), &field, &value);
      if (withvalues && !flat) ctx.rb->StartArray(2);
      ctx.rb->SendBulk(field);
      if (withvalues) ctx.rb->SendScalar(value);
    }
    return;
  }
  // Distinct fields: drawn from all of them (the reply is about as big as the hash anyway
  // once count nears its size; Redis samples when count is small, to the same effect).
  const std::vector<Pair> all = AllPairs(*e);
  std::vector<const Pair*> picked;
  picked.reserve(all.size());
  for (const Pair& p : all) picked.push_back(&p);
  const auto count = static_cast<uint64_t>(l);
  if (count < picked.size()) {
    // A uniform subset: a partial Fisher-Yates shuffle.
    for (size_t i = 0; i < count; ++i)
      std::swap(picked[i], picked[i + NextRandom() % (picked.size() - i)]);
    picked.resize(count);
  }
  SendPairs(ctx, picked, withvalues);
}

void CmdHScan(CommandContext& ctx) {
  ScanArgs scan;
  if (!ParseScanCursorOrReply(ctx, ctx.args[2], &scan.cursor)) return;
  bool wrong;
  Entry* e = FindHash(ctx, Access::kRead, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->StartArray(2);
    ctx.rb->SendBulk("0");
    ctx.rb->StartArray(0);
    return;
  }
  if (!ParseScanOptionsOrReply(ctx, 3, false, &scan)) return;
  const int64_t count = scan.count;
  const uint64_t cursor = scan.cursor;
  std::vector<Pair> found;
  const uint64_t next = HashScan(*e, cursor, static_cast<size_t>(count),
                                 [&](std::string_view f, const ScalarView& v) {
                                   if (scan.Matches(f))
                                     found.emplace_back(f, v);
                                 });
  ctx.rb->StartArray(2);
  ctx.rb->SendBulk(std::to_string(next));
  ctx.rb->StartArray(static_cast<uint32_t>(found.size() * 2));
  for (const Pair& p : found) {
    ctx.rb->SendBulk(p.first);
    ctx.rb->SendScalar(p.second);
  }
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, kOneKey, h, "hash", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterHashFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr uint32_t kGrowFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  t.Register(Spec("hset", -4, kGrowFast, CmdHSet, "2.0.0",
                  "Set the string value of a hash field", "key field value [field value ...]"));
  t.Register(Spec("hsetnx", 4, kGrowFast, CmdHSetNx, "2.0.0",
                  "Set the value of a hash field, only if the field does not exist",
                  "key field value"));
  t.Register(Spec("hmset", -4, kGrowFast, CmdHMSet, "2.0.0",
                  "Set multiple hash fields to multiple values",
                  "key field value [field value ...]"));
  t.Register(Spec("hget", 3, kReadFast, CmdHGet, "2.0.0", "Get the value of a hash field",
                  "key field"));
  t.Register(Spec("hmget", -3, kReadFast, CmdHMGet, "2.0.0",
                  "Get the values of all the given hash fields", "key field [field ...]"));
  t.Register(Spec("hdel", -3, kWriteFast, CmdHDel, "2.0.0", "Delete one or more hash fields",
                  "key field [field ...]"));
  t.Register(Spec("hlen", 2, kReadFast, CmdHLen, "2.0.0", "Get the number of fields in a hash",
                  "key"));
  t.Register(Spec("hstrlen", 3, kReadFast, CmdHStrLen, "3.2.0",
                  "Get the length of the value of a hash field", "key field"));
  t.Register(Spec("hexists", 3, kReadFast, CmdHExists, "2.0.0",
                  "Determine if a hash field exists", "key field"));
  t.Register(Spec("hgetall", 2, kRead, CmdHGetAll, "2.0.0",
                  "Get all the fields and values in a hash", "key"));
  t.Register(Spec("hkeys", 2, kRead, CmdHKeys, "2.0.0", "Get all the fields in a hash", "key"));
  t.Register(Spec("hvals", 2, kRead, CmdHVals, "2.0.0", "Get all the values in a hash", "key"));
  t.Register(Spec("hincrby", 4, kGrowFast, CmdHIncrBy, "2.0.0",
                  "Increment the integer value of a hash field by the given number",
                  "key field increment"));
  t.Register(Spec("hincrbyfloat", 4, kGrowFast, CmdHIncrByFloat, "2.6.0",
                  "Increment the float value of a hash field by the given amount",
                  "key field increment"));
  t.Register(Spec("hrandfield", -2, kRead, CmdHRandField, "6.2.0",
                  "Get one or multiple random fields from a hash",
                  "key [count [WITHVALUES]]"));
  t.Register(Spec("hscan", -3, kRead, CmdHScan, "2.8.0",
                  "Incrementally iterate hash fields and associated values",
                  "key cursor [MATCH pattern] [COUNT count]"));
  RegisterHashTtl(t);
}

}  // namespace kv
