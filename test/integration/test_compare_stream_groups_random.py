"""Seeded random consumer-group sequences side by side with Debian's redis-server: XGROUP
(CREATE with MKSTREAM and ENTRIESREAD, SETID, CREATECONSUMER, DELCONSUMER, DESTROY),
XREADGROUP (">", history IDs, NOACK, COUNT), XREAD, XACK, XPENDING (summary and extended,
IDLE, consumer), XCLAIM (IDLE, TIME, RETRYCOUNT, FORCE, JUSTID, LASTID), XAUTOCLAIM (COUNT,
JUSTID), XINFO STREAM [FULL], GROUPS, CONSUMERS, among XADD / XDEL / XTRIM on the same keys,
with bad IDs, unknown groups and wrong types, over RESP2 and RESP3. Every reply must be identical once the clock is
taken out: idle times and delivery or seen times (which differ by the milliseconds between the
two servers) are compared as "some time", and `TIME` / `IDLE` arguments are drawn far from now
so that both servers apply them alike."""

from __future__ import annotations

import random

import pytest

SEEDS = [11, 12, 13, 14, 15, 16]
STEPS = 2500
KEYS = [b"s1", b"s2", b"str"]
GROUPS = [b"g1", b"g2", b"g3"]
CONSUMERS = [b"alice", b"bob", b"carol", b"dave"]


class Gen:
    def __init__(self, rnd: random.Random):
        self.rnd = rnd
        self.top = {k: 1 for k in KEYS}

    def id(self, key: bytes) -> bytes:
        rnd = self.rnd
        top = self.top[key]
        r = rnd.random()
        if r < 0.8:
            return f"{rnd.randint(1, top + 2)}-{rnd.randint(0, 2)}".encode()
        if r < 0.9:
            return rnd.choice([b"0", b"0-0", b"(1-0", f"({top}-1".encode()])
        return rnd.choice([b"x", b"-", b"+", b"1-x", b"18446744073709551615-18446744073709551615",
                           b"(18446744073709551615-18446744073709551615"])

    def command(self) -> tuple:
        rnd = self.rnd
        k = rnd.choice(KEYS)
        g = rnd.choice(GROUPS)
        c = rnd.choice(CONSUMERS)
        r = rnd.random()
        if r < 0.25:
            self.top[k] += rnd.choice([0, 1, 1, 2])
            return (b"XADD", k, f"{self.top[k]}-*".encode(), b"f", str(rnd.randint(0, 9)).encode())
        if r < 0.30:
            return (b"XDEL", k, self.id(k))
        if r < 0.32:
            return (b"XTRIM", k, b"MAXLEN", str(rnd.randint(0, 30)).encode())
        if r < 0.40:
            sub = rnd.random()
            if sub < 0.4:
                args = [b"XGROUP", b"CREATE", k, g, rnd.choice([b"$", b"0", self.id(k)])]
                if rnd.random() < 0.3:
                    args.append(b"MKSTREAM")
                if rnd.random() < 0.2:
                    args += [b"ENTRIESREAD", str(rnd.randint(-2, 20)).encode()]
                return tuple(args)
            if sub < 0.6:
                args = [b"XGROUP", b"SETID", k, g, rnd.choice([b"$", b"0", self.id(k)])]
                if rnd.random() < 0.3:
                    args += [b"ENTRIESREAD", str(rnd.randint(-1, 20)).encode()]
                return tuple(args)
            if sub < 0.75:
                return (b"XGROUP", b"CREATECONSUMER", k, g, c)
            if sub < 0.9:
                return (b"XGROUP", b"DELCONSUMER", k, g, c)
            return (b"XGROUP", b"DESTROY", k, g)
        if r < 0.60:
            args = [b"XREADGROUP", b"GROUP", g, c]
            if rnd.random() < 0.6:
                args += [b"COUNT", str(rnd.randint(0, 4)).encode()]
            if rnd.random() < 0.15:
                args.append(b"NOACK")
            args += [b"STREAMS", k, rnd.choice([b">", b">", b"0", self.id(k)])]
            return tuple(args)
        if r < 0.64:
            return (b"XREAD", b"COUNT", str(rnd.randint(1, 5)).encode(), b"STREAMS", k, self.id(k))
        if r < 0.72:
            return (b"XACK", k, g) + tuple(self.id(k) for _ in range(rnd.randint(1, 3)))
        if r < 0.80:
            if rnd.random() < 0.3:
                return (b"XPENDING", k, g)
            args = [b"XPENDING", k, g]
            if rnd.random() < 0.3:
                args += [b"IDLE", rnd.choice([b"0", b"100000000"])]
            args += [self.id(k), rnd.choice([b"+", self.id(k)]), str(rnd.randint(-1, 6)).encode()]
            if rnd.random() < 0.4:
                args.append(c)
            return tuple(args)
        if r < 0.88:
            args = [b"XCLAIM", k, g, c, rnd.choice([b"0", b"100000000", b"-5"])]
            args += [self.id(k) for _ in range(rnd.randint(1, 3))]
            for opt in rnd.sample([b"IDLE", b"TIME", b"RETRYCOUNT", b"FORCE", b"JUSTID",
                                   b"LASTID"], rnd.randint(0, 3)):
                if opt == b"IDLE":
                    args += [opt, rnd.choice([b"1000000000", b"-1"])]
                elif opt == b"TIME":
                    args += [opt, rnd.choice([b"1000", b"-5", b"99999999999999"])]
                elif opt == b"RETRYCOUNT":
                    args += [opt, str(rnd.randint(-1, 5)).encode()]
                elif opt == b"LASTID":
                    args += [opt, self.id(k)]
                else:
                    args.append(opt)
            return tuple(args)
        if r < 0.93:
            args = [b"XAUTOCLAIM", k, g, c, rnd.choice([b"0", b"100000000"]), self.id(k)]
            if rnd.random() < 0.6:
                args += [b"COUNT", str(rnd.randint(0, 4)).encode()]
            if rnd.random() < 0.4:
                args.append(b"JUSTID")
            return tuple(args)
        if r < 0.98:
            return rnd.choice([(b"XINFO", b"STREAM", k), (b"XINFO", b"STREAM", k, b"FULL"),
                               (b"XINFO", b"STREAM", k, b"FULL", b"COUNT", b"2"),
                               (b"XINFO", b"GROUPS", k), (b"XINFO", b"CONSUMERS", k, g)])
        if r < 0.985:
            return (b"DEL", k)
        return (b"SET", b"str", b"v")


