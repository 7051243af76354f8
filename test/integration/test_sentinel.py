"""Fail-over by Debian's redis-sentinel (docs/replication.md#sentinel): three sentinels watch a
kv-server primary with two kv-server replicas; a client that keeps writing through redis-py's
Sentinel support acknowledges a write only once `WAIT 1` says a replica has it. The primary is
killed with SIGKILL; the sentinels promote a replica, reconfigure the other one, and the client
follows the new primary. Afterwards no acknowledged write is missing, both remaining servers
hold the same data, ROLE, INFO, the sentinels and the rewritten config files agree on the new
topology, fencing tokens taken after the fail-over are larger than every earlier one, and the
old primary, restarted from its config file, is made a replica of the new primary. Once without
passwords and once with requirepass, masterauth and Sentinel's auth-pass.

With KV_TEST_AGAINST_REDIS=1 the same test runs against redis-server (without the LOCK part),
which shows the test itself holds for the reference."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis
from redis.sentinel import Sentinel

from conftest import HOST, _die_with_parent, free_port, wait_for

SENTINEL_BIN = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
SERVICE = "kvmain"
DOWN_AFTER_MS = 1000
# How long the sentinels may take for one step. A sentinel whose timer was held up for over 2 s
# (a stalled machine) enters TILT mode and acts on nothing for 30 s; a fail-over takes a few
# seconds, a conversion of a returning primary 8 s of waiting plus Redis's 5 s diskless-sync
# delay. Two TILT periods on top of that.
STEP_TIMEOUT = 90

pytestmark = pytest.mark.skipif(
    not os.path.exists(SENTINEL_BIN),
    reason="redis-sentinel is not installed (Debian package redis-sentinel; scripts/deps.sh "
           "installs it)")


class Sentinels:
    """Three redis-sentinel processes with their config and log files in `workdir`."""

    def __init__(self, workdir: Path, primary_port: int, password: str | None,
                 count: int = 3):
        self.procs: list[subprocess.Popen] = []
        self.ports: list[int] = []
        self.workdir = workdir
        for i in range(count):
            port = free_port()
            conf = workdir / f"sentinel{i}.conf"
            conf.write_text(
                f"port {port}\n"
                f"bind {HOST}\n"
                "daemonize no\n"
                "loglevel verbose\n"
                f"logfile {workdir / f'sentinel{i}.log'}\n"
                f"dir {workdir}\n"
                f"sentinel monitor {SERVICE} {HOST} {primary_port} 2\n"
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
                + (f"sentinel auth-pass {SERVICE} {password}\n" if password else ""))
            self.procs.append(subprocess.Popen(
                [SENTINEL_BIN, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent))
            self.ports.append(port)

    def client(self, i: int) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.ports[i], decode_responses=True,
                           socket_timeout=5)

    def each(self, command: str, *args):
        return [self.client(i).execute_command("SENTINEL", command, *args)
                for i in range(len(self.ports))]

    def logs(self) -> str:
        out = []
        for i in range(len(self.ports)):
            try:
                text = (self.workdir / f"sentinel{i}.log").read_text(errors="replace")
            except OSError:
                text = ""
            out.append(f"--- sentinel{i}\n" + "\n".join(text.splitlines()[-60:]))
        return "\n".join(out)

    def state(self, servers) -> str:
        """One line on what the sentinels and the servers say, for a failure message."""
        out = []
        for i in range(len(self.ports)):
            try:
                info = self.client(i).info("sentinel")
                addr = self.client(i).execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                                      SERVICE)
                out.append(f"sentinel{i}: tilt={info.get('sentinel_tilt')} primary={addr[1]}")
            except redis.RedisError as e:
                out.append(f"sentinel{i}: {e!r}")
        for s in servers:
            try:
                ri = s.client().info("replication")
                out.append(f"{s.port}: {ri.get('role')} of {ri.get('master_port')} link "
                           f"{ri.get('master_link_status')} offset "
                           f"{ri.get('slave_repl_offset', ri.get('master_repl_offset'))}")
            except redis.RedisError as e:
                out.append(f"{s.port}: {e!r}")
        return "; ".join(out)

    def wait_for(self, predicate, servers, timeout: float = STEP_TIMEOUT, **kw):
        """conftest's wait_for, with what the sentinels and `servers` say when it times out."""
        try:
            return wait_for(predicate, timeout=timeout, **kw)
        except AssertionError as e:
            raise AssertionError(f"{e} ({self.state(servers)})") from None

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


def fields(reply) -> dict:
    """A SENTINEL REPLICAS / SENTINELS entry (a flat list) as a dict."""
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[0::2], reply[1::2]))


