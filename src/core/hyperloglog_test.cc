#include "core/hyperloglog.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>

namespace kv {
namespace {

using namespace hll;

std::string Element(uint64_t i) { return "element:" + std::to_string(i); }

// Redis's bound: six standard errors of the estimator (1.04 / sqrt(m)).
uint64_t MaxError(uint64_t n) {
  return static_cast<uint64_t>(std::ceil(1.04 / std::sqrt(double{kRegisters}) * 6 * n));
}

uint64_t AbsDiff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

TEST_CASE("HLL: a new value is an empty sparse HLL with a valid zero cache") {
  const std::string h = NewSparse();
  CHECK(h.size() == kHeaderSize + 2);
  CHECK(IsHll(h));
  CHECK(EncodingOf(h) == Encoding::kSparse);
  CHECK(CachedCardinality(h) == 0u);
  CHECK(Count(h) == 0u);
  CHECK(DecodeSparse(h) == "Z:16384");
}

TEST_CASE("HLL: elements land in the registers redis-server 7.0 puts them in") {
  // PFADD h a b c, then PFDEBUG DECODE h, on redis-server 7.0.15.
  std::string h = NewSparse();
  for (const char* e : {"a", "b", "c"}) CHECK(Add(&h, e, kDefaultSparseMaxBytes) == 1);
  CHECK(DecodeSparse(h) == "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
  CHECK(Add(&h, "a", kDefaultSparseMaxBytes) == 0);
  CHECK(Count(h) == 3u);
}

TEST_CASE("HLL: MurmurHash64A covers every tail length the same way for equal input") {
  // Each length 0..16 hashes differently, and the hash depends on every byte.
  const std::string base = "0123456789abcdef";
  uint64_t prev = 0;
  for (size_t n = 0; n <= base.size(); ++n) {
    const uint64_t h = MurmurHash64A(base.data(), n, 0xadc83b19ULL);
    CHECK(h != prev);
    prev = h;
    if (n > 0) {
      std::string changed = base.substr(0, n);
      changed[n - 1] ^= 1;
      CHECK(MurmurHash64A(changed.data(), n, 0xadc83b19ULL) != h);
    }
  }
}

TEST_CASE("HLL: dense registers keep their values without touching neighbours") {
  std::string dense(kDenseSize, '\0');
  auto* regs = reinterpret_cast<uint8_t*>(dense.data()) + kHeaderSize;
  std::mt19937 rng(7);
  Registers expect{};
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < kRegisters; ++i) {
      expect[i] = static_cast<uint8_t>(rng() & kRegisterMax);
      DenseSet(regs, i, expect[i]);
    }
    for (uint32_t i = 0; i < kRegisters; ++i) REQUIRE(DenseGet(regs, i) == expect[i]);
  }
  DenseSet(regs, kRegisters - 1, kRegisterMax);
  CHECK(DenseGet(regs, kRegisters - 1) == kRegisterMax);
  CHECK(DenseGet(regs, kRegisters - 2) == expect[kRegisters - 2]);
}

TEST_CASE("HLL: sparse grows, turns dense past the byte limit, and counts like a dense twin") {
  std::string sparse = NewSparse();
  std::string dense = NewSparse();
  REQUIRE(SparseToDense(&dense));
  REQUIRE(dense.size() == kDenseSize);
  auto* dense_regs = reinterpret_cast<uint8_t*>(dense.data()) + kHeaderSize;
  bool promoted = false;
  for (uint64_t i = 0; i < 2000; ++i) {
    const std::string e = Element(i);
    DenseAdd(dense_regs, e);
    REQUIRE(Add(&sparse, e, 300) >= 0);
    if (EncodingOf(sparse) == Encoding::kSparse) {
      CHECK(sparse.size() <= 300);
    } else if (!promoted) {
      promoted = true;
      CHECK(sparse.size() == kDenseSize);
      CHECK(i > 10);
    }
    if (i % 97 == 0) REQUIRE(Count(sparse) == Count(dense));
  }
  CHECK(promoted);
  CHECK(sparse.substr(kHeaderSize) == dense.substr(kHeaderSize));
}

TEST_CASE("HLL: a register above 32 makes a sparse value dense at once") {
  std::string h = NewSparse();
  REQUIRE(Set(&h, 100, 5, kDefaultSparseMaxBytes) == 1);
  REQUIRE(Set(&h, 200, 40, kDefaultSparseMaxBytes) == 1);
  CHECK(EncodingOf(h) == Encoding::kDense);
  Registers regs{};
  REQUIRE(MergeInto(&regs, h));
  CHECK(regs[100] == 5);
  CHECK(regs[200] == 40);
  CHECK(regs[150] == 0);
}

TEST_CASE("HLL: sparse opcodes split and merge back to the shortest form") {
  std::string h = NewSparse();
  for (uint32_t i = 10; i < 14; ++i) REQUIRE(Set(&h, i, 3, kDefaultSparseMaxBytes) == 1);
  CHECK(DecodeSparse(h) == "z:10 v:3,4 Z:16370");
  REQUIRE(Set(&h, 11, 7, kDefaultSparseMaxBytes) == 1);
  CHECK(DecodeSparse(h) == "z:10 v:3,1 v:7,1 v:3,2 Z:16370");
  CHECK(Set(&h, 11, 6, kDefaultSparseMaxBytes) == 0);
}

TEST_CASE("HLL: counts stay within Redis's error bounds of the exact cardinality") {
  std::string h = NewSparse();
  uint64_t added = 0;
  for (uint64_t n : {10u, 100u, 1000u, 10000u, 100000u}) {
    for (; added < n; ++added) REQUIRE(Add(&h, Element(added), kDefaultSparseMaxBytes) >= 0);
    const auto est = Count(h);
    REQUIRE(est.has_value());
    INFO("n=" << n << " estimate=" << *est);
    CHECK(AbsDiff(*est, n) <= MaxError(n));
  }
}

TEST_CASE("HLL: merging keeps the larger register, so the union counts like one set") {
  std::string a = NewSparse(), b = NewSparse(), both = NewSparse();
  for (uint64_t i = 0; i < 3000; ++i) {
    Add(i % 2 ? &a : &b, Element(i), kDefaultSparseMaxBytes);
    Add(&both, Element(i), kDefaultSparseMaxBytes);
  }
  Registers max{};
  REQUIRE(MergeInto(&max, a));
  REQUIRE(MergeInto(&max, b));
  Registers expect{};
  REQUIRE(MergeInto(&expect, both));
  CHECK(max == expect);
  CHECK(CountRegisters(max) == Count(both));
  CHECK(AbsDiff(CountRegisters(max), 3000) <= MaxError(3000));
}

TEST_CASE("HLL: the cached cardinality is little-endian with a stale bit") {
  std::string h = NewSparse();
  StoreCachedCardinality(h.data(), 0x0102030405060708ULL);
  CHECK(static_cast<uint8_t>(h[8]) == 0x08);
  CHECK(CachedCardinality(h) == 0x0102030405060708ULL);
  InvalidateCache(h.data());
  CHECK(!CachedCardinality(h).has_value());
}

TEST_CASE("HLL: header checks and corrupt sparse bodies") {
  CHECK(!IsHll("HYLL"));
  CHECK(!IsHll(std::string("HYLX") + std::string(14, '\0')));
  std::string dense_header = NewSparse();
  dense_header[4] = 0;  // claims dense with 18 bytes
  CHECK(!IsHll(dense_header));
  std::string bad_encoding = NewSparse();
  bad_encoding[4] = 2;
  CHECK(!IsHll(bad_encoding));

  std::string short_body = NewSparse();
  short_body[kHeaderSize + 1] = 0;  // XZERO of 16129 registers: too few
  REQUIRE(IsHll(short_body));
  CHECK(!Count(short_body).has_value());
  Registers max{};
  CHECK(!MergeInto(&max, short_body));
  const std::string before = short_body;
  CHECK(!SparseToDense(&short_body));
  CHECK(short_body == before);

  std::string val_past_end = NewSparse() + std::string(1, '\xf6');  // 3 registers too many
  CHECK(!SparseToDense(&val_past_end));
  CHECK(!MergeInto(&max, val_past_end));
  CHECK(!Count(val_past_end).has_value());

  std::string empty_body = NewSparse().substr(0, kHeaderSize);
  CHECK(Set(&empty_body, 5, 1, kDefaultSparseMaxBytes) == -1);
  CHECK(!Count(empty_body).has_value());

  std::string truncated = NewSparse().substr(0, kHeaderSize + 1);  // half an XZERO
  CHECK(!Count(truncated).has_value());
  CHECK(DecodeSparse(truncated) == "Z:16129");
}

}  // namespace
}  // namespace kv