def sequence(seed: int) -> list:
    gen = Gen(random.Random(seed))
    return [gen.command() for _ in range(STEPS)]


SOME_TIME = "<time>"


def field(m, name):
    """A map's value in either protocol: RESP3 maps parse to dicts, RESP2 to flat lists."""
    return m[name] if isinstance(m, dict) else m[m.index(name) + 1]


def set_field(m, name, value):
    if isinstance(m, dict):
        m[name] = value
    else:
        m[m.index(name) + 1] = value


def without_clock(cmd: tuple, reply):
    """The reply with its clock readings replaced by SOME_TIME."""
    if isinstance(reply, Exception):
        return ("error", str(reply))
    if not isinstance(reply, (list, dict)):
        return reply
    name = cmd[0]
    if name == b"XPENDING" and len(cmd) > 3:
        return [[row[0], row[1], SOME_TIME, row[3]] for row in reply]
    if name == b"XINFO" and cmd[1] == b"CONSUMERS":
        for c in reply:
            set_field(c, b"idle", SOME_TIME)
        return reply
    if name == b"XINFO" and b"FULL" in cmd:
        for g in field(reply, b"groups"):
            for row in field(g, b"pending"):
                row[2] = SOME_TIME
            for c in field(g, b"consumers"):
                set_field(c, b"seen-time", SOME_TIME)
                for row in field(c, b"pending"):
                    row[1] = SOME_TIME
    return reply


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("seed", SEEDS)
def test_random_group_sequences_reply_as_redis(kv, redis_ref, seed, protocol):
    with kv.raw() as ours, redis_ref.raw() as theirs:
        if protocol == 3:
            assert ours.call("HELLO", "3")[b"proto"] == theirs.call("HELLO", "3")[b"proto"] == 3
        for step, cmd in enumerate(sequence(seed)):
            ours.send_command(*cmd)
            theirs.send_command(*cmd)
            mine, ref = ours.read_reply(), theirs.read_reply()
            assert without_clock(cmd, mine) == without_clock(cmd, ref), (
                f"seed {seed} step {step}: {cmd}\n  kv-server: {mine!r}\n  redis:     {ref!r}")


def test_sequences_exercise_every_command(redis_ref):
    """Guards the generator: every command runs, succeeding and failing."""
    seen = set()
    for seed in SEEDS:
        with redis_ref.raw() as r:
            for cmd in sequence(seed):
                r.send_command(*cmd)
                reply = r.read_reply()
                seen.add((cmd[0], isinstance(reply, Exception)))
        redis_ref.flushall()
    for name in (b"XGROUP", b"XREADGROUP", b"XACK", b"XPENDING", b"XCLAIM", b"XAUTOCLAIM",
                 b"XINFO"):
        assert (name, False) in seen and (name, True) in seen, name
