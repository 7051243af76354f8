"""The benchmarks' results for programs: scripts/lib/bench-report.py's JSON and PNG plots, and a
tiny interleaved scripts/bench-resp.sh run with --plot against the real binaries (figures are
not judged here: speed is measured by the benchmark scripts, not by tests)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KV_BIN, REPO_ROOT

pytestmark = pytest.mark.kv_only

REPORT = REPO_ROOT / "scripts" / "lib" / "bench-report.py"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def report(tmp_path, records: str, *extra):
    rec = tmp_path / "records"
    rec.write_text(records)
    return subprocess.run(["/usr/bin/python3", str(REPORT), "--name", "t", "--records", str(rec),
                           "--out", str(tmp_path / "out"), *extra],
                          capture_output=True, text=True, timeout=120)


def test_json_keeps_every_round_and_the_medians_and_ratios(tmp_path):
    r = report(tmp_path, "kv\tset P1\trps\t100\nredis\tset P1\trps\t80\n"
                         "kv\tset P1\trps\t130\nredis\tset P1\trps\t90\n"
                         "kv\tset P1\trps\t120\nredis\tset P1\trps\t70\n"
                         "kv\tset P1\tp99_ms\tn/a\nkv\tget P1\tp99_ms\t0.5\n",
               "--param", "N=7", "--param", "TESTS=set,get")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "out" / "t.json").read_text())
    assert doc["benchmark"] == "t" and doc["params"] == {"N": "7", "TESTS": "set,get"}
    assert doc["tests"] == ["set P1", "get P1"] and doc["servers"] == ["kv", "redis"]
    kv = doc["results"]["set P1"]["kv"]["rps"]
    assert kv == {"median": 120.0, "values": [100.0, 130.0, 120.0]}
    assert doc["results"]["set P1"]["redis"]["rps"]["median"] == 80.0
    assert doc["ratios_kv_over_redis"] == {"set P1": {"rps": 1.5}}
    # "n/a" (no latency for that run) is left out rather than counted as zero.
    assert "p99_ms" not in doc["results"]["set P1"]["kv"]
    assert doc["results"]["get P1"]["kv"]["p99_ms"]["values"] == [0.5]
    assert not list((tmp_path / "out").glob("*.png")), "PNGs written without --plot"


def test_plot_writes_one_png_per_metric(tmp_path):
    r = report(tmp_path, "kv\ta\trps\t5\nredis\ta\trps\t4\nkv\ta\tp99_ms\t1.5\n", "--plot")
    assert r.returncode == 0, r.stderr
    pngs = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert pngs == ["t-p99_ms.png", "t-rps.png"]
    for name in pngs:
        data = (tmp_path / "out" / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 2000


@pytest.mark.parametrize("records,message", [
    ("kv\tset\trps\n", "want 4 tab-separated fields"),
    ("kv\tset\trps\tfast\n", "not a number"),
    ("", "no measurements"),
])
def test_malformed_records_are_refused(tmp_path, records, message):
    r = report(tmp_path, records)
    assert r.returncode != 0 and message in r.stderr
    assert not (tmp_path / "out" / "t.json").exists()


def test_bench_resp_writes_json_and_plots_for_both_servers(tmp_path):
    out = tmp_path / "results"
    env = dict(os.environ, KV_BIN=KV_BIN, BENCH_OUT=str(out), N="2000", ROUNDS="2",
               TESTS="set,get,eval", PIPELINES="1 16", MEM_KEYS="2000", MEM_SHAPES="",
               KV_THREADS="1")
    r = subprocess.run([str(REPO_ROOT / "scripts" / "bench-resp.sh"), "--plot"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| set | 16 |" in r.stdout  # the markdown table is still printed
    doc = json.loads((out / "bench-resp.json").read_text())
    # eval: a command of its own, after which redis-benchmark reads no more options.
    tests = ["set P1", "get P1", "eval P1", "set P16", "get P16", "eval P16"]
    assert doc["tests"][:6] == tests
    for test in tests:
        for server in ("kv", "redis"):
            figures = doc["results"][test][server]
            assert len(figures["rps"]["values"]) == 2 and figures["rps"]["median"] > 0
            # 2000 requests may take under one clock tick of server CPU: present, not judged.
            assert len(figures["cpu_us_per_req"]["values"]) == 2
        assert doc["ratios_kv_over_redis"][test]["rps"] > 0
    mem = doc["results"]["strings (32-byte values)"]
    assert mem["kv"]["rss_bytes_per_key"]["median"] != 0
    assert doc["params"]["N"] == "2000"
    for metric in ("rps", "p99_ms", "cpu_us_per_req"):
        assert (out / f"bench-resp-{metric}.png").read_bytes().startswith(PNG_MAGIC)


def test_bench_resp_with_benchmark_threads_reads_rates_and_latencies(tmp_path):
    """BENCH_THREADS: redis-benchmark --threads prints no CSV worth reading (its run time is
    rounded to its progress tick); the script takes the rate and p99 from its text output."""
    out = tmp_path / "results"
    env = dict(os.environ, KV_BIN=KV_BIN, BENCH_OUT=str(out), N="20000", ROUNDS="1",
               TESTS="get,eval", PIPELINES="1 16", MEM_KEYS="0", MEM_SHAPES="",
               BENCH_THREADS="2")
    r = subprocess.run([str(REPO_ROOT / "scripts" / "bench-resp.sh")], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "--threads 2" in r.stdout
    doc = json.loads((out / "bench-resp.json").read_text())
    for test in ("get P1", "eval P1", "get P16", "eval P16"):
        for server in ("kv", "redis"):
            figures = doc["results"][test][server]
            assert figures["rps"]["median"] > 0 and figures["p99_ms"]["median"] > 0
    assert doc["params"]["BENCH_THREADS"] == "2"
    # lrange_100 fills its list first: two tests in one run, the LRANGE's rate is reported
    # (which of the two: test_benchmark_rate_is_the_last_tests_last_tick).
    env.update(TESTS="lrange_100", PIPELINES="16", N="100000")
    r = subprocess.run([str(REPO_ROOT / "scripts" / "bench-resp.sh")], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((out / "bench-resp.json").read_text())
    for server in ("kv", "redis"):
        figures = doc["results"]["lrange_100 P16"][server]
        assert figures["rps"]["median"] > 0 and figures["p99_ms"]["median"] > 0


def benchmark_rate(output: str) -> str:
    r = subprocess.run(["awk", "-f", str(REPO_ROOT / "scripts" / "lib" / "benchmark-rate.awk")],
                       input=output, capture_output=True, text=True, timeout=10, check=True)
    return r.stdout.strip()


def ticks(title, *overall):
    return "".join(f"{title}: rps={o} (overall: {o}) avg_msec=0.5 (overall: 0.5)\n"
                   for o in overall)


def summary(title, rate):
    return f"====== {title} ======\n  throughput summary: {rate} requests per second\n"


def test_benchmark_rate_is_the_last_tests_last_tick():
    """redis-benchmark --threads output, carriage returns made newlines: the overall rate of the
    last tick (the first tick, 1 ms after the start, skipped); of the last test when a run has
    two (lrange_* fills its list with LPUSH first); the summary when a test had no tick."""
    lpush = ticks("LPUSH", 5.0, 900000.0, 950000.0) + summary("LPUSH", 1000000.00)
    lrange = ticks("LRANGE_100", 1.0, 150000.0, 160000.0) + summary("LRANGE_100", 200000.00)
    assert benchmark_rate(lpush + lrange) == "160000.0"
    assert benchmark_rate(lpush) == "950000.0"
    assert benchmark_rate(lpush + summary("LRANGE_100", "123456.00")) == "123456.00"
    assert benchmark_rate(ticks("SET", 1.0, 700000.0)) == "700000.0"  # no summary (-q)


def test_bench_resp_xgroup_loop_reports_requests_and_entries(tmp_path):
    out = tmp_path / "results"
    loop = Path(KV_BIN).resolve().parent / "bench" / "xgroup-loop"
    env = dict(os.environ, KV_BIN=KV_BIN, BENCH_OUT=str(out), N="2000", ROUNDS="1",
               TESTS="xgroup_loop", PIPELINES="1 4", MEM_KEYS="100", MEM_SHAPES="",
               CLIENTS="4", XGROUP_LOOP_BIN=str(loop))
    r = subprocess.run([str(REPO_ROOT / "scripts" / "bench-resp.sh")], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| xgroup_loop | 4 |" in r.stdout and "kv entries/s" in r.stdout
    doc = json.loads((out / "bench-resp.json").read_text())
    assert doc["tests"][:2] == ["xgroup_loop P1", "xgroup_loop P4"]
    for test, pipe in (("xgroup_loop P1", 1), ("xgroup_loop P4", 4)):
        for server in ("kv", "redis"):
            figures = doc["results"][test][server]
            # N/2 x P entries: about N requests per run, entries/s = requests/s x P / 2.
            eps, rps = figures["entries_per_second"]["median"], figures["rps"]["median"]
            assert rps > 0 and eps == pytest.approx(rps * pipe / 2, rel=0.05)
            assert figures["p99_ms"]["median"] > 0
    assert doc["params"]["XGROUP_ENTRIES"] == "N/2 x P"


def test_bench_bullmq_writes_json_for_both_servers(tmp_path):
    out = tmp_path / "results"
    env = dict(os.environ, KV_BIN=KV_BIN, BENCH_OUT=str(out), JOBS="60", ROUNDS="1",
               CONCURRENCY="8")
    r = subprocess.run([str(REPO_ROOT / "scripts" / "bench-bullmq.sh")], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| kv-server |" in r.stdout and "| redis-server |" in r.stdout
    doc = json.loads((out / "bench-bullmq.json").read_text())
    assert doc["tests"] == ["bullmq jobs (concurrency 8)"]
    for server in ("kv", "redis"):
        figures = doc["results"]["bullmq jobs (concurrency 8)"][server]
        assert figures["jobs_per_second"]["median"] > 0
        assert len(figures["cpu_us_per_job"]["values"]) == 1
    assert doc["params"]["JOBS"] == "60"


def test_bench_replication_measures_rates_acknowledged_writes_and_sync(tmp_path):
    out = tmp_path / "results"
    env = dict(os.environ, KV_BIN=KV_BIN, BENCH_OUT=str(out), N="2000", ROUNDS="1",
               WAIT_CLIENTS="2", WAIT_N="20", SYNC_KEYS="500", SYNC_ROUNDS="1")
    r = subprocess.run([str(REPO_ROOT / "scripts" / "bench-replication.sh")], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| server | SET + WAIT 1 writes/s (2 clients) |" in r.stdout
    doc = json.loads((out / "bench-replication.json").read_text())
    for test in ("SET, no replica", "SET, one replica", "SET + WAIT 1, one replica"):
        for server in ("kv", "redis"):
            assert doc["results"][test][server]["rps"]["median"] > 0, (test, server)
    for server in ("kv", "redis"):
        assert doc["results"]["full sync, 500 keys"][server]["seconds"]["median"] > 0
    assert doc["params"]["WAIT_N"] == "20"


def test_bench_cluster_measures_every_configuration(tmp_path):
    """One server and a 3-node cluster of each kind, driven by redis-benchmark --cluster: the
    script fails when redis-benchmark cannot use kv-server's CLUSTER NODES, a node answers an
    error, or a node gets none of the requests."""
    out = tmp_path / "results"
    env = dict(os.environ, KV_BIN=KV_BIN, BENCH_OUT=str(out), N="6000", ROUNDS="2",
               TESTS="set,get", PIPELINES="1 16", KEYSPACE="100000")
    r = subprocess.run([str(REPO_ROOT / "scripts" / "bench-cluster.sh"), "--plot"], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "| get | 16 |" in r.stdout and "kv 3 nodes" in r.stdout
    doc = json.loads((out / "bench-cluster.json").read_text())
    runs = [f"{t} P{p}, {c}" for p in (1, 16) for t in ("set", "get")
            for c in ("1 server", "3 nodes")]
    assert set(runs) <= set(doc["tests"])
    for test in runs:
        for server in ("kv", "redis"):
            figures = doc["results"][test][server]
            assert len(figures["rps"]["values"]) == 2 and figures["rps"]["median"] > 0
            assert figures["p99_ms"]["median"] > 0
            # A few thousand requests may take under one clock tick of server CPU.
            assert len(figures["cpu_us_per_req"]["values"]) == 2
            assert figures["client_cpu_us_per_req"]["median"] > 0
        assert doc["ratios_kv_over_redis"][test]["rps"] > 0
    for test in ("set P1", "get P1", "set P16", "get P16"):
        for server in ("kv", "redis"):
            scale = doc["results"][test][server]["rps_cluster_over_single"]
            assert len(scale["values"]) == 2 and scale["median"] > 0
    assert doc["params"]["NODES"] == "3" and doc["params"]["BENCH_THREADS"] == "3"
    for metric in ("rps", "cpu_us_per_req", "rps_cluster_over_single"):
        assert (out / f"bench-cluster-{metric}.png").read_bytes().startswith(PNG_MAGIC)


def test_bench_scripts_refuse_unknown_arguments():
    for script in ("bench-resp.sh", "bench-native.sh", "bench-plugins.sh", "bench-celery.sh",
                   "bench-persist.sh", "bench-replication.sh", "bench-bullmq.sh",
                   "bench-cluster.sh"):
        r = subprocess.run([str(REPO_ROOT / "scripts" / script), "--plots"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, script
        assert "unknown argument '--plots'" in r.stderr
