"""CAS key expected new [EX s | PX ms | EXAT unix-s | PXAT unix-ms | KEEPTTL]
(src/modules/builtin/cas.c, docs/locks.md#cas).

`expected` must equal the text the stored value reads as over RESP (GET), byte for byte; the
new value is stored as bytes; the TTL follows SET's rules.
"""

from __future__ import annotations

import time

import pytest
import redis

from conftest import run_parallel

pytestmark = pytest.mark.kv_only


def cas(r, *args):
    return r.execute_command("CAS", *args)


def test_user_story_swaps_when_the_value_was_old(kv):
    r = kv.client()
    r.set("cfg:mode", "old")
    assert kv.cli("CAS", "cfg:mode", "old", "new").strip() == "1"
    assert r.get("cfg:mode") == "new"
    assert kv.cli("CAS", "cfg:mode", "old", "newer").strip() == "0"
    assert r.get("cfg:mode") == "new"


def test_missing_key_never_matches(kv):
    r = kv.client()
    assert cas(r, "nokey", "", "v") == 0
    assert cas(r, "nokey", "anything", "v") == 0
    assert r.exists("nokey") == 0


def test_bytes_compare_exactly(kv):
    r = kv.client(decode_responses=False)
    r.set("b", b"\x00bin\xffary")
    assert cas(r, "b", b"\x00bin\xffar", b"x") == 0
    assert cas(r, "b", b"\x00BIN\xffary", b"x") == 0
    assert cas(r, "b", b"\x00bin\xffary", b"\x01new") == 1
    assert r.get("b") == b"\x01new"
    r.set("e", b"")
    assert cas(r, "e", b"", b"filled") == 1
    assert r.get("e") == b"filled"


def test_int_matches_only_its_canonical_form(kv):
    r = kv.client()
    r.incrby("n", 6)  # a typed Int
    for spelling in ("06", "+6", "6.0", " 6", "6 ", "6e0"):
        assert cas(r, "n", spelling, "x") == 0, spelling
    assert r.get("n") == "6"
    assert cas(r, "n", "6", "7") == 1
    assert r.get("n") == "7"
    # The new value is bytes, and INCR still works on it as on any numeric string.
    assert r.incr("n") == 8
    r.set("neg", 0)
    r.decrby("neg", 9223372036854775807)
    r.decr("neg")
    assert cas(r, "neg", "-9223372036854775808", "min") == 1


def test_float_matches_the_text_get_returns(kv):
    r = kv.client()
    r.set("f", "10.5")
    r.incrbyfloat("f", "0.1")  # a typed Float
    assert r.get("f") == "10.6"
    for spelling in ("10.60", "10.6000000000000001", "1.06e1", "10.599999999999999"):
        assert cas(r, "f", spelling, "x") == 0, spelling
    assert cas(r, "f", "10.6", "swapped") == 1
    assert r.get("f") == "swapped"
    r.set("g", "3")
    r.incrbyfloat("g", "0.5")
    r.incrbyfloat("g", "-0.5")
    assert r.get("g") == "3"
    assert cas(r, "g", "3.0", "x") == 0
    assert cas(r, "g", "3", "x") == 1


def test_every_type_matches_what_get_returned(kv):
    """Whatever a value's type, CAS with the text GET just returned swaps it."""
    r = kv.client()
    r.set("bytes", "text")
    r.incrby("int", -42)
    r.incrbyfloat("float", "1e-3")
    r.incrbyfloat("big", "1e30")
    for key in ("bytes", "int", "float", "big"):
        current = r.get(key)
        assert cas(r, key, current, "swapped") == 1, (key, current)
        assert r.get(key) == "swapped"


@pytest.mark.parametrize("amount", ["1.50", "-0.000001", "1234567890.123456789", "100", "0.00"])
def test_decimal_matches_its_canonical_string(kv, amount):
    r = kv.client()
    # DECIMAL is built in: a server without it fails here rather than skipping.
    r.execute_command("DECIMAL.INCRBY", "d", amount)
    current = r.get("d")
    # The same number spelt otherwise never matches.
    other = current + "0" if "." in current else current + ".0"
    assert cas(r, "d", other, "x") == 0
    assert cas(r, "d", current, "swapped") == 1
    assert r.get("d") == "swapped"


