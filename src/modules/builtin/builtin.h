/* Entry points of the typed extensions compiled into kv-server. Each is written only against
 * include/kvmodule.h and has KVModule_OnLoad's signature; the host loads them at start-up
 * through the same API as an external plugin. One line per extension. */
#ifndef KV_MODULES_BUILTIN_H
#define KV_MODULES_BUILTIN_H

#include "kvmodule.h"

#ifdef __cplusplus
extern "C" {
#endif

int KVBuiltinDecimal_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *api, KVModuleString **argv, int argc);
int KVBuiltinLock_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *api, KVModuleString **argv, int argc);
int KVBuiltinCas_OnLoad(KVModuleCtx *ctx, const KVModuleAPI *api, KVModuleString **argv, int argc);

#ifdef __cplusplus
}
#endif

#endif /* KV_MODULES_BUILTIN_H */
