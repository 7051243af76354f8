// ACL glue between the command table and the ACL model (core/acl.h): each command's categories,
// the per-command permission check the dispatcher runs, AUTH, the ACL command family, and the
// start-up load of `aclfile` / `user` directives.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "commands/command.h"
#include "core/acl.h"

namespace kv {

class CommandTable;
class ServerState;

// Categories from the flags (write -> @write, readonly -> @read, admin -> @admin @dangerous,
// fast -> @fast else @slow, blocking, pubsub), the group (string -> @string, generic ->
// @keyspace, connection -> @connection) and Redis's own exceptions (KEYS is @dangerous...).
uint32_t DeriveAclCategories(const CommandSpec& spec);
// A container's subcommand's categories, as Redis gives them: those of its flags (as above) and
// the container's `extra` (ContainerTraits::sub_categories).
uint32_t SubcommandAclCategories(uint32_t flags, uint32_t extra);
// The categories of one call: a container's subcommand (CONFIG GET, ACL SETUSER) has its own.
uint32_t CallCategories(const CommandSpec& spec, std::span<const std::string_view> args);
// Rule parsing's view of the table: a public command's categories.
acl::CommandLookup CommandLookupFor(const CommandTable& table);

enum class AclVerdict { kOk, kCommand, kKey, kChannel };
// Whether `user` may run args (args[0] = name); for kKey and kChannel, *denied is the denied
// argument's position.
AclVerdict CheckAcl(const acl::User& user, const CommandSpec& spec,
                    std::span<const std::string_view> args, std::span<const size_t> key_positions,
                    size_t* denied);
// The dispatcher's check: replies -NOPERM and writes ACL LOG itself when denied.
bool AclAllowsOrReply(ServerState& server, ClientState& client, const CommandSpec& spec,
                      std::span<const std::string_view> args,
                      std::span<const size_t> key_positions, ReplyBuilder& rb);
// AUTH / HELLO AUTH: checks the pair, logs a failure, replies -WRONGPASS itself when it fails.
bool AuthenticateOrReply(CommandContext& ctx, std::string_view user, std::string_view pass);
// The name Redis reports for this call: a container's subcommand as "config|get".
std::string CallName(const CommandSpec& spec, std::span<const std::string_view> args);
// A line of CLIENT LIST for `c` (ACL LOG's client-info); the server family owns the format.
std::string ClientInfoLine(const ClientState& c, int64_t now_ms);

// At start, after plugins are loaded: users from `aclfile` or from `user` directives (not
// both), and requirepass kept in step with the default user. Returns "" or the error.
std::string InitAcl(ServerState& server);

void RegisterAclFamily(CommandTable& table);

}  // namespace kv
