#include "persist/persistence.h"

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/keyspace.h"
#include "core/latency_monitor.h"
#include "persist/files.h"
#include "persist/snapshot.h"

namespace kv::persist {

namespace {
uint64_t SegmentFirstLsn(const std::string& name) {
  uint64_t lsn = 0;
  return std::sscanf(name.c_str(), "wal-%" SCNu64 ".log", &lsn) == 1 ? lsn : 0;
}
constexpr const char* kDisabled = "persistence is disabled (--appendonly no)";
}  // namespace

Persistence::Persistence(Store& store, PersistenceOptions opts)
    : store_(store), opts_(std::move(opts)) {
  last_save_ms_ = NowMs();
}

Persistence::~Persistence() {
  if (reaper_.joinable()) reaper_.join();
}

std::string Persistence::LockDir() {
  return opts_.enabled ? dir_lock_.Acquire(opts_.dir) : "";
}

std::string Persistence::Recover(const std::function<std::string(const WalRecord&)>& apply,
                                 RecoveryReport* report,
                                 std::function<void(uint64_t, uint64_t)> progress_log) {
  *report = RecoveryReport{};
  if (!opts_.enabled) return "";
  std::error_code ec;
  std::filesystem::create_directories(opts_.dir, ec);
  if (ec) return fmt::format("cannot create data directory {}: {}", opts_.dir, ec.message());
  // A snapshot child or manifest write that a crash interrupted leaves a *.tmp file: never part
  // of the data (the rename is the commit), so it goes.
  for (const auto& f : std::filesystem::directory_iterator(opts_.dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.ends_with(".tmp") && (name.starts_with("snap-") || name.starts_with(kManifestName)))
      std::filesystem::remove(f.path(), ec);
  }
  last_progress_log_ms_ = NowMs();
  loading_start_ms_.store(last_progress_log_ms_);
  progress_log_ = std::move(progress_log);
  RecoveryHooks hooks;
  hooks.load_snapshot = [&](const std::string& path, SnapshotInfo* info,
                            const std::function<void(size_t, size_t)>& progress) {
    std::vector<std::string> libraries;
    std::string err = LoadSnapshot(path, store_, progress, info, &libraries);
    if (!err.empty()) return err;
    if (err = ReplaceLibraries(libraries); !err.empty())
      return fmt::format("{}: a function library does not load: {}", path, err);
    return err;
  };
  hooks.apply = apply;
  hooks.progress = [&](uint64_t done, uint64_t total) { SetProgress(done, total); };
  std::string err = persist::Recover(opts_.dir, hooks, report);
  if (!err.empty()) return err;
  std::lock_guard lk(manifest_mu_);
  manifest_ = report->manifest;
  recovered_lsn_ = report->last_lsn;  // the snapshot's LSN when no record follows it
  return "";
}

void Persistence::SetProgress(uint64_t done, uint64_t total) {
  load_done_.store(done, std::memory_order_relaxed);
  load_total_.store(total, std::memory_order_relaxed);
  if (!progress_log_ || done >= total) return;
  const int64_t now = NowMs();
  if (now - last_progress_log_ms_ < 1000) return;
  last_progress_log_ms_ = now;
  progress_log_(done, total);
}

std::string Persistence::OpenLog(std::function<void()> on_durable) {
  if (!opts_.enabled) return "";
  Wal::Options w;
  w.dir = opts_.dir;
  w.next_lsn = recovered_lsn_ + 1;
  w.policy = opts_.policy;
  w.interval_ms = opts_.interval_ms;
  w.queue_limit = opts_.queue_limit;
  w.on_segment = [this](const std::string& name, uint64_t) { return OnSegment(name); };
  w.on_durable = std::move(on_durable);
  wal_ = std::make_unique<Wal>(std::move(w));
  if (std::string err = wal_->Start(); !err.empty()) return err;
  wal_ptr_.store(wal_.get(), std::memory_order_release);
  return "";
}

std::string Persistence::OnSegment(const std::string& name) {
  std::lock_guard lk(manifest_mu_);
  if (manifest_.segments.empty() || manifest_.segments.back() != name)
    manifest_.segments.push_back(name);
  return StoreManifest(opts_.dir, manifest_);
}

std::string Persistence::StartBackgroundSave(bool aof_rewrite) {
  Wal* wal = this->wal();
  if (!opts_.enabled || !wal) return kDisabled;
  std::lock_guard g(save_mu_);
  if (child_pid_.load() > 0) return "Background save already in progress";
  if (reaper_.joinable()) reaper_.join();
  const int64_t now = NowMs();
  uint64_t lsn = 0;
  uint64_t rotation = 0;
  pid_t pid = -1;
  std::string tmp;
  const auto pause_start = std::chrono::steady_clock::now();
  {
    // Every shard locked: no write is half applied, and every applied write has its record
    // appended (appends happen under the shard locks), so the image is exactly the log up to
    // `lsn`.
    StoreFreeze freeze(store_);
    lsn = wal->last_lsn();
    rotation = wal->Rotate();
    tmp = opts_.dir + "/" + SnapshotName(lsn) + ".tmp";
    changes_at_save_start_ = changes_.load();
    // Copied here, in the parent: the child must not take a lock another thread may have held
    // at the fork. A library change holds its namespace's shards until it is logged (as a key
    // write does), so with every shard frozen this copy is the log up to `lsn` too.
    const std::vector<std::string> libraries = CaptureLibraries();
    pid = fork();
    if (pid == 0) {
      // The child: a private copy of memory, one thread. Only write the file and leave. It
      // drops its copy of the directory lock: a snapshot outliving a killed parent must not
      // keep a new server from starting, nor hold the ports.
      if (dir_lock_.fd() >= 0) close(dir_lock_.fd());
      for (int fd : child_close_fds_) close(fd);
      SnapshotInfo info;
      const std::string err = WriteSnapshot(freeze.spaces(), tmp, lsn, now, &info, libraries);
      if (!err.empty()) {
        const std::string line = "kv-server snapshot child: " + err + "\n";
        (void)!write(2, line.data(), line.size());
        _exit(1);
      }
      _exit(0);
    }
  }
  latest_fork_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - pause_start)
                       .count();
  if (pid < 0) {
    last_save_ok_ = false;
    return fmt::format("fork failed: {}", std::strerror(errno));
  }
  total_forks_.fetch_add(1, std::memory_order_relaxed);
  GlobalLatencyMonitor().Report("fork", static_cast<uint64_t>(latest_fork_us_.load()) * 1000,
                                NowMs() / 1000);
  // The commit retires the segments before the new one: it must exist by then.
  wal->WaitRotated(rotation);
  save_start_ms_ = now;
  rewrite_in_progress_ = aof_rewrite;
  child_pid_ = pid;
  reaper_ = std::thread([this, pid, lsn, tmp] { ReapChild(pid, lsn, tmp); });
  return "";
}

