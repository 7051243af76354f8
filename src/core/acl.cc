#include "core/acl.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "core/ascii.h"
#include "core/glob.h"
#include "core/secret.h"

namespace kv::acl {

const std::array<std::string_view, kCategoryCount> kCategoryNames = {
    "keyspace", "read",   "write",     "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",     "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",  "dangerous", "connection", "transaction", "scripting"};

namespace {
bool IsHashHex(std::string_view h) {
  return h.size() == 64 && std::all_of(h.begin(), h.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

constexpr std::string_view kUnknownCommand = "Unknown command or category name in ACL";
constexpr std::string_view kSyntax = "Syntax error";
}  // namespace

std::optional<uint32_t> CategoryByName(std::string_view name) {
  const std::string l = AsciiLower(name);
  for (size_t i = 0; i < kCategoryCount; ++i)
    if (kCategoryNames[i] == l) return 1u << i;
  return std::nullopt;
}

std::vector<std::string_view> CategoryNames(uint32_t bits) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < kCategoryCount; ++i)
    if (bits & (1u << i)) out.push_back(kCategoryNames[i]);
  return out;
}

std::string Sha256Hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string GenPass(int bits) {
  const size_t chars = (static_cast<size_t>(bits) + 3) / 4;
  std::vector<unsigned char> raw((chars + 1) / 2);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  out.resize(chars);
  return out;
}

// ------------------------------------------------------------------------------------------
// User
// ------------------------------------------------------------------------------------------

User::User(const User& o)
    : name_(o.name_), enabled_(o.enabled_), nopass_(o.nopass_), passwords_(o.passwords_),
      rules_(o.rules_), keys_(o.keys_), channels_(o.channels_), all_commands_(o.all_commands_),
      all_keys_(o.all_keys_), all_channels_(o.all_channels_) {}

void User::Recompute() {
  all_commands_ = !rules_.empty() && rules_[0].allow && rules_[0].category == ~0u &&
                  std::all_of(rules_.begin(), rules_.end(),
                              [](const CommandRule& r) { return r.allow; });
  all_keys_ = std::any_of(keys_.begin(), keys_.end(), [](const KeyPattern& k) {
    return k.pattern == "*" && k.read && k.write;
  });
  all_channels_ = std::find(channels_.begin(), channels_.end(), "*") != channels_.end();
}

std::string User::ApplyRule(std::string_view rule, const CommandLookup& lookup) {
  const std::string l = AsciiLower(rule);
  std::string err;
  if (l == "on") {
    enabled_ = true;
  } else if (l == "off") {
    enabled_ = false;
  } else if (l == "nopass") {
    nopass_ = true;
    passwords_.clear();
  } else if (l == "resetpass") {
    nopass_ = false;
    passwords_.clear();
  } else if (l == "allkeys") {
    keys_.assign(1, {"*", true, true});
  } else if (l == "resetkeys") {
    keys_.clear();
  } else if (l == "allchannels") {
    channels_.assign(1, "*");
  } else if (l == "resetchannels") {
    channels_.clear();
  } else if (l == "allcommands" || l == "+@all") {
    rules_.assign(1, {true, ~0u, "", ""});
  } else if (l == "nocommands" || l == "-@all") {
    rules_.clear();
  } else if (l == "reset") {
    nopass_ = false;
    passwords_.clear();
    keys_.clear();
    channels_.clear();
    rules_.clear();
    enabled_ = false;
  } else if (rule.starts_with('>') || rule.starts_with('<')) {
    const std::string h = Sha256Hex(rule.substr(1));
    auto it = std::find(passwords_.begin(), passwords_.end(), h);
    if (rule[0] == '>') {
      if (it == passwords_.end()) passwords_.push_back(h);
      nopass_ = false;
    } else {
      if (it == passwords_.end())
        return "The password you are trying to remove from the user does not exist";
      passwords_.erase(it);
    }
  } else if (rule.starts_with('#') || rule.starts_with('!')) {
    const std::string_view h = rule.substr(1);
    if (!IsHashHex(h))
      return "The password hash must be exactly 64 characters and contain only lowercase "
             "hexadecimal characters";
    auto it = std::find(passwords_.begin(), passwords_.end(), h);
    if (rule[0] == '#') {
      if (it == passwords_.end()) passwords_.emplace_back(h);
      nopass_ = false;
    } else {
      if (it == passwords_.end())
        return "The password you are trying to remove from the user does not exist";
      passwords_.erase(it);
    }
  } else if (rule.starts_with('~') || rule.starts_with('%')) {
    bool r = true, w = true;
    std::string_view pattern = rule.substr(1);
    if (rule[0] == '%') {
      const size_t tilde = rule.find('~');
      if (tilde == std::string_view::npos || tilde < 2) return std::string(kSyntax);
      r = w = false;
      for (char c : rule.substr(1, tilde - 1)) {
        if (c == 'R' || c == 'r') r = true;
        else if (c == 'W' || c == 'w') w = true;
        else return std::string(kSyntax);
      }
      pattern = rule.substr(tilde + 1);
    }
    if (all_keys_)
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
             "not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    if (pattern == "*" && r && w) {
      keys_.assign(1, {"*", true, true});
    } else {
      auto it = std::find_if(keys_.begin(), keys_.end(),
                             [&](const KeyPattern& k) { return k.pattern == pattern; });
      if (it != keys_.end()) {
        it->read |= r;
        it->write |= w;
      } else {
        keys_.push_back({std::string(pattern), r, w});
      }
    }
  } else if (rule.starts_with('&')) {
    if (all_channels_)
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
             "does not have any effect. Try 'resetchannels' to start with an empty list of "
             "channels";
    const std::string_view pattern = rule.substr(1);
    if (pattern == "*")
      channels_.assign(1, "*");
    else if (std::find(channels_.begin(), channels_.end(), pattern) == channels_.end())
      channels_.emplace_back(pattern);
  } else if (rule.starts_with('+') || rule.starts_with('-')) {
    const bool allow = rule[0] == '+';
    const std::string name = AsciiLower(rule.substr(1));
    if (name.starts_with('@')) {
      auto cat = CategoryByName(std::string_view(name).substr(1));
      if (!cat) return std::string(kUnknownCommand);
      rules_.push_back({allow, *cat, "", ""});
    } else {
      const size_t bar = name.find('|');
      const std::string cmd = name.substr(0, bar);
      const std::string sub = bar == std::string::npos ? "" : name.substr(bar + 1);
      if (!lookup || !lookup(cmd) || (bar != std::string::npos && sub.empty()))
        return std::string(kUnknownCommand);
      rules_.push_back({allow, 0, cmd, sub});
    }
  } else {
    return std::string(kSyntax);
  }
  Recompute();
  return "";
}

