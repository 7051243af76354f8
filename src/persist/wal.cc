#include "persist/wal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/latency_monitor.h"
#include "persist/format.h"
#include "persist/wal_record.h"

namespace kv::persist {

namespace {
int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
// How often the writer hands batch/no-mode records to the kernel: what a kill -9 (not a power
// loss) can cost at most, on top of the unsynced interval a power loss can cost.
constexpr int64_t kWriteTickMs = 5;
}  // namespace

const char* FsyncPolicyName(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kBatch:
      return "batch";
    case FsyncPolicy::kEverysec:
      return "everysec";
    case FsyncPolicy::kNo:
      return "no";
  }
  return "?";
}

std::string SegmentName(uint64_t first_lsn) { return fmt::format("wal-{:020}.log", first_lsn); }

Wal::Wal(Options opts)
    : opts_(std::move(opts)),
      last_lsn_(opts_.next_lsn - 1),
      durable_lsn_(opts_.next_lsn - 1),
      policy_(opts_.policy),
      interval_ms_(opts_.interval_ms) {
  buf_last_lsn_ = out_last_lsn_ = written_lsn_ = opts_.next_lsn - 1;
  written_lsn_pub_ = written_lsn_;
}

Wal::~Wal() { Stop(); }

std::string Wal::Start() {
  if (!OpenSegment(opts_.next_lsn)) return error();
  last_sync_ms_ = SteadyMs();
  thread_ = std::thread([this] { Run(); });
  return "";
}

void Wal::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  not_full_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  synced_cv_.notify_all();
}

uint64_t Wal::Append(int64_t time_ms, std::string_view body) {
  std::unique_lock lk(mu_);
  if (buf_records_ >= opts_.queue_limit) {
    backpressure_waits_.fetch_add(1, std::memory_order_relaxed);
    work_cv_.notify_one();
    not_full_cv_.wait(lk, [&] { return buf_records_ < opts_.queue_limit || stop_; });
  }
  const uint64_t lsn = last_lsn_.load(std::memory_order_relaxed) + 1;
  const size_t start = BeginFrame(&buf_);
  EncodeRecordPayload(&buf_, lsn, time_ms, body);
  EndFrame(&buf_, start);
  last_lsn_.store(lsn, std::memory_order_release);
  buf_last_lsn_ = lsn;
  ++buf_records_;
  // `always` wakes the writer at once (group commit collects whatever arrives while it syncs);
  // the other policies let records gather for a tick unless the queue is filling up.
  if (writer_idle_ && (policy_.load(std::memory_order_relaxed) == FsyncPolicy::kAlways ||
                       buf_records_ >= opts_.queue_limit / 4)) {
    writer_idle_ = false;
    work_cv_.notify_one();
  }
  return lsn;
}

uint64_t Wal::Rotate() {
  std::lock_guard lk(mu_);
  if (rotate_offset_ != SIZE_MAX) return rotations_asked_;
  rotate_offset_ = buf_.size();
  rotate_lsn_ = last_lsn_.load(std::memory_order_relaxed) + 1;
  ++rotations_asked_;
  writer_idle_ = false;
  work_cv_.notify_one();
  return rotations_asked_;
}

bool Wal::WaitRotated(uint64_t ticket) {
  std::unique_lock lk(mu_);
  synced_cv_.wait(lk, [&] { return rotations_done_ >= ticket || failed_.load() || stop_; });
  return rotations_done_ >= ticket;
}

bool Wal::Sync() {
  std::unique_lock lk(mu_);
  const uint64_t target = last_lsn_.load(std::memory_order_relaxed);
  if (durable_lsn_.load() >= target) return true;
  sync_target_ = std::max(sync_target_, target);
  writer_idle_ = false;
  work_cv_.notify_one();
  // stop_: the writer is going (Stop notifies once it is gone); reading thread_ here would race
  // with Stop's join.
  synced_cv_.wait(lk, [&] { return durable_lsn_.load() >= target || failed_.load() || stop_; });
  return durable_lsn_.load() >= target;
}

