// Every Redis error text kv-server sends, once. Handlers pass these to ReplyBuilder::SendError;
// texts match Redis 7 byte for byte so client libraries recognise them.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace kv::errors {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kIncrFloatNaN = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kInvalidExpire = "ERR invalid expire time in '{}' command";
inline constexpr std::string_view kOom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kAuthNotSet =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
// ACL (Redis 7.0's texts).
inline constexpr std::string_view kNoPermCommand =
    "NOPERM this user has no permissions to run the '{}' command";
inline constexpr std::string_view kNoPermKey =
    "NOPERM this user has no permissions to access one of the keys used as arguments";
inline constexpr std::string_view kNoPermChannel =
    "NOPERM this user has no permissions to access one of the channels used as arguments";
inline constexpr std::string_view kSubscribedMode =
    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
    "allowed in this context";
inline constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";
inline constexpr std::string_view kStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
// Bitmaps (bitops.c).
inline constexpr std::string_view kBitOffset = "ERR bit offset is not an integer or out of range";
inline constexpr std::string_view kBitValue = "ERR bit is not an integer or out of range";
inline constexpr std::string_view kBitArgument = "ERR The bit argument must be 1 or 0.";
inline constexpr std::string_view kBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
inline constexpr std::string_view kBitfieldOverflow = "ERR Invalid OVERFLOW type specified";
inline constexpr std::string_view kBitfieldReadonly =
    "ERR BITFIELD_RO only supports the GET subcommand";
inline constexpr std::string_view kBitopNot = "ERR BITOP NOT must be called with a single source key.";
// HyperLogLog (hyperloglog.c).
inline constexpr std::string_view kNotHll = "WRONGTYPE Key is not a valid HyperLogLog string value.";
inline constexpr std::string_view kCorruptHll = "INVALIDOBJ Corrupted HLL object detected";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";
inline constexpr std::string_view kInvalidNamespace =
    "ERR invalid namespace name (1-64 characters of A-Z a-z 0-9 _ . : -)";
inline constexpr std::string_view kNoProto = "NOPROTO unsupported protocol version";
inline constexpr std::string_view kMaxClients = "ERR max number of clients reached";
// Redis 7's text, naming kv-server.
inline constexpr std::string_view kProtectedMode =
    "DENIED kv-server is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to kv-server you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to kv-server from "
    "the same host the server is running, however MAKE SURE kv-server is not publicly "
    "accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. "
    "2) Alternatively you can just disable the protected "
    "mode by editing the kv-server configuration file, and setting the protected mode option to "
    "'no', and then restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Set up an authentication "
    "password for the default user. NOTE: You only need to do one of the above things in order "
    "for the server to start accepting connections from the outside.";
inline constexpr std::string_view kLoading = "LOADING kv-server is loading the dataset in memory";
// Redis's AOF wording, so clients that look for MISCONF recognise it.
inline constexpr std::string_view kMisconfWal = "MISCONF Errors writing to the AOF file: {}";

// "ERR unknown command 'x', with args beginning with: 'a' 'b' " (Redis 7 wording).
std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args);
// "ERR wrong number of arguments for 'get' command"
std::string WrongArity(std::string_view name);
// "ERR unknown subcommand 'x'. Try CLIENT HELP."
std::string UnknownSubcommand(std::string_view cmd, std::string_view sub);
// Maps a shard-op status to its error text (kOk and kKeyNotFound have none: returns "").
std::string_view FromStatus(OpStatus s);

}  // namespace kv::errors
