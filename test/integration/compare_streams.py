"""Seeded random command streams for Redis's collection families (LIST, HASH, SET, ZSET), for the
differential tests that run one stream against kv-server and Debian's redis-server side by side
(test_compare_collections.py; the comparison itself is in compare_runner.py).

A stream depends on its family and seed only, never on replies, so a failure is reproduced by
`stream(family, seed, steps)[step]` and the commands before it. Each family's stream uses that
family, the string family (values of the wrong type: WRONGTYPE both ways) and the generic key
commands, so a family can be compared as soon as it lands, before the others exist. The MIXED
stream draws from all four, on keys they partly share (WRONGTYPE from one collection type to
another), for when all four have landed.

What the streams avoid, because Redis itself does not answer it deterministically:
- the order of SMEMBERS, SINTER/SUNION/SDIFF, HGETALL/HKEYS/HVALS and KEYS (hash order): such
  commands are marked UNORDERED or PAIRS and compared as multisets;
- the draws of SPOP, SRANDMEMBER, HRANDFIELD and ZRANDMEMBER: marked with a Sample, which the
  runner checks for shape and membership (and undoes, for SPOP) unless the draw covers the whole
  collection;
- lex ranges over members with different scores (Redis's answer then depends on the encoding and
  on the skiplist's random levels): lex commands read only LEX_KEY, whose scores are all 0;
- OBJECT ENCODING and exact TTLs (TTL is compared as missing / persistent / expiring).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

# How two replies are compared.
EXACT = "exact"          # byte-identical
UNORDERED = "unordered"  # the same aggregate header, the same elements in any order
PAIRS = "pairs"          # like UNORDERED over (field, value) / (member, score) pairs
TTL_CLASS = "ttl"        # -2, -1, or "some positive TTL"


@dataclass(frozen=True)
class Sample:
    """A command whose reply Redis draws at random. The runner reads `size` (an integer reply)
    and `universe` (every element, or every pair when `pairs`) first; a draw that must return
    everything (count >= size) is compared as a set, any other draw by its shape and by each
    server's elements belonging to that server's own universe. `restore` (SPOP) names the
    command that adds each server's popped elements back, so both keyspaces stay equal."""
    count: int | None            # the COUNT argument as an integer; None: the one-element form
    size: tuple
    universe: tuple
    pairs: bool = False
    restore: bytes | None = None


@dataclass(frozen=True)
class Cmd:
    args: tuple
    order: str = EXACT
    sample: Sample | None = None


# MIXED: the four families' commands in one stream, on keys they partly share.
FAMILY_NAMES = ("LIST", "HASH", "SET", "ZSET", "MIXED")

STRING_KEY = b"str"
# Lex ranges are only well defined when all scores are equal: only score-0 writes reach this key.
LEX_KEY = b"zlex"

_BINARIES = [b"a\x00b", b"\r\n", b"\x00", b"\xff\xfe", b"line\r\nbreak", "日本".encode(),
             b"\\*?[", b" 1", b"1 ", b"\t"]
_INT_EDGES = [b"0", b"-0", b"007", b"+5", b"9223372036854775807", b"-9223372036854775808",
              b"9223372036854775808", b"-9223372036854775809", b"1e3", b"0x10", b"12 "]
_BAD_INTS = [b"x", b"1.5", b"", b"99999999999999999999", b" 1", b"1x", b"--1"]


