"""The `cmsgpack` library inside scripts, side by side with Debian's redis-server: every script
runs on both servers and the raw reply bytes must be identical, error texts included (the error
names the script's sha1, the same on both). Fixed scripts cover the type and header boundaries
and every error; seeded random values, random and mutated buffers cover the rest."""

import random
import struct

import pytest

from conftest import RespError, parse_resp

SCRIPTS = [
    # numbers: integers at every header boundary, -0, floats exact in float32 or not, the
    # edges of int64, infinities and NaN
    "return cmsgpack.pack(0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296)",
    "return cmsgpack.pack(-1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)",
    "return cmsgpack.pack(-0.0, 0.5, 1.5, 0.1, -0.1, 1e20, -1e20, 1e300, 1e-300, 3.4028234663852886e38)",
    "return cmsgpack.pack(2^53, 2^53 + 1, 2^63, -2^63, 2^64, -2^64, 2^63 - 1024)",
    "return cmsgpack.pack(1/0, -1/0, 0/0, -(0/0))",
    "return cmsgpack.pack(9007199254740993, 123456789012345678)",
    # strings: header boundaries, binary bytes
    "return cmsgpack.pack('', 'a', string.rep('x', 31), string.rep('x', 32))",
    "return cmsgpack.pack(string.rep('y', 255), string.rep('y', 256))",
    "return cmsgpack.pack(string.rep('z', 65535)):sub(1, 8)",
    "return cmsgpack.pack(string.rep('z', 65536)):sub(1, 8)",
    "return cmsgpack.pack('\\0\\1\\255\\r\\n')",
    # other types
    "return cmsgpack.pack(true, false, nil)",
    "return cmsgpack.pack(cmsgpack.pack, coroutine.create(function () end))",
    # tables: arrays, holes, maps, mixed keys, boundaries, nesting
    "return cmsgpack.pack({})",
    "return cmsgpack.pack({{}, {{}}, {a={}}})",
    "return cmsgpack.pack({1, 2, nil, 4})",
    "return cmsgpack.pack({[1]=1, [2]=2, [4]=4})",
    "return cmsgpack.pack({[0]=0, 1})",
    "return cmsgpack.pack({[-1]=1})",
    "return cmsgpack.pack({[1.5]=1})",
    "return cmsgpack.pack({['1']=1})",
    "return cmsgpack.pack({[2^31]=1})",
    "return cmsgpack.pack({[true]=1, [false]=0})",
    "return cmsgpack.pack({a=1, b={1, 2}, c={d='e'}})",
    "return cmsgpack.pack({1, 2, x='y'})",
    "local t = {} for i = 1, 15 do t[i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 65535 do t[i] = i % 200 end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 65536 do t[i] = i % 200 end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 15 do t['k' .. i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 16 do t['k' .. i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 65535 do t['k' .. i] = i end return cmsgpack.pack(t)",
    "local t = {} for i = 1, 65536 do t['k' .. i] = i end return cmsgpack.pack(t)",
    "local t = {} t[1] = t return cmsgpack.pack(t)",
    "local t = {} t.self = t return cmsgpack.pack(t)",
    "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)",
    "local t = setmetatable({}, {__index = function () return 1 end}) return cmsgpack.pack(t)",
    "return cmsgpack.pack(KEYS, ARGV)",
    # pack errors
    "return cmsgpack.pack()",
    "local t = {} for i = 1, 4001 do t[i] = i end return #cmsgpack.pack(unpack(t))",
    "local t = {} for i = 1, 3999 do t[i] = i end return #cmsgpack.pack(unpack(t))",
    # unpack: every value back, round trips
    "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {1, 2}))}",
    "return select('#', cmsgpack.unpack(cmsgpack.pack(nil, 1, nil)))",
    "return tostring(cmsgpack.unpack(cmsgpack.pack(0.1)))",
    "return tostring(cmsgpack.unpack(cmsgpack.pack(1.5)))",
    "return tostring(cmsgpack.unpack('\\203\\127\\240\\0\\0\\0\\0\\0\\0'))",
    "return tostring(cmsgpack.unpack('\\202\\127\\192\\0\\0'))",
    "return tostring(cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255'))",
    "return tostring(cmsgpack.unpack('\\207\\128\\0\\0\\0\\0\\0\\0\\0'))",
    "return tostring(cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0'))",
    "return tostring(cmsgpack.unpack('\\206\\255\\255\\255\\255'))",
    "return tostring(cmsgpack.unpack('\\210\\128\\0\\0\\0'))",
    "return cmsgpack.unpack('')",
    "return select('#', cmsgpack.unpack(''))",
    "local t = cmsgpack.unpack(cmsgpack.pack({a=1, b={1, 2}})) return {t.a, t.b[2]}",
    "local t = {} for i = 1, 10000 do t[i] = i end return select('#', cmsgpack.unpack(cmsgpack.pack(unpack(t, 1, 3000))))",
    "return select('#', cmsgpack.unpack(string.rep('\\1', 7990)))",
    "return select('#', cmsgpack.unpack(string.rep('\\1', 8000)))",
    "return type(cmsgpack.unpack(string.rep('\\145', 3990) .. '\\1'))",
    "return type(cmsgpack.unpack(string.rep('\\145', 5000) .. '\\1'))",
    "return type(cmsgpack.unpack(string.rep('\\129\\1', 5000) .. '\\1'))",
    # unpack errors
    "return cmsgpack.unpack()",
    "return cmsgpack.unpack({})",
    "return cmsgpack.unpack(12)",
    "return cmsgpack.unpack('\\147\\1\\2')",
    "return cmsgpack.unpack('\\193')",
    "return cmsgpack.unpack('\\196\\1a')",
    "return cmsgpack.unpack('\\196\\9a')",
    "return cmsgpack.unpack('\\199\\1\\1a')",
    "return cmsgpack.unpack('\\212\\1a')",
    "return cmsgpack.unpack('\\129\\192\\1')",
    "return cmsgpack.unpack('\\129\\203\\127\\248\\0\\0\\0\\0\\0\\0\\1')",
    "return cmsgpack.unpack('\\129\\192\\193')",
    "return cmsgpack.unpack('\\221\\255\\255\\255\\255')",
    "return cmsgpack.unpack('\\223\\255\\255\\255\\255\\1')",
    "return cmsgpack.unpack('\\219\\255\\255\\255\\255abc')",
    "return cmsgpack.unpack('\\1\\2\\193')",
    # unpack_one / unpack_limit: offsets, limits, their errors
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 'ab', 3))}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 'ab', 3), 1)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 'ab', 3), 4)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 'ab', 3), 5)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 'ab', 3), 6)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), '1')}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 1.7)}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 'x')}",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), -1)}",
    "return {cmsgpack.unpack_one('', 0)}",
    "return {cmsgpack.unpack_one('\\1\\193', 0)}",
    "return {cmsgpack.unpack_one()}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 2, 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 9)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 0)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 0, 1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), -1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 1, -5)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4))}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 'x')}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3, 4), 1, 99)}",
    # the table: fields, read-only
    "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}",
    "return {type(cmsgpack.pack), type(cmsgpack.unpack), type(cmsgpack.unpack_one), type(cmsgpack.unpack_limit)}",
    "cmsgpack.pack = nil return 1",
    "cmsgpack.extra = 1 return 1",
]

