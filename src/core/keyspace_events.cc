#include "core/keyspace_events.h"

namespace kv::keyspace_events {
namespace {

std::atomic<Sink> g_sink{nullptr};

constexpr struct {
  char letter;
  uint32_t bits;
} kLetters[] = {
    {'g', kGeneric}, {'$', kString}, {'l', kList},    {'s', kSet},    {'h', kHash},
    {'z', kZset},    {'x', kExpired}, {'e', kEvicted}, {'t', kStream}, {'d', kModule},
    {'n', kNew},     {'K', kKeyspace}, {'E', kKeyevent}, {'m', kKeyMiss}, {'A', kAll},
};

}  // namespace

std::atomic<uint32_t>& Flags() {
  static std::atomic<uint32_t> flags{0};
  return flags;
}

std::optional<uint32_t> Parse(std::string_view text) {
  uint32_t flags = 0;
  for (char c : text) {
    bool known = false;
    for (const auto& l : kLetters)
      if (l.letter == c) {
        flags |= l.bits;
        known = true;
      }
    if (!known) return std::nullopt;
  }
  return flags;
}

std::string Format(uint32_t flags) {
  std::string out;
  // As Redis 7.0: A hides n (which it does not include) though n stays set.
  if ((flags & kAll) == kAll) {
    out += 'A';
  } else {
    for (const auto& l : kLetters)
      if (l.bits != kAll && l.bits != kKeyspace && l.bits != kKeyevent && l.bits != kKeyMiss &&
          (flags & l.bits) != 0)
        out += l.letter;
  }
  if (flags & kKeyspace) out += 'K';
  if (flags & kKeyevent) out += 'E';
  if (flags & kKeyMiss) out += 'm';
  return out;
}

void SetSink(Sink sink) { g_sink.store(sink, std::memory_order_release); }

void EmitSlow(uint32_t flags, std::string_view event, std::string_view key, std::string_view db) {
  const Sink sink = g_sink.load(std::memory_order_acquire);
  if (sink == nullptr) return;
  std::string channel;
  if (flags & kKeyspace) {
    channel.reserve(16 + db.size() + key.size());
    channel.append("__keyspace@").append(db).append("__:").append(key);
    sink(channel, event);
  }
  if (flags & kKeyevent) {
    channel.clear();
    channel.append("__keyevent@").append(db).append("__:").append(event);
    sink(channel, key);
  }
}

}  // namespace kv::keyspace_events
