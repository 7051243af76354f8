// Sorted-set commands: ZADD ZINCRBY ZREM ZCARD ZCOUNT ZLEXCOUNT ZSCORE ZMSCORE ZRANK ZREVRANK,
// the ZRANGE family (ZRANGE ZRANGESTORE ZREVRANGE ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
// ZREVRANGEBYLEX), ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN, with
// Redis 7.0's replies, errors and argument order (t_zset.c). The set operations (ZUNION ...)
// are in zset_setops.cc.
//
// Every range query is answered by ranks: a score or lex range is the pair of ranks "elements
// before min" and "elements up to max" (ZSetRef::CountBefore), so one walk by rank serves all
// of them and both encodings. Members are bytes (a native client's typed member is stored as
// its text); scores reply through SendDouble (RESP2: %.17g text, as Redis 7.0).

#include "commands/zset_family.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/scan_args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/glob.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

bool ParseScore(std::string_view s, double* out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  const std::string copy(s);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (static_cast<size_t>(end - copy.c_str()) != copy.size()) return false;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || std::fpclassify(v) == FP_ZERO))
    return false;
  if (std::isnan(v)) return false;
  *out = v;
  return true;
}

bool Resp3(const CommandContext& ctx) {
  // The reply's protocol, not the client's: a script answers RESP2 shapes to the Lua code of
  // a RESP3 client unless it called redis.setresp(3) (BullMQ reads ZRANGE WITHSCORES flat).
  return ctx.rb->keeps_types() || !ctx.rb->flat_pairs();
}

std::string_view MemberArg(const CommandContext& ctx, size_t pos, char* buf) {
  const ScalarView* typed = ctx.Typed(pos);
  if (!typed || IsNested(typed->type)) return ctx.args[pos];
  return CanonicalString(*typed, buf);
}

Entry* CreateZSet(Shard& shard, std::string_view key, bool big) {
  const NewContainer c = NewZSet(big);
  return shard.SetContainer(key, c.encoding, c.ptr, kNoExpire);
}

void ZSetDone(CommandContext& ctx, std::string_view key, ZSetRef& z, std::string_view event) {
  if (!event.empty()) ctx.Notify(keyspace_events::kZset, event, key);
  const bool empty = z.size() == 0;
  ctx.ShardFor(key).ContainerChanged(key, z.Commit(), empty, ctx.now_ms);
}

void SendItems(CommandContext& ctx, const std::vector<OwnedItem>& items, bool withscores) {
  const bool pairs = withscores && Resp3(ctx);
  ctx.rb->StartArray(static_cast<uint32_t>(items.size() * (withscores && !pairs ? 2 : 1)));
  for (const OwnedItem& it : items) {
    if (pairs) ctx.rb->StartArray(2);
    ctx.rb->SendBulk(it.member);
    if (withscores) ctx.rb->SendDouble(it.score);
  }
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  auto one = [](std::string_view s, double* v, bool* ex) {
    *ex = !s.empty() && s[0] == '(';
    if (*ex) s.remove_prefix(1);
    // strtod's rules as Redis uses them here: leading space and even "" (0) are accepted.
    const std::string copy(s);
    char* end = nullptr;
    *v = std::strtod(copy.c_str(), &end);
    return *end == '\0' && !std::isnan(*v);
  };
  return one(min, &r->min, &r->minex) && one(max, &r->max, &r->maxex);
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  auto one = [](std::string_view s, LexBound* b) {
    if (s.empty()) return false;
    switch (s[0]) {
      case '+':
      case '-':
        if (s.size() != 1) return false;
        b->inf = s[0] == '+' ? 1 : -1;
        return true;
      case '(':
      case '[':
        b->inf = 0;
        b->ex = s[0] == '(';
        b->text = s.substr(1);
        return true;
      default:
        return false;
    }
  };
  return one(min, &r->min) && one(max, &r->max);
}

