// XINFO STREAM's radix-tree-nodes against figures redis-server 7.0.15 reported for the same
// node keys.
#include <doctest/doctest.h>

#include <string_view>

#include "core/stream.h"

namespace kv {

TEST_CASE("Stream::RaxNodeCount counts the nodes of Redis's rax for the node keys") {
  Stream s;
  CHECK(s.RaxNodeCount() == 1);  // the empty root
  const std::string_view fv[] = {"f", "v"};
  s.Append({1, 1}, fv);
  CHECK(s.node_count() == 1);
  CHECK(s.RaxNodeCount() == 2);  // root, compressed down to the one key
  for (uint64_t ms = 2; ms <= 1000; ++ms) s.Append({ms, 0}, fv);
  // 10 nodes of 100 entries (keys 1-1, 101-0, 201-0 ... 901-0): Redis says 26.
  CHECK(s.node_count() == 10);
  CHECK(s.RaxNodeCount() == 26);
}

}  // namespace kv
