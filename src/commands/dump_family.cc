// DUMP and RESTORE with Redis 7.0's replies and errors (cluster.c), exchanging payloads with
// redis-server through persist/rdb_value.h. Values with no Redis form (native Int, Float and
// Decimal scalars, nested elements) dump as their canonical text (docs/commands.md).

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/lookup.h"
#include "core/hash.h"
#include "core/object.h"
#include "core/set.h"
#include "core/shard.h"
#include "core/value_encoding.h"
#include "core/zset.h"
#include "persist/rdb_value.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

std::string Text(const ScalarView& v) {
  if (v.type == ScalarType::kNested) return EncodedValueText(v.bytes);
  char buf[kScalarBufSize];
  return std::string(CanonicalString(v, buf));
}

RdbValue FromEntry(const Entry& e) {
  RdbValue out;
  std::string scratch;
  auto push = [&](const ScalarView& v) { out.items.push_back(Text(v)); };
  switch (TypeOf(e)) {
    case ObjType::kList:
      out.kind = RdbValue::Kind::kList;
      ForEachListElement(WholeValue(e, &scratch).bytes, push);
      break;
    case ObjType::kSet:
      out.kind = RdbValue::Kind::kSet;
      out.compact = Is(e, Encoding::kIntSet);
      set::ForEach(e, push);
      break;
    case ObjType::kHash:
      out.kind = RdbValue::Kind::kHash;
      out.compact = Is(e, Encoding::kHashPack);
      EncodeHashPairs(e, &scratch);
      ForEachListElement(scratch, push);
      break;
    case ObjType::kZSet: {
      out.kind = RdbValue::Kind::kZSet;
      out.compact = Is(e, Encoding::kZSetPack);
      ZSetRef z(const_cast<Entry*>(&e));
      z.Walk(0, z.size(), false, [&](const ZItem& it) {
        out.items.emplace_back(it.member);
        out.scores.push_back(it.score);
      });
      break;
    }
    default:
      out.kind = RdbValue::Kind::kString;
      push(e.value());
  }
  return out;
}

// Stores a parsed payload under `key`, replacing any value, through the same paths a snapshot
// load takes, so the encoding follows today's thresholds.
void Store(Shard& shard, std::string_view key, const RdbValue& v, int64_t expire_at) {
  std::string enc;
  switch (v.kind) {
    case RdbValue::Kind::kString:
      shard.Set(key, ScalarView::Bytes(v.items[0]), expire_at);
      return;
    case RdbValue::Kind::kList:
    case RdbValue::Kind::kHash:
      AppendListHeader(static_cast<uint32_t>(v.items.size()), &enc);
      for (const std::string& s : v.items) AppendEncodedScalar(ScalarView::Bytes(s), &enc);
      if (v.kind == RdbValue::Kind::kList)
        shard.Set(key, ScalarView::Nested(enc), expire_at);
      else
        StoreHashPairs(shard, key, enc, expire_at);
      return;
    case RdbValue::Kind::kSet: {
      AppendListHeader(static_cast<uint32_t>(v.items.size()), &enc);
      for (const std::string& s : v.items) AppendEncodedScalar(ScalarView::Bytes(s), &enc);
      const auto c = set::FromEncodedList(enc);
      if (c) shard.SetContainer(key, c->encoding, c->ptr, expire_at);
      return;
    }
    case RdbValue::Kind::kZSet: {
      AppendListHeader(static_cast<uint32_t>(v.items.size()), &enc);
      for (size_t i = 0; i < v.items.size(); ++i) {
        AppendListHeader(2, &enc);
        AppendEncodedScalar(ScalarView::Bytes(v.items[i]), &enc);
        AppendEncodedScalar(ScalarView::Float(v.scores[i]), &enc);
      }
      const NewContainer c = ZSetFromEncoded(enc);
      shard.SetContainer(key, c.encoding, c.ptr, expire_at);
      return;
    }
  }
}

