// kv-cli's commands (docs/kv-cli.md, "Commands"): turns parsed arguments into one native request
// and its reply into the text to print.
//
// Commands with a native opcode (GET SET SETNX DEL EXISTS INCR DECR INCRBY CAS PING INFO LOCK
// UNLOCK EXTEND MGET MSET MDEL TTL PTTL EXPIRE PEXPIRE SELECT AUTH) are sent through it, so SET's
// value keeps its type; every other command goes through CALL (0x16) with its arguments as text,
// which reaches every RESP and plugin command. Requests are native::Request values encoded by
// kv::client (Client::Execute), never by hand here. Argument errors that Redis would answer
// (arity, a non-integer count) are answered locally with Redis's text, before anything is sent.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "client/kv_client.h"
#include "literal.h"
#include "native_proto/frame.h"
#include "printer.h"

namespace kv::cli {

// How a reply is turned into output.
enum class Show : uint8_t {
  kValue,    // the reply value as it is
  kOk,       // SET / SELECT / AUTH: an empty OK reply shows as OK
  kText,     // PING's PONG, INFO's text: as it is, unquoted
  kSum,      // DEL with several keys: MDEL's per-key Ints summed (Redis's DEL count)
  kSeconds,  // TTL: the opcode's milliseconds as Redis's TTL seconds (-1 and -2 kept)
  kMset,     // MSET: OK when every item was written, else the per-item results (a failure)
  kCall,     // CALL: as kValue, except that a top-level String "OK" is Redis's status OK
};

struct Plan {
  Plan() = default;
  Plan(Plan&&) = default;
  Plan& operator=(Plan&&) = default;
  Plan(const Plan&) = delete;  // req's views point into storage
  Plan& operator=(const Plan&) = delete;

  std::string name;  // the command word, lower-cased
  native::Request req;
  Show show = Show::kValue;
  // Backing store of req's views (keys, owners, names): deque elements never move.
  std::deque<std::string> storage;
};

// The request for `args` (args[0] is the command word, any case). Errors are kUsage with the
// message to print (a Redis error text where Redis has one). `args` must not be empty.
client::Result<Plan> PlanCommand(const std::vector<Arg>& args);

struct Output {
  std::string out;  // for stdout
  std::string err;  // for stderr
  bool failed = false;
};

// What to print for `plan`'s reply. Server errors (ERROR, INVALID) print as `(error) ...`,
// local ones too; lost connections as `Error: ...`. Every one of them sets failed.
Output Render(const Plan& plan, const client::Result<native::Value>& reply, OutputMode mode);

}  // namespace kv::cli
