/* cas.c - CAS key expected new [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]:
 * compare-and-swap on type and value.
 *
 * Written against include/kvmodule.h only, like any external plugin (STYLE lesson 13); the
 * comparison uses api->ValueString, the host's own text of a value, so it cannot drift from
 * what GET returns.
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
 * The new value is stored as Bytes. Its expiry works like SET's: no option clears the TTL,
 * KEEPTTL keeps it, EX/PX/EXAT/PXAT set it (an absolute time in the past deletes the key).
 *
 * Logging: a successful swap is logged as its effect, SET key new [PXAT t | KEEPTTL], not as the
 * CAS: the replay then neither re-evaluates the comparison (which the clock could change, as
 * keys expire) nor re-reads a relative TTL. A failed CAS changes nothing.
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

/* 1 if the value at `key` reads over RESP exactly as expected[0..len). */
static int ValueEquals(KVModuleKey *key, const char *expected, size_t len) {
  size_t cur_len = 0;
  const char *cur = api->ValueString(key, &cur_len);
  return cur != NULL && cur_len == len && memcmp(cur, expected, len) == 0;
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

/* Logs the swap as SET key new [PXAT t | KEEPTTL]. */
static void LogAsSet(KVModuleCtx *ctx, KVModuleString **argv, enum ExpiryKind kind,
                     long long pxat) {
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
}

/* CAS key expected new [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]
 * -> 1 swapped, 0 the current value is not `expected` (or the key does not exist). */
static int CmdCas(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  const long long now = api->Milliseconds();
  enum ExpiryKind kind;
  long long pxat = 0;
  const char *expected, *nv;
  size_t expected_len, nv_len;
  KVModuleKey *key;

  if (!ParseExpiryOrReply(ctx, argv, argc, now, &kind, &pxat)) return KV_OK;
  key = api->OpenKey(ctx, argv[1], KV_READ | KV_WRITE);
  expected = api->StringPtrLen(argv[2], &expected_len);
  if (!ValueEquals(key, expected, expected_len)) return api->ReplyWithLongLong(ctx, 0);

  nv = api->StringPtrLen(argv[3], &nv_len);
  if (api->SetBytes(key, nv, nv_len, kind == kKeepTtl) != KV_OK)
    return api->ReplyWithError(ctx, "ERR could not store the value");
  if (kind == kAbsolute) {
    /* Like SET ... PXAT with a time already past: the key is gone at once. */
    if (pxat <= now)
      api->DeleteKey(key);
    else
      api->SetExpire(key, pxat);
  }
  LogAsSet(ctx, argv, kind, pxat);
  return api->ReplyWithLongLong(ctx, 1);
}

int KVBuiltinCas_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                        int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "cas", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  if (api->CreateCommand(ctx, "cas", CmdCas, "write denyoom fast", -4, 1, 1, 1) != KV_OK)
    return KV_ERR;
  api->SetCommandDocs(ctx, "cas",
                      "Sets key to new only if its current value is expected (type and value): "
                      "1 swapped, 0 not.",
                      "key expected new [EX seconds | PX milliseconds | "
                      "EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]");
  return KV_OK;
}
