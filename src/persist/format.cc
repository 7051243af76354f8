#include "persist/format.h"

#include <xxhash.h>

#include <algorithm>

namespace kv::persist {

size_t BeginFrame(std::string* out) {
  const size_t start = out->size();
  out->append(kFrameHeaderSize, '\0');
  return start;
}

bool EndFrame(std::string* out, size_t start) {
  const size_t len = out->size() - start - kFrameHeaderSize;
  if (len == 0 || len > kMaxFramePayload) {
    out->resize(start);
    return false;
  }
  const uint32_t len32 = static_cast<uint32_t>(len);
  const uint64_t sum = Checksum({out->data() + start + kFrameHeaderSize, len});
  std::memcpy(out->data() + start, &len32, 4);
  std::memcpy(out->data() + start + 4, &sum, 8);
  return true;
}

FrameView ReadFrame(std::string_view buf) {
  if (buf.size() < kFrameHeaderSize) return {FrameStatus::kTruncated, {}, 0};
  uint32_t len;
  uint64_t sum;
  std::memcpy(&len, buf.data(), 4);
  std::memcpy(&sum, buf.data() + 4, 8);
  if (len == 0 || len > kMaxFramePayload) return {FrameStatus::kBadLength, {}, 0};
  const size_t size = kFrameHeaderSize + len;
  if (buf.size() < size) return {FrameStatus::kTruncated, {}, size};
  std::string_view payload = buf.substr(kFrameHeaderSize, len);
  if (Checksum(payload) != sum) return {FrameStatus::kBadChecksum, {}, size};
  return {FrameStatus::kOk, payload, size};
}

const char* FrameStatusText(FrameStatus s) {
  switch (s) {
    case FrameStatus::kOk:
      return "ok";
    case FrameStatus::kTruncated:
      return "truncated record";
    case FrameStatus::kBadLength:
      return "invalid record length";
    case FrameStatus::kBadChecksum:
      return "checksum mismatch";
  }
  return "?";
}

uint64_t Checksum(std::string_view data) { return XXH3_64bits(data.data(), data.size()); }

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

}  // namespace kv::persist
