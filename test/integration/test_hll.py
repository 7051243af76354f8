"""HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.

kv-server keeps an HLL in Redis's exact string representation, so values exchanged with GET and
SET between kv-server and a redis-server started side by side count the same and grow into the
same bytes. Tests not marked kv_only also pass against /usr/bin/redis-server."""

from __future__ import annotations

import math
import random

import pytest
import redis

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"
HEADER = 16
DENSE_SIZE = HEADER + 12288


def error_of(c: redis.Redis, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command(*args)
    return str(e.value)


def max_error(n: int) -> int:
    """Redis's own bound in PFSELFTEST: six standard errors of the estimator."""
    return math.ceil(1.04 / math.sqrt(16384) * 6 * n)


def add_many(c: redis.Redis, key: str, elements) -> None:
    p = c.pipeline(transaction=False)
    batch = []
    for e in elements:
        batch.append(e)
        if len(batch) == 500:
            p.pfadd(key, *batch)
            batch = []
    if batch:
        p.pfadd(key, *batch)
    p.execute()


# ---------------------------------------------------------------------------- basics


def test_pfadd_and_pfcount(kv):
    c = kv.client()
    assert c.pfcount("h") == 0
    assert c.pfadd("h", "a", "b", "c") == 1
    assert c.pfadd("h", "a", "b") == 0
    assert c.pfcount("h") == 3
    assert c.pfadd("h", "d") == 1
    assert c.pfcount("h") == 4
    assert c.pfadd("empty") == 1  # creates the key
    assert c.pfadd("empty") == 0
    assert c.pfcount("empty") == 0
    assert c.type("empty") == "string"


def test_pfcount_of_several_keys_counts_their_union(kv):
    c = kv.client()
    c.pfadd("x", "a", "b", "c")
    c.pfadd("y", "c", "d")
    assert c.pfcount("x", "y") == 4
    assert c.pfcount("x", "y", "missing") == 4
    assert c.pfcount("missing", "missing2") == 0


def test_pfmerge_includes_the_destination(kv):
    c = kv.client(decode_responses=False)
    c.pfadd("x", "a", "b")
    c.pfadd("y", "b", "c")
    c.pfadd("d", "z")
    assert c.pfmerge("d", "x", "y") is True
    assert c.pfcount("d") == 4
    assert c.pfmerge("new", "missing") is True
    assert c.pfcount("new") == 0
    assert c.execute_command("PFMERGE", "only") is True
    assert c.exists("only")


def test_counts_are_within_error_bounds(kv):
    c = kv.client()
    rnd = random.Random(5)
    elements = [f"user:{rnd.getrandbits(64)}" for _ in range(30000)]
    done = 0
    for n in (100, 1000, 10000, 30000):
        add_many(c, "h", elements[done:n])
        done = n
        assert abs(c.pfcount("h") - n) <= max_error(n), n
    assert c.execute_command("PFDEBUG", "ENCODING", "h") == "dense"
    assert c.strlen("h") == DENSE_SIZE


def test_the_cardinality_cache_is_stored_in_the_value(kv):
    c = kv.client(decode_responses=False)
    c.pfadd("h", "a", "b", "c")
    raw = c.get("h")
    assert raw[:4] == b"HYLL" and raw[4] == 1  # sparse
    assert raw[15] & 0x80  # stale after PFADD
    assert c.pfcount("h") == 3
    raw = c.get("h")
    assert raw[8:16] == (3).to_bytes(8, "little")
    # A valid cache is believed, as Redis believes it.
    c.setrange("h", 8, (12345).to_bytes(8, "little"))
    assert c.pfcount("h") == 12345


def test_sparse_turns_dense_at_hll_sparse_max_bytes(kv):
    c = kv.client()
    assert c.config_get("hll-sparse-max-bytes") == {"hll-sparse-max-bytes": "3000"}
    c.config_set("hll-sparse-max-bytes", 200)
    try:
        for i in range(1000):
            c.pfadd("h", f"e{i}")
            if c.execute_command("PFDEBUG", "ENCODING", "h") == "dense":
                break
            assert c.strlen("h") <= 200
        assert c.execute_command("PFDEBUG", "ENCODING", "h") == "dense"
        assert 10 < i < 200
    finally:
        c.config_set("hll-sparse-max-bytes", 3000)


def test_pfdebug(kv):
    c = kv.client()
    c.pfadd("h", "a", "b", "c")
    assert c.execute_command("PFDEBUG", "DECODE", "h") == (
        "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603")
    assert c.execute_command("PFDEBUG", "ENCODING", "h") == "sparse"
    regs = c.execute_command("PFDEBUG", "GETREG", "h")  # converts it, as in Redis
    assert len(regs) == 16384 and regs[8436] == 1 and regs[12711] == 2 and sum(regs) == 4
    assert c.execute_command("PFDEBUG", "ENCODING", "h") == "dense"
    assert c.execute_command("PFDEBUG", "TODENSE", "h") == 0
    assert c.pfcount("h") == 3
    assert error_of(c, "PFDEBUG", "DECODE", "h") == "HLL encoding is not sparse"
    assert error_of(c, "PFDEBUG", "NOPE", "h") == "Unknown PFDEBUG subcommand 'NOPE'"
    assert error_of(c, "PFDEBUG", "ENCODING", "missing") == "The specified key does not exist"
    c.pfadd("s", "x")
    assert c.execute_command("PFDEBUG", "TODENSE", "s") == 1
    assert c.strlen("s") == DENSE_SIZE


@pytest.mark.kv_only
def test_pfselftest(kv):
    """Redis's adds ten million elements; kv-server's lighter one must still pass."""
    assert kv.client().execute_command("PFSELFTEST") == "OK"


def test_command_info_and_categories_match_redis(kv, redis_ref):
    names = ["pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"]
    with kv.raw() as r:
        ours = r.call("COMMAND", "INFO", *names)
    with redis_ref.raw() as r:
        theirs = r.call("COMMAND", "INFO", *names)
    for mine, ref in zip(ours, theirs):
        assert mine[:7] == ref[:7], mine[0]  # name arity flags first last step categories


# ---------------------------------------------------------------------------- errors


def test_strings_that_are_not_hlls(kv):
    c = kv.client(decode_responses=False)
    cases = {
        "plain": b"hello",
        "int": 12345,
        "short": b"HYLL",
        "magic": b"HYLX" + b"\x01" + b"\x00" * 11 + b"\x7f\xff",
        "encoding": b"HYLL\x02" + b"\x00" * 11 + b"\x7f\xff",
        "dense-size": b"HYLL\x00" + b"\x00" * 11 + b"\x7f\xff",
    }
    for key, value in cases.items():
        c.set(key, value)
        for cmd in (("PFADD", key, "x"), ("PFCOUNT", key), ("PFCOUNT", key, "other"),
                    ("PFMERGE", "dest", key), ("PFMERGE", key, "other"),
                    ("PFDEBUG", "GETREG", key)):
            assert error_of(c, *cmd) == NOT_HLL, (key, cmd)
        assert c.get(key) == (value if isinstance(value, bytes) else str(value).encode())
    assert not c.exists("dest")


def corrupt_values() -> dict[str, bytes]:
    header = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80"  # sparse, stale cache
    return {
        "short": header + b"\x7f\x00",  # XZERO of 16129 registers: too few
        "long": header + b"\x7f\xff\x00",  # one register too many
        "empty": header,
        "val-overflow": header + b"\x7f\xfe\x83",  # 16383 zeros then a VAL of 4
        "val-past-end": header + b"\x7f\xff\xf6",  # 16384 zeros, then a VAL of 3 more
    }


def test_corrupt_sparse_bodies_answer_invalidobj(kv):
    c = kv.client(decode_responses=False)
    for key, value in corrupt_values().items():
        c.set(key, value)
        assert error_of(c, "PFCOUNT", key) == CORRUPT, key
        assert error_of(c, "PFCOUNT", key, "other") == CORRUPT, key
        assert error_of(c, "PFMERGE", "dest", key) == CORRUPT, key
        assert error_of(c, "PFDEBUG", "TODENSE", key) == CORRUPT, key
        assert c.get(key) == value
    assert error_of(c, "PFADD", "empty", "x") == CORRUPT
    assert not c.exists("dest")


@pytest.mark.kv_only
def test_native_list_is_wrongtype(nkv):
    from native_client import NativeConn
    conn = NativeConn(nkv.host, nkv.native_port)
    try:
        assert conn.set("l", [1, 2]).status == 0
        c = nkv.client()
        for cmd in (("PFADD", "l", "x"), ("PFCOUNT", "l"), ("PFCOUNT", "l", "x"),
                    ("PFMERGE", "d", "l"), ("PFDEBUG", "ENCODING", "l")):
            assert error_of(c, *cmd).startswith("WRONGTYPE Operation against"), cmd
    finally:
        conn.close()


# ---------------------------------------------------------------------------- exchange


def test_values_move_between_redis_and_kv_server(kv, redis_ref):
    ours = kv.client(decode_responses=False)
    theirs = redis_ref.client(decode_responses=False)
    rnd = random.Random(9)
    sizes = {"tiny": 3, "sparse": 300, "dense": 5000}
    for key, n in sizes.items():
        elements = [f"{key}:{rnd.getrandbits(48)}" for _ in range(n)]
        add_many(theirs, key, elements)
    for key in sizes:
        value = theirs.get(key)
        ours.set(key, value)
        assert ours.pfcount(key) == theirs.pfcount(key), key
        assert ours.get(key) == theirs.get(key), key  # both wrote the same cache bytes
        more = [f"more:{rnd.getrandbits(48)}" for _ in range(200)]
        add_many(ours, key, more)
        add_many(theirs, key, more)
        assert ours.get(key) == theirs.get(key), key
    # And back: an HLL built on kv-server counts the same on redis-server.
    add_many(ours, "mine", (f"k{i}" for i in range(2000)))
    theirs.set("mine", ours.get("mine"))
    assert theirs.pfcount("mine") == ours.pfcount("mine")
    for server in (ours, theirs):
        server.pfmerge("all", *sizes, "mine")
    assert ours.get("all") == theirs.get("all")
    assert ours.pfcount("tiny", "sparse", "dense", "mine") == theirs.pfcount(
        "tiny", "sparse", "dense", "mine")


def test_sparse_bytes_match_redis_element_by_element(kv, redis_ref):
    """Every split and merge of sparse opcodes, up to the switch to dense, gives Redis's bytes."""
    rnd = random.Random(3)
    with kv.raw() as ours, redis_ref.raw() as theirs:
        for step in range(1500):
            element = str(rnd.getrandbits(32)).encode()
            for conn in (ours, theirs):
                conn.send_command(b"PFADD", b"h", element)
                conn.send_command(b"GET", b"h")
            assert ours.read_reply_bytes() == theirs.read_reply_bytes(), step
            assert ours.read_reply_bytes() == theirs.read_reply_bytes(), step


@pytest.mark.kv_only
def test_hlls_replay_from_the_log(kv_persist):
    s = kv_persist(appendfsync="always")
    c = s.client(decode_responses=False)
    add_many(c, "a", (f"a{i}" for i in range(2000)))
    c.pfadd("b", "x", "y")
    c.pfmerge("m", "a", "b")
    c.execute_command("PFDEBUG", "TODENSE", "b")
    before = {k: c.get(k) for k in ("a", "b", "m")}
    counts = {k: c.pfcount(k) for k in ("a", "b", "m")}
    s.kill9()
    s.restart()
    c = s.client(decode_responses=False)
    # PFCOUNT's cache bytes are not logged: compare the registers and the counts.
    assert {k: c.get(k)[HEADER:] for k in before} == {k: v[HEADER:] for k, v in before.items()}
    assert {k: c.pfcount(k) for k in counts} == counts


# ---------------------------------------------------------------------------- differential

SEEDS = [21, 22, 23, 24, 25]
STEPS = 300
KEYS = [b"h1", b"h2", b"h3", b"s"]


def rand_command(rnd: random.Random, pool: list[bytes]) -> tuple:
    k, k2, k3 = rnd.choice(KEYS), rnd.choice(KEYS), rnd.choice(KEYS)
    r = rnd.random()
    if r < 0.35:
        count = rnd.choice([0, 1, 1, 2, 5, 40, 300])
        return (b"PFADD", k) + tuple(rnd.choice(pool) for _ in range(count))
    if r < 0.5:
        return (b"PFCOUNT", k)
    if r < 0.58:
        return (b"PFCOUNT", k, k2) + ((k3,) if rnd.random() < 0.5 else ())
    if r < 0.66:
        return (b"PFMERGE", k, k2) + ((k3,) if rnd.random() < 0.5 else ())
    if r < 0.74:
        return (b"GET", k)
    if r < 0.78:
        return (b"PFDEBUG", rnd.choice([b"ENCODING", b"DECODE", b"TODENSE", b"nope"]), k)
    if r < 0.81:
        return (b"DEL", k)
    if r < 0.84:
        return (b"SET", k, rnd.choice(list(corrupt_values().values()) + [b"HYLL", b"text"]))
    if r < 0.87:
        # A flipped byte in the body: a corrupt or merely different HLL.
        return (b"SETRANGE", k, str(rnd.randint(HEADER, 40)).encode(),
                bytes([rnd.getrandbits(8)]))
    if r < 0.90:
        return (b"CONFIG", b"SET", b"hll-sparse-max-bytes", rnd.choice([b"100", b"3000", b"500"]))
    if r < 0.93:
        return (b"APPEND", k, b"\x00")
    return (b"PFADD", k, str(rnd.random()).encode())


@pytest.mark.parametrize("seed", SEEDS)
def test_random_hll_commands_reply_as_redis(kv, redis_ref, seed):
    rnd = random.Random(seed)
    pool = [str(rnd.getrandbits(40)).encode() for _ in range(3000)]
    try:
        with kv.raw() as ours, redis_ref.raw() as theirs:
            for step in range(STEPS):
                cmd = rand_command(rnd, pool)
                ours.send_command(*cmd)
                theirs.send_command(*cmd)
                mine, ref = ours.read_reply_bytes(), theirs.read_reply_bytes()
                assert mine == ref, (f"seed {seed} step {step}: {[a[:40] for a in cmd[:4]]}\n"
                                     f"  kv-server: {mine[:300]!r}\n  redis:     {ref[:300]!r}")
            for k in KEYS:
                ours.send_command(b"GET", k)
                theirs.send_command(b"GET", k)
                assert ours.read_reply_bytes() == theirs.read_reply_bytes(), (seed, k)
    finally:
        for server in (kv, redis_ref):
            server.client().config_set("hll-sparse-max-bytes", 3000)


def test_random_stream_exercises_errors_and_both_encodings(redis_ref):
    """Guards the generator: corrupt values, WRONGTYPE and dense values all occur."""
    replies = set()
    dense = 0
    for seed in SEEDS:
        rnd = random.Random(seed)
        pool = [str(rnd.getrandbits(40)).encode() for _ in range(3000)]
        with redis_ref.raw() as r:
            for _ in range(STEPS):
                cmd = rand_command(rnd, pool)
                r.send_command(*cmd)
                reply = r.read_reply_bytes()
                if reply.startswith(b"-"):
                    replies.add(reply.split(b" ")[0])
                if cmd[0] == b"PFDEBUG" and reply == b"+dense\r\n":
                    dense += 1
        redis_ref.flushall()
        redis_ref.client().config_set("hll-sparse-max-bytes", 3000)
    assert {b"-INVALIDOBJ", b"-WRONGTYPE"} <= replies
    assert dense > 0
