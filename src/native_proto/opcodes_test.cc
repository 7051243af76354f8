// Opcode table: every code from 0x01 to 0x16 maps to one row and one command-table name.
#include "native_proto/opcodes.h"

#include <doctest/doctest.h>

namespace kv::native {
namespace {

TEST_CASE("Opcodes: DESIGN 5 codes map to their command-table names") {
  struct Row {
    uint8_t code;
    std::string_view name, command, extra;
    PayloadShape shape;
  };
  const Row rows[] = {
      {0x01, "GET", "get", "", PayloadShape::kKey},
      {0x02, "SET", "set", "", PayloadShape::kKeyTtlValue},
      {0x03, "DEL", "del", "", PayloadShape::kKey},
      {0x04, "EXISTS", "exists", "", PayloadShape::kKey},
      {0x05, "INCR", "incr", "", PayloadShape::kKey},
      {0x06, "DECR", "decr", "", PayloadShape::kKey},
      {0x07, "CAS", "cas", "", PayloadShape::kKeyTtlTwoValues},
      {0x08, "PING", "ping", "", PayloadShape::kEmpty},
      {0x09, "INFO", "info", "", PayloadShape::kEmpty},
      {0x0A, "SETNX", "set", "NX", PayloadShape::kKeyTtlValue},
      {0x0B, "LOCK", "lock", "", PayloadShape::kKeyOwnerTtl},
      {0x0C, "UNLOCK", "unlock", "", PayloadShape::kKeyOwner},
      {0x0D, "EXTEND", "extend", "", PayloadShape::kKeyOwnerTtl},
  };
  for (const Row& r : rows) {
    const OpcodeInfo* info = FindOpcode(r.code);
    REQUIRE(info != nullptr);
    CHECK(static_cast<uint8_t>(info->op) == r.code);
    CHECK(info->name == r.name);
    CHECK(info->command == r.command);
    CHECK(info->extra == r.extra);
    CHECK(info->shape == r.shape);
  }
}

TEST_CASE("Opcodes: project codes 0x0E-0x16 are contiguous and unknown codes are refused") {
  CHECK(FindOpcode(0x00) == nullptr);
  CHECK(FindOpcode(0x17) == nullptr);
  CHECK(FindOpcode(0xff) == nullptr);
  CHECK(FindOpcode(0x0E)->name == "MGET");
  CHECK(FindOpcode(0x0F)->shape == PayloadShape::kBatchSet);
  CHECK(FindOpcode(0x10)->command == "del");
  CHECK(FindOpcode(0x11)->command == "incrby");
  CHECK(FindOpcode(0x12)->command == "pttl");
  CHECK(FindOpcode(0x13)->command == "pexpire");
  CHECK(FindOpcode(0x14)->command == "select");
  CHECK(FindOpcode(0x15)->command == "auth");
  CHECK(FindOpcode(0x16)->command.empty());
  CHECK(static_cast<uint8_t>(Opcode::kCALL) == 0x16);
  for (int c = kFirstOpcode; c <= kLastOpcode; ++c) CHECK(FindOpcode(static_cast<uint8_t>(c)));
}

}  // namespace
}  // namespace kv::native
