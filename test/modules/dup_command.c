/* dup_command.c - test plugin: registers DUP.OK, then tries to register GET, which the server
 * already has. CreateCommand must fail, the load must fail, and the rollback must remove DUP.OK
 * while GET keeps working. */
#include "kvmodule.h"

static const KVModuleAPI *api;

static int DupOk(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  return api->ReplyWithSimpleString(ctx, "OK");
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "dupcommand", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "dup.ok", DupOk, "readonly fast", 1, 0, 0, 0) != KV_OK)
    return KV_ERR;
  if (api->CreateCommand(ctx, "get", DupOk, "readonly fast", 2, 1, 1, 1) != KV_OK) {
    api->Log(ctx, "warning", "could not register 'get': the name is taken");
    return KV_ERR;
  }
  return KV_OK;
}
