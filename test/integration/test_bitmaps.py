"""Bitmap commands on string values: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.

Expected values follow Redis 7.0's documentation and bitops.c; every test not marked kv_only
also passes against /usr/bin/redis-server. A seeded random stream runs the same commands on
kv-server and on a redis-server side by side and requires byte-identical replies."""

from __future__ import annotations

import random

import pytest
import redis

from native_client import NativeConn

OFFSET_ERR = "bit offset is not an integer or out of range"
TYPE_ERR = ("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported "
            "but i64 is.")


def error_of(c: redis.Redis, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command(*args)
    return str(e.value)


# ---------------------------------------------------------------------------- SETBIT GETBIT


def test_setbit_grows_the_string_to_the_byte_it_needs(kv):
    c = kv.client(decode_responses=False)
    assert c.setbit("b", 7, 1) == 0
    assert c.get("b") == b"\x01"
    assert c.setbit("b", 7, 1) == 1
    assert c.setbit("b", 7, 0) == 1
    assert c.setbit("b", 100, 1) == 0
    assert c.strlen("b") == 13  # bit 100 lives in byte 12
    assert c.get("b") == b"\x00" * 12 + b"\x08"
    assert [c.getbit("b", i) for i in (99, 100, 101, 10_000)] == [0, 1, 0, 0]
    assert c.getbit("missing", 5) == 0
    assert not c.exists("missing")


def test_bit_commands_see_a_number_as_its_text(kv):
    c = kv.client(decode_responses=False)
    c.set("n", 1)  # "1" is 0x31 = 00110001
    assert [c.getbit("n", i) for i in range(8)] == [0, 0, 1, 1, 0, 0, 0, 1]
    c.incr("n")  # "2": an integer (Int in kv-server, int-encoded in Redis)
    assert c.bitcount("n") == 3
    assert c.setbit("n", 7, 1) == 0
    assert c.get("n") == b"3"
    assert c.bitfield("n").get("u8", 0).execute() == [ord("3")]


def test_setbit_keeps_the_ttl(kv):
    c = kv.client()
    c.set("t", "x", ex=1000)
    c.setbit("t", 100, 1)
    assert 0 < c.ttl("t") <= 1000


# ---------------------------------------------------------------------------- BITCOUNT BITPOS


def test_bitcount_ranges_in_bytes_and_bits(kv):
    c = kv.client()
    c.set("mykey", "foobar")
    assert c.bitcount("mykey") == 26
    assert c.bitcount("mykey", 0, 0) == 4
    assert c.bitcount("mykey", 1, 1) == 6
    assert c.execute_command("BITCOUNT", "mykey", 1, 1, "BYTE") == 6
    assert c.execute_command("BITCOUNT", "mykey", 5, 30, "BIT") == 17
    assert c.execute_command("BITCOUNT", "mykey", -1, -2) == 0
    assert c.execute_command("BITCOUNT", "mykey", -100, 100) == 26
    assert c.execute_command("BITCOUNT", "mykey", -3, -1, "bit") == 1  # "r" ends ...010
    assert c.bitcount("missing") == 0


def test_bitpos_finds_set_and_clear_bits(kv):
    c = kv.client()
    c.set("k", b"\xff\xf0\x00")
    assert c.bitpos("k", 0) == 12
    c.set("k", b"\x00\xff\xf0")
    assert c.bitpos("k", 1, 0) == 8
    assert c.bitpos("k", 1, 2) == 16
    assert c.execute_command("BITPOS", "k", 1, 2, -1, "BYTE") == 16
    assert c.execute_command("BITPOS", "k", 1, 7, 15, "BIT") == 8
    assert c.execute_command("BITPOS", "k", 1, 7, -3, "BIT") == 8
    c.set("k", b"\x00\x00\x00")
    assert c.bitpos("k", 1) == -1
    c.set("k", b"\xff\xff\xff")
    # No explicit end: the string goes on with zeros. With one: there is no clear bit.
    assert c.bitpos("k", 0) == 24
    assert c.bitpos("k", 0, 0) == 24
    assert c.bitpos("k", 0, 0, -1) == -1
    assert c.execute_command("BITPOS", "k", 0, 3, 20, "BIT") == -1
    assert c.bitpos("missing", 0) == 0
    assert c.bitpos("missing", 1) == -1
    assert c.bitpos("k", 1, 5, 2) == -1


def test_missing_key_answers_before_ranges_are_read(kv):
    """Redis 7.0 answers BITCOUNT / BITPOS on a missing key before it parses the range."""
    c = kv.client()
    assert c.execute_command("BITCOUNT", "missing", "x", "y") == 0
    assert c.execute_command("BITPOS", "missing", 1, "x") == -1
    c.set("k", "a")
    assert error_of(c, "BITCOUNT", "k", "x", "y") == "value is not an integer or out of range"
    assert error_of(c, "BITCOUNT", "k", 0) == "syntax error"
    assert error_of(c, "BITCOUNT", "k", 0, 1, "BITS") == "syntax error"
    assert error_of(c, "BITPOS", "k", 1, 0, 1, "x") == "syntax error"
    assert error_of(c, "BITPOS", "k", 2) == "The bit argument must be 1 or 0."
    assert error_of(c, "BITPOS", "k", "x") == "value is not an integer or out of range"


# ---------------------------------------------------------------------------- BITOP


def test_bitop_pads_shorter_sources_with_zeros(kv):
    c = kv.client(decode_responses=False)
    c.set("a", b"\xff\x0f")
    c.set("b", b"\xf0")
    assert c.bitop("AND", "d", "a", "b") == 2
    assert c.get("d") == b"\xf0\x00"
    assert c.bitop("or", "d", "a", "b", "missing") == 2
    assert c.get("d") == b"\xff\x0f"
    assert c.bitop("XOR", "d", "a", "b") == 2
    assert c.get("d") == b"\x0f\x0f"
    assert c.bitop("NOT", "d", "a") == 2
    assert c.get("d") == b"\x00\xf0"
    c.expire("d", 100)
    assert c.bitop("AND", "d", "d", "a") == 2  # the destination as a source; TTL dropped
    assert c.get("d") == b"\x00\x00" and c.ttl("d") == -1
    assert c.bitop("OR", "d", "missing", "missing2") == 0
    assert not c.exists("d")


def test_bitop_errors(kv):
    c = kv.client()
    assert error_of(c, "BITOP", "NAND", "d", "a") == "syntax error"
    assert error_of(c, "BITOP", "NOT", "d", "a", "b") == (
        "BITOP NOT must be called with a single source key.")
    assert error_of(c, "BITOP", "AND", "d") == "wrong number of arguments for 'bitop' command"


# ---------------------------------------------------------------------------- BITFIELD


def test_bitfield_get_set_incrby_and_overflow(kv):
    c = kv.client()
    assert c.execute_command("BITFIELD", "mykey", "INCRBY", "i5", 100, 1, "GET", "u4", 0) == [1, 0]
    seen = []
    for _ in range(4):
        seen.append(c.execute_command("BITFIELD", "k", "incrby", "u2", 100, 1,
                                      "OVERFLOW", "SAT", "incrby", "u2", 102, 1))
    assert seen == [[1, 1], [2, 2], [3, 3], [0, 3]]
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "incrby", "u2", 102, 1) == [None]
    assert c.execute_command("BITFIELD", "f", "SET", "i8", "#1", -100, "GET", "i8", 8,
                             "GET", "u8", "#1") == [0, -100, 156]
    assert c.execute_command("BITFIELD", "f2", "SET", "i64", 0, -1, "GET", "i64", 0,
                             "GET", "u63", 1) == [0, -1, 2**63 - 1]
    assert c.execute_command("BITFIELD", "f2", "OVERFLOW", "WRAP", "INCRBY", "i64", 0, -(2**63),
                             "OVERFLOW", "SAT", "INCRBY", "i64", 0, 2) == [2**63 - 1, 2**63 - 1]
    assert c.execute_command("BITFIELD", "g", "OVERFLOW", "SAT", "SET", "u8", 0, -1,
                             "SET", "i4", 8, 100, "GET", "u8", 0, "GET", "i4", 8) == [0, 0, 255, 7]
    assert c.execute_command("BITFIELD_RO", "g", "GET", "u8", 0, "GET", "u4", 100) == [255, 0]
    assert c.execute_command("BITFIELD", "g") == []
    assert c.execute_command("BITFIELD_RO", "missing", "GET", "i8", 0) == [0]


