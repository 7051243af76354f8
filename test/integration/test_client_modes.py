"""CLIENT REPLY ON|OFF|SKIP, CLIENT NO-EVICT and CLIENT NO-TOUCH: byte-exact replies (including
the replies that must not be sent), the CLIENT LIST / INFO flags, and NO-TOUCH leaving the LRU
clock alone."""

import re
import subprocess

import pytest

from conftest import HOST, wait_for


def flags(info: str) -> str:
    return re.search(r" flags=(\S+) ", info).group(1)


def test_reply_off_drops_replies_until_on(kv):
    with kv.raw() as r:
        r.send_command("CLIENT", "REPLY", "OFF")
        r.send_command("SET", "k", "v")
        r.send_command("GET", "k")
        r.send_command("NOSUCHCOMMAND")  # errors are dropped too
        r.send_command("CLIENT", "REPLY", "SKIP")  # no effect while off
        r.send_command("CLIENT", "REPLY", "ON")
        r.send_command("GET", "k")
        # the first reply after OFF is ON's own +OK
        assert r.read_reply_bytes() == b"+OK\r\n"
        assert r.read_reply_bytes() == b"$1\r\nv\r\n"
    assert kv.client().get("k") == "v"  # the writes ran


def test_reply_skip_drops_the_next_reply_only(kv):
    with kv.raw() as r:
        r.send_command("CLIENT", "REPLY", "SKIP")
        r.send_command("ECHO", "skipped")
        r.send_command("ECHO", "a")
        # SKIP twice: the second SKIP is the skipped command, and it skips the one after it
        r.send_command("CLIENT", "REPLY", "SKIP")
        r.send_command("CLIENT", "REPLY", "SKIP")
        r.send_command("ECHO", "skipped too")
        r.send_command("ECHO", "b")
        r.send_command("CLIENT", "REPLY", "SKIP")
        r.send_command("NOSUCHCOMMAND")
        r.send_command("ECHO", "c")
        # a skipped MULTI: QUEUED and EXEC still answer
        r.send_command("CLIENT", "REPLY", "SKIP")
        r.send_command("MULTI")
        r.send_command("ECHO", "q")
        r.send_command("EXEC")
        assert r.read_reply_bytes() == b"$1\r\na\r\n"
        assert r.read_reply_bytes() == b"$1\r\nb\r\n"
        assert r.read_reply_bytes() == b"$1\r\nc\r\n"
        assert r.read_reply_bytes() == b"+QUEUED\r\n"
        assert r.read_reply_bytes() == b"*1\r\n$1\r\nq\r\n"


def test_reply_skip_then_on_answers_on(kv):
    with kv.raw() as r:
        r.send_command("CLIENT", "REPLY", "SKIP")
        r.send_command("CLIENT", "REPLY", "ON")
        r.send_command("PING")
        assert r.read_reply_bytes() == b"+OK\r\n"
        assert r.read_reply_bytes() == b"+PONG\r\n"


def test_reset_ends_reply_off(kv):
    with kv.raw() as r:
        r.send_command("CLIENT", "REPLY", "OFF")
        r.send_command("ECHO", "x")
        r.send_command("RESET")
        r.send_command("ECHO", "y")
        assert r.read_reply_bytes() == b"+RESET\r\n"
        assert r.read_reply_bytes() == b"$1\r\ny\r\n"


def test_reply_errors(kv):
    with kv.raw() as r:
        r.send_command("CLIENT", "REPLY", "MAYBE")
        assert r.read_reply_bytes() == b"-ERR syntax error\r\n"
        r.send_command("CLIENT", "REPLY")
        assert r.read_reply_bytes() == \
            b"-ERR wrong number of arguments for 'client|reply' command\r\n"
        r.send_command("CLIENT", "REPLY", "ON", "OFF")
        assert r.read_reply_bytes() == \
            b"-ERR wrong number of arguments for 'client|reply' command\r\n"
        # while off, a bad CLIENT REPLY's error is not sent either
        r.send_command("CLIENT", "REPLY", "OFF")
        r.send_command("CLIENT", "REPLY", "MAYBE")
        r.send_command("CLIENT", "REPLY", "on")
        assert r.read_reply_bytes() == b"+OK\r\n"


