// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM
// LTRIM LPOS LMOVE RPOPLPUSH LMPOP, with Redis 7.0's replies, errors and argument order
// (t_list.c: which argument is parsed before the key is looked up decides which error a
// client sees, so the order here follows Redis's).
//
// Elements are typed: RESP pushes Bytes, a native client pushes what it sent (Int, Decimal,
// String, a nested List or Map), and reads give each back as it was stored (over RESP as its
// canonical text, a nested element as an aggregate). Comparisons (LREM, LPOS, LINSERT's pivot)
// are by text, as a RESP client sees the elements; a nested element matches no text.
//
// The container (core/list.h, core/quicklist.h) knows nothing of commands; handlers open it
// with ListRef, change it, and report the change to the shard (memory accounting, the write
// count, deleting an emptied list's key).

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/list.h"
#include "core/object.h"
#include "core/shard.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

// One element copied out of a list (views die with the next change to it).
struct OwnedElement {
  ScalarView v;
  std::string bytes;

  explicit OwnedElement(const ScalarView& from) : v(from) {
    if (IsText(v.type) || IsNested(v.type)) {
      bytes.assign(from.bytes);
      v.bytes = bytes;
    }
  }
};

// The element args[pos] stands for: a native client's typed value, else the RESP bytes.
ScalarView ElementArg(const CommandContext& ctx, size_t pos) {
  const ScalarView* typed = ctx.Typed(pos);
  return typed ? *typed : ScalarView::Bytes(ctx.args[pos]);
}

// LEFT / RIGHT (getListPositionFromObjectOrReply): true for LEFT.
bool ParseSideOrReply(CommandContext& ctx, std::string_view arg, bool* left) {
  if (EqualsIgnoreCase(arg, "LEFT")) {
    *left = true;
  } else if (EqualsIgnoreCase(arg, "RIGHT")) {
    *left = false;
  } else {
    ctx.rb->SendError(errors::kSyntax);
    return false;
  }
  return true;
}

// The list at `key`, or nullptr once the reply is sent: WRONGTYPE for another type, the
// command's own `if_missing` reply for no key (Redis's lookupKey...OrReply).
template <typename Missing>
Entry* ListOrReply(CommandContext& ctx, std::string_view key, Access access, Missing&& if_missing) {
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kList, access, &wrong);
  if (!e && !wrong) if_missing();
  return e;
}

// The list at `key` for writing, created empty when missing.
Entry* FindOrCreateList(Shard& shard, std::string_view key, int64_t now_ms) {
  if (Entry* e = shard.Find(key, now_ms)) return e;
  const NewContainer c = NewList();
  return shard.SetContainer(key, c.encoding, c.ptr, kNoExpire);
}

// Announces `event` on the changed list, stores it back and tells the shard (its key goes,
// with a "del" event after this one, when the list is empty), in Redis's order.
// (No event when `event` is empty: a change of nothing.)
void Done(CommandContext& ctx, std::string_view key, ListRef& list, std::string_view event) {
  if (!event.empty()) ctx.Notify(ev::kList, event, key);
  const bool empty = list->size() == 0;
  ctx.ShardFor(key).ContainerChanged(key, list.Commit(), empty, ctx.now_ms);
}

std::string_view PopEvent(bool left) { return left ? "lpop" : "rpop"; }
std::string_view PushEvent(bool left) { return left ? "lpush" : "rpush"; }

// Sends `n` elements from index `start`, walking toward the tail (or from `start` toward the
// head when `reverse`).
void SendElements(CommandContext& ctx, const QuickList& list, uint64_t start, uint64_t n,
                  bool reverse) {
  ctx.rb->StartArray(static_cast<uint32_t>(n));
  if (n == 0) return;
  QuickList::Pos p = list.Seek(start);
  for (uint64_t i = 0; i < n; ++i) {
    ctx.rb->SendScalar(list.Get(p));
    if (i + 1 < n) reverse ? list.Prev(&p) : list.Next(&p);
  }
}

// Pops up to `count` elements from one end, replying with them as an array.
void PopRangeAndReply(CommandContext& ctx, std::string_view key, Entry* e,
                      bool left, uint64_t count) {
  ListRef list(e);
  const uint64_t size = list->size();
  const uint64_t n = std::min(count, size);
  SendElements(ctx, *list, left ? 0 : size - 1, n, !left);
  list->EraseRange(left ? 0 : size - n, n);
  Done(ctx, key, list, n > 0 ? PopEvent(left) : std::string_view());
}

