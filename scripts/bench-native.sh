#!/usr/bin/env bash
# Native vs RESP on the same kv-server: kv-benchmark (native protocol, --native-port) against
# redis-benchmark (RESP, --port), same -c, -n, -P and -d, interleaved, ROUNDS rounds. Reports per
# test and pipeline depth the median requests/s and p99 of both and the ratio native/RESP, as a
# markdown table on stdout (progress on stderr).
#
# Env:
#   N           requests per benchmark run (default 1000000)
#   ROUNDS      rounds (default 3)
#   CLIENTS     connections (default 50)
#   TESTS       tests (default set,get; both tools know set, get, incr, ping)
#   PIPELINES   pipeline depths (default "1 16")
#   DATA_SIZE   SET value size in bytes (default 32)
#   BENCH_THREADS kv-benchmark --threads and redis-benchmark --threads (default 1)
#   KV_THREADS  kv-server --threads (default: the server's own default, "auto")
#   KV_BIN      kv-server binary (default: build it, then build/kv-server)
#   KV_BENCH    kv-benchmark binary (default: next to KV_BIN)
#   BENCH_OUT   directory of bench-native.json, each round's figures and the medians (default
#               bench-results/)
# Arguments: --plot also draws bench-native-<metric>.png beside the JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

N="${N:-1000000}"
ROUNDS="${ROUNDS:-3}"
CLIENTS="${CLIENTS:-50}"
TESTS="${TESTS:-set,get}"
PIPELINES="${PIPELINES:-1 16}"
DATA_SIZE="${DATA_SIZE:-32}"
BENCH_THREADS="${BENCH_THREADS:-1}"
KV_THREADS="${KV_THREADS:-auto}"
BENCH=/usr/bin/redis-benchmark
CLI=/usr/bin/redis-cli
HOST=127.0.0.1

resolve_kv_bin
KV_BENCH="${KV_BENCH:-$(dirname "$KV_BIN")/kv-benchmark}"
[ -x "$KV_BENCH" ] || { echo "bench-native.sh: no kv-benchmark binary at $KV_BENCH" >&2; exit 1; }
[ -x "$BENCH" ] || { echo "bench-native.sh: no $BENCH (scripts/deps.sh installs it)" >&2; exit 1; }