def test_redis_cli_no_evict(kv):
    # (redis-cli waits forever after CLIENT REPLY OFF, against Redis too: not driven with it)
    out = subprocess.run(
        ["redis-cli", "-h", HOST, "-p", str(kv.port)],
        input="CLIENT NO-EVICT ON\nCLIENT INFO\nCLIENT NO-EVICT maybe\n",
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "OK"
    assert " flags=e " in lines[1]
    assert lines[2] == "ERR syntax error"


def test_no_evict_flag(kv):
    c = kv.client()
    assert flags(c.execute_command("CLIENT", "INFO")) == "N"
    assert c.execute_command("CLIENT", "NO-EVICT", "on") == "OK"
    info = c.execute_command("CLIENT", "INFO")
    assert flags(info) == "e"
    me = c.client_id()
    line = c.execute_command("CLIENT", "LIST", "ID", me)
    assert flags(line) == "e"
    # RESET keeps it (Redis 7.0)
    assert c.execute_command("RESET") == "RESET"
    assert flags(c.execute_command("CLIENT", "INFO")) == "e"
    c.execute_command("MULTI")
    c.execute_command("CLIENT", "INFO")
    assert flags(c.execute_command("EXEC")[0]) == "xe"
    assert c.execute_command("CLIENT", "NO-EVICT", "OFF") == "OK"
    assert flags(c.execute_command("CLIENT", "INFO")) == "N"


def test_no_evict_errors(kv):
    with kv.raw() as r:
        r.send_command("CLIENT", "NO-EVICT", "yes")
        assert r.read_reply_bytes() == b"-ERR syntax error\r\n"
        r.send_command("CLIENT", "NO-EVICT")
        assert r.read_reply_bytes() == \
            b"-ERR wrong number of arguments for 'client|no-evict' command\r\n"
        r.send_command("CLIENT", "NO-EVICT", "on", "off")
        assert r.read_reply_bytes() == \
            b"-ERR wrong number of arguments for 'client|no-evict' command\r\n"


@pytest.mark.kv_only  # CLIENT NO-TOUCH is Redis 7.2's; Debian's 7.0 does not know it
def test_no_touch_flag_and_errors(kv):
    c = kv.client()
    assert c.execute_command("CLIENT", "NO-TOUCH", "ON") == "OK"
    c.execute_command("CLIENT", "NO-EVICT", "ON")
    assert flags(c.execute_command("CLIENT", "INFO")) == "eT"
    assert c.execute_command("CLIENT", "NO-TOUCH", "off") == "OK"
    c.execute_command("CLIENT", "NO-EVICT", "off")
    assert flags(c.execute_command("CLIENT", "INFO")) == "N"
    with kv.raw() as r:
        r.send_command("CLIENT", "NO-TOUCH", "1")
        assert r.read_reply_bytes() == b"-ERR syntax error\r\n"
        r.send_command("CLIENT", "NO-TOUCH")
        assert r.read_reply_bytes() == \
            b"-ERR wrong number of arguments for 'client|no-touch' command\r\n"


@pytest.mark.kv_only
def test_no_touch_reads_keep_idle_time(kv):
    c = kv.client()
    c.set("cold", "v")
    c.rpush("coldlist", "a")
    wait_for(lambda: c.object("idletime", "cold") >= 1 and c.object("idletime", "coldlist") >= 1,
             what="the keys to become idle")
    nt = kv.client()
    nt.execute_command("CLIENT", "NO-TOUCH", "ON")
    assert nt.get("cold") == "v"
    assert nt.lrange("coldlist", 0, -1) == ["a"]
    assert nt.pipeline(transaction=True).get("cold").execute() == ["v"]
    assert nt.eval("return redis.call('GET', KEYS[1])", 1, "cold") == "v"
    assert c.object("idletime", "cold") >= 1
    assert c.object("idletime", "coldlist") >= 1
    # TOUCH still touches
    assert nt.touch("cold") == 1
    assert c.object("idletime", "cold") == 0
    # and a client without NO-TOUCH touches by reading
    c.lrange("coldlist", 0, -1)
    assert c.object("idletime", "coldlist") == 0


def test_help_lists_the_modes(kv):
    lines = kv.client().execute_command("CLIENT", "HELP")
    text = "\n".join(x if isinstance(x, str) else x.decode() for x in lines)
    assert "REPLY (ON|OFF|SKIP)" in text
    assert "NO-EVICT (ON|OFF)" in text


def test_reply_off_still_delivers_pushed_messages(kv):
    with kv.raw() as r:
        r.send_command("HELLO", "3")
        r.read_reply_bytes()
        r.send_command("SUBSCRIBE", "ch")
        assert r.read_reply_bytes() == b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        r.send_command("CLIENT", "REPLY", "OFF")
        r.send_command("ECHO", "dropped")
        r.send_command("CLIENT", "REPLY", "ON")
        assert r.read_reply_bytes() == b"+OK\r\n"
        assert kv.client().publish("ch", "hi") == 1
        assert r.read_reply_bytes() == b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        r.send_command("CLIENT", "REPLY", "OFF")
        r.send_command("PING")  # a round trip through the server's loop, whose reply is dropped
        assert kv.client().publish("ch", "while off") == 1
        assert r.read_reply_bytes() == \
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$9\r\nwhile off\r\n"
