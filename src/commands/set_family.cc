// Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER
// SINTERCARD SUNION SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SSCAN, with Redis 7.0's replies,
// errors and argument order (t_set.c).
//
// Members are typed: RESP adds Bytes, a native client adds what it sent (an Int, a String, a
// Decimal), and membership compares canonical text, so a native Int 5 and the RESP bytes "5"
// are one member (the first to arrive keeps its type; an intset keeps only the number). Nested
// values have no text and are refused as members.
//
// The containers (core/set.h) know nothing of commands; handlers change them and report the
// container's size change to the shard (memory accounting, the write count, deleting an emptied
// set's key). SPOP is logged as the SREM of what it popped, so replaying the log is
// deterministic.

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "commands/args.h"
#include "commands/scan_args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/glob.h"
#include "core/object.h"
#include "core/set.h"
#include "core/shard.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

constexpr std::string_view kNestedMember = "ERR a set member must be a scalar (not Null, a List or a Map)";

// One member copied out of a set (views die with the next change to it), with its text.
// Movable: the view is rebuilt from the owned bytes on each read.
struct Member {
  ScalarView value;
  std::string bytes;
  std::string text;

  explicit Member(const ScalarView& from) : value(from) {
    if (IsText(value.type)) bytes.assign(from.bytes);
    value.bytes = {};
    char buf[kScalarBufSize];
    text.assign(CanonicalString(from, buf));
  }
  ScalarView v() const {
    ScalarView out = value;
    if (IsText(out.type)) out.bytes = bytes;
    return out;
  }
};

uint64_t& Rng() {
  thread_local uint64_t state = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  return state;
}
// splitmix64: a fast per-thread random stream for SPOP and SRANDMEMBER.
uint64_t NextRandom() {
  uint64_t z = (Rng() += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The member args[pos] stands for: a native client's typed value, else the RESP bytes.
ScalarView MemberArg(const CommandContext& ctx, size_t pos) {
  const ScalarView* typed = ctx.Typed(pos);
  return typed ? *typed : ScalarView::Bytes(ctx.args[pos]);
}

// The text a member argument compares by (args[pos] over RESP, a typed value's canonical text).
std::string_view MemberText(const CommandContext& ctx, size_t pos, char* buf) {
  const ScalarView* typed = ctx.Typed(pos);
  return typed ? CanonicalString(*typed, buf) : ctx.args[pos];
}

// Refuses nested members (args[from..]) before anything changes.
bool MembersOrReply(CommandContext& ctx, size_t from) {
  for (size_t i = from; i < ctx.args.size(); ++i) {
    const ScalarView* typed = ctx.Typed(i);
    if (typed && IsNested(typed->type)) {
      ctx.rb->SendError(kNestedMember);
      return false;
    }
  }
  return true;
}

int64_t Bytes(const Entry& e) { return static_cast<int64_t>(ContainerBytes(e)); }

// Stores a new set holding `members` (a fresh container) at `key`, replacing what was there;
// an empty result deletes the key instead. Returns the stored size. The keyspace event is the
// command's name (sinterstore, sunionstore, sdiffstore), as in Redis.
size_t StoreSet(CommandContext& ctx, std::string_view key, const std::vector<Member>& members) {
  Shard& shard = ctx.ShardFor(key);
  if (members.empty()) {
    // A change (and logged) only when the key was there.
    if (shard.Erase(key, ctx.now_ms)) ctx.Notify(ev::kGeneric, "del", key);
    return 0;
  }
  set::Container c = set::New(members.front().text, members.size());
  for (const Member& m : members) set::Add(&c, m.v(), m.text);
  shard.SetContainer(key, c.encoding, c.ptr, kNoExpire);
  ctx.Notify(ev::kSet, ctx.spec->name, key);
  return members.size();
}

void SendMembers(CommandContext& ctx, const std::vector<Member>& members) {
  ctx.rb->StartSet(static_cast<uint32_t>(members.size()));
  for (const Member& m : members) ctx.rb->SendScalar(m.v());
}

// ------------------------------------------------------------------------------------------
// Handlers
// ------------------------------------------------------------------------------------------

void CmdSAdd(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kSet, Access::kWrite, &wrong);
  if (wrong || !MembersOrReply(ctx, 2)) return;
  Shard& shard = ctx.ShardFor(key);
  char buf[kScalarBufSize];
  if (!e) {
    const set::Container c = set::New(MemberText(ctx, 2, buf), ctx.args.size() - 2);
    e = shard.SetContainer(key, c.encoding, c.ptr, kNoExpire);
  }
  const int64_t before = Bytes(*e);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i)
    added += set::Add(e, MemberArg(ctx, i), MemberText(ctx, i, buf)) ? 1 : 0;
  // As Redis: members that were all there already are no write (WATCH, the log).
  if (added > 0) {
    ctx.Notify(ev::kSet, "sadd", key);
    shard.ContainerChanged(key, Bytes(*e) - before, false, ctx.now_ms);
  }
  ctx.rb->SendLong(added);
}

