#include "server/replication.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "commands/blocking.h"
#include "commands/command.h"
#include "commands/server_state.h"
#include "core/clock.h"
#include "core/reply_builder.h"
#include "persist/persistence.h"
#include "persist/repl_stream.h"
#include "server/connection.h"

namespace kv {

namespace {
constexpr int64_t kPingPeriodMs = 10000;  // Redis's repl-ping-replica-period default
constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";

std::string IpOf(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  return colon == std::string::npos ? addr : addr.substr(0, colon);
}
}  // namespace

ServerReplication::ServerReplication(ServerState& state, SessionFactory resp_session)
    : state_(state), resp_session_(resp_session), replid_(state.replication_id),
      replid2_(40, '0') {}

ServerReplication::~ServerReplication() { Stop(); }

void ServerReplication::EnsureBacklogLocked() {
  if (backlog_) return;
  backlog_ = std::make_unique<ReplBacklog>(
      static_cast<size_t>(state_.config.repl_backlog_size.load()), offset_);
  active_.store(true, std::memory_order_relaxed);
}

uint64_t ServerReplication::FeedRecord(std::string_view record_body) {
  thread_local std::string resp;
  std::lock_guard lk(mu_);
  if (!backlog_) return 0;
  resp.clear();
  persist::AppendRecordAsResp(record_body, &stream_ns_, &resp);
  AppendStreamLocked(resp);
  return offset_;
}

void ServerReplication::AppendStreamLocked(std::string_view bytes) {
  const size_t cap = static_cast<size_t>(state_.config.repl_backlog_size.load());
  if (cap != backlog_->capacity()) backlog_->Resize(cap);
  backlog_->Append(bytes);
  offset_ = backlog_->end_offset();
  const int64_t hard =
      state_.config.output_limit(Config::ClientClass::kReplica).hard->load();
  for (auto it = links_.begin(); it != links_.end();) {
    const std::shared_ptr<Link>& link = *it;
    link->pending.append(bytes);
    if (hard > 0 && static_cast<int64_t>(link->pending.size()) > hard) {
      // A replica that cannot keep up (or whose sync takes too long) starts over: its
      // connection goes, it connects again and syncs in full.
      spdlog::warn("replica {}:{} is over the replica output buffer limit: dropping it",
                   link->ip, link->port);
      IoThread::PostToConnection(link->loop, link->id, [](Connection& c) { c.Close(); });
      it = links_.erase(it);
      continue;
    }
    if (link->state == Link::State::kOnline) WakeLocked(link);
    ++it;
  }
}

void ServerReplication::WakeLocked(const std::shared_ptr<Link>& link) {
  if (link->wake_posted) return;
  link->wake_posted = true;
  IoThread::PostToConnection(link->loop, link->id, [this, link](Connection& c) {
    std::string bytes;
    {
      std::lock_guard lk(mu_);
      link->wake_posted = false;
      bytes.swap(link->pending);
    }
    c.SendRaw(bytes);
  });
}

bool ServerReplication::IsReplica() const {
  return is_replica_.load(std::memory_order_relaxed);
}

bool ServerReplication::ReadOnly() const {
  return state_.config.replica_read_only.load(std::memory_order_relaxed) && IsReplica();
}

void ServerReplication::Psync(CommandContext& ctx, std::string_view replid,
                              std::string_view offset_arg) {
  ClientState& client = *ctx.client;
  if (client.replica.load(std::memory_order_relaxed) || client.master) return;
  if (IsReplica()) {
    ctx.rb->SendError("ERR kv-server does not chain replicas: attach this replica to the primary");
    return;
  }
  persist::Persistence* persistence = state_.persistence;
  auto link = std::make_shared<Link>();
  link->id = client.id;
  link->loop = client.io_thread;
  link->ip = IpOf(client.addr);
  link->port = client.replica_listening_port;
  link->ack_ms = NowMs();
  const std::optional<int64_t> wanted = ParseInt64(offset_arg);
  {
    std::lock_guard lk(mu_);
    const bool history = !replid.empty() && (replid == replid_ ||
                          (replid == replid2_ && wanted && *wanted <= second_offset_));
    if (history && wanted && backlog_ && *wanted > 0 &&
        backlog_->Covers(static_cast<uint64_t>(*wanted))) {
      ctx.rb->SendSimple(fmt::format("CONTINUE {}", replid_));
      backlog_->CopyFrom(static_cast<uint64_t>(*wanted), &link->pending);
      link->state = Link::State::kOnline;
      links_.push_back(link);
      WakeLocked(link);
      client.replica.store(true, std::memory_order_relaxed);
      sync_partial_ok_.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("replica {}:{} continues at offset {} (partial resynchronization)", link->ip,
                   link->port, *wanted);
      return;
    }
  }
  if (!replid.empty() && replid != "?") sync_partial_err_.fetch_add(1, std::memory_order_relaxed);
  int memfd = memfd_create("kv-repl-sync", MFD_CLOEXEC);
  if (memfd < 0 || !persistence) {
    ctx.rb->SendError(fmt::format("ERR cannot start a full sync: {}", std::strerror(errno)));
    if (memfd >= 0) close(memfd);
    return;
  }
  auto fd = std::shared_ptr<int>(new int(memfd), [](int* p) {
    close(*p);
    delete p;
  });
  uint64_t at = 0;
  std::string err;
  const pid_t pid = persistence->ForkImage(
      memfd,
      [&] {
        std::lock_guard lk(mu_);
        EnsureBacklogLocked();
        stream_ns_.clear();  // the new replica starts in namespace 0: the next write SELECTs
        links_.push_back(link);
        at = offset_;
      },
      &err);
  if (pid < 0) {
    {
      std::lock_guard lk(mu_);
      std::erase(links_, link);
    }
    ctx.rb->SendError("ERR cannot start a full sync: " + err);
    return;
  }
  client.replica.store(true, std::memory_order_relaxed);
  sync_full_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lk(mu_);
    if (!replid.empty())  // SYNC's answer is the payload alone
      ctx.rb->SendSimple(fmt::format("FULLRESYNC {} {}", replid_, at));
    children_.push_back({pid, std::move(fd), link});
  }
  spdlog::info("replica {}:{} asked for a full sync: snapshot child {} at offset {}", link->ip,
               link->port, pid, at);
}

