"""Seeded random stream command sequences side by side with Debian's redis-server: XADD with
explicit, `<ms>-*`, 0-0 and stale IDs, NOMKSTREAM, MAXLEN / MINID trimming exact and with `~`
and LIMIT; XRANGE / XREVRANGE with inclusive, exclusive and incomplete bounds and COUNT; XLEN,
XDEL, XTRIM, XSETID with ENTRIESADDED and MAXDELETEDID; WRONGTYPE on a string key; bad IDs and
syntax errors. Every reply must be byte-identical.

`*` IDs (the clock) are not drawn: `<ms>-*` covers the same generation rules deterministically.
Values stay short, so a node closes at stream-node-max-entries (100) on both servers, whatever
their byte layouts, and `~` trimming (whole nodes) removes the same entries; a smaller
stream-node-max-entries on both servers runs the node edges more often."""

from __future__ import annotations

import random

import pytest

SEEDS = [1, 2, 3, 4, 5, 6]
STEPS = 2500
KEYS = [b"s1", b"s2", b"s3", b"str"]
FIELDS = [b"a", b"b", b"type", b"job"]


def rand_value(rnd: random.Random) -> bytes:
    r = rnd.random()
    if r < 0.4:
        return str(rnd.randint(-5000, 5000)).encode()
    if r < 0.5:
        return rnd.choice([b"", b"-0", b"007", b"1700000000", b"9223372036854775808"])
    return bytes(rnd.choice(b"abc\x00 ") for _ in range(rnd.randint(1, 12)))


