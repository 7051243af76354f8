"""kv-benchmark (tools/kv_benchmark.cc) against a real server's native port.

Runs a few thousand requests per test and checks redis-benchmark's CSV format: the header, one
line per test, positive requests/s and ordered latencies. The binary is the one next to
KV_SERVER_BIN (build/kv-benchmark), or KV_BENCHMARK_BIN.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KV_BIN

pytestmark = pytest.mark.kv_only

KV_BENCHMARK = os.environ.get("KV_BENCHMARK_BIN", str(Path(KV_BIN).parent / "kv-benchmark"))
CSV_HEADER = ["test", "rps", "avg_latency_ms", "min_latency_ms", "p50_latency_ms",
              "p95_latency_ms", "p99_latency_ms", "max_latency_ms"]


def run_benchmark(server, *args: str) -> subprocess.CompletedProcess:
    assert Path(KV_BENCHMARK).is_file(), f"no kv-benchmark binary at {KV_BENCHMARK}"
    return subprocess.run(
        [KV_BENCHMARK, "-h", server.host, "-p", str(server.native_port), *args],
        capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("pipeline", ["1", "16"])
def test_csv_counts_positive(kv_server, pipeline):
    server = kv_server(native_port="auto")
    proc = run_benchmark(server, "-c", "4", "--threads", "2", "-n", "3000", "-P", pipeline,
                         "-d", "32", "-r", "1000", "-t", "set,get,incr,ping", "--csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == CSV_HEADER
    assert [r[0] for r in rows[1:]] == ["SET", "GET", "INCR", "PING"]
    for row in rows[1:]:
        assert len(row) == len(CSV_HEADER), row
        rps, avg, lo, p50, p95, p99, hi = (float(x) for x in row[1:])
        assert rps > 0, row
        assert 0 <= lo <= p50 <= p95 <= p99 <= hi, row
        assert lo <= avg <= hi, row
    # The SETs reached the store: some of the 1000 random keys exist.
    r = server.client()
    assert r.dbsize() > 0


def test_quiet_one_line_per_test(kv_server):
    server = kv_server(native_port="auto")
    proc = run_benchmark(server, "-c", "2", "-n", "2000", "-t", "ping,set", "-q")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2, proc.stdout
    assert lines[0].startswith("PING: ") and "requests per second" in lines[0]
    assert lines[1].startswith("SET: ")
    assert proc.stderr == ""


def test_bad_test_name_and_refused_connection(kv_server):
    server = kv_server(native_port="auto")
    proc = run_benchmark(server, "-n", "10", "-t", "nope", "-q")
    assert proc.returncode == 2
    assert "unknown test 'nope'" in proc.stderr
    server.stop()
    proc = run_benchmark(server, "-n", "10", "-t", "ping", "-q")
    assert proc.returncode == 1
    assert "connect" in proc.stderr
