// Reading a data directory back: newest snapshot, then the WAL records after it.
//
// Shared by the server's start-up and by kv-check. A segment is read frame by frame; the first
// bad frame is classified as a torn tail (the end of the last segment: a record cut short, or a
// zero-filled or half-written final record, which a crash leaves and which is cut off with a
// warning) or as corruption (anything else, which stops the start with file, offset and the
// kv-check command that repairs it). LSNs must run on without gaps across the snapshot and the
// segments, so a missing segment is found even when the manifest does not say so.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "persist/manifest.h"
#include "persist/snapshot.h"
#include "persist/wal_record.h"

namespace kv::persist {

struct SegmentScan {
  uint64_t first_lsn = 0;  // from the header
  uint64_t last_lsn = 0;   // last good record (first_lsn - 1 when none)
  uint64_t records = 0;
  size_t valid_end = 0;  // offset just past the last good record (or the header)
  enum class Problem { kNone, kTornTail, kCorrupt } problem = Problem::kNone;
  size_t bad_offset = 0;
  std::string message;  // what is wrong at bad_offset
};

// Scans one segment image, calling on_record for each good record (it may return an error to
// stop: the scan then reports it as kCorrupt). `is_last`: a torn end is expected only there.
void ScanSegment(std::string_view data, bool is_last,
                 const std::function<std::string(const WalRecord&, size_t offset)>& on_record,
                 SegmentScan* out);

struct RecoveryReport {
  bool fresh = true;  // no manifest: nothing to load
  Manifest manifest;
  SnapshotInfo snapshot;
  uint64_t records_replayed = 0;
  uint64_t last_lsn = 0;  // the next record gets last_lsn + 1
  double snapshot_seconds = 0;
  double replay_seconds = 0;
  std::vector<std::string> warnings;
};

struct RecoveryHooks {
  // Loads the snapshot (path) into the server, reporting bytes read through `progress`; "" or
  // an error.
  std::function<std::string(const std::string& path, SnapshotInfo* info,
                            const std::function<void(size_t done, size_t size)>& progress)>
      load_snapshot;
  // Applies one record; "" or an error that stops recovery.
  std::function<std::string(const WalRecord&)> apply;
  // Bytes read so far out of the total (snapshot + segments).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// Recovers `dir`. Cuts a torn tail off the last segment (file truncated, warning added). Returns
// "" or the error that must stop the start.
std::string Recover(const std::string& dir, const RecoveryHooks& hooks, RecoveryReport* report);

// The command an operator runs to repair `dir` (for error messages).
std::string RepairHint(const std::string& dir);

}  // namespace kv::persist