class Gen:
    """Draws commands; keeps a rough idea of each key's top ms so most XADDs succeed."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd
        self.top = {k: 0 for k in KEYS}

    def id(self, key: bytes) -> bytes:
        rnd = self.rnd
        top = self.top[key]
        r = rnd.random()
        if r < 0.7:
            return f"{rnd.randint(max(0, top - 3), top + 5)}-{rnd.randint(0, 3)}".encode()
        if r < 0.8:
            return str(rnd.randint(0, top + 5)).encode()
        if r < 0.9:
            return f"({rnd.randint(0, top + 5)}-{rnd.randint(0, 3)}".encode()
        return rnd.choice([b"-", b"+", b"(-", b"(+", b"0-0", b"x", b"1-x", b"-1", b"(", b"",
                           b"18446744073709551615-18446744073709551615", b"+5", b"1-2-3"])

    def trim(self, key: bytes) -> list:
        rnd = self.rnd
        kind = rnd.choice([b"MAXLEN", b"MINID", b"maxlen"])
        out = [kind]
        op = rnd.choice([None, b"=", b"~", b"~"])
        if op:
            out.append(op)
        if kind == b"MINID":
            out.append(f"{rnd.randint(0, self.top[key] // 4 + 2)}-{rnd.randint(0, 2)}".encode())
        else:
            out.append(str(rnd.choice([0, 5, 120, 150, 250, 300, 400, -1])).encode())
        if rnd.random() < 0.3:
            out += [b"LIMIT", str(rnd.choice([0, 1, 99, 100, 250, -3])).encode()]
        return out

    def fields(self) -> list:
        rnd = self.rnd
        if rnd.random() < 0.7:
            names = [b"type", b"job"]
        else:
            names = [rnd.choice(FIELDS) for _ in range(rnd.randint(1, 3))]
        out = []
        for f in names:
            out += [f, rand_value(rnd)]
        return out

    def command(self) -> tuple:
        rnd = self.rnd
        k = rnd.choice(KEYS)
        r = rnd.random()
        if r < 0.55:
            self.top[k] += rnd.choice([0, 0, 1, 1, 2, 40])
            args = [b"XADD", k]
            if rnd.random() < 0.05:
                args.append(b"NOMKSTREAM")
            if rnd.random() < 0.1:
                args += self.trim(k)
            t = rnd.random()
            if t < 0.6:
                args.append(f"{self.top[k]}-{rnd.randint(0, 500)}".encode())
            elif t < 0.85:
                args.append(f"{self.top[k]}-*".encode())
            else:
                args.append(self.id(k))
            args += self.fields()
            if rnd.random() < 0.03:
                args.pop()  # an odd number of field arguments
            return tuple(args)
        if r < 0.7:
            cmd = rnd.choice([b"XRANGE", b"XREVRANGE"])
            args = [cmd, k, self.id(k), self.id(k)]
            if rnd.random() < 0.5:
                args += [rnd.choice([b"COUNT", b"count"]), str(rnd.randint(-1, 30)).encode()]
            elif rnd.random() < 0.05:
                args += [b"COUNT"]
            return tuple(args)
        if r < 0.78:
            return (b"XDEL", k) + tuple(self.id(k) for _ in range(rnd.randint(1, 4)))
        if r < 0.83:
            return (b"XTRIM", k) + tuple(self.trim(k))
        if r < 0.86:
            return (b"XLEN", k)
        if r < 0.91:
            args = [b"XSETID", k, self.id(k)]
            if rnd.random() < 0.4:
                args += [b"ENTRIESADDED", str(rnd.randint(-1, 400)).encode()]
            if rnd.random() < 0.4:
                args += [b"MAXDELETEDID", self.id(k)]
            return tuple(args)
        if r < 0.911:
            return (b"DEL", k)
        if r < 0.93:
            return (b"SET", b"str", b"v")
        return rnd.choice([(b"TYPE", k), (b"EXISTS", k), (b"OBJECT", b"ENCODING", k),
                           (b"XADD", k, b"MAXLEN", b"1", b"MINID", b"1", b"5-5", b"f", b"v"),
                           (b"XADD", k, b"LIMIT", b"5", b"9-9", b"f", b"v"),
                           (b"XTRIM", k, b"FOO", b"1"), (b"XRANGE", k, b"-", b"+", b"FOO", b"1")])


def sequence(seed: int) -> list:
    gen = Gen(random.Random(seed))
    return [gen.command() for _ in range(STEPS)]


@pytest.mark.parametrize("node_entries", [100, 7])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_stream_sequences_reply_as_redis(kv, redis_ref, seed, node_entries):
    commands = sequence(seed)
    with kv.raw() as ours, redis_ref.raw() as theirs:
        for conn in (ours, theirs):
            assert conn.call(b"CONFIG", b"SET", b"stream-node-max-entries",
                             str(node_entries).encode()) == b"OK"
        try:
            for step, cmd in enumerate(commands):
                ours.send_command(*cmd)
                theirs.send_command(*cmd)
                mine, ref = ours.read_reply_bytes(), theirs.read_reply_bytes()
                assert mine == ref, (
                    f"seed {seed} step {step}: {[a[:40] for a in cmd]}\n"
                    f"  kv-server: {mine[:300]!r}\n  redis:     {ref[:300]!r}")
            # The end states agree too, entries and IDs.
            for k in KEYS:
                for cmd in ((b"XRANGE", k, b"-", b"+"), (b"XLEN", k), (b"TYPE", k)):
                    ours.send_command(*cmd)
                    theirs.send_command(*cmd)
                    assert ours.read_reply_bytes() == theirs.read_reply_bytes(), (seed, cmd)
        finally:
            for conn in (ours, theirs):
                conn.call(b"CONFIG", b"SET", b"stream-node-max-entries", b"100")


def test_sequences_exercise_every_command(redis_ref):
    """Guards the generator: across the seeds every command runs, succeeding and failing, and
    trims remove entries."""
    seen, errors, trimmed = set(), 0, 0
    for seed in SEEDS:
        with redis_ref.raw() as r:
            for cmd in sequence(seed):
                r.send_command(*cmd)
                reply = r.read_reply_bytes()
                seen.add((cmd[0], reply.startswith(b"-")))
                errors += reply.startswith(b"-")
                if cmd[0] == b"XTRIM" and reply[:1] == b":" and reply != b":0\r\n":
                    trimmed += 1
        redis_ref.flushall()
    for name in (b"XADD", b"XRANGE", b"XREVRANGE", b"XDEL", b"XTRIM", b"XSETID"):
        assert (name, False) in seen and (name, True) in seen, name
    assert errors >= 50 and trimmed >= 10
