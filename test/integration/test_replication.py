"""Replication (docs/replication.md): full sync from a snapshot, the write stream, partial
resynchronisation from the backlog, read-only replicas, promotion, WAIT, ROLE and INFO.

Replica data is compared with the primary's through DEBUG DIGEST (per namespace) once the
replica has applied the primary's whole stream (its slave_repl_offset equals the primary's
master_repl_offset)."""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from decimal import Decimal

import pytest
import redis

from conftest import AGAINST_REDIS, free_port, wait_for
from native_client import OK, NativeConn

kv_only = pytest.mark.kv_only
NAMESPACES = ["0", "app"]


def primary_opts(**kw):
    return dict(enable_debug_command="yes", **kw)


def attach(replica, primary):
    assert replica.client().execute_command("REPLICAOF", primary.host, primary.port) == "OK"
    wait_synced(primary, replica)


def attached_pair(kv_server, **replica_opts):
    """A primary and a replica (debug commands on both) attached and in sync."""
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes", **replica_opts)
    attach(replica, primary)
    return primary, replica


def wait_synced(primary, replica, timeout=20.0):
    p, r = primary.client(), replica.client()

    def synced():
        ri = r.info("replication")
        return (ri.get("master_link_status") == "up"
                and ri["slave_repl_offset"] == p.info("replication")["master_repl_offset"])

    wait_for(synced, timeout=timeout, what="the replica to apply the primary's stream")


def digests(server):
    out = {}
    for ns in NAMESPACES:
        c = server.client(single_connection_client=True)
        c.execute_command("SELECT", ns)
        out[ns] = c.execute_command("DEBUG", "DIGEST")
        c.close()
    return out


def write_everything(server, i):
    """One round of writes of every kind; returns the fencing token of the lock it took."""
    r = server.client(single_connection_client=True)
    r.set(f"s{i}", f"v{i}")
    r.set(f"ttl{i}", "x", ex=1000)
    r.incr("counter")
    r.rpush("list", i, i + 1)
    r.lpop("list")
    r.hset(f"h{i % 3}", mapping={"a": i, "b": "x" * (i % 5)})
    r.sadd("set", i, f"m{i}")
    r.srem("set", i - 3)
    r.zadd("zset", {f"z{i}": i * 1.5})
    r.zincrby("zset", 2, "z0")
    r.expire(f"s{i}", 5000)
    token = r.execute_command("LOCK", f"lock{i % 2}", f"owner{i}", 60000)
    r.execute_command("UNLOCK", f"lock{i % 2}", f"owner{i}")
    with r.pipeline(transaction=True) as tx:
        tx.incr("tx:a")
        tx.rpush("tx:l", i)
        tx.hincrby("tx:h", "n", 1)
        tx.execute()
    r.eval("redis.call('incr', KEYS[1]); redis.call('sadd', KEYS[2], ARGV[1]); return 1", 2,
           "script:n", "script:set", i)
    r.execute_command("SELECT", "app")
    r.set(f"app:{i}", i)
    r.rpush("app:list", i)
    r.execute_command("SELECT", "0")
    r.close()
    return token


def write_typed(server):
    c = NativeConn(server.host, server.native_port)
    for key, value in [("t:int", 42), ("t:float", 1.5), ("t:dec", Decimal("19.99")),
                       ("t:str", "héllo"), ("t:list", [1, "x", 2.5])]:
        assert c.set(key, value).status == OK
    c.close()


@kv_only
def test_full_sync_then_stream_every_kind_of_write(kv_server):
    primary = kv_server(**primary_opts(native_port="auto"))
    replica = kv_server(enable_debug_command="yes", native_port="auto")
    for i in range(20):
        write_everything(primary, i)
    write_typed(primary)
    primary.client().function_load(
        "#!lua name=lib\nredis.register_function('f', function(k) "
        "return redis.call('incr', k[1]) end)")
    attach(replica, primary)
    assert digests(replica) == digests(primary)
    # Then the stream: every kind of write again, a function call, typed values.
    tokens = [write_everything(primary, i) for i in range(20, 40)]
    primary.client().fcall("f", 1, "fn:n")
    write_typed(primary)
    wait_synced(primary, replica)
    assert digests(replica) == digests(primary)
    assert replica.client().get("fn:n") == "1"
    # Typed values stay typed on the replica (a native GET answers the same value).
    n = NativeConn(replica.host, replica.native_port)
    assert n.get("t:dec").value == Decimal("19.99")
    assert n.get("t:int").value == 42
    n.close()
    # Fencing tokens keep growing on the replica: a lock taken there after a promotion is newer.
    replica.client().execute_command("REPLICAOF", "NO", "ONE")
    assert replica.client().execute_command("LOCK", "lock0", "new-owner", 1000) > max(tokens)


@kv_only
def test_full_sync_while_the_primary_takes_writes(kv_server):
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes")
    p = primary.client()
    for i in range(2000):
        p.set(f"k{i}", i)
    stop = threading.Event()
    errors = []

    def load():
        r = primary.client()
        i = 0
        try:
            while not stop.is_set():
                r.incr("hot")
                r.rpush("log", i)
                r.hset("h", f"f{i % 50}", i)
                i += 1
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=load)
    t.start()
    try:
        replica.client().execute_command("REPLICAOF", primary.host, primary.port)
        wait_for(lambda: replica.client().info("replication")["master_link_status"] == "up",
                 what="the link")
        wait_for(lambda: replica.client().llen("log") > 200, what="streamed writes")
    finally:
        stop.set()
        t.join()
    assert not errors
    wait_synced(primary, replica)
    assert digests(replica) == digests(primary)
    assert primary.client().info("stats")["sync_full"] == 1


def kill_link(replica):
    """Closes the replica's link to its primary from the replica's side (CLIENT KILL TYPE
    master), as a network cut would: it connects again at once."""
    assert replica.client().execute_command("CLIENT", "KILL", "TYPE", "master") == 1


