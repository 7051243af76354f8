/* hello.c - the example kv-server plugin, walked through in docs/plugins.md.
 *
 * It registers two commands:
 *   HELLO.GREET name          (read, no keys)  -> "<greeting>, <name>!"
 *   HELLO.COUNTER key [by]    (write, one key) -> adds `by` (default 1) to the integer at key
 *
 * and takes one optional load argument, the greeting (default "Hello"):
 *   MODULE LOAD /path/to/hello.so Howdy
 *   kv-server --loadmodule /path/to/hello.so Howdy
 *
 * Build it with nothing but the plugin header:
 *   cc -shared -fPIC -Iinclude examples/hello_module/hello.c -o hello.so
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "kvmodule.h"

/* The host's function table, kept from KVModule_OnLoad: it stays valid while the plugin is
 * loaded. */
static const KVModuleAPI *api;

/* The greeting, copied from the load arguments (the argument strings are only valid during
 * KVModule_OnLoad). Set in KVModule_OnLoad, not only here: after MODULE UNLOAD the host keeps
 * the library mapped, so a later MODULE LOAD of the same file finds the old values. */
static char greeting[64];

/* HELLO.GREET name -> "<greeting>, <name>!" */
static int HelloGreet(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  size_t glen = strlen(greeting), nlen;
  const char *name;
  char *reply;
  int rc;

  if (argc != 2) return api->WrongArity(ctx); /* the host checks arity too; belt and braces */
  name = api->StringPtrLen(argv[1], &nlen);
  reply = malloc(glen + 2 + nlen + 1);
  if (reply == NULL) return api->ReplyWithError(ctx, "ERR out of memory");
  memcpy(reply, greeting, glen);
  memcpy(reply + glen, ", ", 2);
  memcpy(reply + glen + 2, name, nlen);
  reply[glen + 2 + nlen] = '!';
  rc = api->ReplyWithStringBuffer(ctx, reply, glen + 2 + nlen + 1);
  free(reply);
  return rc;
}

/* HELLO.COUNTER key [by] -> the new value. The key holds a typed Int (as INCR leaves it); a
 * missing key counts as 0. Its expiry, if any, is kept, as INCR keeps it. */
static int HelloCounter(KVModuleCtx *ctx, KVModuleString **argv, int argc) {
  long long by = 1, cur = 0;
  KVModuleKey *key;

  if (argc > 3) return api->WrongArity(ctx);
  if (argc == 3 && api->StringToLongLong(argv[2], &by) != KV_OK)
    return api->ReplyWithError(ctx, "ERR value is not an integer or out of range");

  key = api->OpenKey(ctx, argv[1], KV_READ | KV_WRITE);
  switch (api->KeyType(key)) {
    case KV_KEYTYPE_EMPTY:
      break;
    case KV_KEYTYPE_INT:
      api->GetInt(key, &cur);
      break;
    default:
      return api->ReplyWithError(ctx, "WRONGTYPE HELLO.COUNTER needs an integer value");
  }
  if ((by > 0 && cur > LLONG_MAX - by) || (by < 0 && cur < LLONG_MIN - by))
    return api->ReplyWithError(ctx, "ERR increment or decrement would overflow");
  api->SetInt(key, cur + by, 1 /* keep the expiry */);
  /* Deterministic: the host logs the command as sent, no LogCommandAs needed. */
  return api->ReplyWithLongLong(ctx, cur + by);
}

int KVModule_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *host_api, KVModuleString **argv,
                    int argc) {
  api = host_api;
  /* First: name the plugin and say which API version it was built against. */
  if (api->Init(ctx, "hello", 1, KVMODULE_API_VERSION) != KV_OK) return KV_ERR;

  if (argc > 1) {
    api->Log(ctx, "warning", "expected at most one argument (the greeting), got %d", argc);
    return KV_ERR;
  }
  strcpy(greeting, "Hello");
  if (argc == 1) {
    size_t len;
    const char *g = api->StringPtrLen(argv[0], &len);
    if (len == 0 || len >= sizeof greeting) {
      api->Log(ctx, "warning", "the greeting must be 1 to %d bytes", (int)sizeof greeting - 1);
      return KV_ERR;
    }
    memcpy(greeting, g, len);
    greeting[len] = '\0';
  }

  /*                           name             handler       flags                 arity keys */
  if (api->CreateCommand(ctx, "hello.greet", HelloGreet, "readonly fast", 2, 0, 0, 0) != KV_OK ||
      api->CreateCommand(ctx, "hello.counter", HelloCounter, "write denyoom fast", -2, 1, 1, 1) !=
          KV_OK)
    return KV_ERR;
  api->SetCommandDocs(ctx, "hello.greet", "Greets name with the greeting given at load time.",
                      "name");
  api->SetCommandDocs(ctx, "hello.counter", "Adds by (default 1) to the integer at key.",
                      "key [by]");
  return KV_OK;
}