void Wal::SetPolicy(FsyncPolicy p, int64_t interval_ms) {
  interval_ms_.store(interval_ms);
  policy_.store(p);
  std::lock_guard lk(mu_);
  writer_idle_ = false;
  work_cv_.notify_one();
}

std::string Wal::error() const {
  std::lock_guard lk(mu_);
  return error_;
}

void Wal::SetError(std::string e) {
  std::lock_guard lk(mu_);
  error_ = std::move(e);
  failed_.store(true);
  synced_cv_.notify_all();
}

WalStats Wal::stats() const {
  WalStats s;
  s.last_lsn = last_lsn();
  s.written_lsn = written_lsn_pub_.load();
  s.durable_lsn = durable_lsn();
  s.bytes_written = bytes_written_.load();
  s.records_written = records_written_.load();
  s.fsyncs = fsyncs_.load();
  s.last_fsync_us = last_fsync_us_.load();
  s.last_fsync_ms = last_fsync_ms_.load();
  s.backpressure_waits = backpressure_waits_.load();
  std::lock_guard lk(mu_);
  s.queued_records = buf_records_;
  s.segment = segment_;
  return s;
}

bool Wal::OpenSegment(uint64_t first_lsn) {
  const std::string name = SegmentName(first_lsn);
  const std::string path = opts_.dir + "/" + name;
  // O_TRUNC: a file of this name can only be a segment a crash left without complete records
  // (recovery accounted for every record it held).
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    SetError(fmt::format("cannot create {}: {}", path, std::strerror(errno)));
    return false;
  }
  std::string header(kSegmentMagic);
  Encoder(&header).U64(first_lsn);
  if (write(fd, header.data(), header.size()) != static_cast<ssize_t>(header.size()) ||
      fdatasync(fd) != 0) {
    SetError(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    close(fd);
    return false;
  }
  if (opts_.on_segment) {
    std::string err = opts_.on_segment(name, first_lsn);
    if (!err.empty()) {
      SetError(std::move(err));
      close(fd);
      return false;
    }
  }
  if (fd_ >= 0) close(fd_);
  fd_ = fd;
  std::lock_guard lk(mu_);
  segment_ = name;
  return true;
}

bool Wal::WriteRange(size_t to) {
  while (out_done_ < to) {
    const ssize_t n = write(fd_, out_.data() + out_done_, to - out_done_);
    if (n < 0) {
      if (errno == EINTR) continue;
      SetError(fmt::format("write to {}: {}", segment_, std::strerror(errno)));
      return false;
    }
    out_done_ += static_cast<size_t>(n);
    bytes_written_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    unsynced_ = true;
  }
  return true;
}

