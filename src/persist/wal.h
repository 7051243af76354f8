// The write-ahead log writer: one background thread owns the segment files.
//
// Event loops call Append while they still hold the shard locks of the write (so the log orders
// conflicting writes as they were applied); Append only copies the record into a buffer and gives
// it the next LSN. The writer thread takes whole buffers, writes them with one write(2) and
// fsyncs by policy: `always` after every buffer (group commit: one fdatasync covers every record
// queued meanwhile), `batch` once per interval, `no` never. Nobody but the writer thread ever
// waits on the disk, except an Append that finds the queue full (back-pressure, never a drop).
//
// Segments are files named wal-<first lsn>.log starting with a 16-byte header; Rotate() makes the
// next record start a new one (a snapshot then lets the old ones go). I/O errors are kept in
// error() and retried every second; the server refuses writes while it is set.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace kv::persist {

// kEverysec is kBatch with the interval its owner sets to 1000 ms; it is its own value so that
// INFO names the policy the operator chose.
enum class FsyncPolicy : uint8_t { kAlways, kBatch, kEverysec, kNo };
const char* FsyncPolicyName(FsyncPolicy p);

inline constexpr std::string_view kSegmentMagic = "KVWAL001";
inline constexpr size_t kSegmentHeaderSize = 16;  // magic + first lsn u64
std::string SegmentName(uint64_t first_lsn);

struct WalStats {
  uint64_t last_lsn = 0;     // appended
  uint64_t written_lsn = 0;  // handed to the kernel
  uint64_t durable_lsn = 0;  // fsynced
  uint64_t bytes_written = 0;
  uint64_t records_written = 0;
  uint64_t fsyncs = 0;
  uint64_t last_fsync_us = 0;
  int64_t last_fsync_ms = 0;  // wall clock of the last fdatasync that completed; 0 = none yet
  uint64_t queued_records = 0;
  uint64_t backpressure_waits = 0;
  std::string segment;  // current file name
};

class Wal {
 public:
  struct Options {
    std::string dir;
    uint64_t next_lsn = 1;
    FsyncPolicy policy = FsyncPolicy::kBatch;
    int64_t interval_ms = 100;
    size_t queue_limit = 10000;
    // Writer thread, before any record goes into a new segment: make it known (manifest).
    // Returns "" or an error text (handled like a write error).
    std::function<std::string(const std::string& name, uint64_t first_lsn)> on_segment;
    // Writer thread, after durable_lsn advanced.
    std::function<void()> on_durable;
  };

  explicit Wal(Options opts);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Opens the first segment and starts the writer. Returns "" or an error.
  std::string Start();
  // Writes and fsyncs everything appended, then stops the writer.
  void Stop();

  // Queues one record (body from RecordBodyWriter) and returns its LSN. Blocks while the queue
  // holds queue_limit records.
  uint64_t Append(int64_t time_ms, std::string_view body);
  // The next record starts a new segment. Returns a ticket for WaitRotated.
  uint64_t Rotate();
  // Waits until the writer has opened the segment asked for by `ticket` (or failed).
  bool WaitRotated(uint64_t ticket);
  // Returns once everything appended before the call is fsynced, or an error is set (false).
  bool Sync();

  void SetPolicy(FsyncPolicy p, int64_t interval_ms);
  FsyncPolicy policy() const { return policy_.load(std::memory_order_relaxed); }
  uint64_t last_lsn() const { return last_lsn_.load(std::memory_order_acquire); }
  uint64_t durable_lsn() const { return durable_lsn_.load(std::memory_order_acquire); }
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  std::string error() const;
  WalStats stats() const;

 private:
  void Run();
  // Writes out_[from, to) to the current file; false on error (written_ advanced by what went).
  bool WriteRange(size_t to);
  bool OpenSegment(uint64_t first_lsn);
  bool SyncFile();
  void SetError(std::string e);

  Options opts_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;      // writer waits for records
  std::condition_variable not_full_cv_;  // appenders wait for room
  std::condition_variable synced_cv_;    // Sync() waits for durable_lsn
  std::string buf_;                      // records not yet taken by the writer
  size_t buf_records_ = 0;
  uint64_t buf_last_lsn_ = 0;
  size_t rotate_offset_ = SIZE_MAX;  // in buf_: where the new segment starts
  uint64_t rotate_lsn_ = 0;
  uint64_t rotations_asked_ = 0, rotations_done_ = 0;
  bool writer_idle_ = false;
  bool stop_ = false;
  uint64_t sync_target_ = 0;
  std::string error_;
  std::atomic<uint64_t> last_lsn_;
  std::atomic<uint64_t> durable_lsn_;
  std::atomic<FsyncPolicy> policy_;
  std::atomic<int64_t> interval_ms_;
  std::atomic<bool> failed_{false};

  // Writer thread only.
  int fd_ = -1;
  std::string segment_;
  std::string out_;       // taken from buf_, being written
  size_t out_done_ = 0;   // bytes of out_ already written
  size_t out_rotate_ = SIZE_MAX;
  uint64_t out_rotate_lsn_ = 0;
  uint64_t out_rotate_ticket_ = 0;
  uint64_t out_last_lsn_ = 0;
  uint64_t written_lsn_ = 0;
  bool unsynced_ = false;
  int64_t last_sync_ms_ = 0;
  std::atomic<uint64_t> bytes_written_{0}, records_written_{0}, fsyncs_{0}, last_fsync_us_{0},
      backpressure_waits_{0}, written_lsn_pub_{0};
  std::atomic<int64_t> last_fsync_ms_{0};
  size_t out_records_ = 0;
};

}  // namespace kv::persist
