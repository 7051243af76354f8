# shellcheck shell=bash
# Helpers shared by scripts/bench-*.sh (sourced, not run).

# utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat, every thread of the
# process), summed over the processes given (a cluster's nodes).
cpu_ticks() {  # pid...
  local stat pid total=0
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat")"
    stat="${stat##*) }"  # drop "pid (comm) "; the next field is the state (field 3)
    total=$((total + $(awk '{ print $12 + $13 }' <<<"$stat")))
  done
  echo "$total"
}

# User + system CPU of this shell's children that have exited and been waited for, in µs
# (bash's `times`, second line; a command substitution's child and the programs it ran count
# once it returned). Called as `children_cpu_us` (not inside $(...)): it sets CHILDREN_CPU_US,
# since a subshell would report only its own, still empty, children.
children_cpu_us() {
  local file="${WORK:?}/.times"
  times >"$file"
  # shellcheck disable=SC2034  # read by the scripts that source this file
  CHILDREN_CPU_US="$(awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
    printf "%.0f", t * 1e6 }' "$file")"
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

# Starts an in-memory server in the background (kv: --appendonly no and --threads KV_THREADS
# unless that is auto or unset; Redis: --save '' --appendonly no) on port $2 of HOST with
# directory $3 (created) and log $3/log, with any further arguments; prints its pid. Needs
# KV_BIN, REDIS_BIN and HOST.
start_memory_server() {  # kind port dir [args...]
  local kind="$1" port="$2" dir="$3"
  shift 3
  mkdir -p "$dir"
  if [ "$kind" = kv ]; then
    local threads=()
    [ "${KV_THREADS:-auto}" = auto ] || threads=(--threads "$KV_THREADS")
    "$KV_BIN" --port "$port" --native-port 0 --bind "$HOST" --appendonly no --dir "$dir" \
      --log-level warning "${threads[@]}" "$@" >"$dir/log" 2>&1 &
  else
    "$REDIS_BIN" --port "$port" --bind "$HOST" --save '' --appendonly no --dir "$dir" \
      --loglevel warning --daemonize no "$@" >"$dir/log" 2>&1 &
  fi
  echo $!
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