// ------------------------------------------------------------------------------------------
// Handlers
// ------------------------------------------------------------------------------------------

void PushGeneric(CommandContext& ctx, bool left, bool only_existing) {
  const std::string_view key = ctx.args[1];
  bool wrong;
  Entry* e = FindTypedOrReply(ctx, key, ObjType::kList, Access::kWrite, &wrong);
  if (wrong) return;
  if (!e && only_existing) {
    ctx.rb->SendLong(0);
    return;
  }
  Shard& shard = ctx.ShardFor(key);
  if (!e) e = FindOrCreateList(shard, key, ctx.now_ms);
  ListRef list(e);
  for (size_t i = 2; i < ctx.args.size(); ++i) list->Push(left, ElementArg(ctx, i));
  const auto len = static_cast<int64_t>(list->size());
  Done(ctx, key, list, PushEvent(left));
  ctx.rb->SendLong(len);
}

void CmdLPush(CommandContext& ctx) { PushGeneric(ctx, true, false); }
void CmdRPush(CommandContext& ctx) { PushGeneric(ctx, false, false); }
void CmdLPushX(CommandContext& ctx) { PushGeneric(ctx, true, true); }
void CmdRPushX(CommandContext& ctx) { PushGeneric(ctx, false, true); }

void PopGeneric(CommandContext& ctx, bool left) {
  if (ctx.args.size() > 3) {
    ctx.rb->SendError(errors::WrongArity(ctx.spec->name));
    return;
  }
  const bool has_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (has_count && !ParsePositiveOrReply(ctx, ctx.args[2], {}, &count)) return;
  const std::string_view key = ctx.args[1];
  Entry* e = ListOrReply(ctx, key, Access::kWrite, [&] { has_count ? ctx.rb->SendNullArray() : ctx.rb->SendNull(); });
  if (!e) return;
  if (has_count) {
    PopRangeAndReply(ctx, key, e, left, static_cast<uint64_t>(count));
    return;
  }
  ListRef list(e);
  const uint64_t at = left ? 0 : list->size() - 1;
  ctx.rb->SendScalar(list->Get(list->Seek(at)));
  list->EraseRange(at, 1);
  Done(ctx, key, list, PopEvent(left));
}

void CmdLPop(CommandContext& ctx) { PopGeneric(ctx, true); }
void CmdRPop(CommandContext& ctx) { PopGeneric(ctx, false); }

void CmdLLen(CommandContext& ctx) {
  Entry* e = ListOrReply(ctx, ctx.args[1], Access::kRead, [&] { ctx.rb->SendLong(0); });
  if (!e) return;
  ListRef list(e);
  ctx.rb->SendLong(static_cast<int64_t>(list->size()));
}

void CmdLRange(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntOrReply(ctx, ctx.args[2], &start) || !ParseIntOrReply(ctx, ctx.args[3], &end))
    return;
  Entry* e = ListOrReply(ctx, ctx.args[1], Access::kRead, [&] { ctx.rb->StartArray(0); });
  if (!e) return;
  ListRef list(e);
  const auto len = static_cast<int64_t>(list->size());
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    ctx.rb->StartArray(0);
    return;
  }
  if (end >= len) end = len - 1;
  SendElements(ctx, *list, static_cast<uint64_t>(start), static_cast<uint64_t>(end - start + 1),
               false);
}

// A Redis list index (negative counts from the tail) as a position, or -1 when out of range.
int64_t NormalizeIndex(int64_t index, uint64_t size) {
  const auto len = static_cast<int64_t>(size);
  if (index < 0) index += len;
  return index < 0 || index >= len ? -1 : index;
}

void CmdLIndex(CommandContext& ctx) {
  Entry* e = ListOrReply(ctx, ctx.args[1], Access::kRead, [&] { ctx.rb->SendNull(); });
  if (!e) return;
  int64_t index;
  if (!ParseIntOrReply(ctx, ctx.args[2], &index)) return;
  ListRef list(e);
  const int64_t at = NormalizeIndex(index, list->size());
  if (at < 0) {
    ctx.rb->SendNull();
    return;
  }
  ctx.rb->SendScalar(list->Get(list->Seek(static_cast<uint64_t>(at))));
}

