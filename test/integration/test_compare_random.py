"""Seeded random command sequences, side by side with Debian's redis-server: binary and long keys
(NUL, CR LF, invalid UTF-8, 300 characters, 100 KB), the string family with SUBSTR and LCS in
all its forms, renames, expiries and KEYS patterns. Every reply must be byte-identical (KEYS
compared as a set: both servers list keys in hash order)."""

from __future__ import annotations

import random

import pytest

from conftest import parse_resp

SEEDS = [1, 2, 3, 4, 5, 6]
STEPS = 250

KEYS = [b"k", b"a\x00b", b"\xff\xfe", b"line\r\nbreak", b"\xc3\x28", "日本".encode(),
        b"x" * 300, b"y" * 100_000, b"", b"*?[", b"k2"]
PATTERNS = [b"*", b"k*", b"?", b"*\x00*", b"[a-z]*", b"\xff*", b"*[", b"x*", b"\\*?\\[",
            b"line\r\n*"]


def rand_value(rnd: random.Random) -> bytes:
    r = rnd.random()
    if r < 0.25:
        return str(rnd.randint(-1000, 1000)).encode()
    if r < 0.35:
        return b""
    if r < 0.55:
        return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 20)))
    alphabet = b"ACGT" if r < 0.8 else b"ab\x00\r\n"
    return bytes(rnd.choice(alphabet) for _ in range(rnd.randint(1, 40)))


def rand_command(rnd: random.Random) -> tuple:
    k, k2 = rnd.choice(KEYS), rnd.choice(KEYS)
    n = lambda lo, hi: str(rnd.randint(lo, hi)).encode()  # noqa: E731
    choices = [
        lambda: (b"SET", k, rand_value(rnd)),
        lambda: (b"SET", k, rand_value(rnd), rnd.choice([b"NX", b"XX", b"GET"])),
        lambda: (b"GET", k),
        lambda: (b"APPEND", k, rand_value(rnd)),
        lambda: (b"STRLEN", k),
        lambda: (b"GETRANGE", k, n(-50, 50), n(-50, 50)),
        lambda: (b"SUBSTR", k, n(-50, 50), n(-50, 50)),
        lambda: (b"SETRANGE", k, n(0, 60), rand_value(rnd)),
        lambda: (b"INCR", k),
        lambda: (b"DECRBY", k, n(-100, 100)),
        lambda: (b"DEL", k),
        lambda: (b"EXISTS", k, k2),
        lambda: (b"TYPE", k),
        lambda: (b"RENAME", k, k2),
        lambda: (b"RENAMENX", k, k2),
        lambda: (b"GETDEL", k),
        lambda: (b"MGET", k, k2),
        lambda: (b"MSET", k, rand_value(rnd), k2, rand_value(rnd)),
        lambda: (b"EXPIRE", k, n(1000, 2000)),
        lambda: (b"PERSIST", k),
        lambda: (b"LCS", k, k2),
        lambda: (b"LCS", k, k2, b"LEN"),
        lambda: (b"LCS", k, k2, b"IDX"),
        lambda: (b"LCS", k, k2, b"IDX", b"MINMATCHLEN", n(0, 4)),
        lambda: (b"LCS", k, k2, b"IDX", b"WITHMATCHLEN"),
        lambda: (b"LCS", k, k2, b"IDX", b"MINMATCHLEN", n(-1, 3), b"WITHMATCHLEN"),
        lambda: (b"LCS", k, k2, b"LEN", b"IDX"),
        lambda: (b"LCS", k, k2, b"MINMATCHLEN"),
        lambda: (b"KEYS", rnd.choice(PATTERNS)),
        lambda: (b"DBSIZE",),
    ]
    return rnd.choice(choices)()


def canonical(cmd: tuple, reply: bytes):
    """KEYS lists in hash order on both servers: compare its keys as a sorted list."""
    if cmd[0] == b"KEYS":
        parsed = parse_resp(reply)
        if isinstance(parsed, list):
            return sorted(parsed)
    return reply


@pytest.mark.parametrize("seed", SEEDS)
def test_random_sequences_reply_as_redis(kv, redis_ref, seed):
    rnd = random.Random(seed)
    commands = [rand_command(rnd) for _ in range(STEPS)]
    with kv.raw() as ours, redis_ref.raw() as theirs:
        for step, cmd in enumerate(commands):
            ours.send_command(*cmd)
            theirs.send_command(*cmd)
            mine, ref = ours.read_reply_bytes(), theirs.read_reply_bytes()
            assert canonical(cmd, mine) == canonical(cmd, ref), (
                f"seed {seed} step {step}: {[a[:40] for a in cmd]}\n"
                f"  kv-server: {mine[:300]!r}\n  redis:     {ref[:300]!r}")
        # The end states agree too.
        for k in KEYS:
            ours.send_command(b"GET", k)
            theirs.send_command(b"GET", k)
            assert ours.read_reply_bytes() == theirs.read_reply_bytes(), (seed, k[:40])


def test_sequences_exercise_every_command(redis_ref):
    """Guards the generator: across the seeds, every command runs, errors and successes both."""
    seen, errors = set(), 0
    for seed in SEEDS:
        rnd = random.Random(seed)
        with redis_ref.raw() as r:
            for _ in range(STEPS):
                cmd = rand_command(rnd)
                seen.add(cmd[0] + (b" " + cmd[3] if cmd[0] == b"LCS" and len(cmd) > 3 else b""))
                r.send_command(*cmd)
                if r.read_reply_bytes().startswith(b"-"):
                    errors += 1
        redis_ref.flushall()
    assert {b"SUBSTR", b"LCS", b"LCS LEN", b"LCS IDX", b"KEYS", b"RENAME"} <= seen
    assert errors >= 20
