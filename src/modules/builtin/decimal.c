/* decimal.c - exact decimal values: DECIMAL.SET, GET, MGET, INCRBY, DECRBY, MUL, DIV, CMP.
 *
 * Written only against include/kvmodule.h and Intel's BID library, like any external plugin
 * (STYLE lesson 13), plus core/decimal128.h, the header-only decimal code it shares with the
 * engine, so both parse and print decimals identically.
 *
 * Values are IEEE 754-2008 decimal128 (34 significant digits), stored as the host's Decimal
 * scalar: GET shows the canonical text, TYPE says string, a plain SET replaces it. Arithmetic is
 * exact or an error that leaves the key unchanged; the only rounding is the one a client asks
 * for with SCALE n (half-even, to n digits after the point).
 *
 * Reading a key as a decimal: a Decimal as it is; Bytes when they are a decimal literal (what
 * SET or APPEND stored); an Int exactly; a Float as the shortest decimal that reads back as the
 * same double. Anything else is an error ("ERR value is not a valid decimal", ...).
 *
 * Durability: every command is deterministic except DECIMAL.SET with a relative EX/PX, which
 * logs itself with the absolute PXAT instead (api->LogCommandAs).
 *
 * docs/decimal.md is the user-facing description, with every error text; keep the two in step.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "decimal128.h" /* src/core/decimal128.h */
#include "kvmodule.h"

static const KVModuleAPI *api;

static const char kSyntax[] = "ERR syntax error";
static const char kNotInteger[] = "ERR value is not an integer or out of range";
static const char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
static const char kNoSuchKey[] = "ERR no such key";
static const char kBadScale[] = "ERR SCALE must be an integer between 0 and 6176";

/* What ReadValue reports besides the KVDEC_* codes. */
#define READ_WRONGTYPE 100

/* -------------------------------------------------------------------------------------------
 * Conversions and error texts
 * ----------------------------------------------------------------------------------------- */

static BID_UINT128 FromKV(KVDecimal d) {
  BID_UINT128 x;
  x.w[0] = d.w[0];
  x.w[1] = d.w[1];
  return x;
}

static KVDecimal ToKV(BID_UINT128 x) {
  KVDecimal d;
  d.w[0] = x.w[0];
  d.w[1] = x.w[1];
  return d;
}

/* A decimal given as an argument, or stored at a key, that is not usable. */
static int ReplyValueError(KVModuleCtx *ctx, int st) {
  switch (st) {
    case READ_WRONGTYPE:
      return api->ReplyWithError(ctx, kWrongType);
    case KVDEC_NOT_FINITE:
      return api->ReplyWithError(ctx, "ERR decimal NaN and Infinity are not supported");
    case KVDEC_INEXACT:
      return api->ReplyWithError(
          ctx, "ERR decimal value is not exact (more than 34 significant digits)");
    case KVDEC_OUT_OF_RANGE:
      return api->ReplyWithError(ctx, "ERR decimal value is out of range");
    default:
      return api->ReplyWithError(ctx, "ERR value is not a valid decimal");
  }
}

/* A result that cannot be stored. */
static int ReplyResultError(KVModuleCtx *ctx, int st) {
  switch (st) {
    case KVDEC_INEXACT:
      return api->ReplyWithError(
          ctx, "ERR decimal result is not exact (more than 34 significant digits)");
    case KVDEC_OUT_OF_RANGE:
      return api->ReplyWithError(ctx, "ERR decimal result is out of range");
    case KVDEC_DIV_BY_ZERO:
      return api->ReplyWithError(ctx, "ERR division by zero");
    case KVDEC_SCALE_TOO_BIG:
      return api->ReplyWithError(
          ctx, "ERR decimal result has more than 34 significant digits at the requested SCALE");
    case KVDEC_BAD_SCALE:
      return api->ReplyWithError(ctx, kBadScale);
    default:
      return api->ReplyWithError(ctx, "ERR decimal NaN and Infinity are not supported");
  }
}

static int ParseArg(KVModuleString *arg, BID_UINT128 *out) {
  size_t len;
  const char *p = api->StringPtrLen(arg, &len);
  return kvdec_parse(p, len, out);
}