void CmdDump(CommandContext& ctx) {
  const Entry* e = FindRead(ctx.ShardFor(ctx.args[1]), ctx.args[1], ctx.now_ms);
  if (!e) {
    ctx.rb->SendNull();
    return;
  }
  ctx.rb->SendBulk(DumpRdbValue(FromEntry(*e)));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
void CmdRestore(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  bool replace = false, absttl = false;
  int64_t idle = -1, freq = -1;
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    const bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[j], "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "ABSTTL")) {
      absttl = true;
    } else if (EqualsIgnoreCase(ctx.args[j], "IDLETIME") && more && freq == -1) {
      if (!ParseIntOrReply(ctx, ctx.args[++j], &idle)) return;
      if (idle < 0) {
        ctx.rb->SendError("ERR Invalid IDLETIME value, must be >= 0");
        return;
      }
    } else if (EqualsIgnoreCase(ctx.args[j], "FREQ") && more && idle == -1) {
      if (!ParseIntOrReply(ctx, ctx.args[++j], &freq)) return;
      if (freq < 0 || freq > 255) {
        ctx.rb->SendError("ERR Invalid FREQ value, must be >= 0 and <= 255");
        return;
      }
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  Shard& shard = ctx.ShardFor(key);
  if (!replace && shard.Find(key, ctx.now_ms)) {
    ctx.rb->SendError("BUSYKEY Target key name already exists.");
    return;
  }
  int64_t ttl;
  if (!ParseIntOrReply(ctx, ctx.args[2], &ttl)) return;
  if (ttl < 0) {
    ctx.rb->SendError("ERR Invalid TTL value, must be >= 0");
    return;
  }
  RdbValue v;
  switch (ParseRdbValue(ctx.args[3], &v)) {
    case RdbError::kBadFooter:
      ctx.rb->SendError("ERR DUMP payload version or checksum are wrong");
      return;
    case RdbError::kBadData:
      ctx.rb->SendError("ERR Bad data format");
      return;
    case RdbError::kOk:
      break;
  }
  if (ttl > 0 && !absttl) ttl = ttl > INT64_MAX - ctx.now_ms ? INT64_MAX : ttl + ctx.now_ms;
  if (ttl > 0 && ttl <= ctx.now_ms) {
    // Already expired: the key is only deleted (when REPLACE found one), as in Redis.
    if (replace && shard.Erase(key, ctx.now_ms)) {
      ctx.LogAs({"del", key});
      ctx.Notify(ev::kGeneric, "del", key);
    }
    ctx.rb->SendOk();
    return;
  }
  // Deleted, then added (Redis's restoreCommand), so RESTORE ... REPLACE announces `new` too.
  if (replace) shard.Erase(key, ctx.now_ms);
  Store(shard, key, v, ttl > 0 ? ttl : kNoExpire);
  if (idle >= 0) {
    if (Entry* e = shard.Peek(key, ctx.now_ms)) {
      const uint32_t now = LruClock();
      e->set_lru(static_cast<uint64_t>(idle) >= now ? 0 : now - static_cast<uint32_t>(idle));
    }
  }
  // Replayed from the log with an absolute expiry, so a restart does not extend it.
  const std::string at = std::to_string(ttl);
  ctx.LogAs({"restore", key, at, ctx.args[3], "REPLACE", "ABSTTL"});
  ctx.Notify(ev::kGeneric, "restore", key);
  ctx.rb->SendOk();
}

}  // namespace

void RegisterDumpFamily(CommandTable& t) {
  t.Register(MakeSpec("dump", 2, kCmdReadonly, kOneKey, CmdDump, "generic", "2.6.0",
                      "Return a serialized version of the value stored at the specified key.",
                      "key"));
  t.Register(MakeSpec("restore", -4, kCmdWrite | kCmdDenyOom, kOneKey, CmdRestore, "generic",
                      "2.6.0", "Create a key using the provided serialized value, previously "
                      "obtained using DUMP.",
                      "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] "
                      "[FREQ frequency]"));
}

}  // namespace kv
