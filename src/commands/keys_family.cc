// Generic key commands: DEL UNLINK EXISTS EXPIRE PEXPIRE EXPIREAT PEXPIREAT EXPIRETIME
// PEXPIRETIME TTL PTTL PERSIST TYPE KEYS SCAN RENAME RENAMENX RANDOMKEY TOUCH, and the server
// group's DBSIZE FLUSHDB FLUSHALL, with Redis 7.0's replies and errors (db.c, expire.c).
//
// Commands with declared keys run with those keys' shards already locked by the dispatcher.
// Whole-keyspace commands (flag kCmdAllShards: KEYS SCAN DBSIZE FLUSHDB FLUSHALL RANDOMKEY)
// declare no keys and lock one shard at a time, so they never hold two shard locks at once and
// see a per-shard consistent, not global, snapshot (as Redis's SCAN guarantees allow).
//
// SCAN cursor: (table cursor << shard_bits) | shard index. Shards are walked in index order and
// each shard's table with Table::Scan's reverse-binary cursor, so every key present for a whole
// scan is returned at least once, even when tables resize between calls.

#include <fmt/format.h>

#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/scan_args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/lookup.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "commands/tracking.h"
#include "core/copy_value.h"
#include "core/object.h"
#include "core/glob.h"
#include "core/keyspace.h"
#include "core/lazy_free.h"
#include "core/shard.h"
#include "core/value_encoding.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

constexpr std::string_view kNxXxGtLt =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
constexpr std::string_view kGtLt = "ERR GT and LT options at the same time are not compatible";

// A lookup that does not refresh the LRU clock but counts keyspace hits and misses, as Redis's
// lookupKeyReadWithFlags(LOOKUP_NOTOUCH) does for EXISTS, TYPE and TTL.
Entry* PeekRead(Shard& shard, std::string_view key, int64_t now_ms) {
  return CountRead(shard, key, shard.Peek(key, now_ms));
}

uint64_t& Rng() {
  thread_local uint64_t state = std::random_device{}() | (uint64_t{std::random_device{}()} << 32);
  return state;
}

// splitmix64: a fast, well-mixed per-thread random stream for RANDOMKEY.
uint64_t NextRandom() {
  uint64_t z = (Rng() += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// ------------------------------------------------------------------------------------------
// Shard operations
// ------------------------------------------------------------------------------------------

enum ExpireFlag : uint32_t { kExpNx = 1, kExpXx = 2, kExpGt = 4, kExpLt = 8 };

// Sets `key` to expire at `when` (absolute ms) if the NX/XX/GT/LT condition holds: kSkipped when
// it does not, kKeyNotFound when there is no key. A time not in the future deletes the key.
OpStatus OpExpire(Shard& shard, std::string_view key, int64_t when, uint32_t flags,
                  int64_t now_ms) {
  Entry* e = shard.Find(key, now_ms);
  if (!e) return OpStatus::kKeyNotFound;
  const int64_t current = e->expire_at();  // kNoExpire (-1) reads as an infinite TTL
  if ((flags & kExpNx) && current != kNoExpire) return OpStatus::kSkipped;
  if ((flags & kExpXx) && current == kNoExpire) return OpStatus::kSkipped;
  if ((flags & kExpGt) && (current == kNoExpire || when <= current)) return OpStatus::kSkipped;
  if ((flags & kExpLt) && current != kNoExpire && when >= current) return OpStatus::kSkipped;
  if (when <= now_ms) {
    FreeCauseScope expiry(FreeCause::kExpire);  // Redis 7 frees it as lazyfree-lazy-expire says
    shard.Erase(key, now_ms);
  } else
    shard.SetExpire(key, when, now_ms);
  return OpStatus::kOk;
}

// Moves the value and TTL of `src` to `dst` (both shards locked). kKeyNotFound when `src` is
// missing; kSkipped when `nx` and `dst` exists. Renaming a key to itself changes nothing.
OpStatus OpRename(Shard& src_shard, std::string_view src, Shard& dst_shard, std::string_view dst,
                  bool nx, int64_t now_ms) {
  Entry* e = src_shard.Find(src, now_ms);
  if (!e) return OpStatus::kKeyNotFound;
  if (src == dst) return nx ? OpStatus::kSkipped : OpStatus::kOk;
  if (dst_shard.Find(dst, now_ms)) {
    if (nx) return OpStatus::kSkipped;
    // As Redis: the old destination is deleted and the key added under its new name, so a
    // rename over a key announces `new` too. Erasing another key never moves `e`.
    dst_shard.Erase(dst, now_ms);
  }
  MoveValue(e, src_shard, src, dst_shard, dst, now_ms);
  return OpStatus::kOk;
}

// ------------------------------------------------------------------------------------------
// Keys
// ------------------------------------------------------------------------------------------

void EraseArgs(CommandContext& ctx) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (!ctx.ShardFor(ctx.args[i]).Erase(ctx.args[i], ctx.now_ms)) continue;
    ++n;
    ctx.Notify(ev::kGeneric, "del", ctx.args[i]);
  }
  ctx.rb->SendLong(n);
}

