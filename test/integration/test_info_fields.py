"""INFO as clients and tools read it: Redis 7's sections, Redis's field names, and figures that
move when they should (docs/info.md).

The section and field names are compared with Debian's redis-server in the same run: every
section Redis prints is printed, and every field kv-server prints is a Redis field except the
few kv-server adds (listed here and in docs/info.md)."""

from __future__ import annotations

import re
import subprocess
import threading

import pytest
import redis

from conftest import RespError, wait_for

pytestmark = pytest.mark.kv_only

# Fields kv-server adds; every other field must be one Redis prints.
KV_ONLY_FIELDS = {
    "kv_server_version", "shards_per_namespace", "used_memory_peak_time", "used_memory_peak_rss",
}
# Fields of a newer Redis than the 7.0 compared against: 7.4's hash field TTLs.
NEWER_REDIS_FIELDS = {"expired_subkeys"}
# Redis fields that only some servers print (loading progress, per-command lines).
# kv-server's own WAL and snapshot figures (docs/persistence.md) share two prefixes.
DYNAMIC = re.compile(
    r"^(cmdstat_|errorstat_|latency_percentiles_usec_|db\d+$|module$|loading_|wal_|snapshot_)")


def sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# "):
            current = line[2:].strip()
            out[current] = []
        elif line and current is not None:
            out[current].append(line.split(":", 1)[0])
    return out


def info_text(server, *args) -> str:
    return server.cli("INFO", *args)


def errorstats(server) -> dict[str, int]:
    """errorstat_CODE:count=N lines (redis-py 4.3 does not parse a lone count=N)."""
    return {m.group(1): int(m.group(2)) for m in re.finditer(
        r"^errorstat_(\S+):count=(\d+)", info_text(server, "errorstats"), re.M)}


def test_every_redis_section_is_printed_in_order(kv_server, redis_ref):
    kv = kv_server()
    for args in ((), ("default",), ("all",), ("everything",)):
        ours = list(sections(info_text(kv, *args)))
        theirs = list(sections(info_text(redis_ref, *args)))
        assert ours == theirs, (args, ours, theirs)
    assert list(sections(info_text(kv, "server", "cpu"))) == ["Server", "CPU"]
    assert list(sections(info_text(kv, "CommandStats"))) == ["Commandstats"]
    assert info_text(kv, "nonsense").strip() == ""


def test_every_field_is_a_redis_field(kv_persist, redis_ref):
    kv = kv_persist()
    for s in (kv, redis_ref):
        c = s.client()
        c.set("k", "v")
        c.get("k")
        with pytest.raises(redis.ResponseError):
            c.incr("k")
    theirs = sections(info_text(redis_ref, "everything"))
    ours = sections(info_text(kv, "everything"))
    for name, fields in ours.items():
        known = set(theirs[name])
        extra = [f for f in fields if f not in known and f not in KV_ONLY_FIELDS
                 and f not in NEWER_REDIS_FIELDS
                 and not DYNAMIC.match(f)]
        assert extra == [], (name, extra)
    # The fields tools read at connect time are all there.
    flat = kv.client().info("everything")
    for field in ("cluster_enabled", "redis_version", "connected_clients", "used_memory",
                  "used_memory_peak", "used_memory_startup", "used_memory_dataset",
                  "total_system_memory", "mem_fragmentation_ratio", "lru_clock",
                  "configured_hz", "total_forks", "rdb_last_bgsave_status",
                  "aof_last_write_status", "master_replid", "master_repl_offset",
                  "instantaneous_ops_per_sec", "instantaneous_input_kbps",
                  "instantaneous_output_kbps", "total_reads_processed",
                  "total_writes_processed", "cmdstat_set", "errorstat_ERR",
                  "latency_percentiles_usec_get"):
        assert field in flat, field
    assert re.fullmatch(r"[0-9a-f]{40}", flat["master_replid"])
    assert flat["total_system_memory"] > 0


