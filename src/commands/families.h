// Each command family registers its commands into the table; the server calls each once at
// start-up. Adding a command touches its family file (and its test) only.
#pragma once

namespace kv {

class CommandTable;

void RegisterStringFamily(CommandTable& table);
void RegisterLcs(CommandTable& table);  // string family, in string_lcs.cc
void RegisterBitmapFamily(CommandTable& table);
void RegisterHllFamily(CommandTable& table);
void RegisterKeysFamily(CommandTable& table);
void RegisterDumpFamily(CommandTable& table);  // DUMP RESTORE, in dump_family.cc
void RegisterKeysCopyFamily(CommandTable& table);  // COPY MOVE SWAPDB
void RegisterListFamily(CommandTable& table);
void RegisterBlockingFamily(CommandTable& table);  // BLPOP BLMOVE BZPOPMIN...
void RegisterSetFamily(CommandTable& table);
void RegisterHashFamily(CommandTable& table);
void RegisterHashTtl(CommandTable& table);  // hash family, in hash_ttl_family.cc
void RegisterZSetFamily(CommandTable& table);  // zset_family.cc, zset_setops.cc
void RegisterGeoFamily(CommandTable& table);
void RegisterStreamFamily(CommandTable& table);  // XADD XRANGE XDEL XTRIM ...
void RegisterServerFamily(CommandTable& table);
void RegisterCommandFamily(CommandTable& table);  // COMMAND
void RegisterConfigFamily(CommandTable& table);  // CONFIG GET SET RESETSTAT REWRITE
void RegisterInfo(CommandTable& table);  // server family, in info.cc
void RegisterPersistenceFamily(CommandTable& table);
void RegisterAclFamily(CommandTable& table);  // in acl_family.cc
void RegisterDebugFamily(CommandTable& table);
void RegisterFunctionFamily(CommandTable& table);
void RegisterMemoryFamily(CommandTable& table);
void RegisterSlowlogFamily(CommandTable& table);
void RegisterLatencyFamily(CommandTable& table);
void RegisterMonitorFamily(CommandTable& table);
void RegisterSortFamily(CommandTable& table);
void RegisterMultiFamily(CommandTable& table);  // MULTI EXEC DISCARD WATCH UNWATCH
void RegisterPubSubFamily(CommandTable& table);
void RegisterScriptingFamily(CommandTable& table);  // EVAL EVALSHA SCRIPT
// XGROUP XACK XPENDING XCLAIM XAUTOCLAIM XINFO
void RegisterStreamGroupFamily(CommandTable& table);
void RegisterStreamReadFamily(CommandTable& table);  // XREAD XREADGROUP
void RegisterReplicationFamily(CommandTable& table);  // REPLICAOF ROLE PSYNC WAIT...
void RegisterClusterFamily(CommandTable& table);  // CLUSTER ASKING READONLY READWRITE
void RegisterMigrate(CommandTable& table);  // in migrate.cc

inline void RegisterBuiltinFamilies(CommandTable& table) {
  RegisterStringFamily(table);
  RegisterBitmapFamily(table);
  RegisterHllFamily(table);
  RegisterKeysFamily(table);
  RegisterDumpFamily(table);
  RegisterKeysCopyFamily(table);
  RegisterListFamily(table);
  RegisterBlockingFamily(table);
  RegisterSetFamily(table);
  RegisterHashFamily(table);
  RegisterZSetFamily(table);
  RegisterGeoFamily(table);
  RegisterStreamFamily(table);
  RegisterServerFamily(table);
  RegisterCommandFamily(table);
  RegisterConfigFamily(table);
  RegisterPersistenceFamily(table);
  RegisterAclFamily(table);
  RegisterDebugFamily(table);
  RegisterFunctionFamily(table);
  RegisterMemoryFamily(table);
  RegisterSlowlogFamily(table);
  RegisterLatencyFamily(table);
  RegisterMonitorFamily(table);
  RegisterSortFamily(table);
  RegisterMultiFamily(table);
  RegisterPubSubFamily(table);
  RegisterScriptingFamily(table);
  RegisterStreamGroupFamily(table);
  RegisterStreamReadFamily(table);
  RegisterReplicationFamily(table);
  RegisterClusterFamily(table);
  RegisterMigrate(table);
}

}  // namespace kv
