#include "core/cluster_map.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "core/ascii.h"

namespace kv {

namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(sep, start), s.size());
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool ValidId(std::string_view id) {
  if (id.size() != 40) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool ParseNum(std::string_view s, int64_t lo, int64_t hi, int64_t* out) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

}  // namespace

std::string NewClusterNodeId() {
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 40; ++i) id += "0123456789abcdef"[rd() & 15];
  return id;
}

ClusterMap::ClusterMap() {
  for (int i = 0; i < kClusterSlots; ++i) {
    owner_[i].store(kNone, std::memory_order_relaxed);
    migrating_[i].store(kNone, std::memory_order_relaxed);
    importing_[i].store(kNone, std::memory_order_relaxed);
  }
}

int ClusterMap::FindNode(std::string_view id) const {
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].id == id) return static_cast<int>(i);
  return -1;
}

void ClusterMap::SetOwner(int slot, uint16_t node) {
  const uint16_t old = owner_[slot].exchange(node, std::memory_order_acq_rel);
  if (old == kNone && node != kNone) assigned_.fetch_add(1, std::memory_order_acq_rel);
  if (old != kNone && node == kNone) assigned_.fetch_sub(1, std::memory_order_acq_rel);
}

void ClusterMap::BumpMyEpoch() {
  uint64_t max = current_epoch_;
  for (const ClusterNode& n : nodes_) max = std::max(max, n.config_epoch);
  ClusterNode& me = nodes_[static_cast<size_t>(myself_)];
  if (me.config_epoch == 0 || me.config_epoch != max) me.config_epoch = ++current_epoch_;
}

// <id> <ip:port@cport[,hostname]> <flags> <master> <ping-sent> <pong-recv> <config-epoch>
// <link-state> <slot>...
std::string ClusterMap::ParseLine(std::string_view line, bool* is_myself,
                                  std::vector<std::string>* slots) {
  const std::vector<std::string_view> w = SplitWhitespace(line);
  if (w.size() < 8) return "a node line needs at least 8 fields";
  ClusterNode n;
  if (!ValidId(w[0])) return fmt::format("'{}' is not a node ID (40 hex digits)", w[0]);
  if (FindNode(w[0]) >= 0) return fmt::format("node {} is listed twice", w[0]);
  n.id = std::string(w[0]);
  std::string_view addr = w[1];
  if (const size_t comma = addr.find(','); comma != std::string_view::npos) {
    n.hostname = std::string(addr.substr(comma + 1));
    addr = addr.substr(0, comma);
  }
  std::string_view cport;
  if (const size_t at = addr.find('@'); at != std::string_view::npos) {
    cport = addr.substr(at + 1);
    addr = addr.substr(0, at);
  }
  const size_t colon = addr.rfind(':');
  int64_t port = 0, bus = 0;
  if (colon == std::string_view::npos || !ParseNum(addr.substr(colon + 1), 1, 65535, &port))
    return fmt::format("'{}' is not an address ip:port@cport", w[1]);
  if (cport.empty()) bus = port + 10000 > 65535 ? 0 : port + 10000;
  else if (!ParseNum(cport, 0, 65535, &bus)) return fmt::format("bad cluster bus port in '{}'", w[1]);
  n.ip = std::string(addr.substr(0, colon));
  n.port = static_cast<int>(port);
  n.cport = static_cast<int>(bus);
  *is_myself = false;
  bool master = false;
  for (std::string_view f : Split(w[2], ',')) {
    if (f == "myself") *is_myself = true;
    else if (f == "master") master = true;
    else if (f == "slave" || f == "replica")
      return "replicas are not supported in cluster mode yet (docs/scale-out.md)";
  }
  if (!master) return fmt::format("node {} is not flagged master", n.id);
  int64_t epoch = 0;
  if (!ParseNum(w[6], 0, INT64_MAX, &epoch)) return fmt::format("bad config epoch '{}'", w[6]);
  n.config_epoch = static_cast<uint64_t>(epoch);
  nodes_.push_back(std::move(n));
  slots->assign(w.begin() + 8, w.end());
  return "";
}

std::string ClusterMap::ApplySlots(uint16_t node, const std::vector<std::string>& tokens) {
  for (const std::string& t : tokens) {
    int64_t a = 0, b = 0;
    if (t.starts_with('[')) {
      // [slot->-id] migrating to id, [slot-<-id] importing from id.
      const size_t arrow = t.find("->-") != std::string::npos ? t.find("->-") : t.find("-<-");
      if (arrow == std::string::npos || !t.ends_with(']') ||
          !ParseNum(std::string_view(t).substr(1, arrow - 1), 0, kClusterSlots - 1, &a))
        return fmt::format("bad slot state '{}'", t);
      const std::string id = t.substr(arrow + 3, t.size() - arrow - 4);
      const int other = FindNode(id);
      if (other < 0) return fmt::format("'{}' names an unknown node", t);
      if (t[arrow + 1] == '>') SetMigrating(static_cast<int>(a), static_cast<uint16_t>(other));
      else SetImporting(static_cast<int>(a), static_cast<uint16_t>(other));
      continue;
    }
    const size_t dash = t.find('-');
    if (dash == std::string::npos) {
      if (!ParseNum(t, 0, kClusterSlots - 1, &a)) return fmt::format("bad slot '{}'", t);
      b = a;
    } else if (!ParseNum(std::string_view(t).substr(0, dash), 0, kClusterSlots - 1, &a) ||
               !ParseNum(std::string_view(t).substr(dash + 1), 0, kClusterSlots - 1, &b) ||
               a > b) {
      return fmt::format("bad slot range '{}'", t);
    }
    for (int64_t s = a; s <= b; ++s) {
      if (owner(static_cast<int>(s)) != kNone)
        return fmt::format("slot {} is assigned twice", s);
      SetOwner(static_cast<int>(s), node);
    }
  }
  return "";
}