void ServerReplication::ReapChildren() {
  std::vector<SyncChild> done;
  {
    std::lock_guard lk(mu_);
    for (auto it = children_.begin(); it != children_.end();) {
      int status = 0;
      const pid_t r = waitpid(it->pid, &status, WNOHANG);
      if (r == 0) {
        ++it;
        continue;
      }
      const bool ok = r == it->pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!ok) it->fd.reset();
      done.push_back(std::move(*it));
      it = children_.erase(it);
    }
  }
  for (SyncChild& child : done) {
    std::shared_ptr<Link> link = child.link;
    if (!child.fd) {
      spdlog::warn("the snapshot for replica {}:{} failed: closing it", link->ip, link->port);
      IoThread::PostToConnection(link->loop, link->id, [](Connection& c) { c.Close(); });
      continue;
    }
    std::shared_ptr<int> fd = child.fd;
    IoThread::PostToConnection(link->loop, link->id, [this, link, fd](Connection& c) {
      SendImage(c, link, *fd);
    });
  }
}

void ServerReplication::SendImage(Connection& c, const std::shared_ptr<Link>& link, int fd) {
  struct stat st{};
  std::string image;
  if (fstat(fd, &st) == 0) {
    image.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < image.size()) {
      const ssize_t n = pread(fd, image.data() + got, image.size() - got, static_cast<off_t>(got));
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got != image.size()) image.clear();
  }
  if (image.empty()) {
    spdlog::warn("cannot read the snapshot for replica {}:{}: closing it", link->ip, link->port);
    c.Close();
    return;
  }
  c.SendRaw(fmt::format("${}\r\n", image.size()));
  c.SendRaw(image);
  std::string pending;
  {
    std::lock_guard lk(mu_);
    link->state = Link::State::kOnline;
    link->wake_posted = false;
    pending.swap(link->pending);
  }
  link->ack_ms = NowMs();
  c.SendRaw(pending);
  spdlog::info("replica {}:{}: snapshot sent ({} bytes), streaming", link->ip, link->port,
               image.size());
}

