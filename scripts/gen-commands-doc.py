#!/usr/bin/python3
"""Generates the command tables of docs/commands.md from the server's own command table.

Starts kv-server (build/kv-server, or --bin) on a free port, reads COMMAND INFO and COMMAND DOCS,
stops it, and rewrites the part of docs/commands.md between

    <!-- BEGIN GENERATED -->
    <!-- END GENERATED -->

with one table per command group (name, syntax, arity, flags, key positions, summary). Text
outside the markers is hand-written and kept as it is. A file without the markers gets them
appended at its end.

    /usr/bin/python3 scripts/gen-commands-doc.py            # rewrite docs/commands.md
    /usr/bin/python3 scripts/gen-commands-doc.py --check    # exit 1 and print a diff if stale

Exit codes: 0 done / up to date, 1 out of date (--check), 2 the server could not be queried.
Needs only the standard library and Debian's python3-redis.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BIN = REPO_ROOT / "build" / "kv-server"
DEFAULT_OUTPUT = REPO_ROOT / "docs" / "commands.md"

BEGIN = "<!-- BEGIN GENERATED -->"
END = "<!-- END GENERATED -->"

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# Known groups first, in this order, with a heading; any other group (a plugin's "module" ...)
# follows in alphabetical order under its own name.
GROUP_TITLES = {
    "string": "Strings",
    "list": "Lists",
    "hash": "Hashes",
    "set": "Sets",
    "sorted_set": "Sorted sets",
    "stream": "Streams",
    "bitmap": "Bitmaps",
    "hyperloglog": "HyperLogLog",
    "geo": "Geo",
    "generic": "Keys",
    "connection": "Connection",
    "transactions": "Transactions",
    "server": "Server",
    "scripting": "Scripting and functions",
    "pubsub": "Pub/Sub",
    "cluster": "Cluster",
}

# Skeleton for a docs file that does not exist yet.
NEW_FILE = f"# Commands\n\n{BEGIN}\n{END}\n"


class QueryError(Exception):
    pass


# ----------------------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _die_with_parent():
    """Runs in the child before exec: SIGTERM it if this script dies, so no server outlives it."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort
        pass


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def _wait_ready(proc: subprocess.Popen, port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return proc.poll() is None
        except OSError:
            time.sleep(0.02)
    return False


def _call(conn: redis.Connection, *args):
    conn.send_command(*args)
    return conn.read_response()


def query_server(binary: str) -> tuple[list, list]:
    """Starts `binary`, returns the raw RESP2 replies of COMMAND INFO and COMMAND DOCS."""
    if not os.access(binary, os.X_OK):
        raise QueryError(f"{binary}: not an executable file (build it with ./scripts/build.sh)")
    workdir = tempfile.mkdtemp(prefix="kv-gen-doc-")
    try:
        last_err = ""
        for _attempt in range(5):
            port = _free_port()
            argv = [binary, "--port", str(port), "--native-port", "0", "--appendonly", "no",
                    "--bind", HOST, "--dir", os.path.join(workdir, "data"),
                    "--log-level", "warning"]
            err_path = os.path.join(workdir, "stderr")
            with open(err_path, "wb") as err:
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                        cwd=workdir, preexec_fn=_die_with_parent)
            try:
                if not _wait_ready(proc, port):
                    last_err = Path(err_path).read_text(errors="replace")
                    if proc.poll() is None:
                        raise QueryError(f"{binary} did not accept connections on port {port} "
                                         f"within {START_TIMEOUT}s; stderr:\n{last_err}")
                    if "in use" in last_err.lower():
                        continue  # port taken between _free_port() and bind: try another
                    raise QueryError(f"{binary} exited with code {proc.returncode} before "
                                     f"accepting connections; argv: {argv}\nstderr:\n{last_err}")
                conn = redis.Connection(host=HOST, port=port, socket_timeout=30,
                                        decode_responses=True)
                try:
                    info = _call(conn, "COMMAND", "INFO")
                    docs = _call(conn, "COMMAND", "DOCS")
                except redis.RedisError as e:
                    raise QueryError(f"COMMAND INFO / COMMAND DOCS failed: {e}") from e
                finally:
                    conn.disconnect()
                return info, docs
            finally:
                _stop(proc)
        raise QueryError(f"{binary} could not find a free port; last stderr:\n{last_err}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ----------------------------------------------------------------------------- replies
def _as_map(v) -> dict:
    """A RESP3 map, or its RESP2 form (a flat list of alternating keys and values)."""
    if isinstance(v, dict):
        return v
    if isinstance(v, list) and len(v) % 2 == 0:
        return {v[i]: v[i + 1] for i in range(0, len(v), 2)}
    raise QueryError(f"expected a map, got {v!r}")


def parse_info(reply: list) -> dict[str, dict]:
    """Each command, and each container's subcommand under its full name ("config|get")."""
    out = {}
    for item in reply:
        if item is None:
            continue
        name, arity, flags, first, last, step = item[:6]
        out[name] = {"arity": int(arity), "flags": list(flags), "first": int(first),
                     "last": int(last), "step": int(step)}
        if len(item) > 9:
            out.update(parse_info(item[9]))
    return out


def parse_docs(reply) -> dict[str, dict]:
    out = {}
    for name, doc in _as_map(reply).items():
        out[name] = _as_map(doc)
        if out[name].get("subcommands"):
            out.update(parse_docs(out[name]["subcommands"]))
    return out


def render_arg(arg) -> str:
    """Redis's argument syntax for one COMMAND DOCS argument. kv-server gives each top-level
    token as a plain string argument whose name is the syntax itself; Redis-style nested
    arguments (oneof, block, optional, multiple, token) are rendered the way redis.io does."""
    a = _as_map(arg)
    kind = a.get("type", "string")
    token = a.get("token")
    flags = set(a.get("flags") or [])
    subs = a.get("arguments") or []
    if kind == "pure-token":
        text = token or a.get("name", "")
    elif kind in ("oneof", "block"):
        text = (" | " if kind == "oneof" else " ").join(render_arg(s) for s in subs)
        if token:
            text = f"{token} {text}" if kind == "block" or len(subs) < 2 else f"{token} <{text}>"
    else:
        text = a.get("display_text") or a.get("name", "")
        if token:
            text = f"{token} {text}"
    if "multiple" in flags:
        text = f"{text} [{text} ...]" if "multiple_token" in flags or not token else \
            f"{text} [{text[len(token) + 1:]} ...]"
    if "optional" in flags:
        text = f"[{text}]"
    return text


# ----------------------------------------------------------------------------- markdown
def _cell(text: str) -> str:
    """Escapes a table cell: '|' would end the cell, even inside a code span."""
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    tick = "``" if "`" in text else "`"
    return f"{tick}{_cell(text)}{tick}"


def key_positions(first: int, last: int, step: int) -> str:
    if first <= 0:
        return "-"
    step = step if step > 0 else 1
    if last >= first:
        positions = list(range(first, last + 1, step))
        if len(positions) <= 4:
            return ", ".join(str(p) for p in positions)
    text = f"{first}..{last}"
    if step != 1:
        text += f" step {step}"
    return text


def render_tables(info: dict[str, dict], docs: dict[str, dict]) -> str:
    """One row per command, its container's subcommands (CONFIG GET) right after it."""
    names = sorted(set(info) | set(docs), key=lambda n: n.split("|"))
    groups: dict[str, list[str]] = {}
    for n in names:
        groups.setdefault(docs.get(n, {}).get("group", "unknown"), []).append(n)
    order = [g for g in GROUP_TITLES if g in groups] + \
        sorted(g for g in groups if g not in GROUP_TITLES)

    lines = [
        "<!-- Generated by scripts/gen-commands-doc.py from COMMAND INFO and COMMAND DOCS; "
        "edit the command table in src/commands/, not this section. -->",
        "",
        f"{sum('|' not in n for n in names)} commands, "
        f"{sum('|' in n for n in names)} subcommands.",
    ]
    for g in order:
        title = GROUP_TITLES.get(g, g)
        lines += ["", f"### {title} (`{g}`)", "",
                  "| command | syntax | arity | flags | keys | summary |",
                  "|---|---|---|---|---|---|"]
        for n in groups[g]:
            i = info.get(n)
            d = docs.get(n, {})
            shown = n.upper().replace("|", " ")
            syntax = " ".join([shown] + [render_arg(a) for a in d.get("arguments") or []])
            if i is None:
                arity = flags = keys = "?"
            else:
                arity = str(i["arity"])
                flags = ", ".join(i["flags"]) or "-"
                keys = key_positions(i["first"], i["last"], i["step"])
            lines.append(f"| {_cell(shown)} | {_code(syntax)} | {arity} | {_cell(flags)} | "
                         f"{keys} | {_cell(d.get('summary', ''))} |")
    return "\n".join(lines) + "\n"


def splice(document: str, generated: str) -> str:
    """Replaces what is between the markers; appends the markers when the file has none."""
    b = document.find(BEGIN)
    e = document.find(END, b + len(BEGIN)) if b >= 0 else -1
    if b < 0 or e < 0:
        if document and not document.endswith("\n"):
            document += "\n"
        return f"{document}\n{BEGIN}\n{generated}{END}\n"
    return document[:b + len(BEGIN)] + "\n" + generated + document[e:]


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Regenerate the command tables of docs/commands.md from kv-server's "
                    "COMMAND INFO and COMMAND DOCS.")
    ap.add_argument("--bin", default=str(DEFAULT_BIN),
                    help=f"kv-server binary to query (default {DEFAULT_BIN})")
    ap.add_argument("--output", default=str(DEFAULT_OUTPUT),
                    help=f"Markdown file to update (default {DEFAULT_OUTPUT})")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 and print a diff if the file is out of date")
    args = ap.parse_args(argv)

    try:
        info_reply, docs_reply = query_server(args.bin)
        generated = render_tables(parse_info(info_reply), parse_docs(docs_reply))
    except QueryError as e:
        print(f"gen-commands-doc: {e}", file=sys.stderr)
        return 2

    path = Path(args.output)
    try:
        current = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        current = None
    wanted = splice(current if current is not None else NEW_FILE, generated)

    if args.check:
        if current == wanted:
            print(f"{path}: up to date")
            return 0
        diff = difflib.unified_diff(
            (current or "").splitlines(keepends=True), wanted.splitlines(keepends=True),
            fromfile=f"{path} (current)", tofile=f"{path} (generated)")
        sys.stdout.writelines(diff)
        print(f"\n{path} is out of date: run /usr/bin/python3 scripts/gen-commands-doc.py",
              file=sys.stderr)
        return 1

    if current == wanted:
        print(f"{path}: already up to date")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(wanted, encoding="utf-8")
        os.replace(tmp, path)
        print(f"{path}: updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
