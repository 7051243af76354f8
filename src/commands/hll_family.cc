// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST, with Redis 7.0's replies and
// errors (hyperloglog.c). The estimator lives in a plain string value in Redis's exact format
// (core/hyperloglog.h), so GET and SET move HLLs between kv-server and redis-server.
//
// PFCOUNT of one key stores the cardinality it computed in the value's cache bytes, as Redis
// does. PFCOUNT is a read command and is not logged, so after a restart that replays the log
// the cache may be stale again (PFCOUNT then recomputes the same number); a snapshot keeps it.

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "commands/lookup.h"
#include "commands/string_bytes.h"
#include "core/hyperloglog.h"
#include "core/object.h"
#include "core/scalar.h"
#include "core/shard.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

size_t SparseMaxBytes(const CommandContext& ctx) {
  const int64_t v = ctx.server->config.hll_sparse_max_bytes.load(std::memory_order_relaxed);
  return v < 0 ? 0 : static_cast<size_t>(v);
}

// isHLLObjectOrReply: a string (else WRONGTYPE) whose header is an HLL's (else Redis's
// "not a valid HyperLogLog" WRONGTYPE). Returns its bytes, or nullopt after replying.
std::optional<std::string_view> HllBytesOrReply(CommandContext& ctx, const Entry& e, char* buf) {
  if (!IsString(e)) {
    ctx.rb->SendError(errors::kWrongType);
    return std::nullopt;
  }
  const std::string_view v = StringBytes(e, buf);
  if (!hll::IsHll(v)) {
    ctx.rb->SendError(errors::kNotHll);
    return std::nullopt;
  }
  return v;
}

void CmdPfAdd(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Shard& shard = ctx.ShardFor(key);
  Entry* e = shard.Find(key, ctx.now_ms);
  const size_t max_bytes = SparseMaxBytes(ctx);
  const auto elements = ctx.args.subspan(2);
  if (!e) {
    std::string h = hll::NewSparse();
    for (std::string_view el : elements) hll::Add(&h, el, max_bytes);
    hll::InvalidateCache(h.data());  // creating the key counts as an update, as in Redis
    shard.Set(key, ScalarView::Bytes(h), kNoExpire);
    ctx.Notify(ev::kString, "pfadd", key);
    ctx.rb->SendLong(1);
    return;
  }
  char buf[kScalarBufSize];
  const auto current = HllBytesOrReply(ctx, *e, buf);
  if (!current) return;
  int updated = 0;
  // A dense Bytes value is updated where it lies: no copy of its 12 KB per command.
  if (hll::EncodingOf(*current) == hll::Encoding::kDense && e->type() == ScalarType::kBytes) {
    auto* value = e->mutable_value();
    auto* regs = reinterpret_cast<uint8_t*>(value) + hll::kHeaderSize;
    for (std::string_view el : elements) updated += hll::DenseAdd(regs, el);
    if (updated) {
      hll::InvalidateCache(value);
      NoteWrite();
      ctx.Notify(ev::kString, "pfadd", key);
    }
    ctx.rb->SendLong(updated ? 1 : 0);
    return;
  }
  std::string h(*current);
  for (std::string_view el : elements) {
    const int r = hll::Add(&h, el, max_bytes);
    if (r < 0) {
      // What was added before the corruption was found stays, as in Redis.
      StoreBytes(shard, key, e, h, ctx.now_ms);
      ctx.rb->SendError(errors::kCorruptHll);
      return;
    }
    updated += r;
  }
  if (updated) {
    hll::InvalidateCache(h.data());
    StoreBytes(shard, key, e, h, ctx.now_ms);
    ctx.Notify(ev::kString, "pfadd", key);
  }
  ctx.rb->SendLong(updated ? 1 : 0);
}

// PFCOUNT of several keys: the estimate of their union, nothing cached.
void CountUnion(CommandContext& ctx) {
  hll::Registers max{};
  for (size_t j = 1; j < ctx.args.size(); ++j) {
    const Entry* e = FindRead(ctx.ShardFor(ctx.args[j]), ctx.args[j], ctx.now_ms);
    if (!e) continue;
    char buf[kScalarBufSize];
    const auto v = HllBytesOrReply(ctx, *e, buf);
    if (!v) return;
    if (!hll::MergeInto(&max, *v)) {
      ctx.rb->SendError(errors::kCorruptHll);
      return;
    }
  }
  ctx.rb->SendLong(static_cast<int64_t>(hll::CountRegisters(max)));
}

