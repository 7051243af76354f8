"""Plugins: MODULE LOAD / LOADEX / LIST / UNLOAD, --loadmodule, every loading error, the example
plugin (examples/hello_module/hello.c) end to end, and the host's side of kvmodule.h through the
test plugins in test/modules/ (docs/plugins.md).

The .so files are built by meson next to the server binary: <build>/examples/hello_module/hello.so
and <build>/test/modules/<name>.so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from conftest import KV_BIN, REPO_ROOT, RespError, Server

pytestmark = pytest.mark.kv_only

BUILD_DIR = Path(KV_BIN).resolve().parent
HELLO = BUILD_DIR / "examples" / "hello_module" / "hello.so"


def plugin(name: str) -> Path:
    return BUILD_DIR / "test" / "modules" / f"{name}.so"


def need(path: Path) -> str:
    assert path.is_file(), f"{path} is not built (meson builds it with the server: ninja -C {BUILD_DIR})"
    return str(path)


def module_list(server) -> dict[str, dict]:
    """MODULE LIST as {name: {"name", "ver", "path", "args"}}, from the raw RESP2 reply."""
    with server.raw() as raw:
        reply = raw.call("MODULE", "LIST")
    assert isinstance(reply, list), reply
    out = {}
    for entry in reply:
        fields = dict(zip(entry[0::2], entry[1::2]))
        m = {k.decode(): v for k, v in fields.items()}
        m["name"] = m["name"].decode()
        m["path"] = m["path"].decode()
        m["args"] = [a.decode() for a in m["args"]]
        out[m["name"]] = m
    return out


def call(server, *args):
    """One command on a fresh raw connection; errors come back as RespError values."""
    with server.raw() as raw:
        return raw.call(*args)


LOAD_FAILED = "ERR Error loading the extension. Please check the server logs."


def assert_load_fails(server, *args, mentions: list[str]):
    """The client gets Redis's one text (it must not learn which files exist); the reason is in
    the server's log. Returns the log line."""
    log_before = len(server.stderr_text(limit=1 << 30))
    reply = call(server, "MODULE", *args)
    assert isinstance(reply, RespError), reply
    assert str(reply) == LOAD_FAILED, reply
    lines = [l for l in server.stderr_text(limit=1 << 30)[log_before:].splitlines() if "MODULE LOAD" in l]
    assert len(lines) == 1, server.stderr_text(limit=1 << 30)[log_before:]
    text = lines[0]
    for word in mentions:
        assert word.lower() in text.lower(), (word, text)
    assert server.client().ping() is True  # the server keeps serving
    return text


def assert_unknown(server, *args):
    reply = call(server, *args)
    assert isinstance(reply, RespError) and "unknown command" in str(reply), reply


@pytest.fixture
def srv(kv_server):
    """A dedicated server: loading plugins changes the command table for the server's life.
    MODULE is off by default (enable-module-command no); the tests connect over loopback."""
    return kv_server(enable_module_command="local")


# ---------------------------------------------------------------------------- the example
def test_hello_loads_with_an_argument_and_is_listed(srv):
    assert call(srv, "MODULE", "LOAD", need(HELLO), "Howdy") == b"OK"
    mods = module_list(srv)
    assert mods["hello"] == {"name": "hello", "ver": 1, "path": str(HELLO), "args": ["Howdy"]}
    r = srv.client()
    assert r.execute_command("HELLO.GREET", "world") == "Howdy, world!"
    assert srv.cli("HELLO.GREET", "redis-cli").strip() == "Howdy, redis-cli!"


def test_builtin_extensions_are_listed(srv):
    mods = module_list(srv)
    for name in ("lock", "cas"):
        assert mods[name]["path"] == "builtin", mods
        assert mods[name]["args"] == []


def test_hello_counter_works_on_typed_ints(srv):
    call(srv, "MODULE", "LOAD", need(HELLO))
    r = srv.client()
    assert r.execute_command("HELLO.GREET", "you") == "Hello, you!"  # the default greeting
    assert r.execute_command("HELLO.COUNTER", "c") == 1
    assert r.execute_command("HELLO.COUNTER", "c", 41) == 42
    assert r.get("c") == "42"
    assert r.incr("c") == 43  # an Int shared with the built-in commands
    assert r.execute_command("HELLO.COUNTER", "c", -43) == 0
    assert srv.cli("HELLO.COUNTER", "c", "5").strip() == "5"
    # The expiry is kept, as INCR keeps it.
    r.expire("c", 100)
    r.execute_command("HELLO.COUNTER", "c")
    assert 90 < r.ttl("c") <= 100
    r.set("s", "text")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        r.execute_command("HELLO.COUNTER", "s")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.execute_command("HELLO.COUNTER", "c", "x")
    r.set("big", 9223372036854775807)
    r.incrby("big", 0)
    with pytest.raises(redis.ResponseError, match="overflow"):
        r.execute_command("HELLO.COUNTER", "big")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments for 'hello.greet'"):
        r.execute_command("HELLO.GREET")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        r.execute_command("HELLO.COUNTER", "c", "1", "2")