WORK="$(mktemp -d)"
KV_PID=""
cleanup() {
  stop_process "$KV_PID"
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESP_PORT="$(free_port)"
NATIVE_PORT="$(free_port)"
while [ "$NATIVE_PORT" = "$RESP_PORT" ]; do NATIVE_PORT="$(free_port)"; done
mkdir -p "$WORK/data"
KV_ARGS=(--port "$RESP_PORT" --native-port "$NATIVE_PORT" --bind "$HOST" --dir "$WORK/data"
         --appendonly no --log-level warning)
if [ "$KV_THREADS" != auto ]; then
  KV_ARGS+=(--threads "$KV_THREADS")
fi
"$KV_BIN" "${KV_ARGS[@]}" >"$WORK/kv.log" 2>&1 &
KV_PID=$!
wait_ping "$RESP_PORT" "$KV_PID" kv-server "$WORK/kv.log"

# results: lines "proto test pipeline rps p99 cpu_ticks"
RESULTS="$WORK/results"
: >"$RESULTS"

run_one() {  # proto test pipeline
  local proto="$1" test="$2" pipe="$3" csv line rps p99 before after
  before="$(cpu_ticks "$KV_PID")"
  if [ "$proto" = native ]; then
    csv="$(timeout 900 "$KV_BENCH" -h "$HOST" -p "$NATIVE_PORT" -c "$CLIENTS" -n "$N" -P "$pipe" \
      -d "$DATA_SIZE" --threads "$BENCH_THREADS" -t "$test" --csv)"
  else
    csv="$(timeout 900 "$BENCH" -h "$HOST" -p "$RESP_PORT" -c "$CLIENTS" -n "$N" -P "$pipe" \
      -d "$DATA_SIZE" --threads "$BENCH_THREADS" -t "$test" --csv)"
  fi
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  after="$(cpu_ticks "$KV_PID")"
  line="$(grep -v '^"test"' <<<"$csv" | head -n 1)"
  rps="$(awk -F'","' '{ print $2 }' <<<"$line")"
  p99="$(awk -F'","' '{ print $7 }' <<<"$line")"
  if [ -z "$rps" ]; then
    echo "bench-native.sh: no result from $proto -t $test -P $pipe:" >&2
    echo "$csv" >&2
    exit 1
  fi
  printf '%s %s %s %s %s %s\n' "$proto" "$test" "$pipe" "$rps" "$p99" "$((after - before))" >>"$RESULTS"
  record_run "$proto" "$test P$pipe" "$rps" "$p99" "$((after - before))" "$N"
  printf '  %-6s %-5s P=%-3s %12s rps  p99 %6s ms\n' "$proto" "$test" "$pipe" "$rps" "$p99" >&2
}

echo "kv-server: $KV_BIN (RESP port $RESP_PORT, native port $NATIVE_PORT, threads $KV_THREADS)" >&2
echo "N=$N ROUNDS=$ROUNDS CLIENTS=$CLIENTS TESTS=$TESTS PIPELINES=$PIPELINES DATA_SIZE=$DATA_SIZE, $(nproc) CPUs" >&2

IFS=, read -r -a TEST_LIST <<<"$TESTS"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  for pipe in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
      if [ $((round % 2)) -eq 1 ]; then
        run_one native "$test" "$pipe"
        run_one resp "$test" "$pipe"
      else
        run_one resp "$test" "$pipe"
        run_one native "$test" "$pipe"
      fi
    done
  done
done

col() {  # proto test pipe column(4 rps, 5 p99, 6 server CPU ticks)
  awk -v s="$1" -v t="$2" -v p="$3" -v c="$4" '$1 == s && $2 == t && $3 == p { print $c }' "$RESULTS"
}

echo
echo "## Native protocol vs RESP on one kv-server"
echo
echo "kv-benchmark (native) vs redis-benchmark (RESP): -c $CLIENTS -n $N -d $DATA_SIZE --threads $BENCH_THREADS,"
echo "median of $ROUNDS interleaved rounds; $(nproc) CPUs; kv-server --threads $KV_THREADS --appendonly no."
echo
echo "Server CPU per request (µs): the same server's user+system time over each run, /proc/PID/stat."
echo
echo "| test | P | native rps | RESP rps | native/RESP | native p99 ms | RESP p99 ms | native CPU µs/req | RESP CPU µs/req | CPU native/RESP |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for pipe in $PIPELINES; do
  for test in "${TEST_LIST[@]}"; do
    n_rps="$(col native "$test" "$pipe" 4 | median)"
    r_rps="$(col resp "$test" "$pipe" 4 | median)"
    n_p99="$(col native "$test" "$pipe" 5 | median)"
    r_p99="$(col resp "$test" "$pipe" 5 | median)"
    n_cpu="$(col native "$test" "$pipe" 6 | awk -v n="$N" -v hz="$CLK_TCK" '{ printf "%.3f\n", $1 / hz * 1e6 / n }' | median)"
    r_cpu="$(col resp "$test" "$pipe" 6 | awk -v n="$N" -v hz="$CLK_TCK" '{ printf "%.3f\n", $1 / hz * 1e6 / n }' | median)"
    printf '| %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s |\n' \
      "$test" "$pipe" "$n_rps" "$r_rps" "$(ratio "$n_rps" "$r_rps")" "$n_p99" "$r_p99" \
      "$n_cpu" "$r_cpu" "$(ratio "$n_cpu" "$r_cpu")"
  done
done

bench_report bench-native N="$N" ROUNDS="$ROUNDS" CLIENTS="$CLIENTS" TESTS="$TESTS" \
  PIPELINES="$PIPELINES" DATA_SIZE="$DATA_SIZE" KV_THREADS="$KV_THREADS"