void CmdPfCount(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    CountUnion(ctx);
    return;
  }
  const std::string_view key = ctx.args[1];
  Shard& shard = ctx.ShardFor(key);
  Entry* e = FindRead(shard, key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendLong(0);
    return;
  }
  char buf[kScalarBufSize];
  const auto v = HllBytesOrReply(ctx, *e, buf);
  if (!v) return;
  if (const auto cached = hll::CachedCardinality(*v)) {
    ctx.rb->SendLong(static_cast<int64_t>(*cached));
    return;
  }
  const auto card = hll::Count(*v);
  if (!card) {
    ctx.rb->SendError(errors::kCorruptHll);
    return;
  }
  if (e->type() == ScalarType::kBytes) {
    hll::StoreCachedCardinality(e->mutable_value(), *card);
  } else {
    std::string h(*v);
    hll::StoreCachedCardinality(h.data(), *card);
    StoreBytes(shard, key, e, h, ctx.now_ms);
  }
  ctx.rb->SendLong(static_cast<int64_t>(*card));
}

void CmdPfMerge(CommandContext& ctx) {
  hll::Registers max{};
  bool dense = false;
  // The destination's own registers count too (it is the first key).
  for (size_t j = 1; j < ctx.args.size(); ++j) {
    const Entry* e = FindRead(ctx.ShardFor(ctx.args[j]), ctx.args[j], ctx.now_ms);
    if (!e) continue;
    char buf[kScalarBufSize];
    const auto v = HllBytesOrReply(ctx, *e, buf);
    if (!v) return;
    if (hll::EncodingOf(*v) == hll::Encoding::kDense) dense = true;
    if (!hll::MergeInto(&max, *v)) {
      ctx.rb->SendError(errors::kCorruptHll);
      return;
    }
  }
  const std::string_view dest = ctx.args[1];
  Shard& shard = ctx.ShardFor(dest);
  Entry* e = shard.Find(dest, ctx.now_ms);
  char buf[kScalarBufSize];
  // Checked above: an existing destination is a valid HLL.
  std::string h = e ? std::string(StringBytes(*e, buf)) : hll::NewSparse();
  if (dense && !hll::SparseToDense(&h)) {
    ctx.rb->SendError(errors::kCorruptHll);
    return;
  }
  // Register by register, in order, so a sparse result has the bytes Redis would build.
  const size_t max_bytes = SparseMaxBytes(ctx);
  for (uint32_t i = 0; i < hll::kRegisters; ++i)
    if (max[i]) hll::Set(&h, i, max[i], max_bytes);
  hll::InvalidateCache(h.data());
  StoreBytes(shard, dest, e, h, ctx.now_ms);
  ctx.Notify(ev::kString, "pfadd", dest);
  ctx.rb->SendOk();
}

void CmdPfDebug(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const std::string_view word = sub.substr(0, sub.find('\0'));  // Redis reads a C string
  const std::string_view key = ctx.args[2];
  Shard& shard = ctx.ShardFor(key);
  Entry* e = shard.Find(key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendError("ERR The specified key does not exist");
    return;
  }
  char buf[kScalarBufSize];
  const auto v = HllBytesOrReply(ctx, *e, buf);
  if (!v) return;
  const bool sparse = hll::EncodingOf(*v) == hll::Encoding::kSparse;
  if (EqualsIgnoreCase(word, "getreg") || EqualsIgnoreCase(word, "todense")) {
    std::string h(*v);
    if (sparse) {
      if (!hll::SparseToDense(&h)) {
        ctx.rb->SendError(errors::kCorruptHll);
        return;
      }
      StoreBytes(shard, key, e, h, ctx.now_ms);
    }
    if (EqualsIgnoreCase(word, "todense")) {
      ctx.rb->SendLong(sparse ? 1 : 0);
      return;
    }
    const auto* regs = reinterpret_cast<const uint8_t*>(h.data()) + hll::kHeaderSize;
    ctx.rb->StartArray(hll::kRegisters);
    for (uint32_t i = 0; i < hll::kRegisters; ++i) ctx.rb->SendLong(hll::DenseGet(regs, i));
  } else if (EqualsIgnoreCase(word, "decode")) {
    if (!sparse) {
      ctx.rb->SendError("ERR HLL encoding is not sparse");
      return;
    }
    ctx.rb->SendBulk(hll::DecodeSparse(*v));
  } else if (EqualsIgnoreCase(word, "encoding")) {
    ctx.rb->SendSimple(sparse ? "sparse" : "dense");
  } else {
    ctx.rb->SendError(fmt::format("ERR Unknown PFDEBUG subcommand '{}'", word));
  }
}

