// The `struct` library Redis scripts have (Roberto Ierusalimschy's struct 0.2 as Redis bundles
// it): struct.pack, struct.unpack and struct.size over a format string of byte order,
// alignment, integers of 1 to 32 bytes, floats, doubles, fixed and zero-terminated strings.
// Debian packages no build of it for Lua 5.1, so it is written here, to the same formats,
// results and error texts (checked against redis-server 7.0). Internal to src/scripting.
#pragma once

struct lua_State;

namespace kv::scripting {

// Pushes the `struct` table (pack, unpack, size); a lua_CFunction for luaL's library loader.
int OpenStruct(lua_State* L);

}  // namespace kv::scripting