def test_hello_commands_have_their_metadata(srv):
    call(srv, "MODULE", "LOAD", need(HELLO))
    info = call(srv, "COMMAND", "INFO", "hello.greet", "hello.counter")
    greet, counter = info
    assert greet[0] == b"hello.greet" and greet[1] == 2
    assert {b"readonly", b"fast"} <= set(greet[2]) and greet[3:6] == [0, 0, 0]
    assert counter[0] == b"hello.counter" and counter[1] == -2
    assert {b"write", b"denyoom", b"fast"} <= set(counter[2]) and counter[3:6] == [1, 1, 1]


def test_hello_refuses_bad_load_arguments(srv):
    assert_load_fails(srv, "LOAD", need(HELLO), "a", "b", mentions=[])
    assert_load_fails(srv, "LOAD", need(HELLO), "x" * 100, mentions=[])
    assert "hello" not in module_list(srv)
    assert_unknown(srv, "HELLO.GREET", "x")


def test_hello_through_loadex(srv):
    assert call(srv, "MODULE", "LOADEX", need(HELLO), "ARGS", "Yo") == b"OK"
    assert srv.client().execute_command("HELLO.GREET", "there") == "Yo, there!"
    assert module_list(srv)["hello"]["args"] == ["Yo"]


def test_loadex_refuses_config(srv):
    assert_load_fails(srv, "LOADEX", need(HELLO), "CONFIG", "a", "b", mentions=["CONFIG"])
    assert "hello" not in module_list(srv)


def test_unload_removes_the_commands_and_allows_a_fresh_load(srv):
    call(srv, "MODULE", "LOAD", need(HELLO), "Howdy")
    srv.client().execute_command("HELLO.COUNTER", "c")
    assert call(srv, "MODULE", "UNLOAD", "hello") == b"OK"
    assert "hello" not in module_list(srv)
    assert_unknown(srv, "HELLO.GREET", "x")
    assert_unknown(srv, "HELLO.COUNTER", "c")
    info = call(srv, "COMMAND", "INFO", "hello.greet")
    assert info == [None]
    assert srv.client().get("c") == "1"  # data stays
    # Loaded again, without arguments: the greeting is the default again.
    assert call(srv, "MODULE", "LOAD", need(HELLO)) == b"OK"
    assert srv.client().execute_command("HELLO.GREET", "again") == "Hello, again!"


def test_unload_errors(srv):
    reply = call(srv, "MODULE", "UNLOAD", "nosuchmodule")
    assert isinstance(reply, RespError) and "no such module" in str(reply).lower(), reply
    reply = call(srv, "MODULE", "UNLOAD", "lock")
    assert isinstance(reply, RespError) and "built-in" in str(reply), reply
    assert srv.client().execute_command("LOCK", "k", "o", 1000) > 0


def test_the_same_plugin_twice_is_refused_and_the_first_keeps_working(srv):
    call(srv, "MODULE", "LOAD", need(HELLO), "First")
    assert_load_fails(srv, "LOAD", need(HELLO), "Second", mentions=["hello"])
    r = srv.client()
    assert r.execute_command("HELLO.GREET", "x") == "First, x!"
    assert r.execute_command("HELLO.COUNTER", "c") == 1
    assert module_list(srv)["hello"]["args"] == ["First"]


# ---------------------------------------------------------------------------- loading errors
def test_missing_file(srv):
    assert_load_fails(srv, "LOAD", "/nonexistent/dir/nothing.so",
                      mentions=["/nonexistent/dir/nothing.so"])


def test_a_file_that_is_not_a_shared_library(srv, tmp_path):
    bogus = tmp_path / "bogus.so"
    bogus.write_text("not an ELF file\n")
    assert_load_fails(srv, "LOAD", str(bogus), mentions=[str(bogus)])


def test_missing_entry_point(srv):
    assert_load_fails(srv, "LOAD", need(plugin("no_entry")), mentions=["KVModule_OnLoad"])
    assert "noentry" not in module_list(srv)