def test_bitfield_write_grows_to_its_furthest_field_even_when_it_fails(kv):
    c = kv.client()
    assert c.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", 100, 9) == [None]
    assert c.strlen("k") == 13


@pytest.mark.parametrize("args,message", [
    (("SET", "u64", 0, 1), TYPE_ERR),
    (("GET", "i65", 0), TYPE_ERR),
    (("GET", "i0", 0), TYPE_ERR),
    (("GET", "x8", 0), TYPE_ERR),
    (("GET", "", 0), TYPE_ERR),
    (("GET", "u8", -1), OFFSET_ERR),
    (("GET", "u8", "#x"), OFFSET_ERR),
    (("GET", "u8", 2**32), OFFSET_ERR),
    (("GET", "u8", "#536870912"), OFFSET_ERR),
    (("SET", "u8", 0, "x"), "value is not an integer or out of range"),
    (("INCRBY", "u8", 0), "syntax error"),
    (("GET", "u8"), "syntax error"),
    (("FOO", "u8", 0), "syntax error"),
    (("OVERFLOW", "NONE", "GET", "u8", 0), "Invalid OVERFLOW type specified"),
    (("GET", "u8", 0, "OVERFLOW"), "syntax error"),
])
def test_bitfield_syntax_errors_change_nothing(kv, args, message):
    c = kv.client()
    assert error_of(c, "BITFIELD", "k", "SET", "u8", 0, 5, *args) == message
    assert not c.exists("k")


