// Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, on string values,
// with Redis 7.0's replies, errors and argument order (bitops.c).
//
// Bit 0 is the most significant bit of the first byte. A string stored as a number is seen as
// its text, as Redis sees an int-encoded string. Offsets are limited as in Redis by
// proto-max-bulk-len (a bit whose byte lies at or past it is "bit offset is not an integer or
// out of range") and, because an entry holds at most 4 GiB, to 2^32 - 1 bits; a write whose
// bit field would end past the limit gets the same error (Redis 7.0 lets BITFIELD's last field
// run a few bytes over). Strings grow to exactly the byte the highest written bit needs.
//
// Redis 7.0 answers BITCOUNT and BITPOS on a missing key before it looks at the range
// arguments (0, or -1 / 0 for BITPOS), so bad ranges on a missing key are not errors; so here.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "commands/args.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "commands/lookup.h"
#include "commands/string_bytes.h"
#include "core/bitops.h"
#include "core/object.h"
#include "core/scalar.h"
#include "core/shard.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

constexpr uint64_t kMaxBitOffset = (uint64_t{1} << 32) - 1;

// Redis compares option words with strcasecmp on C strings: an argument matches up to its
// first NUL byte.
bool WordIs(std::string_view arg, std::string_view word) {
  return EqualsIgnoreCase(arg.substr(0, arg.find('\0')), word);
}

// getBitOffsetFromArgument: a bit offset, or with `hash_bits` > 0 also "#N" meaning N fields
// of that width (multiplied as Redis does, modulo 2^64). `write_bits`: the field written there,
// which must end within the longest string allowed.
bool BitOffsetOrReply(CommandContext& ctx, std::string_view arg, unsigned hash_bits,
                      unsigned write_bits, uint64_t* out) {
  const bool hash = hash_bits > 0 && !arg.empty() && arg[0] == '#';
  const auto v = ParseInt64(hash ? arg.substr(1) : arg);
  if (!v) {
    ctx.rb->SendError(errors::kBitOffset);
    return false;
  }
  int64_t off = *v;
  if (hash) off = static_cast<int64_t>(static_cast<uint64_t>(off) * hash_bits);
  const int64_t max_bulk = ctx.server->config.proto_max_bulk_len.load(std::memory_order_relaxed);
  const auto offset = static_cast<uint64_t>(off);
  bool ok = off >= 0 && (off >> 3) < max_bulk && offset <= kMaxBitOffset;
  if (ok && write_bits > 0) ok = ((offset + write_bits - 1) >> 3) < MaxStringLength(ctx);
  if (!ok) {
    ctx.rb->SendError(errors::kBitOffset);
    return false;
  }
  *out = offset;
  return true;
}

// Looks up `key` for a read; replies `missing` (0, -1...) when absent or WRONGTYPE when not a
// string, and then returns nullptr.
const Entry* ReadStringOrReply(CommandContext& ctx, std::string_view key, int64_t missing) {
  const Entry* e = FindRead(ctx.ShardFor(key), key, ctx.now_ms);
  if (!e) {
    ctx.rb->SendLong(missing);
    return nullptr;
  }
  if (!IsString(*e)) {
    ctx.rb->SendError(errors::kWrongType);
    return nullptr;
  }
  return e;
}

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// BYTE | BIT unit word of BITCOUNT and BITPOS.
bool UnitOrReply(CommandContext& ctx, std::string_view arg, bool* is_bit) {
  if (WordIs(arg, "bit")) {
    *is_bit = true;
  } else if (WordIs(arg, "byte")) {
    *is_bit = false;
  } else {
    ctx.rb->SendError(errors::kSyntax);
    return false;
  }
  return true;
}

// Redis's range normalisation: negative indexes count from the end, then both are clamped to
// the string (end may come out as -1 for an empty string).
void NormaliseRange(int64_t total, int64_t* start, int64_t* end) {
  if (*start < 0) *start = total + *start;
  if (*end < 0) *end = total + *end;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= total) *end = total - 1;
}

// ------------------------------------------------------------------------------------------
// SETBIT / GETBIT
// ------------------------------------------------------------------------------------------

void CmdSetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!BitOffsetOrReply(ctx, ctx.args[2], 0, 1, &offset)) return;
  const auto on = ParseInt64(ctx.args[3]);
  if (!on || (*on & ~int64_t{1})) {
    ctx.rb->SendError(errors::kBitValue);
    return;
  }
  const std::string_view key = ctx.args[1];
  Shard& shard = ctx.ShardFor(key);
  Entry* e = shard.Find(key, ctx.now_ms);
  if (e && !IsString(*e)) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  char buf[kScalarBufSize];
  const bool grows = !e || StringBytes(*e, buf).size() < (offset >> 3) + 1;
  Entry* w = WritableBytes(shard, key, e, (offset >> 3) + 1, ctx.now_ms);
  auto* p = reinterpret_cast<uint8_t*>(w->mutable_value());
  const bool old = bits::GetBit(p, offset);
  if (old != (*on == 1)) {
    bits::SetBit(p, offset, *on == 1);
    NoteWrite();
  }
  // As Redis: announced when the string was created, grew or the bit changed.
  if (grows || old != (*on == 1)) ctx.Notify(ev::kString, "setbit", key);
  ctx.rb->SendLong(old ? 1 : 0);
}

void CmdGetBit(CommandContext& ctx) {
  uint64_t offset;
  if (!BitOffsetOrReply(ctx, ctx.args[2], 0, 0, &offset)) return;
  const Entry* e = ReadStringOrReply(ctx, ctx.args[1], 0);
  if (!e) return;
  char buf[kScalarBufSize];
  const std::string_view s = StringBytes(*e, buf);
  const bool bit = (offset >> 3) < s.size() && bits::GetBit(Bytes(s), offset);
  ctx.rb->SendLong(bit ? 1 : 0);
}

// ------------------------------------------------------------------------------------------
// BITCOUNT / BITPOS
// ------------------------------------------------------------------------------------------

void CmdBitCount(CommandContext& ctx) {
  const Entry* e = ReadStringOrReply(ctx, ctx.args[1], 0);
  if (!e) return;
  char buf[kScalarBufSize];
  const std::string_view s = StringBytes(*e, buf);
  const size_t argc = ctx.args.size();
  bool is_bit = false;
  int64_t start = 0, end = static_cast<int64_t>(s.size()) - 1;
  if (argc == 4 || argc == 5) {
    if (!ParseIntOrReply(ctx, ctx.args[2], &start) || !ParseIntOrReply(ctx, ctx.args[3], &end))
      return;
    // Redis 7.0 answers an inverted negative range before it reads the unit word.
    if (start < 0 && end < 0 && start > end) {
      ctx.rb->SendLong(0);
      return;
    }
    if (argc == 5 && !UnitOrReply(ctx, ctx.args[4], &is_bit)) return;
    const int64_t total = static_cast<int64_t>(s.size()) * (is_bit ? 8 : 1);
    NormaliseRange(total, &start, &end);
  } else if (argc != 2) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  if (start > end) {
    ctx.rb->SendLong(0);
    return;
  }
  const auto first = static_cast<uint64_t>(is_bit ? start : start * 8);
  const auto last = static_cast<uint64_t>(is_bit ? end : end * 8 + 7);
  ctx.rb->SendLong(static_cast<int64_t>(bits::CountBits(Bytes(s), first, last)));
}

