/* bad_version.c - test plugin: built against an API version newer than the server's.
 * MODULE LOAD must refuse it with a message naming both versions, and register nothing. */
#include "kvmodule.h"

static int Never(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  return ctx ? KV_OK : KV_ERR;
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *api, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  if (api->Init(ctx, "badversion", 1, KVMODULE_API_VERSION + 1) != KV_OK) return KV_ERR;
  /* Only reached if the host wrongly accepted the version. */
  api->CreateCommand(ctx, "badversion.cmd", Never, "readonly", 1, 0, 0, 0);
  return KV_OK;
}