def test_newer_api_version_is_refused(srv):
    text = assert_load_fails(srv, "LOAD", need(plugin("bad_version")), mentions=["version"])
    host = int(re.search(r"#define KVMODULE_API_VERSION (\d+)",
                         (REPO_ROOT / "include" / "kvmodule.h").read_text()).group(1))
    assert f"version {host + 1}" in text and f"version {host}" in text, text  # names both
    assert "badversion" not in module_list(srv)
    assert_unknown(srv, "BADVERSION.CMD")


def test_duplicate_command_name_is_refused_and_rolled_back(srv):
    r = srv.client()
    r.set("k", "v")
    assert_load_fails(srv, "LOAD", need(plugin("dup_command")), mentions=["get"])
    assert "dupcommand" not in module_list(srv)
    assert_unknown(srv, "DUP.OK")  # registered before the failure, then rolled back
    assert r.get("k") == "v"  # the built-in GET is untouched


def test_onload_failure_is_refused_and_rolled_back(srv):
    assert_load_fails(srv, "LOAD", need(plugin("init_fail")), "x", mentions=[])
    assert "initfail" not in module_list(srv)
    assert_unknown(srv, "INITFAIL.PING")


def test_module_errors_of_the_command_itself(srv):
    for args in (("MODULE",), ("MODULE", "LOAD"), ("MODULE", "UNLOAD")):
        reply = call(srv, *args)
        assert isinstance(reply, RespError) and "wrong number of arguments" in str(reply), reply
    reply = call(srv, "MODULE", "NOPE")
    assert isinstance(reply, RespError) and "unknown subcommand" in str(reply).lower(), reply


# ---------------------------------------------------------------------------- --loadmodule
class ArgvServer(Server):
    """A kv-server started with extra command-line words."""

    def __init__(self, extra: list[str]):
        super().__init__()
        self.extra = extra

    def argv(self, port: int) -> list[str]:
        # MODULE LIST needs enable-module-command; --loadmodule works either way.
        return super().argv(port) + ["--enable-module-command", "local"] + self.extra


@pytest.fixture
def argv_server():
    started: list[Server] = []

    def start(*extra: str) -> Server:
        s = ArgvServer(list(extra))
        started.append(s)
        return s.start()

    yield start
    # A clean exit is part of what these tests check: unloading at shutdown must not crash.
    for s in started:
        s.stop(check=True)


def test_loadmodule_at_startup_with_arguments(argv_server):
    s = argv_server("--loadmodule", need(HELLO), "Hiya")
    assert s.client().execute_command("HELLO.GREET", "boot") == "Hiya, boot!"
    assert module_list(s)["hello"]["args"] == ["Hiya"]


def test_loadmodule_is_repeatable(argv_server):
    s = argv_server("--loadmodule", need(HELLO), "--loadmodule", need(plugin("blocker")))
    mods = module_list(s)
    assert "hello" in mods and "blocker" in mods
    assert s.client().execute_command("HELLO.GREET", "x") == "Hello, x!"


def test_a_failing_loadmodule_stops_the_start_with_a_clear_message():
    s = ArgvServer(["--loadmodule", need(plugin("bad_version"))])
    with pytest.raises(RuntimeError) as e:
        s.start()
    assert "version" in str(e.value), str(e.value)
    s.stop(check=False)


