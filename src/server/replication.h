// ServerReplication: both ends of replication (docs/replication.md), behind the commands' view
// of it (commands/replication.h).
//
// Primary side (replication.cc): the stream is fed by the write producers (dispatcher, atomic
// batches, eviction) under their shard locks; under one mutex it is appended to the backlog and
// to each replica's pending bytes, and the replica's loop is woken to send them (a post per
// batch, not per write). A full sync forks a snapshot into an anonymous memory file
// (persist::Persistence::ForkImage) at a frozen instant whose stream offset it records; the
// cron reaps the child and hands the image to the replica's loop, which sends it and then the
// bytes that queued meanwhile.
//
// Replica side (replica_link.cc): one thread owns the link to the primary until the stream
// starts: it connects, authenticates, runs the handshake with blocking I/O, receives and loads
// the image, then hands the socket to an I/O loop as a Connection of the master client, which
// applies the stream through the normal command path. When that connection closes, the thread
// connects again (PSYNC with the replication ID and offset reached).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <thread>
#include <vector>

#include "commands/replication.h"
#include "core/repl_backlog.h"
#include "persist/snapshot.h"
#include "server/io_thread.h"

namespace kv {

class Connection;
class ServerState;

class ServerReplication final : public Replication {
 public:
  ServerReplication(ServerState& state, SessionFactory resp_session);
  ~ServerReplication() override;

  // Once the data is loaded: follows the `replicaof` directive, if set.
  void Start();
  // Before the loops stop: ends the link thread and any sync child.
  void Stop();
  // The server cron (loop 0): reaps sync children, pings replicas and acks the primary once a
  // second, drops links silent for repl-timeout.
  void Cron(int64_t now_ms);

  // At a clean shutdown, once every loop has stopped (the stream applied and the data agree,
  // at a command boundary): a replica's history, offset and stream namespace for the final
  // snapshot; nullopt on a primary.
  std::optional<persist::ReplicationMark> ShutdownMark();
  // At start, before Start(), when the snapshot loaded had a mark and no WAL record followed
  // it: a server that starts as a replica (the `replicaof` directive) continues that history
  // (PSYNC replid offset+1) instead of syncing in full. Returns whether it used the mark.
  bool RestoreMark(const persist::ReplicationMark& mark);

  bool IsReplica() const override;
  bool ReadOnly() const override;
  void Psync(CommandContext& ctx, std::string_view replid, std::string_view offset) override;
  void Ack(ClientState& replica, uint64_t offset) override;
  void SendAckSoon() override;
  std::string ReplicaOf(const std::string& host, int port) override;
  void Role(ReplyBuilder& rb) override;
  std::string Info() override;
  int AckedReplicas(uint64_t offset) override;
  void RequestAcks(uint64_t offset) override;
  void WakeOnAck(const ClientState& client) override;
  void ClientClosed(ClientState& client) override;
  void MasterApplied(size_t bytes) override;
  std::string StatsLines() override;
  ReplicationFigures Figures() override;

 private:
  // A replica attached to this primary.
  struct Link {
    enum class State { kWaitBgsave, kOnline };
    uint64_t id = 0;
    int loop = 0;
    std::string ip;
    int port = 0;
    State state = State::kWaitBgsave;  // mu_
    std::string pending;               // mu_: stream bytes not yet handed to its loop
    bool wake_posted = false;          // mu_
    std::atomic<uint64_t> ack{0};
    std::atomic<int64_t> ack_ms{0};
  };
  struct SyncChild {
    pid_t pid;
    std::shared_ptr<int> fd;  // the image's memory file, closed with the last owner
    std::shared_ptr<Link> link;
  };
  // The replica's link state, Redis's names (ROLE, INFO).
  enum class LinkState { kNone, kConnect, kConnecting, kHandshake, kSync, kConnected };

  uint64_t FeedRecord(std::string_view record_body) override;
  // Appends stream bytes (mu_ held): backlog, offset, every replica's pending bytes.
  void AppendStreamLocked(std::string_view bytes);
  void WakeLocked(const std::shared_ptr<Link>& link);
  void EnsureBacklogLocked();
  // Closes every replica (this server starts following a primary: they must sync again).
  void DropReplicas();
  void ReapChildren();
  void SendImage(Connection& c, const std::shared_ptr<Link>& link, int fd);

  // Replica side (replica_link.cc).
  void LinkThread();
  // One connection to the primary, up to handing the stream to a loop. "" or why it failed.
  std::string SyncOnce(uint64_t generation, const std::string& host, int port);
  bool Current(uint64_t generation);
  void AdoptMasterConnection(uint64_t generation, int fd, std::string leftover);
  void CloseMasterConnection();  // link_mu_ held
  static const char* LinkStateName(LinkState s);

  ServerState& state_;
  SessionFactory resp_session_;

  // Primary side and the replication history (both roles).
  mutable std::mutex mu_;
  std::string replid_, replid2_;
  int64_t second_offset_ = -1;
  uint64_t offset_ = 0;  // master_repl_offset: bytes of the stream produced, or applied
  std::unique_ptr<ReplBacklog> backlog_;
  std::string stream_ns_;  // the namespace the stream last SELECTed ("" = none yet)
  std::vector<std::shared_ptr<Link>> links_;
  std::vector<SyncChild> children_;
  // Clients blocked in WAIT, by client ID: their loop and the offset they wait for. At most
  // one entry per client, so WAITs that time out with no acknowledgement coming cannot grow it.
  struct AckWaiter {
    int loop;
    uint64_t offset;
  };
  std::unordered_map<uint64_t, AckWaiter> ack_waiters_;
  // The stream offset just before the last GETACK: writes up to it are asked for.
  uint64_t getack_covers_ = 0;
  int64_t last_ping_ms_ = 0;
  std::atomic<uint64_t> sync_full_{0}, sync_partial_ok_{0}, sync_partial_err_{0};

  // Replica side.
  mutable std::mutex link_mu_;
  std::condition_variable link_cv_;
  std::string master_host_;  // empty: this server is a primary
  std::atomic<bool> is_replica_{false};  // !master_host_.empty(), read by every write
  int master_port_ = 0;
  uint64_t generation_ = 0;  // moves on with every REPLICAOF
  LinkState link_state_ = LinkState::kNone;
  uint64_t master_conn_id_ = 0;
  int master_conn_loop_ = 0;
  std::string master_ns_ = "0";  // the stream's namespace where the last link stopped
  int link_fd_ = -1;             // the socket the link thread blocks on (Stop shuts it down)
  bool stopping_ = false;
  int64_t link_down_since_ms_ = 0;
  int64_t last_ack_ms_ = 0;
  std::atomic<int64_t> last_io_ms_{0};
  std::atomic<bool> sync_in_progress_{false};
  // The snapshot transfer of a full sync, while sync_in_progress_ (INFO's master_sync_*):
  // its size (-1 until the primary's header names it), the bytes received, the last receipt.
  std::atomic<int64_t> sync_total_bytes_{-1};
  std::atomic<int64_t> sync_read_bytes_{0};
  std::atomic<int64_t> sync_last_io_ms_{0};
  std::thread link_thread_;
};

}  // namespace kv
