"""docs/commands.md: its generated command tables must match the server's command table.

scripts/gen-commands-doc.py starts the server under test, reads COMMAND INFO and COMMAND DOCS and
rebuilds the tables between the GENERATED markers. If this test fails, regenerate the file:

    ./scripts/build.sh && /usr/bin/python3 scripts/gen-commands-doc.py
"""

import subprocess
import sys

import pytest

from conftest import KV_BIN, REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "gen-commands-doc.py"
DOC = REPO_ROOT / "docs" / "commands.md"
BEGIN = "<!-- BEGIN GENERATED -->"
END = "<!-- END GENERATED -->"

pytestmark = pytest.mark.kv_only


def run_script(*args, timeout=60):
    res = subprocess.run([sys.executable, str(SCRIPT), "--bin", KV_BIN, *args],
                         capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
    return res


def test_commands_doc_is_up_to_date():
    res = run_script("--check")
    assert res.returncode == 0, (
        "docs/commands.md is out of date with the command table; regenerate it with "
        "`/usr/bin/python3 scripts/gen-commands-doc.py`\n"
        f"exit {res.returncode}\nstdout:\n{res.stdout}\nstderr:\n{res.stderr}")


def test_check_reports_stale_tables_and_regeneration_keeps_hand_written_text(tmp_path):
    original = DOC.read_text(encoding="utf-8")
    head, rest = original.split(BEGIN, 1)
    generated, tail = rest.split(END, 1)
    assert "| GET |" in generated

    # A stale table row, and hand-written text on both sides of the markers.
    stale = generated.replace("| GET |", "| GET-OLD |", 1)
    doc = tmp_path / "commands.md"
    doc.write_text(head + "Hand-written before.\n\n" + BEGIN + stale + END + tail +
                   "\nHand-written after.\n", encoding="utf-8")

    res = run_script("--check", "--output", str(doc))
    assert res.returncode == 1, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    assert "-| GET-OLD |" in res.stdout and "+| GET |" in res.stdout, res.stdout

    res = run_script("--output", str(doc))
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    assert doc.read_text(encoding="utf-8") == (
        head + "Hand-written before.\n\n" + BEGIN + generated + END + tail +
        "\nHand-written after.\n")
    assert run_script("--check", "--output", str(doc)).returncode == 0


def test_missing_markers_are_appended(tmp_path):
    doc = tmp_path / "commands.md"
    doc.write_text("# Only prose\n", encoding="utf-8")
    res = run_script("--output", str(doc))
    assert res.returncode == 0, f"stdout:\n{res.stdout}\nstderr:\n{res.stderr}"
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Only prose\n\n" + BEGIN + "\n")
    assert text.endswith(END + "\n")
    assert "| SET | `SET key value [NX \\| XX] [GET]" in text


def test_unusable_binary_exits_2(tmp_path):
    res = subprocess.run([sys.executable, str(SCRIPT), "--bin", str(tmp_path / "nope"),
                          "--check"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert "not an executable" in res.stderr
