// DEBUG RELOAD: Persistence::Reload, apart from the snapshot and log machinery it reuses.
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/keyspace.h"
#include "persist/files.h"
#include "persist/persistence.h"
#include "persist/snapshot.h"

namespace kv::persist {

namespace {

// Closes a memfd on every path out.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) close(fd);
  }
};
}  // namespace

std::string Persistence::Reload() {
  Wal* wal = this->wal();
  const bool on_disk = opts_.enabled && wal != nullptr;
  std::lock_guard g(save_mu_);
  if (child_pid_.load() > 0) return "Background save already in progress";
  if (reaper_.joinable()) reaper_.join();
  const int64_t now = NowMs();
  uint64_t lsn = 0;
  uint64_t rotation = 0;
  std::string path;
  FdCloser memfd;
  if (!on_disk) {
    // No directory to write to (--appendonly no): the image goes through an anonymous memory
    // file, so the data still makes the round trip through the snapshot format.
    memfd.fd = memfd_create("kv-debug-reload", MFD_CLOEXEC);
    if (memfd.fd < 0) return fmt::format("memfd_create: {}", std::strerror(errno));
    path = fmt::format("/proc/self/fd/{}", memfd.fd);
  }
  uint64_t changes_at_start = 0;
  {
    // Every shard stays locked from the image to the end of the load: no write falls between
    // them, and every write applied so far has its record in the log up to `lsn`.
    StoreFreeze freeze(store_);
    if (on_disk) {
      lsn = wal->last_lsn();
      rotation = wal->Rotate();
      path = opts_.dir + "/" + SnapshotName(lsn) + ".tmp";
      changes_at_start = changes_.load();
    }
    SnapshotInfo written;
    std::string err =
        WriteSnapshot(freeze.spaces(), path, lsn, now, &written, CaptureLibraries());
    MappedFile image;
    if (err.empty()) err = image.Open(path);
    if (err.empty()) {
      SnapshotInfo read;
      std::vector<std::string> libraries;
      err = ReplaceWithSnapshotLocked(image.data(), freeze.spaces(), &read, &libraries);
      // The libraries are the ones just written: their code loaded once already, so this
      // fails only if a library's code stopped loading (never, short of a bug).
      if (err.empty()) err = ReplaceLibraries(libraries);
      if (!err.empty()) err = path + ": " + err;
    }
    if (!err.empty()) {
      if (on_disk) unlink(path.c_str());
      return err;
    }
  }
  if (!on_disk) return "";
  // As a SAVE: the file becomes the manifest's snapshot and retires the segments it covers.
  wal->WaitRotated(rotation);
  const std::string err = Commit(path, lsn);
  const int64_t done = NowMs();
  last_save_ok_ = err.empty();
  last_save_duration_ms_ = done - now;
  if (err.empty()) {
    changes_.fetch_sub(changes_at_start);
    last_save_ms_ = done;
    saves_.fetch_add(1);
  }
  return err;
}

}  // namespace kv::persist
