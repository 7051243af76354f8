#include "commands/string_bytes.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "commands/server_state.h"

namespace kv {

std::string_view StringBytes(const Entry& e, char* buf) { return CanonicalString(e.value(), buf); }

uint64_t MaxStringLength(const CommandContext& ctx) {
  const int64_t limit = ctx.server->config.proto_max_bulk_len.load(std::memory_order_relaxed);
  const uint64_t cap = std::numeric_limits<uint32_t>::max();
  return limit < 0 ? 0 : std::min(static_cast<uint64_t>(limit), cap);
}

Entry* WritableBytes(Shard& shard, std::string_view key, Entry* e, uint64_t min_len,
                     int64_t now_ms) {
  if (e && e->type() == ScalarType::kBytes && e->value_len() >= min_len) return e;
  char buf[kScalarBufSize];
  // A number's text must outlive the resize; Bytes and String keep their bytes through it.
  std::string text;
  uint64_t old_len = 0;
  bool copy = false;
  if (e) {
    const std::string_view v = StringBytes(*e, buf);
    old_len = v.size();
    copy = !IsText(e->type());
    if (copy) text.assign(v);
  }
  const uint64_t new_len = std::max(old_len, min_len);
  Entry* fresh = shard.ResizeBytes(key, static_cast<uint32_t>(new_len), now_ms);
  char* out = fresh->mutable_value();
  if (copy) std::memcpy(out, text.data(), old_len);
  std::memset(out + old_len, 0, new_len - old_len);
  return fresh;
}

void StoreBytes(Shard& shard, std::string_view key, Entry* e, std::string_view bytes,
                int64_t now_ms) {
  if (!e) {
    shard.Set(key, ScalarView::Bytes(bytes), kNoExpire);
    return;
  }
  if (e->type() == ScalarType::kBytes && e->value_len() == bytes.size()) {
    if (std::memcmp(e->value_data(), bytes.data(), bytes.size()) == 0) return;
    std::memcpy(e->mutable_value(), bytes.data(), bytes.size());
    NoteWrite();
    return;
  }
  Entry* fresh = shard.ResizeBytes(key, static_cast<uint32_t>(bytes.size()), now_ms);
  std::memcpy(fresh->mutable_value(), bytes.data(), bytes.size());
}

}  // namespace kv