def test_commandstats_count_calls_rejections_and_failures(kv_server):
    s = kv_server()
    c = s.client()
    for i in range(5):
        c.set(f"k{i}", "x")
    with pytest.raises(redis.ResponseError):
        c.execute_command("INCR", "k0")  # runs, answers an error: a failed call
    with pytest.raises(redis.ResponseError):
        c.execute_command("GET")  # wrong arity: rejected before it runs
    stats = c.info("commandstats")
    assert stats["cmdstat_set"]["calls"] == 5
    assert stats["cmdstat_set"]["failed_calls"] == 0
    assert stats["cmdstat_incr"]["calls"] == 1 and stats["cmdstat_incr"]["failed_calls"] == 1
    assert stats["cmdstat_get"]["rejected_calls"] == 1 and stats["cmdstat_get"]["calls"] == 0
    assert stats["cmdstat_set"]["usec"] >= 0
    errors = errorstats(s)
    assert errors["ERR"] == 2
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        c.execute_command("UNLOCK", "k1", "1")  # a string, not a lock
    errors = errorstats(s)
    assert errors == {"ERR": 2, "WRONGTYPE": 1}
    assert int(c.info("stats")["total_error_replies"]) == 3
    assert c.config_resetstat()
    assert c.info("commandstats").keys() <= {"cmdstat_info", "cmdstat_config|resetstat"}
    assert errorstats(s) == {}


# Containers' subcommands as clients call them: each is counted under "<container>|<sub>"
# (any case), the container alone under its own name, an unknown subcommand nowhere.
CONTAINER_CALLS = [
    ("CONFIG", "GET", "maxmemory"), ("config", "Get", "maxmemory"),
    ("CONFIG",),                      # the container alone: wrong arity, rejected as config
    ("CONFIG", "GET"),                # rejected as config|get
    ("CONFIG", "NOSUCH"),             # unknown subcommand: no line at all
    ("CLIENT", "ID"), ("CLIENT", "LIST"), ("CLIENT", "GETNAME", "extra"),
    ("OBJECT", "ENCODING", "k"), ("OBJECT", "REFCOUNT", "nokey"),
    ("XINFO", "STREAM", "nokey"),     # runs and fails: failed_calls of xinfo|stream
    ("XGROUP", "HELP"), ("COMMAND", "COUNT"), ("COMMAND", "INFO", "get"),
    ("MEMORY", "USAGE", "k"), ("SLOWLOG", "LEN"), ("SLOWLOG", "GET", "1"),
    ("LATENCY", "LATEST"), ("SCRIPT", "EXISTS", "abc"), ("FUNCTION", "LIST"),
    ("PUBSUB", "NUMPAT"), ("PUBSUB", "CHANNELS"), ("ACL", "WHOAMI"),
    ("CLUSTER", "INFO"),              # cluster support disabled: a failed call
]


def run_container_calls(server):
    c = server.client()
    c.set("k", "v")
    assert c.config_resetstat()
    errors = 0
    with server.raw() as raw:
        for call in CONTAINER_CALLS:
            errors += isinstance(raw.call(*call), RespError)
        stats = parse_info(raw.call("INFO", "commandstats").decode())
        latency = parse_info(raw.call("INFO", "latencystats").decode())
        errorstats = parse_info(raw.call("INFO", "errorstats").decode())
    return stats, latency, errorstats, errors


