#include "persist/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace kv::persist {

namespace {
long ReadPid(int fd) {
  char buf[32] = {};
  const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}
}  // namespace

DirLock::~DirLock() {
  if (fd_ >= 0) close(fd_);
}

std::string DirLock::Acquire(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fmt::format("cannot create data directory {}: {}", dir, ec.message());
  const std::string path = dir + "/" + kFileName;
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    const long pid = ReadPid(fd);
    close(fd);
    if (e == EWOULDBLOCK)
      return fmt::format(
          "data directory {} is in use by another kv-server (pid {}, lock {}): two servers on "
          "one directory would lose acknowledged writes",
          dir, pid > 0 ? std::to_string(pid) : std::string("unknown"), path);
    return fmt::format("cannot lock {}: {}", path, std::strerror(e));
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int e = errno;
    close(fd);
    return fmt::format("cannot write {}: {}", path, std::strerror(e));
  }
  fd_ = fd;
  return "";
}

long DirLock::HolderPid(const std::string& dir) {
  const std::string path = dir + "/" + kFileName;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  long pid = 0;
  if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) pid = std::max(ReadPid(fd), 1L);
  close(fd);
  return pid;
}

std::string ReadWholeFile(const std::string& path, std::string* out) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  out->clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      return fmt::format("cannot read {}: {}", path, std::strerror(e));
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return "";
}

std::string FsyncDir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot open directory {}: {}", dir, std::strerror(errno));
  const int rc = fsync(fd);
  const int e = errno;
  close(fd);
  if (rc != 0) return fmt::format("fsync {}: {}", dir, std::strerror(e));
  return "";
}

std::string WriteFileAtomically(const std::string& dir, const std::string& name,
                                const std::string& contents) {
  const std::string tmp = dir + "/" + name + ".tmp";
  const std::string path = dir + "/" + name;
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot create {}: {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      close(fd);
      unlink(tmp.c_str());
      return fmt::format("write {}: {}", tmp, std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    const int e = errno;
    close(fd);
    unlink(tmp.c_str());
    return fmt::format("fsync {}: {}", tmp, std::strerror(e));
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    return fmt::format("rename {} to {}: {}", tmp, path, std::strerror(e));
  }
  return FsyncDir(dir);
}

MappedFile::~MappedFile() {
  if (addr_) munmap(addr_, size_);
}

std::string MappedFile::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot open {}: {}", path, std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    return fmt::format("cannot stat {}: {}", path, std::strerror(e));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    addr_ = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr_ == MAP_FAILED) {
      addr_ = nullptr;
      const int e = errno;
      close(fd);
      return fmt::format("cannot map {}: {}", path, std::strerror(e));
    }
    madvise(addr_, size_, MADV_SEQUENTIAL);
  }
  close(fd);
  return "";
}

}  // namespace kv::persist
