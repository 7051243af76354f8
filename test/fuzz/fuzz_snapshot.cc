// Snapshot reader: any image is either read whole or refused with a message and an offset
// inside the image; entries handed out have keys and values inside their namespace.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/scalar.h"
#include "fuzz_check.h"
#include "persist/snapshot.h"

using namespace kv::persist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
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
  return 0;
}
