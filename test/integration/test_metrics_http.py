"""The HTTP endpoint (--metrics-port): GET /metrics in Prometheus text format, parsed with
python3-prometheus-client's parser, and GET /health for Kubernetes probes (docs/operations.md).

Requests go through curl, as an operator's would. Every figure checked moves with what the test
did (N SETs add N), or equals what INFO reports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import HOST, Server, free_port, wait_for
from persist_util import powerloss_env

pytestmark = pytest.mark.kv_only


def curl(port: int, path: str, *args: str, host: str = HOST) -> tuple[int, str]:
    """(status, body) of one request; status 0 when nothing answered."""
    res = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10", *args,
         f"http://{host}:{port}{path}"],
        capture_output=True, text=True, timeout=20)
    body, _, status = res.stdout.rpartition("\n")
    return int(status or 0), body


def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    status, text = curl(port, "/metrics")
    assert status == 200, (status, text)
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def value(samples, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def metrics_server(kv_server, **options) -> Server:
    port = free_port()
    s = kv_server(metrics_port=port, **options)
    s.metrics_port = port
    return s


def info(client, section: str) -> dict:
    return client.info(section)


def test_commands_errors_and_families_move_with_what_clients_run(kv_server):
    s = metrics_server(kv_server)
    c = s.client()
    c.set("warm", "1")  # the command's first call allocates its counters
    before = scrape(s.metrics_port)
    n = 37
    for i in range(n):
        c.set(f"k{i}", i)
    c.set("str", "x")
    with pytest.raises(Exception):
        c.execute_command("INCR", "str")  # ERR value is not an integer
    with pytest.raises(Exception):
        c.lpush("str", "a")  # WRONGTYPE
    with pytest.raises(Exception):
        c.execute_command("GET")  # refused: arity
    after = scrape(s.metrics_port)

    def delta(name, **labels):
        return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert delta("kv_commands_total", command="set", family="string") == n + 1
    assert delta("kv_commands_total", command="incr", family="string") == 1
    assert delta("kv_command_failed_calls_total", command="incr", family="string") == 1
    assert delta("kv_command_failed_calls_total", command="lpush", family="list") == 1
    assert delta("kv_command_rejected_calls_total", command="get", family="string") == 1
    assert delta("kv_errors_total", code="ERR") == 2  # INCR's and the arity error
    assert delta("kv_errors_total", code="WRONGTYPE") == 1
    assert delta("kv_commands_processed_total") >= n + 3
    # The same figures INFO commandstats reports.
    stats = info(c, "commandstats")
    assert stats["cmdstat_set"]["calls"] == value(after, "kv_commands_total", command="set",
                                                  family="string")


def test_subcommands_are_series_of_their_own_named_as_in_commandstats(kv_server):
    s = metrics_server(kv_server)
    c = s.client()
    for _ in range(3):
        c.execute_command("CONFIG", "GET", "maxmemory")
    c.execute_command("CLIENT", "ID")
    with pytest.raises(Exception):
        c.execute_command("CONFIG")  # the container alone: refused for its arity
    with pytest.raises(Exception):
        c.execute_command("CONFIG", "NOSUCH")  # unknown: counted nowhere
    m = scrape(s.metrics_port)
    assert value(m, "kv_commands_total", command="config|get", family="server") == 3
    assert value(m, "kv_commands_total", command="client|id", family="connection") == 1
    assert value(m, "kv_command_rejected_calls_total", command="config", family="server") == 1
    assert value(m, "kv_commands_total", command="config", family="server") == 0
    assert value(m, "kv_command_duration_seconds_count", command="config|get",
                 family="server") == 3
    assert not [k for k in m if dict(k[1]).get("command", "").startswith("config|nosuch")]
    stats = info(c, "commandstats")
    assert stats["cmdstat_config|get"]["calls"] == 3


def test_latency_histograms_are_cumulative_and_count_every_call(kv_server):
    s = metrics_server(kv_server)
    c = s.client()
    for i in range(25):
        c.get(f"k{i}")
    m = scrape(s.metrics_port)
    labels = {"command": "get", "family": "string"}
    buckets = sorted(
        ((float(dict(lbl)["le"]), v) for (name, lbl), v in m.items()
         if name == "kv_command_duration_seconds_bucket" and dict(lbl).get("command") == "get"))
    assert len(buckets) == 23 and buckets[-1][0] == float("inf")
    counts = [v for _, v in buckets]
    assert counts == sorted(counts)
    assert counts[-1] == 25
    assert value(m, "kv_command_duration_seconds_count", **labels) == 25
    assert value(m, "kv_command_duration_seconds_sum", **labels) > 0


def test_keys_and_expiring_keys_per_namespace(kv_server):
    s = metrics_server(kv_server)
    c = s.client()
    c.set("a", 1)
    c.set("b", 2)
    c.set("t1", 1, ex=100)
    c.set("t2", 1, px=100000)
    other = s.client(db=5)
    other.set("x", 1)
    other.set("y", 1)
    other.set("z", 1, ex=100)

    def sampled():
        m = scrape(s.metrics_port)
        got = (value(m, "kv_keys", namespace="0"), value(m, "kv_keys_expiring", namespace="0"),
               value(m, "kv_keys", namespace="5"), value(m, "kv_keys_expiring", namespace="5"))
        return got if got == (4, 2, 3, 1) else None

    # The cron samples key counts about once a second.
    wait_for(sampled, timeout=10, what="key counts per namespace")
    c.delete("a", "t1")
    wait_for(lambda: value(scrape(s.metrics_port), "kv_keys", namespace="0") == 2, timeout=10,
             what="the count to drop")


def test_memory_clients_and_engine_counters_match_info(kv_server):
    s = metrics_server(kv_server, maxmemory="2mb", maxmemory_policy="allkeys-random")
    c = s.client()
    c.set("gone", "x", px=1)
    time.sleep(0.01)
    assert c.get("gone") is None  # expired on access
    for i in range(3000):
        c.set(f"big{i}", "v" * 1000)  # past maxmemory: evictions
    m = scrape(s.metrics_port)
    stats = info(c, "stats")
    assert value(m, "kv_expired_keys_total") == stats["expired_keys"] >= 1
    assert value(m, "kv_evicted_keys_total") == stats["evicted_keys"] > 0
    assert value(m, "kv_keyspace_misses_total") == stats["keyspace_misses"] >= 1
    assert value(m, "kv_memory_max_bytes") == 2 * 1024 * 1024
    used = value(m, "kv_memory_used_bytes")
    assert 0 < used < 4 * 1024 * 1024, used
    assert value(m, "kv_memory_rss_bytes") > used
    assert value(m, "kv_uptime_seconds") >= 0

    clients_before = value(m, "kv_connected_clients")
    extra = [s.raw() for _ in range(3)]
    for e in extra:
        assert e.call("PING") == b"PONG"
    m = scrape(s.metrics_port)
    assert value(m, "kv_connected_clients") == clients_before + 3
    for e in extra:
        e.close()
    wait_for(lambda: value(scrape(s.metrics_port), "kv_connected_clients") == clients_before,
             timeout=10, what="closed clients to leave the count")


def test_wal_and_snapshot_figures(kv_persist):
    s = kv_persist(appendfsync="always", metrics_port=free_port())
    port = int(s.options["metrics-port"])
    c = s.client()
    before = scrape(port)
    for i in range(20):
        c.set(f"k{i}", i)
    after = scrape(port)
    assert value(after, "kv_wal_records_written_total") - \
        value(before, "kv_wal_records_written_total") == 20
    assert value(after, "kv_wal_bytes_written_total") > value(before, "kv_wal_bytes_written_total")
    # appendfsync always: each acknowledged write was fsynced (group commit may share one).
    assert value(after, "kv_wal_fsyncs_total") > value(before, "kv_wal_fsyncs_total")
    assert value(after, "kv_wal_last_fsync_age_seconds") >= 0
    assert value(after, "kv_wal_failed") == 0
    assert value(after, "kv_wal_durable_lsn") == value(after, "kv_wal_last_lsn")

    saved_at = int(time.time())
    saves = value(after, "kv_snapshots_total")
    assert c.save()
    m = scrape(port)
    assert value(m, "kv_snapshots_total") == saves + 1
    assert value(m, "kv_snapshot_last_save_timestamp_seconds") >= saved_at
    assert value(m, "kv_snapshot_last_status_ok") == 1
    assert value(m, "kv_snapshot_in_progress") == 0
    assert value(m, "kv_changes_since_last_snapshot") == 0
    assert value(m, "kv_loading") == 0


def test_health_ready_and_the_http_surface(kv_server):
    s = metrics_server(kv_server)
    port = s.metrics_port
    assert curl(port, "/health") == (200, "ready\n")
    assert curl(port, "/health/live") == (200, "alive\n")
    status, body = curl(port, "/health", "-I")  # HEAD: headers only
    assert status == 200 and "Content-Length: 6" in body and "ready" not in body.split("\r\n\r\n")[0]
    assert curl(port, "/metrics", "-X", "POST", "-d", "x=1")[0] == 405
    assert curl(port, "/health", "-X", "DELETE")[0] == 405
    assert curl(port, "/nope")[0] == 404
    assert curl(port, "/")[0] == 404
    assert curl(port, "/metrics/../health")[0] in (200, 404)  # never a file of the disk
    assert s.client().config_get("metrics-port") == {"metrics-port": str(port)}


def test_health_reports_loading_until_the_data_is_in(kv_persist):
    s = kv_persist(metrics_port=free_port())
    port = int(s.options["metrics-port"])
    c = s.client()
    c.set("k", "v")
    c.close()
    s.stop()
    # The manifest becomes a FIFO: loading blocks on it until the test writes it, so the server
    # stays in its loading state for as long as the test needs, without any timing.
    manifest = s.data_dir / "kv.manifest"
    text = manifest.read_bytes()
    manifest.unlink()
    os.mkfifo(manifest)
    s._popen(free_port())
    wait_for(lambda: curl(port, "/health")[0] != 0, timeout=10, what="the endpoint")
    assert curl(port, "/health") == (503, "loading\n")
    assert curl(port, "/health/live") == (200, "alive\n")
    assert value(scrape(port), "kv_loading") == 1
    with open(manifest, "wb") as f:  # blocks until the loader opens it
        f.write(text)
    wait_for(lambda: curl(port, "/health")[0] == 200, timeout=10, what="ready")
    assert curl(port, "/health") == (200, "ready\n")
    assert s.client().get("k") == "v"
    manifest.unlink()  # the FIFO: the stop writes a new manifest


def test_health_failed_while_the_wal_cannot_write(kv_persist, tmp_path):
    trigger = tmp_path / "disk-full"
    s = kv_persist(start=False, appendfsync="batch", metrics_port=free_port())
    s.env = powerloss_env(s.data_dir, tmp_path / "powerloss.log", trigger)
    s.start()
    port = int(s.options["metrics-port"])
    conn = s.raw()
    assert conn.call("SET", "a", "1") == b"OK"
    assert curl(port, "/health") == (200, "ready\n")
    trigger.touch()

    def failed():
        conn.call("SET", "b", "2")
        status, body = curl(port, "/health")
        return (status, body) if status == 500 else None

    status, body = wait_for(failed, timeout=10, what="/health to report the failure")
    assert body.startswith("failed: the WAL cannot write:") and "No space left" in body, body
    assert value(scrape(port), "kv_wal_failed") == 1
    trigger.unlink()
    wait_for(lambda: curl(port, "/health")[0] == 200, timeout=15, what="recovery")
    assert value(scrape(port), "kv_wal_failed") == 0


def listening_ports(pid: int) -> set[int]:
    """TCP ports process `pid` listens on (from /proc: its socket inodes in LISTEN state)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[3] == "0A" and parts[9] in inodes:  # 0A: LISTEN
                    ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def test_port_zero_disables_the_endpoint(kv_server):
    off = kv_server(metrics_port=0)
    assert listening_ports(off.pid) == {off.port}
    on = metrics_server(kv_server)
    assert listening_ports(on.pid) == {on.port, on.metrics_port}