class Detached:
    """The replica stopped (SIGSTOP) and its link closed by the primary: writes made inside
    the block happen while the replica is away; it reconnects once it runs again."""

    def __init__(self, primary, replica):
        self.primary, self.replica = primary, replica

    def __enter__(self):
        os.kill(self.replica.pid, signal.SIGSTOP)
        assert self.primary.client().execute_command("CLIENT", "KILL", "TYPE", "replica") == 1

    def __exit__(self, *exc):
        os.kill(self.replica.pid, signal.SIGCONT)


@kv_only
def test_partial_resync_after_a_short_disconnect(kv_server):
    primary, replica = attached_pair(kv_server)
    p = primary.client()
    write_everything(primary, 1)
    wait_synced(primary, replica)
    with Detached(primary, replica):
        for i in range(2, 6):  # the replica gets these from the backlog
            write_everything(primary, i)
    wait_synced(primary, replica)
    kill_link(replica)  # a cut seen from the replica's side: the same
    write_everything(primary, 7)
    wait_synced(primary, replica)
    stats = p.info("stats")
    assert stats["sync_partial_ok"] == 2
    assert stats["sync_full"] == 1
    assert digests(replica) == digests(primary)


@kv_only
def test_full_resync_when_the_backlog_no_longer_covers_the_replica(kv_server):
    primary = kv_server(**primary_opts(repl_backlog_size="16kb"))
    replica = kv_server(enable_debug_command="yes")
    attach(replica, primary)
    p = primary.client()
    with Detached(primary, replica):
        for i in range(200):  # 40 KB: more than the backlog holds
            p.set(f"big{i}", "x" * 200)
    wait_synced(primary, replica)
    stats = p.info("stats")
    assert stats["sync_full"] == 2, stats
    assert stats["sync_partial_ok"] == 0
    assert digests(replica) == digests(primary)
    info = p.info("replication")
    assert info["repl_backlog_active"] == 1
    assert info["repl_backlog_histlen"] == 16384
    assert info["repl_backlog_first_byte_offset"] == info["master_repl_offset"] - 16384 + 1
    # A bigger backlog keeps what it held and fills up to its new size.
    p.config_set("repl-backlog-size", "32kb")
    for i in range(200):
        p.set(f"more{i}", "y" * 200)
    info = p.info("replication")
    assert (info["repl_backlog_size"], info["repl_backlog_histlen"]) == (32768, 32768)
    wait_synced(primary, replica)
    assert digests(replica) == digests(primary)


class TruncatingPrimary:
    """A fake primary that answers the handshake, promises a snapshot and closes the
    connection half-way through it: what a replica sees when its primary dies mid-sync."""

    def __init__(self, announced=100000):
        self.announced = announced
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.attempts = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.attempts += 1
            with conn:
                conn.settimeout(5)
                # The replica sends one command and waits for its answer.
                while True:
                    data = conn.recv(4096)
                    if not data:
                        break
                    if b"PSYNC" in data:
                        conn.sendall(b"+FULLRESYNC " + b"a" * 40 + b" 100\r\n$%d\r\nKVSNAP01"
                                     % self.announced)
                        break
                    conn.sendall(b"+PONG\r\n" if b"PING" in data else b"+OK\r\n")

    def close(self):
        self._stop = True
        self.thread.join()
        self.sock.close()


@kv_only
@pytest.mark.parametrize("announced", [100000, 2**62], ids=["100kb", "absurd-length"])
def test_primary_dying_during_a_full_sync_leaves_the_replica_data_and_it_retries(
        kv_server, announced):
    replica = kv_server(enable_debug_command="yes")
    r = replica.client()
    r.set("mine", "kept")
    fake = TruncatingPrimary(announced)
    try:
        assert r.execute_command("REPLICAOF", "127.0.0.1", fake.port) == "OK"
        wait_for(lambda: fake.attempts >= 2, what="the replica to retry")
        assert r.get("mine") == "kept"
        info = r.info("replication")
        assert info["role"] == "slave"
        assert info["master_link_status"] == "down"
        assert r.execute_command("ROLE")[0] == "slave"
    finally:
        r.execute_command("REPLICAOF", "NO", "ONE")
        fake.close()


@kv_only
def test_primary_killed_the_replica_serves_its_data_and_follows_it_back(kv_server):
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes")
    primary.client().set("k", "v1")
    attach(replica, primary)
    primary.kill9()
    r = replica.client()
    wait_for(lambda: r.info("replication")["master_link_status"] == "down", what="link down")
    assert r.get("k") == "v1"
    assert r.info("replication")["master_link_down_since_seconds"] >= 0
    primary.restart()  # same port: the replica connects again (a new history: full sync)
    primary.client().set("k", "v2")
    wait_synced(primary, replica)
    assert r.get("k") == "v2"


