#!/usr/bin/env python3
"""Checks the skipped tests of a pytest run against test/skip-allowlist.txt.

A skip hides whatever the test would have caught, so every skip must be listed with its reason.
Fails (exit 1) on a skip that is not listed, and on a listed entry that did not skip (stale: the
test now runs, or was renamed or removed), so the list only ever holds what really skips.

Usage: check_skips.py [--subset] [--no-stale] JUNIT_XML [ALLOWLIST]
  --subset    the run selected some tests only (-k, a file): an entry whose test did not run
              is not stale
  --no-stale  only check that every skip is listed (a run against redis-server, where some
              listed tests run)
Allow-list lines: "<test id> | <reason>", the id as pytest prints it
(test/integration/test_file.py::test_name[param]), where `*` matches any characters (nothing
else is special); blank lines and # comments are ignored. A line that starts with "?" is a skip
that depends on the machine (e.g. a test that needs a non-loopback address): allowed, and never
reported stale.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


class Entry:
    def __init__(self, pattern: str, reason: str, conditional: bool):
        self.pattern, self.reason, self.conditional = pattern, reason, conditional
        self._re = re.compile("".join(".*" if part == "*" else re.escape(part)
                                      for part in re.split(r"(\*)", pattern)) + r"\Z")

    def matches(self, test_id: str) -> bool:
        return self._re.match(test_id) is not None


def read_allowlist(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        conditional = line.startswith("?")
        if conditional:
            line = line[1:].strip()
        test_id, sep, reason = (part.strip() for part in line.partition("|"))
        if not sep or not test_id or not reason:
            raise SystemExit(f"{path}:{n}: expected '<test id> | <reason>', got {line!r}")
        entries.append(Entry(test_id, reason, conditional))
    return entries


ROOT = Path(__file__).resolve().parent.parent


def node_id(classname: str, name: str) -> str:
    """pytest's id (test/integration/test_x.py::TestClass::name[param]) from JUnit's dotted
    classname (test.integration.test_x.TestClass): the module is the longest prefix that is a
    .py file under the repository (pytest's rootdir)."""
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        if (ROOT.joinpath(*parts[:i - 1]) / (parts[i - 1] + ".py")).is_file():
            return "::".join(["/".join(parts[:i]) + ".py", *parts[i:], name])
    return "::".join([classname, name])


def test_cases(junit: Path) -> list[tuple[str, str | None]]:
    """(test id, skip message or None) of each test case in a JUnit XML file."""
    out = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        skip = case.find("skipped")
        test_id = node_id(case.get("classname", ""), case.get("name", ""))
        out.append((test_id, None if skip is None else skip.get("message", "")))
    return out


def main(argv: list[str]) -> int:
    flags = {a for a in argv[1:] if a.startswith("--")}
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) not in (1, 2) or flags - {"--subset", "--no-stale"}:
        print(__doc__, file=sys.stderr)
        return 2
    junit = Path(args[0])
    allow_path = Path(args[1]) if len(args) == 2 else ROOT / "test" / "skip-allowlist.txt"
    allowed = read_allowlist(allow_path)
    cases = test_cases(junit)
    skipped = [(t, msg) for t, msg in cases if msg is not None]
    bad = [(t, msg) for t, msg in skipped if not any(e.matches(t) for e in allowed)]
    stale: list[str] = []
    if "--no-stale" not in flags:
        ran = {t for t, _ in cases}
        for e in allowed:
            if e.conditional or any(e.matches(t) for t, _ in skipped):
                continue
            # Not stale when none of its tests ran in a partial run.
            if "--subset" not in flags or any(e.matches(t) for t in ran):
                stale.append(e.pattern)
    for t, msg in bad:
        print(f"skip not on the allow-list: {t}: {msg}")
    for t in stale:
        print(f"stale allow-list entry (the test did not skip): {t}")
    print(f"skips: {len(skipped)} ({len(skipped) - len(bad)} allowed, {len(bad)} not), "
          f"{len(stale)} stale allow-list entries")
    return 1 if bad or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
