#!/usr/bin/env python3
"""Turns the measurements a scripts/bench-*.sh run recorded into results a program can read and
pictures a reader can: NAME.json (every round's value and the median, per test, server and
metric, with kv/redis ratios) and, with --plot, one PNG per metric (a bar per server beside each
test) drawn with Debian's matplotlib.

Records: one line per measurement, tab separated: server, test, metric, value ("n/a" or empty
values are skipped). The order of first appearance orders the tests and servers in both."""

import argparse
import datetime
import json
import os
import statistics
import sys
from pathlib import Path

UNITS = {
    "rps": "requests per second (higher is better)",
    "p99_ms": "p99 latency, ms (lower is better)",
    "p50_ms": "p50 latency, ms (lower is better)",
    "cpu_us_per_req": "server CPU per request, µs (lower is better)",
    "client_cpu_us_per_req": "client (redis-benchmark) CPU per request, µs",
    "rps_cluster_over_single": "aggregate requests/s, cluster / one server (higher is better)",
    "cpu_cluster_over_single": "server CPU per request, cluster / one server (lower is better)",
    "rss_bytes_per_key": "RSS bytes per key (lower is better)",
    "used_bytes_per_key": "used_memory bytes per key (lower is better)",
    "rss_bytes_per_element": "RSS bytes per element (lower is better)",
    "used_bytes_per_element": "used_memory bytes per element (lower is better)",
    "tasks_per_second": "tasks per second (higher is better)",
    "jobs_per_second": "jobs per second (higher is better)",
    "cpu_us_per_job": "server CPU per job, µs (lower is better)",
    "entries_per_second": "stream entries per second (higher is better)",
    "pairs_per_second": "acquire/release pairs per second (higher is better)",
    "seconds": "seconds (lower is better)",
}
LEGEND = {"kv": "kv-server", "redis": "redis-server", "valkey": "valkey-server"}


def read_records(path: Path):
    records = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            sys.exit(f"bench-report.py: {path}:{n}: want 4 tab-separated fields, got {line!r}")
        server, test, metric, value = fields
        if value in ("", "n/a"):
            continue
        try:
            records.append((server, test, metric, float(value)))
        except ValueError:
            sys.exit(f"bench-report.py: {path}:{n}: not a number: {value!r}")
    return records


def summarize(records):
    tests, servers, metrics = [], [], []
    values = {}
    for server, test, metric, value in records:
        for seq, item in ((tests, test), (servers, server), (metrics, metric)):
            if item not in seq:
                seq.append(item)
        values.setdefault(test, {}).setdefault(server, {}).setdefault(metric, []).append(value)
    results = {
        test: {server: {metric: {"median": statistics.median(v), "values": v}
                        for metric, v in per_metric.items()}
               for server, per_metric in per_server.items()}
        for test, per_server in values.items()}
    ratios = {}
    for test, per_server in results.items():
        kv, redis = per_server.get("kv"), per_server.get("redis")
        if not kv or not redis:
            continue
        for metric in kv.keys() & redis.keys():
            if redis[metric]["median"]:
                ratios.setdefault(test, {})[metric] = round(
                    kv[metric]["median"] / redis[metric]["median"], 4)
    return tests, servers, metrics, results, ratios


def bar_text(x: float) -> str:
    if not x:
        return ""
    return f"{x:,.0f}" if x >= 1000 else f"{x:.4g}"


def plot(name, tests, servers, metrics, results, out_dir: Path):
    import matplotlib
    matplotlib.use("Agg")  # files only; no display on a CI machine
    import matplotlib.pyplot as plt

    written = []
    for metric in metrics:
        shown = [t for t in tests if any(metric in results[t].get(s, {}) for s in servers)]
        if not shown:
            continue
        height = 0.8 / len(servers)
        fig, ax = plt.subplots(figsize=(9.5, 1.2 + 0.45 * len(shown) * max(1, len(servers) / 2)))
        for i, server in enumerate(servers):
            ys = [row + i * height for row in range(len(shown))]
            xs = [results[t].get(server, {}).get(metric, {}).get("median", 0) for t in shown]
            bars = ax.barh(ys, xs, height=height, label=LEGEND.get(server, server))
            ax.bar_label(bars, labels=[bar_text(x) for x in xs], fontsize=7, padding=2)
        ax.set_yticks([row + 0.4 - height / 2 for row in range(len(shown))], shown)
        ax.invert_yaxis()
        ax.set_xlabel(UNITS.get(metric, metric))
        ax.set_title(f"{name}: {metric} (median)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.margins(x=0.15)
        fig.tight_layout()
        path = out_dir / f"{name}-{metric}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", required=True, help="benchmark name: the files' stem")
    ap.add_argument("--records", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path, help="directory for NAME.json and PNGs")
    ap.add_argument("--plot", action="store_true", help="also write NAME-<metric>.png")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="a run parameter kept in the JSON (repeatable)")
    args = ap.parse_args()

    records = read_records(args.records)
    if not records:
        sys.exit(f"bench-report.py: no measurements in {args.records}")
    tests, servers, metrics, results, ratios = summarize(records)
    params = dict(p.split("=", 1) for p in args.param)
    args.out.mkdir(parents=True, exist_ok=True)
    doc = {
        "benchmark": args.name,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"cpus": os.cpu_count(), "kernel": os.uname().release,
                 "load_average": [round(x, 2) for x in os.getloadavg()]},
        "params": params,
        "tests": tests,
        "servers": servers,
        "results": results,
        "ratios_kv_over_redis": ratios,
    }
    json_path = args.out / f"{args.name}.json"
    json_path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"bench-report.py: wrote {json_path}", file=sys.stderr)
    if args.plot:
        for path in plot(args.name, tests, servers, metrics, results, args.out):
            print(f"bench-report.py: wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
