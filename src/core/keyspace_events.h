// Keyspace notifications (Redis's notify-keyspace-events): a command, an expiry or an eviction
// that changes a key announces it as an event, published on `__keyspace@<db>__:<key>` (message:
// the event name) and on `__keyevent@<db>__:<event>` (message: the key) when the configured
// classes include the event's class.
//
// The engine and the command families call Emit where Redis calls notifyKeyspaceEvent; the
// server installs the sink that publishes through Pub/Sub (core knows nothing of connections).
// Off by default: Emit is then one relaxed load.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kv::keyspace_events {

// Redis's NOTIFY_* bits and their letters in notify-keyspace-events.
enum Class : uint32_t {
  kKeyspace = 1u << 0,  // K: __keyspace@<db>__:<key> channels
  kKeyevent = 1u << 1,  // E: __keyevent@<db>__:<event> channels
  kGeneric = 1u << 2,   // g: DEL, EXPIRE, RENAME, ...
  kString = 1u << 3,    // $
  kList = 1u << 4,      // l
  kSet = 1u << 5,       // s
  kHash = 1u << 6,      // h
  kZset = 1u << 7,      // z
  kExpired = 1u << 8,   // x: a key removed by its TTL
  kEvicted = 1u << 9,   // e: a key removed by maxmemory
  kStream = 1u << 10,   // t
  kKeyMiss = 1u << 11,  // m: a read of a missing key
  kModule = 1u << 13,   // d: plugins' events
  kNew = 1u << 14,      // n: a key added to the keyspace
  // A: every class except m and n (Redis's NOTIFY_ALL).
  kAll = kGeneric | kString | kList | kSet | kHash | kZset | kExpired | kEvicted | kStream |
         kModule,
};

// The configured classes (notify-keyspace-events), process-wide like the config.
std::atomic<uint32_t>& Flags();

// notify-keyspace-events' text to bits; nullopt for a letter outside "Ag$lshzxeKEtmdn".
std::optional<uint32_t> Parse(std::string_view text);
// Bits to the text CONFIG GET shows (Redis's canonical order: classes, then K, E, m).
std::string Format(uint32_t flags);

// Publishes `message` on `channel`. Set once by the server before it serves; none in unit tests
// that do not install one.
using Sink = void (*)(std::string_view channel, std::string_view message);
void SetSink(Sink sink);

void EmitSlow(uint32_t flags, std::string_view event, std::string_view key, std::string_view db);

// Whether an event of class `type` is published at all.
inline bool Wanted(uint32_t type) {
  const uint32_t f = Flags().load(std::memory_order_relaxed);
  return (f & type) != 0 && (f & (kKeyspace | kKeyevent)) != 0;
}

// `event` happened to `key` of namespace `db`, in class `type`.
inline void Emit(uint32_t type, std::string_view event, std::string_view key,
                 std::string_view db) {
  if (Wanted(type)) EmitSlow(Flags().load(std::memory_order_relaxed), event, key, db);
}

}  // namespace kv::keyspace_events
