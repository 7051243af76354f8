// MIGRATE with Redis 7.0's arguments, replies and errors (cluster.c migrateCommand): sends the
// keys' DUMP payloads to another server as RESTORE (RESTORE-ASKING in cluster mode) and, unless
// COPY, deletes them here once the target acknowledged all of them, logging the deletions as DEL.
//
// The connection is opened for each call (Redis caches it for 10 s), and the command holds the
// shard locks of its keys while it waits for the target, as Redis blocks its one thread: other
// clients of those shards wait at most the timeout.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands/args.h"
#include "commands/cluster.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/server_state.h"
#include "core/shard.h"
#include "persist/repl_stream.h"
#include "resp/peer_io.h"

namespace kv {

namespace {

namespace ev = keyspace_events;

// A blocking exchange with the target, every step bounded by the timeout.
class Target {
 public:
  explicit Target(int64_t timeout_ms) : timeout_ms_(static_cast<int>(timeout_ms)) {}
  ~Target() {
    if (fd_ >= 0) ::close(fd_);
  }
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  bool Connect(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return false;
    bool ok = false;
    for (addrinfo* a = res; a && !ok; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ < 0) continue;
      if (::connect(fd_, a->ai_addr, a->ai_addrlen) == 0) {
        ok = true;
      } else if (errno == EINPROGRESS) {
        // As Redis's connBlockingConnect, a socket that turns writable counts as connected
        // (a refused connection then fails on the first write: "writing to target").
        ok = resp::WaitReady(fd_, POLLOUT, timeout_ms_);
      }
      if (!ok) {
        ::close(fd_);
        fd_ = -1;
      }
    }
    freeaddrinfo(res);
    if (ok) reader_.emplace(fd_, timeout_ms_);
    return ok;
  }

  bool Write(std::string_view data) { return resp::SendAll(fd_, data, timeout_ms_); }

  // One reply line without its CRLF (every reply MIGRATE reads is a status or an error).
  bool ReadLine(std::string* line) { return reader_->Line(line); }