def health(port: int) -> tuple[int, str]:
    """GET /health of the metrics endpoint on `port` (docs/operations.md)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as resp:
            return resp.status, resp.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode().strip()


@kv_only
def test_read_only_replica_refuses_client_writes_with_redis_error(kv_server):
    primary = kv_server(**primary_opts())
    mport = free_port()
    replica = kv_server(enable_debug_command="yes", metrics_port=mport)
    assert health(mport) == (200, "ready")
    attach(replica, primary)
    # GET /health: a read-only replica serves reads, so it stays ready for Kubernetes.
    assert health(mport) == (200, "read-only")
    r = replica.client()
    err = "You can't write against a read only replica."
    with pytest.raises(redis.exceptions.ReadOnlyError, match=err):
        r.set("k", "v")
    raw = replica.raw()
    raw.send_command("SET", "k", "v")
    assert raw.read_reply_bytes() == b"-READONLY You can't write against a read only replica.\r\n"
    raw.send_command("MULTI")
    assert raw.read_reply_bytes() == b"+OK\r\n"
    raw.send_command("INCR", "n")
    assert raw.read_reply_bytes() == b"-READONLY You can't write against a read only replica.\r\n"
    raw.send_command("EXEC")
    assert raw.read_reply_bytes().startswith(b"-EXECABORT")
    with pytest.raises(redis.exceptions.ResponseError, match="read only replica"):
        r.eval("return redis.call('set', 'k', 'v')", 0)
    assert r.get("k") is None  # reads work
    r.config_set("replica-read-only", "no")
    assert health(mport) == (200, "ready")
    assert r.set("local", "1")  # a writable replica's writes stay local
    assert r.info("replication")["slave_read_only"] == 0


@kv_only
def test_replicaof_no_one_promotes_and_keeps_the_history(kv_server):
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes")
    primary.client().set("k", "v")
    attach(replica, primary)
    r = replica.client()
    old = r.info("replication")
    assert r.execute_command("REPLICAOF", "NO", "ONE") == "OK"
    info = r.info("replication")
    assert info["role"] == "master"
    assert info["master_replid2"] == old["master_replid"]
    assert info["second_repl_offset"] == old["master_repl_offset"] + 1
    assert info["master_replid"] != old["master_replid"]
    assert r.set("k", "new")
    assert r.get("k") == "new"
    assert primary.client().get("k") == "v"
    assert r.execute_command("REPLICAOF", "NO", "ONE") == "OK"


@kv_only
def test_wait_counts_the_replicas_that_acknowledged(kv_server):
    primary, replica = attached_pair(kv_server)
    p = primary.client(single_connection_client=True)
    p.set("k", "v")
    assert p.execute_command("WAIT", 1, 0) == 1
    # More replicas than there are: answers at the timeout with those that acked.
    assert p.execute_command("WAIT", 2, 200) == 1
    with pytest.raises(redis.exceptions.ResponseError, match="WAIT cannot be used with replica"):
        replica.client().execute_command("WAIT", 1, 0)


@kv_only
def test_wait_runs_again_at_an_acknowledgement_not_by_polling(kv_server):
    """A blocked WAIT is run again when a replica's acknowledgement moves its offset, and at its
    deadline: a handful of runs (INFO commandstats counts each), where polling every few
    milliseconds would make dozens."""
    primary, replica = attached_pair(kv_server)
    p = primary.client(single_connection_client=True)
    p.set("k", "v")
    assert p.execute_command("WAIT", 1, 0) == 1
    p.config_resetstat()
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        p.set("k", "w")
        assert p.execute_command("WAIT", 1, 400) == 0  # the stopped replica cannot ack
        assert p.info("commandstats")["cmdstat_wait"]["calls"] <= 3
        results = []

        def write_and_wait():
            c = primary.client(single_connection_client=True)
            c.set("other", "1")
            results.append(c.execute_command("WAIT", 1, 0))  # no timeout

        waiter = threading.Thread(target=write_and_wait)
        waiter.start()
        time.sleep(0.4)
        assert results == []
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    waiter.join(10)
    assert results == [1]
    assert p.info("commandstats")["cmdstat_wait"]["calls"] <= 8
    assert p.execute_command("WAIT", 1, 5000) == 1


class FakeReplica:
    """A replica played on a socket: syncs in full (skipping the snapshot), then reads the stream
    as commands, each with the offset just after it, and acknowledges what the test says."""

    def __init__(self, primary):
        self.sock = socket.create_connection((primary.host, primary.port), timeout=10)
        self.buf = b""
        if primary.password:
            self._send("AUTH", primary.password)
            assert self._line() == b"+OK"
        self._send("REPLCONF", "listening-port", "1")
        assert self._line() == b"+OK"
        self._send("PSYNC", "?", "-1")
        reply = self._line()
        while reply == b"":  # Redis sends newlines while it prepares the snapshot
            reply = self._line()
        assert reply.startswith(b"+FULLRESYNC"), reply
        self.offset = int(reply.split()[2])
        header = self._line()
        while header == b"":
            header = self._line()
        assert header.startswith(b"$"), header
        self._take(int(header[1:]))
        self.commands: list[tuple[list[bytes], int]] = []

    def _send(self, *args):
        out = f"*{len(args)}\r\n".encode()
        for a in args:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def _fill(self):
        data = self.sock.recv(65536)
        assert data, "the primary closed the link"
        self.buf += data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_until(self, predicate, settle: float = 0.3, timeout: float = 20.0) -> None:
        """Reads whole commands of the stream until predicate(commands) holds, then `settle`
        seconds more (what else arrives)."""
        deadline = time.monotonic() + timeout
        settled_at = None
        self.sock.settimeout(0.05)
        while settled_at is None or time.monotonic() < settled_at:
            assert time.monotonic() < deadline, f"stream so far: {self.commands}"
            try:
                self._fill()
            except socket.timeout:
                pass
            while (parsed := self._parse()) is not None:
                argv, used = parsed
                self.buf = self.buf[used:]
                self.offset += used
                self.commands.append((argv, self.offset))
            if settled_at is None and predicate(self.commands):
                settled_at = time.monotonic() + settle
        self.sock.settimeout(10)

    def getacks(self) -> list[int]:
        return [off for argv, off in self.commands if argv[:2] == [b"REPLCONF", b"GETACK"]]

    def _parse(self):
        b = self.buf
        if not b.startswith(b"*") or b"\r\n" not in b:
            return None
        end = b.index(b"\r\n")
        pos, argv = end + 2, []
        for _ in range(int(b[1:end])):
            end = b.find(b"\r\n", pos)
            if end < 0:
                return None
            n = int(b[pos + 1:end])
            if len(b) < end + 2 + n + 2:
                return None
            argv.append(b[end + 2:end + 2 + n])
            pos = end + 2 + n + 2
        return argv, pos

    def after(self, name: bytes, key: bytes) -> int:
        """The offset just after the stream's write of `name key`."""
        return next(off for argv, off in self.commands
                    if argv[0].upper() == name and argv[1:2] == [key])

    def ack(self, offset: int) -> None:
        self._send("REPLCONF", "ACK", offset)