bool User::CheckPassword(std::string_view pass) const {
  if (!enabled_) return false;
  if (nopass_) return true;
  // Every stored hash is compared, so the time does not tell which one matched.
  const std::string h = Sha256Hex(pass);
  bool ok = false;
  for (const std::string& p : passwords_) ok |= ConstantTimeEquals(p, h);
  return ok;
}

bool User::CommandAllowed(const CommandRef& cmd) const {
  if (all_commands_) return true;
  bool allowed = false;
  for (const CommandRule& r : rules_) {
    const bool match = r.category == ~0u  ? true
                       : r.category != 0 ? (r.category & cmd.categories) != 0
                                       : r.command == cmd.name && (r.sub.empty() || r.sub == cmd.sub);
    if (match) allowed = r.allow;
  }
  return allowed;
}

bool User::KeyAllowed(std::string_view key, bool read, bool write) const {
  if (all_keys_) return true;
  // Read and write access may come from different patterns (%R~a* %W~a*).
  bool r = !read, w = !write;
  for (const KeyPattern& k : keys_) {
    if ((r || !k.read) && (w || !k.write)) continue;
    if (!GlobMatch(k.pattern, key)) continue;
    r |= k.read;
    w |= k.write;
    if (r && w) return true;
  }
  return r && w;
}

bool User::ReadsAllKeys() const {
  return all_keys_ || std::any_of(keys_.begin(), keys_.end(), [](const KeyPattern& k) {
           return k.pattern == "*" && k.read;
         });
}