// DEL frees a big collection in the background under lazyfree-lazy-user-del; UNLINK always.
void CmdDel(CommandContext& ctx) {
  FreeCauseScope cause(FreeCause::kUserDel);
  EraseArgs(ctx);
}

void CmdUnlink(CommandContext& ctx) {
  FreeCauseScope cause(FreeCause::kAsync);
  EraseArgs(ctx);
}

// Counts the given keys that exist, repeats included. TOUCH also refreshes their LRU clock.
void CountExisting(CommandContext& ctx, bool touch) {
  int64_t n = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    Shard& shard = ctx.ShardFor(ctx.args[i]);
    Entry* e = touch ? FindRead(shard, ctx.args[i], ctx.now_ms)
                     : PeekRead(shard, ctx.args[i], ctx.now_ms);
    n += e ? 1 : 0;
  }
  ctx.rb->SendLong(n);
}

void CmdExists(CommandContext& ctx) { CountExisting(ctx, false); }
void CmdTouch(CommandContext& ctx) { CountExisting(ctx, true); }

// What TYPE reports and SCAN TYPE filters on (core/object.h): "string" for every scalar; a
// native client's List is a list and its Map a hash; its Null is kv-server's "null".
std::string_view TypeName(const Entry& e) { return ObjTypeName(TypeOf(e)); }

void CmdType(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  const Entry* e = PeekRead(ctx.ShardFor(key), key, ctx.now_ms);
  ctx.rb->SendSimple(e ? TypeName(*e) : "none");
}

// ------------------------------------------------------------------------------------------
// Expiry
// ------------------------------------------------------------------------------------------

// Parses NX XX GT LT from args[3] on (parseExtendedExpireArgumentsOrReply).
bool ParseExpireFlagsOrReply(CommandContext& ctx, uint32_t* flags) {
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "NX")) {
      *flags |= kExpNx;
    } else if (EqualsIgnoreCase(opt, "XX")) {
      *flags |= kExpXx;
    } else if (EqualsIgnoreCase(opt, "GT")) {
      *flags |= kExpGt;
    } else if (EqualsIgnoreCase(opt, "LT")) {
      *flags |= kExpLt;
    } else {
      ctx.rb->SendError(fmt::format("ERR Unsupported option {}", opt));
      return false;
    }
  }
  if ((*flags & kExpNx) && (*flags & (kExpXx | kExpGt | kExpLt))) {
    ctx.rb->SendError(kNxXxGtLt);
    return false;
  }
  if ((*flags & kExpGt) && (*flags & kExpLt)) {
    ctx.rb->SendError(kGtLt);
    return false;
  }
  return true;
}

