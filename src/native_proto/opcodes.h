// Opcodes of the native protocol: the one list every other table is generated from.
//
// Each row: X(code, NAME, "command", Shape, "extra", Run, Reply)
//   code      the request's command byte (0x01-0x0D fixed by DESIGN.md section 5; 0x0E on are
//             this project's, specified in docs/native-protocol.md)
//   NAME      the Opcode enumerator (Opcode::kGET, ...)
//   command   the command-table entry the server runs, so native and RESP reach the same handler.
//             Batch opcodes (MSET, MDEL) run that entry once per item; CALL names it in its payload.
//   Shape     how the payload is laid out (PayloadShape below, read by ParsePayload in frame.h)
//   extra     arguments implied by the opcode ("NX" for SETNX), appended after the payload's
//   Run       how the command runs (RunMode below): once, once per item of a batch, or once with
//             its OK / nil reply turned into the Int 1 / 0 the opcode promises
//   Reply     what an OK response carries (ReplyShape below); NULL carries nothing, ERROR and
//             INVALID a UTF-8 message, whatever the opcode
//
// Adding an opcode: one row here, its layout in docs/native-protocol.md, a vector in
// test/vectors/native/vectors.txt. There is no per-protocol switch to update.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

// clang-format off
#define KV_NATIVE_OPCODES(X)                                                     \
  X(0x01, GET,    "get",     kKey,             "",   kOnce,       kValue)           \
  X(0x02, SET,    "set",     kKeyTtlValue,     "",   kOnce,       kEmpty)           \
  X(0x03, DEL,    "del",     kKey,             "",   kOnce,       kValue)           \
  X(0x04, EXISTS, "exists",  kKey,             "",   kOnce,       kValue)           \
  X(0x05, INCR,   "incr",    kKey,             "",   kOnce,       kValue)           \
  X(0x06, DECR,   "decr",    kKey,             "",   kOnce,       kValue)           \
  X(0x07, CAS,    "cas",     kKeyTtlTwoValues, "",   kOnce,       kValue)           \
  X(0x08, PING,   "ping",    kEmpty,           "",   kOnce,       kText)            \
  X(0x09, INFO,   "info",    kEmpty,           "",   kOnce,       kText)            \
  X(0x0A, SETNX,  "set",     kKeyTtlValue,     "NX", kStoredFlag, kValue)           \
  X(0x0B, LOCK,   "lock",    kKeyOwnerTtl,     "",   kOnce,       kValue)           \
  X(0x0C, UNLOCK, "unlock",  kKeyOwner,        "",   kOnce,       kValue)           \
  X(0x0D, EXTEND, "extend",  kKeyOwnerTtl,     "",   kOnce,       kValue)           \
  X(0x0E, MGET,   "mget",    kKeyList,         "",   kOnce,       kValue)           \
  X(0x0F, MSET,   "set",     kBatchSet,        "",   kPerItem,    kValue)           \
  X(0x10, MDEL,   "del",     kKeyList,         "",   kPerItem,    kValue)           \
  X(0x11, INCRBY, "incrby",  kKeyDelta,        "",   kOnce,       kValue)           \
  X(0x12, TTL,    "pttl",    kKey,             "",   kOnce,       kValue)           \
  X(0x13, EXPIRE, "pexpire", kKeyTtl,          "",   kOnce,       kValue)           \
  X(0x14, SELECT, "select",  kName,            "",   kOnce,       kEmpty)           \
  X(0x15, AUTH,   "auth",    kAuth,            "",   kOnce,       kEmpty)           \
  X(0x16, CALL,   "",        kCall,            "",   kOnce,       kValue)
// clang-format on

namespace kv::native {

// Payload layouts; every integer big-endian, key16 = [len u16] + key bytes.
enum class PayloadShape : uint8_t {
  kEmpty,            // nothing
  kKey,              // the whole payload is the key
  kKeyTtlValue,      // key16, ttl_ms u64 (0 = no expiry), value
  kKeyTtlTwoValues,  // key16, ttl_ms u64, expected value, new value
  kKeyOwnerTtl,      // key16, owner16, ttl_ms u64
  kKeyOwner,         // key16, owner16
  kKeyList,          // [count u32] + count x key16
  kBatchSet,         // mode u8 (0 all-or-nothing, 1 best-effort), [count u32] +
                     //   count x (key16, ttl_ms u64, value)
  kKeyDelta,         // key16, delta i64 (two's complement)
  kKeyTtl,           // key16, ttl_ms u64
  kName,             // the whole payload is a namespace name (UTF-8)
  kAuth,             // user16 (empty = the default user), password16
  kCall,             // [argc u16] + argc values; argument 0 is the command name
};

// How an opcode runs its command.
enum class RunMode : uint8_t {
  kOnce,        // one command: the payload's fields are its arguments
  kPerItem,     // one command per item (MSET, MDEL); the reply is a List of per-item results
  kStoredFlag,  // one command answering OK or nil (SET NX); the opcode replies Int 1 or 0
};

// What the payload of an OK response holds.
enum class ReplyShape : uint8_t {
  kEmpty,  // nothing (SET, SELECT, AUTH)
  kValue,  // one encoded Value filling the payload
  kText,   // raw bytes, not a Value: PING's `PONG`, INFO's UTF-8 text
};

enum class Opcode : uint8_t {
#define KV_NATIVE_OPCODE_ENUM(code, name, command, shape, extra, run, reply) k##name = code,
  KV_NATIVE_OPCODES(KV_NATIVE_OPCODE_ENUM)
#undef KV_NATIVE_OPCODE_ENUM
};

struct OpcodeInfo {
  Opcode op;
  std::string_view name;     // "GET"
  std::string_view command;  // "get"; empty for CALL
  PayloadShape shape;
  std::string_view extra;    // "NX" for SETNX
  RunMode run;
  ReplyShape reply;
};

inline constexpr OpcodeInfo kOpcodeTable[] = {
#define KV_NATIVE_OPCODE_ROW(code, name, command, shape, extra, run, reply) \
  {Opcode::k##name, #name, command, PayloadShape::shape, extra, RunMode::run, ReplyShape::reply},
    KV_NATIVE_OPCODES(KV_NATIVE_OPCODE_ROW)
#undef KV_NATIVE_OPCODE_ROW
};

inline constexpr uint8_t kFirstOpcode = 0x01;
inline constexpr uint8_t kLastOpcode = 0x16;
constexpr bool OpcodesAreContiguous() {
  for (size_t i = 0; i < std::size(kOpcodeTable); ++i) {
    if (static_cast<size_t>(kOpcodeTable[i].op) != kFirstOpcode + i) return false;
  }
  return std::size(kOpcodeTable) == kLastOpcode - kFirstOpcode + 1;
}
static_assert(OpcodesAreContiguous(), "FindOpcode indexes the table by code");

// The row for a command byte, or nullptr for an unknown one (answered INVALID).
constexpr const OpcodeInfo* FindOpcode(uint8_t code) {
  if (code < kFirstOpcode || code > kLastOpcode) return nullptr;
  return &kOpcodeTable[code - kFirstOpcode];
}

// MSET's mode byte.
enum class BatchMode : uint8_t { kAllOrNothing = 0, kBestEffort = 1 };

}  // namespace kv::native