# ---------------------------------------------------------------------------- building
def test_hello_builds_outside_meson_with_cc(srv, tmp_path):
    cc = shutil.which("cc")
    assert cc, "no C compiler"
    out = tmp_path / "X.so"
    res = subprocess.run([cc, "-shared", "-fPIC", "-Iinclude", "examples/hello_module/hello.c",
                          "-o", str(out)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert call(srv, "MODULE", "LOAD", str(out), "Built") == b"OK"
    assert srv.client().execute_command("HELLO.GREET", "cc") == "Built, cc!"
    assert module_list(srv)["hello"]["path"] == str(out)


@pytest.mark.parametrize("source", [
    "examples/hello_module/hello.c",
    "src/modules/builtin/lock.c",
    "src/modules/builtin/cas.c",
    *[f"test/modules/{n}.c" for n in
      ("bad_version", "no_entry", "dup_command", "init_fail", "blocker", "contract",
       "stamp", "listops")],
])
def test_plugins_compile_as_strict_c11_against_the_header_alone(source):
    res = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                          "-fsyntax-only", "-Iinclude", source],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_the_header_is_clean_cplusplus():
    res = subprocess.run(["c++", "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                          "-fsyntax-only", "-x", "c++", "include/kvmodule.h"],
                         cwd=REPO_ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


# ---------------------------------------------------------------------------- BlockClient
def test_blockclient_waits_without_blocking_the_thread(kv_server):
    s = kv_server(threads=1, enable_module_command="local")
    call(s, "MODULE", "LOAD", need(plugin("blocker")))
    results: list = []

    def waiter():
        c = s.client()
        start = time.monotonic()
        results.append((c.execute_command("BLOCKER.WAITKEY", "k", 5000), time.monotonic() - start))
        c.close()

    t = threading.Thread(target=waiter, daemon=True)
    t.start()
    time.sleep(0.2)
    other = s.client()
    # Ordering, not speed: the other client is served while the waiter is still pending.
    assert other.ping() is True
    assert results == []
    # A blocked client pins its plugin.
    reply = call(s, "MODULE", "UNLOAD", "blocker")
    assert isinstance(reply, RespError) and "blocked" in str(reply), reply
    other.set("k", "arrived")
    t.join(5)
    # Woken by the write, well before its 5 s timeout would have answered nil.
    assert results and results[0][0] == "arrived"
    assert call(s, "MODULE", "UNLOAD", "blocker") == b"OK"


def test_blockclient_timeout_calls_the_handler_once_more(srv):
    call(srv, "MODULE", "LOAD", need(plugin("blocker")))
    r = srv.client()
    start = time.monotonic()
    assert r.execute_command("BLOCKER.WAITKEY", "never", 200) is None
    assert time.monotonic() - start >= 0.18  # it did wait for its timeout


def test_blockclient_is_refused_without_the_blocking_flag(srv):
    call(srv, "MODULE", "LOAD", need(plugin("blocker")))
    assert srv.client().execute_command("BLOCKER.MISUSE") == "refused"
    assert srv.client().ping() is True


# ---------------------------------------------------------------------------- host contract
@pytest.fixture
def contract(srv):
    assert call(srv, "MODULE", "LOAD", need(plugin("contract"))) == b"OK"
    return srv


def test_openkey_refuses_undeclared_keys(contract):
    assert contract.client().execute_command("CONTRACT.OPEN", "k", "other") == [1, 0]


def test_typed_writes_read_back_typed_and_over_resp(contract):
    r = contract.client()
    assert r.execute_command("CONTRACT.SET", "i", "int", "-12") == "OK"
    assert r.execute_command("CONTRACT.GET", "i") == [2, -12]
    assert r.get("i") == "-12"
    assert r.incr("i") == -11
    assert r.execute_command("CONTRACT.SET", "f", "float", "2.5") == "OK"
    assert r.execute_command("CONTRACT.GET", "f")[0] == 3
    assert r.get("f") == "2.5"
    assert r.execute_command("CONTRACT.SET", "b", "bytes", "raw") == "OK"
    assert r.execute_command("CONTRACT.GET", "b") == [1, "raw"]
    assert r.execute_command("CONTRACT.GET", "missing") == [0, None]


def test_writes_clear_the_expiry_unless_asked_to_keep_it(contract):
    r = contract.client()
    r.set("k", "v", ex=100)
    r.execute_command("CONTRACT.SET", "k", "bytes", "w", 1)
    assert 90 < r.ttl("k") <= 100
    r.execute_command("CONTRACT.SET", "k", "int", "5")
    assert r.ttl("k") == -1


def test_getexpire_is_absolute_unix_ms(contract):
    r = contract.client()
    r.set("k", "v", px=60000)
    at = r.execute_command("CONTRACT.EXPIRE", "k")
    now = int(time.time() * 1000)
    assert now + 58000 < at <= now + 60000
    r.persist("k")
    assert r.execute_command("CONTRACT.EXPIRE", "k") == -1
    assert r.execute_command("CONTRACT.EXPIRE", "missing") == -1


def test_handlers_that_do_not_reply_get_a_generic_error(contract):
    for cmd, text in (("CONTRACT.NOREPLY", "without replying"), ("CONTRACT.FAIL", "failed")):
        reply = call(contract, cmd)
        assert isinstance(reply, RespError) and text in str(reply), (cmd, reply)
    assert contract.client().ping() is True


def test_a_second_reply_is_refused_and_a_short_array_completed(contract):
    # Either would leave the connection one reply out of step: every later command would read
    # the answer meant for the one before it.
    r = contract.client()
    with r.pipeline(transaction=False) as p:
        p.execute_command("CONTRACT.TWICE")
        p.ping()
        p.execute_command("CONTRACT.SHORTARRAY")
        p.echo("after")
        assert p.execute() == ["first", True, [1, None, None], "after"]
    assert r.ping() is True


def test_a_key_opened_for_reading_cannot_be_written(contract):
    r = contract.client()
    assert r.execute_command("CONTRACT.READONLY.SET", "k") == "refused"
    assert r.exists("k") == 0