// EXPIRE / PEXPIRE (basetime = now) and EXPIREAT / PEXPIREAT (basetime = 0), expireGenericCommand.
void ExpireGeneric(CommandContext& ctx, int64_t basetime, bool seconds) {
  uint32_t flags = 0;
  if (!ParseExpireFlagsOrReply(ctx, &flags)) return;
  int64_t when;
  if (!ParseIntOrReply(ctx, ctx.args[2], &when)) return;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  // Negative times are allowed (they delete the key); only overflow is an error.
  bool valid = !(seconds && (when > kMax / 1000 || when < kMin / 1000));
  if (valid && seconds) when *= 1000;
  if (valid) valid = when <= kMax - basetime;
  if (!valid) {
    ctx.rb->SendError(fmt::format(fmt::runtime(errors::kInvalidExpire), ctx.spec->name));
    return;
  }
  when += basetime;
  const std::string_view key = ctx.args[1];
  const OpStatus st = OpExpire(ctx.ShardFor(key), key, when, flags, ctx.now_ms);
  // Logged as its effect with an absolute deadline (its NX/XX/GT/LT condition held), as Redis
  // propagates every EXPIRE variant as PEXPIREAT, or DEL when the time was already past.
  if (st == OpStatus::kOk) {
    if (when <= ctx.now_ms) {
      ctx.LogAs({"DEL", key});
      ctx.Notify(ev::kGeneric, "del", key);
    } else {
      ctx.LogAs({"PEXPIREAT", key, std::to_string(when)});
      ctx.Notify(ev::kGeneric, "expire", key);
    }
  }
  ctx.rb->SendLong(st == OpStatus::kOk ? 1 : 0);
}

void CmdExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, true); }
void CmdPExpire(CommandContext& ctx) { ExpireGeneric(ctx, ctx.now_ms, false); }
void CmdExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, true); }
void CmdPExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, 0, false); }

// TTL PTTL EXPIRETIME PEXPIRETIME (ttlGenericCommand): -2 no key, -1 no expiry; seconds are
// rounded to the nearest, as Redis does.
void TtlGeneric(CommandContext& ctx, bool output_ms, bool absolute) {
  const std::string_view key = ctx.args[1];
  Entry* e = PeekRead(ctx.ShardFor(key), key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendLong(-2);
    return;
  }
  const int64_t at = e->expire_at();
  if (at == kNoExpire) {
    ctx.rb->SendLong(-1);
    return;
  }
  int64_t ttl = absolute ? at : at - ctx.now_ms;
  if (ttl < 0) ttl = 0;
  // (ttl + 500) / 1000 without the signed overflow for times near INT64_MAX (PEXPIREAT max).
  ctx.rb->SendLong(output_ms ? ttl : ttl / 1000 + (ttl % 1000 >= 500 ? 1 : 0));
}

void CmdTtl(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void CmdPTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void CmdExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void CmdPExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void CmdPersist(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Shard& shard = ctx.ShardFor(key);
  Entry* e = shard.Find(key, ctx.now_ms);
  if (!e || !e->has_expire()) {
    ctx.rb->SendLong(0);
    return;
  }
  shard.SetExpire(key, kNoExpire, ctx.now_ms);
  ctx.Notify(ev::kGeneric, "persist", key);
  ctx.rb->SendLong(1);
}

// ------------------------------------------------------------------------------------------
// Rename
// ------------------------------------------------------------------------------------------

void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.args[1], dst = ctx.args[2];
  const OpStatus st =
      OpRename(ctx.ShardFor(src), src, ctx.ShardFor(dst), dst, nx, ctx.now_ms);
  if (st == OpStatus::kOk && src != dst) {
    ctx.Notify(ev::kGeneric, "rename_from", src);
    ctx.Notify(ev::kGeneric, "rename_to", dst);
  }
  if (st == OpStatus::kKeyNotFound) {
    ctx.rb->SendError(errors::kNoSuchKey);
  } else if (nx) {
    ctx.rb->SendLong(st == OpStatus::kOk ? 1 : 0);
  } else {
    ctx.rb->SendOk();
  }
}

void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void CmdRenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// ------------------------------------------------------------------------------------------
// Whole keyspace (no declared keys: each shard is locked here, one at a time)
// ------------------------------------------------------------------------------------------

void CmdKeys(CommandContext& ctx) {
  const std::string_view pattern = ctx.args[1];
  const bool all = pattern == "*";
  Keyspace& db = ctx.db();
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < db.shard_count(); ++i) {
    Shard& shard = db.shard(i);
    std::lock_guard lock(shard.mu());
    shard.ForEachLive(ctx.now_ms, [&](const Entry* e) {
      if (all || GlobMatch(pattern, e->key())) keys.emplace_back(e->key());
    });
  }
  ctx.rb->StartArray(static_cast<uint32_t>(keys.size()));
  for (const std::string& k : keys) ctx.rb->SendBulk(k);
}