bool User::ChannelPatternAllowed(std::string_view pattern) const {
  if (all_channels_) return true;
  return std::find(channels_.begin(), channels_.end(), pattern) != channels_.end();
}

bool User::ChannelAllowed(std::string_view channel) const {
  if (all_channels_) return true;
  return std::any_of(channels_.begin(), channels_.end(),
                     [&](const std::string& p) { return GlobMatch(p, channel); });
}

std::string User::CommandRules() const {
  std::string out;
  if (rules_.empty() || rules_[0].category != ~0u || !rules_[0].allow) out = "-@all";
  for (const CommandRule& r : rules_) {
    if (!out.empty()) out += ' ';
    out += r.allow ? '+' : '-';
    if (r.category == ~0u) {
      out += "@all";
    } else if (r.category != 0) {
      out += '@';
      out += CategoryNames(r.category)[0];
    } else {
      out += r.command;
      if (!r.sub.empty()) out += '|' + r.sub;
    }
  }
  return out;
}

std::string User::KeyRules() const {
  std::string out;
  for (const KeyPattern& k : keys_) {
    if (!out.empty()) out += ' ';
    out += k.read && k.write ? "~" : k.read ? "%R~" : "%W~";
    out += k.pattern;
  }
  return out;
}

std::string User::ChannelRules() const {
  std::string out;
  for (const std::string& c : channels_) out += (out.empty() ? "&" : " &") + c;
  return out;
}

std::vector<std::string> User::Flags() const {
  std::vector<std::string> out{enabled_ ? "on" : "off"};
  if (nopass_) out.emplace_back("nopass");
  return out;
}

std::string User::Describe() const {
  std::string out = enabled_ ? "on" : "off";
  if (nopass_) out += " nopass";
  for (const std::string& p : passwords_) out += " #" + p;
  if (const std::string k = KeyRules(); !k.empty()) out += ' ' + k;
  // Channels start from resetchannels unless the user has every channel (acl-pubsub-default).
  if (all_channels_) {
    out += " &*";
  } else {
    out += " resetchannels";
    if (const std::string c = ChannelRules(); !c.empty()) out += ' ' + c;
  }
  out += ' ' + CommandRules();
  return out;
}

// ------------------------------------------------------------------------------------------
// Registry
// ------------------------------------------------------------------------------------------

namespace {
std::shared_ptr<User> MakeDefaultUser() {
  auto u = std::make_shared<User>("default");
  for (std::string_view r : {"on", "nopass", "~*", "&*", "+@all"}) u->ApplyRule(r, nullptr);
  return u;
}
}  // namespace

Registry::Registry() { users_["default"] = MakeDefaultUser(); }

std::shared_ptr<const User> Registry::Get(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

void Registry::Publish(std::shared_ptr<User> u) {
  auto& slot = users_[u->name()];
  if (slot) slot->MarkStale();
  slot = std::move(u);
}

std::string Registry::SetUser(std::string_view name, const std::vector<std::string_view>& rules,
                              const CommandLookup& lookup) {
  std::shared_ptr<User> u;
  {
    std::lock_guard lock(mu_);
    auto it = users_.find(name);
    u = it == users_.end() ? std::make_shared<User>(std::string(name))
                           : std::make_shared<User>(*it->second);
  }
  // New users start from acl-pubsub-default (resetchannels) and -@all, off, no password.
  for (std::string_view r : rules) {
    std::string err = u->ApplyRule(r, lookup);
    if (!err.empty()) return fmt::format("ERR Error in ACL SETUSER modifier '{}': {}", r, err);
  }
  {
    std::lock_guard lock(mu_);
    Publish(std::move(u));
  }
  if (name == "default") NotifyDefault();
  return "";
}

size_t Registry::DelUsers(const std::vector<std::string_view>& names) {
  size_t n = 0;
  std::lock_guard lock(mu_);
  for (std::string_view name : names) {
    auto it = users_.find(name);
    if (it == users_.end() || name == "default") continue;
    it->second->MarkStale();
    users_.erase(it);
    ++n;
  }
  return n;
}

std::vector<std::shared_ptr<const User>> Registry::All() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const User>> out;
  for (const auto& [name, u] : users_) out.push_back(u);
  return out;
}

