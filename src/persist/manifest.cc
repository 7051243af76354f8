#include "persist/manifest.h"

#include "persist/files.h"

#include <unistd.h>

#include <sstream>

#include <fmt/format.h>

namespace kv::persist {

std::string Manifest::Serialize() const {
  std::string out = "kv-manifest 1\n";
  if (!snapshot.empty()) out += fmt::format("snapshot {} lsn {}\n", snapshot, snapshot_lsn);
  for (const std::string& s : segments) out += fmt::format("segment {}\n", s);
  return out;
}

namespace {
bool SafeName(const std::string& s) {
  return !s.empty() && s.find('/') == std::string::npos && s != "." && s != "..";
}
}  // namespace

std::string Manifest::Parse(const std::string& text, Manifest* out) {
  *out = Manifest{};
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string kind, name, lsn_word;
    words >> kind;
    if (n == 1) {
      std::string version;
      words >> version;
      if (kind != "kv-manifest" || version != "1")
        return fmt::format("line 1: not a kv-server manifest (version 1)");
      continue;
    }
    if (kind == "snapshot") {
      uint64_t lsn = 0;
      words >> name >> lsn_word >> lsn;
      if (!words || lsn_word != "lsn" || !SafeName(name))
        return fmt::format("line {}: expected 'snapshot <file> lsn <n>'", n);
      out->snapshot = name;
      out->snapshot_lsn = lsn;
    } else if (kind == "segment") {
      words >> name;
      if (!words || !SafeName(name)) return fmt::format("line {}: expected 'segment <file>'", n);
      out->segments.push_back(name);
    } else {
      return fmt::format("line {}: unknown entry '{}'", n, kind);
    }
  }
  if (n == 0) return "empty manifest";
  return "";
}

std::string LoadManifest(const std::string& dir, Manifest* out, bool* exists) {
  const std::string path = dir + "/" + kManifestName;
  *exists = access(path.c_str(), F_OK) == 0;
  if (!*exists) {
    *out = Manifest{};
    return "";
  }
  std::string text;
  if (std::string err = ReadWholeFile(path, &text); !err.empty()) return err;
  if (std::string err = Manifest::Parse(text, out); !err.empty()) return path + ": " + err;
  return "";
}

std::string StoreManifest(const std::string& dir, const Manifest& m) {
  return WriteFileAtomically(dir, kManifestName, m.Serialize());
}

}  // namespace kv::persist
