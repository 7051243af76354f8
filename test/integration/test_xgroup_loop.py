"""bench/xgroup-loop, the consumer-group load generator of scripts/bench-resp.sh's xgroup_loop
test, checks what it claims: a short run against the real binary (and redis-server) consumes
every entry once and leaves nothing pending; a group whose entries went to another consumer, a
server that delivers an entry twice and one whose XACK acknowledges less than it was given all
make it fail. The benchmark's figures are only as good as these checks."""

from __future__ import annotations

import socketserver
import threading
from pathlib import Path

import pytest

from conftest import KV_BIN, HOST
from queue_util import run_bounded

# Built by meson beside the server (bench/meson.build): build/bench/xgroup-loop.
XGROUP_LOOP = Path(KV_BIN).resolve().parent / "bench" / "xgroup-loop"
KEY = "bench:xg"


def run_loop(port: int, *args) -> tuple[int, dict[str, str], str]:
    assert XGROUP_LOOP.exists(), f"{XGROUP_LOOP} not built (bench/meson.build)"
    res = run_bounded([str(XGROUP_LOOP), "-h", HOST, "-p", str(port), *map(str, args)], 60)
    fields = dict(line.split(" ", 1) for line in res.stdout.splitlines() if " " in line)
    return res.returncode, fields, res.stdout + res.stderr


@pytest.mark.parametrize("server_name", ["kv", "redis_ref"])
@pytest.mark.parametrize("count", [1, 7])
def test_every_entry_consumed_once_and_acknowledged(request, server_name, count):
    server = request.getfixturevalue(server_name)
    entries, consumers = 3000, 4
    rc, out, text = run_loop(server.port, "-n", entries, "-c", consumers, "-P", count)
    assert rc == 0, text
    assert out["xgroup-loop:"] == "OK"
    assert int(out["entries"]) == entries and int(out["count"]) == count
    # Each read that got entries is followed by one XACK; each consumer's last read is nil.
    reads_with_entries = (int(out["requests"]) - consumers) // 2
    assert int(out["requests"]) == 2 * reads_with_entries + consumers
    assert -(-entries // count) <= reads_with_entries <= entries
    assert float(out["entries_per_second"]) > 0
    # What the server holds afterwards agrees: the whole stream delivered and acknowledged.
    c = server.client()
    assert c.xlen(KEY) == entries
    last_id = c.xrevrange(KEY, count=1)[0][0]
    (group,) = c.xinfo_groups(KEY)
    assert (group["name"], group["consumers"], group["pending"]) == ("g", consumers, 0)
    assert group["last-delivered-id"] == last_id
    assert c.xpending(KEY, "g")["pending"] == 0


def test_entries_delivered_to_another_consumer_fail_the_run(kv):
    rc, out, text = run_loop(kv.port, "-n", 500, "--fill")
    assert rc == 0 and out["xgroup-loop:"] == "filled 500", text
    stolen = kv.client().xreadgroup("g", "other", {KEY: ">"}, count=5)
    assert len(stolen[0][1]) == 5
    rc, _, text = run_loop(kv.port, "-n", 500, "-c", 3, "--consume")
    assert rc == 1
    assert "FAIL: 495 of 500 jobs delivered (job 1 never was)" in text


class FakeServer(socketserver.ThreadingTCPServer):
    """A RESP server that answers every XREADGROUP with the same entry (job 1) and every XACK
    with `ack_reply`: the duplicate and the short acknowledgement the loop must catch."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ack_reply: bytes):
        self.ack_reply = ack_reply
        super().__init__((HOST, 0), FakeHandler)


class FakeHandler(socketserver.StreamRequestHandler):
    def read_command(self) -> list[bytes]:
        header = self.rfile.readline()
        if not header:
            return []
        assert header.startswith(b"*")
        args = []
        for _ in range(int(header[1:])):
            size = int(self.rfile.readline()[1:])
            args.append(self.rfile.read(size + 2)[:-2])
        return args

    def handle(self):
        entry = [b"type", b"done", b"job", b"1", b"ts", b"1700000000"]
        fields = b"".join(b"$%d\r\n%s\r\n" % (len(f), f) for f in entry)
        # [[KEY, [["1-1", [type done job 1 ts 1700000000]]]]]
        reply = (b"*1\r\n*2\r\n$%d\r\n%s\r\n" % (len(KEY), KEY.encode())
                 + b"*1\r\n*2\r\n$3\r\n1-1\r\n*6\r\n" + fields)
        while args := self.read_command():
            name = args[0].upper()
            if name == b"XREADGROUP":
                self.wfile.write(reply)
            elif name == b"XACK":
                self.wfile.write(self.server.ack_reply)
            else:
                self.wfile.write(b"-ERR unexpected\r\n")


@pytest.mark.parametrize("ack_reply,message", [
    (b":1\r\n", "FAIL: job 1 delivered twice (the second time to c0)"),
    (b":0\r\n", "FAIL: XACK of 1 IDs read by c0 answered 0"),
])
def test_a_server_that_breaks_the_group_contract_fails_the_run(ack_reply, message):
    with FakeServer(ack_reply) as fake:
        threading.Thread(target=fake.serve_forever, daemon=True).start()
        try:
            rc, _, text = run_loop(fake.server_address[1], "-n", 10, "-c", 1, "--consume")
        finally:
            fake.shutdown()
    assert rc == 1, text
    assert message in text
