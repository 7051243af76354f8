/* collops.c - test plugin for the version 4 calls: hashes, sets and sorted sets driven through
 * the API alone, built against include/kvmodule.h and nothing else. Every call answers with
 * what the API said, so a test sees its contract: "WRONGTYPE" for KV_WRONGTYPE, "ERR api" for
 * KV_ERR, and the *changed flags as integers.
 *
 *   COLLOPS.OPENAS key LIST|HASH|SET|ZSET|OTHER -> OK, or the code's error
 *   COLLOPS.VTEXT key field          -> HashGet's value through ValueText, nil for no text
 *   COLLOPS.HLEN key / HGET key field / HSET key field value / HDEL key field
 *   COLLOPS.SCARD key / SADD key member / SREM key member / SISMEMBER key member
 *   COLLOPS.SWALK key [max]          -> [member, type, ...]: the text and KV_VALUE_* of each
 *   COLLOPS.HWALK key [max]          -> [field, value text, type, ...]
 *   COLLOPS.ZCARD key / ZADD key score member / ZREM key member / ZSCORE key member
 *   COLLOPS.ZRANK key member [REV]   -> the rank, nil when missing
 *   COLLOPS.ZRANGE key start stop [REV] [max] -> [member, score, ...]
 *   COLLOPS.WALKWRITE key            -> a write attempted inside a walk: its return code
 * A walk's optional max stops it after that many elements (the callback's non-zero return). */
#include <stdlib.h>
#include <string.h>

#include "kvmodule.h"

static const KVModuleAPI *api;

/* Replies for a result code; KV_OK replies with `ok` (an integer). */
static int ReplyCode(KVModuleCtx *ctx, int rc, long long ok) {
  if (rc == KV_WRONGTYPE)
    return api->ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
  if (rc != KV_OK) return api->ReplyWithError(ctx, "ERR api");
  return api->ReplyWithLongLong(ctx, ok);
}

static int ReplyCount(KVModuleCtx *ctx, long long n) {
  if (n < 0) return ReplyCode(ctx, KV_WRONGTYPE, 0);
  return api->ReplyWithLongLong(ctx, n);
}

#define ARG(i, p, len) const char *p = api->StringPtrLen(argv[i], &len)

static int OpenAsCmd(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  int t = 99;
  int rc;
  (void)argc;
  if (api->StringEqualsIgnoreCase(argv[2], "LIST")) t = KV_OBJ_LIST;
  if (api->StringEqualsIgnoreCase(argv[2], "HASH")) t = KV_OBJ_HASH;
  if (api->StringEqualsIgnoreCase(argv[2], "SET")) t = KV_OBJ_SET;
  if (api->StringEqualsIgnoreCase(argv[2], "ZSET")) t = KV_OBJ_ZSET;
  rc = api->OpenAs(key, t);
  if (rc != KV_OK) return ReplyCode(ctx, rc, 0);
  return api->ReplyWithSimpleString(ctx, "OK");
}

/* ---- Hashes ------------------------------------------------------------------------------ */

static int HLen(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argc;
  return ReplyCount(ctx, api->HashLength(api->OpenKey(ctx, argv[1], KV_READ)));
}

static int HGet(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  size_t len;
  ARG(2, f, len);
  const KVModuleValue *v;
  (void)argc;
  if (api->OpenAs(key, KV_OBJ_HASH) != KV_OK) return ReplyCode(ctx, KV_WRONGTYPE, 0);
  v = api->HashGet(key, f, len);
  return v ? api->ReplyWithValue(ctx, v) : api->ReplyWithNull(ctx);
}

static int VText(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  size_t len, tlen;
  ARG(2, f, len);
  const KVModuleValue *v = api->HashGet(key, f, len);
  const char *t;
  (void)argc;
  if (!v) return api->ReplyWithNull(ctx);
  t = api->ValueText(v, &tlen);
  return t ? api->ReplyWithStringBuffer(ctx, t, tlen) : api->ReplyWithNull(ctx);
}

static int HSet(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  size_t flen, vlen;
  ARG(2, f, flen);
  ARG(3, p, vlen);
  const KVModuleValue *typed = api->ArgValue(ctx, 3);
  int created = -1, rc;
  (void)argc;
  rc = typed ? api->HashSet(key, f, flen, typed, &created)
             : api->HashSetBytes(key, f, flen, p, vlen, &created);
  return ReplyCode(ctx, rc, created);
}

static int HDel(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  size_t flen;
  ARG(2, f, flen);
  int deleted = -1;
  (void)argc;
  int rc = api->HashDelete(key, f, flen, &deleted);
  return ReplyCode(ctx, rc, deleted);
}

/* Walks collect into a growing array first: the reply's length must come before its elements. */
struct Items {
  KVModuleCtx *ctx;
  long long max, seen;
  char **text;
  size_t *len;
  int *kind; /* 0 bytes, 2 double, 3 integer */
  double *score;
  size_t n, cap;
};

