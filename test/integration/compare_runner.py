"""Runs a command stream from compare_streams against two servers side by side and diffs their
replies: byte-identical, except where Redis itself leaves the order open (compared as multisets)
or draws at random (compared by shape and membership). The first difference fails with
everything needed to reproduce it: the stream's family, seed and protocol, the step, the command,
both replies and the commands before it."""

from __future__ import annotations

from collections import Counter, deque

from compare_streams import EXACT, PAIRS, TTL_CLASS, UNORDERED, Cmd
from conftest import RawConn

HISTORY = 10      # commands shown before the one that differed
SHOW_REPLY = 400  # bytes of each reply shown


# ---------------------------------------------------------------------------- RESP splitting
def _end(data: bytes, pos: int) -> int:
    """The offset just past the RESP2/RESP3 value that starts at `pos`."""
    t = data[pos:pos + 1]
    eol = data.index(b"\r\n", pos)
    nxt = eol + 2
    if t in (b"$", b"=", b"!"):
        n = int(data[pos + 1:eol])
        return nxt if n < 0 else nxt + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(data[pos + 1:eol])
        for _ in range(max(n, 0) * (2 if t in (b"%", b"|") else 1)):
            nxt = _end(data, nxt)
    return nxt


def split(raw: bytes) -> tuple[bytes, list[bytes]] | None:
    """(header line, raw elements) of an aggregate reply (a map's keys and values alternate);
    None for anything else (errors, nulls, scalars, a null array)."""
    if raw[:1] not in (b"*", b"~", b"%") or raw.startswith(b"*-1"):
        return None
    eol = raw.index(b"\r\n") + 2
    n = int(raw[1:eol - 2]) * (2 if raw[:1] == b"%" else 1)
    out, pos = [], eol
    for _ in range(n):
        end = _end(raw, pos)
        out.append(raw[pos:end])
        pos = end
    assert pos == len(raw), f"trailing bytes after reply: {raw[pos:pos + 100]!r}"
    return raw[:eol], out


def pairs_of(raw: bytes) -> list[tuple[bytes, bytes]] | None:
    """The (field, value) or (member, score) pairs of a reply, whichever way they come: a flat
    RESP2 array, a RESP3 map, or an array of two-element arrays (RESP3 WITHSCORES)."""
    parts = split(raw)
    if parts is None:
        return None
    _header, elems = parts
    if elems and all(e.startswith(b"*2\r\n") for e in elems):
        return [tuple(split(e)[1]) for e in elems]
    return list(zip(elems[0::2], elems[1::2]))


def canonical(order: str, raw: bytes):
    """What must be equal for two replies to agree under `order`."""
    if order == UNORDERED:
        parts = split(raw)
        if parts is not None:
            return parts[0], sorted(parts[1])
    elif order == PAIRS:
        parts = split(raw)
        if parts is not None:
            return parts[0], sorted(pairs_of(raw))
    elif order == TTL_CLASS and raw[:1] == b":" and int(raw[1:-2]) > 0:
        return b"some TTL > 0"
    return raw


def is_error(raw: bytes) -> bool:
    return raw[:1] in (b"-", b"!")


def show_args(args: tuple) -> str:
    def one(a: bytes) -> str:
        return repr(a) if len(a) <= 40 else f"{a[:32]!r}...({len(a)} bytes)"
    shown = " ".join(one(a) for a in args[:12])
    if len(args) > 12:
        shown += f" ... (+{len(args) - 12} more arguments)"
    return shown


def show_reply(raw: bytes) -> str:
    return repr(raw) if len(raw) <= SHOW_REPLY else f"{raw[:SHOW_REPLY]!r}... ({len(raw)} bytes)"


def difference(order: str, ra: bytes, rb: bytes, names: tuple[str, str]) -> list[str]:
    """Where two aggregate replies part, for replies too long to read whole in a message: the
    first differing element, or (for multisets) what each side has that the other lacks."""
    pa, pb = split(ra), split(rb)
    if pa is None or pb is None:
        return []
    if order in (UNORDERED, PAIRS):
        ea = Counter(pairs_of(ra) if order == PAIRS else pa[1])
        eb = Counter(pairs_of(rb) if order == PAIRS else pb[1])
        out = []
        for name, extra in ((names[0], ea - eb), (names[1], eb - ea)):
            items = sorted(extra.elements())
            shown = ", ".join(show_reply(b"".join(e) if isinstance(e, tuple) else e)[:120]
                              for e in items[:5])
            out.append(f"  only {name} has {len(items)}: {shown}"
                       + (" ..." if len(items) > 5 else ""))
        return out
    for i, (x, y) in enumerate(zip(pa[1], pb[1])):
        if x != y:
            return [f"  first difference at element {i} of {len(pa[1])} / {len(pb[1])}: "
                    f"{show_reply(x)[:150]} / {show_reply(y)[:150]}"]
    return [f"  {len(pa[1])} / {len(pb[1])} elements, the shorter one a prefix of the other"]


# ---------------------------------------------------------------------------- running
class Mismatch(AssertionError):
    pass


_HOW = {EXACT: "replies differ", UNORDERED: "replies differ as multisets",
        PAIRS: "replies differ as sets of pairs", TTL_CLASS: "TTL classes differ"}