def synced(primary, replica) -> bool:
    # Sentinel's reconfiguration ends with CLIENT KILL TYPE normal: a connection of ours may be
    # among the ones it closes.
    try:
        ri = replica.client().info("replication")
        return (ri.get("master_link_status") == "up" and ri.get("master_port") == primary.port
                and ri["slave_repl_offset"] == primary.client().info("replication")[
                    "master_repl_offset"])
    except redis.ConnectionError:
        return False


class Writer(threading.Thread):
    """SET k_i i then WAIT 1; i is acknowledged only when WAIT counts a replica. Connection
    errors (the primary is gone, the pool asks the sentinels again) are retried."""

    def __init__(self, sentinel_ports: list[int], password: str | None):
        super().__init__(daemon=True)
        sentinel = Sentinel([(HOST, p) for p in sentinel_ports], socket_timeout=2.0)
        self.master = sentinel.master_for(SERVICE, socket_timeout=3.0, decode_responses=True,
                                          password=password)
        self.acked: list[int] = []
        self.unacked = 0
        self.errors = 0
        self.addresses: list[tuple] = []  # each primary the writes reached, in order
        self.stop_flag = threading.Event()
        self.failure: BaseException | None = None
        self.last_error = ""

    def run(self) -> None:
        i = 0
        try:
            while not self.stop_flag.is_set():
                i += 1
                try:
                    self.master.set(f"k_{i}", i)
                    n = self.master.execute_command("WAIT", 1, 1000)
                except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError) as e:
                    self.errors += 1
                    self.last_error = repr(e)
                    time.sleep(0.05)
                    continue
                if n >= 1:
                    self.acked.append(i)
                    addr = self.master.connection_pool.master_address
                    if not self.addresses or self.addresses[-1] != addr:
                        self.addresses.append(addr)
                else:
                    self.unacked += 1
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.failure = e


