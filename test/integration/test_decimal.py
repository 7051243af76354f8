"""DECIMAL.* through the real server, checked against Python's decimal module.

The reference is a decimal128 context: prec=34, Emax=6144, Emin=-6143 and clamp=1 (IEEE 754
decimal128 has no exponent above 6111 for the last digit, so 1E+6144 is stored as
1.000000000000000000000000000000000E+6144, exactly what clamp=1 prints). A result kv-server must
refuse is one for which that context raises Inexact (or Overflow / Underflow, which come with
it): such a value cannot be held exactly. Results that are exact but lose trailing zeros to fit
34 digits (Python's Rounded without Inexact) are kept, as IEEE 754 does. SCALE n results are
compared with the exact rational result (fractions.Fraction) rounded half-even once.

Thousands of seeded random operands (negative zero, huge and tiny exponents, 34-digit
coefficients, 35+ digit values that must be refused) go through pipelines, so the whole module
runs in a few seconds. docs/decimal.md is the contract these tests hold the server to.
"""

from __future__ import annotations

import random
import re
import time
from decimal import (Clamped, Context, Decimal, DivisionByZero, Inexact, InvalidOperation,
                     Overflow, Rounded, Subnormal, Underflow)
from fractions import Fraction

import pytest
import redis

pytestmark = pytest.mark.kv_only

SEED = 20240612
MAX_FINITE = Decimal("9.999999999999999999999999999999999E+6144")

ERR_NOT_DECIMAL = "value is not a valid decimal"
ERR_NAN = "decimal NaN and Infinity are not supported"
ERR_VALUE_INEXACT = "decimal value is not exact (more than 34 significant digits)"
ERR_VALUE_RANGE = "decimal value is out of range"
ERR_RESULT_INEXACT = "decimal result is not exact (more than 34 significant digits)"
ERR_RESULT_RANGE = "decimal result is out of range"
ERR_DIV_ZERO = "division by zero"
ERR_SCALE_TOO_BIG = "decimal result has more than 34 significant digits at the requested SCALE"
ERR_BAD_SCALE = "SCALE must be an integer between 0 and 6176"
ERR_NO_KEY = "no such key"
ERR_SYNTAX = "syntax error"


# ---------------------------------------------------------------------------- reference
def ctx(traps=()) -> Context:
    return Context(prec=34, Emax=6144, Emin=-6143, clamp=1, traps=list(traps))


# Python's Decimal string syntax, ASCII only, with no surrounding spaces and no '_' (Python
# itself also accepts those, and other scripts' digits; kv-server does not: docs/decimal.md).
LITERAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
SPECIAL = re.compile(r"[+-]?(?:inf|infinity|s?nan\d*)", re.ASCII | re.IGNORECASE)


def ref_parse(text: str):
    """(canonical str, Decimal) or (error text, None), as kv-server must answer DECIMAL.SET."""
    if SPECIAL.fullmatch(text):
        return ERR_NAN, None
    if not LITERAL.fullmatch(text):
        return ERR_NOT_DECIMAL, None
    d = Decimal(text)  # exact: no context
    c = ctx()
    r = c.create_decimal(d)
    if c.flags[Overflow] or c.flags[Underflow]:
        return ERR_VALUE_RANGE, None
    if c.flags[Inexact]:
        return ERR_VALUE_INEXACT, None
    return str(r), r


def ref_exact(op: str, a: Decimal, b: Decimal):
    """(canonical str, None) or (None, error text) for an exact-or-error operation."""
    if op == "div" and b.is_zero():
        return None, ERR_DIV_ZERO
    c = ctx()
    r = {"add": c.add, "sub": c.subtract, "mul": c.multiply, "div": c.divide}[op](a, b)
    if c.flags[Overflow] or c.flags[Underflow]:
        return None, ERR_RESULT_RANGE
    if c.flags[Inexact]:
        return None, ERR_RESULT_INEXACT
    assert not c.flags[InvalidOperation] and not c.flags[DivisionByZero]
    return str(r), None


