// Status values returned by shard operations: errors are values, never exceptions.
//
// A shard op (`Op<Name>`) returns OpStatus or OpResult<T>; the command handler maps each status to
// the exact Redis error text (commands/errors.h). Nothing here knows about wire formats.
#pragma once

#include <cstdint>
#include <utility>

namespace kv {

enum class OpStatus : uint8_t {
  kOk,
  kKeyNotFound,
  kWrongType,
  kNotAnInteger,     // stored value is not an integer
  kNotAFloat,        // stored value is not a valid float
  kOutOfRange,       // integer overflow / result out of range
  kSkipped,          // condition (NX/XX) not met
  kOutOfMemory,      // maxmemory reached under noeviction
  kInvalidFloat,     // result would be NaN or Infinity
  kTooBig,           // result exceeds proto-max-bulk-len
};

template <typename T>
class OpResult {
 public:
  OpResult(T v) : value_(std::move(v)), status_(OpStatus::kOk) {}  // NOLINT: implicit by design
  OpResult(OpStatus s) : status_(s) {}                             // NOLINT
  bool ok() const { return status_ == OpStatus::kOk; }
  OpStatus status() const { return status_; }
  const T& value() const { return value_; }
  T& value() { return value_; }
  const T& operator*() const { return value_; }

 private:
  T value_{};
  OpStatus status_;
};

}  // namespace kv