def test_wait_returns_when_the_acknowledgement_reaches_its_write_not_before(kv_server):
    """Two clients write, then WAIT 1 with no timeout. The replica acknowledges an offset after
    the first write only: that WAIT answers 1, the other keeps waiting until the replica
    acknowledges its write too."""
    primary = kv_server(**primary_opts())
    fake = FakeReplica(primary)
    a = primary.raw()
    b = primary.raw()
    assert a.call("SET", "wa", "1") == b"OK"
    assert b.call("SET", "wb", "2") == b"OK"
    a.send_command("WAIT", 1, 0)
    b.send_command("WAIT", 1, 0)
    fake.read_until(lambda cmds: sum(argv[0] == b"SET" for argv, _ in cmds) == 2, settle=0)
    after_a, after_b = fake.after(b"SET", b"wa"), fake.after(b"SET", b"wb")
    assert after_a < after_b
    fake.ack(after_a)
    assert a.read_reply() == 1
    assert b.read(timeout=0.3) == b""  # still blocked
    fake.ack(fake.offset)
    assert b.read_reply() == 1


@kv_only
def test_waits_of_many_clients_share_one_getack(kv_server):
    """WAITs of clients whose writes are all before one GETACK in the stream do not each add
    another: the replica answers one request (Redis sends one per event-loop turn)."""
    primary = kv_server(**primary_opts())
    fake = FakeReplica(primary)
    conns = [primary.raw() for _ in range(5)]
    for i, c in enumerate(conns):
        assert c.call("SET", f"k{i}", "v") == b"OK"
    for c in conns:
        c.send_command("WAIT", 1, 0)
    fake.read_until(lambda _: fake.getacks())
    getacks = fake.getacks()
    assert len(getacks) == 1, fake.commands
    fake.ack(getacks[0])
    assert [c.read_reply() for c in conns] == [1] * 5
    # A write after that request needs a new one.
    assert conns[0].call("SET", "later", "v") == b"OK"
    conns[0].send_command("WAIT", 1, 0)
    fake.read_until(lambda _: len(fake.getacks()) >= 2)
    getacks = fake.getacks()
    assert len(getacks) == 2 and getacks[1] > fake.after(b"SET", b"later")
    fake.ack(getacks[1])
    assert conns[0].read_reply() == 1


@kv_only
def test_role_and_info_replication_fields(kv_server):
    primary, replica = attached_pair(kv_server)
    p, r = primary.client(), replica.client()
    role = p.execute_command("ROLE")
    assert role[0] == "master" and role[1] > 0
    assert role[2] == [["127.0.0.1", str(replica.port), role[2][0][2]]]
    rrole = r.execute_command("ROLE")
    assert rrole[:4] == ["slave", "127.0.0.1", primary.port, "connected"]
    pi = p.info("replication")
    assert pi["connected_slaves"] == 1
    assert pi["slave0"]["port"] == replica.port and pi["slave0"]["state"] == "online"
    ri = r.info("replication")
    for field in ["master_host", "master_port", "master_link_status",
                  "master_last_io_seconds_ago", "master_sync_in_progress",
                  "slave_read_repl_offset", "slave_repl_offset", "slave_priority",
                  "slave_read_only", "replica_announced", "master_replid", "master_replid2",
                  "master_repl_offset", "second_repl_offset", "repl_backlog_active"]:
        assert field in ri, field
    assert ri["master_replid"] == pi["master_replid"]
    flags = [c["flags"] for c in p.client_list() if c["flags"] != "N"]
    assert "S" in flags
    assert r.execute_command("REPLICAOF", "127.0.0.1", primary.port) == \
        "OK Already connected to specified master"


@kv_only
def test_masterauth_authenticates_the_replica(kv_server):
    primary = kv_server(requirepass="secret", enable_debug_command="yes")
    replica = kv_server(enable_debug_command="yes", masterauth="secret")
    primary.client().set("k", "v")
    attach(replica, primary)
    assert replica.client().get("k") == "v"


@kv_only
def test_without_masterauth_the_link_stays_down(kv_server):
    primary = kv_server(requirepass="secret")
    replica = kv_server()
    r = replica.client()
    r.execute_command("REPLICAOF", primary.host, primary.port)
    wait_for(lambda: "NOAUTH" in replica.stderr_text(), what="the refused PING in the log")
    assert r.info("replication")["master_link_status"] == "down"


@kv_only
def test_a_replica_discards_its_own_log_on_full_sync(kv_server, kv_persist):
    primary = kv_server(**primary_opts())
    replica = kv_persist(enable_debug_command="yes")
    r = replica.client()
    r.set("old", "gone after the sync")
    primary.client().set("k", "v")
    attach(replica, primary)
    assert r.get("old") is None
    primary.client().set("after", "1")
    wait_synced(primary, replica)
    replica.stop()
    replica.restart()
    r = replica.client()
    assert r.get("old") is None
    assert r.get("k") == "v" and r.get("after") == "1"


def test_standalone_role_info_wait_and_replconf(kv):
    r = kv.client()
    role = r.execute_command("ROLE")
    assert role[0] == "master" and role[2] == []
    assert r.info("replication")["role"] == "master"
    assert r.info("replication")["connected_slaves"] == 0
    assert r.execute_command("WAIT", 0, 0) == 0
    assert r.execute_command("WAIT", 1, 10) == 0
    with pytest.raises(redis.exceptions.ResponseError, match="timeout is negative"):
        r.execute_command("WAIT", 1, -1)
    with pytest.raises(redis.exceptions.ResponseError,
                       match="timeout is not an integer or out of range"):
        r.execute_command("WAIT", 1, "x")
    with pytest.raises(redis.exceptions.ResponseError,
                       match="value is not an integer or out of range"):
        r.execute_command("WAIT", "x", 0)
    with pytest.raises(redis.exceptions.ResponseError, match="wrong number of arguments"):
        r.execute_command("WAIT", 1)
    assert r.execute_command("REPLCONF", "listening-port", 1234) == "OK"
    with pytest.raises(redis.exceptions.ResponseError, match="Unrecognized REPLCONF option"):
        r.execute_command("REPLCONF", "nosuch", 1)
    with pytest.raises(redis.exceptions.ResponseError, match="^syntax error$"):
        r.execute_command("REPLCONF", "listening-port")
    assert r.execute_command("REPLCONF") == "OK"
    with pytest.raises(redis.exceptions.ResponseError, match="wrong number of arguments"):
        r.execute_command("REPLICAOF", "host")
    for port in ["x", "99999", "-1"]:
        with pytest.raises(redis.exceptions.ResponseError, match="^Invalid master port$"):
            r.execute_command("REPLICAOF", "host", port)
    with pytest.raises(redis.exceptions.ResponseError, match="wrong number of arguments"):
        r.execute_command("ROLE", "x")
    assert r.execute_command("REPLICAOF", "NO", "ONE") == "OK"


