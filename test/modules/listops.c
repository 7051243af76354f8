/* listops.c - test plugin for the version 3 collection calls: a list driven through the API
 * alone (ObjectType, ListLength, ListPush, ListPushBytes, ListPop, ListGet, ListSet,
 * ReplyWithValue), built against include/kvmodule.h and nothing else.
 *
 *   LISTOPS.PUSH key HEAD|TAIL element...   -> the list's length (a typed element stays typed)
 *   LISTOPS.POP key HEAD|TAIL               -> the element, or nil
 *   LISTOPS.GET key index                   -> the element, or nil
 *   LISTOPS.SET key index element           -> OK, or an error out of range
 *   LISTOPS.TYPE key                        -> ObjectType's number */
#include "kvmodule.h"

static const KVModuleAPI *api;

static int Where(KVModuleString *s) {
  return api->StringEqualsIgnoreCase(s, "HEAD") ? KV_LIST_HEAD : KV_LIST_TAIL;
}

static int Push(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  const int where = Where(argv[2]);
  int i;
  for (i = 3; i < argc; i++) {
    const KVModuleValue *v = api->ArgValue(ctx, i);
    int rc;
    if (v) {
      rc = api->ListPush(key, where, v);
    } else {
      size_t len;
      const char *p = api->StringPtrLen(argv[i], &len);
      rc = api->ListPushBytes(key, where, p, len);
    }
    if (rc != KV_OK) return api->ReplyWithError(ctx, "WRONGTYPE not a list");
  }
  return api->ReplyWithLongLong(ctx, api->ListLength(key));
}

static int Pop(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  const KVModuleValue *v = api->ListPop(key, Where(argv[2]));
  (void)argc;
  return v ? api->ReplyWithValue(ctx, v) : api->ReplyWithNull(ctx);
}

static int Get(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  long long index;
  const KVModuleValue *v;
  (void)argc;
  if (api->StringToLongLong(argv[2], &index) != KV_OK)
    return api->ReplyWithError(ctx, "ERR bad index");
  v = api->ListGet(key, index);
  return v ? api->ReplyWithValue(ctx, v) : api->ReplyWithNull(ctx);
}

static int Set(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  long long index;
  const KVModuleValue *v;
  (void)argc;
  if (api->StringToLongLong(argv[2], &index) != KV_OK)
    return api->ReplyWithError(ctx, "ERR bad index");
  /* The element: the typed value a native client sent, else the text as the list's element
   * at that place after a push (pushed at the tail, read back, popped again). */
  v = api->ArgValue(ctx, 3);
  if (!v) {
    size_t len;
    const char *p = api->StringPtrLen(argv[3], &len);
    if (api->ListPushBytes(key, KV_LIST_TAIL, p, len) != KV_OK)
      return api->ReplyWithError(ctx, "WRONGTYPE not a list");
    v = api->ListPop(key, KV_LIST_TAIL);
  }
  if (api->ListSet(key, index, v) != KV_OK) return api->ReplyWithError(ctx, "ERR out of range");
  return api->ReplyWithSimpleString(ctx, "OK");
}

static int Type(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  (void)argc;
  return api->ReplyWithLongLong(ctx, api->ObjectType(key));
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "listops", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "listops.push", Push, "write denyoom", -4, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "listops.pop", Pop, "write", 3, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "listops.get", Get, "readonly", 3, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "listops.set", Set, "write denyoom", 4, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "listops.type", Type, "readonly", 2, 1, 1, 1) != KV_OK)
    return KV_ERR;
  return KV_OK;
}