class _Gen:
    """The random choices shared by the families; every draw comes from one seeded Random."""

    def __init__(self, seed: int):
        self.rnd = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.rnd.random() < p

    def pick(self, seq):
        return self.rnd.choice(seq)

    def key(self, keys: list[bytes]) -> bytes:
        """One of a family's keys; the string key (a WRONGTYPE) one time in twelve."""
        if STRING_KEY in keys and not self.chance(1 / 12):
            keys = [k for k in keys if k != STRING_KEY]
        return self.rnd.choice(keys)

    def num(self, lo: int, hi: int) -> bytes:
        return str(self.rnd.randint(lo, hi)).encode()

    def int_or_bad(self, lo: int, hi: int, bad: float = 0.05) -> bytes:
        """An integer argument, sometimes not a valid one (the error text is compared too)."""
        if self.chance(bad):
            return self.pick(_BAD_INTS)
        return self.num(lo, hi)

    def long_value(self) -> bytes:
        """Longer than 64 bytes (listpack's value limit for hashes and sorted sets); rarely
        past 8 KB (a quicklist node's limit)."""
        n = self.rnd.randint(65, 300) if not self.chance(0.1) else self.rnd.randint(8200, 12000)
        return bytes(self.pick(b"ACGT\x00\n") for _ in range(n))

    def value(self, common: list[bytes] | None = None) -> bytes:
        r = self.rnd.random()
        if common and r < 0.35:
            return self.pick(common)
        if r < 0.5:
            return self.num(-1000, 1000)
        if r < 0.57:
            return b""
        if r < 0.7:
            return self.pick(_BINARIES)
        if r < 0.8:
            return self.pick(_INT_EDGES)
        if r < 0.92:
            return bytes(self.rnd.getrandbits(8) for _ in range(self.rnd.randint(1, 20)))
        return self.long_value()

    def values(self, n: int, common: list[bytes] | None = None) -> tuple:
        return tuple(self.value(common) for _ in range(n))

    def count(self) -> int:
        """How many elements a variadic write carries: usually a few, sometimes enough to cross
        the 128 / 512 entry encoding limits in a couple of steps."""
        if self.chance(0.12):
            return self.rnd.randint(100, 300)
        return self.rnd.randint(1, 4)


# ---------------------------------------------------------------------------- generic commands
def _generic(g: _Gen, keys: list[bytes], protected: tuple = ()) -> Cmd:
    """Key commands that work on every type, and string commands that must say WRONGTYPE on a
    collection. `protected` keys are never a RENAME destination or overwritten with SET."""
    k, k2 = g.pick(keys), g.pick(keys)
    dst = g.pick([x for x in keys if x not in protected])
    # String writes mostly go to the string key: one that lands on a collection's key makes
    # every later command on it a WRONGTYPE until something deletes it.
    sk = dst if g.chance(0.15) else STRING_KEY
    choices = [
        lambda: Cmd((b"TYPE", k)),
        lambda: Cmd((b"DEL", k) + ((k2,) if g.chance(0.3) else ())),
        lambda: Cmd((b"UNLINK", k)),
        lambda: Cmd((b"EXISTS", k, k2, k)),
        lambda: Cmd((b"EXPIRE", k, g.num(1000, 2000))),
        lambda: Cmd((b"EXPIRE", k, g.num(1000, 2000), g.pick([b"NX", b"XX", b"GT", b"LT"]))),
        lambda: Cmd((b"EXPIRE", k, g.pick([b"-1", b"0", b"x"]))),
        lambda: Cmd((b"PERSIST", k)),
        lambda: Cmd((b"TTL", k), TTL_CLASS),
        lambda: Cmd((b"RENAME", k, dst)),
        lambda: Cmd((b"RENAMENX", k, dst)),
        lambda: Cmd((b"KEYS", b"*"), UNORDERED),
        lambda: Cmd((b"DBSIZE",)),
        lambda: Cmd((b"GET", k)),
        lambda: Cmd((b"SET", sk, g.value())),
        lambda: Cmd((b"INCR", sk)),
        lambda: Cmd((b"APPEND", sk, g.value())),
        lambda: Cmd((b"SETRANGE", sk, g.num(0, 5), b"xy")),
        lambda: Cmd((b"STRLEN", k)),
        lambda: Cmd((b"GETRANGE", k, b"0", b"-1")),
    ]
    return g.pick(choices)()


def _weighted(g: _Gen, table: list) -> Cmd:
    weights = [w for w, _ in table]
    return g.rnd.choices(table, weights)[0][1]()