// A lighter version of Redis's self test (which adds ten million elements): register access,
// sparse and dense agreement, and the error bound up to 100000 elements.
void CmdPfSelfTest(CommandContext& ctx) {
  std::mt19937_64 rng(std::random_device{}());
  std::string dense = hll::NewSparse();
  hll::SparseToDense(&dense);
  auto* regs = reinterpret_cast<uint8_t*>(dense.data()) + hll::kHeaderSize;
  hll::Registers expect{};
  for (int round = 0; round < 10; ++round) {
    for (uint32_t i = 0; i < hll::kRegisters; ++i) {
      expect[i] = static_cast<uint8_t>(rng() & hll::kRegisterMax);
      hll::DenseSet(regs, i, expect[i]);
    }
    for (uint32_t i = 0; i < hll::kRegisters; ++i) {
      if (hll::DenseGet(regs, i) != expect[i]) {
        ctx.rb->SendError(fmt::format("ERR TESTFAILED Register {} should be {} but is {}", i,
                                      expect[i], hll::DenseGet(regs, i)));
        return;
      }
    }
  }
  dense = hll::NewSparse();
  hll::SparseToDense(&dense);
  regs = reinterpret_cast<uint8_t*>(dense.data()) + hll::kHeaderSize;
  std::string sparse = hll::NewSparse();
  const double relerr = 1.04 / std::sqrt(double{hll::kRegisters});
  const uint64_t seed = rng();
  uint64_t checkpoint = 1;
  for (uint64_t j = 1; j <= 100000; ++j) {
    const uint64_t ele = j ^ seed;
    const std::string_view bytes(reinterpret_cast<const char*>(&ele), sizeof ele);
    hll::DenseAdd(regs, bytes);
    hll::Add(&sparse, bytes, SparseMaxBytes(ctx));
    if (j != checkpoint) continue;
    if (hll::Count(dense) != hll::Count(sparse)) {
      ctx.rb->SendError("ERR TESTFAILED dense/sparse disagree");
      return;
    }
    const auto est = static_cast<int64_t>(*hll::Count(dense));
    const int64_t abserr = std::abs(static_cast<int64_t>(checkpoint) - est);
    const auto maxerr = j == 10 ? 1 : static_cast<int64_t>(std::ceil(relerr * 6 * checkpoint));
    if (abserr > maxerr) {
      ctx.rb->SendError(fmt::format("ERR TESTFAILED Too big error. card:{} abserr:{}",
                                    checkpoint, abserr));
      return;
    }
    checkpoint *= 10;
  }
  ctx.rb->SendOk();
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, keys, h, "hyperloglog", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterHllFamily(CommandTable& t) {
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  t.Register(Spec("pfadd", -2, kGrow | kCmdFast, kOneKey, CmdPfAdd, "2.8.9",
                  "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
                  "key [element [element ...]]"));
  t.Register(Spec("pfcount", -2, kCmdReadonly | kCmdMayReplicate, kAllKeys, CmdPfCount, "2.8.9",
                  "Returns the approximated cardinality of the set(s) observed by the "
                  "HyperLogLog key(s).",
                  "key [key ...]"));
  CommandSpec merge = Spec("pfmerge", -2, kGrow, kAllKeys, CmdPfMerge, "2.8.9",
                           "Merges one or more HyperLogLog values into a single key.",
                           "destkey [sourcekey [sourcekey ...]]");
  merge.read_keys_from = 2;
  t.Register(std::move(merge));
  t.Register(Spec("pfdebug", 3, kGrow | kCmdAdmin, KeyRange{2, 2, 1}, CmdPfDebug, "2.8.9",
                  "Internal commands for debugging HyperLogLog values.", "subcommand key"));
  t.Register(Spec("pfselftest", 1, kCmdAdmin, kNoKeys, CmdPfSelfTest, "2.8.9",
                  "An internal command for testing HyperLogLog values.", ""));
}

}  // namespace kv
