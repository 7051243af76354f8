// SORT's pure rules, kept apart from the handler (sort_family.cc) so unit tests pin them to
// Redis 7.0's sort.c: the LIMIT window, BY/GET pattern expansion and the numeric sort value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kv::sort {

// The elements SORT outputs, as indexes [start, end] into the sorted vector (none when
// end < start): LIMIT's offset and count clamped to a vector of `len` elements as Redis does
// (a negative offset is 0, a negative count means "to the end").
struct Window {
  int64_t start;
  int64_t end;
  int64_t size() const { return end >= start ? end - start + 1 : 0; }
};
Window LimitWindow(int64_t offset, int64_t count, int64_t len);

// A BY/GET pattern applied to an element (lookupKeyByPattern): the first '*' becomes
// `element`, and "->field" after it names a hash field. Redis reads the pattern as a C string,
// so '*' and "->" are only searched before a NUL byte (the field itself runs to the end).
struct Expanded {
  std::string key;
  std::string_view field;  // points into the pattern
  bool has_field = false;
};
// False when the pattern has no '*' (it names no key: the value is missing).
bool ExpandPattern(std::string_view pattern, std::string_view element, Expanded* out);
// "GET #": the element itself.
bool IsSelfPattern(std::string_view pattern);
// Whether a BY pattern sorts at all: one without '*' ("nosort") keeps the stored order.
bool PatternSorts(std::string_view pattern);

// The numeric sort value of `text` as Redis reads it (strtod over the whole C string): false
// for trailing garbage, overflow or underflow (ERANGE) and NaN. An empty string is 0.
bool ParseScore(std::string_view text, double* out);

// Whether SORT args (name included) read keys through patterns: a BY pattern with '*', or a
// GET pattern other than "#". The dispatcher then locks every shard of the namespace.
bool ReadsPatternKeys(std::span<const std::string_view> args);

}  // namespace kv::sort