/* The shortest "%.*g" text that reads back as d: the decimal a person means by that double. */
static int FloatToDecimal(double d, BID_UINT128 *out) {
  char buf[40];
  int n = 0;
  if (!isfinite(d)) return KVDEC_NOT_FINITE;
  for (int prec = 1; prec <= 17; ++prec) {
    n = snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (strtod(buf, NULL) == d) break;
  }
  return kvdec_parse(buf, (size_t)n, out);
}

/* Reads the value at `key` as a decimal (see the header comment). *missing is set, and *out is
 * 0, for an empty key. Returns KVDEC_OK, a KVDEC_* reason, or READ_WRONGTYPE. */
static int ReadValue(KVModuleKey *key, BID_UINT128 *out, int *missing) {
  KVDecimal d;
  const char *p;
  size_t len;
  long long i;
  double f;
  *missing = 0;
  switch (api->KeyType(key)) {
    case KV_KEYTYPE_EMPTY:
      *missing = 1;
      *out = kvdec_make(0, 0, 0);
      return KVDEC_OK;
    case KV_KEYTYPE_DECIMAL:
      if (api->GetDecimal(key, &d) != KV_OK) return KVDEC_SYNTAX;
      *out = FromKV(d);
      return kvdec_is_finite(*out) ? KVDEC_OK : KVDEC_NOT_FINITE;
    case KV_KEYTYPE_BYTES:
      if (api->GetBytes(key, &p, &len) != KV_OK) return KVDEC_SYNTAX;
      return kvdec_parse(p, len, out);
    case KV_KEYTYPE_INT:
      if (api->GetInt(key, &i) != KV_OK) return KVDEC_SYNTAX;
      /* |i| as unsigned, LLONG_MIN included; at most 19 digits, always exact. */
      *out = kvdec_make(i < 0, i < 0 ? (kvdec_u128)(-(i + 1)) + 1 : (kvdec_u128)i, 0);
      return KVDEC_OK;
    case KV_KEYTYPE_FLOAT:
      if (api->GetFloat(key, &f) != KV_OK) return KVDEC_SYNTAX;
      return FloatToDecimal(f, out);
    default:
      return READ_WRONGTYPE;
  }
}

/* -------------------------------------------------------------------------------------------
 * DECIMAL.SET key value [NX | XX] [EX seconds | PX milliseconds | EXAT unix-time-seconds |
 *             PXAT unix-time-milliseconds | KEEPTTL]
 * ----------------------------------------------------------------------------------------- */

enum {
  kSetNx = 1 << 0,
  kSetXx = 1 << 1,
  kSetKeepTtl = 1 << 2,
  kSetEx = 1 << 3,
  kSetPx = 1 << 4,
  kSetExAt = 1 << 5,
  kSetPxAt = 1 << 6,
};
#define SET_ANY_EXPIRE (kSetEx | kSetPx | kSetExAt | kSetPxAt)

/* SET's option rules: a conflicting or unknown option, or a missing expire argument, is a
 * syntax error; the same expire option may repeat (the last one wins). */
static int ParseSetOptions(KVModuleString **argv, int argc, int *flags, int *expire_arg) {
  *flags = 0;
  *expire_arg = 0;
  for (int j = 3; j < argc; ++j) {
    KVModuleString *opt = argv[j];
    int expire_flag = 0;
    if (api->StringEqualsIgnoreCase(opt, "EX")) {
      expire_flag = kSetEx;
    } else if (api->StringEqualsIgnoreCase(opt, "PX")) {
      expire_flag = kSetPx;
    } else if (api->StringEqualsIgnoreCase(opt, "EXAT")) {
      expire_flag = kSetExAt;
    } else if (api->StringEqualsIgnoreCase(opt, "PXAT")) {
      expire_flag = kSetPxAt;
    }
    if (expire_flag) {
      if ((*flags & ((SET_ANY_EXPIRE & ~expire_flag) | kSetKeepTtl)) || j + 1 == argc) return 0;
      *flags |= expire_flag;
      *expire_arg = ++j;
    } else if (api->StringEqualsIgnoreCase(opt, "NX") && !(*flags & kSetXx)) {
      *flags |= kSetNx;
    } else if (api->StringEqualsIgnoreCase(opt, "XX") && !(*flags & kSetNx)) {
      *flags |= kSetXx;
    } else if (api->StringEqualsIgnoreCase(opt, "KEEPTTL") && !(*flags & SET_ANY_EXPIRE)) {
      *flags |= kSetKeepTtl;
    } else {
      return 0;
    }
  }
  return 1;
}