# Unpacks ARGV[1] and returns the values in a canonical form (a table in the reply would lose
# non-array parts and floats), or the error text; the count comes first. Tables are written
# with their entries sorted: a mutated buffer can make a map with long string keys, whose
# iteration order differs from Redis's (see _lua_string).
CANON = """
local function canon(v)
  if type(v) ~= 'table' then return cmsgpack.pack(v) end
  local parts = {}
  for k, x in pairs(v) do parts[#parts + 1] = canon(k) .. '=' .. canon(x) end
  table.sort(parts)
  return '{' .. table.concat(parts, ',') .. '}'
end
local function out(ok, ...)
  if not ok then return 'E:' .. tostring((...)) end
  local n = select('#', ...)
  local parts = {}
  for i = 1, n do parts[i] = canon((select(i, ...))) end
  return {n, table.concat(parts, ';')}
end
"""
UNPACK_SCRIPT = CANON + "return out(pcall(cmsgpack.unpack, ARGV[1]))"
UNPACK_ONE_SCRIPT = CANON + "return out(pcall(cmsgpack.unpack_limit, ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])))"


def _eval(server, script, *args):
    with server.raw() as r:
        r.send_command("EVAL", script, "0", *args)
        return r.read_reply_bytes()


def _eval_many(server, calls):
    """Replies of many EVALs, pipelined on one connection."""
    out = []
    with server.raw() as r:
        for i in range(0, len(calls), 200):
            batch = calls[i:i + 200]
            r.send(b"".join(r.encode("EVAL", script, "0", *args) for script, *args in batch))
            out.extend(r.read_reply_bytes(timeout=30) for _ in batch)
    return out


def _compare(kv, redis_ref, calls):
    mine, theirs = _eval_many(kv, calls), _eval_many(redis_ref, calls)
    diffs = [(c, m, t) for c, m, t in zip(calls, mine, theirs) if m != t]
    assert not diffs, "\n".join(f"{str(c)[:300]}\n  kv-server: {m[:300]!r}\n  redis:     {t[:300]!r}"
                                for c, m, t in diffs[:5]) + f"\n({len(diffs)} of {len(calls)} differ)"
    return theirs


@pytest.mark.parametrize("script", SCRIPTS)
def test_cmsgpack_as_redis(kv, redis_ref, script):
    mine, theirs = _eval(kv, script), _eval(redis_ref, script)
    assert mine == theirs, f"{script}\n  kv-server: {mine[:300]!r}\n  redis:     {theirs[:300]!r}"


def test_cmsgpack_cases_exercise_errors_and_values(redis_ref):
    errors = sum(isinstance(parse_resp(_eval(redis_ref, s)), RespError) for s in SCRIPTS)
    assert errors >= 20 and len(SCRIPTS) - errors >= 60


# ---- random values, as Lua source