static void Grow(struct Items *it) {
  if (it->n < it->cap) return;
  it->cap = it->cap ? it->cap * 2 : 16;
  it->text = realloc(it->text, it->cap * sizeof *it->text);
  it->len = realloc(it->len, it->cap * sizeof *it->len);
  it->kind = realloc(it->kind, it->cap * sizeof *it->kind);
  it->score = realloc(it->score, it->cap * sizeof *it->score);
}

static void AddBytes(struct Items *it, const char *p, size_t len) {
  Grow(it);
  it->text[it->n] = malloc(len + 1);
  memcpy(it->text[it->n], p, len);
  it->text[it->n][len] = 0;
  it->len[it->n] = len;
  it->kind[it->n] = 0;
  it->n++;
}

static void AddLong(struct Items *it, long long v) {
  Grow(it);
  it->text[it->n] = NULL;
  it->score[it->n] = (double)v;
  it->kind[it->n] = 3;
  it->n++;
}

static void AddDouble(struct Items *it, double v) {
  Grow(it);
  it->text[it->n] = NULL;
  it->score[it->n] = v;
  it->kind[it->n] = 2;
  it->n++;
}

/* Replies with the items (reply non-zero) and frees them. */
static void Flush(struct Items *it, int reply) {
  size_t i;
  if (reply) api->ReplyWithArray(it->ctx, (long)it->n);
  for (i = 0; i < it->n && reply; i++) {
    if (it->kind[i] == 0) api->ReplyWithStringBuffer(it->ctx, it->text[i], it->len[i]);
    if (it->kind[i] == 2) api->ReplyWithDouble(it->ctx, it->score[i]);
    if (it->kind[i] == 3) api->ReplyWithLongLong(it->ctx, (long long)it->score[i]);
  }
  for (i = 0; i < it->n; i++) free(it->text[i]);
  free(it->text);
  free(it->len);
  free(it->kind);
  free(it->score);
}

static int More(struct Items *it) {
  it->seen++;
  return it->max >= 0 && it->seen >= it->max;
}

/* A hash walk: field, then the value's text (or "<nested>") and its KV_VALUE_* type. */
static int HashVisit(void *priv, const char *field, size_t flen, const KVModuleValue *v) {
  struct Items *it = priv;
  size_t tlen;
  const char *t = api->ValueText(v, &tlen);
  AddBytes(it, field, flen);
  if (t)
    AddBytes(it, t, tlen);
  else
    AddBytes(it, "<nested>", 8);
  AddLong(it, api->ValueType(v));
  return More(it);
}

static long long MaxArg(KVModuleString **argv, int argc, int i) {
  long long max = -1;
  if (argc > i && api->StringToLongLong(argv[i], &max) != KV_OK) max = -1;
  return max;
}

static int HWalk(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  struct Items it;
  int rc;
  memset(&it, 0, sizeof it);
  it.ctx = ctx;
  it.max = MaxArg(argv, argc, 2);
  rc = api->HashWalk(key, HashVisit, &it);
  Flush(&it, rc == KV_OK);
  return rc == KV_OK ? KV_OK : ReplyCode(ctx, rc, 0);
}

/* ---- Sets -------------------------------------------------------------------------------- */

static int SCard(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argc;
  return ReplyCount(ctx, api->SetCard(api->OpenKey(ctx, argv[1], KV_READ)));
}

static int SAdd(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  size_t len;
  ARG(2, p, len);
  const KVModuleValue *typed = api->ArgValue(ctx, 2);
  int added = -1, rc;
  (void)argc;
  rc = typed ? api->SetAdd(key, typed, &added) : api->SetAddBytes(key, p, len, &added);
  return ReplyCode(ctx, rc, added);
}

static int SRem(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  size_t len;
  ARG(2, p, len);
  int removed = -1;
  (void)argc;
  int rc = api->SetRemove(key, p, len, &removed);
  return ReplyCode(ctx, rc, removed);
}

static int SIsMember(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  size_t len;
  ARG(2, p, len);
  (void)argc;
  return ReplyCount(ctx, api->SetIsMember(key, p, len));
}

static int SetVisit(void *priv, const char *member, size_t len, const KVModuleValue *v) {
  struct Items *it = priv;
  long long i;
  int type = api->ValueType(v);
  AddBytes(it, member, len);
  /* The typed read: an Int member reads through ValueGetInt as its text says, else -1. */
  if (type == KV_VALUE_INT && (api->ValueGetInt(v, &i) != KV_OK || i != atoll(it->text[it->n - 1])))
    type = -1;
  AddLong(it, type);
  return More(it);
}

static int SWalk(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  struct Items it;
  int rc;
  memset(&it, 0, sizeof it);
  it.ctx = ctx;
  it.max = MaxArg(argv, argc, 2);
  rc = api->SetWalk(key, SetVisit, &it);
  Flush(&it, rc == KV_OK);
  return rc == KV_OK ? KV_OK : ReplyCode(ctx, rc, 0);
}

/* ---- Sorted sets ------------------------------------------------------------------------- */

