"""SUBSTR and LCS (LEN, IDX, MINMATCHLEN, WITHMATCHLEN), and binary and long keys, side by side
with Debian's redis-server over random inputs from several seeds, plus the error replies."""
from __future__ import annotations

import random

import pytest


def both(kv, redis_ref, *args):
    out = []
    for s in (kv, redis_ref):
        with s.raw() as r:
            out.append(r.call(*args))
    a, b = out
    if isinstance(a, Exception) or isinstance(b, Exception):
        assert type(a) is type(b) and str(a) == str(b), (args, a, b)
    else:
        assert a == b, (args, a, b)
    return a


def test_lcs_redis_examples(kv):
    c = kv.client()
    c.mset({"key1": "ohmytext", "key2": "mynewtext"})
    assert c.execute_command("LCS", "key1", "key2") == "mytext"
    assert c.execute_command("LCS", "key1", "key2", "LEN") == 6
    assert c.execute_command("LCS", "key1", "key2", "IDX") == [
        "matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]
    assert c.execute_command("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4",
                             "WITHMATCHLEN") == ["matches", [[[4, 7], [5, 8], 4]], "len", 6]
    assert c.execute_command("SUBSTR", "key1", "2", "-3") == "myte"


@pytest.mark.parametrize("seed", [1, 7, 42, 1234])
def test_lcs_and_substr_match_redis(kv, redis_ref, seed):
    rng = random.Random(seed)
    alphabet = b"ab\x00\xff\r\n"
    for n in range(40):
        a = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        b = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        ka = b"\xfe\x00" + bytes([n]) + b"k" * rng.choice([1, 300, 5000])
        kb = b"\r\n\xff" + bytes([n])
        both(kv, redis_ref, "SET", ka, a)
        both(kv, redis_ref, "SET", kb, b)
        both(kv, redis_ref, "LCS", ka, kb)
        both(kv, redis_ref, "LCS", ka, kb, "LEN")
        both(kv, redis_ref, "LCS", ka, kb, "IDX")
        both(kv, redis_ref, "LCS", ka, kb, "IDX", "WITHMATCHLEN")
        both(kv, redis_ref, "LCS", ka, kb, "IDX", "MINMATCHLEN", str(rng.randint(-1, 4)),
             "WITHMATCHLEN")
        both(kv, redis_ref, "LCS", ka, b"missing")
        lo, hi = rng.randint(-35, 35), rng.randint(-35, 35)
        both(kv, redis_ref, "SUBSTR", ka, str(lo), str(hi))
        both(kv, redis_ref, "GETRANGE", kb, str(lo), str(hi))
        both(kv, redis_ref, "KEYS", ka[:3] + b"*")
    both(kv, redis_ref, "DBSIZE")


def test_lcs_and_substr_errors_match_redis(kv, redis_ref):
    both(kv, redis_ref, "SET", "s", "abc")
    both(kv, redis_ref, "LCS", "s", "s", "LEN", "IDX")
    both(kv, redis_ref, "LCS", "s", "s", "BOGUS")
    both(kv, redis_ref, "LCS", "s", "s", "MINMATCHLEN")
    both(kv, redis_ref, "LCS", "s", "s", "MINMATCHLEN", "x")
    both(kv, redis_ref, "LCS", "s")
    both(kv, redis_ref, "SUBSTR", "s", "0")
    both(kv, redis_ref, "SUBSTR", "s", "a", "1")
    both(kv, redis_ref, "SUBSTR", "nokey", "0", "-1")


def test_lcs_table_limited_by_proto_max_bulk_len(kv_server):
    s = kv_server(proto_max_bulk_len="1mb")
    c = s.client()
    c.set("a", "x" * 1000)
    c.set("b", "y" * 1000)
    with pytest.raises(Exception, match="transient memory for LCS exceeds proto-max-bulk-len"):
        c.execute_command("LCS", "a", "b")
    assert c.ping()