void ServerReplication::Ack(ClientState& replica, uint64_t offset) {
  std::vector<std::pair<uint64_t, int>> woken;
  {
    std::lock_guard lk(mu_);
    for (const std::shared_ptr<Link>& link : links_)
      if (link->id == replica.id) {
        // Only a WAIT whose write this acknowledgement reaches can count more replicas.
        if (offset > link->ack.load())
          std::erase_if(ack_waiters_, [&](const auto& entry) {
            if (entry.second.offset > offset) return false;
            woken.emplace_back(entry.first, entry.second.loop);
            return true;
          });
        link->ack = offset;
        link->ack_ms = NowMs();
      }
  }
  // Each WAIT counts again on its own loop (as Redis's processClientsWaitingReplicas).
  for (const auto& [client_id, loop] : woken) blocking::Wake(loop, client_id);
}

void ServerReplication::WakeOnAck(const ClientState& client) {
  std::lock_guard lk(mu_);
  ack_waiters_[client.id] = {client.io_thread, client.repl_write_offset};
}

int ServerReplication::AckedReplicas(uint64_t offset) {
  std::lock_guard lk(mu_);
  int n = 0;
  for (const std::shared_ptr<Link>& link : links_)
    if (link->state == Link::State::kOnline && link->ack.load() >= offset) ++n;
  return n;
}

void ServerReplication::RequestAcks(uint64_t offset) {
  static const std::string getack = [] {
    std::string bytes;
    persist::AppendRespCommand({"REPLCONF", "GETACK", "*"}, &bytes);
    return bytes;
  }();
  std::lock_guard lk(mu_);
  // A request after `offset` is already on its way; a replica that connected after it missed
  // it, but acknowledges every second anyway (Cron). (The history may have restarted below
  // the last request: a primary that followed another one meanwhile.)
  if (!backlog_ || links_.empty()) return;
  if (getack_covers_ >= offset && getack_covers_ <= offset_) return;
  getack_covers_ = offset_;
  AppendStreamLocked(getack);
}

void ServerReplication::DropReplicas() {
  std::lock_guard lk(mu_);
  for (const std::shared_ptr<Link>& link : links_)
    IoThread::PostToConnection(link->loop, link->id, [](Connection& c) { c.Close(); });
  links_.clear();
}

void ServerReplication::ClientClosed(ClientState& client) {
  if (client.block_on_acks) {
    std::lock_guard lk(mu_);
    ack_waiters_.erase(client.id);
  }
  if (client.replica.load(std::memory_order_relaxed)) {
    std::lock_guard lk(mu_);
    std::erase_if(links_, [&](const std::shared_ptr<Link>& l) { return l->id == client.id; });
    return;
  }
  std::lock_guard lk(link_mu_);
  if (client.id != master_conn_id_) return;
  master_conn_id_ = 0;
  master_ns_ = client.ns_name;
  link_down_since_ms_ = NowMs();
  if (!master_host_.empty()) {
    link_state_ = LinkState::kConnect;
    link_cv_.notify_all();
  }
  spdlog::info("the link to the primary closed");
}

void ServerReplication::MasterApplied(size_t bytes) {
  last_io_ms_.store(NowMs(), std::memory_order_relaxed);
  std::lock_guard lk(mu_);
  offset_ += bytes;
}

