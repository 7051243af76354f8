// The replica's side of ServerReplication (server/replication.h): REPLICAOF, the link thread
// that connects and syncs, and the hand-over of the stream to an I/O loop.
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands/command.h"
#include "commands/server_state.h"
#include "commands/tracking.h"
#include "core/clock.h"
#include "persist/persistence.h"
#include "persist/repl_stream.h"
#include "resp/peer_io.h"
#include "server/connection.h"
#include "server/replication.h"

namespace kv {

namespace {

int Connect(const std::string& host, int port, int timeout_s, std::string* err) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0) {
    *err = fmt::format("cannot resolve {}: {}", host, gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (addrinfo* ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    // Bounds connect(); reads and writes wait in resp::PeerReader / SendAll with the same limit.
    timeval tv{timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      *err = fmt::format("cannot connect to {}:{}: {}", host, port, std::strerror(errno));
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  return fd;
}

std::string Command(std::initializer_list<std::string_view> args) {
  std::string out;
  persist::AppendRespCommand(args, &out);
  return out;
}

}  // namespace

const char* ServerReplication::LinkStateName(LinkState s) {
  switch (s) {
    case LinkState::kNone: return "none";
    case LinkState::kConnect: return "connect";
    case LinkState::kConnecting: return "connecting";
    case LinkState::kHandshake: return "handshake";
    case LinkState::kSync: return "sync";
    case LinkState::kConnected: return "connected";
  }
  return "none";
}

void ServerReplication::Start() {
  {
    std::lock_guard lk(link_mu_);
    if (stopping_) return;
    link_thread_ = std::thread([this] { LinkThread(); });
  }
  const std::string directive = state_.config.replicaof();
  if (directive.empty()) return;
  const size_t space = directive.find_last_of(' ');
  const std::optional<int64_t> port =
      space == std::string::npos ? std::nullopt : ParseInt64(directive.substr(space + 1));
  if (!port || *port < 0 || *port > 65535) {
    spdlog::error("replicaof: \"{}\" is not \"<host> <port>\"", directive);
    return;
  }
  ReplicaOf(directive.substr(0, space), static_cast<int>(*port));
}

void ServerReplication::Stop() {
  std::thread link_thread;
  {
    std::lock_guard lk(link_mu_);
    stopping_ = true;
    if (link_fd_ >= 0) shutdown(link_fd_, SHUT_RDWR);
    link_cv_.notify_all();
    link_thread = std::move(link_thread_);
  }
  if (link_thread.joinable()) link_thread.join();
  std::lock_guard lk(mu_);
  for (SyncChild& child : children_) {
    kill(child.pid, SIGKILL);
    waitpid(child.pid, nullptr, 0);
  }
  children_.clear();
}

std::string ServerReplication::ReplicaOf(const std::string& host, int port) {
  if (host.empty()) {
    {
      std::lock_guard lk(link_mu_);
      if (master_host_.empty()) return "OK";
      master_host_.clear();
      ++generation_;
      link_state_ = LinkState::kNone;
      CloseMasterConnection();
      if (link_fd_ >= 0) shutdown(link_fd_, SHUT_RDWR);
    }
    // A new history starts here; the one it continues can still be followed up to this
    // offset (replicas of the old primary may continue with this one).
    std::lock_guard lk(mu_);
    replid2_ = replid_;
    second_offset_ = static_cast<int64_t>(offset_) + 1;
    replid_ = RandomHex(40);
    EnsureBacklogLocked();
    stream_ns_.clear();
    // Client writes only from here: each is in the new history's stream.
    is_replica_.store(false, std::memory_order_relaxed);
    state_.config.SetReplicaOf("");
    spdlog::info("MASTER MODE enabled: replication ID {}, offset {}", replid_, offset_);
    return "OK";
  }
  {
    std::lock_guard lk(link_mu_);
    if (master_host_ == host && master_port_ == port) return "OK Already connected to specified master";
    master_host_ = host;
    master_port_ = port;
    is_replica_.store(true, std::memory_order_relaxed);
    // CONFIG REWRITE persists it, so a restarted replica follows the same primary.
    state_.config.SetReplicaOf(fmt::format("{} {}", host, port));
    ++generation_;
    link_state_ = LinkState::kConnect;
    link_down_since_ms_ = NowMs();
    CloseMasterConnection();
    if (link_fd_ >= 0) shutdown(link_fd_, SHUT_RDWR);
    link_cv_.notify_all();
  }
  // Replicas of this server must sync with the new history; the stream stops here.
  DropReplicas();
  {
    std::lock_guard lk(mu_);
    backlog_.reset();
    active_.store(false, std::memory_order_relaxed);
  }
  spdlog::info("REPLICAOF {}:{} enabled", host, port);
  return "OK";
}

void ServerReplication::CloseMasterConnection() {
  if (master_conn_id_ == 0) return;
  IoThread::PostToConnection(master_conn_loop_, master_conn_id_, [](Connection& c) { c.Close(); });
  master_conn_id_ = 0;
}

void ServerReplication::SendAckSoon() {
  uint64_t id;
  int loop;
  {
    std::lock_guard lk(link_mu_);
    id = master_conn_id_;
    loop = master_conn_loop_;
  }
  if (id == 0) return;
  IoThread::PostToConnection(loop, id, [this](Connection& c) {
    uint64_t offset;
    {
      std::lock_guard lk(mu_);
      offset = offset_;
    }
    c.SendRaw(Command({"REPLCONF", "ACK", std::to_string(offset)}));
  });
}

bool ServerReplication::Current(uint64_t generation) {
  std::lock_guard lk(link_mu_);
  return !stopping_ && generation == generation_;
}

void ServerReplication::LinkThread() {
  std::unique_lock lk(link_mu_);
  for (;;) {
    link_cv_.wait(lk, [&] { return stopping_ || link_state_ == LinkState::kConnect; });
    if (stopping_) return;
    const uint64_t generation = generation_;
    const std::string host = master_host_;
    const int port = master_port_;
    link_state_ = LinkState::kConnecting;
    lk.unlock();
    const std::string err = SyncOnce(generation, host, port);
    sync_in_progress_ = false;
    lk.lock();
    if (link_fd_ >= 0) {
      close(link_fd_);
      link_fd_ = -1;
    }
    if (err.empty() || generation != generation_) continue;
    spdlog::warn("replication with {}:{}: {}; retrying in a second", host, port, err);
    link_state_ = LinkState::kConnect;
    // A second between attempts, cut short by REPLICAOF or a stop.
    link_cv_.wait_for(lk, std::chrono::seconds(1),
                      [&] { return stopping_ || generation != generation_; });
  }
}

std::string ServerReplication::SyncOnce(uint64_t generation, const std::string& host, int port) {
  std::string err;
  const int timeout_s = static_cast<int>(state_.config.repl_timeout.load());
  const int fd = Connect(host, port, timeout_s, &err);
  if (fd < 0) return err;
  {
    std::lock_guard lk(link_mu_);
    link_fd_ = fd;
    if (stopping_ || generation != generation_) return "";
    link_state_ = LinkState::kHandshake;
  }
  const int timeout_ms = timeout_s * 1000;
  resp::PeerReader in(fd, timeout_ms);
  std::string line;
  auto ask = [&](const std::string& command) {
    return resp::SendAll(fd, command, timeout_ms) && in.Line(&line);
  };
  const std::string auth = state_.config.masterauth();
  if (!auth.empty()) {
    const std::string user = state_.config.masteruser();
    if (!ask(user.empty() ? Command({"AUTH", auth}) : Command({"AUTH", user, auth})))
      return "the primary closed the link during AUTH";
    if (!line.starts_with("+")) return "AUTH refused: " + line;
  }
  if (!ask(Command({"PING"}))) return "no answer to PING";
  if (line.starts_with("-NOAUTH") || line.starts_with("-NOPERM") || line.starts_with("-ERR"))
    return "PING refused: " + line;
  // Redis goes on when these are refused: so does the replica.
  if (!ask(Command({"REPLCONF", "listening-port", std::to_string(state_.config.port.load())})))
    return "no answer to REPLCONF listening-port";
  // No `capa eof`: the replica reads a sized snapshot only, not an EOF-marked diskless stream.
  if (!ask(Command({"REPLCONF", "capa", "psync2"})))
    return "no answer to REPLCONF capa";
  std::string replid;
  uint64_t offset;
  {
    std::lock_guard lk(mu_);
    replid = replid_;
    offset = offset_;
  }
  if (!resp::SendAll(fd, Command({"PSYNC", replid, std::to_string(offset + 1)}), timeout_ms))
    return "cannot send PSYNC";
  do {
    if (!in.Line(&line)) return "no answer to PSYNC";
  } while (line.empty());  // a primary may send newlines while it prepares the snapshot
  if (line.starts_with("+CONTINUE")) {
    const std::string id = line.size() > 10 ? line.substr(10) : "";
    {
      std::lock_guard lk(mu_);
      if (!id.empty() && id != replid_) {
        replid2_ = replid_;
        second_offset_ = static_cast<int64_t>(offset_) + 1;
        replid_ = id;
      }
    }
    spdlog::info("replication with {}:{}: continuing at offset {}", host, port, offset + 1);
    AdoptMasterConnection(generation, fd, in.TakeRest());
    return "";
  }
  if (!line.starts_with("+FULLRESYNC ")) return "PSYNC refused: " + line;
  const size_t space = line.find(' ', 12);
  const std::optional<int64_t> master_offset =
      space == std::string::npos ? std::nullopt : ParseInt64(line.substr(space + 1));
  if (!master_offset || *master_offset < 0) return "malformed answer to PSYNC: " + line;
  const std::string master_replid = line.substr(12, space - 12);
  {
    std::lock_guard lk(link_mu_);
    if (stopping_ || generation != generation_) return "";
    link_state_ = LinkState::kSync;
  }
  sync_total_bytes_ = -1;
  sync_read_bytes_ = 0;
  sync_last_io_ms_ = NowMs();
  sync_in_progress_ = true;
  do {
    if (!in.Line(&line)) return "the primary closed the link before the snapshot";
  } while (line.empty());
  const std::optional<int64_t> len = line.starts_with("$") ? ParseInt64(line.substr(1)) : std::nullopt;
  if (!len || *len <= 0) return "malformed snapshot header: " + line.substr(0, 64);
  sync_total_bytes_ = *len;
  sync_last_io_ms_ = NowMs();
  std::string image;
  const auto progress = [this](size_t read) {
    sync_read_bytes_.store(static_cast<int64_t>(read), std::memory_order_relaxed);
    sync_last_io_ms_.store(NowMs(), std::memory_order_relaxed);
  };
  if (!in.Bytes(static_cast<size_t>(*len), &image, progress))
    return "the link broke during the snapshot transfer (the data is unchanged)";
  if (!Current(generation)) return "";
  // Loading: clients get -LOADING until the new data is in, as from a Redis replica.
  persist::Persistence* persistence = state_.persistence;
  persistence->SetLoading(true);
  {
    // One flush for clients tracking keys, as DEBUG RELOAD announces its reload.
    tracking::Quiet quiet;
    err = persistence->ReplaceWith(image);
  }
  persistence->SetLoading(false);
  if (!err.empty()) return "cannot load the primary's snapshot: " + err;
  tracking::Flushed();
  tracking::DeliverPending();
  {
    std::lock_guard lk(mu_);
    replid_ = master_replid;
    replid2_.assign(40, '0');
    second_offset_ = -1;
    offset_ = static_cast<uint64_t>(*master_offset);
  }
  {
    std::lock_guard lk(link_mu_);
    master_ns_ = "0";
  }
  spdlog::info("replication with {}:{}: full sync done ({} bytes), offset {}", host, port,
               image.size(), *master_offset);
  // Done before the loop marks the link up, so INFO never shows both up and syncing.
  sync_in_progress_ = false;
  AdoptMasterConnection(generation, fd, in.TakeRest());
  return "";
}

void ServerReplication::AdoptMasterConnection(uint64_t generation, int fd, std::string leftover) {
  // The socket now belongs to the loop; the thread must not close it.
  const int owned = dup(fd);
  if (owned < 0) return;
  // Blocking I/O is over: the loop wants its sockets without the connect's send timeout.
  timeval none{0, 0};
  setsockopt(owned, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
  const bool posted = IoThread::Post(0, [this, generation, owned, leftover = std::move(leftover)] {
    std::string ns;
    {
      std::lock_guard lk(link_mu_);
      if (stopping_ || generation != generation_) {
        close(owned);
        return;
      }
      ns = master_ns_;
    }
    auto* conn = new Connection(IoThread::Current(), resp_session_);
    ClientState& c = conn->client();
    c.master = true;
    c.user = nullptr;  // the primary's writes are not the replica's ACL's to check
    c.authenticated = true;
    c.reply_off = true;
    c.ns_name = ns;
    c.ns = state_.store.Get(ns);
    {
      std::lock_guard lk(link_mu_);
      master_conn_id_ = c.id;
      master_conn_loop_ = c.io_thread;
      link_state_ = LinkState::kConnected;
      last_ack_ms_ = 0;
    }
    last_io_ms_ = NowMs();
    if (!conn->StartWithInput(owned, leftover)) conn->Close();
  });
  if (!posted) close(owned);
}

}  // namespace kv
