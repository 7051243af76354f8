"""INCRBYFLOAT on a Decimal stays exact and stays a Decimal (docs/decimal.md): 19.99 + 0.01 is
20.00, read back typed by the native client; increments that are not exact decimals are
refused with the value untouched. On other values INCRBYFLOAT keeps Redis's float rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
import redis

from native_client import NativeConn

pytestmark = pytest.mark.kv_only


def typed(server, key):
    with NativeConn(server.host, server.native_port) as n:
        return n.get(key).value


def test_incrbyfloat_keeps_a_decimal_exact(kv_server):
    s = kv_server(native_port="auto")
    r = s.client()
    r.execute_command("DECIMAL.SET", "price", "19.99")
    assert r.incrbyfloat("price", "0.01") == 20.0  # redis-py parses the reply as a float
    assert r.get("price") == "20.00"  # the exact text, scale kept
    v = typed(s, "price")
    assert isinstance(v, Decimal) and str(v) == "20.00"
    # Ten cents added ten times is exactly one more, where a binary float drifts.
    for _ in range(10):
        r.incrbyfloat("price", "0.1")
    assert r.get("price") == "21.00"
    assert r.execute_command("DECIMAL.GET", "price") == "21.00"
    r.expire("price", 100)
    r.incrbyfloat("price", "-1.005")
    assert r.get("price") == "19.995" and 90 < r.ttl("price") <= 100  # the TTL is kept


@pytest.mark.parametrize("incr,error", [
    ("inf", "increment is NaN and Infinity are not supported"),
    ("1.0000000000000000000000000000000001", "increment is not exact"),
    ("abc", "not a valid float"),
])
def test_inexact_increments_are_refused(kv, incr, error):
    r = kv.client()
    r.execute_command("DECIMAL.SET", "d", "1.5")
    with pytest.raises(redis.ResponseError, match=error):
        r.incrbyfloat("d", incr)
    assert r.get("d") == "1.5"


def test_other_values_keep_redis_float_rules(kv):
    r = kv.client()
    r.set("f", "10.5")
    assert r.incrbyfloat("f", "0.1") == pytest.approx(10.6)
    assert r.get("f") == "10.6"
    r.incr("i")
    assert r.incrbyfloat("i", "1.5") == pytest.approx(2.5)