def _lua_string(rng, short=False):
    # Map keys stay under 32 bytes: Redis's Lua hashes every byte of a string, Debian's only
    # samples long ones, so tables with long string keys iterate in another order
    # (docs/scripting.md).
    n = rng.choice([0, 1, 5, 31] if short else [0, 1, 5, 31, 32, 33, 100, 255, 256, 300])
    data = bytes(rng.randrange(256) for _ in range(n)) if rng.random() < 0.5 else \
        bytes(rng.choice(b"abcxyz") for _ in range(n))
    return "'" + "".join(f"\\{b}" for b in data) + "'"


def _lua_number(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return str(rng.randrange(-40, 140))
    if kind == 1:
        return str(rng.choice([1, -1]) * rng.randrange(2 ** rng.choice([8, 16, 31, 32, 33, 53, 62])))
    if kind == 2:
        return rng.choice(["1/0", "-1/0", "0/0", "-0.0", "2^63", "-2^63", "2^64", "2^31", "-2^31 - 1"])
    if kind == 3:
        return repr(struct.unpack("f", struct.pack("f", rng.uniform(-1e6, 1e6)))[0])
    if kind == 4:
        return repr(rng.uniform(-1e6, 1e6))
    if kind == 5:
        return repr(rng.choice([1, -1]) * 10.0 ** rng.randrange(-320, 309))
    if kind == 6:
        return repr(rng.randrange(-1000, 1000) / 8)
    return repr(struct.unpack("d", rng.randbytes(8))[0]).replace("inf", "(1/0)").replace("nan", "(0/0)")


def _lua_value(rng, depth):
    if depth == 0 and rng.random() < 0.05:  # a chain past the nesting limit
        return "{" * 18 + _lua_value(rng, 5) + "}" * 18
    kind = rng.randrange(10 if depth < 4 else 6)
    if kind < 2:
        return _lua_number(rng)
    if kind < 4:
        return _lua_string(rng)
    if kind == 4:
        return rng.choice(["true", "false"])
    if kind == 5:
        return rng.choice(["nil", "cmsgpack.pack", "{}"])
    n = rng.choice([0, 1, 2, 3, 5, 15, 16, 17] if depth < 2 else [0, 1, 2, 3])
    if kind < 8:  # array, sometimes with holes or extra keys
        items = [_lua_value(rng, depth + 1) for _ in range(n)]
        if rng.random() < 0.2:
            items.append(f"[{rng.choice([0, -1, 1.5, 100, 2 ** 40])}] = {_lua_value(rng, depth + 1)}")
        return "{" + ", ".join(items) + "}"
    keys = [rng.choice([_lua_string(rng, short=True), _lua_number(rng).replace("0/0", "1"), "true", "false"])
            for _ in range(n)]
    return "{" + ", ".join(f"[{k}] = {_lua_value(rng, depth + 1)}" for k in keys) + "}"


def test_cmsgpack_random_values_as_redis(kv, redis_ref):
    rng = random.Random(20261205)
    calls = []
    for _ in range(400):
        values = ", ".join(_lua_value(rng, 0) for _ in range(rng.randrange(1, 4)))
        calls.append((f"return cmsgpack.pack({values})",))
        calls.append((f"local n = select('#', {values}) return {{n, cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack({values})))}}",))
    replies = _compare(kv, redis_ref, calls)
    assert sum(r.startswith(b"$") for r in replies) >= 300


def _buffers(rng, packed):
    """Hand-made buffers: every first byte alone and with a tail, then valid packs truncated,
    with bytes changed, inserted or removed."""
    tail = bytes(range(1, 12))
    out = [bytes([b]) for b in range(256)] + [bytes([b]) + tail for b in range(256)]
    out += [bytes([b]) + b"\xff" * 9 for b in range(0xc0, 0xe0)]
    for p in packed:
        out.append(p)
        out.append(p[:rng.randrange(len(p))])
        m = bytearray(p)
        for _ in range(rng.randrange(1, 4)):
            m[rng.randrange(len(m))] = rng.randrange(256)
        out.append(bytes(m))
        at = rng.randrange(len(p))
        out.append(p[:at] + bytes([rng.randrange(256)]) + p[at:])
        out.append(p[:at] + p[at + 1:])
    out += [rng.randbytes(rng.randrange(1, 40)) for _ in range(300)]
    return out


def test_cmsgpack_unpack_of_made_buffers_as_redis(kv, redis_ref):
    rng = random.Random(7)
    packs = _eval_many(redis_ref, [(f"return cmsgpack.pack({_lua_value(rng, 0)}, {_lua_value(rng, 0)})",)
                                   for _ in range(150)])
    packed = [parse_resp(p) for p in packs]
    assert all(isinstance(p, bytes) and p for p in packed)
    buffers = _buffers(rng, packed)
    calls = [(UNPACK_SCRIPT, b) for b in buffers]
    for b in buffers[::7]:
        calls.append((UNPACK_ONE_SCRIPT, b, str(rng.randrange(3)), str(rng.randrange(len(b) + 2))))
    replies = _compare(kv, redis_ref, calls)
    errors = sum(r.startswith(b"$") and b"E:" in r[:12] for r in replies)
    assert errors >= 200 and len(replies) - errors >= 300
