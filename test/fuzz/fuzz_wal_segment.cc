// WAL segment scanner (what recovery and kv-check read): any image, as the last segment or not,
// yields a scan whose figures agree with the records it handed out, and the good prefix it
// reports scans the same again with no problem (so cutting a torn tail there is safe).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "persist/recovery.h"
#include "persist/wal_record.h"

using namespace kv::persist;

namespace {

SegmentScan Scan(std::string_view data, bool is_last, uint64_t* seen, size_t* last_offset) {
  SegmentScan scan;
  *seen = 0;
  ScanSegment(
      data, is_last,
      [&](const WalRecord& r, size_t offset) -> std::string {
        FUZZ_CHECK(offset < data.size());
        FUZZ_CHECK(r.lsn >= scan.first_lsn || *seen == 0);
        (void)DescribeRecord(r);  // what kv-check prints for it
        *last_offset = offset;
        ++*seen;
        return "";
      },
      &scan);
  return scan;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  for (const bool is_last : {true, false}) {
    uint64_t seen = 0;
    size_t last_offset = 0;
    const SegmentScan scan = Scan(data, is_last, &seen, &last_offset);
    FUZZ_CHECK(scan.records == seen);
    FUZZ_CHECK(scan.valid_end <= data.size());
    if (scan.problem == SegmentScan::Problem::kNone) continue;
    FUZZ_CHECK(!scan.message.empty());
    FUZZ_CHECK(scan.bad_offset <= data.size());
    // A torn tail is only ever reported for the last segment.
    if (!is_last) FUZZ_CHECK(scan.problem != SegmentScan::Problem::kTornTail);
    if (scan.problem == SegmentScan::Problem::kTornTail && scan.valid_end > 0) {
      uint64_t again = 0;
      size_t unused = 0;
      const SegmentScan cut = Scan(data.substr(0, scan.valid_end), true, &again, &unused);
      FUZZ_CHECK(cut.problem == SegmentScan::Problem::kNone);
      FUZZ_CHECK(again == seen);
    }
  }
  // Any record payload: decoding never reads out of bounds, and what decodes can be described.
  WalRecord r;
  if (DecodeRecord(data, &r).empty()) (void)DescribeRecord(r);
  return 0;
}