pid_t Persistence::ForkImage(int fd, const std::function<void()>& at_freeze, std::string* err) {
  const int64_t now = NowMs();
  pid_t pid = -1;
  {
    StoreFreeze freeze(store_);
    at_freeze();
    const std::vector<std::string> libraries = CaptureLibraries();
    pid = fork();
    if (pid == 0) {
      // As a background save's child: write the image and leave, holding no lock or port.
      if (dir_lock_.fd() >= 0) close(dir_lock_.fd());
      for (int lfd : child_close_fds_) close(lfd);
      SnapshotInfo info;
      const std::string path = fmt::format("/proc/self/fd/{}", fd);
      const std::string e = WriteSnapshot(freeze.spaces(), path, 0, now, &info, libraries);
      if (!e.empty()) {
        const std::string line = "kv-server replication snapshot child: " + e + "\n";
        (void)!write(2, line.data(), line.size());
        _exit(1);
      }
      _exit(0);
    }
  }
  if (pid < 0) {
    *err = fmt::format("fork failed: {}", std::strerror(errno));
    return -1;
  }
  total_forks_.fetch_add(1, std::memory_order_relaxed);
  return pid;
}

void Persistence::ReapChild(pid_t pid, uint64_t lsn, std::string tmp) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string err;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    err = Commit(tmp, lsn);
  } else {
    err = WIFSIGNALED(status) ? fmt::format("snapshot writer killed by signal {}", WTERMSIG(status))
                              : fmt::format("snapshot writer failed (exit status {})",
                                            WEXITSTATUS(status));
    unlink(tmp.c_str());
  }
  const int64_t now = NowMs();
  const bool ok = err.empty();
  if (ok) {
    changes_.fetch_sub(changes_at_save_start_.load());
    last_save_ms_ = now;
    saves_.fetch_add(1);
  }
  last_save_ok_ = ok;
  last_save_duration_ms_ = now - save_start_ms_.load();
  if (rewrite_in_progress_.exchange(false)) {
    last_rewrite_ok_ = ok;
    last_rewrite_duration_ms_ = last_save_duration_ms_.load();
    if (ok) rewrites_.fetch_add(1);
  }
  {
    std::lock_guard lk(done_mu_);
    last_save_error_ = err;
    ++saves_done_;
    child_pid_ = 0;
  }
  done_cv_.notify_all();
}

