"""kv-cli (tools/kv_cli.cc, docs/kv-cli.md) against a real server's native port.

Drives build/kv-cli in its three modes: one-shot (arguments), piped stdin (one command per line)
and interactive through a pseudo-terminal (prompt, libedit line editing, history file). Checks
typed round trips (the value read back natively keeps its type, and RESP sees its canonical
text), namespaces from -u and -n, -a against requirepass, error output and exit codes, literals
that do not parse (nothing is sent), and --help. The binary is the one next to KV_SERVER_BIN
(build/kv-cli), or KV_CLI_BIN.
"""

from __future__ import annotations

import math
import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import KV_BIN, free_port

pytestmark = pytest.mark.kv_only

KV_CLI = os.environ.get("KV_CLI_BIN", str(Path(KV_BIN).parent / "kv-cli"))


def cli(server, *args: str, stdin: str | None = None, port: int | None = None,
        timeout: float = 30) -> subprocess.CompletedProcess:
    assert Path(KV_CLI).is_file(), f"no kv-cli binary at {KV_CLI}"
    argv = [KV_CLI]
    if server is not None:
        argv += ["-p", str(port or server.native_port)]
    argv += list(args)
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=timeout,
                          check=False)


def ok(server, *args: str, **kw) -> str:
    proc = cli(server, *args, **kw)
    assert proc.returncode == 0, f"kv-cli {args}: exit {proc.returncode}, stderr {proc.stderr!r}"
    assert proc.stderr == ""
    return proc.stdout


@pytest.fixture
def nkv(kv_server):
    return kv_server(native_port="auto")


# ---------------------------------------------------------------------------- one-shot
@pytest.mark.parametrize("literal, formatted, raw, resp", [
    ("19.99d", "(decimal) 19.99", "19.99", "19.99"),
    ("42", "(integer) 42", "42", "42"),
    ("-7", "(integer) -7", "-7", "-7"),
    ("1.5", "(float) 1.5", "1.5", "1.5"),
    ("1e3", "(float) 1000.0", "1000.0", "1000"),
    ('"a b\\n"', '"a b\\n"', "a b\n", "a b\n"),
    ("hello", '"hello"', "hello", "hello"),
    ('"42"', '"42"', "42", "42"),
    ('b"\\x00\\xff"', 'b"\\x00\\xff"', "\x00\ufffd", None),
])
def test_typed_round_trip(nkv, literal, formatted, raw, resp):
    assert ok(nkv, "set", "k", literal) == "OK\n"
    # Formatted output shows the native type the server kept.
    assert ok(nkv, "--no-raw", "get", "k") == formatted + "\n"
    # stdout is a pipe here: raw is the default, as in redis-cli.
    proc = subprocess.run([KV_CLI, "-p", str(nkv.native_port), "get", "k"], capture_output=True,
                          timeout=30, check=False)
    assert proc.returncode == 0
    assert proc.stdout.decode(errors="replace") == raw + "\n"
    if resp is not None:
        assert nkv.client().get("k") == resp
    else:
        assert nkv.client(decode_responses=False).get("k") == b"\x00\xff"


def test_user_story_one_shot(nkv):
    assert ok(nkv, "set", "price", "19.99d") == "OK\n"
    assert ok(nkv, "--no-raw", "get", "price") == "(decimal) 19.99\n"
    out = ok(nkv, "--no-raw", "lock", "job:1", "me", "30000")
    assert out.startswith("(integer) ") and int(out.split()[1]) > 0
    assert ok(nkv, "--no-raw", "lock", "job:1", "you", "30000") == "(nil)\n"
    assert ok(nkv, "--no-raw", "unlock", "job:1", "me") == "(integer) 1\n"


def test_user_story_list_value(nkv):
    assert ok(nkv, "set", "tags", '["a", "b", 3]') == "OK\n"
    assert ok(nkv, "--no-raw", "get", "tags") == '1) "a"\n2) "b"\n3) (integer) 3\n'


