// Helpers shared by the sorted-set command files (zset_family.cc, zset_setops.cc): Redis's
// score and range parsing, reply shapes and storing a computed result.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/command.h"
#include "core/shard.h"
#include "core/zset.h"

namespace kv {

struct OwnedItem {
  std::string member;
  double score;
};

// Redis's getDoubleFromObject: all of the text, no leading space, no NaN, no overflow.
bool ParseScore(std::string_view s, double* out);
// Whether score pairs reply nested (RESP3, the native protocol) or flat (RESP2).
bool Resp3(const CommandContext& ctx);
// The member args[pos] stands for: a native client's typed value as its text.
std::string_view MemberArg(const CommandContext& ctx, size_t pos, char* buf);
Entry* CreateZSet(Shard& shard, std::string_view key, bool big);
// Announces `event` (none when empty) and reports the change to the shard (accounting; an
// emptied set deletes its key, with a "del" event after this one, in Redis's order).
void ZSetDone(CommandContext& ctx, std::string_view key, ZSetRef& z, std::string_view event);
// Members, with their scores when asked: flat in RESP2, [member, score] pairs in RESP3.
void SendItems(CommandContext& ctx, const std::vector<OwnedItem>& items, bool withscores);
// Replaces `dst` with a sorted set of `items` (deletes it when empty); returns its size.
// `event` is the keyspace event of a stored result (zunionstore, georadiusstore...).
size_t StoreItems(CommandContext& ctx, std::string_view dst, const std::vector<OwnedItem>& items,
                  std::string_view event);
// ZADD's options (zaddGenericCommand's), and what an add did.
struct ZAddFlags {
  bool nx = false, xx = false, gt = false, lt = false, incr = false;
};
struct ZAddCounts {
  int64_t added = 0, updated = 0, processed = 0;
  double score = 0;  // INCR: the last member's new score
  bool nan = false;  // INCR: it was NaN (nothing after that member was added)
};
// Adds `members` with `scores` to the sorted set at `key` as ZADD does (GEOADD is a ZADD in
// Redis): creates it unless XX, and writes (the event, the log, WATCH) only when something
// changed. False after a WRONGTYPE reply.
bool ZAddApply(CommandContext& ctx, std::string_view key, const ZAddFlags& f,
               std::span<const double> scores, std::span<const std::string> members,
               ZAddCounts* out);
// BZPOPMIN / BZPOPMAX's reply and pop: [key, member, score] of the lowest (highest when `max`)
// member of the non-empty sorted set `e` at `key`.
void ZPopOneWithKey(CommandContext& ctx, std::string_view key, Entry* e, bool max);

struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
};
struct LexBound {
  int inf = 0;  // -1: "-", 1: "+"
  bool ex = false;
  std::string_view text;
};
struct LexRange {
  LexBound min, max;
};
bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r);
bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r);
// The ranks [lo, hi) of the elements in range.
std::pair<uint64_t, uint64_t> ScoreRanks(const ZSetRef& z, const ScoreRange& r);
std::pair<uint64_t, uint64_t> LexRanks(const ZSetRef& z, const LexRange& r);

class CommandTable;
void RegisterZSetOps(CommandTable& t);  // zset_setops.cc

}  // namespace kv