# ---------------------------------------------------------------------------- expiry
def test_without_options_the_ttl_is_cleared_like_set(kv):
    r = kv.client()
    r.set("k", "v", ex=100)
    assert cas(r, "k", "v", "w") == 1
    assert r.ttl("k") == -1


def test_keepttl_keeps_the_ttl(kv):
    r = kv.client()
    r.set("k", "v", ex=100)
    assert cas(r, "k", "v", "w", "KEEPTTL") == 1
    assert 90 < r.ttl("k") <= 100


@pytest.mark.parametrize("opt,val,lo,hi", [
    ("PX", 5000, 4000, 5000),
    ("EX", 5, 4000, 5000),
    ("PXAT", "+5000", 4000, 5000),
    ("EXAT", "+5", 3000, 5000),
])
def test_expiry_options_set_the_ttl(kv, opt, val, lo, hi):
    r = kv.client()
    r.set("k", "v")
    if isinstance(val, str):
        now = time.time()
        val = int(now * 1000) + int(val[1:]) if opt == "PXAT" else int(now) + int(val[1:])
    assert cas(r, "k", "v", "w", opt, val) == 1
    assert lo < r.pttl("k") <= hi
    assert r.get("k") == "w"


def test_an_absolute_expiry_in_the_past_deletes_the_key(kv):
    r = kv.client()
    r.set("k", "v")
    assert cas(r, "k", "v", "w", "PXAT", int(time.time() * 1000) - 1000) == 1
    assert r.exists("k") == 0


def test_a_failed_cas_leaves_value_and_ttl_alone(kv):
    r = kv.client()
    r.set("k", "v", ex=100)
    assert cas(r, "k", "nope", "w", "PX", 10) == 0
    assert r.get("k") == "v"
    assert 90 < r.ttl("k") <= 100


def test_an_expired_key_never_matches(kv):
    r = kv.client()
    r.set("k", "v", px=50)
    time.sleep(0.1)
    assert cas(r, "k", "v", "w") == 0
    assert r.exists("k") == 0


@pytest.mark.parametrize("args,error", [
    (("k", "v"), "wrong number of arguments for 'cas' command"),
    (("k", "v", "w", "PX"), "syntax error"),
    (("k", "v", "w", "PX", "0"), "invalid expire time in 'cas' command"),
    (("k", "v", "w", "PX", "-1"), "invalid expire time in 'cas' command"),
    (("k", "v", "w", "EX", "9223372036854775807"), "invalid expire time in 'cas' command"),
    (("k", "v", "w", "PX", "9223372036854775807"), "invalid expire time in 'cas' command"),
    (("k", "v", "w", "PX", "x"), "value is not an integer or out of range"),
    (("k", "v", "w", "PX", "10", "EX", "10"), "syntax error"),
    (("k", "v", "w", "PX", "10", "KEEPTTL"), "syntax error"),
    (("k", "v", "w", "KEEPTTL", "KEEPTTL"), "syntax error"),
    (("k", "v", "w", "NX"), "syntax error"),
])
def test_argument_errors(kv, args, error):
    r = kv.client()
    r.set("k", "v")
    with pytest.raises(redis.ResponseError, match=error):
        cas(r, *args)
    assert r.get("k") == "v"


def test_cas_is_in_the_command_table(kv):
    raw = kv.raw()
    (entry,) = raw.call("COMMAND", "INFO", "cas")
    raw.close()
    assert entry[0] == b"cas" and entry[1] == -4
    assert {b"write", b"fast"} <= set(entry[2])
    assert entry[3:6] == [1, 1, 1]


# ---------------------------------------------------------------------------- concurrency
def test_concurrent_cas_increments_lose_nothing(kv):
    threads, per_thread = 6, 150
    kv.client().set("ctr", 0)
    errors: list[str] = []
    swaps = [0] * threads
    retries = [0] * threads

    def worker(i: int) -> None:
        c = kv.client()
        try:
            while swaps[i] < per_thread:
                v = c.get("ctr")
                if cas(c, "ctr", v, str(int(v) + 1)) == 1:
                    swaps[i] += 1
                else:
                    retries[i] += 1
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            c.close()

    run_parallel(worker, threads, 120)
    assert not errors, errors
    assert int(kv.client().get("ctr")) == threads * per_thread
