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

# Sends signal $2 (default TERM) to process $1, waits up to $3 seconds (default 10) for it to go,
# then SIGKILLs it. Nothing to do for an empty pid or a process that is already gone.
stop_process() {  # pid [signal] [seconds]
  local pid="$1" sig="${2:-TERM}" seconds="${3:-10}"
  [ -n "$pid" ] || return 0
  kill -"$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 $((seconds * 10))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Waits up to 10 s until the server on port $1 (process $2) answers PING. When it dies or does
# not answer, prints why with its log ($4) under its name ($3) and exits. Needs CLI and HOST.
wait_ping() {  # port pid name log
  for _ in $(seq 1 200); do
    if ! kill -0 "$2" 2>/dev/null; then
      echo "$(basename "$0"): $3 exited during startup:" >&2
      cat "$4" >&2
      exit 1
    fi
    [ "$("$CLI" -h "$HOST" -p "$1" PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  echo "$(basename "$0"): $3 not ready on port $1 after 10 s" >&2
  cat "$4" >&2
  exit 1
}

# ---------------------------------------------------------------- results for programs
# Every script records each measurement with `record` (needs WORK) and ends with
# `bench_report NAME [KEY=VALUE ...]`: that writes $BENCH_OUT/NAME.json (default
# bench-results/ in the repo) with every round's value and the medians, and with --plot PNGs
# beside it (scripts/lib/bench-report.py). parse_bench_args takes the scripts' arguments.
BENCH_PLOT=0
parse_bench_args() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      --plot) BENCH_PLOT=1 ;;
      -h|--help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0 ;;
      *) echo "$(basename "$0"): unknown argument '$arg' (--plot, --help; settings are environment variables)" >&2
         exit 2 ;;
    esac
  done
}

record() {  # server test metric value
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$WORK/records"
}

record_run() {  # server test rps p99_ms cpu_ticks requests: one benchmark run's three metrics
  record "$1" "$2" rps "$3"
  record "$1" "$2" p99_ms "$4"
  record "$1" "$2" cpu_us_per_req \
    "$(awk -v t="$5" -v hz="$CLK_TCK" -v n="$6" 'BEGIN { printf "%.4f", t / hz * 1e6 / n }')"
}

bench_report() {  # name [key=value ...]
  local name="$1" kv params=() plot=()
  shift
  for kv in "$@"; do params+=(--param "$kv"); done
  [ "$BENCH_PLOT" = 1 ] && plot=(--plot)
  [ -s "$WORK/records" ] || return 0
  /usr/bin/python3 "$ROOT/scripts/lib/bench-report.py" --name "$name" --records "$WORK/records" \
    --out "${BENCH_OUT:-$ROOT/bench-results}" "${params[@]}" "${plot[@]}"
}
