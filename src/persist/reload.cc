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

std::string Persistence::ReplaceWith(std::string_view image) {
  // The image may name namespaces this server has not made yet: they are made before the
  // freeze, which locks the namespaces that exist. Reading it once also verifies it whole.
  std::vector<std::string> names;
  SnapshotSink names_only;
  names_only.on_namespace = [&](std::string_view ns, uint64_t) { names.emplace_back(ns); };
  names_only.on_entry = [](std::string_view, const ScalarView&, int64_t) {};
  names_only.on_collection = [](std::string_view, uint8_t, std::string_view, int64_t) {};
  names_only.on_library = [](std::string_view) {};
  SnapshotInfo checked;
  size_t bad = SIZE_MAX;
  if (std::string err = ReadSnapshot(image, names_only, &checked, &bad); !err.empty())
    return "the primary's snapshot is damaged: " + err;
  for (const std::string& ns : names) store_.Get(ns);

  Wal* wal = this->wal();
  const bool on_disk = opts_.enabled && wal != nullptr;
  // A background save that ends after this one would commit an image of the old data over the
  // new one: wait for it first.
  std::unique_lock save_lock(save_mu_, std::defer_lock);
  for (;;) {
    {
      std::unique_lock lk(done_mu_);
      done_cv_.wait(lk, [&] { return child_pid_.load() == 0; });
    }
    save_lock.lock();
    if (child_pid_.load() == 0) break;
    save_lock.unlock();
  }
  if (reaper_.joinable()) reaper_.join();
  const int64_t now = NowMs();
  uint64_t lsn = 0;
  uint64_t rotation = 0;
  std::string tmp;
  {
    StoreFreeze freeze(store_);
    SnapshotInfo read;
    std::vector<std::string> libraries;
    std::string err = ReplaceWithSnapshotLocked(image, freeze.spaces(), &read, &libraries);
    if (err.empty()) err = ReplaceLibraries(libraries);
    if (!err.empty()) return err;
    if (!on_disk) return "";
    // Still frozen: the snapshot holds exactly the log up to `lsn`, and every record before it
    // (the old data) is retired by its commit.
    lsn = wal->last_lsn();
    rotation = wal->Rotate();
    tmp = opts_.dir + "/" + SnapshotName(lsn) + ".tmp";
    SnapshotInfo written;
    err = WriteSnapshot(freeze.spaces(), tmp, lsn, now, &written, CaptureLibraries());
    if (!err.empty()) {
      unlink(tmp.c_str());
      return err;
    }
  }
  wal->WaitRotated(rotation);
  const std::string err = Commit(tmp, lsn);
  last_save_ok_ = err.empty();
  if (err.empty()) {
    last_save_ms_ = NowMs();
    saves_.fetch_add(1);
  }
  return err;
}

}  // namespace kv::persist