void CmdSRem(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kSet, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  const int64_t before = Bytes(*e);
  int64_t removed = 0;
  char buf[kScalarBufSize];
  for (size_t i = 2; i < ctx.args.size() && set::Size(*e) > 0; ++i)
    removed += set::Remove(e, MemberText(ctx, i, buf)) ? 1 : 0;
  if (removed) {
    ctx.Notify(ev::kSet, "srem", key);
    ctx.ShardFor(key).ContainerChanged(key, Bytes(*e) - before, set::Size(*e) == 0, ctx.now_ms);
  }
  ctx.rb->SendLong(removed);
}

void CmdSCard(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kSet, Access::kRead, &wrong);
  if (wrong) return;
  ctx.rb->SendLong(e ? static_cast<int64_t>(set::Size(*e)) : 0);
}

void CmdSIsMember(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kSet, Access::kRead, &wrong);
  if (wrong) return;
  char buf[kScalarBufSize];
  ctx.rb->SendLong(e && set::Contains(*e, MemberText(ctx, 2, buf)) ? 1 : 0);
}

void CmdSMIsMember(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kSet, Access::kRead, &wrong);
  if (wrong) return;
  ctx.rb->StartArray(static_cast<uint32_t>(ctx.args.size() - 2));
  char buf[kScalarBufSize];
  for (size_t i = 2; i < ctx.args.size(); ++i)
    ctx.rb->SendLong(e && set::Contains(*e, MemberText(ctx, i, buf)) ? 1 : 0);
}

// Pops `count` random members (all of them when count >= size) and logs the pop as their SREM.
void PopMembers(CommandContext& ctx, std::string_view key, Entry* e, uint64_t count,
                std::vector<Member>* out) {
  const size_t size = set::Size(*e);
  const int64_t before = Bytes(*e);
  if (count >= size) {
    set::ForEach(*e, [&](const ScalarView& v) { out->emplace_back(v); });
  } else {
    for (uint64_t i = 0; i < count; ++i) {
      out->emplace_back(set::Random(*e, NextRandom()));
      set::Remove(e, out->back().text);
    }
  }
  std::vector<std::string> log{"SREM", std::string(key)};
  for (const Member& m : *out) log.push_back(m.text);
  ctx.log_as = std::move(log);
  ctx.log_as_typed.clear();
  ctx.Notify(ev::kSet, "spop", key);
  if (count >= size) {
    ctx.ShardFor(key).Erase(key, ctx.now_ms);
    ctx.Notify(ev::kGeneric, "del", key);
  } else {
    ctx.ShardFor(key).ContainerChanged(key, Bytes(*e) - before, false, ctx.now_ms);
  }
}

void CmdSPop(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  const std::string_view key = ctx.args[1];
  bool wrong;
  if (ctx.args.size() == 2) {
    Entry* e = FindTypedOrReply(ctx, key, ObjType::kSet, Access::kWrite, &wrong);
    if (wrong) return;
    if (!e) {
      ctx.rb->SendNull();
      return;
    }
    std::vector<Member> popped;
    PopMembers(ctx, key, e, 1, &popped);
    ctx.rb->SendScalar(popped.front().v());
    return;
  }
  int64_t count;
  if (!ParsePositiveOrReply(ctx, ctx.args[2], {}, &count)) return;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kSet, Access::kWrite, &wrong);
  if (wrong) return;
  std::vector<Member> popped;
  if (e && count > 0) PopMembers(ctx, key, e, static_cast<uint64_t>(count), &popped);
  SendMembers(ctx, popped);
}