def test_namespace_from_url_and_n(nkv):
    url = f"kv://127.0.0.1:{nkv.native_port}/my_app"
    assert ok(None, "-u", url, "set", "price", "19.99d") == "OK\n"
    assert ok(None, "-u", url, "--no-raw", "get", "price") == "(decimal) 19.99\n"
    assert ok(None, "-p", str(nkv.native_port), "-n", "my_app", "--no-raw", "get",
              "price") == "(decimal) 19.99\n"
    # Not in the default namespace.
    assert ok(nkv, "--no-raw", "get", "price") == "(nil)\n"
    assert nkv.client().get("price") is None
    # -n overrides the URL's namespace.
    assert ok(None, "-u", url, "-n", "other", "--no-raw", "get", "price") == "(nil)\n"
    r = nkv.client(single_connection_client=True)
    r.execute_command("SELECT", "my_app")
    assert r.get("price") == "19.99"


def test_password(kv_server):
    server = kv_server(native_port="auto", requirepass="s3cret")
    proc = cli(server, "get", "k")
    assert proc.returncode == 1
    assert "NOAUTH" in proc.stderr
    assert ok(server, "-a", "s3cret", "set", "k", "1") == "OK\n"
    assert ok(None, "-u", f"kv://s3cret@127.0.0.1:{server.native_port}", "get", "k") == "1\n"
    proc = cli(server, "-a", "wrong", "get", "k")
    assert proc.returncode == 1
    assert "WRONGPASS" in proc.stderr
    assert proc.stdout == ""


def test_errors_and_exit_codes(nkv):
    proc = cli(nkv, "nosuchcommand", "x")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("ERR unknown command 'nosuchcommand'")  # raw: no "(error)"
    proc = cli(nkv, "--no-raw", "nosuchcommand")
    assert proc.returncode == 1
    assert proc.stderr.startswith("(error) ERR unknown command 'nosuchcommand'")
    ok(nkv, "set", "s", "text")
    proc = cli(nkv, "--no-raw", "incr", "s")
    assert proc.returncode == 1
    assert proc.stderr == "(error) ERR value is not an integer or out of range\n"
    proc = cli(nkv, "--no-raw", "get")
    assert proc.returncode == 1
    assert proc.stderr == "(error) ERR wrong number of arguments for 'get' command\n"

    port = free_port()
    proc = cli(None, "-p", str(port), "ping")
    assert proc.returncode == 1
    assert proc.stderr == f"Could not connect to kv-server at 127.0.0.1:{port}: Connection refused\n"
    proc = cli(None, "-u", "kv://localhost", "ping")
    assert proc.returncode == 2
    assert "invalid URL" in proc.stderr


@pytest.mark.parametrize("literal, message", [
    ('"abc', 'syntax error at column 1: unterminated string (missing closing ")'),
    ("[1, 2", "syntax error at column 1: unterminated list (missing ']')"),
    ('{"a": 1', "syntax error at column 1: unterminated map (missing '}')"),
    ("99999999999999999999", "integer 99999999999999999999 is out of range"),
    ("1.2.3d", "invalid decimal 1.2.3d: not a valid decimal"),  # not stored as a String
])
def test_bad_literal_one_shot_sends_nothing(nkv, literal, message):
    proc = cli(nkv, "--no-raw", "set", "k", literal)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert message in proc.stderr
    assert nkv.client().exists("k") == 0
    # Nothing listens on this port: the error is the literal's, no connection was tried.
    proc = cli(None, "-p", str(free_port()), "set", "k", literal)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Could not connect" not in proc.stderr


def test_help():
    proc = cli(None, "--help")
    assert proc.returncode == 0
    for text in ("-h,--host", "-p,--port", "-a,--pass", "-u,--url", "-n,--namespace", "--raw",
                 "--no-raw", "docs/kv-cli.md"):
        assert text in proc.stdout
    proc = cli(None, "--bogus")
    assert proc.returncode == 2
    assert "unknown option --bogus" in proc.stderr