@kv_only
def test_stream_waits_for_a_busy_script_on_the_replica_instead_of_being_refused(kv_server):
    primary, replica = attached_pair(kv_server, busy_reply_threshold=50)
    probe = replica.client(single_connection_client=True)
    # The cron's active expiry waits on loop 0 for the namespace the script holds, and loop 0
    # accepts every new connection: with several I/O threads nobody could connect to kill the
    # script. Active expiry off, and the probe connected before the script starts.
    probe.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    runner = replica.client()
    done = []
    t = threading.Thread(target=lambda: done.append(
        pytest.raises(redis.exceptions.ResponseError, runner.eval, "while true do end", 0)))
    t.start()

    def busy():
        # PING locks nothing: it answers PONG until the script is past its threshold (a key
        # read before then would wait for the script's locks on its own loop).
        try:
            probe.ping()
        except redis.exceptions.ResponseError as e:
            return "BUSY" in str(e)
        return False

    wait_for(busy, what="the replica's script to be busy")
    primary.client().set("during", "the script")
    primary.client().rpush("l", 1, 2)
    assert probe.execute_command("SCRIPT", "KILL") == "OK"
    t.join()
    wait_synced(primary, replica)
    assert replica.client().get("during") == "the script"
    assert digests(replica) == digests(primary)


@kv_only
def test_the_stream_ignores_the_replicas_maxmemory(kv_server):
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes", maxmemory=1, maxmemory_policy="allkeys-lru")
    primary.client().set("before", "1")
    attach(replica, primary)
    for i in range(50):
        primary.client().set(f"k{i}", "v" * 100)
    wait_synced(primary, replica)
    assert digests(replica) == digests(primary)  # nothing refused, nothing evicted
    assert replica.client().info("stats")["evicted_keys"] == 0


def test_sentinel_style_reconfiguration_inside_multi_and_sync_refused_there(kv_server):
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes")
    primary.client().set("k", "v")
    raw = replica.raw()
    for cmd in [("MULTI",), ("REPLICAOF", primary.host, str(primary.port)),
                ("CLIENT", "KILL", "TYPE", "normal"), ("EXEC",)]:
        raw.send_command(*cmd)
    assert raw.read_reply_bytes() == b"+OK\r\n"
    assert raw.read_reply_bytes() == b"+QUEUED\r\n"
    assert raw.read_reply_bytes() == b"+QUEUED\r\n"
    assert raw.read_reply_bytes().startswith(b"*2\r\n+OK\r\n:")
    wait_synced(primary, replica)
    assert replica.client().get("k") == "v"
    p = primary.raw()
    for cmd in [("MULTI",), ("PSYNC", "?", "-1"), ("EXEC",)]:
        p.send_command(*cmd)
    # Refused when queued (no_multi), which dooms the transaction, as in Redis.
    assert p.read_reply_bytes() == b"+OK\r\n"
    assert p.read_reply_bytes() == b"-ERR Command not allowed inside a transaction\r\n"
    assert p.read_reply_bytes() == (
        b"-EXECABORT Transaction discarded because of previous errors.\r\n")


@kv_only
def test_idle_client_timeout_spares_the_replication_link(kv_server):
    primary = kv_server(**primary_opts(timeout=1))
    replica = kv_server(enable_debug_command="yes", timeout=1)
    attach(replica, primary)
    # Idle since after the last stream byte the replica received: when the replica closes it,
    # its link to the primary has been idle at least as long.
    idle = replica.raw()
    idle.send_command("PING")
    assert idle.read_reply_bytes() == b"+PONG\r\n"
    wait_for(idle.is_closed, what="an idle normal client to be closed")
    assert replica.client().info("replication")["master_link_status"] == "up"
    stats = primary.client().info("stats")
    assert (stats["sync_full"], stats["sync_partial_ok"]) == (1, 0)  # never cut
    primary.client().set("k", "v")
    wait_synced(primary, replica)


# Redis 7.0 flags kv-server has no counterpart for (it has no async loading, and REPLCONF needs
# no busy exemption: it is answered before scripts matter).
UNMODELLED_FLAGS = {"no_async_loading", "allow_busy"}


@pytest.mark.parametrize("name", ["replicaof", "slaveof", "role", "replconf", "psync", "sync",
                                  "wait"])
def test_command_info_matches_redis(kv, redis_ref, name):
    def info(server):
        with server.raw() as r:
            (entry,) = r.call("COMMAND", "INFO", name)
            return entry

    def flags(entry):
        return sorted(f for f in entry[2] if f.decode() not in UNMODELLED_FLAGS)

    ours, theirs = info(kv), info(redis_ref)
    assert ours[1] == theirs[1]
    assert flags(ours) == flags(theirs)
    assert ours[3:6] == theirs[3:6]
    assert sorted(ours[6]) == sorted(theirs[6])


