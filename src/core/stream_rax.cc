// XINFO STREAM's radix-tree-nodes: how many nodes Redis's rax (a compressed trie) holds for
// the stream's node keys, each the 16-byte big-endian (ms, seq) of a node's first ID. In that
// trie a node starts at the root, at every key, at every branching point and at each child
// of a branching point; a run of single-child prefixes in between is one compressed node.
#include <array>
#include <vector>

#include "core/stream.h"

namespace kv {

namespace {

using Key = std::array<unsigned char, 16>;

Key Encode(StreamID id) {
  Key k;
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<unsigned char>(id.ms >> (56 - 8 * i));
    k[8 + i] = static_cast<unsigned char>(id.seq >> (56 - 8 * i));
  }
  return k;
}

size_t Lcp(const Key& a, const Key& b) {
  size_t n = 0;
  while (n < a.size() && a[n] == b[n]) ++n;
  return n;
}

// Nodes of the subtree of keys[lo, hi), whose prefix of `depth` bytes starts a rax node.
size_t Nodes(const std::vector<Key>& keys, size_t lo, size_t hi, size_t depth) {
  if (hi - lo == 1) return depth == 16 ? 1 : 2;  // the key, after a compressed run if any
  const size_t branch = Lcp(keys[lo], keys[hi - 1]);
  size_t n = branch > depth ? 2 : 1;  // a compressed run down to the branching node
  for (size_t i = lo; i < hi;) {
    size_t j = i + 1;
    while (j < hi && keys[j][branch] == keys[i][branch]) ++j;
    n += Nodes(keys, i, j, branch + 1);
    i = j;
  }
  return n;
}

}  // namespace

size_t Stream::RaxNodeCount() const {
  if (nodes_.empty()) return 1;
  std::vector<Key> keys;
  keys.reserve(nodes_.size());
  for (const auto& [id, node] : nodes_) keys.push_back(Encode(id));
  return Nodes(keys, 0, keys.size(), 0);
}

}  // namespace kv