static int ZCard(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  (void)argc;
  return ReplyCount(ctx, api->ZsetCard(api->OpenKey(ctx, argv[1], KV_READ)));
}

static int ZAdd(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  size_t slen, len;
  ARG(2, s, slen);
  ARG(3, m, len);
  char buf[64];
  double score;
  char *end;
  int added = -1, rc;
  (void)argc;
  if (slen == 0 || slen >= sizeof buf) return api->ReplyWithError(ctx, "ERR bad score");
  memcpy(buf, s, slen);
  buf[slen] = 0;
  score = strtod(buf, &end);
  if (*end) return api->ReplyWithError(ctx, "ERR bad score");
  rc = api->ZsetAdd(key, m, len, score, &added);
  return ReplyCode(ctx, rc, added);
}

static int ZRem(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  size_t len;
  ARG(2, m, len);
  int removed = -1;
  (void)argc;
  int rc = api->ZsetRemove(key, m, len, &removed);
  return ReplyCode(ctx, rc, removed);
}

static int ZScore(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  size_t len;
  ARG(2, m, len);
  double score;
  int rc = api->ZsetScore(key, m, len, &score);
  (void)argc;
  if (rc == KV_ERR) return api->ReplyWithNull(ctx);
  if (rc != KV_OK) return ReplyCode(ctx, rc, 0);
  return api->ReplyWithDouble(ctx, score);
}

static int ZRank(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  size_t len;
  ARG(2, m, len);
  long long rank;
  int rev = argc > 3 && api->StringEqualsIgnoreCase(argv[3], "REV");
  int rc = api->ZsetRank(key, m, len, rev, &rank);
  if (rc == KV_ERR) return api->ReplyWithNull(ctx);
  return ReplyCode(ctx, rc, rank);
}

static int ZVisit(void *priv, const char *member, size_t len, double score) {
  struct Items *it = priv;
  AddBytes(it, member, len);
  AddDouble(it, score);
  return More(it);
}

static int ZRange(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  long long start, stop;
  int rev = argc > 4 && api->StringEqualsIgnoreCase(argv[4], "REV");
  struct Items it;
  int rc;
  if (api->StringToLongLong(argv[2], &start) != KV_OK ||
      api->StringToLongLong(argv[3], &stop) != KV_OK)
    return api->ReplyWithError(ctx, "ERR bad range");
  memset(&it, 0, sizeof it);
  it.ctx = ctx;
  it.max = MaxArg(argv, argc, 5);
  rc = api->ZsetRangeWalk(key, start, stop, rev, ZVisit, &it);
  Flush(&it, rc == KV_OK);
  return rc == KV_OK ? KV_OK : ReplyCode(ctx, rc, 0);
}

/* ---- A write inside a walk is refused ---------------------------------------------------- */

struct WalkWrite {
  KVModuleKey *key;
  int rc;
};

static int WriteInWalk(void *priv, const char *member, size_t len, const KVModuleValue *v) {
  struct WalkWrite *w = priv;
  int removed;
  (void)v;
  w->rc = api->SetRemove(w->key, member, len, &removed);
  return 1;
}

static int WalkWriteCmd(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  struct WalkWrite w;
  (void)argc;
  w.key = api->OpenKey(ctx, argv[1], KV_WRITE);
  w.rc = -1;
  if (api->SetWalk(w.key, WriteInWalk, &w) != KV_OK) return ReplyCode(ctx, KV_WRONGTYPE, 0);
  return api->ReplyWithLongLong(ctx, w.rc);
}

struct Cmd {
  const char *name;
  KVModuleCmdFunc fn;
  const char *flags;
  int arity;
};

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  static const struct Cmd cmds[] = {
      {"collops.openas", OpenAsCmd, "readonly", 3},
      {"collops.vtext", VText, "readonly", 3},
      {"collops.hlen", HLen, "readonly", 2},
      {"collops.hget", HGet, "readonly", 3},
      {"collops.hset", HSet, "write denyoom", 4},
      {"collops.hdel", HDel, "write", 3},
      {"collops.hwalk", HWalk, "readonly", -2},
      {"collops.scard", SCard, "readonly", 2},
      {"collops.sadd", SAdd, "write denyoom", 3},
      {"collops.srem", SRem, "write", 3},
      {"collops.sismember", SIsMember, "readonly", 3},
      {"collops.swalk", SWalk, "readonly", -2},
      {"collops.zcard", ZCard, "readonly", 2},
      {"collops.zadd", ZAdd, "write denyoom", 4},
      {"collops.zrem", ZRem, "write", 3},
      {"collops.zscore", ZScore, "readonly", 3},
      {"collops.zrank", ZRank, "readonly", -3},
      {"collops.zrange", ZRange, "readonly", -4},
      {"collops.walkwrite", WalkWriteCmd, "write", 2},
  };
  size_t i;
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "collops", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (api->CreateCommand(ctx, cmds[i].name, cmds[i].fn, cmds[i].flags, cmds[i].arity, 1, 1,
                           1) != KV_OK)
      return KV_ERR;
  return KV_OK;
}
