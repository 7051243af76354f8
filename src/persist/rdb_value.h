// Redis's RDB value format, as DUMP writes and RESTORE reads it: one type byte, the value's
// RDB body, then a 2-byte RDB version and an 8-byte CRC64 of everything before it (both
// little-endian). Payloads are exchanged with redis-server 7.0, so DumpRdbValue writes RDB
// version 10 and only object types Redis 7.0 reads; ParseRdbValue reads those plus the older
// forms listed in docs/persistence.md. It knows nothing of commands or of the keyspace: values
// pass through RdbValue, a plain list of strings per type.
//
// Thread contract: none; the functions are reentrant.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/stream.h"

namespace kv {

struct RdbValue {
  enum class Kind : uint8_t { kString, kList, kSet, kZSet, kHash, kStream };
  Kind kind = Kind::kString;
  // Dump hint: the compact form (listpack, intset for an all-integer set) instead of the
  // plain one. Lists are always a quicklist of listpacks, as in Redis 7.0.
  bool compact = false;
  // string: one item; list and set: the elements; hash: field, value, field, value...;
  // zset: the members, with their scores in `scores` at the same index.
  std::vector<std::string> items;
  std::vector<double> scores;
  // stream (parsed only: DumpRdbStream writes one).
  std::unique_ptr<Stream> stream;
};

inline constexpr uint16_t kRdbVersion = 10;

// The DUMP payload of `v` (non-empty for collections; not a stream).
std::string DumpRdbValue(const RdbValue& v);
// The DUMP payload of a stream: RDB_TYPE_STREAM_LISTPACKS_2, as Redis 7.0 writes it
// (persist/rdb_stream.cc).
std::string DumpRdbStream(const Stream& s);

enum class RdbError : uint8_t {
  kOk,
  kBadFooter,  // too short, newer RDB version or checksum mismatch
  kBadData,    // the body is malformed, empty, or a type this reader refuses
};
// Parses a DUMP payload; no length in it makes the reader reserve more than the payload holds
// (an LZF string at most a bounded multiple of its compressed size).
RdbError ParseRdbValue(std::string_view payload, RdbValue* out);

// FUNCTION DUMP / RESTORE payloads, as Redis 7.0 writes them: per library the
// RDB_OPCODE_FUNCTION2 byte and its code as an RDB string, then the same footer. Parse refuses
// any other opcode (the pre-release RDB_OPCODE_FUNCTION included) as kBadData.
std::string DumpFunctionPayload(const std::vector<std::string_view>& codes);
RdbError ParseFunctionPayload(std::string_view payload, std::vector<std::string>* codes);

}  // namespace kv
