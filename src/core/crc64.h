// CRC-64 with the Jones polynomial, reflected, init 0: the checksum Redis puts in DUMP payloads
// and RDB files (Redis's crc64.c), so payloads can be exchanged with redis-server.
#pragma once

#include <cstdint>
#include <string_view>

namespace kv {

// Continues `crc` over `data` (start with 0).
uint64_t Crc64(uint64_t crc, std::string_view data);

}  // namespace kv