void CmdBitPos(CommandContext& ctx) {
  int64_t bit;
  if (!ParseIntOrReply(ctx, ctx.args[2], &bit)) return;
  if (bit != 0 && bit != 1) {
    ctx.rb->SendError(errors::kBitArgument);
    return;
  }
  // A missing key is an endless run of zeros.
  const Entry* e = ReadStringOrReply(ctx, ctx.args[1], bit ? -1 : 0);
  if (!e) return;
  char buf[kScalarBufSize];
  const std::string_view s = StringBytes(*e, buf);
  const size_t argc = ctx.args.size();
  const auto len = static_cast<int64_t>(s.size());
  bool is_bit = false, end_given = false;
  int64_t start = 0, end = len - 1;
  if (argc >= 4 && argc <= 6) {
    if (!ParseIntOrReply(ctx, ctx.args[3], &start)) return;
    if (argc == 6 && !UnitOrReply(ctx, ctx.args[5], &is_bit)) return;
    if (argc >= 5) {
      if (!ParseIntOrReply(ctx, ctx.args[4], &end)) return;
      end_given = true;
    } else {
      end = is_bit ? len * 8 + 7 : len - 1;
    }
    NormaliseRange(is_bit ? len * 8 : len, &start, &end);
  } else if (argc != 3) {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  if (start > end) {
    ctx.rb->SendLong(-1);
    return;
  }
  const auto first = static_cast<uint64_t>(is_bit ? start : start * 8);
  const auto last = static_cast<uint64_t>(is_bit ? end : end * 8 + 7);
  int64_t pos = bits::FindBit(Bytes(s), first, last, bit == 1);
  // Looking for a clear bit without an explicit end, the string continues with zeros: the
  // answer is the first bit past it.
  if (pos < 0 && bit == 0 && !end_given) pos = static_cast<int64_t>(last + 1);
  ctx.rb->SendLong(pos);
}

// ------------------------------------------------------------------------------------------
// BITOP
// ------------------------------------------------------------------------------------------

enum class BitOp { kAnd, kOr, kXor, kNot };

void CmdBitOp(CommandContext& ctx) {
  const std::string_view name = ctx.args[1];
  BitOp op;
  if (WordIs(name, "and")) {
    op = BitOp::kAnd;
  } else if (WordIs(name, "or")) {
    op = BitOp::kOr;
  } else if (WordIs(name, "xor")) {
    op = BitOp::kXor;
  } else if (WordIs(name, "not")) {
    op = BitOp::kNot;
  } else {
    ctx.rb->SendError(errors::kSyntax);
    return;
  }
  if (op == BitOp::kNot && ctx.args.size() != 4) {
    ctx.rb->SendError(errors::kBitopNot);
    return;
  }
  // Copies of the sources: the destination may be one of them.
  std::vector<std::string> src;
  size_t max_len = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    const Entry* e = FindRead(ctx.ShardFor(ctx.args[j]), ctx.args[j], ctx.now_ms);
    if (!e) {
      src.emplace_back();
      continue;
    }
    if (!IsString(*e)) {
      ctx.rb->SendError(errors::kWrongType);
      return;
    }
    char buf[kScalarBufSize];
    src.emplace_back(StringBytes(*e, buf));
    max_len = std::max(max_len, src.back().size());
  }
  const std::string_view dest = ctx.args[2];
  Shard& shard = ctx.ShardFor(dest);
  if (max_len == 0) {
    if (shard.Erase(dest, ctx.now_ms)) ctx.Notify(ev::kGeneric, "del", dest);
    ctx.rb->SendLong(0);
    return;
  }
  // A source shorter than the result reads as zero bytes past its end.
  std::string out(max_len, '\0');
  auto byte_of = [](const std::string& s, size_t i) {
    return i < s.size() ? static_cast<uint8_t>(s[i]) : uint8_t{0};
  };
  for (size_t i = 0; i < max_len; ++i) {
    uint8_t acc = byte_of(src[0], i);
    if (op == BitOp::kNot) acc = static_cast<uint8_t>(~acc);
    for (size_t j = 1; j < src.size(); ++j) {
      const uint8_t b = byte_of(src[j], i);
      if (op == BitOp::kAnd) acc &= b;
      if (op == BitOp::kOr) acc |= b;
      if (op == BitOp::kXor) acc ^= b;
    }
    out[i] = static_cast<char>(acc);
  }
  shard.Set(dest, ScalarView::Bytes(out), kNoExpire);  // a new value: no TTL, as SET
  ctx.Notify(ev::kString, "set", dest);
  ctx.rb->SendLong(static_cast<int64_t>(max_len));
}

// ------------------------------------------------------------------------------------------
// BITFIELD / BITFIELD_RO
// ------------------------------------------------------------------------------------------

enum class FieldOp { kGet, kSet, kIncrBy };

struct FieldCmd {
  FieldOp op;
  bool is_signed;
  unsigned bits;
  uint64_t offset;
  int64_t value;
  bits::Overflow overflow;
};

// getBitfieldTypeFromArgument: i1..i64 or u1..u63, read as a C string.
bool FieldTypeOrReply(CommandContext& ctx, std::string_view arg, bool* is_signed,
                      unsigned* width) {
  arg = arg.substr(0, arg.find('\0'));
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'I' && arg[0] != 'u' && arg[0] != 'U')) {
    ctx.rb->SendError(errors::kBitfieldType);
    return false;
  }
  *is_signed = arg[0] == 'i' || arg[0] == 'I';
  const auto n = ParseInt64(arg.substr(1));
  if (!n || *n < 1 || *n > (*is_signed ? 64 : 63)) {
    ctx.rb->SendError(errors::kBitfieldType);
    return false;
  }
  *width = static_cast<unsigned>(*n);
  return true;
}

