// kv-cli's reply printer (docs/kv-cli.md, "Output"): a typed native value as redis-cli would
// show it, with the native types made visible.
//
// Formatted (the default on a terminal): `(integer) 42`, `(float) 1.5`, `(decimal) 19.99`,
// `"text"` for a String, `b"\x00"` for Bytes, `(nil)` for Null, lists as numbered lines
// (`1) ...`, nested ones indented under their number, like redis-cli), maps as RESP3 maps in
// redis-cli (`1# "key" => value`), `(empty array)` / `(empty hash)`.
// Raw (--raw, the default when stdout is not a terminal): one scalar per line, strings and bytes
// as they are, numbers in their literal form without a type tag, Null as an empty line; lists
// and maps flattened (a map as key line, value line).
#pragma once

#include <string>
#include <string_view>

#include "native_proto/value.h"

namespace kv::cli {

enum class OutputMode { kFormatted, kRaw };

// The value's lines, each ending with '\n'.
std::string FormatValue(const native::Value& v, OutputMode mode);

// An error reply's line: `(error) MESSAGE` formatted, `MESSAGE` raw.
std::string FormatError(std::string_view message, OutputMode mode);

}  // namespace kv::cli
