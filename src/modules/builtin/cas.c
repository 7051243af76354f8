/* cas.c - CAS key expected new [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]:
 * compare-and-swap on type and value.
 *
 * Written against include/kvmodule.h only, like any external plugin (STYLE lesson 13); both
 * comparisons are the host's (ValueEquals, ValueString), so they cannot drift from what GET
 * returns.
 *
 * A native client sends typed values (api->ArgValue): `expected` matches when it equals the
 * stored value in type and value (api->ValueEquals: String is not Bytes, Int 42 is not the text
 * "42", Decimal 2.50 is not 2.5, Lists and Maps element by element), and `new` is stored with its
 * type, a List as a List.
 *
 * A RESP client can only send strings, so "equal by type and value" means: `expected` equals the
 * text the stored value reads as over RESP, compared byte for byte:
 *   Bytes    the bytes themselves;
 *   Int      its canonical integer form ("42", "-7": no '+', no leading zeros, no spaces);
 *   Float    its canonical form, the text GET returns (INCRBYFLOAT's "10.6", "3", "inf");
 *   Decimal  its canonical form, the text GET returns ("1.50", "1E+3");
 *   a missing (or expired) key, or a type this API cannot read, never equals anything.
 * So "10.60", "+6" or "06" never match a stored 10.6 or 6, though they name the same number:
 * CAS swaps only what a client just read back with GET.
 *
 * Over RESP the new value is stored as Bytes. Its expiry works like SET's: no option clears the TTL,
 * KEEPTTL keeps it, EX/PX/EXAT/PXAT set it (an absolute time in the past deletes the key).
 *
 * Logging: a successful swap is logged as its effect, SET key new [PXAT t | KEEPTTL], not as the
 * CAS: the replay then neither re-evaluates the comparison (which the clock could change, as
 * keys expire) nor re-reads a relative TTL; a typed `new` keeps its type there (LogArgValue). A
 * failed CAS changes nothing.
 *
 * docs/locks.md (section CAS) is the user-facing description; keep the two in step.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "kvmodule.h"

static const KVModuleAPI *api;

static const char kNotInteger[] = "ERR value is not an integer or out of range";
static const char kSyntax[] = "ERR syntax error";
static const char kInvalidExpire[] = "ERR invalid expire time in 'cas' command";

/* 1 if the value at `key` is argv[2]: the same typed value when the client sent one, else the
 * same text as GET over RESP shows (a Null, List or Map has none, so never matches text). */
static int Matches(KVModuleCtx *ctx, KVModuleKey *key, KVModuleString **argv) {
  const KVModuleValue *expected = api->ArgValue(ctx, 2);
  const KVModuleValue *cur;
  size_t len = 0, cur_len = 0;
  const char *text, *cur_text;
  if (expected != NULL) {
    cur = api->KeyValue(key);
    return cur != NULL && api->ValueEquals(cur, expected);
  }
  text = api->StringPtrLen(argv[2], &len);
  cur_text = api->ValueString(key, &cur_len);
  return cur_text != NULL && cur_len == len && memcmp(cur_text, text, len) == 0;
}

/* -------------------------------------------------------------------------------------------
 * CAS
 * ----------------------------------------------------------------------------------------- */

enum ExpiryKind { kClearTtl, kKeepTtl, kAbsolute };

/* Parses the options after `new`; *pxat gets the absolute expiry for kAbsolute. Returns 1, or
 * 0 after replying the error (SET's texts). */