def ref_scaled(op: str, a: Decimal, b: Decimal, scale: int):
    """a*b or a/b rounded half-even to `scale` digits after the point, from the exact result."""
    if op == "div" and b.is_zero():
        return None, ERR_DIV_ZERO
    x = Fraction(a) * Fraction(b) if op == "mul" else Fraction(a) / Fraction(b)
    if abs(x) >= 10 ** 6145:
        return None, ERR_RESULT_RANGE  # beyond decimal128 before any rounding
    q = round(x * 10 ** scale)  # Fraction rounds half to even
    if abs(q) >= 10 ** 34:
        return None, ERR_SCALE_TOO_BIG
    if q != 0:
        negative = q < 0
    elif x != 0:
        negative = x < 0
    else:
        negative = a.is_signed() != b.is_signed()
    digits = tuple(int(ch) for ch in str(abs(q)))
    return str(Decimal((1 if negative else 0, digits, -scale))), None


def test_reference_context_is_ieee_decimal128():
    """The assumptions above, checked on Python itself."""
    assert str(ctx().create_decimal("1E+6144")) == "1.000000000000000000000000000000000E+6144"
    assert ref_parse("1E+6145") == (ERR_VALUE_RANGE, None)
    assert ref_parse("1E-6177") == (ERR_VALUE_RANGE, None)
    assert ref_parse("12345678901234567890123456789012345")[0] == ERR_VALUE_INEXACT
    assert ref_parse("12345678901234567890123456789012340")[0] == \
        "1.234567890123456789012345678901234E+34"
    assert ref_scaled("div", Decimal(1), Decimal(8), 2) == ("0.12", None)
    assert ref_scaled("div", Decimal(3), Decimal(8), 2) == ("0.38", None)
    assert ref_exact("add", Decimal("19.99"), Decimal("0.01")) == ("20.00", None)
    # Flags that must not make a result an error: exact rounding, subnormal, clamped.
    c = ctx(traps=[Inexact, Overflow, Underflow])
    c.multiply(Decimal("1.000000000000000000000000000000000"), Decimal(10))
    assert c.flags[Rounded] and not c.flags[Inexact]
    c.multiply(Decimal("1E-6170"), Decimal("0.1"))
    assert c.flags[Subnormal]
    c.add(Decimal("0E-6176"), Decimal("0E+6111"))
    assert not c.flags[Inexact] and Clamped in c.flags


