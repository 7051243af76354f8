#include "core/secret.h"

#include <doctest/doctest.h>

#include <string>

namespace kv {
namespace {

TEST_CASE("ConstantTimeEquals is equality") {
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK(ConstantTimeEquals("", ""));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "Secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret2"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secre"));
  CHECK_FALSE(ConstantTimeEquals("secret", ""));
  CHECK_FALSE(ConstantTimeEquals("", "x"));
  // A repetition of the secret is not the secret (the loop wraps around it).
  CHECK_FALSE(ConstantTimeEquals("ab", "abab"));
  const std::string with_nul("a\0b", 3);
  CHECK(ConstantTimeEquals(with_nul, std::string("a\0b", 3)));
  CHECK_FALSE(ConstantTimeEquals(with_nul, std::string("a\0c", 3)));
}

}  // namespace
}  // namespace kv
