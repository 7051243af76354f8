/* no_entry.c - test plugin: a shared library that does not export KVModule_OnLoad (its entry
 * point is misspelled). MODULE LOAD must say so and keep serving. */
#include "kvmodule.h"

int KVModule_Onload(KVModuleCtx *ctx, const KVModuleAPI *api, KVModuleString **argv, int argc);

int KVModule_Onload(KVModuleCtx *ctx, const KVModuleAPI *api, KVModuleString **argv, int argc) {
  (void)argv;
  (void)argc;
  return api->Init(ctx, "noentry", 1, KVMODULE_API_VERSION);
}