/* The absolute expiry in ms, with SET's errors. 1 on success, else the reply has been sent. */
static int ExpireAtOrReply(KVModuleCtx *ctx, KVModuleString *arg, int flags, long long now,
                           long long *at) {
  long long v;
  const int seconds = (flags & (kSetEx | kSetExAt)) != 0;
  const int relative = (flags & (kSetEx | kSetPx)) != 0;
  int valid;
  if (api->StringToLongLong(arg, &v) != KV_OK) {
    api->ReplyWithError(ctx, kNotInteger);
    return 0;
  }
  valid = v > 0 && !(seconds && v > LLONG_MAX / 1000);
  if (valid && seconds) v *= 1000;
  if (valid && relative) {
    valid = v <= LLONG_MAX - now;
    if (valid) v += now;
  }
  if (!valid) {
    api->ReplyWithError(ctx, "ERR invalid expire time in 'decimal.set' command");
    return 0;
  }
  *at = v;
  return 1;
}

/* Logs DECIMAL.SET key <canonical value> PXAT <at> [NX|XX]: a relative TTL made absolute. */
static void LogSetAbsolute(KVModuleCtx *ctx, KVModuleString *key, BID_UINT128 v, long long at,
                           int flags) {
  char text[KVDEC_STRING_MAX], when[24];
  const char *argv[6];
  size_t lens[6];
  int n = 0;
  argv[n] = "DECIMAL.SET";
  lens[n] = strlen(argv[n]);
  ++n;
  argv[n] = api->StringPtrLen(key, &lens[n]);
  ++n;
  lens[n] = kvdec_format(v, text);
  argv[n++] = text;
  argv[n] = "PXAT";
  lens[n++] = 4;
  lens[n] = (size_t)snprintf(when, sizeof when, "%lld", at);
  argv[n++] = when;
  if (flags & (kSetNx | kSetXx)) {
    argv[n] = (flags & kSetNx) ? "NX" : "XX";
    lens[n++] = 2;
  }
  api->LogCommandAs(ctx, n, argv, lens);
}

static int CmdSet(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  int flags, expire_arg, st, exists;
  long long at = KV_NO_EXPIRE;
  const long long now = api->Milliseconds();
  BID_UINT128 v;
  KVModuleKey *key;

  if (argc < 3) return api->WrongArity(ctx);
  if (!ParseSetOptions(argv, argc, &flags, &expire_arg)) return api->ReplyWithError(ctx, kSyntax);
  st = ParseArg(argv[2], &v);
  if (st != KVDEC_OK) return ReplyValueError(ctx, st);
  if (expire_arg && !ExpireAtOrReply(ctx, argv[expire_arg], flags, now, &at)) return KV_OK;

  if (flags & (kSetEx | kSetPx)) LogSetAbsolute(ctx, argv[1], v, at, flags);
  key = api->OpenKey(ctx, argv[1], KV_READ | KV_WRITE);
  exists = api->KeyType(key) != KV_KEYTYPE_EMPTY;
  if (((flags & kSetNx) && exists) || ((flags & kSetXx) && !exists))
    return api->ReplyWithNull(ctx);
  if (at != KV_NO_EXPIRE && at <= now) {
    /* An absolute time already past: the key would expire at once. */
    if (exists) {
      api->DeleteKey(key);
      api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "decimal.set", argv[1]);
    }
    return api->ReplyWithSimpleString(ctx, "OK");
  }
  if (api->SetDecimal(key, ToKV(v), (flags & kSetKeepTtl) != 0) != KV_OK ||
      (at != KV_NO_EXPIRE && api->SetExpire(key, at) != KV_OK))
    return api->ReplyWithError(ctx, "ERR could not store the value");
  api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, "decimal.set", argv[1]);
  return api->ReplyWithSimpleString(ctx, "OK");
}