void CmdLSet(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Entry* e = ListOrReply(ctx, key, Access::kWrite, [&] { ctx.rb->SendError(errors::kNoSuchKey); });
  if (!e) return;
  int64_t index;
  if (!ParseIntOrReply(ctx, ctx.args[2], &index)) return;
  ListRef list(e);
  const int64_t at = NormalizeIndex(index, list->size());
  if (at < 0) {
    ctx.rb->SendError("ERR index out of range");
    return;
  }
  list->Replace(list->Seek(static_cast<uint64_t>(at)), ElementArg(ctx, 3));
  Done(ctx, key, list, "lset");
  ctx.rb->SendOk();
}

void CmdLInsert(CommandContext& ctx) {
  bool after;
  if (EqualsIgnoreCase(ctx.args[2], "AFTER")) {
    after = true;
  } else if (EqualsIgnoreCase(ctx.args[2], "BEFORE")) {
    after = false;
  } else {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  const std::string_view key = ctx.args[1];
  Entry* e = ListOrReply(ctx, key, Access::kWrite, [&] { ctx.rb->SendLong(0); });
  if (!e) return;
  ListRef list(e);
  QuickList::Pos p = list->Seek(0);
  const std::string_view pivot = ctx.args[3];
  bool found = false;
  do {
    const ScalarView v = list->Get(p);
    if (IsNested(v.type)) continue;
    char buf[kScalarBufSize];
    found = CanonicalString(v, buf) == pivot;
  } while (!found && list->Next(&p));
  if (!found) {
    ctx.rb->SendLong(-1);
    return;
  }
  list->Insert(p, after, ElementArg(ctx, 4));
  const auto len = static_cast<int64_t>(list->size());
  Done(ctx, key, list, "linsert");
  ctx.rb->SendLong(len);
}

void CmdLRem(CommandContext& ctx) {
  int64_t count;
  if (!ParseIntOrReply(ctx, ctx.args[2], &count)) return;
  const std::string_view key = ctx.args[1];
  Entry* e = ListOrReply(ctx, key, Access::kWrite, [&] { ctx.rb->SendLong(0); });
  if (!e) return;
  ListRef list(e);
  const uint64_t removed = list->RemoveText(ctx.args[3], count);
  if (removed == 0) {
    ctx.rb->SendLong(0);
    return;
  }
  Done(ctx, key, list, "lrem");
  ctx.rb->SendLong(static_cast<int64_t>(removed));
}

void CmdLTrim(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseIntOrReply(ctx, ctx.args[2], &start) || !ParseIntOrReply(ctx, ctx.args[3], &end))
    return;
  const std::string_view key = ctx.args[1];
  Entry* e = ListOrReply(ctx, key, Access::kWrite, [&] { ctx.rb->SendOk(); });
  if (!e) return;
  ListRef list(e);
  const auto len = static_cast<int64_t>(list->size());
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  int64_t ltrim, rtrim;
  if (start > end || start >= len) {
    ltrim = len;  // an empty range empties the list
    rtrim = 0;
  } else {
    if (end >= len) end = len - 1;
    ltrim = start;
    rtrim = len - end - 1;
  }
  if (ltrim == 0 && rtrim == 0) {
    // Nothing trimmed, but Redis signals the key modified all the same (WATCH sees it, and
    // subscribers get the event).
    ctx.ShardFor(key).TouchWatched(key);
    ctx.Notify(ev::kList, "ltrim", key);
    ctx.rb->SendOk();
    return;
  }
  list->EraseRange(static_cast<uint64_t>(len - rtrim), static_cast<uint64_t>(rtrim));
  list->EraseRange(0, static_cast<uint64_t>(ltrim));
  Done(ctx, key, list, "ltrim");
  ctx.rb->SendOk();
}