void CmdSRandMember(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  const std::string_view key = ctx.args[1];
  bool wrong;
  if (ctx.args.size() == 2) {
    Entry* e = FindTypedOrReply(ctx, key, ObjType::kSet, Access::kRead, &wrong);
    if (wrong) return;
    if (!e) {
      ctx.rb->SendNull();
      return;
    }
    ctx.rb->SendScalar(set::Random(*e, NextRandom()));
    return;
  }
  int64_t l;
  if (!ParseRangeOrReply(ctx, ctx.args[2], -INT64_MAX, INT64_MAX, {}, &l)) return;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kSet, Access::kRead, &wrong);
  if (wrong) return;
  if (!e || l == 0) {
    ctx.rb->StartArray(0);
    return;
  }
  const size_t size = set::Size(*e);
  if (l < 0) {
    // Repetitions allowed: each pick independent.
    const auto count = static_cast<uint64_t>(-l);
    ctx.rb->StartArray(static_cast<uint32_t>(count));
    for (uint64_t i = 0; i < count; ++i) ctx.rb->SendScalar(set::Random(*e, NextRandom()));
    return;
  }
  const auto count = static_cast<uint64_t>(l);
  std::vector<Member> all;
  if (count >= size || count * 3 > size) {
    // Most of the set: copy it and keep a random `count` of it (Redis's case 3).
    all.reserve(size);
    set::ForEach(*e, [&](const ScalarView& v) { all.emplace_back(v); });
    const size_t keep = std::min<size_t>(count, size);
    for (size_t i = 0; i < keep; ++i) std::swap(all[i], all[i + NextRandom() % (size - i)]);
    all.erase(all.begin() + static_cast<std::ptrdiff_t>(keep), all.end());
  } else {
    // A small share: random picks until `count` distinct ones (Redis's case 4).
    std::unordered_set<std::string> seen;
    while (all.size() < count) {
      Member m(set::Random(*e, NextRandom()));
      if (seen.insert(m.text).second) all.push_back(std::move(m));
    }
  }
  ctx.rb->StartArray(static_cast<uint32_t>(all.size()));
  for (const Member& m : all) ctx.rb->SendScalar(m.v());
}

void CmdSMove(CommandContext& ctx) {
  const std::string_view src = ctx.args[1], dst = ctx.args[2];
  Shard& src_shard = ctx.ShardFor(src);
  Shard& dst_shard = ctx.ShardFor(dst);
  Entry* s = src_shard.Find(src, ctx.now_ms);
  Entry* d = dst_shard.Find(dst, ctx.now_ms);
  if (!s) {
    ctx.rb->SendLong(0);
    return;
  }
  if (TypeOf(*s) != ObjType::kSet || (d && TypeOf(*d) != ObjType::kSet)) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  if (!MembersOrReply(ctx, 3)) return;
  char buf[kScalarBufSize];
  const std::string_view text = MemberText(ctx, 3, buf);
  if (s == d) {
    ctx.rb->SendLong(set::Contains(*s, text) ? 1 : 0);
    return;
  }
  const int64_t before = Bytes(*s);
  if (!set::Remove(s, text)) {
    ctx.rb->SendLong(0);
    return;
  }
  ctx.Notify(ev::kSet, "srem", src);
  src_shard.ContainerChanged(src, Bytes(*s) - before, set::Size(*s) == 0, ctx.now_ms);
  d = dst_shard.Find(dst, ctx.now_ms);
  if (!d) {
    const set::Container c = set::New(text, 1);
    d = dst_shard.SetContainer(dst, c.encoding, c.ptr, kNoExpire);
  }
  const int64_t dst_before = Bytes(*d);
  if (set::Add(d, MemberArg(ctx, 3), text)) ctx.Notify(ev::kSet, "sadd", dst);
  dst_shard.ContainerChanged(dst, Bytes(*d) - dst_before, false, ctx.now_ms);
  ctx.rb->SendLong(1);
}

// The sets at `keys` for a multi-key read (nullptr for a missing key); false after WRONGTYPE.
bool LookupSets(CommandContext& ctx, std::span<const std::string_view> keys,
                std::vector<Entry*>* sets) {
  for (std::string_view key : keys) {
    bool wrong;
    Entry* e = FindTypedOrReply(ctx, key, ObjType::kSet, Access::kRead, &wrong);
    if (wrong) return false;
    sets->push_back(e);
  }
  return true;
}

// The intersection of `sets` (none missing), at most `limit` members (0: all). With
// `count_only` the members are counted, not copied.
size_t Intersect(std::vector<Entry*> sets, uint64_t limit, bool count_only,
                 std::vector<Member>* out) {
  std::sort(sets.begin(), sets.end(),
            [](Entry* a, Entry* b) { return set::Size(*a) < set::Size(*b); });
  size_t n = 0;
  bool stop = false;
  set::ForEach(*sets[0], [&](const ScalarView& v) {
    if (stop) return;
    char buf[kScalarBufSize];
    const std::string_view text = CanonicalString(v, buf);
    for (size_t j = 1; j < sets.size(); ++j)
      if (sets[j] != sets[0] && !set::Contains(*sets[j], text)) return;
    ++n;
    if (!count_only) out->emplace_back(v);
    if (limit && n >= limit) stop = true;
  });
  return n;
}