std::string Persistence::Commit(const std::string& tmp, uint64_t lsn) {
  const std::string name = SnapshotName(lsn);
  const std::string path = opts_.dir + "/" + name;
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = fmt::format("rename {}: {}", tmp, std::strerror(errno));
    unlink(tmp.c_str());
    return err;
  }
  if (std::string err = FsyncDir(opts_.dir); !err.empty()) return err;
  std::vector<std::string> retired;
  {
    std::lock_guard lk(manifest_mu_);
    Manifest next = manifest_;
    if (!next.snapshot.empty() && next.snapshot != name) retired.push_back(next.snapshot);
    next.snapshot = name;
    next.snapshot_lsn = lsn;
    // A segment whose every record is in the snapshot can go: its records end where the next
    // segment starts. The open segment (the last) stays while the log runs.
    std::vector<std::string> kept;
    const bool log_open = wal() != nullptr;
    for (size_t i = 0; i < next.segments.size(); ++i) {
      const bool last = i + 1 == next.segments.size();
      const uint64_t end = last ? (log_open ? UINT64_MAX : lsn)
                                : SegmentFirstLsn(next.segments[i + 1]) - 1;
      if (end <= lsn) {
        retired.push_back(next.segments[i]);
      } else {
        kept.push_back(next.segments[i]);
      }
    }
    next.segments = std::move(kept);
    if (std::string err = StoreManifest(opts_.dir, next); !err.empty()) return err;
    manifest_ = std::move(next);
  }
  for (const std::string& f : retired) unlink((opts_.dir + "/" + f).c_str());
  return "";
}

std::string Persistence::Save() {
  uint64_t before;
  {
    std::lock_guard lk(done_mu_);
    before = saves_done_;
  }
  if (std::string err = StartBackgroundSave(false); !err.empty()) return err;
  std::unique_lock lk(done_mu_);
  done_cv_.wait(lk, [&] { return saves_done_ > before; });
  return last_save_error_;
}

void Persistence::Cron(int64_t now_ms, int64_t snapshot_interval_s, int64_t snapshot_ops) {
  if (!opts_.enabled || !wal() || loading() || child_pid_.load() > 0) return;
  if (save_scheduled_.exchange(false)) {
    (void)StartBackgroundSave(false);
    return;
  }
  const uint64_t changes = changes_.load(std::memory_order_relaxed);
  if (changes == 0) return;
  const bool by_time =
      snapshot_interval_s > 0 && now_ms - last_save_ms_.load() >= snapshot_interval_s * 1000;
  const bool by_ops = snapshot_ops > 0 && changes >= static_cast<uint64_t>(snapshot_ops);
  // After a failed attempt wait a little before the next, as Redis does (5 s).
  const bool backoff = !last_save_ok_.load() && now_ms - save_start_ms_.load() < 5000;
  if ((by_time || by_ops) && !backoff) (void)StartBackgroundSave(false);
}

