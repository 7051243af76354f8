// The RDB value reader on RESTORE payloads: the input is a payload body (type byte on), sealed
// here with a correct version and CRC64 so the fuzzer reaches the body reader; the raw input is
// also tried as a whole payload. A body that parses must dump and parse back to the same value
// (order kept for strings and lists, as a set of member/score pairs for the other types; a
// stream as its persisted form).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/crc64.h"
#include "fuzz_check.h"
#include "persist/rdb_value.h"

using namespace kv;

namespace {

std::vector<std::pair<std::string, double>> Canonical(const RdbValue& v) {
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i < v.items.size(); ++i)
    out.emplace_back(v.items[i], i < v.scores.size() ? v.scores[i] : 0.0);
  if (v.kind == RdbValue::Kind::kSet || v.kind == RdbValue::Kind::kZSet)
    std::sort(out.begin(), out.end());
  if (v.kind == RdbValue::Kind::kHash) {  // pairs of field, value
    std::vector<std::pair<std::string, double>> pairs;
    for (size_t i = 0; i + 1 < out.size(); i += 2) pairs.emplace_back(out[i].first + '\0' + out[i + 1].first, 0);
    std::sort(pairs.begin(), pairs.end());
    return pairs;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string body(reinterpret_cast<const char*>(bytes), size);
  RdbValue v;
  ParseRdbValue(body, &v);
  body.push_back(static_cast<char>(kRdbVersion));
  body.push_back(0);
  const uint64_t crc = Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>(crc >> (8 * i)));
  if (ParseRdbValue(body, &v) != RdbError::kOk) return 0;
  RdbValue back;
  FUZZ_CHECK(ParseRdbValue(DumpRdbValue(v), &back) == RdbError::kOk);
  FUZZ_CHECK(back.kind == v.kind);
  FUZZ_CHECK(Canonical(back) == Canonical(v));
  if (v.kind == RdbValue::Kind::kStream) {
    std::string a, b;
    v.stream->Serialize(&a);
    back.stream->Serialize(&b);
    FUZZ_CHECK(a == b);
  }
  return 0;
}
