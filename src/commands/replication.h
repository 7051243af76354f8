// Replication as command handlers see it (docs/replication.md). The server layer implements it
// (it owns the sockets, the replica's link thread and the replicas' connections); handlers and
// the dispatcher reach it through ServerState::replication, null in unit tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

class ReplyBuilder;
struct ClientState;
struct CommandContext;

inline constexpr std::string_view kReadOnlyReplica =
    "READONLY You can't write against a read only replica.";

// The replication state at one instant, as figures (GET /metrics, INFO memory): what INFO
// replication prints as text.
struct ReplicationFigures {
  bool replica = false;  // this server follows a primary
  // master_repl_offset: the stream produced (primary) or applied (replica).
  uint64_t offset = 0;
  int64_t backlog_size = 0;      // bytes the backlog's ring holds allocated (0: no backlog)
  int64_t backlog_histlen = 0;   // stream bytes in it
  uint64_t sync_full = 0, sync_partial_ok = 0, sync_partial_err = 0;
  // Replica side.
  bool link_up = false;               // master_link_status:up
  bool sync_in_progress = false;      // receiving or loading the primary's snapshot
  int64_t last_io_ms_ago = -1;        // since the last byte from the primary (link up)
  int64_t link_down_ms = -1;          // since the link went down (link down, -1: never up)
  // While sync_in_progress: the snapshot's size (-1 until the primary announced it), the bytes
  // of it received, and the time since the last of them arrived.
  int64_t sync_total_bytes = -1;
  int64_t sync_read_bytes = 0;
  int64_t sync_last_io_ms_ago = 0;
  // Primary side: each attached replica.
  struct Replica {
    std::string ip;
    int port = 0;
    bool online = false;     // streaming (false: waiting for its snapshot)
    uint64_t ack_offset = 0; // its last REPLCONF ACK
    int64_t ack_age_ms = 0;  // since that ack (INFO's lag, in ms)
  };
  std::vector<Replica> replicas;
};

class Replication {
 public:
  virtual ~Replication() = default;

  // A write's record (a WAL record body), from its producer while it still holds the write's
  // shard locks (so the stream orders conflicting writes as the WAL does). Appends it to the
  // stream when a backlog exists (a replica attached once) and returns the stream offset after
  // it; 0 (nothing done, one relaxed load) otherwise.
  uint64_t Feed(std::string_view record_body) {
    return active_.load(std::memory_order_relaxed) ? FeedRecord(record_body) : 0;
  }
  bool active() const { return active_.load(std::memory_order_relaxed); }

  // This server follows a primary (REPLICAOF host port).
  virtual bool IsReplica() const = 0;
  // ... and refuses client writes (replica-read-only yes).
  virtual bool ReadOnly() const = 0;

  // PSYNC replid offset (SYNC: `replid` empty): the connection becomes a replica link.
  virtual void Psync(CommandContext& ctx, std::string_view replid, std::string_view offset) = 0;
  // REPLCONF ACK from a replica, GETACK from the primary.
  virtual void Ack(ClientState& replica, uint64_t offset) = 0;
  virtual void SendAckSoon() = 0;
  // REPLICAOF host port (empty host: NO ONE). Returns the reply ("OK" or
  // "OK Already connected to specified master").
  virtual std::string ReplicaOf(const std::string& host, int port) = 0;
  virtual void Role(ReplyBuilder& rb) = 0;
  // INFO replication, as "name:value\r\n" lines after the section header.
  virtual std::string Info() = 0;
  // Replicas online whose acknowledged offset is at least `offset` (WAIT).
  virtual int AckedReplicas(uint64_t offset) = 0;
  // Asks every replica to acknowledge the stream up to `offset` (REPLCONF GETACK * in the
  // stream), unless a request already in the stream after `offset` covers it: WAITs of many
  // clients between two answers share one request, as Redis sends one per event-loop turn.
  virtual void RequestAcks(uint64_t offset) = 0;
  // Runs the client's blocked WAIT again at the next acknowledgement that reaches its last
  // write (once; it asks again if that was not enough).
  virtual void WakeOnAck(const ClientState& client) = 0;
  // The connection of a replica or of the primary's link closed (its own thread).
  virtual void ClientClosed(ClientState& client) = 0;
  // The link to the primary applied `bytes` more of the stream (its own thread).
  virtual void MasterApplied(size_t bytes) = 0;
  // INFO stats' sync_full, sync_partial_ok and sync_partial_err lines.
  virtual std::string StatsLines() = 0;
  virtual ReplicationFigures Figures() = 0;

 protected:
  virtual uint64_t FeedRecord(std::string_view record_body) = 0;
  std::atomic<bool> active_{false};
};

}  // namespace kv
