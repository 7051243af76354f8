// ACL model: users, their passwords (SHA-256), command / key / channel rules, and the registry
// every I/O thread reads. Redis 7's semantics and rule syntax (`on`, `>pass`, `#hash`, `~pat`,
// `%R~pat`, `+@cat`, `-cmd|sub`, ...), and its file format (`user NAME rules...`).
//
// The model knows nothing of sockets or of how commands are sent: a permission check is asked
// with a command's name, first argument and category bits, and a key with the access it needs.
//
// Thread contract: a User is immutable once published in the Registry. A change (SETUSER,
// DELUSER, LOAD) builds a new User, swaps it in under the registry's mutex and marks the old
// one stale; connections hold a shared_ptr to the User they authenticated as and, on their next
// command, notice `stale()` (one relaxed atomic load) and look the user up again. So the
// per-command check takes no lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kv::acl {

// Redis's ACL categories, in the order ACL CAT lists them.
enum Category : uint32_t {
  kKeyspace = 1u << 0,
  kRead = 1u << 1,
  kWrite = 1u << 2,
  kSet = 1u << 3,
  kSortedSet = 1u << 4,
  kList = 1u << 5,
  kHash = 1u << 6,
  kString = 1u << 7,
  kBitmap = 1u << 8,
  kHyperLogLog = 1u << 9,
  kGeo = 1u << 10,
  kStream = 1u << 11,
  kPubSub = 1u << 12,
  kAdmin = 1u << 13,
  kFast = 1u << 14,
  kSlow = 1u << 15,
  kBlocking = 1u << 16,
  kDangerous = 1u << 17,
  kConnection = 1u << 18,
  kTransaction = 1u << 19,
  kScripting = 1u << 20,
};
inline constexpr size_t kCategoryCount = 21;
extern const std::array<std::string_view, kCategoryCount> kCategoryNames;
// "string" -> kString (case-insensitive); nullopt when unknown.
std::optional<uint32_t> CategoryByName(std::string_view name);
// "@read @string @fast" style list of the bits set, in ACL CAT order.
std::vector<std::string_view> CategoryNames(uint32_t bits);

// Lower-case hex SHA-256 of `s` (OpenSSL).
std::string Sha256Hex(std::string_view s);
// A random password: `bits` bits as lower-case hex (ACL GENPASS), from RAND_bytes.
std::string GenPass(int bits);

// What a command-permission check knows about a command.
struct CommandRef {
  std::string_view name;  // lower case
  std::string_view sub;   // first argument, lower case; empty when there is none
  uint32_t categories = 0;
  // Names a command rule may use; the model asks so that `+nosuch` is refused.
  bool exists = true;
};
// Looks a command name (lower case) up for rule parsing; nullopt when there is no such command.
using CommandLookup = std::function<std::optional<uint32_t>(std::string_view name)>;

class User {
 public:
  explicit User(std::string name) : name_(std::move(name)) {}
  User(const User& o);

  // Applies one ACL SETUSER rule. Returns "" or Redis's reason (the part after "modifier 'x': ").
  std::string ApplyRule(std::string_view rule, const CommandLookup& lookup);

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  const std::vector<std::string>& passwords() const { return passwords_; }
  // Every command, key and channel: the dispatcher skips the checks.
  bool unrestricted() const { return all_commands_ && all_keys_ && all_channels_; }
  bool all_commands() const { return all_commands_; }
  // A connection must AUTH as this user: it is off or has no `nopass`.
  bool RequiresAuth() const { return !enabled_ || !nopass_; }
  // Constant-time per stored hash; false for a disabled user.
  bool CheckPassword(std::string_view pass) const;
  bool CommandAllowed(const CommandRef& cmd) const;
  // Whether `key` may be read (`read`) and / or written (`write`).
  bool KeyAllowed(std::string_view key, bool read, bool write) const;
  // A key pattern of exactly "*" with read access (~*, %R~*): every key may be read. SORT's BY
  // and GET need it (Redis's ACLSelectorHasUnrestrictedKeyAccess); a pattern that merely
  // matches the name "*" (~?, ~[*]) does not count.
  bool ReadsAllKeys() const;
  bool ChannelAllowed(std::string_view channel) const;
  // PSUBSCRIBE's pattern: allowed only if it is literally one of the user's channel patterns
  // (or the user has every channel), as in Redis, so a pattern cannot reach past the rules.
  bool ChannelPatternAllowed(std::string_view pattern) const;
  bool all_channels() const { return all_channels_; }

