// A directory of its own under /tmp for one unit test, removed with everything in it when the
// test is done (persistence tests write WAL segments and snapshots there).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace kv::test {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/kvtestXXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace kv::test