class SideBySide:
    """Two connections, `names` for the messages, `label` (family, seed, protocol) in front of
    every failure, and `reproduce` after it ("{upto}": how many commands of the current
    run() reach the failing one)."""

    def __init__(self, a: RawConn, b: RawConn, label: str, names=("kv-server", "redis"),
                 reproduce: str = ""):
        self.a, self.b = a, b
        self.label, self.names, self.reproduce = label, names, reproduce
        self.history: deque = deque(maxlen=HISTORY)
        self.step = -1
        self.first_step = 0

    def fail(self, what: str, args: tuple, ra: bytes, rb: bytes, order: str = EXACT) -> None:
        lines = [f"{self.label} step {self.step}: {what}",
                 f"  command:   {show_args(args)}",
                 f"  {self.names[0] + ':':<10} {show_reply(ra)}",
                 f"  {self.names[1] + ':':<10} {show_reply(rb)}"]
        if max(len(ra), len(rb)) > SHOW_REPLY or order != EXACT:
            lines += difference(order, ra, rb, self.names)
        before = len(self.history)
        lines.append(f"  the {before} commands before it:" if before > 1 else
                     "  the command before it:" if before else "  no commands before it")
        lines += [f"    {step:>4}: {show_args(h)}" + (f"  ({note})" if note else "")
                  for step, h, note in self.history]
        if self.reproduce:
            upto = self.step - self.first_step + 1
            lines.append("  reproduce: " + self.reproduce.format(upto=upto))
        raise Mismatch("\n".join(lines))

    def both(self, args: tuple) -> tuple[bytes, bytes]:
        self.a.send_command(*args)
        self.b.send_command(*args)
        return self.a.read_reply_bytes(), self.b.read_reply_bytes()

    def compared(self, args: tuple, order: str = EXACT, note: str = "") -> tuple[bytes, bytes]:
        ra, rb = self.both(args)
        if canonical(order, ra) != canonical(order, rb):
            self.fail(_HOW[order] + note, args, ra, rb, order)
        return ra, rb

    def run(self, commands: list[Cmd], first_step: int = 0) -> None:
        self.first_step = first_step
        for i, cmd in enumerate(commands):
            self.step = first_step + i
            if cmd.sample is None:
                self.compared(cmd.args, cmd.order)
                self.history.append((self.step, cmd.args, ""))
            else:
                self._sample(cmd)

    # -- random draws
    def _sample(self, cmd: Cmd) -> None:
        s = cmd.sample
        order = PAIRS if s.pairs else UNORDERED
        size_raw, _ = self.compared(s.size, note=" (the size read before a random draw)")
        uni_a, uni_b = self.compared(s.universe, order if s.universe[0] != b"ZRANGE" else EXACT,
                                     note=" (the content read before a random draw)")
        ra, rb = self.both(cmd.args)
        size = int(size_raw[1:-2]) if size_raw[:1] == b":" else None
        if (is_error(ra) or is_error(rb) or size is None or size <= 1 or s.count == 0):
            if ra != rb:
                self.fail("replies differ", cmd.args, ra, rb)
            self.history.append((self.step, cmd.args, ""))
            return
        if s.count is not None and s.count >= size:  # everything, in an order of its own
            if canonical(order, ra) != canonical(order, rb):
                self.fail("replies differ as sets (the draw covers the whole key)",
                          cmd.args, ra, rb, order)
            self.history.append((self.step, cmd.args, ""))
            return
        drawn = []
        for raw, uni in ((ra, uni_a), (rb, uni_b)):
            if s.count is None:
                elems, universe = [raw], split(uni)[1]
            elif s.pairs:
                elems, universe = pairs_of(raw), pairs_of(uni)
            else:
                elems, universe = (split(raw) or (b"", None))[1], split(uni)[1]
            want = abs(s.count) if s.count is not None else 1
            if elems is None or len(elems) != want:
                self.fail(f"a random draw of {want} from {size} has the wrong shape",
                          cmd.args, ra, rb)
            if not set(elems) <= set(universe):
                self.fail("a random draw returned something the key does not hold",
                          cmd.args, ra, rb)
            if s.count is not None and s.count > 0 and len(set(elems)) != len(elems):
                self.fail("a random draw with a positive count repeated an element",
                          cmd.args, ra, rb)
            drawn.append(elems)
        if s.count is not None and split(ra)[0] != split(rb)[0]:
            self.fail("random draws differ in their reply type", cmd.args, ra, rb)
        self.history.append((self.step, cmd.args, ""))
        if s.restore:  # each server gets back what it popped: the keyspaces agree again
            key = cmd.args[1]
            replies = []
            for conn, elems, who in ((self.a, drawn[0], self.names[0]),
                                     (self.b, drawn[1], self.names[1])):
                args = (s.restore, key, *[_bulk_value(e) for e in elems])
                conn.send_command(*args)
                replies.append(conn.read_reply_bytes())
                self.history.append((self.step, args, f"on {who} only: its draw put back"))
            if replies[0] != replies[1]:
                self.fail(f"{s.restore.decode()} of the popped members differs", cmd.args,
                          *replies)


def _bulk_value(raw: bytes) -> bytes:
    """The payload of a raw RESP bulk string."""
    eol = raw.index(b"\r\n")
    return raw[eol + 2:eol + 2 + int(raw[1:eol])]
