// HyperLogLog: Redis's representation of a cardinality estimator inside a string value.
//
// PFADD, PFCOUNT and PFMERGE keep their state in an ordinary string, so a value fetched with
// GET from redis-server and stored with SET here (or the other way round) must mean the same
// thing and evolve byte for byte the same way. This codec therefore follows Redis 7's layout
// exactly (hyperloglog.c):
//
//   [ "HYLL" ][ encoding u8: 0 dense, 1 sparse ][ 3 unused ][ cached cardinality, 8 B LE ]
//   [ registers ... ]
//
// 16384 registers (P = 14) of 6 bits each. Dense: the registers packed LSB first, 12288 bytes,
// 12304 in all. Sparse: run-length opcodes, ZERO (00xxxxxx: 1-64 zero registers), XZERO
// (01xxxxxx yyyyyyyy: 1-16384 zero registers), VAL (1vvvvvxx: 1-4 registers of value 1-32).
// The top bit of the last cardinality byte set means "cache stale". Elements hash with
// MurmurHash64A (seed 0xadc83b19); a sparse value grows until it would exceed the configured
// hll-sparse-max-bytes or needs a register above 32, then turns dense. The estimate is Ertl's
// improved raw estimator that Redis 5+ uses, so both servers print the same count.
//
// The codec knows nothing of keys or commands; it works on bytes the caller owns. Functions
// that read a sparse value report a corrupt one (opcodes that do not cover exactly 16384
// registers, or a VAL run past the last register, which the redis-server 7.0.15 of Debian
// refuses too) instead of trusting it. The missing byte of an XZERO cut by the end of the
// value reads as zero; Redis reads whatever its buffer holds there, usually the string's
// terminating NUL.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kv::hll {

inline constexpr int kP = 14;
inline constexpr int kQ = 64 - kP;
inline constexpr uint32_t kRegisters = 1u << kP;
inline constexpr int kBits = 6;
inline constexpr uint8_t kRegisterMax = (1u << kBits) - 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * kBits + 7) / 8;
inline constexpr uint8_t kSparseValMax = 32;  // largest register a sparse VAL opcode holds
inline constexpr size_t kDefaultSparseMaxBytes = 3000;

enum class Encoding : uint8_t { kDense = 0, kSparse = 1 };

// One register value per byte: the working form of merges and multi-key counts.
using Registers = std::array<uint8_t, kRegisters>;

// Redis's MurmurHash64A (little-endian reads, as Redis on x86 and ARM).
uint64_t MurmurHash64A(const void* data, size_t len, uint64_t seed);

// The register an element lands in and the run length of zeros its hash shows (1..51).
struct Pattern {
  uint32_t index;
  uint8_t count;
};
Pattern PatternOf(std::string_view element);

// The header checks Redis makes before treating a string as an HLL: at least a header, the
// magic, a known encoding, and exactly kDenseSize bytes when dense. A sparse body is checked
// only as it is read.
bool IsHll(std::string_view value);
Encoding EncodingOf(std::string_view value);  // of a value IsHll accepted

// An empty HLL: sparse, one XZERO opcode for all registers, cached cardinality 0 (18 bytes).
std::string NewSparse();

// The cached cardinality, if the cache is valid.
std::optional<uint64_t> CachedCardinality(std::string_view value);
void StoreCachedCardinality(char* value, uint64_t card);
void InvalidateCache(char* value);

// Dense register access on the register area (value + kHeaderSize).
uint8_t DenseGet(const uint8_t* registers, uint32_t index);
void DenseSet(uint8_t* registers, uint32_t index, uint8_t v);

// Raises register `index` of a dense or sparse HLL to `count` when it is lower. A sparse value
// may grow, and turns dense when `count` does not fit a VAL opcode or the value would exceed
// `sparse_max_bytes`. Returns 1 when a register changed, 0 when not, -1 for a corrupt sparse
// value (which may be left partly updated, as Redis leaves it).
int Set(std::string* hll, uint32_t index, uint8_t count, size_t sparse_max_bytes);
// Set() for the register and count of `element`.
int Add(std::string* hll, std::string_view element, size_t sparse_max_bytes);
// The dense-only case, in place: 1 when the register rose.
int DenseAdd(uint8_t* registers, std::string_view element);

// Rewrites a sparse value as dense (header kept, cache included); false if it is corrupt, in
// which case *hll is unchanged. A dense value is left as it is.
bool SparseToDense(std::string* hll);

// max[i] = max(max[i], register i of `hll`); false for a corrupt sparse value.
bool MergeInto(Registers* max, std::string_view hll);

// The cardinality estimate of a value (not its cache); nullopt for a corrupt sparse value.
std::optional<uint64_t> Count(std::string_view hll);
// The estimate for registers held one per byte.
uint64_t CountRegisters(const Registers& regs);

// PFDEBUG DECODE's text for a sparse value: "Z:8436 v:1,1 z:3 ...".
std::string DecodeSparse(std::string_view hll);

}  // namespace kv::hll
