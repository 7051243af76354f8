# shellcheck shell=bash
# Helpers shared by scripts/bench-*.sh (sourced, not run).

# utime + stime of process $1 in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat")"
  stat="${stat##*) }"  # drop "pid (comm) "; the next field is the state (field 3)
  awk '{ print $12 + $13 }' <<<"$stat"
}

# Median of the numbers on stdin, one per line (0 when there are none).
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# $1 / $2 with two decimals, "n/a" when $2 is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

# A TCP port that was free on 127.0.0.1 a moment ago.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Clock ticks per second, the unit of cpu_ticks.
CLK_TCK="$(getconf CLK_TCK)"
export CLK_TCK

# Sets KV_BIN: the binary given in the environment (then only the Debian packages are checked),
# or build/kv-server after building it. Exits with a message when there is none. Needs ROOT.
resolve_kv_bin() {
  if [ -z "${KV_BIN:-}" ]; then
    "$ROOT/scripts/build.sh" >&2
    KV_BIN="$ROOT/build/kv-server"
  else
    "$ROOT/scripts/deps.sh" >&2
  fi
  [ -x "$KV_BIN" ] || { echo "$(basename "$0"): no kv-server binary at $KV_BIN" >&2; exit 1; }
}