void ServerReplication::Cron(int64_t now_ms) {
  ReapChildren();
  {
    std::lock_guard lk(mu_);
    if (backlog_ && !links_.empty() && now_ms - last_ping_ms_ >= kPingPeriodMs) {
      last_ping_ms_ = now_ms;
      AppendStreamLocked(kPing);
    }
  }
  const int64_t timeout_ms = state_.config.repl_timeout.load() * 1000;
  {
    std::lock_guard lk(mu_);
    for (const std::shared_ptr<Link>& link : links_)
      if (link->state == Link::State::kOnline && now_ms - link->ack_ms.load() > timeout_ms) {
        spdlog::warn("replica {}:{} sent no ACK for repl-timeout: closing it", link->ip,
                     link->port);
        IoThread::PostToConnection(link->loop, link->id, [](Connection& c) { c.Close(); });
      }
  }
  {
    std::lock_guard lk(link_mu_);
    if (master_conn_id_ == 0) return;
    if (now_ms - last_io_ms_.load() > timeout_ms) {
      spdlog::warn("no data from the primary for repl-timeout: closing the link");
      CloseMasterConnection();
      return;
    }
    if (now_ms - last_ack_ms_ < 1000) return;
    last_ack_ms_ = now_ms;
  }
  SendAckSoon();
}

std::string ServerReplication::StatsLines() {
  return fmt::format("sync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\n",
                     sync_full_.load(), sync_partial_ok_.load(), sync_partial_err_.load());
}

void ServerReplication::Role(ReplyBuilder& rb) {
  std::string host;
  int port = 0;
  LinkState ls;
  {
    std::lock_guard lk(link_mu_);
    host = master_host_;
    port = master_port_;
    ls = link_state_;
  }
  std::lock_guard lk(mu_);
  if (!host.empty()) {
    rb.StartArray(5);
    rb.SendBulk("slave");
    rb.SendBulk(host);
    rb.SendLong(port);
    rb.SendBulk(LinkStateName(ls));
    rb.SendLong(ls == LinkState::kConnected ? static_cast<int64_t>(offset_) : -1);
    return;
  }
  rb.StartArray(3);
  rb.SendBulk("master");
  rb.SendLong(static_cast<int64_t>(offset_));
  uint32_t online = 0;
  for (const auto& link : links_) online += link->state == Link::State::kOnline;
  rb.StartArray(online);
  for (const auto& link : links_) {
    if (link->state != Link::State::kOnline) continue;
    rb.StartArray(3);
    rb.SendBulk(link->ip);
    rb.SendBulk(std::to_string(link->port));
    rb.SendBulk(std::to_string(link->ack.load()));
  }
}