void CmdScan(CommandContext& ctx) {
  ScanArgs scan;
  if (!ParseScanCursorOrReply(ctx, ctx.args[1], &scan.cursor) ||
      !ParseScanOptionsOrReply(ctx, 2, true, &scan))
    return;
  const uint64_t cursor = scan.cursor;
  const int64_t count = scan.count;

  Keyspace& db = ctx.db();
  const uint32_t shards = db.shard_count();
  const int shard_bits = std::countr_zero(shards);
  uint32_t index = static_cast<uint32_t>(cursor & (shards - 1));
  uint64_t table_cursor = cursor >> shard_bits;
  // Redis stops after COUNT keys examined or COUNT*10 table steps, whichever comes first.
  const uint64_t limit = static_cast<uint64_t>(count);
  uint64_t steps = limit > std::numeric_limits<uint64_t>::max() / 10 ? limit : limit * 10;
  uint64_t examined = 0;
  std::vector<std::string> keys;
  uint64_t next = 0;
  while (true) {
    Shard& shard = db.shard(index);
    {
      std::lock_guard lock(shard.mu());
      if (shard.size() == 0) {
        table_cursor = 0;  // nothing to visit: no step spent
      } else {
        do {
          table_cursor = shard.Scan(table_cursor, [&](const Entry* e) {
            ++examined;
            if (e->expired(ctx.now_ms)) return;
            if (scan.use_type && !EqualsIgnoreCase(scan.type, TypeName(*e))) return;
            if (!scan.Matches(e->key())) return;
            keys.emplace_back(e->key());
          });
        } while (table_cursor != 0 && examined < limit && --steps > 0);
      }
    }
    if (table_cursor == 0) {
      if (++index == shards) break;  // every shard done: cursor 0
    }
    if (examined >= limit || steps == 0) {
      next = (table_cursor << shard_bits) | index;
      break;
    }
  }
  ctx.rb->StartArray(2);
  ctx.rb->SendBulk(std::to_string(next));
  ctx.rb->StartArray(static_cast<uint32_t>(keys.size()));
  for (const std::string& k : keys) ctx.rb->SendBulk(k);
}

void CmdRandomKey(CommandContext& ctx) {
  Keyspace& db = ctx.db();
  const uint32_t shards = db.shard_count();
  std::vector<size_t> sizes(shards);
  size_t total = 0;
  for (uint32_t i = 0; i < shards; ++i) {
    std::lock_guard lock(db.shard(i).mu());
    sizes[i] = db.shard(i).size();
    total += sizes[i];
  }
  // Pick a shard weighted by its size, then a random entry in it. Expired picks are deleted and
  // retried, as Redis's dbRandomKey does.
  for (int attempt = 0; total > 0 && attempt < 100; ++attempt) {
    size_t r = NextRandom() % total;
    uint32_t i = 0;
    while (r >= sizes[i]) r -= sizes[i++];
    Shard& shard = db.shard(i);
    std::lock_guard lock(shard.mu());
    Entry* e = shard.RandomEntry(NextRandom());
    if (!e) continue;
    if (e->expired(ctx.now_ms)) {
      const std::string key(e->key());
      shard.Erase(key, ctx.now_ms);
      continue;
    }
    ctx.rb->SendBulk(e->key());
    return;
  }
  // Unlucky (mostly expired keys, or shards emptied meanwhile): take the first live key.
  for (uint32_t i = 0; i < shards; ++i) {
    Shard& shard = db.shard(i);
    std::lock_guard lock(shard.mu());
    std::string found;
    bool any = false;
    shard.ForEachLive(ctx.now_ms, [&](const Entry* e) {
      if (!any) found.assign(e->key());
      any = true;
    });
    if (any) {
      ctx.rb->SendBulk(found);
      return;
    }
  }
  ctx.rb->SendNull();
}

void CmdDbSize(CommandContext& ctx) { ctx.rb->SendLong(static_cast<int64_t>(ctx.db().Size())); }