void Registry::ReplaceAll(std::vector<std::shared_ptr<User>> users) {
  {
    std::lock_guard lock(mu_);
    for (auto& [name, u] : users_) u->MarkStale();
    users_.clear();
    for (auto& u : users) users_[u->name()] = std::move(u);
    if (!users_.count("default")) users_["default"] = MakeDefaultUser();
  }
  NotifyDefault();
}

void Registry::OnDefaultChange(std::function<void(bool)> fn) {
  {
    std::lock_guard lock(mu_);
    on_default_ = std::move(fn);
  }
  NotifyDefault();
}

void Registry::NotifyDefault() {
  std::function<void(bool)> fn;
  std::shared_ptr<const User> d;
  {
    std::lock_guard lock(mu_);
    fn = on_default_;
    d = users_.at("default");
  }
  if (fn) fn(d->RequiresAuth());
}

void Registry::Log(LogEntry e, int64_t now_ms) {
  std::lock_guard lock(log_mu_);
  // As Redis: the same failure (reason, context, object, user) within 60 s only counts up.
  for (auto it = log_.begin(); it != log_.end(); ++it) {
    if (it->reason == e.reason && it->context == e.context && it->object == e.object &&
        it->username == e.username && now_ms - it->updated_ms < 60000) {
      LogEntry old = std::move(*it);
      log_.erase(it);
      old.count++;
      old.updated_ms = now_ms;
      old.client_info = std::move(e.client_info);
      log_.push_front(std::move(old));
      return;
    }
  }
  e.created_ms = e.updated_ms = now_ms;
  log_.push_front(std::move(e));
  while (log_.size() > log_max_) log_.pop_back();
}

std::vector<LogEntry> Registry::LogEntries(size_t count) const {
  std::lock_guard lock(log_mu_);
  return {log_.begin(), log_.begin() + static_cast<ptrdiff_t>(std::min(count, log_.size()))};
}

void Registry::ResetLog() {
  std::lock_guard lock(log_mu_);
  log_.clear();
}

void Registry::set_log_max_len(size_t n) {
  std::lock_guard lock(log_mu_);
  log_max_ = n;
  while (log_.size() > log_max_) log_.pop_back();
}

// ------------------------------------------------------------------------------------------
// ACL file
// ------------------------------------------------------------------------------------------

std::string ParseAclFile(std::string_view text, const CommandLookup& lookup,
                         std::vector<std::shared_ptr<User>>* out) {
  out->clear();
  size_t lineno = 0;
  while (!text.empty()) {
    ++lineno;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    std::vector<std::string_view> words;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      const size_t start = i;
      while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
      if (i > start) words.push_back(line.substr(start, i - start));
    }
    if (words.empty() || words[0].starts_with('#')) continue;
    if (words[0] != "user")
      return fmt::format("{}: line should start with user keyword", lineno);
    if (words.size() < 2) return fmt::format("{}: user name is missing", lineno);
    const std::string_view name = words[1];
    for (const auto& u : *out)
      if (u->name() == name) return fmt::format("{}: duplicate user '{}' found", lineno, name);
    auto u = std::make_shared<User>(std::string(name));
    for (size_t w = 2; w < words.size(); ++w) {
      std::string err = u->ApplyRule(words[w], lookup);
      if (!err.empty())
        return fmt::format("{}: Error in applying operation '{}': {}", lineno, words[w], err);
    }
    out->push_back(std::move(u));
  }
  return "";
}

std::string FormatAclFile(const std::vector<std::shared_ptr<const User>>& users) {
  std::string out;
  for (const auto& u : users) out += fmt::format("user {} {}\n", u->name(), u->Describe());
  return out;
}

std::string WriteFileAtomically(const std::string& path, std::string_view text) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fmt::format("cannot open {}: {}", tmp, strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string err = fmt::format("cannot write {}: {}", tmp, strerror(errno));
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return fmt::format("cannot sync {}: {}", tmp, strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = fmt::format("cannot rename {} to {}: {}", tmp, path, strerror(errno));
    ::unlink(tmp.c_str());
    return err;
  }
  // The rename itself is durable only once the directory is synced.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return "";
}

}  // namespace kv::acl