def _sort(g: _Gen, k: bytes, dst: bytes, kind: str) -> Cmd:
    """SORT / SORT_RO of `k` (a "list", "set" or "zset" key) with random options. Redis walks a
    set, and a sorted set it sorts, in hash order, so on them everything that can leave ties
    only runs with STORE (which compares whole texts, where members never tie): ALPHA (a reply
    ends a text at a NUL, Redis's strcoll) and a set's BY nosort (stored ALPHA-sorted). A BY
    pattern only weighs numerically, where the element's bytes settle ties (ALPHA ties under
    BY and LIMIT are left open by Redis's partial quicksort)."""
    if k in _SHARED:
        kind = "set"  # in the MIXED stream this key may hold any type: the strictest rules
    alpha = g.chance(0.5)
    nosort = g.chance(0.2)
    store = g.chance(0.3) or (kind != "list" and (alpha or (kind == "set" and nosort)))
    groups = []
    if alpha:
        groups.append([b"ALPHA"])
    if nosort:
        groups.append([b"BY", g.pick([b"nosort", b"const"])])
    elif not alpha and g.chance(0.15):
        groups.append([b"BY", b"*"])  # the key named by the element: mostly missing, weight 0
    if g.chance(0.4):
        groups.append([g.pick([b"DESC", b"ASC", b"desc"])])
    if g.chance(0.5):
        groups.append([b"LIMIT", g.int_or_bad(-3, 10), g.int_or_bad(-3, 10)])
    for _ in range(g.rnd.randint(0, 2) if g.chance(0.25) else 0):
        groups.append([b"GET", g.pick([b"#", b"*", b"nokey", b"*->f"])])
    if store:
        groups.append([b"STORE", dst])
    g.rnd.shuffle(groups)
    args = [b"SORT" if store or g.chance(0.6) else b"SORT_RO", k]
    if g.chance(0.03):
        args[0] = b"SORT_RO"  # with STORE: a syntax error
    for group in groups:
        args += group
    if g.chance(0.03):
        args.append(b"BOGUS")
    return Cmd(tuple(args))


# ---------------------------------------------------------------------------- LIST
LIST_KEYS = [b"la", b"lb", b"l\x00\r\nc", STRING_KEY]
_LIST_COMMON = [b"a", b"b", b"c", b"", b"1", b"a\x00b", b"x" * 70]


def _list_cmd(g: _Gen) -> Cmd:
    k, k2 = g.key(LIST_KEYS), g.key(LIST_KEYS)
    side = lambda: g.pick([b"LEFT", b"RIGHT"] * 10 + [b"UP", b"left"])  # noqa: E731
    idx = lambda: g.int_or_bad(-12, 12)  # noqa: E731
    common = _LIST_COMMON

    def push(cmd):
        return Cmd((cmd, k) + g.values(g.count(), common))

    def pop(cmd):
        if g.chance(0.4):
            return Cmd((cmd, k))
        return Cmd((cmd, k, g.pick([g.num(0, 5), g.num(0, 5), b"1000", b"-1", b"x"])))

    def lpos():
        args = [b"LPOS", k, g.value(common)]
        for opt in g.rnd.sample([b"RANK", b"COUNT", b"MAXLEN"], g.rnd.randint(0, 3)):
            if opt == b"RANK":
                # Not -9223372036854775808: Redis 7.0 negates it and overflows, 7.2 and
                # kv-server refuse it (docs/commands.md; test_lists_kv.py covers it).
                val = g.pick([g.num(-3, 3), b"9223372036854775808", b"x"])
            else:
                val = g.pick([g.num(0, 5), b"-1", b"x"])
            args += [opt, val]
        if g.chance(0.03):
            args.append(b"BOGUS")
        return Cmd(tuple(args))

    def lmpop():
        keys = [g.key(LIST_KEYS) for _ in range(g.rnd.randint(1, 3))]
        n = str(len(keys)).encode() if not g.chance(0.05) else g.pick([b"0", b"-1", b"9", b"x"])
        args = (b"LMPOP", n, *keys, side())
        if g.chance(0.5):
            args += (b"COUNT", g.pick([g.num(1, 5), b"0", b"-1", b"x", b"1000"]))
        return Cmd(args)

    table = [
        (8, lambda: push(b"LPUSH")),
        (8, lambda: push(b"RPUSH")),
        (2, lambda: push(b"LPUSHX")),
        (2, lambda: push(b"RPUSHX")),
        (4, lambda: pop(b"LPOP")),
        (4, lambda: pop(b"RPOP")),
        (4, lambda: Cmd((b"LLEN", k))),
        (3, lambda: Cmd((b"LRANGE", k, b"0", b"-1"))),
        (4, lambda: Cmd((b"LRANGE", k, idx(), idx()))),
        (1, lambda: Cmd((b"LRANGE", k, b"-1000", b"1000"))),
        (4, lambda: Cmd((b"LINDEX", k, idx()))),
        (3, lambda: Cmd((b"LSET", k, idx(), g.value(common)))),
        (3, lambda: Cmd((b"LINSERT", k, g.pick([b"BEFORE", b"AFTER"] * 8 + [b"MIDDLE"]),
                         g.value(common), g.value(common)))),
        (3, lambda: Cmd((b"LREM", k, g.int_or_bad(-3, 3), g.value(common)))),
        (2, lambda: Cmd((b"LTRIM", k, idx(), idx()))),
        (4, lpos),
        (3, lambda: Cmd((b"LMOVE", k, k2, side(), side()))),
        (2, lambda: Cmd((b"RPOPLPUSH", k, k2))),
        (3, lmpop),
        (3, lambda: _sort(g, k, k2, "list")),
        (10, lambda: _generic(g, LIST_KEYS)),
    ]
    return _weighted(g, table)