def test_a_taken_port_costs_the_endpoint_not_the_server(kv_server):
    with socket.socket() as holder:
        holder.bind((HOST, 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        s = kv_server(metrics_port=taken, log_level="info")
        assert s.client().ping()
        assert "metrics endpoint: cannot listen on" in s.stderr_text()
        assert listening_ports(s.pid) == {s.port}


def raw_http(port: int, data: bytes) -> bytes:
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except (ConnectionResetError, socket.timeout):
            pass
        return out


def test_bad_requests_do_not_disturb_the_server(kv_server):
    s = metrics_server(kv_server)
    port = s.metrics_port
    c = s.client()
    c.set("k", "v")
    # Garbage, a header past the request size bound, a request line without a version, a
    # truncated request, connections that close at once: each gets an error or a close.
    assert raw_http(port, b"\x00\xff\xfe garbage\r\n\r\n")[9:12] in (b"", b"400")
    assert raw_http(port, b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 20000 +
                    b"\r\n\r\n")[9:12] in (b"", b"413", b"400")
    assert b"200" not in raw_http(port, b"GET /metrics\r\n\r\n")[:12]
    with socket.create_connection((HOST, port)) as sock:
        sock.sendall(b"GET /metr")
    for _ in range(50):
        socket.create_connection((HOST, port)).close()
    assert raw_http(port, b"GET /health HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 200 OK")
    assert curl(port, "/health") == (200, "ready\n")
    assert c.get("k") == "v"
    assert scrape(port)  # and the fixture checks the exit code at the stop


def test_protected_mode_serves_only_loopback_without_a_password(kv_server, remote_address):
    addr = remote_address
    s = metrics_server(kv_server, bind="0.0.0.0")
    status, body = curl(s.metrics_port, "/metrics", host=addr)
    assert status == 403 and "protected mode" in body
    assert curl(s.metrics_port, "/health")[0] == 200  # loopback
    s.client().config_set("requirepass", "pw")
    assert curl(s.metrics_port, "/health", host=addr) == (200, "ready\n")


def test_replication_figures_on_the_primary_and_the_replica(kv_server):
    primary = metrics_server(kv_server)
    replica = metrics_server(kv_server)
    p, r = primary.client(), replica.client()
    m = scrape(primary.metrics_port)
    assert value(m, "kv_replication_role", role="master") == 1
    assert value(m, "kv_replication_role", role="replica") == 0
    assert value(m, "kv_replication_connected_replicas") == 0
    assert value(m, "kv_replication_backlog_size_bytes") == 0  # none until a replica attaches
    assert value(m, "kv_replication_master_link_up") is None  # replica-side figures: replicas

    for i in range(100):
        p.set(f"k{i}", "v" * 50)
    assert r.execute_command("REPLICAOF", primary.host, primary.port) == "OK"

    labels = dict(ip="127.0.0.1", port=str(replica.port))
    seen = []

    def acked():
        # Streaming, and the replica acknowledged every byte produced (it acks once a second).
        m = scrape(primary.metrics_port)
        seen.append(m)
        return (value(m, "kv_replication_replica_online", **labels) == 1
                and value(m, "kv_replication_replica_lag_bytes", **labels) == 0)

    before = p.info("replication")["master_repl_offset"]
    wait_for(acked, timeout=20, what="the replica to acknowledge the whole stream")
    after = p.info("replication")["master_repl_offset"]
    m = seen[-1]
    offset = value(m, "kv_replication_offset_bytes")
    assert before <= offset <= after and offset > 0
    assert value(m, "kv_replication_connected_replicas") == 1
    assert value(m, "kv_replication_replica_offset_bytes", **labels) == offset
    assert value(m, "kv_replication_replica_lag_seconds", **labels) >= 0
    pinfo = p.info("replication")
    assert value(m, "kv_replication_backlog_size_bytes") == pinfo["repl_backlog_size"] > 0
    assert value(m, "kv_replication_backlog_history_bytes") == pinfo["repl_backlog_histlen"]
    assert p.info("memory")["mem_replication_backlog"] == pinfo["repl_backlog_size"]
    assert value(m, "kv_replication_full_syncs_total") == p.info("stats")["sync_full"] == 1
    assert value(m, "kv_replication_partial_syncs_total", result="ok") == 0

    rm = scrape(replica.metrics_port)
    assert value(rm, "kv_replication_role", role="replica") == 1
    assert value(rm, "kv_replication_master_link_up") == 1
    assert value(rm, "kv_replication_master_sync_in_progress") == 0
    assert value(rm, "kv_replication_master_last_io_age_seconds") >= 0
    assert value(rm, "kv_replication_offset_bytes") == r.info("replication")["slave_repl_offset"]
    # Replication traffic is counted apart from the clients' (exact figures: test_replication).
    assert value(m, "kv_net_repl_output_bytes_total") > 0
    assert value(rm, "kv_net_repl_input_bytes_total") > 0
    assert value(rm, "kv_net_repl_output_bytes_total") == 0

    # A stopped replica acknowledges nothing: its byte lag is what was written since, and its
    # lag in seconds grows.
    os.kill(replica.pid, signal.SIGSTOP)
    try:
        base = p.info("replication")["master_repl_offset"]
        p.set("while", "stopped")
        grown = p.info("replication")["master_repl_offset"] - base
        assert grown > 0
        wait_for(lambda: value(scrape(primary.metrics_port), "kv_replication_replica_lag_seconds",
                               **labels) >= 2, what="the lag in seconds to grow")
        m = scrape(primary.metrics_port)
        lag = value(m, "kv_replication_replica_lag_bytes", **labels)
        assert lag == value(m, "kv_replication_offset_bytes") - \
            value(m, "kv_replication_replica_offset_bytes", **labels)
        assert lag >= grown
    finally:
        os.kill(replica.pid, signal.SIGCONT)
    wait_for(acked, timeout=20, what="the replica to catch up")

    # The primary goes: the replica's link is down, and says since when.
    primary.kill9()
    wait_for(lambda: value(scrape(replica.metrics_port), "kv_replication_master_link_up") == 0,
             what="the replica to see its link down")
    rm = scrape(replica.metrics_port)
    assert value(rm, "kv_replication_master_link_down_seconds") >= 0
    assert value(rm, "kv_replication_master_last_io_age_seconds") is None
    assert r.get("while") == "stopped"