std::pair<uint64_t, uint64_t> ScoreRanks(const ZSetRef& z, const ScoreRange& r) {
  const uint64_t lo = z.CountBefore(
      {r.minex ? ZBound::kScoreLessEq : ZBound::kScoreLess, r.min, {}});
  const uint64_t hi = z.CountBefore(
      {r.maxex ? ZBound::kScoreLess : ZBound::kScoreLessEq, r.max, {}});
  return {lo, hi < lo ? lo : hi};
}

std::pair<uint64_t, uint64_t> LexRanks(const ZSetRef& z, const LexRange& r) {
  auto count = [&](const LexBound& b, bool is_min) -> uint64_t {
    if (b.inf < 0) return 0;
    if (b.inf > 0) return z.size();
    // Below min: members < min (inclusive) or <= min (exclusive); up to max: the reverse.
    const bool or_equal = is_min ? b.ex : !b.ex;
    return z.CountBefore({or_equal ? ZBound::kLexLessEq : ZBound::kLexLess, 0, b.text});
  };
  const uint64_t lo = count(r.min, true);
  const uint64_t hi = count(r.max, false);
  return {lo, hi < lo ? lo : hi};
}

bool ZAddApply(CommandContext& ctx, std::string_view key, const ZAddFlags& f,
               std::span<const double> scores, std::span<const std::string> members,
               ZAddCounts* out) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kZSet, Access::kWrite, &wrong);
  if (wrong) return false;
  // Redis 7.0 picks the new key's encoding by its first member alone, then converts as it
  // adds: a -0 score added while it is a listpack reads 0 ever after, as there.
  if (!e && !f.xx) e = CreateZSet(ctx.ShardFor(key), key, ZSetNeedsTree(1, members[0].size()));
  if (!e) return true;
  ZSetRef z(e);
  ZAddCounts& c = *out;
  for (size_t i = 0; i < members.size(); ++i) {
    c.score = scores[i];
    const std::optional<double> cur = z.Score(members[i]);
    if (cur) {
      if (f.nx) continue;
      if (f.incr) {
        c.score += *cur;
        if (std::isnan(c.score)) {
          c.nan = true;
          break;
        }
      }
      if ((f.lt && c.score >= *cur) || (f.gt && c.score <= *cur)) continue;
      if (c.score != *cur) {
        z.Set(members[i], c.score);
        ++c.updated;
      }
      ++c.processed;
    } else if (!f.xx) {
      z.Set(members[i], c.score);
      ++c.added;
      ++c.processed;
    }
  }
  // As Redis: a ZADD that added and changed nothing wrote nothing (WATCH, the log).
  if (c.added > 0 || c.updated > 0 || z.size() == 0)
    ZSetDone(ctx, key, z, c.added + c.updated == 0 ? "" : f.incr ? "zincr" : "zadd");
  return true;
}

