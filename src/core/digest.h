// DEBUG DIGEST and DIGEST-VALUE (as Redis has them): a deterministic digest of a namespace's
// data, which a primary and its replicas agree on when their data does.
//
// 20 bytes (SHA1), shown as 40 hex digits, all zeros for nothing. A namespace's digest is the
// XOR of one digest per live key (over its name, its TTL and its value's digest), so the order
// shards and tables visit keys in does not matter. A value's digest covers its type and
// contents: a scalar's type byte (a native client's Int is not the Bytes "7") and bytes; a
// list's and a sorted set's elements in order; a set's members and a hash's fields XORed
// member by member, as their order depends on the encoding and the table's history. Elements
// count by their text (an encoding may hold "7" as an Int or as Bytes).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace kv {

class Entry;

struct Digest {
  std::array<uint8_t, 20> bytes{};
  void Xor(const Digest& other) {
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] ^= other.bytes[i];
  }
  std::string Hex() const;
};

// The digest of `e`'s value (DEBUG DIGEST-VALUE).
Digest ValueDigest(const Entry& e);
// The digest of the live entry `e` as one key of a namespace: name, TTL and value.
Digest KeyDigest(const Entry& e);

}  // namespace kv
