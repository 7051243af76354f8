/* lock.c - distributed locks with fencing tokens: LOCK, UNLOCK, EXTEND and LOCK.RESTORE.
 *
 * Written only against include/kvmodule.h, like any external plugin (STYLE lesson 13).
 *
 * A lock is an ordinary key: a Bytes value "<token>:<owner>" whose expiry is the lock's TTL, so
 * GET shows it, TYPE says string, DEL and FLUSHALL remove it, and the host's lazy and active
 * expiry release it. A value at the key that does not parse as token:owner is not a lock; LOCK,
 * UNLOCK and EXTEND answer WRONGTYPE for it rather than overwrite or ignore someone's data.
 *
 * Fencing tokens come from one process-wide counter:
 *     token = max(last_token + 1, current Unix time in microseconds)
 * so every acquisition of every key gets a larger token than all earlier ones, and a restarted
 * server keeps issuing larger tokens as long as the clock does not jump back. Recovery makes
 * this exact: every acquisition is logged as LOCK.RESTORE key owner token pxat (the token and
 * the absolute expiry), whose replay sets the lock and raises the counter to at least token.
 *
 * Invariant: the handlers run with the key's shard locked by the dispatcher, so check-then-set
 * on one key is atomic; the counter is the only state shared across shards, hence the atomic.
 *
 * docs/locks.md is the user-facing description; keep the two in step.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvmodule.h"
#include "builtin.h"

static const KVModuleAPI *api;

/* The last token handed out (or restored). */
static _Atomic long long last_token;

enum { kMaxI64Digits = 20 }; /* "-9223372036854775808" */

static const char kWrongTypeLock[] = "WRONGTYPE key holds a value that is not a lock";
static const char kNotInteger[] = "ERR value is not an integer or out of range";
static const char kSyntax[] = "ERR syntax error";

/* -------------------------------------------------------------------------------------------
 * Tokens
 * ----------------------------------------------------------------------------------------- */