  // "on #<hash> ~* resetchannels &* +@all", as ACL LIST and the ACL file write it.
  std::string Describe() const;
  std::string CommandRules() const;  // ACL GETUSER's "commands"
  std::string KeyRules() const;      // ACL GETUSER's "keys"
  std::string ChannelRules() const;  // ACL GETUSER's "channels"
  std::vector<std::string> Flags() const;  // "on"/"off", "nopass", "allkeys"...

  // Set when a newer version of this user was published or it was deleted.
  bool stale() const { return stale_.load(std::memory_order_relaxed); }
  void MarkStale() const { stale_.store(true, std::memory_order_relaxed); }

 private:
  struct CommandRule {
    bool allow;
    uint32_t category;  // 0: a command rule
    std::string command, sub;
  };
  struct KeyPattern {
    std::string pattern;
    bool read, write;
  };
  void Recompute();

  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  std::vector<std::string> passwords_;  // SHA-256 hex, in the order added
  std::vector<CommandRule> rules_;      // applied in order; the last match wins
  std::vector<KeyPattern> keys_;
  std::vector<std::string> channels_;
  bool all_commands_ = false, all_keys_ = false, all_channels_ = false;
  mutable std::atomic<bool> stale_{false};
};

// One ACL LOG entry (failed AUTH, denied command, key or channel).
struct LogEntry {
  std::string reason;    // auth, command, key, channel
  std::string context;   // toplevel
  std::string object;    // the command name, key or "AUTH"
  std::string username;
  std::string client_info;
  int64_t created_ms = 0, updated_ms = 0;
  uint64_t count = 1;
};

class Registry {
 public:
  Registry();

  // The user, or nullptr. Takes the mutex: for AUTH and refreshes, not per command.
  std::shared_ptr<const User> Get(std::string_view name) const;
  std::shared_ptr<const User> Default() const { return Get("default"); }
  // Applies `rules` to (a copy of) user `name`, creating it; all or nothing. Returns "" or the
  // full error text ("ERR Error in ACL SETUSER modifier ...").
  std::string SetUser(std::string_view name, const std::vector<std::string_view>& rules,
                      const CommandLookup& lookup);
  // Removes users; returns how many existed. "default" must be filtered out by the caller.
  size_t DelUsers(const std::vector<std::string_view>& names);
  std::vector<std::shared_ptr<const User>> All() const;  // sorted by name
  // Replaces every user (ACL LOAD, aclfile at start). The set must contain "default" or it is
  // added as Redis's default (on nopass ~* &* +@all).
  void ReplaceAll(std::vector<std::shared_ptr<User>> users);
  // Called (outside the mutex) whenever the default user changes: whether it requires AUTH.
  void OnDefaultChange(std::function<void(bool requires_auth)> fn);

  // ACL LOG.
  void Log(LogEntry e, int64_t now_ms);
  std::vector<LogEntry> LogEntries(size_t count) const;  // newest first
  void ResetLog();
  void set_log_max_len(size_t n);

 private:
  void Publish(std::shared_ptr<User> u);  // under mu_
  void NotifyDefault();

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const User>, std::less<>> users_;
  std::function<void(bool)> on_default_;
  mutable std::mutex log_mu_;
  std::deque<LogEntry> log_;
  size_t log_max_ = 128;
};

// ACL file: one `user NAME rules...` per line, `#` comments and blank lines skipped. Returns the
// users, or an error that starts with the line number ("3: Error in applying operation ..."), for
// the caller to prefix with the file name as Redis does. Duplicated users are an error.
std::string ParseAclFile(std::string_view text, const CommandLookup& lookup,
                         std::vector<std::shared_ptr<User>>* out);
// The file's text for `users` (ACL SAVE).
std::string FormatAclFile(const std::vector<std::shared_ptr<const User>>& users);
// Writes `text` to `path` atomically: a temp file beside it, fsync, rename, fsync of the
// directory. Returns "" or an error.
std::string WriteFileAtomically(const std::string& path, std::string_view text);

}  // namespace kv::acl
