// The function libraries as data, for persistence (function_family.cc): a snapshot takes every
// library's code, and recovery or DEBUG RELOAD puts a snapshot's back. Thread contract: any
// thread; both take the libraries' lock (after any shard lock the caller holds, the order
// FUNCTION and FCALL take them in).
#pragma once

#include <string>
#include <vector>

namespace kv {

// INFO memory's number_of_libraries and number_of_functions (FUNCTION STATS's counts).
struct FunctionCounts {
  size_t libraries = 0;
  size_t functions = 0;
};
FunctionCounts CountFunctions();
// Every library's code, as FUNCTION LOAD took it, in name order.
std::vector<std::string> FunctionLibraryCodes();
// Replaces every library with `codes` (as FUNCTION RESTORE ... FLUSH), loading each on this
// thread's engine. Returns "" or the first error (Redis's text without "ERR "); on an error the
// libraries are left as they were.
std::string ReplaceFunctionLibraries(const std::vector<std::string>& codes);

}  // namespace kv
