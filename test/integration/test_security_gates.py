"""enable-module-command, enable-debug-command and enable-protected-configs (Redis 7).

Loading a plugin runs its code inside the server (dlopen runs constructors before any check),
so on a default server no client may do it; `local` allows loopback clients only; --loadmodule
at start keeps working. The texts are compared with Debian's redis-server.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, RespError, Server, non_loopback_address

pytestmark = pytest.mark.kv_only

MODULE_REFUSED = (
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you '
    "can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.")

CONSTRUCTOR_SOURCE = r"""
#include <stdio.h>
__attribute__((constructor)) static void ran(void) {
  FILE* f = fopen(MARKER, "w");
  if (f) { fputs("constructor ran\n", f); fclose(f); }
}
"""


@pytest.fixture
def constructor_lib(tmp_path):
    """A shared library whose constructor writes a marker file (no KVModule_OnLoad)."""
    cc = shutil.which("cc")
    assert cc, "no C compiler"
    marker = tmp_path / "marker"
    src = tmp_path / "ctor.c"
    src.write_text(CONSTRUCTOR_SOURCE)
    lib = tmp_path / "ctor.so"
    subprocess.run([cc, "-shared", "-fPIC", f'-DMARKER="{marker}"', str(src), "-o", str(lib)],
                   check=True)
    return lib, marker


def test_module_load_is_refused_by_default_and_runs_no_code(kv_server, constructor_lib):
    lib, marker = constructor_lib
    s = kv_server()
    with s.raw() as raw:
        for args in (("LOAD", str(lib)), ("LOAD", "/nonexistent.so"), ("LIST",),
                     ("UNLOAD", "hello")):
            reply = raw.call("MODULE", *args)
            assert isinstance(reply, RespError) and str(reply) == MODULE_REFUSED, (args, reply)
    assert not marker.exists()
    assert s.client().config_get("enable-module-command") == {"enable-module-command": "no"}


def test_module_load_runs_code_when_enabled(kv_server, constructor_lib):
    """The other side of the test above: the library does run code once loading is allowed."""
    lib, marker = constructor_lib
    s = kv_server(enable_module_command="yes")
    with s.raw() as raw:
        reply = raw.call("MODULE", "LOAD", str(lib))
    assert str(reply) == "ERR Error loading the extension. Please check the server logs."
    assert marker.read_text() == "constructor ran\n"
    assert "KVModule_OnLoad" in s.stderr_text()


def test_module_command_local_allows_loopback_only(kv_server):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    s = kv_server(enable_module_command="local", bind="0.0.0.0", requirepass="pw")
    local = s.client()
    assert local.execute_command("MODULE", "LIST")  # the built-in extensions
    remote = redis.Redis(host=address, port=s.port, password="pw", decode_responses=True)
    with pytest.raises(redis.ResponseError) as e:
        remote.execute_command("MODULE", "LIST")
    assert str(e.value) == MODULE_REFUSED.removeprefix("ERR ")
    assert remote.ping()


def test_loadmodule_at_start_works_with_the_default(kv_server):
    hello = Path(KV_BIN).resolve().parent / "examples" / "hello_module" / "hello.so"
    assert hello.is_file(), f"{hello} is not built"
    s = kv_server(loadmodule=str(hello))
    assert s.client().execute_command("HELLO.GREET", "boot") == "Hello, boot!"
    with s.raw() as raw:
        assert str(raw.call("MODULE", "LIST")) == MODULE_REFUSED


def test_switches_are_fixed_after_start_and_validated(kv_server):
    s = kv_server(enable_debug_command="local", enable_protected_configs="no")
    r = s.client()
    assert r.config_get("enable-debug-command") == {"enable-debug-command": "local"}
    for name in ("enable-module-command", "enable-debug-command", "enable-protected-configs"):
        with pytest.raises(redis.ResponseError, match="can't set immutable config"):
            r.config_set(name, "yes")
    bad = Server({"enable_module_command": "maybe"})
    code = bad.start_expecting_exit()
    assert code != 0
    assert "no, yes, local" in bad.stderr_text()


def test_protected_config_needs_enable_protected_configs(kv_server, redis_ref):
    s = kv_server()
    expected = "CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    with pytest.raises(redis.ResponseError) as ours:
        s.client().config_set("dir", "/tmp")
    with pytest.raises(redis.ResponseError) as theirs:
        redis_ref.client().config_set("dir", "/tmp")
    assert str(ours.value) == str(theirs.value) == expected
    opened = kv_server(enable_protected_configs="yes")
    # Allowed now, but kv-server cannot move its data directory while running.
    with pytest.raises(redis.ResponseError, match="can't set immutable config"):
        opened.client().config_set("dir", "/tmp")


def test_module_refusal_text_matches_redis(redis_ref):
    with redis_ref.raw() as raw:
        reply = raw.call("MODULE", "LOAD", "/nonexistent.so")
    assert str(reply) == MODULE_REFUSED
