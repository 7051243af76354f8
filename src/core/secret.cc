#include "core/secret.h"

#include <cstddef>

namespace kv {

bool ConstantTimeEquals(std::string_view secret, std::string_view given) {
  // A length difference is folded in like any other difference. The loop runs over `given`, so
  // its time depends only on what the client sent; an empty secret is compared with itself.
  unsigned diff = secret.size() == given.size() ? 0u : 1u;
  const size_t n = secret.size();
  for (size_t i = 0; i < given.size(); ++i) {
    const unsigned char s = n == 0 ? 0 : static_cast<unsigned char>(secret[i % n]);
    diff |= s ^ static_cast<unsigned char>(given[i]);
  }
  // Volatile keeps the compiler from turning the accumulation into an early exit.
  volatile unsigned result = diff;
  return result == 0;
}

}  // namespace kv