# With passwords: requirepass and masterauth on every server, auth-pass for the sentinels and
# the client.
@pytest.mark.parametrize("password", [None, "s3cret"], ids=["open", "password"])
def test_sentinel_fails_over_and_no_acknowledged_write_is_lost(kv_persist, tmp_path, password):
    confs = {}

    def start(name: str):
        confs[name] = tmp_path / f"{name}.conf"
        # masterauth in the file, so the old primary has it when it comes back as a replica.
        confs[name].write_text(f"# {name}\n" + (f"masterauth {password}\n" if password else ""))
        opts = {"requirepass": password} if password else {}
        return kv_persist(config=str(confs[name]), enable_debug_command="yes", appendonly="no",
                          **opts)

    primary = start("primary")
    replicas = [start("replica1"), start("replica2")]
    for r in replicas:
        assert r.client().execute_command("REPLICAOF", primary.host, primary.port) == "OK"
    for r in replicas:
        wait_for(lambda: synced(primary, r), timeout=20, what="the replicas to sync")
    servers = [primary, *replicas]
    by_port = {s.port: s for s in servers}

    # Fencing tokens issued by the first primary, replicated before they count.
    tokens_before = []
    if not primary.is_redis:
        p = primary.client()
        for j in range(5):
            tokens_before.append(p.execute_command("LOCK", f"lock:{j}", "owner-a", 60000))
        assert p.execute_command("WAIT", 2, 5000) == 2

    sentinels = Sentinels(tmp_path, primary.port, password)
    writer = None
    try:
        # Each sentinel knows both replicas (from INFO) and the two other sentinels (from the
        # hello messages on the monitored servers).
        def discovered():
            for i in range(3):
                reps = [fields(x) for x in
                        sentinels.client(i).execute_command("SENTINEL", "REPLICAS", SERVICE)]
                others = sentinels.client(i).execute_command("SENTINEL", "SENTINELS", SERVICE)
                if len(others) != 2 or sorted(int(x["port"]) for x in reps) != sorted(
                        r.port for r in replicas):
                    return False
                if any(x["master-link-status"] != "ok" for x in reps):
                    return False
            return True

        sentinels.wait_for(discovered, servers, interval=0.2,
                           what="the sentinels to discover the replicas and each other")
        assert {tuple(a) for a in sentinels.each("GET-MASTER-ADDR-BY-NAME", SERVICE)} == {
            (HOST, str(primary.port))}

        writer = Writer(sentinels.ports, password)
        writer.start()
        wait_for(lambda: len(writer.acked) >= 200, timeout=30,
                 what="acknowledged writes on the first primary")
        acked_before_kill = len(writer.acked)
        old_port = primary.port
        primary.kill9()

        def agreed_primary():
            """The port every sentinel gives for the primary, None while they disagree."""
            addrs = {tuple(a) for a in sentinels.each("GET-MASTER-ADDR-BY-NAME", SERVICE)}
            return int(next(iter(addrs))[1]) if len(addrs) == 1 else None

        sentinels.wait_for(lambda: agreed_primary() not in (None, old_port), replicas,
                           interval=0.2, what="the sentinels to promote a replica")

        # The writer follows the new primary and keeps being acknowledged there (which needs
        # the other replica to follow it too). On a loaded machine the sentinels may fail over
        # once more (the new primary slow to answer their first PINGs): the checks below are
        # about the primary they agree on in the end.
        sentinels.wait_for(lambda: writer.addresses and writer.addresses[-1][1] ==
                           agreed_primary() and len(writer.acked) >= acked_before_kill + 200,
                           replicas, what="acknowledged writes on the new primary")
        writer.stop_flag.set()
        writer.join(15)
        assert not writer.is_alive()
        assert writer.failure is None, repr(writer.failure)
        new_port = agreed_primary()
        assert new_port in (replicas[0].port, replicas[1].port)
        new_primary = by_port[new_port]
        other = next(r for r in replicas if r is not new_primary)

        np = new_primary.client()
        sentinels.wait_for(lambda: synced(new_primary, other), replicas,
                           what="the other replica to follow the new primary")
        # Not one acknowledged write is lost.
        acked = writer.acked
        values = []
        for start_i in range(0, len(acked), 1000):
            chunk = acked[start_i:start_i + 1000]
            values += np.mget([f"k_{i}" for i in chunk])
        lost = [i for i, v in zip(acked, values) if v != str(i)]
        print(f"writes acknowledged: {len(acked)} ({acked_before_kill} before the kill), "
              f"not acknowledged: {writer.unacked}, failed: {writer.errors}, primaries: "
              f"{writer.addresses}")
        assert lost == [], f"{len(lost)} of {len(acked)} acknowledged writes lost"
        assert np.execute_command("WAIT", 1, 5000) == 1
        assert np.execute_command("DEBUG", "DIGEST") == other.client().execute_command(
            "DEBUG", "DIGEST")

        # ROLE and INFO of both servers, and every sentinel, tell the same topology.
        role = np.execute_command("ROLE")
        assert role[0] == "master"
        assert [(h, int(p)) for h, p, _ in role[2]] == [(HOST, other.port)]
        info = np.info("replication")
        assert info["role"] == "master" and info["connected_slaves"] == 1
        assert info["slave0"]["port"] == other.port and info["slave0"]["state"] == "online"
        orole = other.client().execute_command("ROLE")
        assert orole[:4] == ["slave", HOST, new_port, "connected"]
        oinfo = other.client().info("replication")
        assert (oinfo["role"], oinfo["master_port"], oinfo["master_link_status"]) == (
            "slave", new_port, "up")
        assert {tuple(a) for a in sentinels.each("GET-MASTER-ADDR-BY-NAME", SERVICE)} == {
            (HOST, str(new_port))}
        sentinels.wait_for(lambda: all(
            any(int(fields(x)["port"]) == other.port and "s_down" not in fields(x)["flags"]
                for x in reps) for reps in sentinels.each("REPLICAS", SERVICE)),
            replicas, what="every sentinel to list the other replica under the new primary")

        # The reconfiguration was persisted by CONFIG REWRITE (inside Sentinel's MULTI).
        assert not any(l.startswith("replicaof") for l in
                       confs[f"replica{replicas.index(new_primary) + 1}"].read_text().splitlines())
        assert f"replicaof {HOST} {new_port}" in confs[
            f"replica{replicas.index(other) + 1}"].read_text().splitlines()

        # Fencing tokens never go backwards across the fail-over.
        if tokens_before:
            for j, token in enumerate(tokens_before):
                assert np.get(f"lock:{j}") == f"{token}:owner-a"
            after = [np.execute_command("LOCK", f"lock:new{j}", "owner-b", 60000)
                     for j in range(5)]
            assert min(after) > max(tokens_before)
            assert after == sorted(after)

        # The old primary comes back from its file (still saying primary): the sentinels make
        # it a replica of the new primary, persisted in its file, with the new primary's data.
        primary.restart()
        assert primary.port == old_port, "the old primary's port was taken meanwhile"
        sentinels.wait_for(lambda: synced(new_primary, primary), servers, interval=0.2,
                           what="the sentinels to turn the old primary into a replica of the "
                                "new one")
        assert f"replicaof {HOST} {new_port}" in confs["primary"].read_text().splitlines()
        assert primary.client().execute_command("DEBUG", "DIGEST") == np.execute_command(
            "DEBUG", "DIGEST")
    except BaseException:
        print(sentinels.logs())
        if writer is not None:
            print(f"writer: {len(writer.acked)} acknowledged, {writer.unacked} not, "
                  f"{writer.errors} failed (last: {writer.last_error}), primaries "
                  f"{writer.addresses}")
        raise
    finally:
        if writer is not None:
            writer.stop_flag.set()
            writer.join(15)
        sentinels.stop()
