#include "commands/args.h"

#include <fmt/format.h>

#include <cctype>

#include "commands/errors.h"
#include "core/scalar.h"

namespace kv {

bool ParseIntOrReply(CommandContext& ctx, std::string_view s, int64_t* out) {
  auto v = ParseInt64(s);
  if (!v) {
    ctx.rb->SendError(errors::kNotInteger);
    return false;
  }
  *out = *v;
  return true;
}

bool ParseRangeOrReply(CommandContext& ctx, std::string_view s, int64_t min, int64_t max,
                       std::string_view msg, int64_t* out) {
  auto v = ParseInt64(s);
  if (!v) {
    ctx.rb->SendError(msg.empty() ? errors::kNotInteger : msg);
    return false;
  }
  if (*v < min || *v > max) {
    if (msg.empty())
      ctx.rb->SendError(
          fmt::format("ERR value is out of range, value must between {} and {}", min, max));
    else
      ctx.rb->SendError(msg);
    return false;
  }
  *out = *v;
  return true;
}

bool ParsePositiveOrReply(CommandContext& ctx, std::string_view s, std::string_view msg,
                          int64_t* out) {
  return ParseRangeOrReply(ctx, s, 0, INT64_MAX,
                           msg.empty() ? "ERR value is out of range, must be positive" : msg, out);
}

bool ParseDoubleOrReply(CommandContext& ctx, std::string_view s, long double* out) {
  auto v = ParseLongDouble(s);
  if (!v) {
    ctx.rb->SendError(errors::kNotFloat);
    return false;
  }
  *out = *v;
  return true;
}

bool ParseMPopOrReply(CommandContext& ctx, size_t numkeys_idx, std::string_view side_a,
                      std::string_view side_b, MPopArgs* out) {
  int64_t numkeys;
  if (!ParseRangeOrReply(ctx, ctx.args[numkeys_idx], 1, INT64_MAX,
                         "ERR numkeys should be greater than 0", &numkeys))
    return false;
  const size_t after_numkeys = ctx.args.size() - numkeys_idx - 1;
  if (static_cast<uint64_t>(numkeys) >= after_numkeys) {  // no room for the side word
    ctx.rb->SendError(errors::kSyntax);
    return false;
  }
  out->first_key = numkeys_idx + 1;
  out->numkeys = static_cast<size_t>(numkeys);
  out->side_idx = out->first_key + out->numkeys;
  const std::string_view side = ctx.args[out->side_idx];
  out->side_a = EqualsIgnoreCase(side, side_a);
  if (!out->side_a && !EqualsIgnoreCase(side, side_b)) {
    ctx.rb->SendError(errors::kSyntax);
    return false;
  }
  bool counted = false;
  out->count = 1;
  for (size_t j = out->side_idx + 1; j < ctx.args.size(); ++j) {
    if (!counted && EqualsIgnoreCase(ctx.args[j], "COUNT") && j + 1 < ctx.args.size()) {
      if (!ParseRangeOrReply(ctx, ctx.args[++j], 1, INT64_MAX,
                             "ERR count should be greater than 0", &out->count))
        return false;
      counted = true;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return false;
    }
  }
  return true;
}

void SendHelpReply(CommandContext& ctx, std::string_view cmd,
                   std::initializer_list<const char*> lines) {
  ctx.rb->StartArray(static_cast<uint32_t>(lines.size() + 1));
  ctx.rb->SendSimple(fmt::format("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                 AsciiUpper(cmd)));
  for (const char* l : lines) ctx.rb->SendSimple(l);
}

bool IsOneOf(std::string_view s, std::initializer_list<std::string_view> names) {
  for (std::string_view n : names)
    if (EqualsIgnoreCase(s, n)) return true;
  return false;
}

void NumKeysAt(std::span<const std::string_view> args, size_t numkeys_idx,
               std::vector<size_t>* out) {
  out->clear();
  if (args.size() <= numkeys_idx) return;
  const auto numkeys = ParseInt64(args[numkeys_idx]);
  if (!numkeys || *numkeys < 1 ||
      *numkeys > static_cast<int64_t>(args.size()) - static_cast<int64_t>(numkeys_idx) - 1)
    return;
  for (int64_t i = 0; i < *numkeys; ++i) out->push_back(numkeys_idx + 1 + static_cast<size_t>(i));
}

}  // namespace kv