namespace {

constexpr std::string_view kNotFloat = "ERR min or max is not a float";
constexpr std::string_view kNotLex = "ERR min or max not valid string range item";

enum class RangeType { kAuto, kRank, kScore, kLex };

// The two bounds of a range by rank (start stop), score or lex (min max), parsed.
struct RangeBounds {
  RangeType type = RangeType::kRank;
  int64_t start = 0, end = 0;
  ScoreRange score;
  LexRange lex;
};

// Parses `min` `max` as a range of `type` (not kAuto), answering Redis's error when they are
// not one.
bool ParseBoundsOrReply(CommandContext& ctx, RangeType type, std::string_view min,
                        std::string_view max, RangeBounds* r) {
  r->type = type;
  switch (type) {
    case RangeType::kScore:
      if (ParseScoreRange(min, max, &r->score)) return true;
      ctx.rb->SendError(kNotFloat);
      return false;
    case RangeType::kLex:
      if (ParseLexRange(min, max, &r->lex)) return true;
      ctx.rb->SendError(kNotLex);
      return false;
    default:
      return ParseIntOrReply(ctx, min, &r->start) && ParseIntOrReply(ctx, max, &r->end);
  }
}

// The ranks [lo, hi) the range selects in `z`; a rank range's negative indexes count from the
// end and it is clamped to the set, as Redis's.
std::pair<uint64_t, uint64_t> BoundsRanks(const ZSetRef& z, const RangeBounds& r) {
  if (r.type == RangeType::kScore) return ScoreRanks(z, r.score);
  if (r.type == RangeType::kLex) return LexRanks(z, r.lex);
  const auto len = static_cast<int64_t>(z.size());
  int64_t start = r.start < 0 ? r.start + len : r.start;
  int64_t end = r.end < 0 ? r.end + len : r.end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return {0, 0};
  if (end >= len) end = len - 1;
  return {static_cast<uint64_t>(start), static_cast<uint64_t>(end + 1)};
}

// ------------------------------------------------------------------------------------------
// ZADD / ZINCRBY
// ------------------------------------------------------------------------------------------

void ZAddGeneric(CommandContext& ctx, bool incr) {
  ZAddFlags f;
  f.incr = incr;
  bool ch = false;
  size_t idx = 2;
  for (; idx < ctx.args.size(); ++idx) {
    const std::string_view opt = ctx.args[idx];
    if (EqualsIgnoreCase(opt, "nx")) {
      f.nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      f.xx = true;
    } else if (EqualsIgnoreCase(opt, "ch")) {
      ch = true;
    } else if (EqualsIgnoreCase(opt, "incr")) {
      f.incr = true;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      f.gt = true;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      f.lt = true;
    } else {
      break;
    }
  }
  const size_t rest = ctx.args.size() - idx;
  if (rest == 0 || rest % 2 != 0) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  const size_t elements = rest / 2;
  if (f.nx && f.xx) {
    ctx.rb->SendError("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    ctx.rb->SendError("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  if (f.incr && elements > 1) {
    ctx.rb->SendError("ERR INCR option supports a single increment-element pair");
    return;
  }
  std::vector<double> scores(elements);
  std::vector<std::string> members(elements);
  for (size_t i = 0; i < elements; ++i) {
    if (!ParseScore(ctx.args[idx + 2 * i], &scores[i])) {
      ctx.rb->SendError(errors::kNotFloat);
      return;
    }
    char buf[kScalarBufSize];
    members[i] = MemberArg(ctx, idx + 2 * i + 1, buf);
  }
  ZAddCounts c;
  if (!ZAddApply(ctx, ctx.args[1], f, scores, members, &c)) return;
  if (c.nan) {
    ctx.rb->SendError("ERR resulting score is not a number (NaN)");
  } else if (f.incr) {
    c.processed ? ctx.rb->SendDouble(c.score) : ctx.rb->SendNull();
  } else {
    ctx.rb->SendLong(ch ? c.added + c.updated : c.added);
  }
}

void CmdZAdd(CommandContext& ctx) { ZAddGeneric(ctx, false); }

// ZINCRBY key increment member is ZADD key INCR increment member (Redis parses its options the
// same way, so "ZINCRBY k nx m" is a syntax error there too).
void CmdZIncrBy(CommandContext& ctx) { ZAddGeneric(ctx, true); }

// ------------------------------------------------------------------------------------------
// Single-key reads and removals
// ------------------------------------------------------------------------------------------

void CmdZRem(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kZSet, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  ZSetRef z(e);
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    char buf[kScalarBufSize];
    if (z.Erase(MemberArg(ctx, i, buf))) ++deleted;
    if (z.size() == 0) break;
  }
  if (deleted) ZSetDone(ctx, key, z, "zrem");
  ctx.rb->SendLong(deleted);
}

void CmdZCard(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  ctx.rb->SendLong(e ? static_cast<int64_t>(ZSetRef(e).size()) : 0);
}

// ZCOUNT, ZLEXCOUNT.
void CountGeneric(CommandContext& ctx, RangeType type) {
  RangeBounds r;
  if (!ParseBoundsOrReply(ctx, type, ctx.args[2], ctx.args[3], &r)) return;
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  const auto [lo, hi] = BoundsRanks(ZSetRef(e), r);
  ctx.rb->SendLong(static_cast<int64_t>(hi - lo));
}

void CmdZCount(CommandContext& ctx) { CountGeneric(ctx, RangeType::kScore); }
void CmdZLexCount(CommandContext& ctx) { CountGeneric(ctx, RangeType::kLex); }

void CmdZScore(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  char buf[kScalarBufSize];
  const std::optional<double> s = e ? ZSetRef(e).Score(MemberArg(ctx, 2, buf)) : std::nullopt;
  s ? ctx.rb->SendDouble(*s) : ctx.rb->SendNull();
}

void CmdZMScore(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    char buf[kScalarBufSize];
    const std::optional<double> s = e ? ZSetRef(e).Score(MemberArg(ctx, i, buf)) : std::nullopt;
    s ? ctx.rb->SendDouble(*s) : ctx.rb->SendNull();
  }
}

void RankGeneric(CommandContext& ctx, bool reverse) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendNull();
    return;
  }
  ZSetRef z(e);
  char buf[kScalarBufSize];
  const std::optional<uint64_t> rank = z.Rank(MemberArg(ctx, 2, buf));
  if (!rank) {
    ctx.rb->SendNull();
    return;
  }
  ctx.rb->SendLong(static_cast<int64_t>(reverse ? z.size() - 1 - *rank : *rank));
}

void CmdZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
void CmdZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

// ------------------------------------------------------------------------------------------
// ZRANGE and friends (zrangeGenericCommand)
// ------------------------------------------------------------------------------------------

enum class Direction { kAuto, kForward, kReverse };

// Ranks [first, first+n) walking forward, or from `first` backward when reverse.
struct RankSpan {
  uint64_t first = 0;
  uint64_t n = 0;
};

// A by-score / by-lex span [lo, hi) with LIMIT applied (genericZrangebyscoreCommand).
RankSpan LimitSpan(uint64_t lo, uint64_t hi, bool reverse, int64_t offset, int64_t limit) {
  if (offset < 0) return {};
  const uint64_t n = hi - lo;
  const auto off = static_cast<uint64_t>(offset);
  if (off >= n) return {};
  uint64_t take = n - off;
  if (limit >= 0 && static_cast<uint64_t>(limit) < take) take = static_cast<uint64_t>(limit);
  return {reverse ? hi - 1 - off : lo + off, take};
}

void RangeGeneric(CommandContext& ctx, size_t argc_start, bool store, RangeType type,
                  Direction dir) {
  const std::string_view key = ctx.args[argc_start];
  size_t minidx = argc_start + 1, maxidx = argc_start + 2;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = argc_start + 3; j < ctx.args.size(); ++j) {
    const size_t left = ctx.args.size() - j - 1;
    const std::string_view a = ctx.args[j];
    if (!store && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
    } else if (EqualsIgnoreCase(a, "limit") && left >= 2) {
      if (!ParseIntOrReply(ctx, ctx.args[j + 1], &offset) ||
          !ParseIntOrReply(ctx, ctx.args[j + 2], &limit))
        return;
      j += 2;
    } else if (dir == Direction::kAuto && EqualsIgnoreCase(a, "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqualsIgnoreCase(a, "byscore")) {
      type = RangeType::kScore;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // Redis looks at the count alone: "LIMIT 1 -1" passes with a rank range.
  if (limit != -1 && type == RangeType::kRank) {
    ctx.rb->SendError(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withscores && type == RangeType::kLex) {
    ctx.rb->SendError("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  const bool reverse = dir == Direction::kReverse;
  if (reverse && type != RangeType::kRank) std::swap(minidx, maxidx);
  RangeBounds bounds;
  if (!ParseBoundsOrReply(ctx, type, ctx.args[minidx], ctx.args[maxidx], &bounds)) return;
  Shard& shard = ctx.ShardFor(key);
  Entry* e = FindRead(shard, key, ctx.now_ms);
  if (e && TypeOf(*e) != ObjType::kZSet) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  std::vector<OwnedItem> items;
  if (e) {
    ZSetRef z(e);
    const auto [lo, hi] = BoundsRanks(z, bounds);
    // A rank range counts from the end when reversed (ZREVRANGE 0 0 is the highest).
    const RankSpan span = type != RangeType::kRank ? LimitSpan(lo, hi, reverse, offset, limit)
                          : reverse ? RankSpan{z.size() - 1 - lo, hi - lo}
                                    : RankSpan{lo, hi - lo};
    items.reserve(span.n);
    z.Walk(span.first, span.n, reverse, [&](const ZItem& it) {
      items.push_back({std::string(it.member), it.score});
    });
  }
  if (!store) {
    SendItems(ctx, items, withscores);
    return;
  }
  ctx.rb->SendLong(static_cast<int64_t>(StoreItems(ctx, ctx.args[1], items, ctx.spec->name)));
}

void CmdZRange(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kAuto, Direction::kAuto);
}
void CmdZRangeStore(CommandContext& ctx) {
  RangeGeneric(ctx, 2, true, RangeType::kAuto, Direction::kAuto);
}
void CmdZRevRange(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kRank, Direction::kReverse);
}
void CmdZRangeByScore(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kForward);
}
void CmdZRevRangeByScore(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kScore, Direction::kReverse);
}
void CmdZRangeByLex(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kForward);
}
void CmdZRevRangeByLex(CommandContext& ctx) {
  RangeGeneric(ctx, 1, false, RangeType::kLex, Direction::kReverse);
}

