// Sorted-set algebra: ZUNION ZINTER ZDIFF, their STORE forms and ZINTERCARD (t_zset.c's
// zunionInterDiffGenericCommand), with WEIGHTS and AGGREGATE SUM|MIN|MAX. Inputs are read
// whole into a member -> score map, the result sorted by (score, member) as the container
// would order it, then replied or stored (an empty result deletes the destination). A plain
// set is an input too, each member scoring 1, as in Redis.

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/lookup.h"
#include "commands/zset_family.h"
#include "core/object.h"
#include "core/set.h"

namespace kv {

namespace {

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

void Aggregated(Aggregate agg, double* target, double v) {
  switch (agg) {
    case Aggregate::kSum:
      *target += v;
      // inf + -inf: Redis makes the NaN a zero.
      if (std::isnan(*target)) *target = 0.0;
      break;
    case Aggregate::kMin:
      *target = std::min(*target, v);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, v);
      break;
  }
}

using ScoreMap = std::unordered_map<std::string, double>;

// A missing key is an empty input; a set's members score 1.
ScoreMap Load(Entry* e) {
  ScoreMap out;
  if (!e) return out;
  if (TypeOf(*e) == ObjType::kSet) {
    out.reserve(set::Size(*e));
    char buf[kScalarBufSize];
    set::ForEach(*e, [&](const ScalarView& v) { out.emplace(CanonicalString(v, buf), 1.0); });
    return out;
  }
  ZSetRef z(e);
  out.reserve(z.size());
  z.Walk(0, z.size(), false, [&](const ZItem& it) { out.emplace(it.member, it.score); });
  return out;
}

void Generic(CommandContext& ctx, size_t numkeys_idx, bool store, SetOp op, bool card_only) {
  int64_t numkeys;
  if (!ParseIntOrReply(ctx, ctx.args[numkeys_idx], &numkeys)) return;
  if (numkeys < 1) {
    ctx.rb->SendError("ERR at least 1 input key is needed for '" + ctx.spec->name +
                      "' command");
    return;
  }
  if (numkeys > static_cast<int64_t>(ctx.args.size() - numkeys_idx - 1)) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  const auto n = static_cast<size_t>(numkeys);
  std::vector<Entry*> src(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string_view key = ctx.args[numkeys_idx + 1 + i];
    src[i] = FindRead(ctx.ShardFor(key), key, ctx.now_ms);
    if (src[i] && TypeOf(*src[i]) != ObjType::kZSet && TypeOf(*src[i]) != ObjType::kSet) {
      ctx.rb->SendError(errors::kWrongType);
      return;
    }
  }
  std::vector<double> weights(n, 1.0);
  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;
  for (size_t j = numkeys_idx + 1 + n; j < ctx.args.size();) {
    const size_t remaining = ctx.args.size() - j;
    const std::string_view a = ctx.args[j];
    const bool algebra = op != SetOp::kDiff && !card_only;
    if (algebra && remaining >= n + 1 && EqualsIgnoreCase(a, "weights")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        if (!ParseScore(ctx.args[j], &weights[i])) {
          ctx.rb->SendError("ERR weight value is not a float");
          return;
        }
      }
    } else if (algebra && remaining >= 2 && EqualsIgnoreCase(a, "aggregate")) {
      const std::string_view how = ctx.args[j + 1];
      if (EqualsIgnoreCase(how, "sum")) {
        agg = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "min")) {
        agg = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "max")) {
        agg = Aggregate::kMax;
      } else {
        ctx.rb->SendError(errors::kSyntax);
        return;
      }
      j += 2;
    } else if (!store && !card_only && EqualsIgnoreCase(a, "withscores")) {
      withscores = true;
      ++j;
    } else if (card_only && remaining >= 2 && EqualsIgnoreCase(a, "limit")) {
      if (!ParsePositiveOrReply(ctx, ctx.args[j + 1], "ERR LIMIT can't be negative", &limit))
        return;
      j += 2;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }

  ScoreMap result;
  if (op == SetOp::kUnion) {
    for (size_t i = 0; i < n; ++i) {
      for (const auto& [m, s] : Load(src[i])) {
        double v = weights[i] * s;
        if (std::isnan(v)) v = 0.0;
        auto [it, fresh] = result.emplace(m, v);
        if (!fresh) Aggregated(agg, &it->second, v);
      }
    }
  } else if (op == SetOp::kDiff) {
    result = Load(src[0]);
    for (size_t i = 1; i < n && !result.empty(); ++i)
      for (const auto& [m, s] : Load(src[i])) result.erase(m);
  } else {
    // Smallest input first: every member of the result is in it.
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    auto size_of = [&](size_t i) -> size_t {
      if (!src[i]) return 0;
      return TypeOf(*src[i]) == ObjType::kSet ? set::Size(*src[i]) : ZSetRef(src[i]).size();
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return size_of(a) < size_of(b); });
    if (size_of(order[0]) > 0) {
      std::vector<ScoreMap> others;
      for (size_t k = 1; k < n; ++k) others.push_back(Load(src[order[k]]));
      for (const auto& [m, s] : Load(src[order[0]])) {
        double score = weights[order[0]] * s;
        if (std::isnan(score)) score = 0.0;
        bool everywhere = true;
        for (size_t k = 1; k < n && everywhere; ++k) {
          auto it = others[k - 1].find(m);
          if (it == others[k - 1].end()) {
            everywhere = false;
            break;
          }
          double v = weights[order[k]] * it->second;
          if (std::isnan(v)) v = 0.0;
          Aggregated(agg, &score, v);
        }
        if (!everywhere) continue;
        result.emplace(m, score);
        if (card_only && limit > 0 && static_cast<int64_t>(result.size()) >= limit) break;
      }
    }
  }
  if (card_only) {
    ctx.rb->SendLong(static_cast<int64_t>(result.size()));
    return;
  }
  std::vector<OwnedItem> items;
  items.reserve(result.size());
  for (auto& [m, s] : result) items.push_back({m, s});
  std::sort(items.begin(), items.end(), [](const OwnedItem& a, const OwnedItem& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
  if (store) {
    ctx.rb->SendLong(static_cast<int64_t>(StoreItems(ctx, ctx.args[1], items, ctx.spec->name)));
  } else {
    SendItems(ctx, items, withscores);
  }
}

void CmdZUnion(CommandContext& ctx) { Generic(ctx, 1, false, SetOp::kUnion, false); }
void CmdZInter(CommandContext& ctx) { Generic(ctx, 1, false, SetOp::kInter, false); }
void CmdZDiff(CommandContext& ctx) { Generic(ctx, 1, false, SetOp::kDiff, false); }
void CmdZUnionStore(CommandContext& ctx) { Generic(ctx, 2, true, SetOp::kUnion, false); }
void CmdZInterStore(CommandContext& ctx) { Generic(ctx, 2, true, SetOp::kInter, false); }
void CmdZDiffStore(CommandContext& ctx) { Generic(ctx, 2, true, SetOp::kDiff, false); }
void CmdZInterCard(CommandContext& ctx) { Generic(ctx, 1, false, SetOp::kInter, true); }

void KeysAt1(std::span<const std::string_view> args, std::vector<size_t>* out) {
  NumKeysAt(args, 1, out);
}
// dst numkeys key [key ...]: the destination, then the inputs.
void StoreKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  NumKeysAt(args, 2, out);
  // As Redis: no keys at all when numkeys is wrong (the handler answers the error).
  if (!out->empty()) out->insert(out->begin(), 1);
}