// Parses every subcommand before anything runs, as Redis does, so a bad one changes nothing.
bool ParseFieldsOrReply(CommandContext& ctx, std::vector<FieldCmd>* out, uint64_t* max_write_bit,
                        bool* writes) {
  bits::Overflow overflow = bits::Overflow::kWrap;
  const size_t argc = ctx.args.size();
  for (size_t j = 2; j < argc; ++j) {
    const size_t remaining = argc - j - 1;
    const std::string_view sub = ctx.args[j];
    FieldCmd f{};
    if (WordIs(sub, "get") && remaining >= 2) {
      f.op = FieldOp::kGet;
    } else if (WordIs(sub, "set") && remaining >= 3) {
      f.op = FieldOp::kSet;
    } else if (WordIs(sub, "incrby") && remaining >= 3) {
      f.op = FieldOp::kIncrBy;
    } else if (WordIs(sub, "overflow") && remaining >= 1) {
      const std::string_view kind = ctx.args[++j];
      if (WordIs(kind, "wrap")) {
        overflow = bits::Overflow::kWrap;
      } else if (WordIs(kind, "sat")) {
        overflow = bits::Overflow::kSat;
      } else if (WordIs(kind, "fail")) {
        overflow = bits::Overflow::kFail;
      } else {
        ctx.rb->SendError(errors::kBitfieldOverflow);
        return false;
      }
      continue;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
    if (!FieldTypeOrReply(ctx, ctx.args[j + 1], &f.is_signed, &f.bits)) return false;
    const bool write = f.op != FieldOp::kGet;
    if (!BitOffsetOrReply(ctx, ctx.args[j + 2], f.bits, write ? f.bits : 0, &f.offset))
      return false;
    if (write) {
      *writes = true;
      *max_write_bit = std::max(*max_write_bit, f.offset + f.bits - 1);
      if (!ParseIntOrReply(ctx, ctx.args[j + 3], &f.value)) return false;
    }
    f.overflow = overflow;
    out->push_back(f);
    j += write ? 3 : 2;
  }
  return true;
}

// SET and INCRBY on the string's bytes `p`, replying with the old (SET) or new (INCRBY) value,
// or nil when OVERFLOW FAIL refuses the write. Returns whether it wrote.
bool RunFieldWrite(CommandContext& ctx, uint8_t* p, const FieldCmd& f) {
  const bool incr = f.op == FieldOp::kIncrBy;
  int overflow;
  if (f.is_signed) {
    const int64_t old = bits::GetSigned(p, f.offset, f.bits);
    int64_t wrapped = 0;
    int64_t fresh;
    if (incr) {
      overflow = bits::CheckSignedOverflow(old, f.value, f.bits, f.overflow, &wrapped);
      fresh = overflow ? wrapped
                       : static_cast<int64_t>(static_cast<uint64_t>(old) +
                                              static_cast<uint64_t>(f.value));
    } else {
      overflow = bits::CheckSignedOverflow(f.value, 0, f.bits, f.overflow, &wrapped);
      fresh = overflow ? wrapped : f.value;
    }
    if (overflow && f.overflow == bits::Overflow::kFail) {
      ctx.rb->SendNull();
      return false;
    }
    ctx.rb->SendLong(incr ? fresh : old);
    bits::SetSigned(p, f.offset, f.bits, fresh);
  } else {
    const uint64_t old = bits::GetUnsigned(p, f.offset, f.bits);
    uint64_t wrapped = 0;
    uint64_t fresh;
    if (incr) {
      overflow = bits::CheckUnsignedOverflow(old, f.value, f.bits, f.overflow, &wrapped);
      fresh = overflow ? wrapped : old + static_cast<uint64_t>(f.value);
    } else {
      const auto v = static_cast<uint64_t>(f.value);
      overflow = bits::CheckUnsignedOverflow(v, 0, f.bits, f.overflow, &wrapped);
      fresh = overflow ? wrapped : v;
    }
    if (overflow && f.overflow == bits::Overflow::kFail) {
      ctx.rb->SendNull();
      return false;
    }
    ctx.rb->SendLong(static_cast<int64_t>(incr ? fresh : old));
    bits::SetUnsigned(p, f.offset, f.bits, fresh);
  }
  return true;
}

void BitFieldGeneric(CommandContext& ctx, bool readonly_command) {
  std::vector<FieldCmd> fields;
  uint64_t max_write_bit = 0;
  bool writes = false;
  if (!ParseFieldsOrReply(ctx, &fields, &max_write_bit, &writes)) return;
  const std::string_view key = ctx.args[1];
  Shard& shard = ctx.ShardFor(key);
  Entry* e;
  if (!writes) {
    e = FindRead(shard, key, ctx.now_ms);
  } else {
    if (readonly_command) {
      ctx.rb->SendError(errors::kBitfieldReadonly);
      return;
    }
    e = shard.Find(key, ctx.now_ms);
  }
  if (e && !IsString(*e)) {
    ctx.rb->SendError(errors::kWrongType);
    return;
  }
  // Writes first make room up to the furthest bit any of them reaches, even those that fail.
  if (writes) e = WritableBytes(shard, key, e, (max_write_bit >> 3) + 1, ctx.now_ms);
  ctx.rb->StartArray(static_cast<uint32_t>(fields.size()));
  char buf[kScalarBufSize];
  bool changed = false;
  for (const FieldCmd& f : fields) {
    if (f.op != FieldOp::kGet) {
      changed |= RunFieldWrite(ctx, reinterpret_cast<uint8_t*>(e->mutable_value()), f);
      continue;
    }
    // Reads past the end see zeros: copy the (at most 9) bytes the field spans.
    const std::string_view s = e ? StringBytes(*e, buf) : std::string_view();
    uint8_t window[9] = {};
    const uint64_t byte = f.offset >> 3;
    for (uint64_t i = 0; i < 9 && byte + i < s.size(); ++i)
      window[i] = static_cast<uint8_t>(s[byte + i]);
    const uint64_t rel = f.offset - byte * 8;
    if (f.is_signed)
      ctx.rb->SendLong(bits::GetSigned(window, rel, f.bits));
    else
      ctx.rb->SendLong(static_cast<int64_t>(bits::GetUnsigned(window, rel, f.bits)));
  }
  if (changed) {
    NoteWrite();
    ctx.Notify(ev::kString, "setbit", key);
  }
}

void CmdBitField(CommandContext& ctx) { BitFieldGeneric(ctx, false); }
void CmdBitFieldRo(CommandContext& ctx) { BitFieldGeneric(ctx, true); }

CommandSpec Spec(std::string name, int arity, uint32_t flags, KeyRange keys, CommandHandler h,
                 std::string since, std::string summary, std::string syntax) {
  return MakeSpec(std::move(name), arity, flags, keys, h, "bitmap", std::move(since),
                  std::move(summary), std::move(syntax));
}

}  // namespace