# ---------------------------------------------------------------------------- HASH
HASH_KEYS = [b"ha", b"hb", b"h\x00\r\nc", STRING_KEY]
_FIELDS = [b"f1", b"f2", b"f3", b"", b"\x00", b"f\r\n", b"n", b"fl", b"F" * 70]
_FLOATS = [b"1.5", b"-0.1", b"1e3", b"0.1", b"3", b"-7", b"5.0e3", b"inf", b"-inf", b"nan",
           b"abc", b"", b"1.7976931348623157e308", b"0x10", b" 1"]


def _hash_cmd(g: _Gen) -> Cmd:
    k = g.key(HASH_KEYS)
    field = lambda: g.pick(_FIELDS) if g.chance(0.8) else g.value()  # noqa: E731

    def hset(cmd):
        n = g.count()
        pairs = []
        for _ in range(n):
            f = field() if n < 10 else b"f%d" % g.rnd.randint(0, 400)
            pairs += [f, g.value()]
        return Cmd((cmd, k, *pairs))

    def number_field():
        # Counters that HINCRBY / HINCRBYFLOAT accept, and some they refuse (overflow, text).
        v = g.pick([g.num(-100, 100), b"9223372036854775800", b"-9223372036854775800",
                    b"1.5", b"abc", b"", b"1e2"])
        return Cmd((b"HSET", k, g.pick([b"n", b"fl"]), v))

    def hrandfield():
        if g.chance(0.3):
            return Cmd((b"HRANDFIELD", k), sample=Sample(None, (b"HLEN", k), (b"HKEYS", k)))
        count = g.pick([1, 2, 3, 5, 200, -1, -3, -5, 0])
        if g.chance(0.05):
            return Cmd((b"HRANDFIELD", k, g.pick([b"x", b"1.5"])))
        with_values = g.chance(0.5)
        if with_values:
            return Cmd((b"HRANDFIELD", k, str(count).encode(), b"WITHVALUES"),
                       sample=Sample(count, (b"HLEN", k), (b"HGETALL", k), pairs=True))
        return Cmd((b"HRANDFIELD", k, str(count).encode()),
                   sample=Sample(count, (b"HLEN", k), (b"HKEYS", k)))

    table = [
        (10, lambda: hset(b"HSET")),
        (3, lambda: hset(b"HMSET")),
        (3, lambda: Cmd((b"HSETNX", k, field(), g.value()))),
        (5, lambda: Cmd((b"HGET", k, field()))),
        (3, lambda: Cmd((b"HMGET", k, field(), field(), field()))),
        (4, lambda: Cmd((b"HDEL", k, field()) + ((field(),) if g.chance(0.4) else ()))),
        (4, lambda: Cmd((b"HLEN", k))),
        (3, lambda: Cmd((b"HSTRLEN", k, field()))),
        (3, lambda: Cmd((b"HEXISTS", k, field()))),
        (3, lambda: Cmd((b"HGETALL", k), PAIRS)),
        (2, lambda: Cmd((b"HKEYS", k), UNORDERED)),
        (2, lambda: Cmd((b"HVALS", k), UNORDERED)),
        (3, number_field),
        (4, lambda: Cmd((b"HINCRBY", k, g.pick([b"n", b"n", b"fl", b"f1", b"new"]),
                         g.pick([g.num(-50, 50), b"9223372036854775807", b"x", b"1.5"])))),
        (4, lambda: Cmd((b"HINCRBYFLOAT", k, g.pick([b"fl", b"fl", b"n", b"f1", b"new"]),
                         g.pick(_FLOATS)))),
        (4, hrandfield),
        (10, lambda: _generic(g, HASH_KEYS)),
    ]
    return _weighted(g, table)


# ---------------------------------------------------------------------------- SET
SET_KEYS = [b"sa", b"sb", b"si", b"s\x00\r\nc", b"sdst", STRING_KEY]
_SET_COMMON = [b"a", b"b", b"c", b"", b"1", b"2", b"-3", b"a\x00b", b"m" * 70]


