// HyperLogLog codec on values a client may store (GET/SET moves them in whole): any bytes that
// pass the header check are read, merged, converted and updated without reading or writing
// outside them, and a damaged sparse body is reported the same way by every reader. The second
// half of the input drives register updates on a valid HLL, checked against a plain array.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/hyperloglog.h"
#include "fuzz_check.h"

using namespace kv::hll;

namespace {

Registers RegistersOf(const std::string& h) {
  Registers r{};
  FUZZ_CHECK(MergeInto(&r, h));
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 2) return 0;
  const size_t max_bytes = 20 + bytes[0] * 12;  // 20 .. 3080: promotion at many sizes
  const size_t half = 1 + (size - 1) / 2;
  std::string value(reinterpret_cast<const char*>(bytes) + 1, half - 1);
  if (value.size() >= 5 && value.size() % 3 == 0) {
    value.replace(0, 5, "HYLL\x01", 5);  // often a sparse header, so bodies get read
  }
  if (IsHll(value)) {
    const auto count = Count(value);
    Registers merged{};
    const bool merge_ok = MergeInto(&merged, value);
    std::string dense = value;
    const bool dense_ok = SparseToDense(&dense);
    FUZZ_CHECK(merge_ok == dense_ok);
    if (dense_ok) {
      FUZZ_CHECK(dense.size() == kDenseSize && IsHll(dense));
      FUZZ_CHECK(count.has_value() && Count(dense) == count);
      FUZZ_CHECK(RegistersOf(dense) == merged);
    } else {
      FUZZ_CHECK(dense == value);
    }
    std::string updated = value;
    const int r = Add(&updated, std::string_view(reinterpret_cast<const char*>(bytes), size),
                      max_bytes);
    FUZZ_CHECK(r >= -1 && r <= 1);
    FUZZ_CHECK(IsHll(updated));
    (void)DecodeSparse(value);
  }

  // A valid HLL under arbitrary register updates keeps every register a plain array keeps.
  std::string h = NewSparse();
  Registers model{};
  for (size_t i = half; i + 2 < size; i += 3) {
    const uint32_t index = ((bytes[i] << 8) | bytes[i + 1]) & (kRegisters - 1);
    const uint8_t count = static_cast<uint8_t>(1 + bytes[i + 2] % 51);
    const int r = Set(&h, index, count, max_bytes);
    FUZZ_CHECK(r == (count > model[index] ? 1 : 0));
    if (count > model[index]) model[index] = count;
    FUZZ_CHECK(IsHll(h));
    if (EncodingOf(h) == Encoding::kSparse) FUZZ_CHECK(h.size() <= max_bytes);
  }
  FUZZ_CHECK(RegistersOf(h) == model);
  FUZZ_CHECK(Count(h) == CountRegisters(model));
  return 0;
}
