// Config file parser: any file either loads or is refused with "file:line: message", and a file
// that loads yields directives whose values load again unchanged (CONFIG GET's text is a valid
// config line).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/config.h"
#include "fuzz_check.h"

namespace {

std::string TempPath() {
  static const std::string path = "/tmp/kv-fuzz-config-" + std::to_string(getpid()) + ".conf";
  return path;
}

bool WriteFile(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  const std::string path = TempPath();
  if (!WriteFile(path, text)) return 0;
  kv::Config config;
  const std::string err = config.LoadFile(path);
  if (!err.empty()) {
    FUZZ_CHECK(err.rfind(path + ":", 0) == 0);
    return 0;
  }
  for (const auto& d : config.directives()) {
    const std::string value = d.get();
    // Lists: GET joins the lines it was given.
    if (d.name == "loadmodule" || d.name == "user") continue;
    kv::Config other;
    FUZZ_CHECK(other.Set(d.name, value, true).empty());
    FUZZ_CHECK(other.Find(d.name)->get() == value);
  }
  return 0;
}