static long long NowMicros(void) {
  struct timespec ts;
  if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
  return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* A new token, larger than every token issued or restored before; 0 when the last one was
 * LLONG_MAX (no larger token exists: handing out a smaller or negative one would break fencing). */
static long long NextToken(void) {
  const long long now = NowMicros();
  long long cur = atomic_load(&last_token);
  long long next;
  do {
    if (cur == LLONG_MAX) return 0;
    next = cur + 1 > now ? cur + 1 : now;
  } while (!atomic_compare_exchange_weak(&last_token, &cur, next));
  return next;
}

/* After a restore: later tokens must be larger than `token`. */
static void RaiseTokenTo(long long token) {
  long long cur = atomic_load(&last_token);
  while (cur < token && !atomic_compare_exchange_weak(&last_token, &cur, token)) {
  }
}

/* -------------------------------------------------------------------------------------------
 * The stored form "<token>:<owner>"
 * ----------------------------------------------------------------------------------------- */

typedef struct LockValue {
  long long token;
  const char *owner;
  size_t owner_len;
} LockValue;

/* Parses "<token>:<owner>": token a positive integer in canonical form (no sign, no leading
 * zero), owner non-empty. 1 if `p` is a lock. */
static int ParseLockValue(const char *p, size_t len, LockValue *out) {
  size_t i = 0;
  unsigned long long t = 0;
  if (len == 0 || p[0] < '1' || p[0] > '9') return 0;
  for (; i < len && p[i] != ':'; ++i) {
    if (p[i] < '0' || p[i] > '9' || i >= 19) return 0; /* 19 digits always fit; more never */
    t = t * 10 + (unsigned long long)(p[i] - '0');
  }
  if (i == len || i + 1 == len || t > (unsigned long long)LLONG_MAX) return 0;
  out->token = (long long)t;
  out->owner = p + i + 1;
  out->owner_len = len - i - 1;
  return 1;
}

/* What a lock key holds. */
typedef enum LockState { kFree, kLocked, kNotALock } LockState;

static LockState ReadLock(KVModuleKey *key, LockValue *lv) {
  const char *p;
  size_t len;
  /* GetBytes first: one lookup when the key holds bytes, the usual case. */
  if (api->GetBytes(key, &p, &len) == KV_OK)
    return ParseLockValue(p, len, lv) ? kLocked : kNotALock;
  return api->KeyType(key) == KV_KEYTYPE_EMPTY ? kFree : kNotALock;
}

static int SameOwner(const LockValue *lv, const char *owner, size_t owner_len) {
  return lv->owner_len == owner_len && memcmp(lv->owner, owner, owner_len) == 0;
}

/* Stores "<token>:<owner>" expiring at pxat. KV_OK or KV_ERR (out of memory). */
static int WriteLock(KVModuleKey *key, long long token, const char *owner, size_t owner_len,
                     long long pxat) {
  char small[256];
  char *buf = small;
  const size_t cap = kMaxI64Digits + 1 + owner_len;
  int rc;
  if (cap > sizeof small && (buf = malloc(cap)) == NULL) return KV_ERR;
  const int n = snprintf(buf, kMaxI64Digits + 1, "%lld", token);
  buf[n] = ':';
  memcpy(buf + n + 1, owner, owner_len);
  rc = api->SetBytes(key, buf, (size_t)n + 1 + owner_len, 0);
  if (rc == KV_OK) rc = api->SetExpire(key, pxat);
  if (buf != small) free(buf);
  return rc;
}

/* Logs the call as LOCK.RESTORE key owner token pxat: the lock exactly as it now is. */
static void LogRestore(KVModuleCtx *ctx, KVModuleString *key, const char *owner, size_t owner_len,
                       long long token, long long pxat) {
  char tok[kMaxI64Digits + 1], at[kMaxI64Digits + 1];
  const char *argv[5];
  size_t lens[5];
  argv[0] = "LOCK.RESTORE";
  lens[0] = strlen(argv[0]);
  argv[1] = api->StringPtrLen(key, &lens[1]);
  argv[2] = owner;
  lens[2] = owner_len;
  lens[3] = (size_t)snprintf(tok, sizeof tok, "%lld", token);
  argv[3] = tok;
  lens[4] = (size_t)snprintf(at, sizeof at, "%lld", pxat);
  argv[4] = at;
  api->LogCommandAs(ctx, 5, argv, lens);
}

/* -------------------------------------------------------------------------------------------
 * Argument helpers (…OrReply: on failure the error reply has been sent)
 * ----------------------------------------------------------------------------------------- */

/* A TTL in ms: a positive integer whose absolute expiry does not overflow. */
static int ParseTtlOrReply(KVModuleCtx *ctx, KVModuleString *arg, const char *cmd, long long now,
                           long long *pxat) {
  long long ttl;
  char err[64];
  if (api->StringToLongLong(arg, &ttl) != KV_OK) {
    api->ReplyWithError(ctx, kNotInteger);
    return 0;
  }
  if (ttl <= 0 || ttl > LLONG_MAX - now) {
    snprintf(err, sizeof err, "ERR invalid expire time in '%s' command", cmd);
    api->ReplyWithError(ctx, err);
    return 0;
  }
  *pxat = now + ttl;
  return 1;
}

static int OwnerOrReply(KVModuleCtx *ctx, KVModuleString *arg, const char **owner, size_t *len) {
  *owner = api->StringPtrLen(arg, len);
  if (*len == 0) {
    api->ReplyWithError(ctx, "ERR the lock owner must not be empty");
    return 0;
  }
  return 1;
}

/* -------------------------------------------------------------------------------------------
 * Commands
 * ----------------------------------------------------------------------------------------- */

/* LOCK key owner ttl_ms [WAIT ms]
 * -> the fencing token (a new one, or the current one when `owner` already holds the lock, whose
 *    TTL is then refreshed); nil when another owner holds it (after waiting up to `ms`). */
static int CmdLock(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  const char *owner;
  size_t owner_len;
  long long pxat, wait_ms = 0;
  const long long now = api->Milliseconds();
  LockValue lv;
  KVModuleKey *key;

  if (argc != 4 && argc != 6) {
    if (argc == 5 || argc > 6) return api->ReplyWithError(ctx, kSyntax);
    return api->WrongArity(ctx);
  }
  if (!OwnerOrReply(ctx, argv[2], &owner, &owner_len)) return KV_OK;
  if (!ParseTtlOrReply(ctx, argv[3], "lock", now, &pxat)) return KV_OK;
  if (argc == 6) {
    if (!api->StringEqualsIgnoreCase(argv[4], "WAIT"))
      return api->ReplyWithError(ctx, kSyntax);
    if (api->StringToLongLong(argv[5], &wait_ms) != KV_OK)
      return api->ReplyWithError(ctx, "ERR timeout is not an integer or out of range");
    if (wait_ms < 0) return api->ReplyWithError(ctx, "ERR timeout is negative");
  }

  key = api->OpenKey(ctx, argv[1], KV_READ | KV_WRITE);
  switch (ReadLock(key, &lv)) {
    case kNotALock:
      return api->ReplyWithError(ctx, kWrongTypeLock);
    case kLocked:
      if (SameOwner(&lv, owner, owner_len)) {
        /* A refresh, not a new acquisition: same token, new expiry. */
        if (api->SetExpire(key, pxat) != KV_OK)
          return api->ReplyWithError(ctx, "ERR could not refresh the lock");
        LogRestore(ctx, argv[1], owner, owner_len, lv.token, pxat);
        api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "lock", argv[1]);
        return api->ReplyWithLongLong(ctx, lv.token);
      }
      /* Held by another owner: wait (the host re-runs this handler every few ms; the deadline
       * is fixed by the first BlockClient call) or answer nil. */
      if (wait_ms > 0 && !api->IsBlockTimeout(ctx) && api->BlockClient(ctx, wait_ms) == KV_OK)
        return KV_OK;
      return api->ReplyWithNull(ctx);
    case kFree:
      break;
  }

  const long long token = NextToken();
  if (token == 0)
    return api->ReplyWithError(
        ctx, "ERR fencing tokens exhausted: the last token issued is 9223372036854775807");
  if (WriteLock(key, token, owner, owner_len, pxat) != KV_OK)
    return api->ReplyWithError(ctx, "ERR could not store the lock");
  LogRestore(ctx, argv[1], owner, owner_len, token, pxat);
  api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "lock", argv[1]);
  return api->ReplyWithLongLong(ctx, token);
}

