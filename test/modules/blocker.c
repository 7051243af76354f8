/* blocker.c - test plugin for BlockClient, independent of LOCK:
 *   BLOCKER.WAITKEY key timeout_ms  (blocking) -> the key's value once it exists; nil on timeout
 *   BLOCKER.MISUSE                  (not blocking) -> "refused" if BlockClient is refused, as it
 *                                   must be for a command without the "blocking" flag
 */
#include "kvmodule.h"

static const KVModuleAPI *api;

static int WaitKey(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  long long timeout;
  KVModuleKey *key;
  (void)argc;
  if (api->StringToLongLong(argv[2], &timeout) != KV_OK || timeout < 0)
    return api->ReplyWithError(ctx, "ERR timeout must be a non-negative integer");
  key = api->OpenKey(ctx, argv[1], KV_READ);
  if (api->KeyType(key) != KV_KEYTYPE_EMPTY) return api->ReplyWithKeyValue(ctx, key);
  if (api->IsBlockTimeout(ctx)) return api->ReplyWithNull(ctx);
  if (api->BlockClient(ctx, timeout) != KV_OK)
    return api->ReplyWithError(ctx, "ERR BlockClient refused");
  return KV_OK; /* no reply: the host calls again */
}

static int Misuse(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  if (api->BlockClient(ctx, 100) != KV_OK) return api->ReplyWithSimpleString(ctx, "refused");
  return api->ReplyWithError(ctx, "ERR BlockClient accepted for a command without 'blocking'");
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "blocker", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "blocker.waitkey", WaitKey, "readonly blocking", 3, 1, 1, 1) !=
          KV_OK ||
      api->CreateCommand(ctx, "blocker.misuse", Misuse, "readonly", 1, 0, 0, 0) != KV_OK)
    return KV_ERR;
  return KV_OK;
}