def test_call_commands(nkv):
    ok(nkv, "set", "a", "1")
    ok(nkv, "set", "b", "2")
    assert sorted(ok(nkv, "keys", "*").split()) == ["a", "b"]
    assert ok(nkv, "--no-raw", "CONFIG", "GET", "maxclients") == '1# "maxclients" => b"10000"\n'
    assert ok(nkv, "--no-raw", "decimal.set", "price", "19.99") == "OK\n"
    assert ok(nkv, "decimal.incrby", "price", "0.01") == "20.00\n"
    assert ok(nkv, "--no-raw", "exists", "a", "b", "c") == "(integer) 2\n"
    assert ok(nkv, "--no-raw", "ping", "hi") == 'b"hi"\n'
    assert ok(nkv, "--no-raw", "ping") == "PONG\n"
    assert "# Server" in ok(nkv, "info")


def test_multi_key_and_ttl_commands(nkv):
    assert ok(nkv, "mset", "a", "1", "b", "2.5d") == "OK\n"
    assert ok(nkv, "--no-raw", "mget", "a", "b", "nope") == \
        "1) (integer) 1\n2) (decimal) 2.5\n3) (nil)\n"
    assert ok(nkv, "--no-raw", "del", "a", "b", "nope") == "(integer) 2\n"
    start = time.monotonic()
    assert ok(nkv, "set", "t", "v", "EX", "100") == "OK\n"
    out = ok(nkv, "--no-raw", "ttl", "t")
    elapsed = time.monotonic() - start
    # TTL rounds to the nearest second: 100 unless the two kv-cli runs took half a second or more
    # (a loaded machine, a sanitizer build); bracketed by the clock read around them.
    m = re.fullmatch(r"\(integer\) (\d+)\n", out)
    assert m, out
    assert 100 - math.ceil(elapsed + 0.5) <= int(m.group(1)) <= 100
    pttl = int(ok(nkv, "pttl", "t"))
    assert 90000 < pttl <= 100000
    assert ok(nkv, "expire", "t", "5") == "1\n"
    assert 0 < int(ok(nkv, "pttl", "t")) <= 5000
    assert ok(nkv, "--no-raw", "ttl", "nope") == "(integer) -2\n"
    assert ok(nkv, "--no-raw", "set", "t", "w", "NX") == "(integer) 0\n"
    assert ok(nkv, "--no-raw", "cas", "t", "v", "w") == "(integer) 1\n"
    assert ok(nkv, "--no-raw", "incrby", "n", "-5") == "(integer) -5\n"


# ---------------------------------------------------------------------------- piped stdin
def test_piped_stdin(nkv):
    script = "\n".join([
        "set price 19.99d",
        "get price",
        'set s "a b"',
        "bogus_cmd",
        "set bad [1, 2",   # a syntax error: reported, the next lines still run
        "GET s",
        "",
        "incr n",
        "quit",
        "incr n",          # after quit: not run
    ]) + "\n"
    proc = cli(nkv, "--no-raw", stdin=script)
    assert proc.returncode == 1  # some line failed
    assert proc.stdout == 'OK\n(decimal) 19.99\nOK\n"a b"\n(integer) 1\n'
    assert "(error) ERR unknown command 'bogus_cmd'" in proc.stderr
    assert "(error) syntax error at column 9: unterminated list (missing ']')" in proc.stderr
    assert nkv.client().get("n") == "1"
    assert nkv.client().exists("bad") == 0

    # Raw (stdout a pipe): errors without the "(error)" prefix, as redis-cli --raw.
    proc = cli(nkv, stdin="set k [1\n")
    assert proc.returncode == 1
    assert proc.stderr == "syntax error at column 7: unterminated list (missing ']')\n"

    proc = cli(nkv, stdin="select my_app\nset k 1\nget k\n")
    assert proc.returncode == 0
    assert proc.stdout == "OK\nOK\n1\n"
    assert nkv.client().exists("k") == 0  # it went to namespace my_app


