// The replication stream's encoding: a WAL record body (wal_record.h RecordBodyWriter) as the
// RESP commands a replica applies (docs/replication.md "The stream"). A record of one command is
// that command; a record of several (EXEC, a script) is wrapped in MULTI/EXEC so the replica
// applies it atomically; SELECT precedes a command whose namespace is not the stream's current
// one; a command with typed arguments goes as KV.TYPED <types> <raw args...>.
#pragma once

#include <string>
#include <string_view>

namespace kv::persist {

inline constexpr std::string_view kTypedCommand = "KV.TYPED";

// Appends the RESP form of record `body` to *out. *stream_ns is the namespace the stream has
// selected (updated). The body comes from this process's own producers: it is trusted.
void AppendRecordAsResp(std::string_view body, std::string* stream_ns, std::string* out);

// Appends one RESP multibulk command.
void AppendRespCommand(std::initializer_list<std::string_view> args, std::string* out);

}  // namespace kv::persist
