// The Redis Cluster slot map of this node: which node serves each of the 16384 hash slots, which
// slots this node is migrating to or importing from another node, and the nodes it knows.
//
// There is no cluster bus yet: the nodes and the first map come from the node's config file
// (Redis's nodes.conf format, docs/scale-out.md), and later changes (CLUSTER ADDSLOTS, SETSLOT...)
// are made on each node and written back to that file. The node table is fixed once loaded, so
// node indices stay valid; slot state is atomics read by the dispatcher on any thread, changed
// under the map's mutex (which also orders the file writes).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/crc16.h"

namespace kv {

struct ClusterNode {
  std::string id;        // 40 lower-case hex digits
  std::string ip;
  int port = 0;
  int cport = 0;         // the cluster bus port, kept for CLUSTER NODES (no bus listens on it)
  std::string hostname;  // optional, after ',' in the address field
  uint64_t config_epoch = 0;
};

class ClusterMap {
 public:
  static constexpr uint16_t kNone = 0xffff;

  ClusterMap();

  // Reads nodes.conf text. This node is the line flagged `myself`, or else the line whose
  // address is `my_ip`:`my_port`; with neither, a node with a new random ID is added for it.
  // Returns "" or "line N: what is wrong".
  std::string Parse(std::string_view text, std::string_view my_ip, int my_port);
  // The map in nodes.conf form (CLUSTER NODES is the same lines without the `vars` line).
  std::string Format(bool with_vars) const;
  // Loads `path` (a missing file is an empty map) and writes it back in canonical form, so the
  // node's ID is kept from the first start on. Returns "" or the error.
  std::string Load(const std::string& path, std::string_view my_ip, int my_port);
  // Writes the map to the file it was loaded from (temporary file, fsync, rename).
  std::string Save() const;

  const std::vector<ClusterNode>& nodes() const { return nodes_; }
  int myself() const { return myself_; }
  const ClusterNode& me() const { return nodes_[static_cast<size_t>(myself_)]; }
  int FindNode(std::string_view id) const;

  uint16_t owner(int slot) const { return owner_[slot].load(std::memory_order_acquire); }
  uint16_t migrating_to(int slot) const { return migrating_[slot].load(std::memory_order_acquire); }
  uint16_t importing_from(int slot) const {
    return importing_[slot].load(std::memory_order_acquire);
  }
  int slots_assigned() const { return assigned_.load(std::memory_order_acquire); }
  uint64_t current_epoch() const { return current_epoch_; }

  // Changes, made under mu() by the caller, who then calls Save().
  std::mutex& mu() const { return mu_; }
  void SetOwner(int slot, uint16_t node);
  void SetMigrating(int slot, uint16_t node) { migrating_[slot].store(node, std::memory_order_release); }
  void SetImporting(int slot, uint16_t node) { importing_[slot].store(node, std::memory_order_release); }
  // Takes a configuration epoch higher than any known (Redis's
  // clusterBumpConfigEpochWithoutConsensus, when SETSLOT NODE ends an import).
  void BumpMyEpoch();

 private:
  std::string ParseLine(std::string_view line, bool* is_myself, std::vector<std::string>* slots);
  std::string ApplySlots(uint16_t node, const std::vector<std::string>& tokens);

  mutable std::mutex mu_;
  std::string path_;
  std::vector<ClusterNode> nodes_;
  int myself_ = -1;
  uint64_t current_epoch_ = 0;
  uint64_t last_vote_epoch_ = 0;
  std::array<std::atomic<uint16_t>, kClusterSlots> owner_;
  std::array<std::atomic<uint16_t>, kClusterSlots> migrating_;
  std::array<std::atomic<uint16_t>, kClusterSlots> importing_;
  std::atomic<int> assigned_{0};
};

// A new node ID: 40 random hex digits.
std::string NewClusterNodeId();

}  // namespace kv
