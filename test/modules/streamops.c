/* streamops.c - test plugin for the version 6 calls: streams driven through the API alone,
 * built against include/kvmodule.h and nothing else. Every call answers with what the API said
 * ("WRONGTYPE" for KV_WRONGTYPE, "ERR api" for KV_ERR), so a test sees its contract.
 *
 *   STREAMOPS.ADD key id|* field value [field value ...] -> the entry's ID; an ID the clock
 *                                       chose is logged as XADD key <id> ... (LogCommandAs)
 *   STREAMOPS.LEN key                -> StreamLength
 *   STREAMOPS.RANGE key start end [REV] [COUNT n] [MAX m] -> XRANGE's reply shape; start and
 *                                       end are <ms>-<seq>, - or +; MAX stops the walk after m
 *                                       entries (the callback's non-zero return)
 *   STREAMOPS.DEL key id             -> 1 deleted, 0 not there
 *   STREAMOPS.TRIM key MAXLEN|MINID [~] n|id -> entries removed
 *   STREAMOPS.WALKWRITE key          -> the code of a StreamAdd attempted inside a walk */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmodule.h"

static const KVModuleAPI *api;

static int ReplyCode(KVModuleCtx *ctx, int rc, long long ok) {
  if (rc == KV_WRONGTYPE)
    return api->ReplyWithError(ctx, "WRONGTYPE Operation against a key holding the wrong kind of value");
  if (rc != KV_OK) return api->ReplyWithError(ctx, "ERR api");
  return api->ReplyWithLongLong(ctx, ok);
}

/* "<ms>-<seq>", "-" (0-0) or "+" (the largest ID); 0 when malformed. */
static int ParseId(KVModuleString *arg, KVStreamID *id) {
  size_t len;
  const char *p = api->StringPtrLen(arg, &len);
  char buf[64], *dash, *end;
  if (len == 1 && p[0] == '-') {
    id->ms = id->seq = 0;
    return 1;
  }
  if (len == 1 && p[0] == '+') {
    id->ms = id->seq = UINT64_MAX;
    return 1;
  }
  if (len == 0 || len >= sizeof buf) return 0;
  memcpy(buf, p, len);
  buf[len] = 0;
  dash = strchr(buf, '-');
  if (!dash) return 0;
  *dash = 0;
  id->ms = strtoull(buf, &end, 10);
  if (*end) return 0;
  id->seq = strtoull(dash + 1, &end, 10);
  return *end == 0;
}

static int ReplyId(KVModuleCtx *ctx, KVStreamID id) {
  char buf[48];
  int n = snprintf(buf, sizeof buf, "%llu-%llu", (unsigned long long)id.ms,
                   (unsigned long long)id.seq);
  return api->ReplyWithStringBuffer(ctx, buf, (size_t)n);
}

static int Add(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  int n = (argc - 3) / 2, i, rc;
  const char **fields, **values, **logv;
  size_t *flens, *vlens, *logl, idlen;
  const char *idtext = api->StringPtrLen(argv[2], &idlen);
  KVStreamID id, added;
  int auto_id = idlen == 1 && idtext[0] == '*';
  char idbuf[48];
  if (argc < 5 || (argc - 3) % 2) return api->WrongArity(ctx);
  if (!auto_id && !ParseId(argv[2], &id)) return api->ReplyWithError(ctx, "ERR bad id");
  fields = malloc(sizeof *fields * (size_t)n);
  values = malloc(sizeof *values * (size_t)n);
  flens = malloc(sizeof *flens * (size_t)n);
  vlens = malloc(sizeof *vlens * (size_t)n);
  for (i = 0; i < n; i++) {
    fields[i] = api->StringPtrLen(argv[3 + 2 * i], &flens[i]);
    values[i] = api->StringPtrLen(argv[4 + 2 * i], &vlens[i]);
  }
  rc = api->StreamAdd(key, auto_id ? NULL : &id, n, fields, flens, values, vlens, &added);
  free(fields);
  free(values);
  free(flens);
  free(vlens);
  if (rc != KV_OK) return ReplyCode(ctx, rc, 0);
  if (auto_id) {
    /* Replay must add the same entry: log the ID the clock chose. */
    logv = malloc(sizeof *logv * (size_t)argc);
    logl = malloc(sizeof *logl * (size_t)argc);
    logv[0] = "XADD";
    logl[0] = 4;
    logv[1] = api->StringPtrLen(argv[1], &logl[1]);
    logl[2] = (size_t)snprintf(idbuf, sizeof idbuf, "%llu-%llu",
                               (unsigned long long)added.ms, (unsigned long long)added.seq);
    logv[2] = idbuf;
    for (i = 3; i < argc; i++) logv[i] = api->StringPtrLen(argv[i], &logl[i]);
    api->LogCommandAs(ctx, argc, logv, logl);
    free(logv);
    free(logl);
  }
  return ReplyId(ctx, added);
}

static int Len(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  long long n = api->StreamLength(api->OpenKey(ctx, argv[1], KV_READ));
  (void)argc;
  return n < 0 ? ReplyCode(ctx, KV_WRONGTYPE, 0) : api->ReplyWithLongLong(ctx, n);
}