 private:
  int fd_ = -1;
  int timeout_ms_;
  std::optional<resp::PeerReader> reader_;  // once connected
};

// Redis's migrateGetKeys: the key argument, or what follows KEYS when the key argument is ""
// (the key argument again when nothing does); none for KEYS after a key (the handler refuses it).
void MigrateKeys(std::span<const std::string_view> args, std::vector<size_t>* out) {
  out->clear();
  if (args.size() < 4) return;
  for (size_t i = 6; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "KEYS")) {
      if (!args[3].empty()) return;
      for (size_t k = i + 1; k < args.size(); ++k) out->push_back(k);
      break;
    }
  }
  if (out->empty()) out->push_back(3);
}

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
//   [AUTH2 username password] [KEYS key [key ...]]
void CmdMigrate(CommandContext& ctx) {
  const auto& args = ctx.args;
  bool copy = false, replace = false;
  std::string_view username, password;
  bool auth = false;
  size_t first_key = 3, num_keys = 1;
  for (size_t j = 6; j < args.size(); ++j) {
    const size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "COPY")) {
      copy = true;
    } else if (EqualsIgnoreCase(args[j], "REPLACE")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[j], "AUTH")) {
      if (more < 1) {
        ctx.rb->SendError(errors::kSyntax);
        return;
      }
      auth = true;
      password = args[++j];
    } else if (EqualsIgnoreCase(args[j], "AUTH2")) {
      if (more < 2) {
        ctx.rb->SendError(errors::kSyntax);
        return;
      }
      auth = true;
      username = args[++j];
      password = args[++j];
    } else if (EqualsIgnoreCase(args[j], "KEYS")) {
      if (!args[3].empty()) {
        ctx.rb->SendError("ERR When using MIGRATE KEYS option, the key argument must be set to "
                          "the empty string");
        return;
      }
      first_key = j + 1;
      num_keys = args.size() - j - 1;
      break;
    } else {
      ctx.rb->SendError(errors::kSyntax);
      return;
    }
  }
  int64_t timeout = 0, db = 0;
  if (!ParseIntOrReply(ctx, args[5], &timeout) || !ParseIntOrReply(ctx, args[4], &db)) return;
  if (timeout <= 0) timeout = 1000;

  // The dispatcher holds every key's shard lock.
  struct Found {
    std::string_view key;
    int64_t ttl;
    std::string payload;
  };
  std::vector<Found> found;
  for (size_t j = 0; j < num_keys; ++j) {
    const std::string_view key = args[first_key + j];
    const Entry* e = ctx.ShardFor(key).Peek(key, ctx.now_ms);
    if (!e) continue;
    int64_t ttl = 0;
    if (e->has_expire()) ttl = std::max<int64_t>(1, e->expire_at() - ctx.now_ms);
    found.push_back({key, ttl, DumpPayload(*e)});
  }
  if (found.empty()) {
    ctx.rb->SendSimple("NOKEY");
    return;
  }

  Target target(timeout);
  if (!target.Connect(std::string(args[1]), std::string(args[2]))) {
    ctx.rb->SendError("IOERR error or timeout connecting to the client");
    return;
  }
  std::string request;
  if (auth) {
    if (username.empty()) persist::AppendRespCommand({"AUTH", password}, &request);
    else persist::AppendRespCommand({"AUTH", username, password}, &request);
  }
  const std::string db_text = std::to_string(db);
  persist::AppendRespCommand({"SELECT", db_text}, &request);
  const std::string_view restore = ctx.server->cluster ? "RESTORE-ASKING" : "RESTORE";
  for (const Found& f : found) {
    const std::string ttl = std::to_string(f.ttl);
    if (replace) persist::AppendRespCommand({restore, f.key, ttl, f.payload, "REPLACE"}, &request);
    else persist::AppendRespCommand({restore, f.key, ttl, f.payload}, &request);
  }
  if (!target.Write(request)) {
    ctx.rb->SendError("IOERR error or timeout writing to target instance");
    return;
  }
  std::string auth_reply, select_reply, reply;
  if ((auth && !target.ReadLine(&auth_reply)) || !target.ReadLine(&select_reply)) {
    ctx.rb->SendError("IOERR error or timeout reading to target instance");
    return;
  }
  // Deletes here only once every key was acknowledged: a reply with an error is not logged,
  // so a partial deletion could not be replayed (Redis deletes the acknowledged ones).
  std::string first_error;
  for (size_t i = 0; i < found.size(); ++i) {
    if (!target.ReadLine(&reply)) {
      ctx.rb->SendError("IOERR error or timeout reading to target instance");
      return;
    }
    const std::string* err = auth_reply.starts_with('-')     ? &auth_reply
                             : select_reply.starts_with('-') ? &select_reply
                             : reply.starts_with('-')        ? &reply
                                                             : nullptr;
    if (err && first_error.empty()) first_error = err->substr(1);
  }
  if (!first_error.empty()) {
    ctx.rb->SendError(fmt::format("ERR Target instance replied with error: {}", first_error));
    return;
  }
  if (!copy) {
    ctx.log_as.assign(1, "del");
    for (const Found& f : found) {
      ctx.ShardFor(f.key).Erase(f.key, ctx.now_ms);
      ctx.Notify(ev::kGeneric, "del", f.key);
      ctx.log_as.emplace_back(f.key);
    }
  }
  ctx.rb->SendOk();
}

}  // namespace

void RegisterMigrate(CommandTable& t) {
  CommandSpec migrate = MakeSpec(
      "migrate", -6, kCmdWrite, KeyRange{3, 3, 1}, CmdMigrate, "generic", "2.6.0",
      "Atomically transfer a key from a Redis instance to another one.",
      "host port key|\"\" destination-db timeout [COPY] [REPLACE] [AUTH password] "
      "[AUTH2 username password] [KEYS key [key ...]]");
  // COMMAND INFO gives the key argument as the fixed range, as Redis; MigrateKeys finds the keys
  // of each call (the KEYS form's too).
  migrate.find_keys = MigrateKeys;
  migrate.acl_categories = acl::kKeyspace | acl::kDangerous;  // as Redis's, beyond the flags'

  t.Register(std::move(migrate));
}

}  // namespace kv