// FLUSHDB / FLUSHALL [ASYNC|SYNC]: ASYNC frees in the background, SYNC before the reply, no
// mode as lazyfree-lazy-user-flush says (core/lazy_free.h). Null after a syntax error reply.
std::optional<FreeCause> FlushModeOrReply(CommandContext& ctx) {
  if (ctx.args.size() == 1) return FreeCause::kUserFlush;
  if (ctx.args.size() == 2 && EqualsIgnoreCase(ctx.args[1], "SYNC")) return FreeCause::kSync;
  if (ctx.args.size() == 2 && EqualsIgnoreCase(ctx.args[1], "ASYNC")) return FreeCause::kAsync;
  ctx.rb->SendError(errors::kSyntax);
  return std::nullopt;
}

void CmdFlushDb(CommandContext& ctx) {
  const std::optional<FreeCause> mode = FlushModeOrReply(ctx);
  if (!mode) return;
  FreeCauseScope cause(*mode);
  ctx.db().Clear();
  tracking::Flushed();
  ctx.rb->SendOk();
}

void CmdFlushAll(CommandContext& ctx) {
  const std::optional<FreeCause> mode = FlushModeOrReply(ctx);
  if (!mode) return;
  FreeCauseScope cause(*mode);
  ctx.server->store.ClearAll();
  tracking::Flushed();
  ctx.rb->SendOk();
}

// ------------------------------------------------------------------------------------------
// Registration
// ------------------------------------------------------------------------------------------