def _set_cmd(g: _Gen) -> Cmd:
    k = g.key(SET_KEYS)
    several = lambda lo, hi: [g.key(SET_KEYS) for _ in range(g.rnd.randint(lo, hi))]  # noqa: E731

    def store_dst():
        # Mostly a key of their own: on the others the STORE forms would keep replacing big
        # sets with small results.
        return b"sdst" if g.chance(0.7) else g.key(SET_KEYS)

    def member():
        # Integers only on "si" most of the time, so its set stays an intset until a string
        # (or its 513th member) converts it.
        if k == b"si" and not g.chance(0.03):
            return g.num(-600, 600) if not g.chance(0.05) else g.pick(_INT_EDGES[:7])
        return g.value(_SET_COMMON)

    def members(n):
        if n >= 10 and (k == b"si" or g.chance(0.5)):
            # Integers only, enough of them to pass the intset's 512 members in a few steps.
            return tuple(g.num(-2000, 2000) for _ in range(n * 3))
        return tuple(member() for _ in range(n))

    def spop():
        if g.chance(0.3):
            return Cmd((b"SPOP", k), sample=Sample(None, (b"SCARD", k), (b"SMEMBERS", k),
                                                   restore=b"SADD"))
        count = g.pick([1, 2, 3, 10, 1000, 0])
        if g.chance(0.08):
            return Cmd((b"SPOP", k, g.pick([b"-1", b"x"])))
        return Cmd((b"SPOP", k, str(count).encode()),
                   sample=Sample(count, (b"SCARD", k), (b"SMEMBERS", k), restore=b"SADD"))

    def srandmember():
        if g.chance(0.3):
            return Cmd((b"SRANDMEMBER", k), sample=Sample(None, (b"SCARD", k), (b"SMEMBERS", k)))
        if g.chance(0.05):
            return Cmd((b"SRANDMEMBER", k, g.pick([b"x", b"1.5"])))
        count = g.pick([1, 2, 5, 1000, 0, -1, -3, -8])
        return Cmd((b"SRANDMEMBER", k, str(count).encode()),
                   sample=Sample(count, (b"SCARD", k), (b"SMEMBERS", k)))

    def sintercard():
        keys = several(1, 3)
        n = str(len(keys)).encode() if not g.chance(0.05) else g.pick([b"0", b"-1", b"9", b"x"])
        args = (b"SINTERCARD", n, *keys)
        if g.chance(0.4):
            args += (b"LIMIT", g.pick([g.num(0, 5), b"-1", b"x"]))
        return Cmd(args)

    table = [
        (12, lambda: Cmd((b"SADD", k) + members(g.count()))),
        (5, lambda: Cmd((b"SREM", k) + members(g.rnd.randint(1, 4) if not g.chance(0.05)
                                               else 150))),
        (4, lambda: Cmd((b"SMEMBERS", k), UNORDERED)),
        (4, lambda: Cmd((b"SISMEMBER", k, member()))),
        (3, lambda: Cmd((b"SMISMEMBER", k, member(), member(), member()))),
        (4, lambda: Cmd((b"SCARD", k))),
        (4, spop),
        (4, srandmember),
        (3, lambda: Cmd((b"SMOVE", k, g.key(SET_KEYS), member()))),
        (3, lambda: Cmd((b"SINTER", *several(1, 3)), UNORDERED)),
        (3, lambda: Cmd((b"SUNION", *several(1, 3)), UNORDERED)),
        (3, lambda: Cmd((b"SDIFF", *several(1, 3)), UNORDERED)),
        (2, lambda: Cmd((b"SINTERSTORE", store_dst(), *several(1, 3)))),
        (2, lambda: Cmd((b"SUNIONSTORE", store_dst(), *several(1, 3)))),
        (2, lambda: Cmd((b"SDIFFSTORE", store_dst(), *several(1, 3)))),
        (3, sintercard),
        # STORE makes "sdst" a list (WRONGTYPE to the set commands until a STORE form replaces
        # it), read back whole.
        (2, lambda: _sort(g, k, b"sdst", "set")),
        (1, lambda: Cmd((b"LRANGE", b"sdst", b"0", b"-1"))),
        (10, lambda: _generic(g, SET_KEYS)),
    ]
    return _weighted(g, table)


