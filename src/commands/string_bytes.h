// Byte-level access to string values, for the commands that read and change a string's bytes
// in place (bitmaps, HyperLogLog, APPEND, SETRANGE).
//
// A string value may be stored as Bytes, a native String, or an Int/Float/Decimal; these
// commands see every one as its text, as Redis sees an int-encoded string, and a change makes
// it Bytes. Callers hold the key's shard lock (the dispatcher took it) and have checked
// IsString() first.
#pragma once

#include <cstdint>
#include <string_view>

#include "commands/command.h"
#include "core/shard.h"

namespace kv {

// The bytes of a string entry: its own bytes, or a number's canonical text written to `buf`
// (kScalarBufSize bytes). Valid until the entry changes.
std::string_view StringBytes(const Entry& e, char* buf);

// Largest string a command may build: proto-max-bulk-len, and at most what an entry holds.
uint64_t MaxStringLength(const CommandContext& ctx);

// Makes the value at `key` (entry `e`, or none) a Bytes value of at least `min_len` bytes,
// zero-padded, and returns the entry whose bytes the caller may then change in place (calling
// NoteWrite when it does). Growth, creation and a change of representation count as writes;
// an existing Bytes value long enough is returned as it is. The key keeps its TTL.
Entry* WritableBytes(Shard& shard, std::string_view key, Entry* e, uint64_t min_len,
                     int64_t now_ms);

// Stores `bytes` as the Bytes value at `key` (entry `e`, or none), keeping an existing key's
// TTL; nothing happens when the value already is exactly these bytes. `bytes` must not point
// into the entry (the caller works on a copy).
void StoreBytes(Shard& shard, std::string_view key, Entry* e, std::string_view bytes,
                int64_t now_ms);

}  // namespace kv
