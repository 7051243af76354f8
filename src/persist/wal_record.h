// WAL records: what one log entry says, and its byte layout inside a frame.
//
// A record is a group of commands applied as one (a single write today; a MULTI/EXEC block
// later), so recovery applies all of it or, when its frame is torn, none. Each record carries
// its log sequence number and the wall-clock time at which it was applied: replay runs every
// command with that clock, so relative TTLs become the same absolute deadlines and keys expire
// in the log exactly as they did live. Arguments keep their type (a native client's Int stays an
// Int) as (ScalarType, raw bytes) in core/scalar.h's raw form.
//
// Payload: [lsn u64][time_ms i64][count u32] then count x
//          ([namespace len u8][namespace][argc u32] then argc x ([type u8][len u32][raw bytes])).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/scalar.h"

namespace kv::persist {

struct LoggedArg {
  ScalarType type = ScalarType::kBytes;
  std::string_view raw;
};

struct LoggedCommand {
  std::string_view ns;
  std::vector<LoggedArg> args;  // args[0] is the command name
};

// Views into the payload it was decoded from.
struct WalRecord {
  uint64_t lsn = 0;
  int64_t time_ms = 0;
  std::vector<LoggedCommand> commands;
};

// Builds a record body (everything after lsn and time): StartBody(count), then for each command
// AddCommand and its arguments.
class RecordBodyWriter {
 public:
  explicit RecordBodyWriter(std::string* body, uint32_t commands);
  void AddCommand(std::string_view ns, uint32_t argc);
  void AddArg(std::string_view bytes);  // a plain (Bytes) argument
  void AddArg(const ScalarView& typed);

 private:
  std::string* body_;
};

// Rewrites the command count at the start of `body` (a batch knows it only at the end).
void SetRecordBodyCount(std::string* body, uint32_t commands);

// Writes a whole record payload: lsn, time, then a body from RecordBodyWriter.
void EncodeRecordPayload(std::string* out, uint64_t lsn, int64_t time_ms, std::string_view body);

// Decodes a frame payload. Returns "" or what is wrong with it.
std::string DecodeRecord(std::string_view payload, WalRecord* out);

// One line per command for kv-check's dump: time, namespace and arguments, escaped.
std::string DescribeRecord(const WalRecord& r);

}  // namespace kv::persist