/* Opens the lock at argv[1] for UNLOCK/EXTEND and checks that `owner` holds it. Returns the key
 * when it does; otherwise replies (0, or WRONGTYPE for a non-lock value) and returns NULL. */
static KVModuleKey *OwnedLockOrReply(KVModuleCtx *ctx, KVModuleString *name, const char *owner,
                                     size_t owner_len, LockValue *lv) {
  KVModuleKey *key = api->OpenKey(ctx, name, KV_READ | KV_WRITE);
  switch (ReadLock(key, lv)) {
    case kNotALock:
      api->ReplyWithError(ctx, kWrongTypeLock);
      return NULL;
    case kFree:
      api->ReplyWithLongLong(ctx, 0);
      return NULL;
    case kLocked:
      break;
  }
  if (!SameOwner(lv, owner, owner_len)) {
    api->ReplyWithLongLong(ctx, 0);
    return NULL;
  }
  return key;
}

/* UNLOCK key owner -> 1 released, 0 not held by owner. */
static int CmdUnlock(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  const char *owner;
  size_t owner_len;
  LockValue lv;
  KVModuleKey *key;

  if (argc != 3) return api->WrongArity(ctx);
  owner = api->StringPtrLen(argv[2], &owner_len);
  key = OwnedLockOrReply(ctx, argv[1], owner, owner_len, &lv);
  if (key == NULL) return KV_OK;
  /* Logged verbatim: replayed on the same state it releases the same lock. */
  if (api->DeleteKey(key) != KV_OK) return api->ReplyWithLongLong(ctx, 0);
  api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "unlock", argv[1]);
  return api->ReplyWithLongLong(ctx, 1);
}

