"""kv-server's own side of SORT: typed elements from native clients (sorted by their text, kept
typed in replies and in the stored list), and SORT ... STORE replayed from the WAL after kill -9
(the patterns read the keyspace as it was when the command ran)."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest
import redis

from conftest import REPO_ROOT, Server

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only


def test_typed_elements(kv_server):
    s = kv_server(native_port="auto")
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    r = s.client(decode_responses=False)
    try:
        n.set("l", [3, Decimal("2.50"), b"10", 1.5, "0"])
        assert r.execute_command("SORT", "l") == [b"0", b"1.5", b"2.50", b"3", b"10"]
        assert r.execute_command("SORT", "l", "ALPHA") == [b"0", b"1.5", b"10", b"2.50", b"3"]
        assert r.execute_command("SORT", "l", "DESC", "STORE", "d") == 5
        back = n.get("d")
        assert back == [b"10", 3, Decimal("2.50"), 1.5, "0"]
        assert [type(x) for x in back] == [bytes, int, Decimal, float, str]
        # GET values keep their types too.
        n.set("w_3", 7)
        assert r.execute_command("SORT", "l", "BY", "nosort", "GET", "w_*", "STORE", "d") == 5
        assert n.get("d") == [7, b"", b"", b"", b""]
        # A nested element is not a number; under ALPHA it sorts as empty text.
        n.set("nested", [2, [1, None], 1])
        with pytest.raises(redis.ResponseError,
                           match="^One or more scores can't be converted into double$"):
            r.execute_command("SORT", "nested")
        assert r.execute_command("SORT", "nested", "ALPHA") == [[1, None], b"1", b"2"]
    finally:
        n.close()
        r.close()


def test_sort_store_survives_kill9(tmp_path):
    opts = {"appendonly": "yes", "appendfsync": "always", "snapshot-interval": 0,
            "snapshot-ops": 0}
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    c.rpush("l", 1, 2, 3)
    c.mset({"w_1": 30, "w_2": 10, "w_3": 20})
    c.hset("h_2", "name", "two")
    assert c.execute_command("SORT", "l", "BY", "w_*", "GET", "#", "GET", "h_*->name",
                             "STORE", "d") == 6
    c.mset({"w_1": 0, "w_2": 0, "w_3": 0})  # later writes do not change the replayed result
    c.set("gone", "x")
    assert c.execute_command("SORT", "missing", "STORE", "gone") == 0
    want = c.lrange("d", 0, -1)
    assert want == ["2", "two", "3", "", "1", ""]
    s.kill9()
    s = Server(opts, workdir=str(tmp_path)).start()
    c = s.client()
    assert c.lrange("d", 0, -1) == want
    assert c.exists("gone") == 0
    s.stop()
