// LCS (Redis 7.0): the longest common subsequence of two strings, its length (LEN) or the
// matching ranges (IDX, MINMATCHLEN, WITHMATCHLEN), with Redis's replies, errors and its limit
// on the transient table (proto-max-bulk-len). Kept apart from string_family.cc for its size;
// it is part of the string family and registered with it.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/object.h"
#include "core/scalar.h"
#include "core/shard.h"

namespace kv {

namespace {

constexpr std::string_view kNotStrings = "ERR The specified keys must contain string values";
constexpr std::string_view kLenAndIdx =
    "ERR If you want both the length and indexes, please just use IDX.";

struct Range {
  uint32_t a_start, a_end, b_start, b_end;
};

// A missing key reads as the empty string, as in Redis; false for a non-string value.
bool ReadString(CommandContext& ctx, std::string_view key, std::string* out) {
  Entry* e = ctx.ShardFor(key).Find(key, ctx.now_ms);
  if (!e) return true;
  if (!IsString(*e)) return false;
  char buf[kScalarBufSize];
  out->assign(CanonicalString(e->value(), buf));
  return true;
}

void CmdLcs(CommandContext& ctx) {
  bool getlen = false, getidx = false, withmatchlen = false;
  int64_t minmatchlen = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    if (EqualsIgnoreCase(opt, "IDX")) {
      getidx = true;
    } else if (EqualsIgnoreCase(opt, "LEN")) {
      getlen = true;
    } else if (EqualsIgnoreCase(opt, "WITHMATCHLEN")) {
      withmatchlen = true;
    } else if (EqualsIgnoreCase(opt, "MINMATCHLEN") && j + 1 < ctx.args.size()) {
      if (!ParseIntOrReply(ctx, ctx.args[++j], &minmatchlen)) return;
      if (minmatchlen < 0) minmatchlen = 0;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  std::string a, b;
  if (!ReadString(ctx, ctx.args[1], &a) || !ReadString(ctx, ctx.args[2], &b)) {
    ctx.rb->SendError(kNotStrings);
    return;
  }
  if (getidx && getlen) {
    ctx.rb->SendError(kLenAndIdx);
    return;
  }
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.rb->SendError("ERR String too long for LCS");
    return;
  }
  const uint64_t alen = a.size(), blen = b.size();
  const uint64_t cells = (alen + 1) * (blen + 1);
  const int64_t limit = ctx.server->config.proto_max_bulk_len.load(std::memory_order_relaxed);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(limit)) {
    ctx.rb->SendError(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  // table[i][j]: LCS length of a's first i bytes and b's first j bytes (Redis's LCS(i,j)).
  std::vector<uint32_t> table(cells);
  auto at = [&](uint64_t i, uint64_t j) -> uint32_t& { return table[j * (alen + 1) + i]; };
  for (uint64_t i = 0; i <= alen; ++i) {
    for (uint64_t j = 0; j <= blen; ++j) {
      if (i == 0 || j == 0) {
        at(i, j) = 0;
      } else if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  const uint32_t total = at(alen, blen);
  std::string result(total, '\0');
  std::vector<Range> ranges;
  // Walk back from the end as Redis does, so ranges come out last first and ties break the
  // same way (decrement j unless LCS(i-1,j) is strictly larger).
  const bool computelcs = getidx || !getlen;
  uint64_t i = alen, j = blen, idx = total;
  Range cur{static_cast<uint32_t>(alen), 0, 0, 0};
  while (computelcs && i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (cur.a_start == alen) {
        cur = {static_cast<uint32_t>(i - 1), static_cast<uint32_t>(i - 1),
               static_cast<uint32_t>(j - 1), static_cast<uint32_t>(j - 1)};
      } else if (cur.a_start == i && cur.b_start == j) {
        --cur.a_start;
        --cur.b_start;
      } else {
        emit = true;
      }
      if (cur.a_start == 0 || cur.b_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (cur.a_start != alen) emit = true;
    }
    if (emit) {
      const uint64_t match_len = cur.a_end - cur.a_start + 1;
      if (minmatchlen == 0 || match_len >= static_cast<uint64_t>(minmatchlen))
        ranges.push_back(cur);
      cur.a_start = static_cast<uint32_t>(alen);
    }
  }
  if (getidx) {
    ctx.rb->StartMap(2);
    ctx.rb->SendBulk("matches");
    ctx.rb->StartArray(static_cast<uint32_t>(ranges.size()));
    for (const Range& r : ranges) {
      ctx.rb->StartArray(withmatchlen ? 3 : 2);
      ctx.rb->StartArray(2);
      ctx.rb->SendLong(r.a_start);
      ctx.rb->SendLong(r.a_end);
      ctx.rb->StartArray(2);
      ctx.rb->SendLong(r.b_start);
      ctx.rb->SendLong(r.b_end);
      if (withmatchlen) ctx.rb->SendLong(static_cast<int64_t>(r.a_end - r.a_start + 1));
    }
    ctx.rb->SendBulk("len");
    ctx.rb->SendLong(total);
  } else if (getlen) {
    ctx.rb->SendLong(total);
  } else {
    ctx.rb->SendBulk(result);
  }
}

}  // namespace

void RegisterLcs(CommandTable& t) {
  t.Register(MakeSpec("lcs", -3, kCmdReadonly, kTwoKeys, CmdLcs, "string", "7.0.0",
                      "Find longest common substring",
                      "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"));
}

}  // namespace kv