void RegisterBitmapFamily(CommandTable& t) {
  constexpr uint32_t kGrow = kCmdWrite | kCmdDenyOom;
  constexpr KeyRange kDestThenSources{2, -1, 1};
  t.Register(Spec("setbit", 4, kGrow, kOneKey, CmdSetBit, "2.2.0",
                  "Sets or clears the bit at offset of the string value. Creates the key if it "
                  "doesn't exist.",
                  "key offset value"));
  t.Register(Spec("getbit", 3, kCmdReadonly | kCmdFast, kOneKey, CmdGetBit, "2.2.0",
                  "Returns a bit value by offset.", "key offset"));
  t.Register(Spec("bitcount", -2, kCmdReadonly, kOneKey, CmdBitCount, "2.6.0",
                  "Counts the number of set bits (population counting) in a string.",
                  "key [start end [BYTE | BIT]]"));
  t.Register(Spec("bitpos", -3, kCmdReadonly, kOneKey, CmdBitPos, "2.8.7",
                  "Finds the first set (1) or clear (0) bit in a string.",
                  "key bit [start [end [BYTE | BIT]]]"));
  CommandSpec bitop = Spec("bitop", -4, kGrow, kDestThenSources, CmdBitOp, "2.6.0",
                           "Performs bitwise operations on multiple strings, and stores the "
                           "result.",
                           "AND | OR | XOR | NOT destkey key [key ...]");
  bitop.read_keys_from = 3;
  t.Register(std::move(bitop));
  t.Register(Spec("bitfield", -2, kGrow, kOneKey, CmdBitField, "3.2.0",
                  "Performs arbitrary bitfield integer operations on strings.",
                  "key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] "
                  "SET encoding offset value | INCRBY encoding offset increment ...]"));
  t.Register(Spec("bitfield_ro", -2, kCmdReadonly | kCmdFast, kOneKey, CmdBitFieldRo, "6.0.0",
                  "Performs arbitrary read-only bitfield integer operations on strings.",
                  "key [GET encoding offset [GET encoding offset ...]]"));
}

}  // namespace kv