def test_bitfield_ro_refuses_writes_after_parsing(kv):
    c = kv.client()
    assert error_of(c, "BITFIELD_RO", "k", "GET", "u8", 0, "SET", "u8", 0, 1) == (
        "BITFIELD_RO only supports the GET subcommand")
    assert error_of(c, "BITFIELD_RO", "k", "SET", "u8", 0, "x") == (
        "value is not an integer or out of range")


# ---------------------------------------------------------------------------- limits


@pytest.mark.parametrize("offset", [-1, 2**32, 2**63, "1.5", "x", ""])
def test_bad_offsets(kv, offset):
    c = kv.client()
    assert error_of(c, "SETBIT", "k", offset, 1) == OFFSET_ERR
    assert error_of(c, "GETBIT", "k", offset) == OFFSET_ERR
    assert not c.exists("k")


@pytest.mark.parametrize("value", [2, -1, "x", ""])
def test_bad_bit_values(kv, value):
    assert error_of(kv.client(), "SETBIT", "k", 0, value) == "bit is not an integer or out of range"


def test_offsets_limited_by_proto_max_bulk_len(kv_server):
    s = kv_server(proto_max_bulk_len="1mb")
    c = s.client()
    last_bit = 8 * 1024 * 1024 - 1
    assert c.setbit("k", last_bit, 1) == 0
    assert c.strlen("k") == 1024 * 1024
    assert error_of(c, "SETBIT", "k", last_bit + 1, 1) == OFFSET_ERR
    assert error_of(c, "GETBIT", "k", last_bit + 1) == OFFSET_ERR
    assert error_of(c, "BITFIELD", "k", "GET", "u8", last_bit + 1) == OFFSET_ERR
    assert c.execute_command("BITFIELD", "k", "SET", "u8", last_bit - 7, 255) == [1]


@pytest.mark.kv_only
def test_a_written_field_must_end_within_the_limit(kv_server):
    """Redis 7.0 lets BITFIELD's last field run up to 8 bytes past proto-max-bulk-len;
    kv-server refuses the write with the offset error (docs/commands.md)."""
    s = kv_server(proto_max_bulk_len="1mb")
    c = s.client()
    last_bit = 8 * 1024 * 1024 - 1
    assert error_of(c, "BITFIELD", "k", "SET", "u8", last_bit - 6, 1) == OFFSET_ERR
    assert error_of(c, "BITFIELD", "k", "INCRBY", "i64", last_bit, 1) == OFFSET_ERR
    assert not c.exists("k")
    assert c.execute_command("BITFIELD", "k", "GET", "u8", last_bit) == [0]