# ---------------------------------------------------------------------------- ZSET
ZSET_KEYS = [b"za", b"zb", b"z\x00\r\nc", LEX_KEY, b"zdst", STRING_KEY]
_ZWRITABLE = [k for k in ZSET_KEYS if k != LEX_KEY]
_ZMEMBERS = [b"a", b"b", b"c", b"d", b"e", b"aa", b"ab", b"", b"\x00", b"b\x00", b"m" * 70]
_SCORES = [b"0", b"1", b"-1", b"1.5", b"2", b"3", b"10", b"-2.5", b"0.1", b"0.2", b"1e-7",
           b"inf", b"-inf", b"+inf", b"1e3", b"3.0", b"-0", b"1.7976931348623157e308"]
_BAD_SCORES = [b"nan", b"x", b"", b"1.5x", b"0x10", b" 1", b"(1"]
_SCORE_BOUNDS = [b"-inf", b"+inf", b"inf", b"(1.5", b"1", b"(0", b"0", b"2", b"(10", b"10",
                 b"-2.5", b"(-inf", b"(+inf", b"1e3"]
_BAD_BOUNDS = [b"x", b"((1", b"(x", b"nan", b"", b"[1"]
_LEX_BOUNDS = [b"-", b"+", b"[a", b"(a", b"[b", b"(b", b"[aa", b"(c", b"[", b"(", b"[e",
               b"[\x00"]
_BAD_LEX = [b"a", b"", b"-a", b"+b", b"x"]


