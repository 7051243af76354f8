"""LATENCY LATEST/HISTORY/RESET/DOCTOR/HELP with latency-monitor-threshold, as Redis 7.

A Lua loop of a few million steps is the slow command: it takes tens of milliseconds on any
machine, far past the 1 ms threshold, in Redis and in kv-server alike. Passes against
redis-server too (KV_TEST_AGAINST_REDIS=1).
"""

from __future__ import annotations

import time

import pytest
import redis

SLOW_SCRIPT = "local i = 0 while i < 3000000 do i = i + 1 end return i"


@pytest.fixture
def lat(kv):
    c = kv.client()
    c.config_set("latency-monitor-threshold", 0)
    c.execute_command("LATENCY", "RESET")
    yield c
    c.config_set("latency-monitor-threshold", 0)
    c.execute_command("LATENCY", "RESET")
    c.close()


def test_disabled_by_default_and_doctor_says_so(kv, lat):
    assert lat.config_get("latency-monitor-threshold") == {"latency-monitor-threshold": "0"}
    lat.eval(SLOW_SCRIPT, 0)
    assert lat.execute_command("LATENCY", "LATEST") == []
    assert lat.execute_command("LATENCY", "DOCTOR").startswith(
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled")
    lat.config_set("latency-monitor-threshold", 1)
    assert lat.execute_command("LATENCY", "DOCTOR").startswith(
        "Dave, no latency spike was observed during the lifetime of this Redis instance")


def test_a_slow_command_is_recorded(kv, lat):
    lat.config_set("latency-monitor-threshold", 1)
    before = int(time.time())
    lat.eval(SLOW_SCRIPT, 0)
    latest = lat.execute_command("LATENCY", "LATEST")
    commands = [e for e in latest if e[0] == "command"]
    assert len(commands) == 1, latest
    _, ts, latency, worst = commands[0]
    assert before <= ts <= int(time.time()) + 1
    assert latency >= 1 and worst >= latency
    history = lat.execute_command("LATENCY", "HISTORY", "command")
    assert len(history) >= 1 and history[-1] == [ts, latency]
    doctor = lat.execute_command("LATENCY", "DOCTOR")
    assert doctor.startswith("Dave, I have observed latency spikes in this Redis instance.")
    assert "1. command: " in doctor and "Check your Slow Log" in doctor
    assert lat.execute_command("LATENCY", "HISTORY", "no-such-event") == []
    assert lat.execute_command("LATENCY", "RESET", "command", "no-such-event") == 1
    assert lat.execute_command("LATENCY", "HISTORY", "command") == []


def test_reset_all_counts_the_events(kv, lat):
    lat.config_set("latency-monitor-threshold", 1)
    lat.eval(SLOW_SCRIPT, 0)
    n = len(lat.execute_command("LATENCY", "LATEST"))
    assert n >= 1
    assert lat.execute_command("LATENCY", "RESET") == n
    assert lat.execute_command("LATENCY", "LATEST") == []
    assert lat.execute_command("LATENCY", "RESET") == 0


def test_errors_and_help(kv, lat):
    for args, text in [
        (["LATENCY", "FOO"], "unknown subcommand 'FOO'. Try LATENCY HELP."),
        (["LATENCY", "HISTORY"], "wrong number of arguments for 'latency|history' command"),
        (["LATENCY", "LATEST", "x"], "wrong number of arguments for 'latency|latest' command"),
        (["LATENCY", "DOCTOR", "x"], "wrong number of arguments for 'latency|doctor' command"),
        (["LATENCY"], "wrong number of arguments for 'latency' command"),
    ]:
        with pytest.raises(redis.ResponseError) as e:
            lat.execute_command(*args)
        assert str(e.value) == text, args
    with pytest.raises(redis.ResponseError):
        lat.config_set("latency-monitor-threshold", -1)
    help_lines = lat.execute_command("LATENCY", "HELP")
    assert help_lines[0] == "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert "LATEST" in help_lines and "DOCTOR" in help_lines
