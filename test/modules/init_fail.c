/* init_fail.c - test plugin: KVModule_OnLoad names itself, registers a command, then refuses to
 * load (KV_ERR), as a plugin does when its arguments are wrong. The load must fail cleanly and
 * leave no command behind. */
#include "kvmodule.h"

static const KVModuleAPI *api;

static int Ping(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  return api->ReplyWithSimpleString(ctx, "PONG");
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  (void)argv;
  api = host_api;
  if (api->Init(ctx, "initfail", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "initfail.ping", Ping, "readonly fast", 1, 0, 0, 0) != KV_OK)
    return KV_ERR;
  api->Log(ctx, "warning", "refusing to load (%d arguments)", argc);
  return KV_ERR;
}
