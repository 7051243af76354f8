// The stream commands' argument parsers (commands/stream_args.h).
#include "commands/stream_args.h"

#include <fmt/format.h>

#include <climits>

#include "commands/args.h"
#include "commands/errors.h"
#include "core/object.h"

namespace kv::stream_cmd {

bool ParseIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq, bool strict,
                    bool* seq_given, StreamID* out) {
  if (ParseStreamID(arg, missing_seq, strict, seq_given, out)) return true;
  ctx.rb->SendError(kInvalidId);
  return false;
}

bool ParseIntervalIdOrReply(CommandContext& ctx, std::string_view arg, uint64_t missing_seq,
                            StreamID* out, bool* exclusive) {
  *exclusive = arg.size() > 1 && arg[0] == '(';
  if (*exclusive) return ParseIdOrReply(ctx, arg.substr(1), missing_seq, true, nullptr, out);
  return ParseIdOrReply(ctx, arg, missing_seq, false, nullptr, out);
}

int ParseAddTrimOrReply(CommandContext& ctx, bool xadd, AddTrimArgs* a) {
  const auto& args = ctx.args;
  size_t i = 2;
  int64_t limit = 0;
  for (; i < args.size(); ++i) {
    const size_t more = args.size() - 1 - i;
    const std::string_view opt = args[i];
    const bool maxlen = EqualsIgnoreCase(opt, "maxlen");
    if (xadd && opt == "*") break;
    if ((maxlen || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      if (a->trim.strategy != StreamTrim::kNone) {
        ctx.rb->SendError(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return -1;
      }
      a->trim.approx = false;
      const std::string_view next = args[i + 1];
      if (more >= 2 && (next == "~" || next == "=")) {
        a->trim.approx = next == "~";
        ++i;
      }
      if (maxlen) {
        int64_t n;
        if (!ParseIntOrReply(ctx, args[i + 1], &n)) return -1;
        if (n < 0) {
          ctx.rb->SendError("ERR The MAXLEN argument must be >= 0.");
          return -1;
        }
        a->trim.maxlen = static_cast<uint64_t>(n);
        a->trim.strategy = StreamTrim::kMaxLen;
      } else {
        if (!ParseIdOrReply(ctx, args[i + 1], 0, true, nullptr, &a->trim.minid)) return -1;
        a->trim.strategy = StreamTrim::kMinId;
      }
      ++i;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      if (!ParseIntOrReply(ctx, args[i + 1], &limit)) return -1;
      if (limit < 0) {
        ctx.rb->SendError("ERR The LIMIT argument must be >= 0.");
        return -1;
      }
      a->limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      a->no_mkstream = true;
    } else if (xadd) {
      if (!ParseIdOrReply(ctx, opt, 0, true, &a->seq_given, &a->id)) return -1;
      a->id_given = true;
      break;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return -1;
    }
  }
  if (limit != 0 && a->trim.strategy == StreamTrim::kNone) {
    ctx.rb->SendError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return -1;
  }
  if (!xadd && a->trim.strategy == StreamTrim::kNone) {
    ctx.rb->SendError("ERR syntax error, XTRIM must be called with a trimming strategy");
    return -1;
  }
  if (ctx.client->replaying) {
    // A logged trim is exact already (see the file's head).
    a->trim.limit = 0;
  } else if (a->limit_given) {
    if (!a->trim.approx) {
      ctx.rb->SendError("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return -1;
    }
    a->trim.limit = limit;
  } else if (a->trim.approx) {
    const int64_t per_node = GlobalEncodingLimits().stream_node_max_entries.load();
    a->trim.limit = per_node > 0 && per_node <= 10000 ? 100 * per_node : 10000;
  }
  return static_cast<int>(i);
}

bool ParseRangeArgsOrReply(CommandContext& ctx, bool rev, RangeArgs* a) {
  const std::string_view start_arg = rev ? ctx.args[3] : ctx.args[2];
  const std::string_view end_arg = rev ? ctx.args[2] : ctx.args[3];
  bool start_ex, end_ex;
  if (!ParseIntervalIdOrReply(ctx, start_arg, 0, &a->start, &start_ex)) return false;
  if (start_ex && !a->start.Incr()) {
    ctx.rb->SendError("ERR invalid start ID for the interval");
    return false;
  }
  if (!ParseIntervalIdOrReply(ctx, end_arg, UINT64_MAX, &a->end, &end_ex)) return false;
  if (end_ex && !a->end.Decr()) {
    ctx.rb->SendError("ERR invalid end ID for the interval");
    return false;
  }
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "count") && j + 1 < ctx.args.size()) {
      if (!ParseIntOrReply(ctx, ctx.args[j + 1], &a->count)) return false;
      if (a->count < 0) a->count = 0;
      ++j;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  return true;
}

bool ParseReadArgsOrReply(CommandContext& ctx, bool in_script, ReadArgs* a) {
  const size_t argc = ctx.args.size();
  a->group_read = ctx.spec->name == "xreadgroup";
  bool have_group = false;
  for (size_t i = 1; i < argc; ++i) {
    const size_t more = argc - i - 1;
    const std::string_view o = ctx.args[i];
    if (EqualsIgnoreCase(o, "BLOCK") && more) {
      if (in_script) {
        ctx.rb->SendError(fmt::format(
            "ERR {} command is not allowed with BLOCK option from scripts", ctx.args[0]));
        return false;
      }
      int64_t t;
      ++i;
      if (!ParseRangeOrReply(ctx, ctx.args[i], INT64_MIN, INT64_MAX,
                             "ERR timeout is not an integer or out of range", &t))
        return false;
      if (t < 0) {
        ctx.rb->SendError("ERR timeout is negative");
        return false;
      }
      if (t > 0 && t > INT64_MAX - ctx.now_ms) {
        ctx.rb->SendError("ERR timeout is out of range");
        return false;
      }
      a->timeout_ms = t;
    } else if (EqualsIgnoreCase(o, "COUNT") && more) {
      if (!ParseIntOrReply(ctx, ctx.args[++i], &a->count)) return false;
      if (a->count < 0) a->count = 0;
    } else if (EqualsIgnoreCase(o, "STREAMS") && more) {
      a->streams_arg = i + 1;
      const size_t rest = argc - a->streams_arg;
      if (rest % 2 != 0) {
        // Redis 7.0's text, XREADGROUP's included.
        ctx.rb->SendError(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return false;
      }
      a->n = rest / 2;
      break;
    } else if (EqualsIgnoreCase(o, "GROUP") && more >= 2) {
      if (!a->group_read) {
        ctx.rb->SendError(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      a->group = ctx.args[i + 1];
      a->consumer = ctx.args[i + 2];
      have_group = true;
      i += 2;
    } else if (EqualsIgnoreCase(o, "NOACK")) {
      if (!a->group_read) {
        ctx.rb->SendError(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      a->noack = true;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  if (a->streams_arg == 0) {
    ctx.rb->SendError(errors::kSyntax);
    return false;
  }
  if (a->group_read && !have_group) {
    ctx.rb->SendError("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  return true;
}

bool ParseClaimArgsOrReply(CommandContext& ctx, ClaimArgs* a) {
  if (!ParseRangeOrReply(ctx, ctx.args[4], INT64_MIN, INT64_MAX,
                         "ERR Invalid min-idle-time argument for XCLAIM", &a->min_idle))
    return false;
  if (a->min_idle < 0) a->min_idle = 0;
  size_t j = 5;
  for (StreamID id; j < ctx.args.size() && ParseStreamID(ctx.args[j], 0, true, nullptr, &id); ++j)
    a->ids.push_back(id);
  for (; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    const bool more = j + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "FORCE")) {
      a->force = true;
    } else if (EqualsIgnoreCase(opt, "JUSTID")) {
      a->justid = true;
    } else if (EqualsIgnoreCase(opt, "IDLE") && more) {
      int64_t idle;
      if (!ParseRangeOrReply(ctx, ctx.args[++j], INT64_MIN, INT64_MAX,
                             "ERR Invalid IDLE option argument for XCLAIM", &idle))
        return false;
      // Redis subtracts in a long long, which wraps for an IDLE near INT64_MIN; the handler
      // then takes a time before 0 or after now as now. The same, without the overflow.
      a->delivery_time =
          static_cast<int64_t>(static_cast<uint64_t>(ctx.now_ms) - static_cast<uint64_t>(idle));
    } else if (EqualsIgnoreCase(opt, "TIME") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], INT64_MIN, INT64_MAX,
                             "ERR Invalid TIME option argument for XCLAIM", &a->delivery_time))
        return false;
    } else if (EqualsIgnoreCase(opt, "RETRYCOUNT") && more) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], INT64_MIN, INT64_MAX,
                             "ERR Invalid RETRYCOUNT option argument for XCLAIM",
                             &a->retry_count))
        return false;
    } else if (EqualsIgnoreCase(opt, "LASTID") && more) {
      if (!ParseIdOrReply(ctx, ctx.args[++j], 0, true, nullptr, &a->last_id)) return false;
    } else {
      ctx.rb->SendError(fmt::format("ERR Unrecognized XCLAIM option '{}'", opt));
      return false;
    }
  }
  return true;
}

bool ParseAutoClaimArgsOrReply(CommandContext& ctx, AutoClaimArgs* a) {
  if (!ParseRangeOrReply(ctx, ctx.args[4], INT64_MIN, INT64_MAX,
                         "ERR Invalid min-idle-time argument for XAUTOCLAIM", &a->min_idle))
    return false;
  if (a->min_idle < 0) a->min_idle = 0;
  bool ex;
  if (!ParseIntervalIdOrReply(ctx, ctx.args[5], 0, &a->start, &ex)) return false;
  if (ex && !a->start.Incr()) {
    ctx.rb->SendError("ERR invalid start ID for the interval");
    return false;
  }
  for (size_t j = 6; j < ctx.args.size(); ++j) {
    if (EqualsIgnoreCase(ctx.args[j], "COUNT") && j + 1 < ctx.args.size()) {
      // Redis's bound: LONG_MAX / max(sizeof(streamID), attempts factor).
      if (!ParseRangeOrReply(ctx, ctx.args[++j], 1, LONG_MAX / 16, "ERR COUNT must be > 0",
                             &a->count))
        return false;
    } else if (EqualsIgnoreCase(ctx.args[j], "JUSTID")) {
      a->justid = true;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  return true;
}

bool ParseSetIdArgsOrReply(CommandContext& ctx, SetIdArgs* a) {
  if (!ParseIdOrReply(ctx, ctx.args[2], 0, true, nullptr, &a->id)) return false;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    const bool more = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(ctx.args[i], "entriesadded") && more) {
      if (!ParseIntOrReply(ctx, ctx.args[i + 1], &a->entries_added)) return false;
      if (a->entries_added < 0) {
        ctx.rb->SendError("ERR entries_added must be positive");
        return false;
      }
    } else if (EqualsIgnoreCase(ctx.args[i], "maxdeletedid") && more) {
      if (!ParseIdOrReply(ctx, ctx.args[i + 1], 0, true, nullptr, &a->max_deleted_id))
        return false;
      if (a->id < a->max_deleted_id) {
        ctx.rb->SendError(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return false;
      }
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  return true;
}

}  // namespace kv::stream_cmd