void Add(CommandTable& t, std::string name, int arity, uint32_t flags, KeyFinder keys,
         CommandHandler h, std::string since, std::string summary, std::string syntax) {
  // The STORE forms report their destination as the fixed key range, as Redis does; find_keys
  // gives every key either way.
  const KeyRange range = keys == StoreKeys ? KeyRange{1, 1, 1} : kNoKeys;
  CommandSpec s = MakeSpec(std::move(name), arity, flags, range, h, "sorted_set",
                           std::move(since), std::move(summary), std::move(syntax));
  s.find_keys = keys;
  // The STORE forms only read their inputs (Redis's RO key specs: ACL asks read access).
  if (keys == StoreKeys) s.read_keys_from = 2;
  t.Register(std::move(s));
}

}  // namespace

void RegisterZSetOps(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly;
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  Add(t, "zunion", -3, kRead, KeysAt1, CmdZUnion, "6.2.0", "Add multiple sorted sets",
      "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] "
      "[WITHSCORES]");
  Add(t, "zinter", -3, kRead, KeysAt1, CmdZInter, "6.2.0", "Intersect multiple sorted sets",
      "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] "
      "[WITHSCORES]");
  Add(t, "zdiff", -3, kRead, KeysAt1, CmdZDiff, "6.2.0", "Subtract multiple sorted sets",
      "numkeys key [key ...] [WITHSCORES]");
  Add(t, "zunionstore", -4, kGrow, StoreKeys, CmdZUnionStore, "2.0.0",
      "Add multiple sorted sets and store the resulting sorted set in a new key",
      "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
      "[AGGREGATE SUM|MIN|MAX]");
  Add(t, "zinterstore", -4, kGrow, StoreKeys, CmdZInterStore, "2.0.0",
      "Intersect multiple sorted sets and store the resulting sorted set in a new key",
      "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] "
      "[AGGREGATE SUM|MIN|MAX]");
  Add(t, "zdiffstore", -4, kGrow, StoreKeys, CmdZDiffStore, "6.2.0",
      "Subtract multiple sorted sets and store the resulting sorted set in a new key",
      "destination numkeys key [key ...]");
  Add(t, "zintercard", -3, kRead, KeysAt1, CmdZInterCard, "7.0.0",
      "Intersect multiple sorted sets and return the cardinality of the result",
      "numkeys key [key ...] [LIMIT limit]");
}

}  // namespace kv
