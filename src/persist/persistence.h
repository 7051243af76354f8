// Persistence: the data directory as a whole. Owns the WAL, the manifest and the snapshots, and
// keeps the figures INFO persistence shows.
//
// Start-up: Recover() loads the newest snapshot and replays the WAL after it (through a callback:
// this layer knows commands only as logged arguments), then OpenLog() starts a fresh segment.
// Snapshots are taken by a forked child: the parent holds every shard lock for the instant of
// fork(), so the child's copy-on-write image is one point in time, and the WAL rotates there;
// once the child has written and fsynced the file, the parent renames it, rewrites the manifest
// and deletes the segments the snapshot covers. Writes keep flowing meanwhile. At shutdown the
// log is drained and a last snapshot is written in-process (the loops have stopped).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "persist/files.h"
#include "persist/manifest.h"
#include "persist/recovery.h"
#include "persist/wal.h"

namespace kv {
class Store;
}

namespace kv::persist {

struct PersistenceOptions {
  bool enabled = true;  // --appendonly: no = in-memory only, the directory is never touched
  std::string dir = "./data";
  FsyncPolicy policy = FsyncPolicy::kBatch;
  int64_t interval_ms = 100;
  size_t queue_limit = 10000;
};

// The server-wide state a snapshot carries beside the namespaces: the function libraries, as
// their code (this layer knows nothing of Lua). Without hooks snapshots carry no library.
struct LibraryHooks {
  // Every library's code, copied under the libraries' lock (called with every shard frozen).
  std::function<std::vector<std::string>()> capture;
  // Replaces every library with these (a snapshot's): "" or an error, nothing changed then.
  std::function<std::string(const std::vector<std::string>&)> replace;
};

class Persistence {
 public:
  Persistence(Store& store, PersistenceOptions opts);
  ~Persistence();

  // Takes the data directory for this process (DirLock); call before listening, so a second
  // server on the same directory stops before it serves anyone. "" when persistence is off.
  std::string LockDir();
  // `fd` (a listening socket) is closed first thing in every snapshot child, so a child that
  // outlives a killed parent holds no port. Call before any save starts.
  void CloseInSnapshotChild(int fd) { child_close_fds_.push_back(fd); }
  // Call before Recover.
  void SetLibraryHooks(LibraryHooks hooks) { libraries_ = std::move(hooks); }
  // Creates the directory if needed and recovers it. `apply` runs one logged record;
  // `progress_log` (optional) is called about once a second with bytes loaded and total.
  std::string Recover(const std::function<std::string(const WalRecord&)>& apply,
                      RecoveryReport* report,
                      std::function<void(uint64_t done, uint64_t total)> progress_log = nullptr);
  // Starts the WAL on a new segment after the recovered LSN. `on_durable` runs on the WAL
  // thread whenever more records are on disk (wakes loops waiting under appendfsync always).
  std::string OpenLog(std::function<void()> on_durable);
  // Null until OpenLog, and with --appendonly no. Any thread.
  Wal* wal() const { return wal_ptr_.load(std::memory_order_acquire); }

  bool loading() const { return loading_.load(std::memory_order_relaxed); }
  void SetLoading(bool v) { loading_.store(v, std::memory_order_relaxed); }

  // Snapshots. Background: returns "" once the child runs, or an error (one at a time).
  std::string StartBackgroundSave(bool aof_rewrite);
  // Foreground: takes a snapshot and waits for it. Returns "" or an error.
  std::string Save();
  bool save_in_progress() const { return child_pid_.load() > 0; }
  // DEBUG RELOAD: with every shard locked throughout, writes a snapshot (committed as SAVE's
  // is), empties every namespace and loads the image back, so the data is what a restart from
  // that snapshot gives. Every other client waits meanwhile, as Redis's does. With persistence
  // off the image goes through an anonymous memory file and the directory is not touched.
  // Returns "" or an error; on an error before the load the data is left as it was. In
  // reload.cc.
  std::string Reload();
  // Replication's full sync: forks a child that writes a snapshot image to `fd` (an anonymous
  // memory file the caller owns), with the same freeze as a background save; `at_freeze` runs
  // while every shard is locked (the image is the data exactly then). Independent of the
  // BGSAVE machinery (the two may run at once). Returns the child's pid, or -1 with an error
  // in *err. The caller reaps the child.
  pid_t ForkImage(int fd, const std::function<void()>& at_freeze, std::string* err);
  // A replica's full sync: with every shard locked, replaces the whole dataset (and the function
  // libraries) with the snapshot `image`, then, with the directory in use, writes and commits a
  // snapshot of the new data, so the old snapshot and the WAL before it are retired and a
  // restart recovers the new data. The image is verified in full first: on an error nothing
  // changed. In reload.cc.
  std::string ReplaceWith(std::string_view image);
  // INFO stats: the last snapshot's pause (every shard locked, then fork()) and the forks.
  int64_t latest_fork_usec() const { return latest_fork_us_.load(); }
  uint64_t total_forks() const { return total_forks_.load(); }
  // BGSAVE SCHEDULE while a snapshot runs: the cron starts one as soon as it is done, whatever
  // the periodic triggers say (as Redis's rdb_bgsave_scheduled).
  void ScheduleBackgroundSave() { save_scheduled_.store(true); }
  // Periodic triggers (snapshot_interval_s / snapshot_ops; 0 disables each).
  void Cron(int64_t now_ms, int64_t snapshot_interval_s, int64_t snapshot_ops);
  // Drains and closes the log, then writes a final snapshot (unless !snapshot), with the
  // replica's `replication` mark when given (the image is then written even if the last one
  // covers the log: that one has no mark). Returns "" or an error.
  std::string Shutdown(bool snapshot = true, const ReplicationMark* replication = nullptr);
  // Fsyncs what the log holds, leaving it open (for a process about to end at once). False on
  // a log error.
  bool SyncLog();

