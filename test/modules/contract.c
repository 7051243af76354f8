/* contract.c - test plugin for the host's side of kvmodule.h, one command per promise:
 *   CONTRACT.OPEN key other        -> [declared key opened (1/0), undeclared key opened (1/0)]
 *   CONTRACT.SET key kind value [keep] -> OK; kind int|float|bytes; keep=1 keeps the expiry
 *   CONTRACT.GET key               -> [type code, value read back typed (nil when empty)]
 *   CONTRACT.EXPIRE key            -> GetExpire: absolute Unix ms, or -1
 *   CONTRACT.NOREPLY               -> returns KV_OK without replying (the host must answer)
 *   CONTRACT.FAIL                  -> returns KV_ERR without replying (the host must answer)
 *   CONTRACT.READONLY.SET key      -> SetBytes on a key opened KV_READ: "refused" if refused
 *   CONTRACT.TWICE                 -> replies "first", then tries a second reply: the host must
 *                                     refuse it (KV_ERR) so the connection stays in step
 *   CONTRACT.SHORTARRAY            -> opens an array of 3 and replies one element: the host
 *                                     must complete it (with nulls)
 */
#include <stdlib.h>
#include <string.h>

#include "kvmodule.h"

static const KVModuleAPI *api;

static int Open(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argc;
  api->ReplyWithArray(ctx, 2);
  api->ReplyWithLongLong(ctx, api->OpenKey(ctx, argv[1], KV_READ) != NULL);
  return api->ReplyWithLongLong(ctx, api->OpenKey(ctx, argv[2], KV_READ) != NULL);
}

static int Set(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  long long keep = 0, i;
  size_t len;
  const char *v = api->StringPtrLen(argv[3], &len);
  char buf[64];
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  int rc;
  if (argc == 5 && api->StringToLongLong(argv[4], &keep) != KV_OK)
    return api->ReplyWithError(ctx, "ERR keep must be 0 or 1");
  if (api->StringEqualsIgnoreCase(argv[2], "int")) {
    if (api->StringToLongLong(argv[3], &i) != KV_OK)
      return api->ReplyWithError(ctx, "ERR not an integer");
    rc = api->SetInt(key, i, (int)keep);
  } else if (api->StringEqualsIgnoreCase(argv[2], "float")) {
    if (len >= sizeof buf) return api->ReplyWithError(ctx, "ERR too long");
    memcpy(buf, v, len);
    buf[len] = '\0';
    rc = api->SetFloat(key, strtod(buf, NULL), (int)keep);
  } else if (api->StringEqualsIgnoreCase(argv[2], "bytes")) {
    rc = api->SetBytes(key, v, len, (int)keep);
  } else {
    return api->ReplyWithError(ctx, "ERR kind must be int, float or bytes");
  }
  if (rc != KV_OK) return api->ReplyWithError(ctx, "ERR the write failed");
  return api->ReplyWithSimpleString(ctx, "OK");
}

static int Get(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  const int type = api->KeyType(key);
  long long i;
  double d;
  const char *p;
  size_t len;
  (void)argc;
  api->ReplyWithArray(ctx, 2);
  api->ReplyWithLongLong(ctx, type);
  switch (type) {
    case KV_KEYTYPE_INT:
      if (api->GetInt(key, &i) != KV_OK) return api->ReplyWithError(ctx, "ERR GetInt failed");
      return api->ReplyWithLongLong(ctx, i);
    case KV_KEYTYPE_FLOAT:
      if (api->GetFloat(key, &d) != KV_OK)
        return api->ReplyWithError(ctx, "ERR GetFloat failed");
      return api->ReplyWithDouble(ctx, d);
    case KV_KEYTYPE_BYTES:
      if (api->GetBytes(key, &p, &len) != KV_OK)
        return api->ReplyWithError(ctx, "ERR GetBytes failed");
      return api->ReplyWithStringBuffer(ctx, p, len);
    default:
      /* Reading the wrong type must fail. */
      if (api->GetInt(key, &i) == KV_OK || api->GetBytes(key, &p, &len) == KV_OK)
        return api->ReplyWithError(ctx, "ERR a typed read of an empty key succeeded");
      return api->ReplyWithNull(ctx);
  }
}

static int Expire(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argc;
  return api->ReplyWithLongLong(ctx, api->GetExpire(api->OpenKey(ctx, argv[1], KV_READ)));
}

static int NoReply(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)ctx;
  (void)argv;
  (void)argc;
  return KV_OK;
}

static int Fail(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)ctx;
  (void)argv;
  (void)argc;
  return KV_ERR;
}

static int ReadonlySet(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  (void)argc;
  if (api->SetBytes(key, "x", 1, 0) != KV_OK) return api->ReplyWithSimpleString(ctx, "refused");
  return api->ReplyWithError(ctx, "ERR SetBytes wrote through a key opened KV_READ");
}

static int Twice(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  api->ReplyWithSimpleString(ctx, "first");
  return api->ReplyWithLongLong(ctx, 2) == KV_ERR ? KV_OK : KV_ERR;
}

static int ShortArray(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  api->ReplyWithArray(ctx, 3);
  return api->ReplyWithLongLong(ctx, 1);
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "contract", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "contract.open", Open, "readonly", 3, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "contract.set", Set, "write", -4, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "contract.get", Get, "readonly", 2, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "contract.expire", Expire, "readonly", 2, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "contract.noreply", NoReply, "readonly", 1, 0, 0, 0) != KV_OK ||
      api->CreateCommand(ctx, "contract.fail", Fail, "readonly", 1, 0, 0, 0) != KV_OK ||
      api->CreateCommand(ctx, "contract.readonly.set", ReadonlySet, "write", 2, 1, 1, 1) !=
          KV_OK ||
      api->CreateCommand(ctx, "contract.twice", Twice, "readonly", 1, 0, 0, 0) != KV_OK ||
      api->CreateCommand(ctx, "contract.shortarray", ShortArray, "readonly", 1, 0, 0, 0) != KV_OK)
    return KV_ERR;
  return KV_OK;
}
