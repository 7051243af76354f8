#include "persist/recovery.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "persist/files.h"
#include "persist/format.h"
#include "persist/wal.h"

namespace kv::persist {

namespace {
double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}
// Whether a complete, intact record with the given LSN starts at or after `from`. A frame whose
// length runs past the end of the last segment is a torn tail only when nothing intact follows
// it: a damaged length field also runs past the end, with good (acknowledged) records after it.
// Only the LSN's 8 bytes are searched for, so a real torn tail (less than one record) costs a
// scan of its few bytes.
bool IntactRecordFollows(std::string_view data, size_t from, uint64_t lsn) {
  std::string pattern;
  Encoder(&pattern).U64(lsn);
  for (size_t p = data.find(pattern, from + kFrameHeaderSize); p != std::string_view::npos;
       p = data.find(pattern, p + 1)) {
    if (ReadFrame(data.substr(p - kFrameHeaderSize)).status == FrameStatus::kOk) return true;
  }
  return false;
}
}  // namespace

std::string RepairHint(const std::string& dir) {
  return fmt::format("run `./build/kv-check --repair {}` to cut the log at that point (it asks "
                     "first), then start again",
                     dir);
}

void ScanSegment(std::string_view data, bool is_last,
                 const std::function<std::string(const WalRecord&, size_t offset)>& on_record,
                 SegmentScan* out) {
  *out = SegmentScan{};
  auto bad = [&](SegmentScan::Problem p, size_t off, std::string msg) {
    out->problem = p;
    out->bad_offset = off;
    out->message = std::move(msg);
  };
  if (data.size() < kSegmentHeaderSize) {
    // Created, then the crash came before its header was complete.
    if (is_last && data.substr(0, std::min(data.size(), kSegmentMagic.size())) ==
                       kSegmentMagic.substr(0, std::min(data.size(), kSegmentMagic.size()))) {
      bad(SegmentScan::Problem::kTornTail, 0, "incomplete segment header");
    } else {
      bad(SegmentScan::Problem::kCorrupt, 0, "segment shorter than its header");
    }
    return;
  }
  if (data.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    bad(SegmentScan::Problem::kCorrupt, 0, "not a kv-server WAL segment (bad magic)");
    return;
  }
  Decoder hd(data.substr(kSegmentMagic.size(), 8));
  out->first_lsn = hd.U64();
  out->last_lsn = out->first_lsn - 1;
  size_t off = kSegmentHeaderSize;
  out->valid_end = off;
  WalRecord rec;
  while (off < data.size()) {
    const std::string_view rest = data.substr(off);
    const FrameView f = ReadFrame(rest);
    if (f.status != FrameStatus::kOk) {
      // The shapes a crash leaves at the end of the file: a record cut short, or one whose last
      // bytes never reached the disk followed only by zeros (a file system that extended the
      // file before the data landed). A bad length is damage, not a tear, unless it is zeros.
      const bool tail_shape =
          f.status == FrameStatus::kTruncated ||
          (f.status == FrameStatus::kBadChecksum && AllZero(rest.substr(f.size)));
      const bool final_frame =
          AllZero(rest) ||
          (tail_shape && !IntactRecordFollows(data, off + 1, out->last_lsn + 2));
      bad(is_last && final_frame ? SegmentScan::Problem::kTornTail
                                 : SegmentScan::Problem::kCorrupt,
          off, FrameStatusText(f.status));
      return;
    }
    if (std::string err = DecodeRecord(f.payload, &rec); !err.empty()) {
      bad(SegmentScan::Problem::kCorrupt, off, err);
      return;
    }
    if (rec.lsn != out->last_lsn + 1) {
      bad(SegmentScan::Problem::kCorrupt, off,
          fmt::format("sequence gap: record {} where {} was expected", rec.lsn,
                      out->last_lsn + 1));
      return;
    }
    if (on_record) {
      if (std::string err = on_record(rec, off); !err.empty()) {
        bad(SegmentScan::Problem::kCorrupt, off, err);
        return;
      }
    }
    out->last_lsn = rec.lsn;
    ++out->records;
    off += f.size;
    out->valid_end = off;
  }
}

