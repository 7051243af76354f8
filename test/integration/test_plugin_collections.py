"""The plugin API's collection calls (version 3) through test/modules/listops.c, a plugin built
against include/kvmodule.h alone: a list created, read, changed and emptied through the API is
the list the list commands see, typed elements included, and it survives kill -9 with the
plugin loaded again."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "clients" / "python"))
import kvclient  # noqa: E402

pytestmark = pytest.mark.kv_only

MODULES = Path(KV_BIN).resolve().parent / "test" / "modules"
KV_OBJ = {"none": 0, "string": 1, "list": 2, "null": 6}


@pytest.mark.parametrize("plugin", ["listops.so", "listops_v3.so"])
def test_a_plugin_list_is_the_list_commands_list(kv_persist, plugin):
    LISTOPS = MODULES / plugin
    assert LISTOPS.is_file(), "test plugin not built"
    s = kv_persist(appendfsync="always", native_port="auto", loadmodule=str(LISTOPS))
    c = s.client()
    assert c.execute_command("LISTOPS.TYPE", "l") == KV_OBJ["none"]
    assert c.execute_command("LISTOPS.PUSH", "l", "TAIL", "a", "b") == 2
    assert c.execute_command("LISTOPS.PUSH", "l", "HEAD", "z") == 3
    assert c.lrange("l", 0, -1) == ["z", "a", "b"]
    assert c.execute_command("LISTOPS.TYPE", "l") == KV_OBJ["list"]
    c.rpush("l", "c")  # and the other way round
    assert c.execute_command("LISTOPS.GET", "l", "-1") == "c"
    assert c.execute_command("LISTOPS.GET", "l", "9") is None
    assert c.execute_command("LISTOPS.SET", "l", "1", "A") == "OK"
    with pytest.raises(redis.ResponseError, match="out of range"):
        c.execute_command("LISTOPS.SET", "l", "9", "x")
    assert c.lrange("l", 0, -1) == ["z", "A", "b", "c"]
    assert c.execute_command("LISTOPS.POP", "l", "HEAD") == "z"
    c.set("s", "text")
    assert c.execute_command("LISTOPS.TYPE", "s") == KV_OBJ["string"]
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        c.execute_command("LISTOPS.PUSH", "s", "TAIL", "x")
    assert c.execute_command("LISTOPS.POP", "s", "HEAD") is None
    assert c.get("s") == "text"
    # typed elements from a native client stay typed through the API
    n = kvclient.connect(f"kv://127.0.0.1:{s.native_port}")
    try:
        assert n.call("LISTOPS.PUSH", "t", "TAIL", 7, Decimal("2.50")) == 2
        assert n.get("t") == [7, Decimal("2.50")]
        assert n.call("LISTOPS.GET", "t", 0) == 7
    finally:
        n.close()
    assert c.lrange("t", 0, -1) == ["7", "2.50"]
    want = c.lrange("l", 0, -1)
    s.kill9()
    s.restart()
    c = s.client()
    assert c.lrange("l", 0, -1) == want  # the log replayed the plugin's writes
    assert [c.execute_command("LISTOPS.POP", "l", "TAIL") for _ in range(3)] == ["c", "b", "A"]
    assert c.exists("l") == 0  # the last pop took the key, as LPOP does


def test_the_v3_table_is_a_prefix_of_the_current_one():
    """The API table only grows at its end: every member of the frozen version 3 table is in
    today's header, in the same order, with the same declaration."""
    import re

    def members(path):
        text = (REPO_ROOT / path).read_text()
        body = text[text.index("typedef struct KVModuleAPI {"):text.index("} KVModuleAPI;")]
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)  # comments may change
        return [" ".join(m.split()) for m in body.split(";")[:-1]]

    old = members("test/modules/abi_v3/kvmodule.h")
    new = members("include/kvmodule.h")
    assert len(new) > len(old)
    assert new[:len(old)] == old