std::string ClusterMap::Parse(std::string_view text, std::string_view my_ip, int my_port) {
  struct Pending {
    uint16_t node;
    std::vector<std::string> slots;
    size_t line;
  };
  std::vector<Pending> pending;
  size_t line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::vector<std::string_view> w = SplitWhitespace(line);
    if (w.empty() || w[0].starts_with('#')) continue;
    std::string err;
    if (w[0] == "vars") {
      for (size_t i = 1; i + 1 < w.size(); i += 2) {
        int64_t v = 0;
        if (!ParseNum(w[i + 1], 0, INT64_MAX, &v)) {
          err = fmt::format("bad value '{}'", w[i + 1]);
          break;
        }
        if (w[i] == "currentEpoch") current_epoch_ = static_cast<uint64_t>(v);
        else if (w[i] == "lastVoteEpoch") last_vote_epoch_ = static_cast<uint64_t>(v);
      }
    } else if (nodes_.size() >= kNone) {
      err = "too many nodes";
    } else {
      bool is_myself = false;
      std::vector<std::string> slots;
      err = ParseLine(line, &is_myself, &slots);
      if (err.empty()) {
        const uint16_t idx = static_cast<uint16_t>(nodes_.size() - 1);
        if (is_myself) {
          if (myself_ >= 0) err = "two lines are flagged myself";
          myself_ = idx;
        }
        pending.push_back({idx, std::move(slots), line_no});
      }
    }
    if (!err.empty()) return fmt::format("line {}: {}", line_no, err);
  }
  // Slots after every node, so a migrating/importing state may name a node listed later.
  for (const Pending& p : pending)
    if (std::string err = ApplySlots(p.node, p.slots); !err.empty())
      return fmt::format("line {}: {}", p.line, err);
  if (myself_ < 0) {
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].ip == my_ip && nodes_[i].port == my_port) {
        if (myself_ >= 0) return fmt::format("two nodes have the address {}:{}", my_ip, my_port);
        myself_ = static_cast<int>(i);
      }
  }
  if (myself_ < 0) {
    if (nodes_.size() >= kNone) return "too many nodes";
    ClusterNode me;
    me.id = NewClusterNodeId();
    me.ip = std::string(my_ip);
    me.port = my_port;
    me.cport = my_port + 10000 > 65535 ? 0 : my_port + 10000;
    nodes_.push_back(std::move(me));
    myself_ = static_cast<int>(nodes_.size() - 1);
  }
  // As Redis's clusterLoadConfig: a hand-edited file may leave currentEpoch behind.
  for (const ClusterNode& n : nodes_) current_epoch_ = std::max(current_epoch_, n.config_epoch);
  for (int s = 0; s < kClusterSlots; ++s) {
    const bool mine = owner(s) == myself_;
    // Only this node's own line may carry slot states (as Redis writes them).
    if ((migrating_to(s) != kNone && !mine) || (importing_from(s) != kNone && mine))
      return fmt::format("slot {} is migrating from a node that does not serve it, or importing "
                         "into the node that serves it", s);
  }
  return "";
}

std::string ClusterMap::Format(bool with_vars) const {
  std::string out;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const ClusterNode& n = nodes_[i];
    const bool me = static_cast<int>(i) == myself_;
    out += fmt::format("{} {}:{}@{}{}{} {} - 0 0 {} connected", n.id, n.ip, n.port, n.cport,
                       n.hostname.empty() ? "" : ",", n.hostname, me ? "myself,master" : "master",
                       n.config_epoch);
    const auto idx = static_cast<uint16_t>(i);
    for (int s = 0; s < kClusterSlots; ++s) {
      if (owner(s) != idx) continue;
      int e = s;
      while (e + 1 < kClusterSlots && owner(e + 1) == idx) ++e;
      out += e == s ? fmt::format(" {}", s) : fmt::format(" {}-{}", s, e);
      s = e;
    }
    if (me) {
      for (int s = 0; s < kClusterSlots; ++s) {
        if (migrating_to(s) != kNone)
          out += fmt::format(" [{}->-{}]", s, nodes_[migrating_to(s)].id);
        if (importing_from(s) != kNone)
          out += fmt::format(" [{}-<-{}]", s, nodes_[importing_from(s)].id);
      }
    }
    out += '\n';
  }
  if (with_vars)
    out += fmt::format("vars currentEpoch {} lastVoteEpoch {}\n", current_epoch_,
                       last_vote_epoch_);
  return out;
}

std::string ClusterMap::Load(const std::string& path, std::string_view my_ip, int my_port) {
  path_ = path;
  std::string text;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::ostringstream s;
    s << in.rdbuf();
    text = s.str();
  } else if (std::filesystem::exists(path)) {
    return fmt::format("cannot read {}", path);
  }
  if (std::string err = Parse(text, my_ip, my_port); !err.empty())
    return fmt::format("{}: {}", path, err);
  return Save();
}

std::string ClusterMap::Save() const {
  const std::string text = Format(true);
  const std::filesystem::path p(path_);
  std::error_code ec;
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("cannot write {}: {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      return fmt::format("cannot write {}: {}", tmp, std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path_.c_str()) != 0)
    return fmt::format("cannot replace {}: {}", path_, std::strerror(errno));
  return "";
}

}  // namespace kv
