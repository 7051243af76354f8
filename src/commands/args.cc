#include "commands/args.h"

#include <cctype>

#include "commands/errors.h"
#include "core/scalar.h"

namespace kv {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseIntOrReply(CommandContext& ctx, std::string_view s, int64_t* out) {
  auto v = ParseInt64(s);
  if (!v) {
    ctx.rb->SendError(errors::kNotInteger);
    return false;
  }
  *out = *v;
  return true;
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