bool Wal::SyncFile() {
  if (!unsynced_) {
    durable_lsn_.store(written_lsn_, std::memory_order_release);
    return true;
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (fdatasync(fd_) != 0) {
    SetError(fmt::format("fdatasync {}: {}", segment_, std::strerror(errno)));
    return false;
  }
  const auto took = std::chrono::steady_clock::now() - t0;
  last_fsync_us_.store(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
  if (policy_.load(std::memory_order_relaxed) == FsyncPolicy::kAlways)
    GlobalLatencyMonitor().Report(
        "aof-fsync-always",
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()),
        NowMs() / 1000);
  fsyncs_.fetch_add(1, std::memory_order_relaxed);
  last_fsync_ms_.store(NowMs(), std::memory_order_relaxed);
  unsynced_ = false;
  last_sync_ms_ = SteadyMs();
  durable_lsn_.store(written_lsn_, std::memory_order_release);
  return true;
}

void Wal::Run() {
  std::unique_lock lk(mu_);
  for (;;) {
    const FsyncPolicy policy = policy_.load();
    const int64_t interval = std::max<int64_t>(1, interval_ms_.load());
    const bool backlog = out_done_ < out_.size() || out_rotate_ != SIZE_MAX;
    const bool sync_wanted = sync_target_ > durable_lsn_.load();
    if (!stop_ && buf_.empty() && !backlog && rotate_offset_ == SIZE_MAX && !sync_wanted) {
      writer_idle_ = true;
      if (policy == FsyncPolicy::kAlways && !unsynced_) {
        work_cv_.wait(lk);
      } else {
        work_cv_.wait_for(lk, std::chrono::milliseconds(std::min(interval, kWriteTickMs)));
      }
      writer_idle_ = false;
    } else if (failed_.load() && !stop_) {
      // Retry a failed disk once a second; appends keep queueing (until back-pressure).
      work_cv_.wait_for(lk, std::chrono::seconds(1));
    }
    if (!buf_.empty() || rotate_offset_ != SIZE_MAX) {
      if (out_done_ == out_.size()) {
        out_.clear();
        out_done_ = 0;
      }
      const size_t base = out_.size();
      if (out_.empty()) {
        out_.swap(buf_);
      } else {
        out_.append(buf_);
      }
      buf_.clear();
      if (rotate_offset_ != SIZE_MAX && out_rotate_ == SIZE_MAX) {
        out_rotate_ = base + rotate_offset_;
        out_rotate_lsn_ = rotate_lsn_;
        out_rotate_ticket_ = rotations_asked_;
      } else if (rotate_offset_ != SIZE_MAX) {
        // One rotation is still pending: it serves this request too. It starts the new
        // segment earlier than asked, which only means a snapshot retires fewer segments.
        out_rotate_ticket_ = rotations_asked_;
      }
      rotate_offset_ = SIZE_MAX;
      out_records_ += buf_records_;
      buf_records_ = 0;
      out_last_lsn_ = buf_last_lsn_;
      not_full_cv_.notify_all();
    }
    const bool stopping = stop_;
    const bool sync_requested = sync_target_ > durable_lsn_.load();
    lk.unlock();

    const uint64_t durable_before = durable_lsn_.load();
    bool ok = true;
    if (out_rotate_ != SIZE_MAX) {
      ok = WriteRange(out_rotate_);
      if (ok) {
        written_lsn_ = out_rotate_lsn_ - 1;
        ok = SyncFile() && OpenSegment(out_rotate_lsn_);
      }
      if (ok) {
        out_rotate_ = SIZE_MAX;
        std::lock_guard g(mu_);
        rotations_done_ = out_rotate_ticket_;
        synced_cv_.notify_all();
      }
    }
    if (ok && out_rotate_ == SIZE_MAX) {
      ok = WriteRange(out_.size());
      if (ok) {
        written_lsn_ = out_last_lsn_;
        written_lsn_pub_.store(written_lsn_);
        records_written_.fetch_add(out_records_, std::memory_order_relaxed);
        out_records_ = 0;
      }
    }
    if (ok && unsynced_) {
      const bool due = policy == FsyncPolicy::kAlways ||
                       ((policy == FsyncPolicy::kBatch || policy == FsyncPolicy::kEverysec) &&
                        SteadyMs() - last_sync_ms_ >= interval);
      if (due || sync_requested || stopping) ok = SyncFile();
    } else if (ok && sync_requested) {
      ok = SyncFile();
    }

    lk.lock();
    if (ok && failed_.load() && out_done_ == out_.size()) {
      error_.clear();
      failed_.store(false);
    }
    if (durable_lsn_.load() != durable_before) {
      synced_cv_.notify_all();
      if (opts_.on_durable) {
        lk.unlock();
        opts_.on_durable();
        lk.lock();
      }
    }
    if (stopping && (!ok || (buf_.empty() && out_done_ == out_.size() && !unsynced_))) break;
  }
  synced_cv_.notify_all();
}

}  // namespace kv::persist