// ------------------------------------------------------------------------------------------
// ZREMRANGEBY*
// ------------------------------------------------------------------------------------------

void RemRangeGeneric(CommandContext& ctx, RangeType type) {
  RangeBounds bounds;
  if (!ParseBoundsOrReply(ctx, type, ctx.args[2], ctx.args[3], &bounds)) return;
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kZSet, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  ZSetRef z(e);
  const auto [first, end] = BoundsRanks(z, bounds);
  const uint64_t n = end - first;
  if (n) {
    z.EraseRange(first, n);
    ZSetDone(ctx, key, z, ctx.spec->name);  // zremrangebyrank, ...byscore, ...bylex
  }
  ctx.rb->SendLong(static_cast<int64_t>(n));
}

void CmdZRemRangeByRank(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kRank); }
void CmdZRemRangeByScore(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kScore); }
void CmdZRemRangeByLex(CommandContext& ctx) { RemRangeGeneric(ctx, RangeType::kLex); }

// ------------------------------------------------------------------------------------------
// ZPOPMIN / ZPOPMAX / ZMPOP (genericZpopCommand)
// ------------------------------------------------------------------------------------------

// Pops from the first non-empty key of args[first, first + keyc). count -1: the single-pop
// reply shape. nested: ZMPOP's [key, [[member, score] ...]] shape.
void PopGeneric(CommandContext& ctx, size_t first, size_t keyc, bool max, int64_t count,
                bool nested) {
  Entry* e = nullptr;
  std::string_view key;
  for (size_t i = first; i < first + keyc; ++i) {
    bool wrong;
    e = FindTypedOrReply(ctx, ctx.args[i], ObjType::kZSet, Access::kWrite, &wrong);
    if (wrong) return;
    if (e) {
      key = ctx.args[i];
      break;
    }
  }
  if (!e) {
    nested ? ctx.rb->SendNullArray() : ctx.rb->StartArray(0);
    return;
  }
  if (count == 0) {
    ctx.rb->StartArray(0);
    return;
  }
  const bool single = count == -1;
  if (single) count = 1;
  ZSetRef z(e);
  const uint64_t n = std::min(static_cast<uint64_t>(count), z.size());
  const bool pairs = nested || (Resp3(ctx) && !single);
  if (nested) {
    ctx.rb->StartArray(2);
    ctx.rb->SendBulk(key);
  }
  ctx.rb->StartArray(static_cast<uint32_t>(pairs ? n : n * 2));
  const uint64_t start = max ? z.size() - 1 : 0;
  z.Walk(start, n, max, [&](const ZItem& it) {
    if (pairs) ctx.rb->StartArray(2);
    ctx.rb->SendBulk(it.member);
    ctx.rb->SendDouble(it.score);
  });
  z.EraseRange(max ? z.size() - n : 0, n);
  ZSetDone(ctx, key, z, max ? "zpopmax" : "zpopmin");
}

}  // namespace

