/* stamp.c - test plugin for durability of a loaded (not built-in) plugin.
 *
 * STAMP.NEXT key stores a value no replay could compute again: a per-process counter seeded
 * from the clock and the process id. It logs its effect, SET key <value>, with LogCommandAs, so
 * after a kill -9 and a restart with the same --loadmodule the key holds what the client was
 * told, not a fresh stamp. */
#include <stdio.h>
#include <unistd.h>

#include "kvmodule.h"

static const KVModuleAPI *api;
static long long next_stamp;

static int StampNext(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  char value[32];
  const char *out[3];
  size_t lens[3];
  KVModuleKey *key;
  (void)argc;
  const int len = snprintf(value, sizeof value, "stamp-%lld", next_stamp++);
  key = api->OpenKey(ctx, argv[1], KV_WRITE);
  if (api->SetBytes(key, value, (size_t)len, 0) != KV_OK)
    return api->ReplyWithError(ctx, "ERR could not store the stamp");
  out[0] = "SET";
  lens[0] = 3;
  out[1] = api->StringPtrLen(argv[1], &lens[1]);
  out[2] = value;
  lens[2] = (size_t)len;
  api->LogCommandAs(ctx, 3, out, lens);
  return api->ReplyWithStringBuffer(ctx, value, (size_t)len);
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "stamp", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  next_stamp = api->Milliseconds() * 1000 + (long long)getpid() % 1000;
  return api->CreateCommand(ctx, "stamp.next", StampNext, "write denyoom", 2, 1, 1, 1);
}
