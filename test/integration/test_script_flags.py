"""Script flags: an EVAL script's `#!lua flags=...` shebang and a function's flags decide what it
may do, as in Redis 7.0: no-writes runs read-only (and passes a CLIENT PAUSE WRITE), a script
that declares flags without allow-oom is refused over maxmemory, *_RO commands refuse scripts
that may write, malformed shebangs answer Redis's errors. Every test also passes against
redis-server (KV_TEST_AGAINST_REDIS=1)."""

from __future__ import annotations

import pytest
import redis

WRITE = "return redis.call('SET', KEYS[1], 'x')"
READ = "return redis.call('GET', KEYS[1])"


def shebang(flags: str | None, body: str) -> str:
    return ("#!lua\n" if flags is None else f"#!lua flags={flags}\n") + body


def error_of(c, *args) -> str:
    with pytest.raises(redis.ResponseError) as e:
        c.execute_command(*args)
    return str(e.value)


def test_no_writes_scripts_run_read_only(kv):
    c = kv.client()
    c.set("k", "v")
    assert c.eval(shebang("no-writes", READ), 1, "k") == "v"
    assert error_of(c, "EVAL", shebang("no-writes", WRITE), 1, "k").startswith(
        "Write commands are not allowed from read-only scripts.")
    assert c.get("k") == "v"
    # A shebang without no-writes, and a script without one, may write.
    assert c.eval(shebang(None, WRITE), 1, "k") == "OK"
    assert c.eval(shebang("allow-oom", WRITE), 1, "k2") == "OK"
    assert c.eval(WRITE, 1, "k3") == "OK"
    # EVALSHA runs a cached script with the flags of its shebang.
    sha = c.script_load(shebang("no-writes", WRITE))
    assert error_of(c, "EVALSHA", sha, 1, "k").startswith(
        "Write commands are not allowed from read-only scripts.")


def test_ro_commands_refuse_scripts_that_may_write(kv):
    c = kv.client()
    c.set("k", "v")
    text = "Can not execute a script with write flag using *_ro command."
    assert error_of(c, "EVAL_RO", shebang(None, "return 2"), 0) == text
    assert error_of(c, "EVAL_RO", shebang("allow-oom", "return 2"), 0) == text
    assert c.execute_command("EVAL_RO", shebang("no-writes", READ), 1, "k") == "v"
    assert c.execute_command("EVAL_RO", READ, 1, "k") == "v"  # no shebang: as before
    sha = c.script_load(shebang(None, "return 2"))
    assert error_of(c, "EVALSHA_RO", sha, 0) == text


def test_malformed_shebangs(kv):
    c = kv.client()
    for body, message in [
        ("#!lua", "Invalid script shebang"),
        ("#!python\nreturn 1", "Unexpected engine in script shebang: #!python"),
        ("#! lua\nreturn 1", "Unexpected engine in script shebang: #!"),
        ("#!lua foo=bar\nreturn 1", "Unknown lua shebang option: foo=bar"),
        ("#!lua flags=bogus\nreturn 1", "Unexpected flag in script shebang: bogus"),
        ("#!lua flags=no-writes,\nreturn 1", "Unexpected flag in script shebang: "),
    ]:
        assert error_of(c, "EVAL", body, 0) == message, body
        assert error_of(c, "SCRIPT", "LOAD", body) == message, body
    assert c.eval("#!lua flags=\nreturn 3", 0) == 3
    # The shebang line counts: errors name the user's line numbers.
    assert "user_script:2:" in error_of(c, "EVAL", "#!lua\nreturn error('e')", 0)


@pytest.fixture
def over_maxmemory(kv):
    c = kv.client()
    c.set("filler", "x")
    c.config_set("maxmemory", "1")
    yield c
    c.config_set("maxmemory", "0")


def test_scripts_that_declare_flags_are_refused_over_maxmemory(kv, over_maxmemory):
    c = over_maxmemory
    oom = "OOM command not allowed when used memory > 'maxmemory'."
    assert error_of(c, "EVAL", shebang(None, "return 1"), 0) == oom
    assert c.eval(shebang("no-writes", "return 1"), 0) == 1
    assert c.eval(shebang("allow-oom", WRITE), 1, "k") == "OK"
    # Without a shebang the script runs; its own writes are refused.
    assert c.eval("return 1", 0) == 1
    assert error_of(c, "EVAL", WRITE, 1, "k2").startswith(oom)


def test_functions_without_allow_oom_are_refused_over_maxmemory(kv):
    c = kv.client()
    c.execute_command("FUNCTION", "FLUSH")
    c.execute_command("FUNCTION", "LOAD", "#!lua name=flaglib\n"
                      "redis.register_function('f_any', function() return 1 end)\n"
                      "redis.register_function{function_name='f_ro', callback=function() "
                      "return 2 end, flags={'no-writes'}}\n"
                      "redis.register_function{function_name='f_oom', callback=function() "
                      "return 3 end, flags={'allow-oom'}}")
    c.set("filler", "x")
    c.config_set("maxmemory", "1")
    try:
        assert error_of(c, "FCALL", "f_any", 0) == (
            "OOM command not allowed when used memory > 'maxmemory'.")
        assert c.execute_command("FCALL", "f_ro", 0) == 2
        assert c.execute_command("FCALL_RO", "f_ro", 0) == 2
        assert c.execute_command("FCALL", "f_oom", 0) == 3
    finally:
        c.config_set("maxmemory", "0")
        c.execute_command("FUNCTION", "FLUSH")


def test_write_pause_lets_no_writes_scripts_through(kv):
    admin = kv.client()
    admin.set("k", "v")
    held = kv.raw()
    try:
        assert admin.execute_command("CLIENT", "PAUSE", "100000", "WRITE") == "OK"
        # Declared read-only: runs during the pause; a script without flags is held.
        assert admin.eval(shebang("no-writes", READ), 1, "k") == "v"
        held.send_command("EVAL", "return 1", "0")
        assert held.read(timeout=0.2) == b""
        held2 = kv.raw()
        held2.send_command("EVAL", shebang(None, "return 2"), "0")
        assert held2.read(timeout=0.2) == b""
    finally:
        assert admin.execute_command("CLIENT", "UNPAUSE") == "OK"
    assert held.read_reply_bytes() == b":1\r\n"
    assert held2.read_reply_bytes() == b":2\r\n"
    held.close()
    held2.close()
