// The `cmsgpack` library Redis scripts have (lua-cmsgpack 0.4.0 as Redis 7.0 bundles it):
// cmsgpack.pack(...), cmsgpack.unpack(s), cmsgpack.unpack_one(s [, offset]) and
// cmsgpack.unpack_limit(s, limit [, offset]). Debian packages no build of it, so it is written
// here: packing writes the wire format through msgpack-c (libmsgpack-dev), unpacking walks the
// bytes itself, because Redis's decoder has semantics msgpack-c's object unpacker does not share
// (bin and ext refused, no nesting limit, errors in the order the bytes are read). Results and
// error texts are checked byte for byte against redis-server 7.0 (test_lua_cmsgpack.py).
// Internal to src/scripting.
#pragma once

struct lua_State;

namespace kv::scripting {

// Pushes the `cmsgpack` table; a lua_CFunction for luaL's library loader.
int OpenCmsgpack(lua_State* L);

}  // namespace kv::scripting
