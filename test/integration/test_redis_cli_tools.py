"""redis-cli's operator modes against the real binary (docs/commands.md, "INFO sections"):
--bigkeys and --memkeys find the biggest key of each type with its true size, --latency and
--latency-history measure PINGs the server really answered. (--stat: test_info_fields.py.)

Each figure is checked against what the test wrote or what the server itself reports
(STRLEN, LLEN, MEMORY USAGE, INFO commandstats), so a tool reading a field kv-server lacks or
formats differently fails here."""

from __future__ import annotations

import re
import subprocess

import pytest

pytestmark = pytest.mark.kv_only


def cli(server, *args: str, timeout: float = 60) -> str:
    res = subprocess.run(["redis-cli", "-p", str(server.port), *args], capture_output=True,
                         text=True, timeout=timeout)
    assert res.returncode == 0, (res.stdout, res.stderr)
    return res.stdout


def fill(c, db_offset: int = 0):
    """One biggest key per type with a known size, and smaller ones beside it."""
    c.set("str:small", "x")
    c.set("str:big", "y" * (1000 + db_offset))
    c.rpush("list:small", "a")
    c.rpush("list:big", *range(50 + db_offset))
    c.hset("hash:big", mapping={f"f{i}": i for i in range(30)})
    c.hset("hash:small", "f", "v")
    c.sadd("set:big", *range(40))
    c.sadd("set:small", 1)
    c.zadd("zset:big", {f"m{i}": i for i in range(25)})
    c.zadd("zset:small", {"m": 1})
    for i in range(7):
        c.xadd("stream:big", {"n": i})
    c.xadd("stream:small", {"n": 1})


BIGGEST = re.compile(r"^Biggest\s+(\w+) found '\"([^\"]+)\"' has (\d+) (\w+)$", re.M)
SUMMARY = re.compile(r"^(\d+) (\w+)s with (\d+) (\w+) \(", re.M)


def test_bigkeys_finds_the_biggest_key_of_each_type_with_its_size(kv_server):
    s = kv_server()
    c = s.client()
    fill(c)
    out = cli(s, "--bigkeys")
    biggest = {m[0]: (m[1], int(m[2]), m[3]) for m in BIGGEST.findall(out)}
    assert biggest == {
        "string": ("str:big", 1000, "bytes"),
        "list": ("list:big", 50, "items"),
        "hash": ("hash:big", 30, "fields"),
        "set": ("set:big", 40, "members"),
        "zset": ("zset:big", 25, "members"),
        "stream": ("stream:big", 7, "entries"),
    }, out
    assert re.search(r"^Sampled 12 keys in the keyspace!$", out, re.M), out
    totals = {m[1]: (int(m[0]), int(m[2])) for m in SUMMARY.findall(out)}
    assert totals["string"] == (2, 1001)
    assert totals["list"] == (2, 51)
    assert totals["hash"] == (2, 31)
    assert totals["set"] == (2, 41)
    assert totals["zset"] == (2, 26)
    assert totals["stream"] == (2, 8)


def test_bigkeys_reads_the_selected_namespace(kv_server):
    s = kv_server()
    c = s.client(db=3)
    fill(c, db_offset=5)
    s.client().set("in-db0", "z" * 5000)  # bigger, but in another namespace
    out = cli(s, "-n", "3", "--bigkeys")
    biggest = {m[0]: (m[1], int(m[2])) for m in BIGGEST.findall(out)}
    assert biggest["string"] == ("str:big", 1005)
    assert biggest["list"] == ("list:big", 55)
    assert re.search(r"^Sampled 12 keys", out, re.M), out


def test_memkeys_reports_memory_usage_of_the_biggest_keys(kv_server):
    s = kv_server()
    c = s.client()
    fill(c)
    out = cli(s, "--memkeys")
    biggest = {m[0]: (m[1], int(m[2]), m[3]) for m in BIGGEST.findall(out)}
    assert set(biggest) == {"string", "list", "hash", "set", "zset", "stream"}, out
    for kind, (key, size, unit) in biggest.items():
        assert unit == "bytes"
        assert key == ("str" if kind == "string" else kind) + ":big", out
        # --memkeys asks MEMORY USAGE <key> SAMPLES 0: the same figure the server reports.
        assert size == c.memory_usage(key, samples=0) > 0, (kind, size)


def test_latency_measures_pings_the_server_answered(kv_server):
    s = kv_server()
    c = s.client()
    c.config_resetstat()
    # --raw: one "min max avg count" line after the interval, then it exits.
    out = cli(s, "--latency", "--raw", "-i", "1").split()
    assert len(out) == 4, out
    lo, hi, avg, count = int(out[0]), int(out[1]), float(out[2]), int(out[3])
    assert count > 0 and 0 <= lo <= avg <= hi, out
    # Every sample was a PING the server ran and counted.
    assert c.info("commandstats")["cmdstat_ping"]["calls"] >= count


def test_latency_history_prints_one_line_per_interval(kv_server):
    s = kv_server()
    proc = subprocess.Popen(
        ["stdbuf", "-oL", "redis-cli", "-p", str(s.port), "--latency-history", "-i", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        # Not a terminal: each interval ends with a "min max avg count" line and a range note.
        for line in proc.stdout:
            lines.append(line)
            if sum("seconds range" in ln for ln in lines) >= 2:
                break
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    ranges = [ln for ln in lines if "seconds range" in ln]
    assert len(ranges) >= 2, lines
    samples = [ln.split() for ln in lines if re.fullmatch(r"\d+ \d+ [\d.]+ \d+\n", ln)]
    assert samples, lines
    assert all(int(sm[3]) > 0 for sm in samples)