def parse_info(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(":")
            out[name] = value
    return out


def counts(stats):
    """name -> (calls, rejected_calls, failed_calls), INFO's own calls left out."""
    out = {}
    for name, value in stats.items():
        fields = dict(kv.split("=") for kv in value.split(","))
        if name != "cmdstat_info":
            out[name] = (int(fields["calls"]), int(fields["rejected_calls"]),
                         int(fields["failed_calls"]))
    return out


def test_container_subcommands_are_counted_apart_as_redis_counts_them(kv_server, redis_ref):
    kv_stats, kv_latency, kv_errors, kv_failures = run_container_calls(kv_server())
    redis_stats, redis_latency, redis_errors, redis_failures = run_container_calls(redis_ref)
    assert counts(kv_stats) == counts(redis_stats)
    assert kv_latency.keys() == redis_latency.keys()
    assert kv_errors == redis_errors and kv_failures == redis_failures
    got = counts(kv_stats)
    assert got["cmdstat_config|get"] == (2, 1, 0)
    assert got["cmdstat_config"] == (0, 1, 0)
    assert got["cmdstat_client|getname"] == (0, 1, 0)
    assert got["cmdstat_xinfo|stream"] == (1, 0, 1)
    assert not any("nosuch" in name for name in got)
    assert "latency_percentiles_usec_config|get" in kv_latency
    assert "latency_percentiles_usec_config" not in kv_latency


def test_subcommand_statistics_reset_and_show_in_slowlog_with_their_arguments(kv_server):
    s = kv_server()
    c = s.client()
    assert c.config_set("slowlog-log-slower-than", 0)
    with s.raw() as raw:
        raw.call("CONFIG", "GET", "maxmemory")
        raw.call("OBJECT", "ENCODING", "nokey")
    stats = c.info("commandstats")
    assert stats["cmdstat_config|get"]["calls"] == 1
    assert stats["cmdstat_object|encoding"]["calls"] == 1
    # SLOWLOG keeps the whole call, not the subcommand's name.
    args = [e["command"] for e in c.slowlog_get(10)]
    assert b"OBJECT ENCODING nokey" in args or "OBJECT ENCODING nokey" in args, args
    assert c.config_resetstat()
    stats = c.info("commandstats")
    assert "cmdstat_config|get" not in stats and "cmdstat_object|encoding" not in stats
    assert "latency_percentiles_usec_config|get" not in s.cli("INFO", "latencystats")
    # An unknown subcommand inside MULTI dooms the transaction, as an unknown command does.
    with s.raw() as raw:
        assert raw.call("MULTI") == b"OK"
        assert "unknown subcommand 'NOSUCH'. Try CONFIG HELP." in str(raw.call("CONFIG", "NOSUCH"))
        assert "EXECABORT" in str(raw.call("EXEC"))
    stats = c.info("commandstats")
    assert "cmdstat_config" not in stats


def test_latencystats_follow_the_configured_percentiles(kv_server):
    s = kv_server()
    c = s.client()
    for i in range(200):
        c.get(f"k{i}")
    line = s.cli("INFO", "latencystats")
    m = re.search(r"latency_percentiles_usec_get:p50=([\d.]+),p99=([\d.]+),p99\.9=([\d.]+)",
                  line)
    assert m, line
    p50, p99, p999 = map(float, m.groups())
    assert 0 < p50 <= p99 <= p999
    assert c.config_set("latency-tracking-info-percentiles", "25 75")
    assert re.search(r"latency_percentiles_usec_get:p25=[\d.]+,p75=[\d.]+\r?$",
                     s.cli("INFO", "latencystats"), re.M)
    with pytest.raises(redis.ResponseError, match="between 0 and 100"):
        c.config_set("latency-tracking-info-percentiles", "50 101")
    # Off: nothing more is recorded (the figures stay as they were).
    assert c.config_set("latency-tracking", "no")
    before = s.cli("INFO", "latencystats")
    c.set("after", "1")
    assert "latency_percentiles_usec_set" not in s.cli("INFO", "latencystats")
    assert "latency_percentiles_usec_get" in before


def test_instantaneous_figures_move_under_load(kv_server):
    s = kv_server()
    c = s.client()
    stop = threading.Event()
    done = []

    def load():
        w = s.client()
        while not stop.is_set():
            w.set("load", "x" * 1000)
            done.append(1)

    t = threading.Thread(target=load)
    t.start()
    try:
        wait_for(lambda: c.info("stats")["instantaneous_ops_per_sec"] > 50,
                 what="instantaneous_ops_per_sec > 50 under load")
        wait_for(lambda: c.info("stats")["instantaneous_input_kbps"] > 10,
                 what="instantaneous_input_kbps > 10 under load (1 KB values)")
        busy = c.info("stats")["instantaneous_ops_per_sec"]
    finally:
        stop.set()
        t.join(30)
    assert not t.is_alive() and done
    st = c.info("stats")
    assert st["total_reads_processed"] >= len(done)
    assert st["total_writes_processed"] >= len(done)
    # Idle again (but for these INFO calls, a few a second): the rate falls once the 16
    # samples of 100 ms have passed.
    wait_for(lambda: c.info("stats")["instantaneous_ops_per_sec"] < min(busy / 2, 20),
             interval=0.2, what="instantaneous_ops_per_sec back to idle")


def test_peak_memory_stays_after_a_large_write_is_deleted(kv_server):
    s = kv_server()
    c = s.client()
    before = c.info("memory")
    assert before["used_memory_startup"] > 0
    assert before["used_memory_peak"] >= before["used_memory"]
    c.set("big", "x" * (32 << 20))
    grown = c.info("memory")
    assert grown["used_memory_peak"] >= before["used_memory"] + (32 << 20)
    c.delete("big")
    after = c.info("memory")
    assert after["used_memory"] < grown["used_memory_peak"] - (16 << 20)
    assert after["used_memory_peak"] >= grown["used_memory_peak"]


def test_fork_count_after_a_snapshot(kv_persist):
    s = kv_persist()
    c = s.client()
    assert c.info("stats")["total_forks"] == 0
    c.set("k", "v")
    c.bgsave()
    wait_for(lambda: c.info("persistence")["rdb_bgsave_in_progress"] == 0
             and c.info("persistence")["rdb_saves"] >= 1, what="snapshot done")
    st = c.info("stats")
    assert st["total_forks"] == 1
    assert st["latest_fork_usec"] > 0


def test_modules_section_lists_the_loaded_plugins(kv_server):
    s = kv_server()
    mods = [line for line in s.cli("INFO", "modules").splitlines()
            if line.startswith("module:")]
    names = {re.search(r"name=([^,]+)", m).group(1) for m in mods}
    assert {"decimal", "lock", "cas"} <= names, mods


def test_redis_cli_stat_shows_live_figures(kv_server):
    s = kv_server()
    c = s.client()
    c.mset({f"k{i}": i for i in range(25)})
    c.set("k25", "x")
    # Line-buffered: redis-cli's stdout is a pipe here, and it is stopped with a signal.
    proc = subprocess.Popen(["stdbuf", "-oL", "redis-cli", "-p", str(s.port), "--stat", "-i",
                             "0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # redis-cli prints a line per interval; wait until it has printed a few.
        wait_for(lambda: int(c.info("stats")["total_commands_processed"]) > 8,
                 what="redis-cli --stat polling INFO")
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    lines = [ln.split() for ln in out.splitlines() if ln.strip() and not ln.startswith("-")]
    assert lines and lines[0][:2] == ["keys", "mem"], (out, err)
    rows = [r for r in lines if r[0].isdigit()]
    assert rows, out
    keys, mem, clients, blocked, requests = rows[-1][:5]
    assert keys == "26" and clients == "2" and blocked == "0", rows[-1]
    assert re.fullmatch(r"[\d.]+[BKMG]", mem), mem
    assert int(requests) > 0


def test_keyspace_avg_ttl_is_the_mean_time_to_live(kv_server):
    s = kv_server()
    c = s.client()
    c.set("plain", "1")
    for i in range(10):
        c.set(f"a{i}", "1", ex=100)
        c.set(f"b{i}", "1", ex=200)
    db0 = c.info("keyspace")["db0"]
    assert db0["keys"] == 21 and db0["expires"] == 20
    # Set within the last moments: the mean is 150 s minus the time since.
    assert 140_000 <= db0["avg_ttl"] <= 150_000, db0
    c.persist("a0")
    c.expire("b0", 1000)
    db0 = c.info("keyspace")["db0"]
    assert db0["expires"] == 19
    # (9 x 100 + 9 x 200 + 1000) / 19 = 194.7 s
    assert 185_000 <= db0["avg_ttl"] <= 194_737, db0
    c.flushall()
    assert "db0" not in c.info("keyspace")


def test_allocator_script_and_function_figures(kv_server):
    s = kv_server()
    c = s.client()
    m = c.info("memory")
    if m["mem_allocator"].startswith("jemalloc"):
        assert re.fullmatch(r"jemalloc-\d+\.\d+\.\d+", m["mem_allocator"])
        # One INFO reads the allocator once: the ratios and differences are of those figures.
        assert m["allocator_frag_bytes"] == m["allocator_active"] - m["allocator_allocated"]
        assert m["allocator_rss_bytes"] == m["allocator_resident"] - m["allocator_active"]
        assert m["rss_overhead_bytes"] == m["used_memory_rss"] - m["allocator_resident"]
        assert m["allocator_frag_ratio"] == round(
            m["allocator_active"] / m["allocator_allocated"], 2)
        assert m["allocator_allocated"] <= m["allocator_active"] <= m["allocator_resident"]
    else:
        assert m["mem_allocator"] == "libc" and "allocator_active" not in m
    assert (m["number_of_cached_scripts"], m["number_of_functions"],
            m["number_of_libraries"]) == (0, 0, 0)
    assert m["mem_replication_backlog"] == 0  # no replica ever attached
    c.script_load("return 1")
    c.eval("return 2", 0)
    c.function_load("#!lua name=lib\nredis.register_function('f1', function() return 1 end)\n"
                    "redis.register_function('f2', function() return 2 end)")
    m = c.info("memory")
    assert (m["number_of_cached_scripts"], m["number_of_functions"],
            m["number_of_libraries"]) == (2, 2, 1)
    c.script_flush()
    c.function_flush()
    m = c.info("memory")
    assert (m["number_of_cached_scripts"], m["number_of_functions"],
            m["number_of_libraries"]) == (0, 0, 0)
    assert c.info("server")["server_time_usec"] % 1000 != 0 or \
        c.info("server")["server_time_usec"] % 1000 != 0  # µs, not ms x 1000