@kv_only
def test_a_full_sync_invalidates_what_tracking_clients_of_the_replica_read(kv_server):
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes")
    primary.client().set("k", "new")
    replica.client().set("k", "old")
    t = replica.raw()
    t.send_command("HELLO", "3")
    t.read_reply_bytes()
    t.send_command("CLIENT", "TRACKING", "ON")
    assert t.read_reply_bytes() == b"+OK\r\n"
    t.send_command("GET", "k")
    assert t.read_reply_bytes() == b"$3\r\nold\r\n"
    attach(replica, primary)
    # The whole dataset was replaced: one flush message (a null key list), as DEBUG RELOAD's.
    assert t.read_reply_bytes(timeout=10) == b">2\r\n$10\r\ninvalidate\r\n_\r\n"
    t.send_command("GET", "k")
    assert t.read_reply_bytes() == b"$3\r\nnew\r\n"


@kv_only
def test_replica_killed_during_a_full_sync_restarts_with_old_or_new_data_whole(
        kv_server, kv_persist):
    primary = kv_server(**primary_opts())
    p = primary.client()
    with p.pipeline(transaction=False) as pipe:
        for i in range(100000):
            pipe.set(f"key:{i}", i)
        pipe.execute()
    # appendfsync always: the old writes are on disk before the sync starts (under batch a
    # kill -9 right after them may cost the last few milliseconds of them).
    replica = kv_persist(enable_debug_command="yes", appendfsync="always")
    r = replica.client()
    for i in range(10):
        r.set(f"old:{i}", i)
    r.execute_command("REPLICAOF", primary.host, primary.port)
    wait_for(lambda: r.info("replication")["master_sync_in_progress"] == 1
             or r.info("replication")["master_link_status"] == "up", what="the sync to start")
    replica.kill9()
    replica.restart()
    r = replica.client()
    # Its own log holds the old data, or the snapshot of the new one with nothing left over.
    assert r.dbsize() in (10, 100000)
    assert (r.exists("old:0"), r.exists("key:0")) in ((1, 0), (0, 1))
    attach(replica, primary)
    assert r.dbsize() == 100000


@kv_only
def test_replicas_carry_streams_and_consumer_groups(kv_server):
    """Issue 14: streams and groups arrive whole, by the full sync and by the stream of
    effects (XADD's generated IDs, XREADGROUP's deliveries as XCLAIMs, XACK)."""
    primary = kv_server(**primary_opts())
    replica = kv_server(enable_debug_command="yes")
    p = primary.client()
    for i in range(150):
        p.xadd("s", {"n": str(i)})
    p.xgroup_create("s", "g", id="0")
    p.xreadgroup("g", "c1", {"s": ">"}, count=40)
    attach(replica, primary)  # the full sync carries what is there
    got = p.xreadgroup("g", "c2", {"s": ">"}, count=30)  # the stream carries the rest
    p.xack("s", "g", *[i for i, _ in got[0][1][:10]])
    p.xadd("s", {"late": "1"}, maxlen=120, approximate=False)
    p.xgroup_create("s", "g2", id="$", mkstream=True)
    wait_synced(primary, replica)
    r = replica.client()
    assert r.xrange("s") == p.xrange("s")
    def pending(c):  # idle times move while we read: the delivery facts only
        return [(e["message_id"], e["consumer"], e["times_delivered"])
                for e in c.xpending_range("s", "g", "-", "+", 100)]

    assert pending(r) == pending(p) and len(pending(p)) == 60
    for field in ("last-generated-id", "entries-added", "max-deleted-entry-id", "length"):
        assert r.xinfo_stream("s")[field] == p.xinfo_stream("s")[field]
    assert [(g["name"], g["last-delivered-id"], g["pending"], g["entries-read"])
            for g in r.xinfo_groups("s")] == \
        [(g["name"], g["last-delivered-id"], g["pending"], g["entries-read"])
         for g in p.xinfo_groups("s")]


def select_client(server, ns):
    c = server.client(single_connection_client=True)
    c.execute_command("SELECT", ns)
    return c


@kv_only
def test_a_restarted_replica_continues_from_its_offset(kv_server, kv_persist):
    """A clean shutdown keeps the replica's history, offset and stream namespace in its final
    snapshot: started again (replicaof in its configuration) it continues with PSYNC from the
    backlog. After a crash with log records past that snapshot it syncs in full instead."""
    primary = kv_server(**primary_opts())
    replica = kv_persist(enable_debug_command="yes", replicaof=f"{primary.host} {primary.port}")
    p = primary.client()
    for i in range(3):
        write_everything(primary, i)  # its last writes are in namespace "app"
    wait_synced(primary, replica)
    replica.stop()
    # While it is away: writes in "app" first (the stream selects no namespace for them: the
    # replica must know it was in "app"), then in 0, then in "app" again.
    app = select_client(primary, "app")
    app.set("away:1", "a")
    p.incr("counter")
    app.rpush("app:list", "away")
    replica.restart()
    wait_synced(primary, replica)
    stats = p.info("stats")
    assert (stats["sync_full"], stats["sync_partial_ok"]) == (1, 1), stats
    assert digests(replica) == digests(primary)
    assert select_client(replica, "app").get("away:1") == "a"

    # The stream goes on into the replica's log; a kill -9 leaves records after the snapshot
    # that holds the mark, so the mark no longer says where the data stands: a full sync.
    app.set("after:restart", "b")
    write_everything(primary, 10)
    wait_synced(primary, replica)

    def logged():  # the records are in the file (a kill -9 keeps what was written)
        p = replica.client().info("persistence")
        return p["wal_written_lsn"] == p["wal_last_lsn"]

    wait_for(logged, what="the replica's WAL to be written")
    replica.kill9()
    replica.restart()
    wait_synced(primary, replica)
    stats = p.info("stats")
    assert (stats["sync_full"], stats["sync_partial_ok"]) == (2, 1), stats
    assert digests(replica) == digests(primary)


@kv_only
def test_a_replica_restarted_as_a_primary_keeps_a_history_of_its_own(kv_server, kv_persist):
    primary = kv_server(**primary_opts())
    replica = kv_persist(enable_debug_command="yes")
    primary.client().set("k", "v")
    attach(replica, primary)
    old = replica.client().info("replication")
    replica.stop()
    replica.restart()  # REPLICAOF was a command, not configuration: it starts as a primary
    info = replica.client().info("replication")
    assert info["role"] == "master"
    assert info["master_replid"] != old["master_replid"]
    assert replica.client().get("k") == "v"