std::string Recover(const std::string& dir, const RecoveryHooks& hooks, RecoveryReport* report) {
  *report = RecoveryReport{};
  bool exists = false;
  if (std::string err = LoadManifest(dir, &report->manifest, &exists); !err.empty()) return err;
  if (!exists) return "";
  report->fresh = false;
  const Manifest& m = report->manifest;

  uint64_t total = 0, done = 0;
  if (!m.snapshot.empty()) total += FileSize(dir + "/" + m.snapshot);
  for (const std::string& s : m.segments) total += FileSize(dir + "/" + s);

  uint64_t expected = 1;
  if (!m.snapshot.empty()) {
    const std::string path = dir + "/" + m.snapshot;
    if (access(path.c_str(), F_OK) != 0)
      return fmt::format("{}/{} names snapshot {}, which does not exist", dir, kManifestName,
                         m.snapshot);
    const auto t0 = std::chrono::steady_clock::now();
    auto progress = [&](size_t read, size_t) {
      if (hooks.progress) hooks.progress(read, total);
    };
    if (std::string err = hooks.load_snapshot(path, &report->snapshot, progress); !err.empty())
      return fmt::format("{} (a damaged snapshot cannot be repaired; move the data directory "
                         "aside to start empty)",
                         err);
    report->snapshot_seconds = Since(t0);
    if (report->snapshot.lsn != m.snapshot_lsn)
      return fmt::format("{} holds LSN {} but {} says {}", path, report->snapshot.lsn,
                         kManifestName, m.snapshot_lsn);
    expected = m.snapshot_lsn + 1;
    done += FileSize(path);
    if (hooks.progress) hooks.progress(done, total);
  }

  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < m.segments.size(); ++i) {
    const std::string path = dir + "/" + m.segments[i];
    if (access(path.c_str(), F_OK) != 0)
      return fmt::format("{}/{} names WAL segment {}, which does not exist; {}", dir,
                         kManifestName, m.segments[i], RepairHint(dir));
    MappedFile file;
    if (std::string err = file.Open(path); !err.empty()) return err;
    const bool is_last = i + 1 == m.segments.size();
    SegmentScan scan;
    std::string gap;
    ScanSegment(
        file.data(), is_last,
        [&](const WalRecord& rec, size_t offset) -> std::string {
          if (hooks.progress && (rec.lsn & 4095) == 0) hooks.progress(done + offset, total);
          if (rec.lsn < expected) return "";  // already in the snapshot
          if (rec.lsn > expected)
            return fmt::format("records {} to {} are missing (a lost segment?)", expected,
                               rec.lsn - 1);
          if (std::string err = hooks.apply(rec); !err.empty()) {
            gap = err;
            return err;
          }
          ++expected;
          ++report->records_replayed;
          return "";
        },
        &scan);
    if (!gap.empty()) return fmt::format("{}: record at offset {}: {}", path, scan.bad_offset, gap);
    if (scan.problem == SegmentScan::Problem::kCorrupt)
      return fmt::format("{}: corrupt at offset {} ({}); {}", path, scan.bad_offset, scan.message,
                         RepairHint(dir));
    if (scan.problem == SegmentScan::Problem::kNone && scan.first_lsn > expected)
      return fmt::format("{}: starts at record {} but {} was expected (a lost segment?); {}",
                         path, scan.first_lsn, expected, RepairHint(dir));
    if (scan.problem == SegmentScan::Problem::kTornTail) {
      const size_t cut = file.data().size() - scan.valid_end;
      report->warnings.push_back(fmt::format(
          "{}: cut {} bytes of a torn record at offset {} ({}): the end of a write a crash "
          "interrupted, never acknowledged under appendfsync always",
          path, cut, scan.bad_offset, scan.message));
      if (scan.valid_end < kSegmentHeaderSize) {
        // Not even a header: the segment never held a record. Forget it.
        if (unlink(path.c_str()) != 0)
          return fmt::format("cannot remove {}: {}", path, std::strerror(errno));
        report->manifest.segments.pop_back();
      } else if (truncate(path.c_str(), static_cast<off_t>(scan.valid_end)) != 0) {
        return fmt::format("cannot truncate {}: {}", path, std::strerror(errno));
      }
    }
    done += file.data().size();
    if (hooks.progress) hooks.progress(done, total);
  }
  report->replay_seconds = Since(t0);
  report->last_lsn = expected - 1;
  return "";
}

}  // namespace kv::persist