/* EXTEND key owner ttl_ms -> 1 when owner holds the lock (its TTL is now ttl_ms), else 0. */
static int CmdExtend(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  const char *owner;
  size_t owner_len;
  long long pxat;
  LockValue lv;
  KVModuleKey *key;

  if (argc != 4) return api->WrongArity(ctx);
  owner = api->StringPtrLen(argv[2], &owner_len);
  if (!ParseTtlOrReply(ctx, argv[3], "extend", api->Milliseconds(), &pxat)) return KV_OK;
  key = OwnedLockOrReply(ctx, argv[1], owner, owner_len, &lv);
  if (key == NULL) return KV_OK;
  if (api->SetExpire(key, pxat) != KV_OK)
    return api->ReplyWithError(ctx, "ERR could not extend the lock");
  LogRestore(ctx, argv[1], owner, owner_len, lv.token, pxat);
  api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "extend", argv[1]);
  return api->ReplyWithLongLong(ctx, 1);
}

/* LOCK.RESTORE key owner token pxat -> OK. Sets the lock exactly (whatever the key held) and
 * makes later tokens larger than `token`. A pxat already past deletes the key instead, as the
 * lock would have expired by now. What recovery replays; an operator tool otherwise. */
static int CmdLockRestore(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  const char *owner;
  size_t owner_len;
  long long token, pxat;
  KVModuleKey *key;

  if (argc != 5) return api->WrongArity(ctx);
  if (!OwnerOrReply(ctx, argv[2], &owner, &owner_len)) return KV_OK;
  if (api->StringToLongLong(argv[3], &token) != KV_OK || token <= 0)
    return api->ReplyWithError(ctx, "ERR the fencing token must be a positive integer");
  if (api->StringToLongLong(argv[4], &pxat) != KV_OK)
    return api->ReplyWithError(ctx, kNotInteger);
  if (pxat <= 0)
    return api->ReplyWithError(ctx, "ERR invalid expire time in 'lock.restore' command");

  RaiseTokenTo(token);
  key = api->OpenKey(ctx, argv[1], KV_WRITE);
  if (pxat <= api->Milliseconds()) {
    api->DeleteKey(key);
  } else if (WriteLock(key, token, owner, owner_len, pxat) != KV_OK) {
    return api->ReplyWithError(ctx, "ERR could not store the lock");
  }
  return api->ReplyWithSimpleString(ctx, "OK");
}

/* -------------------------------------------------------------------------------------------
 * Registration
 * ----------------------------------------------------------------------------------------- */

int KVBuiltinLock_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                         int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "lock", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "lock", CmdLock, "write denyoom blocking @keyspace", -4, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "unlock", CmdUnlock, "write fast @keyspace", 3, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "extend", CmdExtend, "write fast @keyspace", 4, 1, 1, 1) != KV_OK ||
      api->CreateCommand(ctx, "lock.restore", CmdLockRestore, "write denyoom admin internal", 5, 1, 1,
                         1) != KV_OK)
    return KV_ERR;
  api->SetCommandDocs(ctx, "lock",
                      "Acquires or refreshes a lock and returns its fencing token; nil if another "
                      "owner holds it.",
                      "key owner ttl_ms [WAIT timeout_ms]");
  api->SetCommandDocs(ctx, "unlock", "Releases a lock held by owner: 1 released, 0 not held.",
                      "key owner");
  api->SetCommandDocs(ctx, "extend",
                      "Sets the TTL of a lock held by owner: 1 extended, 0 not held.",
                      "key owner ttl_ms");
  api->SetCommandDocs(ctx, "lock.restore",
                      "Sets a lock exactly (token and absolute expiry); what recovery replays.",
                      "key owner token unix-time-milliseconds");
  return KV_OK;
}
