"""The `struct` library inside scripts, side by side with Debian's redis-server: every script
runs on both servers and the raw reply bytes must be identical, error texts included (the error
names the script's sha1, the same on both)."""

import pytest

from conftest import RespError, parse_resp

SCRIPTS = [
    # pack: byte orders, integer sizes, signedness, padding, floats, strings
    "return struct.pack('>i2', 258)",
    "return struct.pack('<i2', 258)",
    "return struct.pack('bBhHlLT', -1, 255, -2, 65535, -3, 4, 5)",
    "return struct.pack('>i3I5', -2, 1099511627775)",
    "return struct.pack('>i16', -1)",
    "return struct.pack('<I9', 2^63)",
    "return struct.pack('i', 3.9)",
    "return struct.pack('i', -3.9)",
    "return struct.pack('>fd', 1.5, -0.1)",
    "return struct.pack('<fd', 1.5, -0.1)",
    "return struct.pack('c3', 'abcdef')",
    "return struct.pack('c0', 'abcdef')",
    "return struct.pack('s', 'ab')",
    "return struct.pack('xbx', 7)",
    "return struct.pack('!4bi', 1, 2)",
    "return struct.pack('!2bd', 1, 2)",
    "return struct.pack('!bi', 1, 2)",
    "return struct.pack('! > b h', 1, 2)",
    # unpack: values and the next position
    "return {struct.unpack('>i2', '\\1\\2')}",
    "return {struct.unpack('<i2', '\\1\\2')}",
    "return {struct.unpack('>I4', '\\255\\255\\255\\255')}",
    "return {struct.unpack('>i4', '\\255\\255\\255\\254')}",
    "return {struct.unpack('bB', '\\255\\255')}",
    "return {struct.unpack('b', 'xyz', 2)}",
    "return {struct.unpack('c2c1', 'abc')}",
    "return {struct.unpack('bc0', '\\3abcd')}",
    "return {struct.unpack('s', 'ab\\0cd')}",
    "return {struct.unpack('ss', 'ab\\0cd\\0')}",
    "return {struct.unpack('!4bi', struct.pack('!4bi', 1, -9))}",
    "return tostring(struct.unpack('>d', struct.pack('>d', 0.1)))",
    "return tostring(struct.unpack('<f', struct.pack('<f', 0.5)))",
    "return {struct.unpack('xb', '\\1\\2')}",
    "local a, b, c = struct.unpack('>i2s', struct.pack('>i2s', 513, 'hey')) return {a, b, c}",
    # size
    "return struct.size('bhilTfd')",
    "return struct.size('!bhilTfd')",
    "return struct.size('!4bd')",
    "return struct.size('c7x')",
    "return struct.size('i32')",
    "return struct.size('')",
    "return struct.size('q')",
    # errors
    "return struct.pack('q', 1)",
    "return struct.pack('i', 'x')",
    "return struct.pack('i')",
    "return struct.pack('c5', 'ab')",
    "return struct.pack('!3i', 1)",
    "return struct.pack('i33', 1)",
    "return struct.pack('i99999999999', 1)",
    "return struct.pack()",
    "return struct.unpack('>i2', '\\1')",
    "return struct.unpack('c0', 'abc')",
    "return struct.unpack('sc0', 'a\\0bc')",
    "return struct.unpack('s', 'abc')",
    "return struct.unpack('b', 'a', 0)",
    "return struct.unpack('b', 'a', -1)",
    "return struct.unpack('b', 'a', 5)",
    "return struct.unpack('bc0', '\\9ab')",
    "return struct.unpack('q', 'abc')",
    "return struct.size('s')",
    "return struct.size('c0')",
    "return struct.size('!5')",
    "return struct.size('i40')",
    # the table is read-only like the other libraries
    "struct.pack = nil return 1",
    "return type(struct.unpack)",
]


def _eval(server, script):
    with server.raw() as r:
        r.send_command("EVAL", script, "0")
        return r.read_reply_bytes()


@pytest.mark.parametrize("script", SCRIPTS)
def test_struct_as_redis(kv, redis_ref, script):
    mine, theirs = _eval(kv, script), _eval(redis_ref, script)
    assert mine == theirs, f"{script}\n  kv-server: {mine!r}\n  redis:     {theirs!r}"


def test_struct_cases_exercise_errors_and_values(redis_ref):
    errors = sum(isinstance(parse_resp(_eval(redis_ref, s)), RespError) for s in SCRIPTS)
    assert errors >= 20 and len(SCRIPTS) - errors >= 30