/* -------------------------------------------------------------------------------------------
 * Reads
 * ----------------------------------------------------------------------------------------- */

/* DECIMAL.GET key -> the decimal, or nil when the key does not exist. */
static int CmdGet(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  BID_UINT128 v;
  int missing, st;
  if (argc != 2) return api->WrongArity(ctx);
  st = ReadValue(api->OpenKey(ctx, argv[1], KV_READ), &v, &missing);
  if (st != KVDEC_OK) return ReplyValueError(ctx, st);
  if (missing) return api->ReplyWithNull(ctx);
  return api->ReplyWithDecimal(ctx, ToKV(v));
}

/* DECIMAL.MGET key [key ...] -> one decimal per key; nil for a missing key or a value that is
 * not a decimal (as MGET answers nil for a key of another type). */
static int CmdMGet(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  BID_UINT128 v;
  int missing;
  if (argc < 2) return api->WrongArity(ctx);
  api->ReplyWithArray(ctx, argc - 1);
  for (int i = 1; i < argc; ++i) {
    KVModuleKey *key = api->OpenKey(ctx, argv[i], KV_READ);
    if (ReadValue(key, &v, &missing) == KVDEC_OK && !missing)
      api->ReplyWithDecimal(ctx, ToKV(v));
    else
      api->ReplyWithNull(ctx);
    api->CloseKey(key);
  }
  return KV_OK;
}

/* DECIMAL.CMP key value -> -1, 0 or 1 as the stored decimal is less than, equal to or greater
 * than value (numerically: 1.0 equals 1.00). A missing key is an error, not zero. */
static int CmdCmp(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  BID_UINT128 cur, other;
  int missing, st;
  if (argc != 3) return api->WrongArity(ctx);
  st = ParseArg(argv[2], &other);
  if (st != KVDEC_OK) return ReplyValueError(ctx, st);
  st = ReadValue(api->OpenKey(ctx, argv[1], KV_READ), &cur, &missing);
  if (st != KVDEC_OK) return ReplyValueError(ctx, st);
  if (missing) return api->ReplyWithError(ctx, kNoSuchKey);
  return api->ReplyWithLongLong(ctx, kvdec_compare(cur, other));
}

/* -------------------------------------------------------------------------------------------
 * Arithmetic in place
 * ----------------------------------------------------------------------------------------- */

enum { kOpAdd, kOpSub, kOpMul, kOpDiv };
/* Each operation's keyspace event: its command's name. */
static const char *const kArithEvents[] = {"decimal.incrby", "decimal.decrby", "decimal.mul",
                                           "decimal.div"};

/* DECIMAL.INCRBY / DECRBY key delta: a missing key counts as 0.
 * DECIMAL.MUL / DIV key operand [SCALE n]: a missing key is an error.
 * The result replaces the value (keeping the key's TTL) and is the reply; a result that is not
 * exact (or out of range, or x/0) is an error and the key is left as it was. */
static int Arith(KVModuleCtx *ctx, KVModuleString **argv, int argc, int op) {
  BID_UINT128 cur, operand, result;
  int missing, st;
  long long scale = -1;
  KVModuleKey *key;

  if (argc < 3) return api->WrongArity(ctx);
  if (op == kOpAdd || op == kOpSub) {
    if (argc != 3) return api->WrongArity(ctx);
  } else if (argc != 3) {
    if (argc != 5 || !api->StringEqualsIgnoreCase(argv[3], "SCALE"))
      return api->ReplyWithError(ctx, kSyntax);
    if (api->StringToLongLong(argv[4], &scale) != KV_OK || scale < 0 ||
        scale > KVDEC_MAX_SCALE)
      return api->ReplyWithError(ctx, kBadScale);
  }
  st = ParseArg(argv[2], &operand);
  if (st != KVDEC_OK) return ReplyValueError(ctx, st);

  key = api->OpenKey(ctx, argv[1], KV_READ | KV_WRITE);
  st = ReadValue(key, &cur, &missing);
  if (st != KVDEC_OK) return ReplyValueError(ctx, st);
  if (missing && (op == kOpMul || op == kOpDiv)) return api->ReplyWithError(ctx, kNoSuchKey);

  switch (op) {
    case kOpAdd:
      st = kvdec_add(cur, operand, &result);
      break;
    case kOpSub:
      st = kvdec_sub(cur, operand, &result);
      break;
    case kOpMul:
      st = scale < 0 ? kvdec_mul(cur, operand, &result)
                     : kvdec_op_scaled(KVDEC_OP_MUL, cur, operand, (int)scale, &result);
      break;
    default:
      st = scale < 0 ? kvdec_div(cur, operand, &result)
                     : kvdec_op_scaled(KVDEC_OP_DIV, cur, operand, (int)scale, &result);
      break;
  }
  if (st != KVDEC_OK) return ReplyResultError(ctx, st);
  if (api->SetDecimal(key, ToKV(result), 1) != KV_OK)
    return api->ReplyWithError(ctx, "ERR could not store the value");
  api->NotifyKeyspaceEvent(ctx, KV_NOTIFY_MODULE, kArithEvents[op], argv[1]);
  return api->ReplyWithDecimal(ctx, ToKV(result));
}