void ZPopOneWithKey(CommandContext& ctx, std::string_view key, Entry* e, bool max) {
  ZSetRef z(e);
  ctx.rb->StartArray(3);
  ctx.rb->SendBulk(key);
  z.Walk(max ? z.size() - 1 : 0, 1, max, [&](const ZItem& it) {
    ctx.rb->SendBulk(it.member);
    ctx.rb->SendDouble(it.score);
  });
  z.EraseRange(max ? z.size() - 1 : 0, 1);
  ZSetDone(ctx, key, z, max ? "zpopmax" : "zpopmin");
}

namespace {

void PopMinMax(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  int64_t count = -1;
  if (ctx.args.size() == 3 && !ParsePositiveOrReply(ctx, ctx.args[2], {}, &count)) return;
  PopGeneric(ctx, 1, 1, max, count, false);
}

void CmdZPopMin(CommandContext& ctx) { PopMinMax(ctx, false); }
void CmdZPopMax(CommandContext& ctx) { PopMinMax(ctx, true); }

void CmdZMPop(CommandContext& ctx) {
  MPopArgs m;
  if (!ParseMPopOrReply(ctx, 1, "MIN", "MAX", &m)) return;
  PopGeneric(ctx, m.first_key, m.numkeys, !m.side_a, m.count, true);
}

// ------------------------------------------------------------------------------------------
// ZRANDMEMBER, ZSCAN
// ------------------------------------------------------------------------------------------

// ZSCAN sends scores as bulk text in every protocol: %.17g, as Redis 7.0.
std::string ScoreText(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  return {buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17).ptr};
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

void CmdZRandMember(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    bool wrong;
    Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
    if (wrong) return;
    if (!e) {
      ctx.rb->SendNull();
      return;
    }
    ZSetRef z(e);
    ctx.rb->SendBulk(z.Get(z.Seek(Rng()() % z.size())).member);
    return;
  }
  int64_t l;
  if (!ParseRangeOrReply(ctx, ctx.args[2], -INT64_MAX, INT64_MAX, {}, &l)) return;
  bool withscores = false;
  if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !EqualsIgnoreCase(ctx.args[3], "withscores"))) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  if (ctx.args.size() == 4) {
    withscores = true;
    if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
      ctx.rb->SendError("ERR value is out of range");
      return;
    }
  }
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  std::vector<OwnedItem> items;
  if (e && l != 0) {
    ZSetRef z(e);
    const uint64_t size = z.size();
    auto take = [&](uint64_t rank) {
      const ZItem it = z.Get(z.Seek(rank));
      items.push_back({std::string(it.member), it.score});
    };
    if (l < 0) {
      for (int64_t i = 0; i < -l; ++i) take(Rng()() % size);
    } else if (static_cast<uint64_t>(l) >= size) {
      z.Walk(0, size, false, [&](const ZItem& it) {
        items.push_back({std::string(it.member), it.score});
      });
    } else {
      // Distinct ranks: a partial Fisher-Yates over the rank space.
      std::vector<uint64_t> ranks(size);
      for (uint64_t i = 0; i < size; ++i) ranks[i] = i;
      for (uint64_t i = 0; i < static_cast<uint64_t>(l); ++i) {
        std::swap(ranks[i], ranks[i + Rng()() % (size - i)]);
        take(ranks[i]);
      }
    }
  }
  SendItems(ctx, items, withscores);
}

