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

}  // namespace kv