// SINTER / SINTERSTORE (sinterGenericCommand without the cardinality-only path).
void InterGeneric(CommandContext& ctx, std::span<const std::string_view> keys,
                  std::string_view dst) {
  std::vector<Entry*> sets;
  if (!LookupSets(ctx, keys, &sets)) return;
  std::vector<Member> result;
  if (std::find(sets.begin(), sets.end(), nullptr) == sets.end())
    Intersect(sets, 0, false, &result);
  if (!dst.empty()) {
    ctx.rb->SendLong(static_cast<int64_t>(StoreSet(ctx, dst, result)));
    return;
  }
  SendMembers(ctx, result);
}

void CmdSInter(CommandContext& ctx) { InterGeneric(ctx, ctx.args.subspan(1), {}); }
void CmdSInterStore(CommandContext& ctx) { InterGeneric(ctx, ctx.args.subspan(2), ctx.args[1]); }

void CmdSMembers(CommandContext& ctx) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kSet, Access::kRead, &wrong);
  if (wrong) return;
  if (!e) {
    ctx.rb->StartSet(0);
    return;
  }
  ctx.rb->StartSet(static_cast<uint32_t>(set::Size(*e)));
  set::ForEach(*e, [&](const ScalarView& v) { ctx.rb->SendScalar(v); });
}

// SINTERCARD numkeys key [key ...] [LIMIT limit]: the keys are args[2 .. 2+numkeys).
void NumKeysFrom2(std::span<const std::string_view> args, std::vector<size_t>* out) {
  NumKeysAt(args, 1, out);
}

void CmdSInterCard(CommandContext& ctx) {
  int64_t numkeys;
  if (!ParseRangeOrReply(ctx, ctx.args[1], 1, INT64_MAX, "ERR numkeys should be greater than 0",
                         &numkeys))
    return;
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 2) {
    ctx.rb->SendError("ERR Number of keys can't be greater than number of args");
    return;
  }
  int64_t limit = 0;
  for (size_t j = 2 + static_cast<size_t>(numkeys); j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "LIMIT") && j + 1 < ctx.args.size()) {
      if (!ParsePositiveOrReply(ctx, ctx.args[++j], "ERR LIMIT can't be negative", &limit))
        return;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  std::vector<Entry*> sets;
  if (!LookupSets(ctx, ctx.args.subspan(2, static_cast<size_t>(numkeys)), &sets)) return;
  size_t n = 0;
  if (std::find(sets.begin(), sets.end(), nullptr) == sets.end())
    n = Intersect(sets, static_cast<uint64_t>(limit), true, nullptr);
  ctx.rb->SendLong(static_cast<int64_t>(n));
}

// SUNION / SDIFF and their STORE forms (sunionDiffGenericCommand).
void UnionDiffGeneric(CommandContext& ctx, std::span<const std::string_view> keys,
                      std::string_view dst, bool diff) {
  std::vector<Entry*> sets;
  if (!LookupSets(ctx, keys, &sets)) return;
  std::vector<Member> result;
  if (diff) {
    if (sets[0]) {
      set::ForEach(*sets[0], [&](const ScalarView& v) {
        char buf[kScalarBufSize];
        const std::string_view text = CanonicalString(v, buf);
        for (size_t j = 1; j < sets.size(); ++j)
          if (sets[j] && (sets[j] == sets[0] || set::Contains(*sets[j], text))) return;
        result.emplace_back(v);
      });
    }
  } else {
    std::unordered_set<std::string> seen;
    for (Entry* e : sets) {
      if (!e) continue;
      set::ForEach(*e, [&](const ScalarView& v) {
        Member m(v);
        if (seen.insert(m.text).second) result.push_back(std::move(m));
      });
    }
  }
  if (!dst.empty()) {
    ctx.rb->SendLong(static_cast<int64_t>(StoreSet(ctx, dst, result)));
    return;
  }
  SendMembers(ctx, result);
}

void CmdSUnion(CommandContext& ctx) { UnionDiffGeneric(ctx, ctx.args.subspan(1), {}, false); }
void CmdSUnionStore(CommandContext& ctx) {
  UnionDiffGeneric(ctx, ctx.args.subspan(2), ctx.args[1], false);
}
void CmdSDiff(CommandContext& ctx) { UnionDiffGeneric(ctx, ctx.args.subspan(1), {}, true); }
void CmdSDiffStore(CommandContext& ctx) {
  UnionDiffGeneric(ctx, ctx.args.subspan(2), ctx.args[1], true);
}