@kv_only
def test_replicas_attached_detached_and_reattached_under_write_load(kv_server):
    primary = kv_server(**primary_opts())
    r1 = kv_server(enable_debug_command="yes")
    r2 = kv_server(enable_debug_command="yes")
    p = primary.client()
    for i in range(3000):
        p.set(f"base{i}", i)
    stop = threading.Event()
    errors = []
    written = [0]

    def load():
        c = primary.client(single_connection_client=True)
        i = 0
        try:
            while not stop.is_set():
                c.incr("hot")
                c.rpush("log", i)
                c.hset("h", f"f{i % 64}", i)
                c.set(f"ttl{i % 100}", i, ex=600)
                c.execute_command("SELECT", "app")
                c.zadd("z", {f"m{i % 50}": i})
                c.execute_command("SELECT", "0")
                i += 1
                written[0] = i
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def progress(replica, more=200):
        # The writer went on by `more` rounds and the replica applied them.
        target = written[0] + more
        wait_for(lambda: written[0] >= target, timeout=30, what="the writer to go on")
        wait_for(lambda: replica.client().llen("log") >= target, timeout=30,
                 what="the replica to apply the stream")

    t = threading.Thread(target=load)
    t.start()
    try:
        for r in (r1, r2):  # attached under load: full syncs while the writes go on
            assert r.client().execute_command("REPLICAOF", primary.host, primary.port) == "OK"
            progress(r)
        # r1 leaves (promoted: its data stays, it takes no more of the stream).
        assert r1.client().execute_command("REPLICAOF", "NO", "ONE") == "OK"
        wait_for(lambda: p.info("replication")["connected_slaves"] == 1,
                 what="the primary to drop r1's link")
        left_at = r1.client().llen("log")
        # r2 goes away too (stopped, its link cut) while the writes go on, and comes back: it
        # continues from the backlog.
        with Detached(primary, r2):
            target = written[0] + 300
            wait_for(lambda: written[0] >= target, timeout=30, what="writes while r2 is away")
        progress(r2)
        assert r1.client().llen("log") == left_at
        # r1 comes back: a new history of its own since its promotion, so a full sync.
        assert r1.client().execute_command("REPLICAOF", primary.host, primary.port) == "OK"
        progress(r1)
    finally:
        stop.set()
        t.join()
    assert not errors
    for r in (r1, r2):
        wait_synced(primary, r)
        assert digests(r) == digests(primary)
    stats = p.info("stats")
    assert stats["sync_full"] == 3  # r1, r2, r1 again
    assert stats["sync_partial_ok"] == 1  # r2's return


@kv_only
def test_primary_killed_during_a_full_sync_and_restarted(kv_server, kv_persist):
    """kill -9 of a real primary (and its snapshot child) while a replica syncs: the replica
    keeps its own data or the primary's whole, and once the primary is back (its data from its
    own directory) the replica syncs again and equals it."""
    primary = kv_persist(enable_debug_command="yes")
    p = primary.client()
    with p.pipeline(transaction=False) as pipe:
        for i in range(200000):
            pipe.set(f"key:{i}", i)
        pipe.execute()
    assert p.save()  # on disk whole before the kill
    before = digests(primary)
    replica = kv_server(enable_debug_command="yes")
    r = replica.client()
    for i in range(10):
        r.set(f"old:{i}", i)
    r.execute_command("REPLICAOF", primary.host, primary.port)
    wait_for(lambda: r.info("replication")["master_sync_in_progress"] == 1
             or r.info("replication")["master_link_status"] == "up", what="the sync to start")
    primary.kill9(children=True)
    wait_for(lambda: r.info("replication")["master_link_status"] == "down"
             and r.info("replication")["master_sync_in_progress"] == 0,
             what="the replica to see the primary gone")
    assert r.dbsize() in (10, 200000)
    assert (r.exists("old:0"), r.exists("key:0")) in ((1, 0), (0, 1))
    primary.restart()
    assert digests(primary) == before
    primary.client().set("after", "restart")
    wait_synced(primary, replica, timeout=60)
    assert digests(replica) == digests(primary)
    assert r.dbsize() == 200001


@kv_only
def test_replication_traffic_is_counted_apart_from_clients(kv_server):
    primary, replica = attached_pair(kv_server)
    p, r = primary.client(), replica.client()

    def figures():
        ps, rs = p.info("stats"), r.info("stats")
        return (p.info("replication")["master_repl_offset"],
                ps["total_net_repl_output_bytes"], rs["total_net_repl_input_bytes"],
                rs["total_net_input_bytes"])

    def settled():
        # Two reads in a row that agree: no stream byte (a PING every 10 s) in flight between
        # the reads of the offset and of the counters.
        while True:
            a, b = figures(), figures()
            if a[:3] == b[:3]:
                return b

    offset0, out0, in0, client_in0 = settled()
    for i in range(200):
        p.set(f"k{i}", "v" * 1000)  # about 200 KB of stream
    wait_synced(primary, replica)
    seen = []

    def counted():
        seen.append(settled())
        offset1, out1, in1, _ = seen[-1]
        # Every stream byte went to the one replica and was read by it, nothing else was
        # counted there (the replica acknowledges; the primary answers nothing on the link).
        return out1 - out0 == offset1 - offset0 and in1 - in0 == offset1 - offset0

    wait_for(counted, what="the stream bytes counted on both sides")
    offset1, _, _, client_in1 = seen[-1]
    stream = offset1 - offset0
    assert stream > 200 * 1000
    # The replica's client traffic (these INFO calls) is not the stream.
    assert client_in1 - client_in0 < stream // 10
    for info in (p.info("stats"), r.info("stats")):
        assert info["instantaneous_input_repl_kbps"] >= 0
        assert info["instantaneous_output_repl_kbps"] >= 0