# ---------------------------------------------------------------------------- operands
def rand_literal(rnd: random.Random) -> str:
    """A decimal literal in any of the accepted spellings, often at the edges of decimal128."""
    sign = rnd.choice(["", "-", "+", ""]) if rnd.random() < 0.6 else ""
    k = rnd.random()
    if k < 0.08:
        return sign + rnd.choice(["0", "0.000", "0E+6111", "0E-6176", "0E+5", "0.0E-20",
                                  "0E+9999", "0E-9999", "00.0"])
    if k < 0.12:
        return sign + rnd.choice(["1E+6144", "9.999999999999999999999999999999999E+6144",
                                  "1E-6176", "1.5E-6176", "1E+6145", "1E-6177", "0.01",
                                  "19.99", "1", "10", "0.1", "3", "7", "8", "0.5", "2.5"])
    nd = rnd.choice([1, 1, 2, 3, 4, 6, 10, 17, 20, 33, 34, 34, 34, 35, 36, 40])
    digits = "".join(rnd.choice("0123456789") for _ in range(nd))
    if rnd.random() < 0.25:  # trailing zeros: exact even past 34 digits
        keep = max(1, nd // 2)
        digits = digits[:keep] + "0" * (nd - keep)
    r = rnd.random()
    if r < 0.35:
        exp = rnd.randint(-6, 6)
    elif r < 0.55:
        exp = rnd.randint(-40, 40)
    elif r < 0.75:
        exp = rnd.choice([rnd.randint(6090, 6150), rnd.randint(-6215, -6140)])
    else:
        exp = rnd.randint(-6300, 6300)
    if rnd.random() < 0.5:
        return sign + digits + rnd.choice(["E", "e"]) + ("%+d" % exp if rnd.random() < 0.5
                                                         else str(exp))
    point = rnd.randint(0, nd)
    text = digits[:point] + "." + digits[point:]
    if text.startswith(".") and rnd.random() < 0.5:
        text = "0" + text
    if rnd.random() < 0.4:
        text += "e%d" % exp
    return sign + text


def rand_valid(rnd: random.Random) -> tuple[str, Decimal]:
    while True:
        text = rand_literal(rnd)
        _, d = ref_parse(text)
        if d is not None:
            return text, d


def err_text(reply) -> str | None:
    if isinstance(reply, redis.ResponseError):
        return str(reply)
    return None


def run_pipeline(client, commands: list[tuple], chunk: int = 600) -> list:
    out = []
    for i in range(0, len(commands), chunk):
        pipe = client.pipeline(transaction=False)
        for cmd in commands[i:i + chunk]:
            pipe.execute_command(*cmd)
        out.extend(pipe.execute(raise_on_error=False))
    return out


# ---------------------------------------------------------------------------- user story
def test_user_story_price_keeps_its_cents(kv):
    c = kv.client()
    assert c.execute_command("DECIMAL.SET", "price", "19.99") == "OK"
    assert c.execute_command("DECIMAL.INCRBY", "price", "0.01") == "20.00"
    assert c.get("price") == "20.00"
    assert c.execute_command("DECIMAL.GET", "price") == "20.00"
    assert c.type("price") == "string"
    assert c.execute_command("DECIMAL.DECRBY", "price", "0.015") == "19.985"
    assert c.execute_command("DECIMAL.MUL", "price", "3", "SCALE", "2") == "59.96"
    assert c.execute_command("DECIMAL.DIV", "price", "4") == "14.99"
    assert c.execute_command("DECIMAL.CMP", "price", "14.990") == 0


# ---------------------------------------------------------------------------- random vs Python
def test_literals_match_python(kv):
    rnd = random.Random(SEED)
    c = kv.client()
    cases = [rand_literal(rnd) for _ in range(3000)]
    cases += ["NaN", "-Infinity", "inf", "sNaN12", "abc", "", " 1", "1 ", "1e", ".", "+-1",
              "1_000", "0x10", "1e1.5", "1..2"]
    # Boundaries: digits past the 34th near the bottom of the range, and the top of the range.
    one_35 = "1" + "0" * 33 + "1"  # 35 digits, the last one not zero
    cases += [one_35 + "E-6178", one_35[:-1] + "0E-6177", one_35 + "E-6140",
              "9" * 34 + "5E-6178", "1.0000000000000000000000000000000000E-6143",
              "1.00000000000000000000000000000000001E-6143", "9" * 34 + "E+6111",
              "9" * 34 + "0E+6110", "0." + "0" * 43 + "1E+6188", "1" + "0" * 6144,
              "1" + "0" * 6145, "0." + "0" * 6175 + "1", "0." + "0" * 6176 + "1"]
    cmds = []
    for i, text in enumerate(cases):
        cmds.append(("DECIMAL.SET", f"lit:{i}", text))
        cmds.append(("GET", f"lit:{i}"))
    replies = run_pipeline(c, cmds)
    accepted = refused = 0
    for i, text in enumerate(cases):
        want, d = ref_parse(text)
        set_reply, get_reply = replies[2 * i], replies[2 * i + 1]
        if d is None:
            refused += 1
            assert err_text(set_reply) == want, (text, set_reply)
            assert get_reply is None, text
        else:
            accepted += 1
            assert set_reply == "OK", (text, set_reply)
            assert get_reply == want, (text, get_reply, want)
    assert accepted > 1500 and refused > 300, (accepted, refused)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_exact_arithmetic_matches_python(kv, op):
    rnd = random.Random(f"{SEED}-{op}")
    c = kv.client()
    command = {"add": "DECIMAL.INCRBY", "sub": "DECIMAL.DECRBY", "mul": "DECIMAL.MUL",
               "div": "DECIMAL.DIV"}[op]
    cases = []
    for i in range(2500):
        a_text, a = rand_valid(rnd)
        b_text, b = rand_valid(rnd)
        if op == "div" and rnd.random() < 0.25:
            # Quotients that are exact: b divides a's coefficient into few digits.
            b_text = rnd.choice(["2", "4", "5", "8", "0.25", "1.6", "-20", "1E+3", "125E-5"])
            b = Decimal(b_text)
        # The stored value is a Decimal (DECIMAL.SET) or bytes holding the literal (SET).
        setter = "DECIMAL.SET" if i % 3 else "SET"
        cases.append((setter, a_text, a, b_text, b))
    cmds = []
    for i, (setter, a_text, _, b_text, _) in enumerate(cases):
        key = f"{op}:{i}"
        cmds += [(setter, key, a_text), (command, key, b_text), ("GET", key)]
    replies = run_pipeline(c, cmds)
    ok = errors = 0
    for i, (setter, a_text, a, b_text, b) in enumerate(cases):
        want, want_err = ref_exact(op, a, b)
        got, after = replies[3 * i + 1], replies[3 * i + 2]
        where = (op, a_text, b_text, setter)
        if want_err is None:
            ok += 1
            assert got == want, (where, got, want)
            assert after == want, (where, after)
        else:
            errors += 1
            assert err_text(got) == want_err, (where, got)
            # Refused: the key still holds what was set.
            assert after == (a_text if setter == "SET" else str(ctx().create_decimal(a))), where
    assert ok > 400 and errors > 400, (ok, errors)


@pytest.mark.parametrize("op", ["mul", "div"])
def test_scaled_arithmetic_matches_python(kv, op):
    rnd = random.Random(f"{SEED}-scaled-{op}")
    c = kv.client()
    command = "DECIMAL.MUL" if op == "mul" else "DECIMAL.DIV"
    cases = []
    for _ in range(2500):
        a_text, a = rand_valid(rnd)
        b_text, b = rand_valid(rnd)
        if rnd.random() < 0.3:  # ties and small results
            a_text, b_text = rnd.choice([("1", "8"), ("3", "8"), ("-5", "2"), ("15", "2"),
                                         ("0.125", "1"), ("2.5", "1"), ("-0.375", "1"),
                                         ("19.99", "3"), ("1", "3"), ("2", "3")])
            a, b = Decimal(a_text), Decimal(b_text)
            if op == "div" and b_text == "1" and rnd.random() < 0.5:
                b_text, b = "1.000", Decimal("1.000")
        scale = rnd.choice([0, 0, 1, 2, 2, 3, 5, 10, 20, 33, 34, 40, 100, 6176,
                            rnd.randint(0, 6176)])
        cases.append((a_text, a, b_text, b, scale))
    cmds = []
    for i, (a_text, _, b_text, _, scale) in enumerate(cases):
        key = f"s{op}:{i}"
        cmds += [("DECIMAL.SET", key, a_text), (command, key, b_text, "SCALE", scale)]
    replies = run_pipeline(c, cmds)
    ok = errors = 0
    for i, (a_text, a, b_text, b, scale) in enumerate(cases):
        want, want_err = ref_scaled(op, a, b, scale)
        got = replies[2 * i + 1]
        where = (op, a_text, b_text, scale)
        if want_err is None:
            ok += 1
            assert got == want, (where, got, want)
        else:
            errors += 1
            assert err_text(got) == want_err, (where, got)
    assert ok > 800 and errors > 300, (ok, errors)


def test_cmp_matches_python(kv):
    rnd = random.Random(f"{SEED}-cmp")
    c = kv.client()
    cases = []
    for _ in range(2000):
        a_text, a = rand_valid(rnd)
        if rnd.random() < 0.3:  # equal values written differently: two more trailing zeros
            sign, digits, exp = a.as_tuple()
            b = Decimal((sign, digits + (0, 0), exp - 2)) \
                if len(digits) <= 32 and exp - 2 >= -6176 else a
            b_text = str(b)
        else:
            b_text, b = rand_valid(rnd)
        cases.append((a_text, a, b_text, b))
    cmds = []
    for i, (a_text, _, b_text, _) in enumerate(cases):
        cmds += [("DECIMAL.SET", f"cmp:{i}", a_text), ("DECIMAL.CMP", f"cmp:{i}", b_text)]
    replies = run_pipeline(c, cmds)
    equal = 0
    for i, (a_text, a, b_text, b) in enumerate(cases):
        want = (a > b) - (a < b)
        equal += want == 0
        assert replies[2 * i + 1] == want, (a_text, b_text, replies[2 * i + 1])
    assert equal > 300


def test_incrby_on_a_missing_key_starts_from_zero(kv):
    rnd = random.Random(f"{SEED}-missing")
    c = kv.client()
    for i in range(200):
        text, d = rand_valid(rnd)
        want, err = ref_exact("add", Decimal(0), d)
        got = c.execute_command("DECIMAL.INCRBY", f"new:{i}", text)
        assert got == want and err is None, (text, got, want)
        want, err = ref_exact("sub", Decimal(0), d)
        got = c.execute_command("DECIMAL.DECRBY", f"newd:{i}", text)
        assert got == want and err is None, (text, got, want)


# ---------------------------------------------------------------------------- edge cases
def test_edge_values_round_trip(kv):
    c = kv.client()
    for text, canonical in [
        ("-0", "-0"), ("+1", "1"), (".5", "0.5"), ("5.", "5"), ("1e5", "1E+5"),
        ("0.0000001", "1E-7"), ("-0.00", "-0.00"), ("0E+9999", "0E+6111"),
        ("1E+6144", "1.000000000000000000000000000000000E+6144"), ("1E-6176", "1E-6176"),
        ("1234567890123456789012345678901234", "1234567890123456789012345678901234"),
        ("-9.999999999999999999999999999999999E+6144",
         "-9.999999999999999999999999999999999E+6144"),
    ]:
        assert c.execute_command("DECIMAL.SET", "e", text) == "OK"
        assert c.get("e") == canonical, text
        assert c.execute_command("DECIMAL.GET", "e") == canonical, text
        assert c.strlen("e") == len(canonical)
        # The canonical text is itself a literal for the same value and exponent.
        assert c.execute_command("DECIMAL.SET", "e2", canonical) == "OK"
        assert c.get("e2") == canonical


def test_negative_zero_sums(kv):
    c = kv.client()
    c.execute_command("DECIMAL.SET", "z", "-0")
    assert c.execute_command("DECIMAL.INCRBY", "z", "-0") == "-0"
    assert c.execute_command("DECIMAL.INCRBY", "z", "0") == "0"
    assert c.execute_command("DECIMAL.DECRBY", "z", "0.00") == "0.00"
    c.execute_command("DECIMAL.SET", "z", "5")
    assert c.execute_command("DECIMAL.MUL", "z", "-0") == "-0"
    assert c.execute_command("DECIMAL.CMP", "z", "0") == 0


def test_inexact_results_are_refused_and_leave_the_key(kv):
    c = kv.client()
    c.execute_command("DECIMAL.SET", "k", "1234567890123456789012345678901234")
    with pytest.raises(redis.ResponseError, match=ERR_RESULT_INEXACT.replace("(", r"\(")
                       .replace(")", r"\)")):
        c.execute_command("DECIMAL.INCRBY", "k", "0.1")
    assert c.get("k") == "1234567890123456789012345678901234"
    c.execute_command("DECIMAL.SET", "k", "1")
    with pytest.raises(redis.ResponseError, match=ERR_RESULT_INEXACT.split(" (")[0]):
        c.execute_command("DECIMAL.DIV", "k", "3")
    assert c.get("k") == "1"
    assert c.execute_command("DECIMAL.DIV", "k", "3", "SCALE", "5") == "0.33333"
    c.execute_command("DECIMAL.SET", "k", "9.999999999999999999999999999999999E+6144")
    with pytest.raises(redis.ResponseError, match=ERR_RESULT_RANGE):
        c.execute_command("DECIMAL.MUL", "k", "10")
    with pytest.raises(redis.ResponseError, match=ERR_RESULT_RANGE):
        c.execute_command("DECIMAL.INCRBY", "k", "9E+6144")
    c.execute_command("DECIMAL.SET", "k", "1E-6176")
    with pytest.raises(redis.ResponseError, match=ERR_RESULT_RANGE):
        c.execute_command("DECIMAL.DIV", "k", "10")
    assert c.get("k") == "1E-6176"


# ---------------------------------------------------------------------------- errors
def expect_error(c, text, *cmd):
    with pytest.raises(redis.ResponseError) as info:
        c.execute_command(*cmd)
    assert str(info.value) == text, (cmd, str(info.value))


def test_errors(kv):
    c = kv.client()
    c.execute_command("DECIMAL.SET", "d", "10")
    for bad in ["abc", "", " 1", "1 ", "1e", "e5", ".", "1,5", "1_000", "0x10", "١"]:
        expect_error(c, ERR_NOT_DECIMAL, "DECIMAL.SET", "x", bad)
        expect_error(c, ERR_NOT_DECIMAL, "DECIMAL.INCRBY", "d", bad)
    for special in ["NaN", "nan", "-NaN", "sNaN", "Inf", "-Infinity", "infinity"]:
        expect_error(c, ERR_NAN, "DECIMAL.SET", "x", special)
        expect_error(c, ERR_NAN, "DECIMAL.CMP", "d", special)
    expect_error(c, ERR_VALUE_INEXACT, "DECIMAL.SET", "x", "1.0000000000000000000000000000000001")
    expect_error(c, ERR_VALUE_RANGE, "DECIMAL.SET", "x", "1e99999")
    expect_error(c, ERR_VALUE_RANGE, "DECIMAL.SET", "x", "1E-6177")
    assert c.exists("x") == 0
    # Division by zero, SCALE, missing keys.
    expect_error(c, ERR_DIV_ZERO, "DECIMAL.DIV", "d", "0")
    expect_error(c, ERR_DIV_ZERO, "DECIMAL.DIV", "d", "-0.00", "SCALE", "2")
    expect_error(c, ERR_BAD_SCALE, "DECIMAL.DIV", "d", "3", "SCALE", "-1")
    expect_error(c, ERR_BAD_SCALE, "DECIMAL.DIV", "d", "3", "SCALE", "6177")
    expect_error(c, ERR_BAD_SCALE, "DECIMAL.MUL", "d", "3", "SCALE", "two")
    expect_error(c, ERR_SYNTAX, "DECIMAL.MUL", "d", "3", "SCALE")
    expect_error(c, ERR_SYNTAX, "DECIMAL.MUL", "d", "3", "ROUND", "2")
    expect_error(c, ERR_SYNTAX, "DECIMAL.DIV", "d", "3", "SCALE", "2", "x")
    expect_error(c, ERR_SCALE_TOO_BIG, "DECIMAL.DIV", "d", "3", "SCALE", "6176")
    expect_error(c, ERR_NO_KEY, "DECIMAL.MUL", "nokey", "2")
    expect_error(c, ERR_NO_KEY, "DECIMAL.DIV", "nokey", "2", "SCALE", "1")
    expect_error(c, ERR_NO_KEY, "DECIMAL.CMP", "nokey", "2")
    assert c.exists("nokey") == 0
    assert c.get("d") == "10"
    # Arity.
    for cmd in [("DECIMAL.SET", "k"), ("DECIMAL.GET",), ("DECIMAL.GET", "a", "b"),
                ("DECIMAL.MGET",), ("DECIMAL.INCRBY", "k"), ("DECIMAL.INCRBY", "k", "1", "2"),
                ("DECIMAL.DECRBY", "k"), ("DECIMAL.MUL", "k"), ("DECIMAL.DIV", "k"),
                ("DECIMAL.CMP", "k")]:
        expect_error(c, f"wrong number of arguments for '{cmd[0].lower()}' command", *cmd)


def test_stored_values_that_are_not_decimals(kv):
    c = kv.client()
    c.set("s", "abc")
    expect_error(c, ERR_NOT_DECIMAL, "DECIMAL.GET", "s")
    expect_error(c, ERR_NOT_DECIMAL, "DECIMAL.INCRBY", "s", "1")
    expect_error(c, ERR_NOT_DECIMAL, "DECIMAL.CMP", "s", "1")
    c.set("s", "NaN")
    expect_error(c, ERR_NAN, "DECIMAL.GET", "s")
    c.set("s", "12345678901234567890123456789012345")
    expect_error(c, ERR_VALUE_INEXACT, "DECIMAL.MUL", "s", "1")
    assert c.get("s") == "12345678901234567890123456789012345"


# ---------------------------------------------------------------------------- interplay
def test_get_set_type_and_string_commands_on_decimal_keys(kv):
    c = kv.client()
    c.execute_command("DECIMAL.SET", "d", "1.50")
    assert c.type("d") == "string"
    assert c.get("d") == "1.50"
    assert c.mget("d", "nokey") == ["1.50", None]
    assert c.strlen("d") == 4
    assert c.getrange("d", 1, -1) == ".50"
    # A plain SET replaces the decimal with bytes; DECIMAL.GET parses bytes that are a literal.
    c.set("d", "2.500")
    assert c.execute_command("DECIMAL.GET", "d") == "2.500"
    assert c.execute_command("DECIMAL.INCRBY", "d", "1") == "3.500"
    assert c.get("d") == "3.500"
    # APPEND turns the decimal into bytes of its text.
    assert c.append("d", "1") == 6
    assert c.get("d") == "3.5001"
    assert c.execute_command("DECIMAL.GET", "d") == "3.5001"
    # INCR on a decimal key reads its canonical text with Redis's integer rules.
    c.execute_command("DECIMAL.SET", "n", "41")
    assert c.incr("n") == 42
    assert c.execute_command("DECIMAL.GET", "n") == "42"  # an Int reads as a decimal
    assert c.execute_command("DECIMAL.INCRBY", "n", "0.5") == "42.5"
    with pytest.raises(redis.ResponseError, match="not an integer"):
        c.incr("n")
    assert c.incrbyfloat("n", "0.25") == pytest.approx(42.75)
    assert c.get("n") == "42.75"
    assert c.execute_command("DECIMAL.GET", "n") == "42.75"  # INCRBYFLOAT kept it a Decimal
    assert c.execute_command("DECIMAL.DECRBY", "n", "0.75") == "42.00"
    c.execute_command("DECIMAL.SET", "e", "1E+3")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        c.incr("e")
    assert c.get("e") == "1E+3"
    c.rename("e", "e2")
    assert c.execute_command("DECIMAL.GET", "e2") == "1E+3"
    assert c.getset("e2", "x") == "1E+3"


def test_mget(kv):
    c = kv.client()
    c.execute_command("DECIMAL.SET", "a", "1.10")
    c.set("b", "not a number")
    c.set("c", "7")
    c.incr("i")
    assert c.execute_command("DECIMAL.MGET", "a", "b", "c", "nokey", "i", "a") == \
        ["1.10", None, "7", None, "1", "1.10"]


def test_set_options_and_ttl(kv):
    c = kv.client()
    assert c.execute_command("DECIMAL.SET", "t", "1.0", "EX", "100") == "OK"
    assert 99 <= c.ttl("t") <= 100
    assert c.execute_command("DECIMAL.INCRBY", "t", "1") == "2.0"
    assert 98 <= c.ttl("t") <= 100  # arithmetic keeps the TTL
    assert c.execute_command("DECIMAL.MUL", "t", "3", "SCALE", "1") == "6.0"
    assert c.ttl("t") > 0
    assert c.execute_command("DECIMAL.SET", "t", "1", "PX", "50000") == "OK"
    assert 49000 <= c.pttl("t") <= 50000
    assert c.execute_command("DECIMAL.SET", "t", "2", "KEEPTTL") == "OK"
    assert c.pttl("t") > 0
    assert c.execute_command("DECIMAL.SET", "t", "3") == "OK"
    assert c.ttl("t") == -1  # like SET: a write without KEEPTTL clears the TTL
    now_ms = int(c.time()[0]) * 1000
    assert c.execute_command("DECIMAL.SET", "t", "4", "PXAT", now_ms + 60000) == "OK"
    assert 0 < c.pttl("t") <= 61000
    assert c.execute_command("DECIMAL.SET", "t", "4", "EXAT", now_ms // 1000 + 60) == "OK"
    assert 0 < c.ttl("t") <= 61
    # An absolute time in the past removes the key at once.
    assert c.execute_command("DECIMAL.SET", "t", "5", "PXAT", now_ms - 1000) == "OK"
    assert c.exists("t") == 0
    # NX / XX.
    assert c.execute_command("DECIMAL.SET", "n", "1", "XX") is None
    assert c.exists("n") == 0
    assert c.execute_command("DECIMAL.SET", "n", "1", "NX") == "OK"
    assert c.execute_command("DECIMAL.SET", "n", "2", "NX") is None
    assert c.execute_command("DECIMAL.SET", "n", "3", "XX", "EX", "10") == "OK"
    assert c.get("n") == "3"
    # Option errors, as SET reports them.
    expect_error(c, ERR_SYNTAX, "DECIMAL.SET", "n", "1", "NX", "XX")
    expect_error(c, ERR_SYNTAX, "DECIMAL.SET", "n", "1", "EX", "10", "PX", "10")
    expect_error(c, ERR_SYNTAX, "DECIMAL.SET", "n", "1", "EX")
    expect_error(c, ERR_SYNTAX, "DECIMAL.SET", "n", "1", "KEEPTTL", "EX", "1")
    expect_error(c, ERR_SYNTAX, "DECIMAL.SET", "n", "1", "GET")
    expect_error(c, "value is not an integer or out of range", "DECIMAL.SET", "n", "1", "EX", "x")
    expect_error(c, "invalid expire time in 'decimal.set' command",
                 "DECIMAL.SET", "n", "1", "EX", "0")
    expect_error(c, "invalid expire time in 'decimal.set' command",
                 "DECIMAL.SET", "n", "1", "PX", "-5")
    assert c.get("n") == "3"


def test_key_expires(kv):
    c = kv.client()
    c.execute_command("DECIMAL.SET", "short", "1", "PX", "30")
    time.sleep(0.1)
    assert c.execute_command("DECIMAL.GET", "short") is None
    assert c.execute_command("DECIMAL.INCRBY", "short", "2") == "2"  # starts from 0 again


def test_resp3_replies_are_strings(kv):
    with kv.raw() as r:
        assert r.call("HELLO", "3")[b"proto"] == 3
        assert r.call("DECIMAL.SET", "r3", "0.10") == b"OK"
        assert r.call("DECIMAL.GET", "r3") == b"0.10"
        assert r.call("DECIMAL.INCRBY", "r3", "1") == b"1.10"
        assert r.call("DECIMAL.CMP", "r3", "1.1") == 0
        assert r.call("DECIMAL.GET", "missing") is None


def test_command_table_entries(kv):
    want = {
        "decimal.set": (-3, {"write", "denyoom"}, (1, 1, 1)),
        "decimal.get": (2, {"readonly", "fast"}, (1, 1, 1)),
        "decimal.mget": (-2, {"readonly", "fast"}, (1, -1, 1)),
        "decimal.incrby": (3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        "decimal.decrby": (3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        "decimal.mul": (-3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        "decimal.div": (-3, {"write", "denyoom", "fast"}, (1, 1, 1)),
        "decimal.cmp": (3, {"readonly", "fast"}, (1, 1, 1)),
    }
    with kv.raw() as r:
        for name, (arity, flags, keys) in want.items():
            info = r.call("COMMAND", "INFO", name)[0]
            assert info[0].decode() == name
            assert info[1] == arity, name
            got_flags = {f.decode() for f in info[2]}
            assert flags <= got_flags, (name, got_flags)
            assert not ({"write", "readonly"} - flags) & got_flags, (name, got_flags)
            assert tuple(info[3:6]) == keys, name
            docs = r.call("COMMAND", "DOCS", name)
            assert docs and docs[0].decode() == name
            summary = docs[1][docs[1].index(b"summary") + 1]
            assert summary, name