void CmdSScan(CommandContext& ctx) {
  ScanArgs scan;
  if (!ParseScanCursorOrReply(ctx, ctx.args[2], &scan.cursor)) return;
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, ctx.args[1], ObjType::kSet, Access::kRead, &wrong);
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
  std::vector<Member> found;
  auto collect = [&](const ScalarView& v) { found.emplace_back(v); };
  uint64_t next = 0;
  if (Is(*e, Encoding::kSetTable)) {
    // Redis stops after COUNT members collected or COUNT*10 buckets, whichever comes first.
    const auto limit = static_cast<uint64_t>(count);
    uint64_t steps = limit > UINT64_MAX / 10 ? limit : limit * 10;
    next = cursor;
    do {
      next = set::Scan(*e, next, collect);
    } while (next != 0 && --steps > 0 && found.size() < limit);
  } else {
    set::Scan(*e, 0, collect);
  }
  if (scan.use_pattern)
    std::erase_if(found, [&](const Member& m) { return !scan.Matches(m.text); });
  ctx.rb->StartArray(2);
  ctx.rb->SendBulk(std::to_string(next));
  ctx.rb->StartArray(static_cast<uint32_t>(found.size()));
  for (const Member& m : found) ctx.rb->SendScalar(m.v());
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, keys, h, "set", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterSetFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kGrowFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  t.Register(Spec("sadd", -3, kGrowFast, kOneKey, CmdSAdd, "1.0.0",
                  "Add one or more members to a set", "key member [member ...]"));
  t.Register(Spec("srem", -3, kWriteFast, kOneKey, CmdSRem, "1.0.0",
                  "Remove one or more members from a set", "key member [member ...]"));
  t.Register(Spec("smembers", 2, kRead, kOneKey, CmdSMembers, "1.0.0",
                  "Get all the members in a set", "key"));
  t.Register(Spec("sismember", 3, kReadFast, kOneKey, CmdSIsMember, "1.0.0",
                  "Determine if a given value is a member of a set", "key member"));
  t.Register(Spec("smismember", -3, kReadFast, kOneKey, CmdSMIsMember, "6.2.0",
                  "Returns the membership associated with the given elements for a set",
                  "key member [member ...]"));
  t.Register(Spec("scard", 2, kReadFast, kOneKey, CmdSCard, "1.0.0",
                  "Get the number of members in a set", "key"));
  t.Register(Spec("spop", -2, kWriteFast, kOneKey, CmdSPop, "1.0.0",
                  "Remove and return one or multiple random members from a set", "key [count]"));
  t.Register(Spec("srandmember", -2, kRead, kOneKey, CmdSRandMember, "1.0.0",
                  "Get one or multiple random members from a set", "key [count]"));
  t.Register(Spec("smove", 4, kWriteFast, kTwoKeys, CmdSMove, "1.0.0",
                  "Move a member from one set to another", "source destination member"));
  t.Register(Spec("sinter", -2, kRead, kAllKeys, CmdSInter, "1.0.0", "Intersect multiple sets",
                  "key [key ...]"));
  CommandSpec sintercard = Spec("sintercard", -3, kRead, kNoKeys, CmdSInterCard, "7.0.0",
                                "Intersect multiple sets and return the cardinality of the result",
                                "numkeys key [key ...] [LIMIT limit]");
  sintercard.find_keys = NumKeysFrom2;
  t.Register(std::move(sintercard));
  t.Register(Spec("sunion", -2, kRead, kAllKeys, CmdSUnion, "1.0.0", "Add multiple sets",
                  "key [key ...]"));
  t.Register(Spec("sdiff", -2, kRead, kAllKeys, CmdSDiff, "1.0.0", "Subtract multiple sets",
                  "key [key ...]"));
  // The *STORE forms only read their sources (Redis's RO key specs: ACL asks read access).
  auto store = [&](std::string name, CommandHandler handler, std::string summary) {
    CommandSpec spec = Spec(std::move(name), -3, kGrow, kAllKeys, handler, "1.0.0",
                            std::move(summary), "destination key [key ...]");
    spec.read_keys_from = 2;
    t.Register(std::move(spec));
  };
  store("sinterstore", CmdSInterStore,
        "Intersect multiple sets and store the resulting set in a key");
  store("sunionstore", CmdSUnionStore, "Add multiple sets and store the resulting set in a key");
  store("sdiffstore", CmdSDiffStore, "Subtract multiple sets and store the resulting set in a key");
  t.Register(Spec("sscan", -3, kRead, kOneKey, CmdSScan, "2.8.0",
                  "Incrementally iterate Set elements",
                  "key cursor [MATCH pattern] [COUNT count]"));
}

}  // namespace kv