void CmdLPos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    const bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "RANK") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], -INT64_MAX, INT64_MAX, {}, &rank)) return;
      if (rank == 0) {
        ctx.rb->SendError(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
    } else if (EqualsIgnoreCase(opt, "COUNT") && more) {
      if (!ParsePositiveOrReply(ctx, ctx.args[++j], "ERR COUNT can't be negative", &count))
        return;
    } else if (EqualsIgnoreCase(opt, "MAXLEN") && more) {
      if (!ParsePositiveOrReply(ctx, ctx.args[++j], "ERR MAXLEN can't be negative", &maxlen))
        return;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  const bool from_tail = rank < 0;
  if (from_tail) rank = -rank;
  Shard& shard = ctx.ShardFor(ctx.args[1]);
  Entry* e = FindRead(shard, ctx.args[1], ctx.now_ms);
  if (!e) {
    count != -1 ? ctx.rb->StartArray(0) : ctx.rb->SendNull();
    return;
  }
  if (TypeOf(*e) != ObjType::kList) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  ListRef list(e);
  const auto len = static_cast<int64_t>(list->size());
  const std::string_view element = ctx.args[2];
  std::vector<int64_t> found;
  int64_t matches = 0;
  QuickList::Pos p = list->Seek(from_tail ? static_cast<uint64_t>(len - 1) : 0);
  for (int64_t i = 0; i < len && (maxlen == 0 || i < maxlen); ++i) {
    const ScalarView v = list->Get(p);
    char buf[kScalarBufSize];
    if (!IsNested(v.type) && CanonicalString(v, buf) == element && ++matches >= rank) {
      found.push_back(from_tail ? len - 1 - i : i);
      if (count == -1 || (count != 0 && static_cast<int64_t>(found.size()) >= count)) break;
    }
    if (!(from_tail ? list->Prev(&p) : list->Next(&p))) break;
  }
  if (count == -1) {
    found.empty() ? ctx.rb->SendNull() : ctx.rb->SendLong(found.front());
    return;
  }
  ctx.rb->StartArray(static_cast<uint32_t>(found.size()));
  for (int64_t at : found) ctx.rb->SendLong(at);
}

// LMOVE / RPOPLPUSH (lmoveGenericCommand): pops from one end of `src` and pushes to one end of
// `dst` (which may be the same list), replying with the element.
void MoveGeneric(CommandContext& ctx, bool from_left, bool to_left) {
  const std::string_view src = ctx.args[1], dst = ctx.args[2];
  Entry* e = ListOrReply(ctx, src, Access::kWrite, [&] { ctx.rb->SendNull(); });
  if (!e) return;
  Shard& dst_shard = ctx.ShardFor(dst);
  Entry* d = dst_shard.Find(dst, ctx.now_ms);
  if (d && TypeOf(*d) != ObjType::kList) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  // Redis announces the push on `dst` before the pop from `src` (and its "del").
  ListRef from(e);
  const uint64_t at = from_left ? 0 : from->size() - 1;
  const OwnedElement moved(from->Get(from->Seek(at)));
  from->EraseRange(at, 1);
  if (src == dst) {
    from->Push(to_left, moved.v);  // a rotation: the list never empties
    ctx.Notify(ev::kList, PushEvent(to_left), dst);
  } else {
    ListRef to(FindOrCreateList(dst_shard, dst, ctx.now_ms));
    to->Push(to_left, moved.v);
    Done(ctx, dst, to, PushEvent(to_left));
  }
  Done(ctx, src, from, PopEvent(from_left));
  ctx.rb->SendScalar(moved.v);
}

void CmdLMove(CommandContext& ctx) {
  bool from_left, to_left;
  if (!ParseSideOrReply(ctx, ctx.args[3], &from_left) ||
      !ParseSideOrReply(ctx, ctx.args[4], &to_left))
    return;
  MoveGeneric(ctx, from_left, to_left);
}

void CmdRPopLPush(CommandContext& ctx) { MoveGeneric(ctx, false, true); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: the keys are args[2 .. 2+numkeys).
void LMPopKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  out->clear();
  if (args.size() < 2) return;
  const auto numkeys = ParseInt64(args[1]);
  if (!numkeys || *numkeys < 1 || *numkeys > static_cast<int64_t>(args.size()) - 2) return;
  for (int64_t i = 0; i < *numkeys; ++i) out->push_back(static_cast<size_t>(2 + i));
}

void CmdLMPop(CommandContext& ctx) {
  MPopArgs m;
  if (!ParseMPopOrReply(ctx, 1, "LEFT", "RIGHT", &m)) return;
  for (size_t i = m.first_key; i < m.first_key + m.numkeys; ++i) {
    const std::string_view key = ctx.args[i];
    bool wrong;
    Entry* e = FindTypedOrReply(ctx, key, ObjType::kList, Access::kWrite, &wrong);
    if (wrong) return;
    if (!e) continue;
    ctx.rb->StartArray(2);
    ctx.rb->SendBulk(key);
    PopRangeAndReply(ctx, key, e, m.side_a, static_cast<uint64_t>(m.count));
    return;
  }
  ctx.rb->SendNullArray();
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, keys, h, "list", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterListFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly;
  constexpr uint32_t kReadFast = kCmdReadonly | kCmdFast;
  constexpr uint32_t kWrite = kCmdWrite;
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  constexpr uint32_t kGrowFast = kCmdWrite | kCmdDenyOom | kCmdFast;
  t.Register(Spec("lpush", -3, kGrowFast, kOneKey, CmdLPush, "1.0.0",
                  "Prepend one or multiple elements to a list", "key element [element ...]"));
  t.Register(Spec("rpush", -3, kGrowFast, kOneKey, CmdRPush, "1.0.0",
                  "Append one or multiple elements to a list", "key element [element ...]"));
  t.Register(Spec("lpushx", -3, kGrowFast, kOneKey, CmdLPushX, "2.2.0",
                  "Prepend an element to a list, only if the list exists",
                  "key element [element ...]"));
  t.Register(Spec("rpushx", -3, kGrowFast, kOneKey, CmdRPushX, "2.2.0",
                  "Append an element to a list, only if the list exists",
                  "key element [element ...]"));
  t.Register(Spec("lpop", -2, kWriteFast, kOneKey, CmdLPop, "1.0.0",
                  "Remove and get the first elements in a list", "key [count]"));
  t.Register(Spec("rpop", -2, kWriteFast, kOneKey, CmdRPop, "1.0.0",
                  "Remove and get the last elements in a list", "key [count]"));
  t.Register(Spec("llen", 2, kReadFast, kOneKey, CmdLLen, "1.0.0", "Get the length of a list",
                  "key"));
  t.Register(Spec("lrange", 4, kRead, kOneKey, CmdLRange, "1.0.0",
                  "Get a range of elements from a list", "key start stop"));
  t.Register(Spec("lindex", 3, kRead, kOneKey, CmdLIndex, "1.0.0",
                  "Get an element from a list by its index", "key index"));
  t.Register(Spec("lset", 4, kGrow, kOneKey, CmdLSet, "1.0.0",
                  "Set the value of an element in a list by its index", "key index element"));
  t.Register(Spec("linsert", 5, kGrow, kOneKey, CmdLInsert, "2.2.0",
                  "Insert an element before or after another element in a list",
                  "key BEFORE|AFTER pivot element"));
  t.Register(Spec("lrem", 4, kWrite, kOneKey, CmdLRem, "1.0.0", "Remove elements from a list",
                  "key count element"));
  t.Register(Spec("ltrim", 4, kWrite, kOneKey, CmdLTrim, "1.0.0",
                  "Trim a list to the specified range", "key start stop"));
  t.Register(Spec("lpos", -3, kRead, kOneKey, CmdLPos, "6.0.6",
                  "Return the index of matching elements on a list",
                  "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"));
  t.Register(Spec("lmove", 5, kGrow, kTwoKeys, CmdLMove, "6.2.0",
                  "Pop an element from a list, push it to another list and return it",
                  "source destination LEFT|RIGHT LEFT|RIGHT"));
  t.Register(Spec("rpoplpush", 3, kGrow, kTwoKeys, CmdRPopLPush, "1.2.0",
                  "Remove the last element in a list, prepend it to another list and return it",
                  "source destination"));
  CommandSpec lmpop = Spec("lmpop", -4, kWrite, kNoKeys, CmdLMPop, "7.0.0",
                           "Pop elements from a list",
                           "numkeys key [key ...] LEFT|RIGHT [COUNT count]");
  lmpop.find_keys = LMPopKeys;
  t.Register(std::move(lmpop));
}

}  // namespace kv
