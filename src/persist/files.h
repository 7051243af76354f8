// File helpers for the persistence layer: durable replace (temp, fsync, rename, directory
// fsync), whole-file reads and read-only mappings for the loaders and kv-check.
#pragma once

#include <string>
#include <string_view>

namespace kv::persist {

std::string FsyncDir(const std::string& dir);
// Replaces dir/name with `contents` so that a crash leaves either the old or the new file.
std::string WriteFileAtomically(const std::string& dir, const std::string& name,
                                const std::string& contents);
std::string ReadWholeFile(const std::string& path, std::string* out);

// Exclusive ownership of a data directory for the life of the process: an flock on DIR/kv.lock,
// which holds the owner's PID. Two servers on one directory would each log their own writes and
// delete each other's segments; the second one must not start. The lock goes with the process
// (a crash included), so the file is never deleted: removing it would let a third process lock
// a new file while the second still holds the old one.
class DirLock {
 public:
  static constexpr const char* kFileName = "kv.lock";
  DirLock() = default;
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  // Creates `dir` if needed and takes the lock. Returns "" or why not, naming the other PID.
  std::string Acquire(const std::string& dir);
  // For a forked child, which must not keep the lock alive after its parent is gone.
  int fd() const { return fd_; }
  // The PID written in dir's lock file when another process holds the lock, 0 when nobody
  // does (or there is no lock file). For tools that must not touch a live server's files.
  static long HolderPid(const std::string& dir);

 private:
  int fd_ = -1;
};

// A read-only mapping of a whole file (empty files map to an empty view).
class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  // Returns "" or an error naming the path.
  std::string Open(const std::string& path);
  std::string_view data() const { return {static_cast<const char*>(addr_), size_}; }

 private:
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace kv::persist
