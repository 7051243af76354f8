// Snapshot reader: any image is either read whole or refused with a message and an offset
// inside the image; entries handed out have keys and values inside their namespace.
//
// A mutated image almost always fails its frame checksums first, which would leave the frame
// decoders behind them unexplored; so each input is read twice: as it is, and with every frame's
// checksum re-sealed over its (mutated) payload, which reaches the header, namespace, entry and
// trailer decoders with arbitrary contents.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/scalar.h"
#include "fuzz_check.h"
#include "persist/format.h"
#include "persist/snapshot.h"

using namespace kv::persist;

namespace {

void ReadOne(std::string_view data) {
  bool in_namespace = false;
  uint64_t entries = 0;
  SnapshotSink sink;
  sink.on_namespace = [&](std::string_view, uint64_t) { in_namespace = true; };
  sink.on_entry = [&](std::string_view key, const kv::ScalarView& value, int64_t) {
    FUZZ_CHECK(in_namespace);
    char buf[kv::kScalarBufSize];
    (void)key.size();
    (void)kv::CanonicalString(value, buf);
    ++entries;
  };
  SnapshotInfo info;
  size_t bad = SIZE_MAX;
  const std::string err = ReadSnapshot(data, sink, &info, &bad);
  if (!err.empty()) FUZZ_CHECK(bad == SIZE_MAX || bad <= data.size());
}

// Recomputes the checksum of every whole frame after the 8-byte magic; stops at the first
// frame whose length does not fit.
std::string Resealed(std::string_view data) {
  std::string out(data);
  size_t pos = 8;
  while (pos + kFrameHeaderSize <= out.size()) {
    uint32_t len;
    std::memcpy(&len, out.data() + pos, 4);
    if (len == 0 || len > kMaxFramePayload || out.size() - pos - kFrameHeaderSize < len) break;
    const uint64_t sum = Checksum({out.data() + pos + kFrameHeaderSize, len});
    std::memcpy(out.data() + pos + 4, &sum, 8);
    pos += kFrameHeaderSize + len;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  ReadOne(data);
  ReadOne(Resealed(data));
  return 0;
}