# ---------------------------------------------------------------------------- interactive
class Pty:
    """kv-cli on a pseudo-terminal (stdin, stdout and stderr), read with timeouts."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: never returns into pytest
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.buf = b""

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def expect(self, text: str, timeout: float = 10.0) -> str:
        """Reads until `text` appears; returns everything up to and including it."""
        want = text.encode()
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} not seen within {timeout}s; got {self.buf!r}"
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the child exited
                    chunk = b""
                assert chunk, f"kv-cli exited before {text!r}; got {self.buf!r}"
                self.buf += chunk
        i = self.buf.index(want) + len(want)
        seen, self.buf = self.buf[:i], self.buf[i:]
        return seen.decode(errors="replace")

    def wait(self, timeout: float = 10.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            try:  # drain, so the child never blocks on a full terminal
                if select.select([self.fd], [], [], 0.05)[0]:
                    self.buf += os.read(self.fd, 4096)
            except OSError:
                pass
        self.kill()
        raise AssertionError(f"kv-cli did not exit; its terminal showed {self.buf[-300:]!r}")

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


@pytest.fixture
def term_env(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "TERM": "xterm", "KV_CLI_HISTFILE": str(tmp_path / "hist")}
    return env


def test_interactive_prompt_editing_and_history(kv_server, term_env, tmp_path):
    server = kv_server(native_port="auto", requirepass="s3cret")
    argv = [KV_CLI, "-p", str(server.native_port)]
    t = Pty(argv, term_env)
    try:
        t.expect("kv> ")
        t.send("set price 19.99d\r")
        t.expect("NOAUTH")
        t.expect("kv> ")
        t.send("auth s3cret\r")
        t.expect("\nOK\r\nkv> ")
        # Line editing: the up arrow recalls the SET (AUTH is not in the history), Enter runs it.
        # libedit redraws the recalled line, then the reply follows on the next line.
        t.send("\x1b[A\r")
        assert "set price 19.99d" in t.expect("\nOK\r\nkv> ")
        t.send("get price\r")
        t.expect("\n(decimal) 19.99\r\nkv> ")  # formatted: stdout is a terminal
        # Editing keys: type, erase two characters, retype.
        t.send("lock job:1 me 30099\x7f\x7f00\r")
        t.expect("\n(integer) ")
        t.expect("kv> ")
        t.send("select my_app\r")
        t.expect("\nOK\r\nkv/my_app> ")
        t.send("set bad [1, 2\r")
        assert "unterminated list" in t.expect("kv/my_app> ")
        t.send("quit\r")
        assert t.wait() == 0
    finally:
        t.kill()
    r = server.client()
    assert r.get("price") == "19.99"
    assert r.ttl("job:1") > 25  # the lock's ttl was 30000 ms (the erased "99" never arrived)
    hist = (tmp_path / "hist").read_text()
    assert "price" in hist and "my_app" in hist
    assert "s3cret" not in hist  # AUTH lines stay out of the history file

    # A new session recalls the previous session's lines from the history file.
    t = Pty(argv + ["-a", "s3cret"], term_env)
    try:
        t.expect("kv> ")
        t.send("\x1b[A\x1b[A\r")  # quit, then the line before it
        assert "set bad [1, 2" in t.expect("unterminated list")
        t.expect("kv> ")
        # Between two prompts the terminal is back in cooked mode, where a Ctrl-D typed ahead
        # is the line discipline's EOF marker, an empty "line" that vanishes when libedit
        # switches to raw mode. A person presses it after the prompt is up; so does the test.
        time.sleep(0.3)
        t.send("\x04")  # Ctrl-D leaves too
        assert t.wait() == 0
    finally:
        t.kill()


def test_interactive_not_connected_prompt(term_env):
    port = free_port()
    t = Pty([KV_CLI, "-p", str(port)], {**term_env, "KV_CLI_HISTFILE": ""})
    try:
        out = t.expect("kv (not connected)> ")
        assert f"Could not connect to kv-server at 127.0.0.1:{port}" in out
        t.send("ping\r")
        assert "Could not connect" in t.expect("kv (not connected)> ")
        t.send("exit\r")
        assert t.wait() == 0
    finally:
        t.kill()