class HoldingProxy:
    """Between a replica and its primary: forwards both ways, but holds the primary's bytes
    twice during a full sync, each time until the test releases them: just before the
    snapshot's "$<length>" header, and after a third of the snapshot's bytes. So the replica's
    transfer figures can be read at two known points, whatever the machine's speed."""

    def __init__(self, primary_port):
        self.primary_port = primary_port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.length = None
        self.held_at = None
        self.at_header, self.release_header = threading.Event(), threading.Event()
        self.at_third, self.release_rest = threading.Event(), threading.Event()
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                replica, _ = self.sock.accept()
            except OSError:
                return
            primary = socket.create_connection(("127.0.0.1", self.primary_port))
            self.conns += [replica, primary]
            threading.Thread(target=self._pump, args=(replica, primary), daemon=True).start()
            threading.Thread(target=self._pump_snapshot, args=(primary, replica),
                             daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass

    def _pump_snapshot(self, src, dst):
        buf, state, sent = b"", "lines", 0
        try:
            while data := src.recv(65536):
                if state == "done":
                    dst.sendall(data)
                    continue
                buf += data
                while state == "lines" and buf:
                    if buf.startswith(b"\n"):  # the primary's keepalive while it snapshots
                        dst.sendall(b"\n")
                        buf = buf[1:]
                        continue
                    line, sep, rest = buf.partition(b"\r\n")
                    if not sep:
                        break
                    if line.startswith(b"$"):
                        self.length = int(line[1:])
                        self.held_at = self.length // 3
                        self.at_header.set()
                        self.release_header.wait()
                        state = "payload"
                    dst.sendall(line + sep)
                    buf = rest
                if state == "payload":
                    take = min(len(buf), self.held_at - sent)
                    dst.sendall(buf[:take])
                    sent += take
                    buf = buf[take:]
                    if sent == self.held_at:
                        self.at_third.set()
                        self.release_rest.wait()
                        dst.sendall(buf)
                        buf, state = b"", "done"
        except OSError:
            pass

    def close(self):
        self.release_header.set()
        self.release_rest.set()
        self.sock.close()
        for c in self.conns:
            c.close()


SYNC_FIELDS = ("master_sync_total_bytes", "master_sync_read_bytes", "master_sync_left_bytes",
               "master_sync_perc", "master_sync_last_io_seconds_ago")


def sync_gauges(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    return {name: float(value) for name, _, value in
            (line.partition(" ") for line in text.splitlines())
            if name.startswith("kv_replication_master_sync")}


def test_full_sync_progress_fields_while_the_snapshot_arrives(kv_server):
    """Redis 7's master_sync_* fields: printed only while master_sync_in_progress:1, the size
    -1 until the primary's header names it, then read + left = total and the percentage."""
    primary = kv_server(**primary_opts())
    p = primary.client()
    if AGAINST_REDIS:  # a size-announcing transfer, as kv-server's primaries always send
        p.config_set("repl-diskless-sync", "no")
    with p.pipeline(transaction=False) as pipe:
        for i in range(20000):
            pipe.set(f"key:{i}", "v" * 20)
        pipe.execute()
    mport = None if AGAINST_REDIS else free_port()
    replica = kv_server() if AGAINST_REDIS else kv_server(metrics_port=mport)
    r = replica.client()
    proxy = HoldingProxy(primary.port)
    try:
        assert r.execute_command("REPLICAOF", "127.0.0.1", proxy.port) == "OK"
        assert proxy.at_header.wait(30), "no snapshot header from the primary"
        info = wait_for(lambda: (i := r.info("replication"))["master_sync_in_progress"] == 1
                        and i, what="the replica to start its full sync")
        assert info["master_sync_total_bytes"] == -1
        assert info["master_sync_read_bytes"] == 0
        assert info["master_sync_left_bytes"] == -1
        assert info["master_sync_perc"] == 0  # printed "-0.00", as Redis's arithmetic gives
        assert info["master_sync_last_io_seconds_ago"] >= 0
        text = replica.cli("INFO", "replication")
        assert "master_sync_perc:-0.00\r\n" in text or "master_sync_perc:-0.00\n" in text
        # Redis's order: after slave_repl_offset, before master_link_down_since_seconds.
        assert (text.index("slave_repl_offset:") < text.index("master_sync_total_bytes:")
                < text.index("master_sync_last_io_seconds_ago:")
                < text.index("master_link_down_since_seconds:"))

        proxy.release_header.set()
        assert proxy.at_third.wait(30)
        total, held = proxy.length, proxy.held_at
        info = wait_for(lambda: (i := r.info("replication"))["master_sync_read_bytes"] == held
                        and i, what="the replica to read the first third of the snapshot")
        assert info["master_sync_in_progress"] == 1
        assert info["master_sync_total_bytes"] == total
        assert info["master_sync_left_bytes"] == total - held
        assert 0 < held < total
        assert info["master_sync_perc"] == round(held / total * 100, 2)
        assert 0 <= info["master_sync_perc"] <= 100
        assert info["master_sync_last_io_seconds_ago"] >= 0
        if mport:  # the same figures on /metrics
            m = sync_gauges(mport)
            assert m["kv_replication_master_sync_in_progress"] == 1
            assert m["kv_replication_master_sync_total_bytes"] == total
            assert m["kv_replication_master_sync_read_bytes"] == held
            assert m["kv_replication_master_sync_last_io_age_seconds"] >= 0

        proxy.release_rest.set()
        wait_for(lambda: r.info("replication")["master_link_status"] == "up",
                 timeout=30, what="the replica to finish its full sync")
        info = r.info("replication")
        assert info["master_sync_in_progress"] == 0
        assert not any(f in info for f in SYNC_FIELDS)
        assert r.dbsize() == 20000
        if mport:
            m = sync_gauges(mport)
            assert m["kv_replication_master_sync_in_progress"] == 0
            assert "kv_replication_master_sync_total_bytes" not in m
    finally:
        r.execute_command("REPLICAOF", "NO", "ONE")
        proxy.close()