static int CmdIncrBy(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  return Arith(ctx, argv, argc, kOpAdd);
}
static int CmdDecrBy(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  return Arith(ctx, argv, argc, kOpSub);
}
static int CmdMul(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  return Arith(ctx, argv, argc, kOpMul);
}
static int CmdDiv(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  return Arith(ctx, argv, argc, kOpDiv);
}

/* -------------------------------------------------------------------------------------------
 * Registration
 * ----------------------------------------------------------------------------------------- */

typedef struct DecimalCommand {
  const char *name;
  KVModuleCmdFunc fn;
  const char *flags;
  int arity, firstkey, lastkey, keystep;
  const char *summary;
  const char *syntax;
} DecimalCommand;

static const DecimalCommand kCommands[] = {
    {"decimal.set", CmdSet, "write denyoom @string", -3, 1, 1, 1,
     "Sets a key to an exact decimal (decimal128, 34 digits).",
     "key value [NX | XX] [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
     "PXAT unix-time-milliseconds | KEEPTTL]"},
    {"decimal.get", CmdGet, "readonly fast @string", 2, 1, 1, 1,
     "Returns the decimal at a key; nil if it does not exist.", "key"},
    {"decimal.mget", CmdMGet, "readonly fast @string", -2, 1, -1, 1,
     "Returns the decimals at the keys; nil for a missing key or a value that is not one.",
     "key [key ...]"},
    {"decimal.incrby", CmdIncrBy, "write denyoom fast @string", 3, 1, 1, 1,
     "Adds an exact decimal to a key (a missing key is 0); errors rather than round.",
     "key delta"},
    {"decimal.decrby", CmdDecrBy, "write denyoom fast @string", 3, 1, 1, 1,
     "Subtracts an exact decimal from a key (a missing key is 0); errors rather than round.",
     "key delta"},
    {"decimal.mul", CmdMul, "write denyoom fast @string", -3, 1, 1, 1,
     "Multiplies a decimal key: exactly, or rounded half-even to SCALE digits after the point.",
     "key factor [SCALE digits]"},
    {"decimal.div", CmdDiv, "write denyoom fast @string", -3, 1, 1, 1,
     "Divides a decimal key: exactly, or rounded half-even to SCALE digits after the point.",
     "key divisor [SCALE digits]"},
    {"decimal.cmp", CmdCmp, "readonly fast @string", 3, 1, 1, 1,
     "Compares a decimal key with a value numerically: -1, 0 or 1.", "key value"},
};

int KVBuiltinDecimal_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                            int argc) {
  (void)argv;
  (void)argc;
  api = host_api;
  if (api->Init(ctx, "decimal", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;
  for (size_t i = 0; i < sizeof kCommands / sizeof kCommands[0]; ++i) {
    const DecimalCommand *c = &kCommands[i];
    if (api->CreateCommand(ctx, c->name, c->fn, c->flags, c->arity, c->firstkey, c->lastkey,
                           c->keystep) != KV_OK)
      return KV_ERR;
    api->SetCommandDocs(ctx, c->name, c->summary, c->syntax);
  }
  return KV_OK;
}
