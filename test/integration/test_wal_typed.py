"""Typed values written by native clients keep their type through the WAL and the snapshot:
the log carries (type, raw bytes) per argument, CAS logs its typed new value."""
import sys
from decimal import Decimal

import pytest

from conftest import REPO_ROOT, Server

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only

VALUES = {
    "i": 42,
    "f": 2.5,
    "d": Decimal("19.99"),
    "s": "héllo",
    "b": b"\x00\xff",
    "l": ["a", "b", 3, [Decimal("1.5"), None]],
    "m": {"k": 1, "n": {"x": [1.5]}},
    "z": None,
}


def start(tmp_path) -> Server:
    return Server({"appendonly": "yes", "appendfsync": "always", "snapshot-interval": 0,
                   "snapshot-ops": 0, "native-port": "auto"}, workdir=str(tmp_path)).start()


def check_values(s: Server):
    c = kvclient.connect(f"kv://127.0.0.1:{s.native_port}/typed")
    try:
        for k, v in VALUES.items():
            got = c.get(k)
            assert got == v and type(got) is type(v), (k, got)
        assert c.get("cas") == 7 and type(c.get("cas")) is int
    finally:
        c.close()


@pytest.mark.parametrize("how", ["wal", "snapshot"])
def test_native_types_survive_a_restart(tmp_path, how):
    s = start(tmp_path)
    c = kvclient.connect(f"kv://127.0.0.1:{s.native_port}/typed")
    for k, v in VALUES.items():
        c.set(k, v)
    c.set("cas", Decimal("1"))
    assert c.cas("cas", 1, 7) == 0  # an Int does not equal the Decimal 1
    assert c.cas("cas", Decimal("1"), 7) == 1
    c.close()
    if how == "wal":
        s.kill9()  # only the log holds them
    else:
        s.stop()  # the shutdown snapshot holds them, the log is gone
        assert not list((tmp_path / "data").glob("wal-*.log"))
    s = start(tmp_path)
    check_values(s)
    s.stop()