@pytest.mark.kv_only
def test_memory_grows_only_as_far_as_the_offset(kv):
    c = kv.client()
    before = c.info("memory")["used_memory"]
    size = 4 * 1024 * 1024
    for i in range(1, 5):  # grow in steps, as a bitmap filled from the front does
        c.setbit("big", i * size // 4 * 8 - 1, 1)
    assert c.strlen("big") == size
    grown = c.info("memory")["used_memory"] - before
    assert size <= grown < size * 1.5
    c.delete("big")


def test_command_info_and_categories_match_redis(kv, redis_ref):
    names = ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"]
    with kv.raw() as r:
        ours = r.call("COMMAND", "INFO", *names)
    with redis_ref.raw() as r:
        theirs = r.call("COMMAND", "INFO", *names)
    for mine, ref in zip(ours, theirs):
        assert mine[:7] == ref[:7], mine[0]  # name arity flags first last step categories


# ---------------------------------------------------------------------------- other types


@pytest.mark.kv_only
@pytest.mark.parametrize("cmd", [
    ("SETBIT", "{k}", 1, 1), ("GETBIT", "{k}", 1), ("BITCOUNT", "{k}"), ("BITPOS", "{k}", 1),
    ("BITOP", "AND", "d", "{k}"), ("BITOP", "OR", "d", "s", "{k}"), ("BITFIELD", "{k}", "GET", "u8", 0),
    ("BITFIELD", "{k}", "SET", "u8", 0, 1), ("BITFIELD_RO", "{k}", "GET", "u8", 0),
], ids=lambda c: " ".join(str(a) for a in c[:2]))
def test_native_list_map_and_null_are_wrongtype(nkv, cmd):
    conn = NativeConn(nkv.host, nkv.native_port)
    try:
        c = nkv.client()
        c.set("s", "string")
        for key, value in (("l", [1, 2]), ("m", {"a": 1}), ("n", None)):
            assert conn.set(key, value).status == 0
            args = [key if a == "{k}" else a for a in cmd]
            with pytest.raises(redis.ResponseError, match="^WRONGTYPE Operation against"):
                c.execute_command(*args)
            assert c.type(key) in ("list", "hash", "null")
    finally:
        conn.close()


@pytest.mark.kv_only
def test_native_int_is_its_text(nkv):
    conn = NativeConn(nkv.host, nkv.native_port)
    try:
        assert conn.set("i", 12).status == 0  # Int 12 reads as "12"
        c = nkv.client(decode_responses=False)
        assert c.bitcount("i") == 6  # "1" 0x31 has 3 bits, "2" 0x32 has 3
        assert c.setbit("i", 15, 1) == 0  # "2" -> "3"
        assert c.get("i") == b"13"
    finally:
        conn.close()


# ---------------------------------------------------------------------------- persistence


@pytest.mark.kv_only
def test_bitmaps_replay_from_the_log(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client(decode_responses=False)
    c.setbit("a", 1000, 1)
    c.execute_command("BITFIELD", "a", "SET", "i16", "#3", -1234, "INCRBY", "u5", 3, 40)
    c.set("b", b"\x0f\xf0")
    c.bitop("XOR", "x", "a", "b")
    before = {k: c.get(k) for k in ("a", "b", "x")}
    s.kill9()  # no snapshot at shutdown: recovery replays the logged commands
    s.restart()
    c = s.client(decode_responses=False)
    assert {k: c.get(k) for k in ("a", "b", "x")} == before


# ---------------------------------------------------------------------------- differential

SEEDS = [11, 12, 13, 14, 15]
STEPS = 400
KEYS = [b"a", b"b", b"c", b"\x00k"]


def rand_command(rnd: random.Random) -> tuple:
    k, k2, k3 = rnd.choice(KEYS), rnd.choice(KEYS), rnd.choice(KEYS)
    n = lambda lo, hi: str(rnd.randint(lo, hi)).encode()  # noqa: E731
    unit = lambda: rnd.choice([b"BIT", b"BYTE", b"bit", b"Byte", b"bits"])  # noqa: E731

    def field_type() -> bytes:
        r = rnd.random()
        if r < 0.05:
            return rnd.choice([b"u64", b"i65", b"x3", b"i0", b"u", b""])
        return rnd.choice([b"i", b"u"]) + str(rnd.randint(1, 63 if r < 0.5 else 64)).encode()

    def field_offset() -> bytes:
        r = rnd.random()
        if r < 0.2:
            return b"#" + n(0, 20)
        if r < 0.23:
            return rnd.choice([b"-1", b"x", b"#-1", b"4294967296"])
        return n(0, 300)

    def bitfield(readonly: bool) -> tuple:
        parts = [b"BITFIELD_RO" if readonly else b"BITFIELD", k]
        for _ in range(rnd.randint(0, 4)):
            r = rnd.random()
            if r < 0.4 or readonly and r < 0.9:
                parts += [b"GET", field_type(), field_offset()]
            elif r < 0.65:
                parts += [b"SET", field_type(), field_offset(),
                          str(rnd.randint(-(2**63), 2**63 - 1) if rnd.random() < 0.3
                              else rnd.randint(-300, 300)).encode()]
            elif r < 0.9:
                parts += [b"INCRBY", field_type(), field_offset(), n(-200, 200)]
            else:
                parts += [b"OVERFLOW", rnd.choice([b"WRAP", b"SAT", b"FAIL", b"fail", b"nope"])]
        if rnd.random() < 0.05:
            parts.append(rnd.choice([b"GET", b"SET", b"FOO"]))
        return tuple(parts)

    choices = [
        lambda: (b"SETBIT", k, n(0, 400), rnd.choice([b"0", b"1", b"1", b"2"])),
        lambda: (b"GETBIT", k, n(0, 500)),
        lambda: (b"BITCOUNT", k),
        lambda: (b"BITCOUNT", k, n(-60, 60), n(-60, 60)),
        lambda: (b"BITCOUNT", k, n(-400, 400), n(-400, 400), unit()),
        lambda: (b"BITPOS", k, rnd.choice([b"0", b"1"])),
        lambda: (b"BITPOS", k, rnd.choice([b"0", b"1"]), n(-60, 60)),
        lambda: (b"BITPOS", k, rnd.choice([b"0", b"1"]), n(-60, 60), n(-60, 60)),
        lambda: (b"BITPOS", k, rnd.choice([b"0", b"1"]), n(-400, 400), n(-400, 400), unit()),
        lambda: (b"BITOP", rnd.choice([b"AND", b"OR", b"XOR", b"and"]), k, k2, k3),
        lambda: (b"BITOP", b"NOT", k, k2),
        lambda: bitfield(False),
        lambda: bitfield(False),
        lambda: bitfield(True),
        lambda: (b"SET", k, bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 12)))),
        lambda: (b"SET", k, rnd.choice([b"\xff" * 9, b"\x00" * 9, n(-1000, 1000)])),
        lambda: (b"SET", k, rnd.choice([b"\xff", b"\x00", b"\x0f"]) * rnd.randint(1, 200)
                 + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 3)))),
        lambda: (b"INCRBY", k, n(-50, 50)),
        lambda: (b"APPEND", k, rnd.choice([b"\xff", b"\x00", b"ab"])),
        lambda: (b"GET", k),
        lambda: (b"DEL", k),
    ]
    return rnd.choice(choices)()