struct Walk {
  KVModuleCtx *ctx;
  KVModuleKey *key;
  long long seen, max;
  int reply;   /* 0: count only; 1: reply each entry */
  int write_rc;
};

static int OnEntry(void *priv, KVStreamID id, int nfields, const char *const *fields,
                   const size_t *flens, const char *const *values, const size_t *vlens) {
  struct Walk *w = priv;
  int i;
  if (w->max >= 0 && w->seen >= w->max) return 1;
  w->seen++;
  if (w->reply) {
    api->ReplyWithArray(w->ctx, 2);
    ReplyId(w->ctx, id);
    api->ReplyWithArray(w->ctx, 2L * nfields);
    for (i = 0; i < nfields; i++) {
      api->ReplyWithStringBuffer(w->ctx, fields[i], flens[i]);
      api->ReplyWithStringBuffer(w->ctx, values[i], vlens[i]);
    }
  }
  return 0;
}

static int Range(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_READ);
  KVStreamID start, end;
  int reverse = 0, i, rc;
  long long count = 0;
  struct Walk w = {ctx, key, 0, -1, 0, 0};
  if (!ParseId(argv[2], &start) || !ParseId(argv[3], &end))
    return api->ReplyWithError(ctx, "ERR bad id");
  for (i = 4; i < argc; i++) {
    if (api->StringEqualsIgnoreCase(argv[i], "REV")) {
      reverse = 1;
    } else if (i + 1 < argc && api->StringEqualsIgnoreCase(argv[i], "COUNT")) {
      if (api->StringToLongLong(argv[++i], &count) != KV_OK) return ReplyCode(ctx, KV_ERR, 0);
    } else if (i + 1 < argc && api->StringEqualsIgnoreCase(argv[i], "MAX")) {
      if (api->StringToLongLong(argv[++i], &w.max) != KV_OK) return ReplyCode(ctx, KV_ERR, 0);
    } else {
      return api->ReplyWithError(ctx, "ERR syntax error");
    }
  }
  /* The array's length first: one walk counts, a second replies. */
  rc = api->StreamRangeWalk(key, start, end, reverse, count, OnEntry, &w);
  if (rc != KV_OK) return ReplyCode(ctx, rc, 0);
  api->ReplyWithArray(ctx, (long)w.seen);
  w.seen = 0;
  w.reply = 1;
  return api->StreamRangeWalk(key, start, end, reverse, count, OnEntry, &w);
}

static int Del(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  KVStreamID id;
  int deleted = 0, rc;
  (void)argc;
  if (!ParseId(argv[2], &id)) return api->ReplyWithError(ctx, "ERR bad id");
  rc = api->StreamDelete(key, id, &deleted);
  return ReplyCode(ctx, rc, deleted);
}

static int Trim(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  int approx = argc == 5, rc;
  long long maxlen = 0, removed = 0;
  KVStreamID minid;
  KVModuleString *arg = argv[argc - 1];
  if (argc != 4 && argc != 5) return api->WrongArity(ctx);
  if (api->StringEqualsIgnoreCase(argv[2], "MINID")) {
    if (!ParseId(arg, &minid)) return api->ReplyWithError(ctx, "ERR bad id");
    rc = api->StreamTrim(key, 0, &minid, approx, &removed);
  } else {
    if (api->StringToLongLong(arg, &maxlen) != KV_OK) return ReplyCode(ctx, KV_ERR, 0);
    rc = api->StreamTrim(key, maxlen, NULL, approx, &removed);
  }
  return ReplyCode(ctx, rc, removed);
}

static int TryAdd(void *priv, KVStreamID id, int nfields, const char *const *fields,
                  const size_t *flens, const char *const *values, const size_t *vlens) {
  struct Walk *w = priv;
  (void)id;
  w->write_rc = api->StreamAdd(w->key, NULL, nfields, fields, flens, values, vlens, NULL);
  return 1;
}

static int WalkWrite(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  KVModuleKey *key = api->OpenKey(ctx, argv[1], KV_WRITE);
  KVStreamID lo = {0, 0}, hi = {UINT64_MAX, UINT64_MAX};
  struct Walk w = {ctx, key, 0, -1, 0, -1};
  int rc = api->StreamRangeWalk(key, lo, hi, 0, 0, TryAdd, &w);
  (void)argc;
  if (rc != KV_OK) return ReplyCode(ctx, rc, 0);
  return api->ReplyWithLongLong(ctx, w.write_rc);
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
      {"streamops.add", Add, "write denyoom", -5},
      {"streamops.len", Len, "readonly", 2},
      {"streamops.range", Range, "readonly", -4},
      {"streamops.del", Del, "write", 3},
      {"streamops.trim", Trim, "write", -4},
      {"streamops.walkwrite", WalkWrite, "write", 2},
  };
  size_t i;
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "streamops", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
    if (api->CreateCommand(ctx, cmds[i].name, cmds[i].fn, cmds[i].flags, cmds[i].arity, 1, 1,
                           1) != KV_OK)
      return KV_ERR;
  return KV_OK;
}