  void NoteChange() { changes_.fetch_add(1, std::memory_order_relaxed); }
  // The snapshot figures INFO persistence and the metrics endpoint report (any thread).
  struct SnapshotFigures {
    int64_t last_save_s = 0;
    bool last_ok = true;
    bool in_progress = false;
    int64_t last_duration_ms = -1;  // -1: none finished since the start
    uint64_t saves = 0;
    uint64_t changes_since_save = 0;
  };
  SnapshotFigures snapshot_figures() const {
    return {last_save_ms_.load() / 1000, last_save_ok_.load(), child_pid_.load() > 0,
            last_save_duration_ms_.load(), saves_.load(), changes_.load()};
  }
  bool enabled() const { return opts_.enabled; }
  int64_t last_save_s() const { return last_save_ms_.load() / 1000; }
  // INFO persistence, as "name:value\r\n" lines.
  std::string Info() const;
  // Figures for the loading progress (0-100).
  void SetProgress(uint64_t done, uint64_t total);

 private:
  // Adds a new segment to the manifest (WAL thread).
  std::string OnSegment(const std::string& name);
  // Renames the child's file into place and retires what it covers.
  std::string Commit(const std::string& tmp, uint64_t lsn);
  void ReapChild(pid_t pid, uint64_t lsn, std::string tmp);
  std::vector<std::string> CaptureLibraries() const {
    return libraries_.capture ? libraries_.capture() : std::vector<std::string>();
  }
  std::string ReplaceLibraries(const std::vector<std::string>& codes) const {
    return libraries_.replace ? libraries_.replace(codes) : "";
  }

  Store& store_;
  PersistenceOptions opts_;
  LibraryHooks libraries_;
  std::unique_ptr<Wal> wal_;
  std::atomic<Wal*> wal_ptr_{nullptr};
  mutable std::mutex manifest_mu_;
  Manifest manifest_;
  uint64_t recovered_lsn_ = 0;

  std::atomic<bool> loading_{false};
  std::atomic<uint64_t> load_done_{0}, load_total_{0};
  std::atomic<int64_t> loading_start_ms_{0};  // written by recovery, read by INFO meanwhile
  std::function<void(uint64_t, uint64_t)> progress_log_;
  int64_t last_progress_log_ms_ = 0;
  DirLock dir_lock_;
  std::vector<int> child_close_fds_;
  std::atomic<uint64_t> changes_{0};
  std::atomic<bool> save_scheduled_{false};
  std::atomic<uint64_t> changes_at_save_start_{0};
  std::atomic<int64_t> last_save_ms_{0};
  std::atomic<int64_t> save_start_ms_{0};
  std::atomic<int64_t> last_save_duration_ms_{-1};
  std::atomic<bool> last_save_ok_{true};
  std::atomic<bool> last_rewrite_ok_{true};
  std::atomic<bool> rewrite_in_progress_{false};
  std::atomic<int64_t> last_rewrite_duration_ms_{-1};
  std::atomic<uint64_t> saves_{0}, rewrites_{0};
  std::atomic<pid_t> child_pid_{0};
  std::atomic<int64_t> latest_fork_us_{0};  // the pause: every shard locked, then fork()
  std::atomic<uint64_t> total_forks_{0};
  std::mutex save_mu_;  // one snapshot at a time
  std::thread reaper_;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  uint64_t saves_done_ = 0;
  std::string last_save_error_;
};

}  // namespace kv::persist
