// The stream commands' argument parsers (commands/stream_args.h) on arguments from outside.
// The input is the command's arguments, one per line: the first names the command (XADD, XTRIM,
// XRANGE, XREVRANGE, XREAD, XREADGROUP, XCLAIM, XAUTOCLAIM, XSETID; any case) and the
// input is dropped when there are fewer than its arity asks. Checked for each:
//   - a parse that fails replied exactly one error, one that succeeds replied nothing;
//   - what a parse accepted, written back as arguments in canonical form (one spelling per
//     option, IDs as "<ms>-<seq>"), parses again to the same result.
// The sanitizers of the fuzz build (scripts/fuzz.sh) watch for overflows on the way.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command.h"
#include "commands/stream_args.h"
#include "core/ascii.h"
#include "core/reply_builder.h"
#include "fuzz_check.h"

using namespace kv;
using namespace kv::stream_cmd;

namespace {

constexpr int64_t kNowMs = 1700000000000;

// Runs `parse` on `args` as the command `name` would; *errors: the errors it replied.
template <typename Parse>
auto Run(std::string_view name, const std::vector<std::string>& args, uint64_t* errors,
         Parse&& parse) {
  std::vector<std::string_view> views(args.begin(), args.end());
  CommandSpec spec;
  spec.name = std::string(name);
  ClientState client;
  DiscardReplies rb;
  CommandContext ctx;
  ctx.args = views;
  ctx.rb = &rb;
  ctx.client = &client;
  ctx.spec = &spec;
  ctx.now_ms = kNowMs;
  auto result = parse(ctx);
  *errors = rb.error_count();
  return result;
}

// Checks the reply count against the verdict, then that the canonical form parses the same.
template <typename Args, typename Parse, typename Write, typename Same>
void RoundTrip(std::string_view name, const std::vector<std::string>& args, Parse&& parse,
               Write&& write, Same&& same) {
  Args a;
  uint64_t errors = 0;
  const bool ok = Run(name, args, &errors, [&](CommandContext& ctx) { return parse(ctx, &a); });
  FUZZ_CHECK(errors == (ok ? 0u : 1u));
  if (!ok) return;
  const std::vector<std::string> again = write(a);
  Args b;
  const bool ok2 = Run(name, again, &errors, [&](CommandContext& ctx) { return parse(ctx, &b); });
  FUZZ_CHECK(ok2 && errors == 0);
  FUZZ_CHECK(same(a, b));
}

std::string Id(StreamID id) { return id.ToString(); }

bool SameTrim(const StreamTrim& a, const StreamTrim& b) {
  return a.strategy == b.strategy && a.approx == b.approx && a.maxlen == b.maxlen &&
         a.minid == b.minid && a.limit == b.limit;
}

void WriteTrim(const AddTrimArgs& a, std::vector<std::string>* out) {
  if (a.trim.strategy == StreamTrim::kNone) return;
  if (a.trim.strategy == StreamTrim::kMaxLen) {
    out->insert(out->end(), {"MAXLEN", a.trim.approx ? "~" : "=", std::to_string(a.trim.maxlen)});
  } else {
    out->insert(out->end(), {"MINID", a.trim.approx ? "~" : "=", Id(a.trim.minid)});
  }
  if (a.limit_given) out->insert(out->end(), {"LIMIT", std::to_string(a.trim.limit)});
}

// XADD: the options in canonical order, the ID, and the same fields after it.
void FuzzAdd(const std::vector<std::string>& args) {
  struct Parsed {
    AddTrimArgs a;
    int idpos = -1;
    size_t tail = 0;  // arguments after the ID
  };
  RoundTrip<Parsed>(
      "xadd", args,
      [](CommandContext& ctx, Parsed* p) {
        p->idpos = ParseAddTrimOrReply(ctx, true, &p->a);
        if (p->idpos < 0) return false;
        FUZZ_CHECK(static_cast<size_t>(p->idpos) <= ctx.args.size());
        FUZZ_CHECK(p->a.id_given == (static_cast<size_t>(p->idpos) < ctx.args.size() &&
                                     ctx.args[p->idpos] != "*"));
        p->tail = ctx.args.size() - static_cast<size_t>(p->idpos);
        return true;
      },
      [&](const Parsed& p) {
        std::vector<std::string> out{"XADD", args[1]};
        if (p.a.no_mkstream) out.push_back("NOMKSTREAM");
        WriteTrim(p.a, &out);
        if (p.tail == 0) return out;  // the options ran to the end: no ID
        if (!p.a.id_given) {
          out.push_back("*");
        } else if (p.a.seq_given) {
          out.push_back(Id(p.a.id));
        } else {
          out.push_back(std::to_string(p.a.id.ms) + "-*");
        }
        out.insert(out.end(), args.end() - static_cast<std::ptrdiff_t>(p.tail - 1), args.end());
        return out;
      },
      [](const Parsed& x, const Parsed& y) {
        return SameTrim(x.a.trim, y.a.trim) && x.a.limit_given == y.a.limit_given &&
               x.a.no_mkstream == y.a.no_mkstream && x.a.id_given == y.a.id_given &&
               x.a.seq_given == y.a.seq_given && x.a.id == y.a.id && x.tail == y.tail;
      });
}

void FuzzTrim(const std::vector<std::string>& args) {
  RoundTrip<AddTrimArgs>(
      "xtrim", args,
      [](CommandContext& ctx, AddTrimArgs* a) {
        const int r = ParseAddTrimOrReply(ctx, false, a);
        if (r >= 0) FUZZ_CHECK(a->trim.strategy != StreamTrim::kNone);
        return r >= 0;
      },
      [&](const AddTrimArgs& a) {
        std::vector<std::string> out{"XTRIM", args[1]};
        WriteTrim(a, &out);
        return out;
      },
      [](const AddTrimArgs& x, const AddTrimArgs& y) {
        return SameTrim(x.trim, y.trim) && x.limit_given == y.limit_given;
      });
}

void FuzzRange(const std::vector<std::string>& args, bool rev) {
  RoundTrip<RangeArgs>(
      rev ? "xrevrange" : "xrange", args,
      [rev](CommandContext& ctx, RangeArgs* a) {
        if (!ParseRangeArgsOrReply(ctx, rev, a)) return false;
        FUZZ_CHECK(a->count >= -1);
        return true;
      },
      [&](const RangeArgs& a) {
        std::vector<std::string> out{rev ? "XREVRANGE" : "XRANGE", args[1]};
        if (rev) {
          out.insert(out.end(), {Id(a.end), Id(a.start)});
        } else {
          out.insert(out.end(), {Id(a.start), Id(a.end)});
        }
        if (a.count >= 0) out.insert(out.end(), {"COUNT", std::to_string(a.count)});
        return out;
      },
      [](const RangeArgs& x, const RangeArgs& y) {
        return x.start == y.start && x.end == y.end && x.count == y.count;
      });
}

void FuzzRead(const std::vector<std::string>& args, bool group) {
  struct Parsed {
    ReadArgs a;
    std::vector<std::string> tail;  // STREAMS' keys and IDs
  };
  const std::string_view name = group ? "xreadgroup" : "xread";
  RoundTrip<Parsed>(
      name, args,
      [](CommandContext& ctx, Parsed* p) {
        if (!ParseReadArgsOrReply(ctx, false, &p->a)) return false;
        FUZZ_CHECK(p->a.streams_arg > 0 && p->a.streams_arg <= ctx.args.size());
        FUZZ_CHECK(ctx.args.size() - p->a.streams_arg == 2 * p->a.n);
        FUZZ_CHECK(p->a.count >= 0 && p->a.timeout_ms >= -1);
        p->tail.assign(ctx.args.begin() + static_cast<std::ptrdiff_t>(p->a.streams_arg),
                       ctx.args.end());
        return true;
      },
      [&](const Parsed& p) {
        std::vector<std::string> out{std::string(name)};
        if (p.a.group_read)
          out.insert(out.end(), {"GROUP", std::string(p.a.group), std::string(p.a.consumer)});
        if (p.a.count > 0) out.insert(out.end(), {"COUNT", std::to_string(p.a.count)});
        if (p.a.timeout_ms >= 0) out.insert(out.end(), {"BLOCK", std::to_string(p.a.timeout_ms)});
        if (p.a.noack) out.push_back("NOACK");
        out.push_back("STREAMS");
        out.insert(out.end(), p.tail.begin(), p.tail.end());
        return out;
      },
      [](const Parsed& x, const Parsed& y) {
        return x.a.group_read == y.a.group_read && x.a.timeout_ms == y.a.timeout_ms &&
               x.a.count == y.a.count && x.a.noack == y.a.noack && x.a.group == y.a.group &&
               x.a.consumer == y.a.consumer && x.a.n == y.a.n && x.tail == y.tail;
      });
}

void FuzzClaim(const std::vector<std::string>& args) {
  RoundTrip<ClaimArgs>(
      "xclaim", args, [](CommandContext& ctx, ClaimArgs* a) { return ParseClaimArgsOrReply(ctx, a); },
      [&](const ClaimArgs& a) {
        std::vector<std::string> out{"XCLAIM", args[1], args[2], args[3],
                                     std::to_string(a.min_idle)};
        for (StreamID id : a.ids) out.push_back(Id(id));
        if (a.delivery_time != -1) out.insert(out.end(), {"TIME", std::to_string(a.delivery_time)});
        if (a.retry_count != -1)
          out.insert(out.end(), {"RETRYCOUNT", std::to_string(a.retry_count)});
        if (a.force) out.push_back("FORCE");
        if (a.justid) out.push_back("JUSTID");
        if (!a.last_id.IsZero()) out.insert(out.end(), {"LASTID", Id(a.last_id)});
        return out;
      },
      [](const ClaimArgs& x, const ClaimArgs& y) {
        return x.min_idle == y.min_idle && x.ids == y.ids && x.retry_count == y.retry_count &&
               x.delivery_time == y.delivery_time && x.force == y.force &&
               x.justid == y.justid && x.last_id == y.last_id;
      });
}

void FuzzAutoClaim(const std::vector<std::string>& args) {
  RoundTrip<AutoClaimArgs>(
      "xautoclaim", args,
      [](CommandContext& ctx, AutoClaimArgs* a) {
        if (!ParseAutoClaimArgsOrReply(ctx, a)) return false;
        FUZZ_CHECK(a->count >= 1 && a->min_idle >= 0);
        return true;
      },
      [&](const AutoClaimArgs& a) {
        std::vector<std::string> out{"XAUTOCLAIM", args[1], args[2], args[3],
                                     std::to_string(a.min_idle), Id(a.start), "COUNT",
                                     std::to_string(a.count)};
        if (a.justid) out.push_back("JUSTID");
        return out;
      },
      [](const AutoClaimArgs& x, const AutoClaimArgs& y) {
        return x.min_idle == y.min_idle && x.start == y.start && x.count == y.count &&
               x.justid == y.justid;
      });
}

void FuzzSetId(const std::vector<std::string>& args) {
  RoundTrip<SetIdArgs>(
      "xsetid", args, [](CommandContext& ctx, SetIdArgs* a) { return ParseSetIdArgsOrReply(ctx, a); },
      [&](const SetIdArgs& a) {
        std::vector<std::string> out{"XSETID", args[1], Id(a.id)};
        if (a.entries_added != -1)
          out.insert(out.end(), {"ENTRIESADDED", std::to_string(a.entries_added)});
        if (!a.max_deleted_id.IsZero())
          out.insert(out.end(), {"MAXDELETEDID", Id(a.max_deleted_id)});
        return out;
      },
      [](const SetIdArgs& x, const SetIdArgs& y) {
        return x.id == y.id && x.max_deleted_id == y.max_deleted_id &&
               x.entries_added == y.entries_added;
      });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(bytes), size);
  std::vector<std::string> args;
  for (size_t pos = 0; pos <= in.size();) {
    const size_t nl = std::min(in.find('\n', pos), in.size());
    args.emplace_back(in.substr(pos, nl - pos));
    pos = nl + 1;
  }
  const std::string_view cmd = args[0];
  // Each command's arity (the table checks it before a handler runs).
  const auto is = [&](std::string_view name, size_t min_args) {
    return AsciiEqualsIgnoreCase(cmd, name) && args.size() >= min_args;
  };
  if (is("xadd", 5)) {
    FuzzAdd(args);
  } else if (is("xtrim", 4)) {
    FuzzTrim(args);
  } else if (is("xrange", 4)) {
    FuzzRange(args, false);
  } else if (is("xrevrange", 4)) {
    FuzzRange(args, true);
  } else if (is("xread", 4)) {
    FuzzRead(args, false);
  } else if (is("xreadgroup", 7)) {
    FuzzRead(args, true);
  } else if (is("xclaim", 6)) {
    FuzzClaim(args);
  } else if (is("xautoclaim", 6)) {
    FuzzAutoClaim(args);
  } else if (is("xsetid", 3)) {
    FuzzSetId(args);
  }
  return 0;
}