def _zset_cmd(g: _Gen) -> Cmd:
    k = g.key(ZSET_KEYS)
    # Mostly a key of their own for the STORE forms: on the others they would keep replacing
    # big sorted sets with small results.
    dst = b"zdst" if g.chance(0.7) else g.key(_ZWRITABLE)
    wk = g.key(_ZWRITABLE)  # a key that may take any score
    several = lambda: [g.key(ZSET_KEYS) for _ in range(g.rnd.randint(1, 3))]  # noqa: E731

    def member():
        return g.pick(_ZMEMBERS) if g.chance(0.75) else g.value()

    def score():
        return g.pick(_SCORES) if not g.chance(0.04) else g.pick(_BAD_SCORES)

    def sbound():
        return g.pick(_SCORE_BOUNDS) if not g.chance(0.04) else g.pick(_BAD_BOUNDS)

    def lbound():
        return g.pick(_LEX_BOUNDS) if not g.chance(0.04) else g.pick(_BAD_LEX)

    def limit():
        return (b"LIMIT", g.pick([b"0", b"1", b"2", b"-1", b"x"]),
                g.pick([b"1", b"2", b"5", b"-1", b"0", b"x"]))

    def zadd():
        lex = g.chance(0.25)
        key = LEX_KEY if lex else wk
        opts = g.rnd.sample([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"],
                            g.rnd.choices([0, 1, 2, 3], [4, 4, 2, 1])[0])
        n = g.count() if b"INCR" not in opts or g.chance(0.1) else 1
        if n >= 10 and b"XX" in opts:  # a bulk write that may create the key
            opts.remove(b"XX")
        args = [b"ZADD", key, *opts]
        for _ in range(n):
            m = member() if n < 10 else b"m%d" % g.rnd.randint(0, 400)
            s = b"0" if lex else (score() if n < 10 else g.num(-100, 100))
            args += [s, m]
        if g.chance(0.02):
            args.append(b"dangling")
        return Cmd(tuple(args))

    def zrange(store: bool):
        mode = g.pick([None, None, b"BYSCORE", b"BYLEX"])
        key = LEX_KEY if mode == b"BYLEX" else k
        rev = g.chance(0.3)
        if mode == b"BYSCORE":
            lo, hi = sbound(), sbound()
        elif mode == b"BYLEX":
            lo, hi = lbound(), lbound()
        else:
            lo, hi = g.int_or_bad(-6, 6), g.int_or_bad(-6, 6)
        args = [b"ZRANGESTORE", dst] if store else [b"ZRANGE"]
        args += [key, lo, hi]
        if mode:
            args.append(mode)
        if rev:
            args.append(b"REV")
        if (mode and g.chance(0.4)) or g.chance(0.05):
            args += limit()
        if not store and (g.chance(0.4) and mode != b"BYLEX" or g.chance(0.03)):
            args.append(b"WITHSCORES")
        return Cmd(tuple(args))

    def byscore(cmd):
        args = (cmd, k, sbound(), sbound())
        extra = []
        if g.chance(0.4):
            extra.append((b"WITHSCORES",))
        if g.chance(0.3):
            extra.append(limit())
        g.rnd.shuffle(extra)
        return Cmd(args + tuple(a for part in extra for a in part))

    def bylex(cmd):
        args = (cmd, LEX_KEY, lbound(), lbound())
        if g.chance(0.3):
            args += limit()
        return Cmd(args)

    def numkeys(keys):
        if g.chance(0.04):
            return g.pick([b"0", b"-1", b"9", b"x"])
        return str(len(keys)).encode()

    def setop(cmd, store: bool):
        keys = several()
        args = [cmd] + ([dst] if store else []) + [numkeys(keys), *keys]
        if cmd != b"ZDIFF" and cmd != b"ZDIFFSTORE":
            if g.chance(0.4):
                ws = [g.pick([b"1", b"2", b"-1", b"0.5", b"inf", b"0"]) for _ in keys]
                if g.chance(0.05):
                    ws = ws[:-1] if len(ws) > 1 else ws + [b"x"]
                args += [b"WEIGHTS", *ws]
            if g.chance(0.4):
                args += [b"AGGREGATE", g.pick([b"SUM", b"MIN", b"MAX", b"max", b"AVG"])]
        if not store and g.chance(0.5):
            args.append(b"WITHSCORES")
        return Cmd(tuple(args))

    def zmpop():
        keys = several()
        args = (b"ZMPOP", numkeys(keys), *keys, g.pick([b"MIN", b"MAX"] * 8 + [b"MID"]))
        if g.chance(0.5):
            args += (b"COUNT", g.pick([g.num(1, 5), b"0", b"-1", b"x", b"1000"]))
        return Cmd(args)

    def zintercard():
        keys = several()
        args = (b"ZINTERCARD", numkeys(keys), *keys)
        if g.chance(0.4):
            args += (b"LIMIT", g.pick([g.num(0, 5), b"-1", b"x"]))
        return Cmd(args)

    def zrandmember():
        if g.chance(0.3):
            return Cmd((b"ZRANDMEMBER", k),
                       sample=Sample(None, (b"ZCARD", k), (b"ZRANGE", k, b"0", b"-1")))
        if g.chance(0.05):
            return Cmd((b"ZRANDMEMBER", k, g.pick([b"x", b"1.5"])))
        count = g.pick([1, 2, 3, 5, 500, 0, -1, -4])
        if g.chance(0.5):
            return Cmd((b"ZRANDMEMBER", k, str(count).encode(), b"WITHSCORES"),
                       sample=Sample(count, (b"ZCARD", k),
                                     (b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"), pairs=True))
        return Cmd((b"ZRANDMEMBER", k, str(count).encode()),
                   sample=Sample(count, (b"ZCARD", k), (b"ZRANGE", k, b"0", b"-1")))

    table = [
        (14, zadd),
        (4, lambda: Cmd((b"ZINCRBY", wk, g.pick(_SCORES + [b"nan", b"x"]), member()))),
        (3, lambda: Cmd((b"ZREM", k, member()) + ((member(),) if g.chance(0.4) else ()))),
        (4, lambda: Cmd((b"ZCARD", k))),
        (3, lambda: Cmd((b"ZCOUNT", k, sbound(), sbound()))),
        (4, lambda: Cmd((b"ZSCORE", k, member()))),
        (3, lambda: Cmd((b"ZMSCORE", k, member(), member()))),
        (3, lambda: Cmd((b"ZRANK", k, member()))),
        (2, lambda: Cmd((b"ZREVRANK", k, member()))),
        (3, lambda: Cmd((b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"))),
        (8, lambda: zrange(store=False)),
        (2, lambda: zrange(store=True)),
        (3, lambda: byscore(b"ZRANGEBYSCORE")),
        (3, lambda: byscore(b"ZREVRANGEBYSCORE")),
        (3, lambda: bylex(b"ZRANGEBYLEX")),
        (3, lambda: bylex(b"ZREVRANGEBYLEX")),
        (3, lambda: Cmd((b"ZLEXCOUNT", LEX_KEY, lbound(), lbound()))),
        (1, lambda: Cmd((b"ZREMRANGEBYRANK", k, g.int_or_bad(-6, 6), g.int_or_bad(-6, 6)))),
        (1, lambda: Cmd((b"ZREMRANGEBYSCORE", k, sbound(), sbound()))),
        (1, lambda: Cmd((b"ZREMRANGEBYLEX", LEX_KEY, lbound(), lbound()))),
        (2, lambda: Cmd((b"ZPOPMIN", k) + ((g.pick([b"1", b"3", b"0", b"-1", b"x"]),)
                                           if g.chance(0.6) else ()))),
        (2, lambda: Cmd((b"ZPOPMAX", k) + ((g.pick([b"1", b"3", b"0", b"-1", b"x"]),)
                                           if g.chance(0.6) else ()))),
        (2, zmpop),
        (2, lambda: setop(b"ZUNION", False)),
        (2, lambda: setop(b"ZINTER", False)),
        (2, lambda: setop(b"ZDIFF", False)),
        (1, lambda: setop(b"ZUNIONSTORE", True)),
        (1, lambda: setop(b"ZINTERSTORE", True)),
        (1, lambda: setop(b"ZDIFFSTORE", True)),
        (2, zintercard),
        (3, zrandmember),
        (2, lambda: _sort(g, k, b"zdst", "zset")),
        (1, lambda: Cmd((b"LRANGE", b"zdst", b"0", b"-1"))),
        (10, lambda: _generic(g, ZSET_KEYS, protected=(LEX_KEY,))),
    ]
    return _weighted(g, table)


_FAMILIES = {"LIST": (_list_cmd, LIST_KEYS), "HASH": (_hash_cmd, HASH_KEYS),
             "SET": (_set_cmd, SET_KEYS), "ZSET": (_zset_cmd, ZSET_KEYS)}


# ---------------------------------------------------------------------------- MIXED
# The four families' commands in one stream, where one key of each family and each family's
# binary-named key become keys they share: WRONGTYPE from one collection type to another,
# RENAME and STORE of one type over another. The rest stay apart, so most commands still
# reach a key of their own type. (Arguments that happen to equal a shared name are renamed
# too: both servers get the same stream all the same.)
_SHARED = {b"la": b"ka", b"ha": b"ka", b"sa": b"ka", b"za": b"ka",
           b"l\x00\r\nc": b"k\x00\r\n", b"h\x00\r\nc": b"k\x00\r\n",
           b"s\x00\r\nc": b"k\x00\r\n", b"z\x00\r\nc": b"k\x00\r\n"}
MIXED_KEYS = list(dict.fromkeys(_SHARED.get(k, k) for _make, keys in _FAMILIES.values()
                                for k in keys))


def _shared(args: tuple) -> tuple:
    return tuple(_SHARED.get(a, a) for a in args)


def _mixed_cmd(g: _Gen) -> Cmd:
    make, _keys = _FAMILIES[g.pick(FAMILY_NAMES[:4])]
    cmd = make(g)
    sample = cmd.sample
    if sample is not None:
        sample = replace(sample, size=_shared(sample.size), universe=_shared(sample.universe))
    return Cmd(_shared(cmd.args), cmd.order, sample)


_FAMILIES["MIXED"] = (_mixed_cmd, MIXED_KEYS)

# What reads a whole key of each type, and how its reply is compared (for the end state).
_READ_ALL = {"LIST": ((b"LRANGE", b"0", b"-1"), EXACT), "HASH": ((b"HGETALL",), PAIRS),
             "SET": ((b"SMEMBERS",), UNORDERED),
             "ZSET": ((b"ZRANGE", b"0", b"-1", b"WITHSCORES"), EXACT)}


def stream(family: str, seed: int, steps: int) -> list[Cmd]:
    """The `steps` commands of `family`'s stream for `seed` (the same list on every call)."""
    make, _keys = _FAMILIES[family]
    g = _Gen(_seed(family, seed))
    return [make(g) for _ in range(steps)]


def family_keys(family: str) -> list[bytes]:
    """The keys `family`'s streams use (the string key among them)."""
    return list(_FAMILIES[family][1])


def _seed(family: str, seed: int) -> int:
    # Not hash(): str hashes change from one interpreter run to the next.
    return seed * 1000 + FAMILY_NAMES.index(family)


def end_state(family: str) -> list[Cmd]:
    """Reads of every key the family's stream touches: its type, TTL class and whole content."""
    _make, keys = _FAMILIES[family]
    reads = _READ_ALL.values() if family == "MIXED" else [_READ_ALL[family]]
    out = [Cmd((b"DBSIZE",)), Cmd((b"KEYS", b"*"), UNORDERED)]
    for k in keys:
        out += [Cmd((b"TYPE", k)), Cmd((b"TTL", k), TTL_CLASS), Cmd((b"GET", k))]
        out += [Cmd((read[0], k) + read[1:], order) for read, order in reads]
    return out