std::string Persistence::Shutdown(bool snapshot, const ReplicationMark* replication) {
  if (!opts_.enabled || !wal_) return "";
  {
    std::lock_guard g(save_mu_);
    if (reaper_.joinable()) reaper_.join();
  }
  const bool synced = wal_->Sync();
  const uint64_t lsn = wal_->last_lsn();
  wal_->Stop();
  std::string wal_err = synced ? "" : wal_->error();
  wal_ptr_.store(nullptr, std::memory_order_release);
  wal_.reset();
  if (!wal_err.empty()) return "the WAL could not be synced: " + wal_err;
  if (!snapshot) return "";
  {
    std::lock_guard lk(manifest_mu_);
    if (manifest_.snapshot_lsn == lsn && !manifest_.snapshot.empty() && !replication) return "";
  }
  const std::string tmp = opts_.dir + "/" + SnapshotName(lsn) + ".tmp";
  SnapshotInfo info;
  if (std::string err =
          WriteSnapshot(store_.All(), tmp, lsn, NowMs(), &info, CaptureLibraries(), replication);
      !err.empty()) {
    unlink(tmp.c_str());
    return err;
  }
  return Commit(tmp, lsn);
}

bool Persistence::SyncLog() {
  persist::Wal* wal = wal_ptr_.load(std::memory_order_acquire);
  return wal == nullptr || wal->Sync();
}

std::string Persistence::Info() const {
  std::string s;
  auto line = [&](std::string_view k, auto v) { s += fmt::format("{}:{}\r\n", k, v); };
  const bool loading = loading_.load();
  const int64_t now = NowMs();
  line("loading", loading ? 1 : 0);
  line("async_loading", 0);
  if (loading) {
    const uint64_t total = load_total_.load(), done = load_done_.load();
    line("loading_start_time", loading_start_ms_.load() / 1000);
    line("loading_total_bytes", total);
    line("loading_loaded_bytes", done);
    line("loading_loaded_perc", fmt::format("{:.2f}", total ? 100.0 * double(done) / double(total) : 0.0));
    line("loading_eta_seconds", 0);
  }
  const bool child = child_pid_.load() > 0;
  const bool rewriting = rewrite_in_progress_.load();
  const int64_t running_s = child ? (now - save_start_ms_.load()) / 1000 : -1;
  line("rdb_changes_since_last_save", changes_.load());
  line("rdb_bgsave_in_progress", child ? 1 : 0);
  line("rdb_last_save_time", last_save_ms_.load() / 1000);
  line("rdb_last_bgsave_status", last_save_ok_.load() ? "ok" : "err");
  const int64_t last_ms = last_save_duration_ms_.load();
  line("rdb_last_bgsave_time_sec", last_ms < 0 ? -1 : last_ms / 1000);
  line("rdb_current_bgsave_time_sec", running_s);
  line("rdb_saves", saves_.load());
  line("aof_enabled", opts_.enabled ? 1 : 0);
  line("aof_rewrite_in_progress", rewriting ? 1 : 0);
  line("aof_rewrite_scheduled", 0);
  const int64_t rw_ms = last_rewrite_duration_ms_.load();
  line("aof_last_rewrite_time_sec", rw_ms < 0 ? -1 : rw_ms / 1000);
  line("aof_current_rewrite_time_sec", rewriting ? running_s : -1);
  line("aof_last_bgrewrite_status", last_rewrite_ok_.load() ? "ok" : "err");
  line("aof_rewrites", rewrites_.load());
  const Wal* w = wal();
  line("aof_last_write_status", w && w->failed() ? "err" : "ok");
  if (!w) return s;
  const WalStats st = w->stats();
  line("wal_appendfsync", FsyncPolicyName(w->policy()));
  line("wal_last_lsn", st.last_lsn);
  line("wal_written_lsn", st.written_lsn);
  line("wal_durable_lsn", st.durable_lsn);
  line("wal_queued_records", st.queued_records);
  line("wal_queue_limit", opts_.queue_limit);
  line("wal_backpressure_waits", st.backpressure_waits);
  line("wal_records_written", st.records_written);
  line("wal_bytes_written", st.bytes_written);
  line("wal_fsyncs", st.fsyncs);
  line("wal_last_fsync_us", st.last_fsync_us);
  line("wal_segment", st.segment);
  {
    std::lock_guard lk(manifest_mu_);
    line("wal_segments", manifest_.segments.size());
    line("snapshot_file", manifest_.snapshot.empty() ? "-" : manifest_.snapshot);
    line("snapshot_lsn", manifest_.snapshot_lsn);
  }
  line("wal_last_error", w->failed() ? w->error() : "-");
  return s;
}

}  // namespace kv::persist