void CmdZScan(CommandContext& ctx) {
  ScanArgs scan;
  if (!ParseScanCursorOrReply(ctx, ctx.args[2], &scan.cursor)) return;
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kZSet, Access::kRead, &wrong);
  if (wrong) return;
  // Options are read after the lookup, as Redis: a missing key answers the empty scan.
  if (e && !ParseScanOptionsOrReply(ctx, 3, false, &scan)) return;
  const int64_t count = scan.count;
  const uint64_t cursor = scan.cursor;
  std::vector<OwnedItem> items;
  uint64_t next = 0;
  if (e) {
    ZSetRef z(e);
    auto keep = [&](std::string_view m, double s) {
      if (scan.Matches(m)) items.push_back({std::string(m), s});
    };
    if (z.is_pack()) {
      // A listpack is returned whole in one call, as Redis does.
      z.Walk(0, z.size(), false, [&](const ZItem& it) { keep(it.member, it.score); });
    } else {
      const uint64_t steps = static_cast<uint64_t>(count) * 10;
      uint64_t examined = 0, step = 0;
      next = cursor;
      do {
        next = z.tree()->Scan(next, [&](std::string_view m, double s) {
          ++examined;
          keep(m, s);
        });
      } while (next != 0 && examined < static_cast<uint64_t>(count) && ++step < steps);
    }
  }
  ctx.rb->StartArray(2);
  ctx.rb->SendBulk(std::to_string(next));
  ctx.rb->StartArray(static_cast<uint32_t>(items.size() * 2));
  for (const OwnedItem& it : items) {
    ctx.rb->SendBulk(it.member);
    ctx.rb->SendBulk(ScoreText(it.score));
  }
}

// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: the keys are args[2 .. 2+numkeys).
void NumKeysAt1(std::span<const std::string_view> args, std::vector<size_t>* out) {
  NumKeysAt(args, 1, out);
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, keys, h, "sorted_set", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

size_t StoreItems(CommandContext& ctx, std::string_view dst, const std::vector<OwnedItem>& items,
                  std::string_view event) {
  Shard& shard = ctx.ShardFor(dst);
  if (items.empty()) {
    if (shard.Erase(dst, ctx.now_ms)) {
      NoteWrite();
      ctx.Notify(keyspace_events::kGeneric, "del", dst);
    }
    return 0;
  }
  size_t max_len = 0;
  for (const OwnedItem& it : items) max_len = std::max(max_len, it.member.size());
  Entry* e = CreateZSet(shard, dst, ZSetNeedsTree(items.size(), max_len));
  ZSetRef z(e);
  for (const OwnedItem& it : items) z.Set(it.member, it.score);
  ZSetDone(ctx, dst, z, event);
  return z.size();
}

void RegisterZSetFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  constexpr uint32_t kWrite = kCmdWrite;
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kGrowFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  const KeyRange kDstSrc{1, 2, 1};
  t.Register(Spec("zadd", -4, kGrowFast, kOneKey, CmdZAdd, "1.2.0",
                  "Add one or more members to a sorted set, or update its score if it already "
                  "exists",
                  "key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"));
  t.Register(Spec("zincrby", 4, kGrowFast, kOneKey, CmdZIncrBy, "1.2.0",
                  "Increment the score of a member in a sorted set", "key increment member"));
  t.Register(Spec("zrem", -3, kWriteFast, kOneKey, CmdZRem, "1.2.0",
                  "Remove one or more members from a sorted set", "key member [member ...]"));
  t.Register(Spec("zcard", 2, kReadFast, kOneKey, CmdZCard, "1.2.0",
                  "Get the number of members in a sorted set", "key"));
  t.Register(Spec("zcount", 4, kReadFast, kOneKey, CmdZCount, "2.0.0",
                  "Count the members in a sorted set with scores within the given values",
                  "key min max"));
  t.Register(Spec("zlexcount", 4, kReadFast, kOneKey, CmdZLexCount, "2.8.9",
                  "Count the number of members in a sorted set between a given lexicographical "
                  "range",
                  "key min max"));
  t.Register(Spec("zscore", 3, kReadFast, kOneKey, CmdZScore, "1.2.0",
                  "Get the score associated with the given member in a sorted set",
                  "key member"));
  t.Register(Spec("zmscore", -3, kReadFast, kOneKey, CmdZMScore, "6.2.0",
                  "Get the score associated with the given members in a sorted set",
                  "key member [member ...]"));
  t.Register(Spec("zrank", 3, kReadFast, kOneKey, CmdZRank, "2.0.0",
                  "Determine the index of a member in a sorted set", "key member"));
  t.Register(Spec("zrevrank", 3, kReadFast, kOneKey, CmdZRevRank, "2.0.0",
                  "Determine the index of a member in a sorted set, with scores ordered from "
                  "high to low",
                  "key member"));
  t.Register(Spec("zrange", -4, kRead, kOneKey, CmdZRange, "1.2.0",
                  "Return a range of members in a sorted set",
                  "key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"));
  CommandSpec zrangestore = Spec("zrangestore", -5, kGrow, kDstSrc, CmdZRangeStore, "6.2.0",
                                 "Store a range of members from sorted set into another key",
                                 "dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]");
  zrangestore.read_keys_from = 2;  // the source is only read (Redis's RO key spec)
  t.Register(std::move(zrangestore));
  t.Register(Spec("zrevrange", -4, kRead, kOneKey, CmdZRevRange, "1.2.0",
                  "Return a range of members in a sorted set, by index, with scores ordered "
                  "from high to low",
                  "key start stop [WITHSCORES]"));
  t.Register(Spec("zrangebyscore", -4, kRead, kOneKey, CmdZRangeByScore, "1.0.5",
                  "Return a range of members in a sorted set, by score",
                  "key min max [WITHSCORES] [LIMIT offset count]"));
  t.Register(Spec("zrevrangebyscore", -4, kRead, kOneKey, CmdZRevRangeByScore, "2.2.0",
                  "Return a range of members in a sorted set, by score, with scores ordered "
                  "from high to low",
                  "key max min [WITHSCORES] [LIMIT offset count]"));
  t.Register(Spec("zrangebylex", -4, kRead, kOneKey, CmdZRangeByLex, "2.8.9",
                  "Return a range of members in a sorted set, by lexicographical range",
                  "key min max [LIMIT offset count]"));
  t.Register(Spec("zrevrangebylex", -4, kRead, kOneKey, CmdZRevRangeByLex, "2.8.9",
                  "Return a range of members in a sorted set, by lexicographical range, ordered "
                  "from higher to lower strings",
                  "key max min [LIMIT offset count]"));
  t.Register(Spec("zremrangebyrank", 4, kWrite, kOneKey, CmdZRemRangeByRank, "2.0.0",
                  "Remove all members in a sorted set within the given indexes",
                  "key start stop"));
  t.Register(Spec("zremrangebyscore", 4, kWrite, kOneKey, CmdZRemRangeByScore, "1.2.0",
                  "Remove all members in a sorted set within the given scores", "key min max"));
  t.Register(Spec("zremrangebylex", 4, kWrite, kOneKey, CmdZRemRangeByLex, "2.8.9",
                  "Remove all members in a sorted set between the given lexicographical range",
                  "key min max"));
  t.Register(Spec("zpopmin", -2, kWriteFast, kOneKey, CmdZPopMin, "5.0.0",
                  "Remove and return members with the lowest scores in a sorted set",
                  "key [count]"));
  t.Register(Spec("zpopmax", -2, kWriteFast, kOneKey, CmdZPopMax, "5.0.0",
                  "Remove and return members with the highest scores in a sorted set",
                  "key [count]"));
  CommandSpec zmpop = Spec("zmpop", -4, kWrite, kNoKeys, CmdZMPop, "7.0.0",
                           "Remove and return members with scores in a sorted set",
                           "numkeys key [key ...] MIN|MAX [COUNT count]");
  zmpop.find_keys = NumKeysAt1;
  t.Register(std::move(zmpop));
  t.Register(Spec("zrandmember", -2, kRead, kOneKey, CmdZRandMember, "6.2.0",
                  "Get one or multiple random elements from a sorted set",
                  "key [count [WITHSCORES]]"));
  t.Register(Spec("zscan", -3, kRead, kOneKey, CmdZScan, "2.8.0",
                  "Incrementally iterate sorted sets elements and associated scores",
                  "key cursor [MATCH pattern] [COUNT count]"));
  RegisterZSetOps(t);
}

}  // namespace kv
