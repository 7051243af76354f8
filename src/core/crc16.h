// CRC-16/XMODEM (polynomial 0x1021, init 0) and Redis Cluster's key-to-slot mapping
// (Redis's crc16.c and cluster.c keyHashSlot), so a key lands in the slot every cluster-aware
// client computes for it. No Debian library provides this CRC, hence the 256-entry table.
#pragma once

#include <cstdint>
#include <string_view>

namespace kv {

inline constexpr int kClusterSlots = 16384;

uint16_t Crc16(std::string_view data);

// The hash slot of `key`: CRC16 of the key, or of its hash tag (the bytes between the first
// '{' and the first '}' after it, when they are not empty), modulo 16384.
int KeyHashSlot(std::string_view key);

}  // namespace kv
