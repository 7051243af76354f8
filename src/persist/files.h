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