void CmdObject(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "HELP") && ctx.args.size() == 2) {
    static constexpr const char* kHelp[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help."};
    ctx.rb->StartArray(static_cast<uint32_t>(std::size(kHelp)));
    for (const char* line : kHelp) ctx.rb->SendSimple(line);
    return;
  }
  const bool known = EqualsIgnoreCase(sub, "ENCODING") || EqualsIgnoreCase(sub, "FREQ") ||
                     EqualsIgnoreCase(sub, "IDLETIME") || EqualsIgnoreCase(sub, "REFCOUNT");
  if (!known && !EqualsIgnoreCase(sub, "HELP")) {
    ctx.rb->SendError(errors::UnknownSubcommand("object", sub));
    return;
  }
  if (ctx.args.size() != (known ? 3u : 2u)) {
    ctx.rb->SendError(errors::WrongArity("object|" + AsciiLower(sub)));
    return;
  }
  // The subcommand's key (the dispatcher locked its shard and ACL checked it). Peeking does not
  // count as an access.
  const std::string_view key = ctx.args[2];
  Shard& shard = ctx.ShardFor(key);
  const Entry* e = PeekRead(shard, key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendNull();
  } else if (EqualsIgnoreCase(sub, "ENCODING")) {
    ctx.rb->SendBulk(EncodingName(*e));
  } else if (EqualsIgnoreCase(sub, "FREQ")) {
    // kv-server has no LFU policies: the frequency is never tracked.
    ctx.rb->SendError(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
  } else if (EqualsIgnoreCase(sub, "IDLETIME")) {
    const uint32_t now = LruClock();
    ctx.rb->SendLong(now >= e->lru() ? now - e->lru() : 0);
  } else {
    ctx.rb->SendLong(1);  // no shared objects: every value has one owner
  }
}

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax,
                 std::string group = "generic") {
  return MakeSpec(std::move(name), arity, flags, keys, h, std::move(group), std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterKeysFamily(CommandTable& t) {
  constexpr uint32_t kRead = kCmdReadonly | kCmdFast;
  constexpr uint32_t kWriteFast = kCmdWrite | kCmdFast;
  constexpr uint32_t kAll = kCmdAllShards;
  t.Register(Spec("del", -2, kCmdWrite, kAllKeys, CmdDel, "1.0.0", "Delete a key",
                  "key [key ...]"));
  t.Register(Spec("unlink", -2, kWriteFast, kAllKeys, CmdUnlink, "4.0.0",
                  "Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
                  "but non blocking.",
                  "key [key ...]"));
  t.Register(Spec("exists", -2, kRead, kAllKeys, CmdExists, "1.0.0", "Determine if a key exists",
                  "key [key ...]"));
  t.Register(Spec("expire", -3, kWriteFast, kOneKey, CmdExpire, "1.0.0",
                  "Set a key's time to live in seconds", "key seconds [NX | XX | GT | LT]"));
  t.Register(Spec("pexpire", -3, kWriteFast, kOneKey, CmdPExpire, "2.6.0",
                  "Set a key's time to live in milliseconds",
                  "key milliseconds [NX | XX | GT | LT]"));
  t.Register(Spec("expireat", -3, kWriteFast, kOneKey, CmdExpireAt, "1.2.0",
                  "Set the expiration for a key as a UNIX timestamp",
                  "key unix-time-seconds [NX | XX | GT | LT]"));
  t.Register(Spec("pexpireat", -3, kWriteFast, kOneKey, CmdPExpireAt, "2.6.0",
                  "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
                  "key unix-time-milliseconds [NX | XX | GT | LT]"));
  t.Register(Spec("expiretime", 2, kRead, kOneKey, CmdExpireTime, "7.0.0",
                  "Get the expiration Unix timestamp for a key", "key"));
  t.Register(Spec("pexpiretime", 2, kRead, kOneKey, CmdPExpireTime, "7.0.0",
                  "Get the expiration Unix timestamp for a key in milliseconds", "key"));
  t.Register(Spec("ttl", 2, kRead, kOneKey, CmdTtl, "1.0.0",
                  "Get the time to live for a key in seconds", "key"));
  t.Register(Spec("pttl", 2, kRead, kOneKey, CmdPTtl, "2.6.0",
                  "Get the time to live for a key in milliseconds", "key"));
  t.Register(Spec("persist", 2, kWriteFast, kOneKey, CmdPersist, "2.2.0",
                  "Remove the expiration from a key", "key"));
  t.Register(Spec("type", 2, kRead, kOneKey, CmdType, "1.0.0",
                  "Determine the type stored at key", "key"));
  t.Register(Spec("keys", 2, kCmdReadonly | kAll, kNoKeys, CmdKeys, "1.0.0",
                  "Find all keys matching the given pattern", "pattern"));
  t.Register(Spec("scan", -2, kCmdReadonly | kAll, kNoKeys, CmdScan, "2.8.0",
                  "Incrementally iterate the keys space",
                  "cursor [MATCH pattern] [COUNT count] [TYPE type]"));
  t.Register(Spec("rename", 3, kCmdWrite, kTwoKeys, CmdRename, "1.0.0", "Rename a key",
                  "key newkey"));
  t.Register(Spec("renamenx", 3, kWriteFast, kTwoKeys, CmdRenameNx, "1.0.0",
                  "Rename a key, only if the new key does not exist", "key newkey"));
  t.Register(Spec("randomkey", 1, kCmdReadonly | kAll, kNoKeys, CmdRandomKey, "1.0.0",
                  "Return a random key from the keyspace", ""));
  t.Register(Spec("touch", -2, kRead, kAllKeys, CmdTouch, "3.2.1",
                  "Alters the last access time of a key(s). Returns the number of existing keys "
                  "specified.",
                  "key [key ...]"));
  t.Register(WithSubcommands(Spec("object", -2, 0, kNoKeys, CmdObject, "2.2.3",
                                  "A container for object introspection commands",
                                  "ENCODING|FREQ|IDLETIME|REFCOUNT|HELP [arg ...]"),
                             {{"encoding", 3, "", "Inspect the internal encoding of a Redis object",
                               kCmdReadonly, kSubcommandKey},
                              {"freq", 3, "4.0.0",
                               "Get the logarithmic access frequency counter of a Redis object",
                               kCmdReadonly, kSubcommandKey},
                              {"idletime", 3, "", "Get the time since a Redis object was last accessed",
                               kCmdReadonly, kSubcommandKey},
                              {"refcount", 3, "",
                               "Get the number of references to the value of the key",
                               kCmdReadonly, kSubcommandKey},
                              HelpSubcommand("6.2.0")},
                             {.sub_categories = acl::kKeyspace}));
  t.Register(Spec("dbsize", 1, kRead | kAll, kNoKeys, CmdDbSize, "1.0.0",
                  "Return the number of keys in the selected database", "", "server"));
  t.Register(Spec("flushdb", -1, kCmdWrite | kAll, kNoKeys, CmdFlushDb, "1.0.0",
                  "Remove all keys from the current database", "[ASYNC | SYNC]", "server"));
  t.Register(Spec("flushall", -1, kCmdWrite | kAll, kNoKeys, CmdFlushAll, "1.0.0",
                  "Remove all keys from all databases", "[ASYNC | SYNC]", "server"));
}

}  // namespace kv