@pytest.mark.parametrize("seed", SEEDS)
def test_random_bitmap_commands_reply_as_redis(kv, redis_ref, seed):
    rnd = random.Random(seed)
    with kv.raw() as ours, redis_ref.raw() as theirs:
        for step in range(STEPS):
            cmd = rand_command(rnd)
            ours.send_command(*cmd)
            theirs.send_command(*cmd)
            mine, ref = ours.read_reply_bytes(), theirs.read_reply_bytes()
            assert mine == ref, (f"seed {seed} step {step}: {cmd}\n"
                                 f"  kv-server: {mine[:300]!r}\n  redis:     {ref[:300]!r}")
        for k in KEYS:
            ours.send_command(b"GET", k)
            theirs.send_command(b"GET", k)
            assert ours.read_reply_bytes() == theirs.read_reply_bytes(), (seed, k)


def test_random_stream_exercises_errors_and_every_command(redis_ref):
    """Guards the generator: errors and every command happen across the seeds."""
    seen, errors = set(), 0
    for seed in SEEDS:
        rnd = random.Random(seed)
        with redis_ref.raw() as r:
            for _ in range(STEPS):
                cmd = rand_command(rnd)
                seen.add(cmd[0])
                r.send_command(*cmd)
                if r.read_reply_bytes().startswith(b"-"):
                    errors += 1
        redis_ref.flushall()
    assert {b"SETBIT", b"GETBIT", b"BITCOUNT", b"BITPOS", b"BITOP", b"BITFIELD",
            b"BITFIELD_RO"} <= seen
    assert errors >= 50


def test_bitop_and_pfmerge_sources_need_only_read_access(kv_server):
    """Redis's key specs: BITOP's and PFMERGE's sources are read-only keys."""
    s = kv_server()
    c = s.client()
    c.execute_command("ACL", "SETUSER", "bob", "on", ">pw", "+@all", "%R~src*", "~dst*")
    c.set("src1", "a")
    c.pfadd("src2", "x")
    bob = redis.Redis(host=s.host, port=s.port, username="bob", password="pw",
                      decode_responses=True, socket_timeout=10)
    assert bob.bitop("AND", "dst1", "src1") == 1
    assert bob.pfmerge("dst2", "src2") is True
    assert bob.pfcount("src2", "dst2") == 1
    for cmd in (("BITOP", "AND", "src1", "dst1"), ("PFMERGE", "src2", "dst2"),
                ("SETBIT", "src1", 0, 1), ("PFADD", "src2", "y")):
        with pytest.raises(redis.exceptions.NoPermissionError):
            bob.execute_command(*cmd)
    assert c.get("src1") == "a"
    bob.close()