std::string ServerReplication::Info() {
  std::string out;
  const int64_t now = NowMs();
  {
    std::lock_guard lk(link_mu_);
    if (!master_host_.empty()) {
      const bool up = link_state_ == LinkState::kConnected;
      const bool syncing = sync_in_progress_.load();
      fmt::format_to(std::back_inserter(out),
                     "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n"
                     "master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\n",
                     master_host_, master_port_, up ? "up" : "down",
                     up ? (now - last_io_ms_.load()) / 1000 : -1,
                     syncing ? 1 : 0);
      std::lock_guard lk2(mu_);
      fmt::format_to(std::back_inserter(out),
                     "slave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n", offset_, offset_);
      if (syncing) {
        // Redis 7's figures and arithmetic: before the size is known, total and left read -1
        // and the percentage -0.00, as redis-server prints them.
        const int64_t total = sync_total_bytes_.load(), read = sync_read_bytes_.load();
        const double perc =
            total != 0 ? static_cast<double>(read) / static_cast<double>(total) * 100 : 0.0;
        fmt::format_to(std::back_inserter(out),
                       "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\n"
                       "master_sync_left_bytes:{}\r\nmaster_sync_perc:{:.2f}\r\n"
                       "master_sync_last_io_seconds_ago:{}\r\n",
                       total, read, total - read, perc,
                       now / 1000 - sync_last_io_ms_.load() / 1000);
      }
      if (!up)
        fmt::format_to(std::back_inserter(out), "master_link_down_since_seconds:{}\r\n",
                       link_down_since_ms_ ? (now - link_down_since_ms_) / 1000 : -1);
      fmt::format_to(std::back_inserter(out),
                     "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:1\r\n",
                     state_.config.replica_priority.load(),
                     state_.config.replica_read_only.load() ? 1 : 0);
    } else {
      out += "role:master\r\n";
    }
  }
  std::lock_guard lk(mu_);
  fmt::format_to(std::back_inserter(out), "connected_slaves:{}\r\n", links_.size());
  for (size_t i = 0; i < links_.size(); ++i) {
    const Link& l = *links_[i];
    fmt::format_to(std::back_inserter(out), "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
                   i, l.ip, l.port, l.state == Link::State::kOnline ? "online" : "wait_bgsave",
                   l.ack.load(), (now - l.ack_ms.load()) / 1000);
  }
  fmt::format_to(std::back_inserter(out),
                 "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\n"
                 "master_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\n"
                 "repl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\n"
                 "repl_backlog_histlen:{}\r\n",
                 replid_, replid2_, offset_, second_offset_, backlog_ ? 1 : 0,
                 state_.config.repl_backlog_size.load(),
                 backlog_ ? backlog_->first_offset() : 0, backlog_ ? backlog_->histlen() : 0);
  return out;
}

ReplicationFigures ServerReplication::Figures() {
  ReplicationFigures f;
  const int64_t now = NowMs();
  {
    std::lock_guard lk(link_mu_);
    f.replica = !master_host_.empty();
    if (f.replica) {
      f.link_up = link_state_ == LinkState::kConnected;
      f.sync_in_progress = sync_in_progress_.load();
      if (f.sync_in_progress) {
        f.sync_total_bytes = sync_total_bytes_.load();
        f.sync_read_bytes = sync_read_bytes_.load();
        f.sync_last_io_ms_ago = now - sync_last_io_ms_.load();
      }
      if (f.link_up) f.last_io_ms_ago = now - last_io_ms_.load();
      else if (link_down_since_ms_) f.link_down_ms = now - link_down_since_ms_;
    }
  }
  f.sync_full = sync_full_.load();
  f.sync_partial_ok = sync_partial_ok_.load();
  f.sync_partial_err = sync_partial_err_.load();
  std::lock_guard lk(mu_);
  f.offset = offset_;
  if (backlog_) {
    f.backlog_size = static_cast<int64_t>(backlog_->capacity());
    f.backlog_histlen = static_cast<int64_t>(backlog_->histlen());
  }
  f.replicas.reserve(links_.size());
  for (const std::shared_ptr<Link>& l : links_)
    f.replicas.push_back({l->ip, l->port, l->state == Link::State::kOnline, l->ack.load(),
                          now - l->ack_ms.load()});
  return f;
}

std::optional<persist::ReplicationMark> ServerReplication::ShutdownMark() {
  std::string ns;
  {
    std::lock_guard lk(link_mu_);
    if (master_host_.empty()) return std::nullopt;
    // The master connection closed with the loops and left its namespace here.
    ns = master_ns_;
  }
  std::lock_guard lk(mu_);
  return persist::ReplicationMark{replid_, offset_, ns};
}

bool ServerReplication::RestoreMark(const persist::ReplicationMark& mark) {
  // A server that starts as a primary keeps its new history: continuing the old primary's ID
  // with its own writes would give two different streams one name.
  if (state_.config.replicaof().empty()) return false;
  {
    std::lock_guard lk(mu_);
    replid_ = mark.replid;
    offset_ = mark.offset;
  }
  std::lock_guard lk(link_mu_);
  master_ns_ = mark.ns;
  return true;
}

}  // namespace kv
