// Snapshot images built by hand for the format tests: a header of the given version, the
// frames a test is about (each a payload), and a trailer for no keys, so a test can feed the
// reader frames the writer would never produce.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persist/format.h"
#include "persist/snapshot.h"

namespace kv::persist::test_image {

inline std::string Image(uint32_t version, const std::vector<std::string>& frames,
                         uint32_t spaces = 0) {
  std::string b(kSnapshotMagic);
  Encoder e(&b);
  size_t f = BeginFrame(&b);
  e.U8('H');
  e.U32(version);
  e.U64(3);
  e.I64(1000);
  EndFrame(&b, f);
  for (const std::string& payload : frames) {
    f = BeginFrame(&b);
    e.Bytes(payload);
    EndFrame(&b, f);
  }
  f = BeginFrame(&b);
  e.U8('T');
  e.U64(0);
  e.U32(spaces);
  EndFrame(&b, f);
  return b;
}

}  // namespace kv::persist::test_image