static int ParseExpiryOrReply(KVModuleCtx *ctx, KVModuleString **argv, int argc, long long now,
                              enum ExpiryKind *kind, long long *pxat) {
  *kind = kClearTtl;
  for (int i = 4; i < argc; ++i) {
    const int ex = api->StringEqualsIgnoreCase(argv[i], "EX");
    const int px = api->StringEqualsIgnoreCase(argv[i], "PX");
    const int exat = api->StringEqualsIgnoreCase(argv[i], "EXAT");
    const int pxat_opt = api->StringEqualsIgnoreCase(argv[i], "PXAT");
    long long v;
    if (api->StringEqualsIgnoreCase(argv[i], "KEEPTTL") && *kind == kClearTtl) {
      *kind = kKeepTtl;
      continue;
    }
    if (!(ex || px || exat || pxat_opt) || *kind != kClearTtl || i + 1 >= argc) {
      api->ReplyWithError(ctx, kSyntax);
      return 0;
    }
    if (api->StringToLongLong(argv[++i], &v) != KV_OK) {
      api->ReplyWithError(ctx, kNotInteger);
      return 0;
    }
    if (v <= 0 || ((ex || exat) && v > LLONG_MAX / 1000)) {
      api->ReplyWithError(ctx, kInvalidExpire);
      return 0;
    }
    if (ex || exat) v *= 1000;
    if ((ex || px) && v > LLONG_MAX - now) {
      api->ReplyWithError(ctx, kInvalidExpire);
      return 0;
    }
    *pxat = (ex || px) ? now + v : v;
    *kind = kAbsolute;
  }
  return 1;
}

/* Logs the swap as SET key new [PXAT t | KEEPTTL], `new` with its type when it has one. */
static void LogAsSet(KVModuleCtx *ctx, KVModuleString **argv, const KVModuleValue *typed_new,
                     enum ExpiryKind kind, long long pxat) {
  char at[24];
  const char *out[5];
  size_t lens[5];
  int n = 3;
  out[0] = "SET";
  lens[0] = 3;
  out[1] = api->StringPtrLen(argv[1], &lens[1]);
  out[2] = api->StringPtrLen(argv[3], &lens[2]);
  if (kind == kKeepTtl) {
    out[n] = "KEEPTTL";
    lens[n++] = 7;
  } else if (kind == kAbsolute) {
    out[n] = "PXAT";
    lens[n++] = 4;
    lens[n] = (size_t)snprintf(at, sizeof at, "%lld", pxat);
    out[n++] = at;
  }
  api->LogCommandAs(ctx, n, out, lens);
  if (typed_new != NULL) api->LogArgValue(ctx, 2, typed_new);
}

/* CAS key expected new [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]
 * -> 1 swapped, 0 the current value is not `expected` (or the key does not exist). */
static int CmdCas(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  const long long now = api->Milliseconds();
  enum ExpiryKind kind;
  long long pxat = 0;
  const KVModuleValue *typed_new;
  const char *nv;
  size_t nv_len;
  int stored;
  KVModuleKey *key;

  if (!ParseExpiryOrReply(ctx, argv, argc, now, &kind, &pxat)) return KV_OK;
  key = api->OpenKey(ctx, argv[1], KV_READ | KV_WRITE);
  if (!Matches(ctx, key, argv)) return api->ReplyWithLongLong(ctx, 0);

  typed_new = api->ArgValue(ctx, 3);
  if (typed_new != NULL) {
    stored = api->SetValue(key, typed_new, kind == kKeepTtl);
  } else {
    nv = api->StringPtrLen(argv[3], &nv_len);
    stored = api->SetBytes(key, nv, nv_len, kind == kKeepTtl);
  }
  if (stored != KV_OK) return api->ReplyWithError(ctx, "ERR could not store the value");
  if (kind == kAbsolute) {
    /* Like SET ... PXAT with a time already past: the key is gone at once. */
    if (pxat <= now)
      api->DeleteKey(key);
    else
      api->SetExpire(key, pxat);
  }
  LogAsSet(ctx, argv, typed_new, kind, pxat);
  api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "cas", argv[1]);
  return api->ReplyWithLongLong(ctx, 1);
}

int KVBuiltinCas_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                        int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "cas", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "cas", CmdCas, "write denyoom fast @string", -4, 1, 1, 1) != KV_OK)
    return KV_ERR;
  api->SetCommandDocs(ctx, "cas",
                      "Sets key to new only if its current value is expected (type and value): "
                      "1 swapped, 0 not.",
                      "key expected new [EX seconds | PX milliseconds | "
                      "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]");
  return KV_OK;
}
