#!/usr/bin/env bash
# RESP benchmark: kv-server against Debian's redis-server, same redis-benchmark command lines,
# interleaved, ROUNDS rounds. Reports per test the median requests/s and p99 of both, the ratio
# kv/redis, the server CPU per request (utime+stime of the server process over the run, from
# /proc/PID/stat) and its ratio; then memory per key after loading ~1M keys with 32-byte values
# (RSS from /proc/PID/status and INFO used_memory).
#
# Env:
#   N           requests per benchmark run (default 1000000)
#   ROUNDS      rounds (default 3)
#   CLIENTS     redis-benchmark connections (default 50)
#   BENCH_THREADS  redis-benchmark --threads (default: none, its one thread): with -P 16 the
#               short tests are bound by the benchmark client's one core on a small machine.
#               The rate is read from the last progress tick of the run's last test
#               (scripts/lib/benchmark-rate.awk), so lrange_* reports its LRANGE, not the
#               LPUSH that fills its list first
#   TESTS       redis-benchmark tests (default set,get,incr,mset); "suite" = redis-benchmark's
#               whole default suite in its order, the keyspace kept from test to test within a
#               round as a run without -t keeps it (LPOP pops what LPUSH and RPUSH pushed).
#               Besides redis-benchmark's own test names (-t) there are:
#                 eval      EVAL of a small script (INCR of KEYS[1], 100000 random keys)
#                 evalsha   the same script by EVALSHA (SCRIPT LOAD first)
#                 multi     MULTI, SET, INCR, GET, EXEC: MULTI_CONNS redis-cli --pipe streams of
#                           N/MULTI_CONNS transactions each; rps = transactions/s over the wall
#                           time, no latency (redis-benchmark sends one command per request)
#                 publish1  PUBLISH to a channel with 1 subscriber
#                 publish50 PUBLISH to a channel with 50 subscribers
#                 (publishK: K subscribers, connections of scripts/lib/bench-subscribers.py
#                 that drain without parsing; a run whose subscribers the server disconnected
#                 is marked in the table)
#               "atomic" = eval,evalsha,multi,publish1,publish50 (the transactions and scripting
#               issue's benchmarks)
#                 xadd      XADD bench:stream * field value (one stream, IDs from the clock)
#                 xrange10  XRANGE bench:xr - + COUNT 10 on a stream of XRANGE_ENTRIES entries
#                           of 'type done job <i> ts 1700000000' (filled before each run)
#                 xgroup_loop  the consumer-group loop of bench/xgroup_loop.c (build/bench/
#                           xgroup-loop): XGROUP_ENTRIES entries filled before each run, then
#                           CLIENTS consumers each repeat XREADGROUP GROUP g c<i> COUNT <P> ...
#                           and XACK of the IDs it got until the stream is consumed; every
#                           reply, exactly-once delivery and XPENDING 0 at the end are checked.
#                           P is COUNT, entries per read and per XACK (one request in flight
#                           per consumer); rps counts XREADGROUPs + XACKs, and entries/s is
#                           reported beside it
#               "streams" = xadd,xrange10,xgroup_loop
#   XRANGE_ENTRIES  stream length of the xrange10 test (default 1000)
#   XGROUP_ENTRIES  entries each xgroup_loop run consumes (default N/2 x P: about N requests
#               per run at every P, as redis-benchmark sends N at every -P)
#   XGROUP_LOOP_BIN the consumer loop (default build/bench/xgroup-loop, built when missing)
#   MULTI_CONNS connections of the multi test (default 8)
#   PUBLISH_PAYLOAD  message of the publish tests (default "hello")
#   PIPELINES   pipeline depths to run (default "1 16")
#   MEM_KEYS    requests for the memory test (default 1000000; 0 skips it: redis-benchmark
#               -n 0 would still send requests)
#   MEM_SHAPES  collection memory shapes (scripts/lib/mem-shapes.awk; default all six,
#               "lists hashes set zset stream streams"; empty for none)
#   KV_THREADS  kv-server --threads (default: the server's own default, "auto")
#   KV_BIN      kv-server binary (default: build it, then build/kv-server)
#   KV_EXTRA_ARGS extra kv-server arguments (word-split)
#   BENCH_OUT   directory of the results for programs (default bench-results/): every run
#               writes bench-resp.json there (each round's figures and the medians)
# Arguments: --plot also draws bench-resp-<metric>.png beside the JSON (throughput, p99, CPU
# per request, memory; kv-server beside redis-server).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

N="${N:-1000000}"
ROUNDS="${ROUNDS:-3}"
CLIENTS="${CLIENTS:-50}"
TESTS="${TESTS:-set,get,incr,mset}"
SUITE_TESTS=ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset
FLUSH_EACH=1
if [ "$TESTS" = suite ]; then
  TESTS="$SUITE_TESTS"
  FLUSH_EACH=0
elif [ "$TESTS" = atomic ]; then
  TESTS=eval,evalsha,multi,publish1,publish50
elif [ "$TESTS" = streams ]; then
  TESTS=xadd,xrange10,xgroup_loop
fi
XRANGE_ENTRIES="${XRANGE_ENTRIES:-1000}"
XGROUP_ENTRIES="${XGROUP_ENTRIES:-}"
XGROUP_LOOP_BIN="${XGROUP_LOOP_BIN:-$ROOT/build/bench/xgroup-loop}"
MULTI_CONNS="${MULTI_CONNS:-8}"
PUBLISH_PAYLOAD="${PUBLISH_PAYLOAD:-hello}"
PIPELINES="${PIPELINES:-1 16}"
MEM_KEYS="${MEM_KEYS:-1000000}"
KV_THREADS="${KV_THREADS:-auto}"
REDIS_BIN=/usr/bin/redis-server
BENCH=/usr/bin/redis-benchmark
CLI=/usr/bin/redis-cli
HOST=127.0.0.1

resolve_kv_bin
if [[ ",$TESTS," == *,xgroup_loop,* ]] && [ ! -x "$XGROUP_LOOP_BIN" ]; then
  echo "bench-resp.sh: building $XGROUP_LOOP_BIN for the xgroup_loop test" >&2
  "$ROOT/scripts/build.sh" >&2
  [ -x "$XGROUP_LOOP_BIN" ] || { echo "bench-resp.sh: no $XGROUP_LOOP_BIN" >&2; exit 1; }
fi

WORK="$(mktemp -d)"
KV_PID=""
REDIS_PID=""

cleanup() {
  stop_process "$KV_PID"
  stop_process "$REDIS_PID"
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/kv-data" "$WORK/redis-data"
start_servers() {  # fresh kv-server and redis-server on new ports: KV_PORT/PID, REDIS_PORT/PID
  KV_PORT="$(free_port)"
  KV_ARGS=(--port "$KV_PORT" --native-port 0 --bind "$HOST" --dir "$WORK/kv-data" --appendonly no
           --log-level warning)
  if [ "$KV_THREADS" != auto ]; then
    KV_ARGS+=(--threads "$KV_THREADS")
  fi
  # shellcheck disable=SC2206  # word splitting is the point
  KV_ARGS+=(${KV_EXTRA_ARGS:-})
  "$KV_BIN" "${KV_ARGS[@]}" >"$WORK/kv.log" 2>&1 &
  KV_PID=$!
  wait_ping "$KV_PORT" "$KV_PID" kv-server "$WORK/kv.log"

  REDIS_PORT="$(free_port)"
  while [ "$REDIS_PORT" = "$KV_PORT" ]; do REDIS_PORT="$(free_port)"; done
  "$REDIS_BIN" --port "$REDIS_PORT" --bind "$HOST" --save '' --appendonly no \
    --dir "$WORK/redis-data" --loglevel warning >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  wait_ping "$REDIS_PORT" "$REDIS_PID" redis-server "$WORK/redis.log"
}
stop_servers() {
  stop_process "$KV_PID"
  stop_process "$REDIS_PID"
  wait 2>/dev/null || true
  KV_PID=""
  REDIS_PID=""
}
start_servers

rss_bytes() {
  awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

used_memory() {  # port
  "$CLI" -h "$HOST" -p "$1" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'
}

# results: lines "server test pipeline rps p99 ticks requests"
RESULTS="$WORK/results"
: >"$RESULTS"
# xgroup_loop's entries per second: lines "server pipeline entries_per_second"
XGROUP_RESULTS="$WORK/xgroup"
: >"$XGROUP_RESULTS"

SMALL_SCRIPT="return redis.call('INCR', KEYS[1])"
DROPPED="$WORK/dropped"  # "server test pipeline" of publish runs that lost subscribers
: >"$DROPPED"

bench_run() {  # redis-benchmark arguments -> its CSV: a header line, then a line per test
  # Options go first: after a command redis-benchmark takes every word as the command's.
  if [ -z "${BENCH_THREADS:-}" ]; then
    timeout 900 "$BENCH" --csv "$@"
    return
  fi
  # With --threads redis-benchmark's run time is rounded up to its 250 ms progress tick, and so
  # is its rate: the rate is taken from its last tick (scripts/lib/benchmark-rate.awk), the
  # latencies from its summary, into the CSV's columns. The run's last test is the one measured
  # (-t lrange_100 runs the LPUSH that fills its list first).
  local out rate
  out="$(timeout 900 "$BENCH" --threads "$BENCH_THREADS" "$@" 2>&1 | tr '\r' '\n')"
  if ! grep -q '^ *multi-thread: yes' <<<"$out"; then
    echo "bench-resp.sh: redis-benchmark did not run with --threads $BENCH_THREADS" >&2
    return 1
  fi
  rate="$(awk -f "$ROOT/scripts/lib/benchmark-rate.awk" <<<"$out")"
  awk -v rate="$rate" '
    BEGIN { print "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"" }
    /^====== / { title = $2 }
    /avg +min +p50 +p95 +p99 +max/ && getline > 0 {
      line = sprintf("\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"", title, rate, $1, $2, $3, $4, $5, $6)
    }
    END { if (line != "") print line }' <<<"$out"
}

bench_csv() {  # port test pipeline -> redis-benchmark's CSV
  local port="$1" test="$2" pipe="$3" sha
  local base=(-h "$HOST" -p "$port" -c "$CLIENTS" -n "$N" -P "$pipe")
  case "$test" in
    eval) bench_run "${base[@]}" -r 100000 EVAL "$SMALL_SCRIPT" 1 'counter:__rand_int__' ;;
    evalsha)
      sha="$("$CLI" -h "$HOST" -p "$port" SCRIPT LOAD "$SMALL_SCRIPT")"
      bench_run "${base[@]}" -r 100000 EVALSHA "$sha" 1 'counter:__rand_int__' ;;
    publish*) bench_run "${base[@]}" PUBLISH bench:channel "$PUBLISH_PAYLOAD" ;;
    xadd) bench_run "${base[@]}" XADD bench:stream '*' field value ;;
    xrange10) bench_run "${base[@]}" XRANGE bench:xr - + COUNT 10 ;;
    *) bench_run "${base[@]}" -t "$test" ;;
  esac
}

# One file of N/MULTI_CONNS transactions on random keys, sent by every connection of the multi
# test: redis-cli --pipe streams it and counts the replies.
MULTI_FILE="$WORK/multi.resp"
make_multi_file() {
  awk -v n="$((N / MULTI_CONNS))" 'function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
    BEGIN { srand(1); for (i = 0; i < n; i++) { k = "tx:" int(rand() * 100000)
      printf "*1\r\n"; bulk("MULTI")
      printf "*3\r\n"; bulk("SET"); bulk(k); bulk("v")
      printf "*2\r\n"; bulk("INCR"); bulk(k "n")
      printf "*2\r\n"; bulk("GET"); bulk(k)
      printf "*1\r\n"; bulk("EXEC") } }' >"$MULTI_FILE"
}

multi_rps() {  # port -> transactions per second
  local port="$1" t0 t1 i per out
  per=$((N / MULTI_CONNS))
  t0="$(date +%s%N)"
  for i in $(seq 1 "$MULTI_CONNS"); do
    timeout 900 "$CLI" -h "$HOST" -p "$port" --pipe <"$MULTI_FILE" >"$WORK/multi.$i.out" 2>&1 &
  done
  wait
  t1="$(date +%s%N)"
  for i in $(seq 1 "$MULTI_CONNS"); do
    out="$(cat "$WORK/multi.$i.out")"
    if ! grep -q "errors: 0, replies: $((per * 5))" <<<"$out"; then
      echo "bench-resp.sh: multi against port $port: $out" >&2
      exit 1
    fi
  done
  awk -v n="$((per * MULTI_CONNS))" -v ns="$((t1 - t0))" 'BEGIN { printf "%.2f\n", n / (ns / 1e9) }'
}

SUBS_PID=""
start_subscribers() {  # port count
  local i
  # Removed first: the shell truncates the file in the child, maybe after the first check
  # below has read the previous run's "ready".
  rm -f "$WORK/subs.out"
  "$ROOT/scripts/lib/bench-subscribers.py" "$HOST" "$1" bench:channel "$2" >"$WORK/subs.out" 2>&1 &
  SUBS_PID=$!
  for i in $(seq 1 200); do
    grep -qs '^ready$' "$WORK/subs.out" && return 0
    kill -0 "$SUBS_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench-resp.sh: subscribers did not start:" >&2
  cat "$WORK/subs.out" >&2
  exit 1
}
stop_subscribers() {
  stop_process "$SUBS_PID"
  wait "$SUBS_PID" 2>/dev/null || true
  SUBS_PID=""
}

run_one() {  # server-name port pid test pipeline
  local name="$1" port="$2" pid="$3" test="$4" pipe="$5" before after csv line rps p99 subs=0 numsub
  if [ "$FLUSH_EACH" = 1 ] || [ "$test" = "${TEST_LIST[0]}" ]; then
    "$CLI" -h "$HOST" -p "$port" FLUSHALL >/dev/null
  fi
  if [ "$test" = xrange10 ]; then
    "$CLI" -h "$HOST" -p "$port" DEL bench:xr >/dev/null
    seq 1 "$XRANGE_ENTRIES" | awk '{ print "XADD bench:xr * type done job " $1 " ts 1700000000" }' |
      "$CLI" -h "$HOST" -p "$port" >/dev/null
  fi
  if [[ "$test" == publish* ]]; then
    subs="${test#publish}"
    start_subscribers "$port" "$subs"
  fi
  local requests="$N" out="" entries
  if [ "$test" = xgroup_loop ]; then
    entries="${XGROUP_ENTRIES:-$((N / 2 * pipe))}"
    # The fill is outside the measured CPU, like the XADDs before xrange10.
    if ! out="$(timeout 900 "$XGROUP_LOOP_BIN" -h "$HOST" -p "$port" -n "$entries" --fill 2>&1)"; then
      echo "bench-resp.sh: xgroup-loop --fill against $name: $out" >&2
      exit 1
    fi
  fi
  before="$(cpu_ticks "$pid")"
  if [ "$test" = multi ]; then
    rps="$(multi_rps "$port")"
    p99=n/a
  elif [ "$test" = xgroup_loop ]; then
    if ! out="$(timeout 900 "$XGROUP_LOOP_BIN" -h "$HOST" -p "$port" -c "$CLIENTS" \
        -n "$entries" -P "$pipe" --consume 2>&1)"; then
      echo "bench-resp.sh: xgroup-loop -P $pipe against $name: $out" >&2
      exit 1
    fi
    rps="$(awk '$1 == "requests_per_second" { print $2 }' <<<"$out")"
    p99="$(awk '$1 == "p99_ms" { print $2 }' <<<"$out")"
    requests="$(awk '$1 == "requests" { print $2 }' <<<"$out")"
    local eps
    eps="$(awk '$1 == "entries_per_second" { print $2 }' <<<"$out")"
    echo "$name $pipe $eps" >>"$XGROUP_RESULTS"
    record "$name" "$test P$pipe" entries_per_second "$eps"
  else
    csv="$(bench_csv "$port" "$test" "$pipe")"
  fi
  after="$(cpu_ticks "$pid")"
  if [ "$subs" -gt 0 ]; then
    numsub="$("$CLI" -h "$HOST" -p "$port" PUBSUB NUMSUB bench:channel | tail -n 1)"
    stop_subscribers
    if [ "$numsub" != "$subs" ] || ! grep -q 'closed by the server: 0$' "$WORK/subs.out"; then
      echo "bench-resp.sh: $name $test P=$pipe: the server disconnected subscribers" \
        "($numsub of $subs left; $(tail -n 1 "$WORK/subs.out"))" >&2
      echo "$name $test $pipe" >>"$DROPPED"
    fi
  fi
  if [ "$test" != multi ] && [ "$test" != xgroup_loop ]; then
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    # The line of this test: -t lrange_100 also prints the LPUSH that fills the list first; a
    # command line of our own prints one line after the header.
    case "$test" in
      eval|evalsha|publish*|xadd|xrange10) line="$(sed -n 2p <<<"$csv")" ;;
      *) line="$(grep -i "^\"${test}[\" ]" <<<"$csv" | head -n 1 || true)" ;;
    esac
    rps="$(awk -F'","' '{ print $2 }' <<<"$line")"
    p99="$(awk -F'","' '{ print $7 }' <<<"$line")"
  fi
  if [ -z "$rps" ]; then
    echo "bench-resp.sh: no result from redis-benchmark $test -P $pipe against $name:" >&2
    echo "$csv" >&2
    exit 1
  fi
  printf '%s %s %s %s %s %s %s\n' "$name" "$test" "$pipe" "$rps" "$p99" "$((after - before))" "$requests" >>"$RESULTS"
  local label="$test P$pipe"
  [ "$test" = multi ] && label="multi (tx)"
  record_run "$name" "$label" "$rps" "$p99" "$((after - before))" "$requests"
  printf '  %-6s %-5s P=%-3s %12s rps  p99 %6s ms  cpu %5s ticks\n' "$name" "$test" "$pipe" "$rps" "$p99" "$((after - before))" >&2
}

echo "kv-server: $KV_BIN (port $KV_PORT, threads $KV_THREADS), redis-server $("$REDIS_BIN" --version | awk '{print $3}') (port $REDIS_PORT)" >&2
echo "N=$N ROUNDS=$ROUNDS CLIENTS=$CLIENTS TESTS=$TESTS PIPELINES=$PIPELINES, $(nproc) CPUs" >&2
if [[ ",$TESTS," == *,xgroup_loop,* ]]; then
  echo "xgroup_loop: $XGROUP_LOOP_BIN, entries per run ${XGROUP_ENTRIES:-N/2 x P}" >&2
fi

IFS=, read -r -a TEST_LIST <<<"$TESTS"
if [[ ",$TESTS," == *,multi,* ]]; then
  make_multi_file
fi
FIRST_PIPE="${PIPELINES%% *}"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  for pipe in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
      # The multi test streams its transactions (pipelined by redis-cli): one run per round.
      if [ "$test" = multi ] && [ "$pipe" != "$FIRST_PIPE" ]; then
        continue
      fi
      if [ $((round % 2)) -eq 1 ]; then
        run_one kv "$KV_PORT" "$KV_PID" "$test" "$pipe"
        run_one redis "$REDIS_PORT" "$REDIS_PID" "$test" "$pipe"
      else
        run_one redis "$REDIS_PORT" "$REDIS_PID" "$test" "$pipe"
        run_one kv "$KV_PORT" "$KV_PID" "$test" "$pipe"
      fi
    done
  done
done

# ---------------------------------------------------------------- memory per key
mem_one() {  # name port pid -> "keys rss_delta used_delta"
  local name="$1" port="$2" pid="$3" rss0 used0 rss1 used1 keys
  "$CLI" -h "$HOST" -p "$port" FLUSHALL >/dev/null
  sleep 1
  rss0="$(rss_bytes "$pid")"
  used0="$(used_memory "$port")"
  timeout 900 "$BENCH" -h "$HOST" -p "$port" -t set -n "$MEM_KEYS" -r 100000000 -d 32 -P 16 -q >/dev/null
  sleep 1
  keys="$("$CLI" -h "$HOST" -p "$port" DBSIZE)"
  rss1="$(rss_bytes "$pid")"
  used1="$(used_memory "$port")"
  echo "  $name: $keys keys, RSS $rss0 -> $rss1, used_memory $used0 -> $used1" >&2
  echo "$keys $((rss1 - rss0)) $((${used1:-0} - ${used0:-0}))"
}
if [ "$MEM_KEYS" -gt 0 ]; then
  echo "memory: loading $MEM_KEYS SETs of 32-byte values with random keys" >&2
  read -r KV_KEYS KV_RSS KV_USED < <(mem_one kv "$KV_PORT" "$KV_PID")
  read -r R_KEYS R_RSS R_USED < <(mem_one redis "$REDIS_PORT" "$REDIS_PID")
  record kv "strings (32-byte values)" rss_bytes_per_key "$(ratio "$KV_RSS" "$KV_KEYS")"
  record redis "strings (32-byte values)" rss_bytes_per_key "$(ratio "$R_RSS" "$R_KEYS")"
  record kv "strings (32-byte values)" used_bytes_per_key "$(ratio "$KV_USED" "$KV_KEYS")"
  record redis "strings (32-byte values)" used_bytes_per_key "$(ratio "$R_USED" "$R_KEYS")"
fi

# ---------------------------------------------------------------- memory per element
# Each collection shape is loaded into a fresh pair of servers through redis-cli --pipe (a
# flushed server keeps the RSS of what it held before); figures are RSS and used_memory growth
# per element (the issue's memory table).
declare -A SHAPE_CMD=([lists]=rpush [hashes]=hset [set]=sadd [zset]=zadd [stream]=xadd
                      [streams]=xadd)
declare -A SHAPE_ELEMENTS=([lists]=2000000 [hashes]=1000000 [set]=1000000 [zset]=1000000
                           [stream]=1000000 [streams]=1000000)
MEM_SHAPES="${MEM_SHAPES-lists hashes set zset stream streams}"
for shape in $MEM_SHAPES; do
  if [ -z "${SHAPE_CMD[$shape]+x}" ]; then
    echo "bench-resp.sh: unknown MEM_SHAPES entry '$shape' (lists hashes set zset stream streams; empty for none)" >&2
    exit 2
  fi
done
shape_one() {  # name port pid shape -> "rss_delta used_delta"
  local name="$1" port="$2" pid="$3" shape="$4" rss0 used0 rss1 used1
  "$CLI" -h "$HOST" -p "$port" FLUSHALL >/dev/null
  sleep 1
  rss0="$(rss_bytes "$pid")"
  used0="$(used_memory "$port")"
  awk -v shape="$shape" -f "$ROOT/scripts/lib/mem-shapes.awk" |
    timeout 900 "$CLI" -h "$HOST" -p "$port" --pipe >/dev/null
  sleep 1
  rss1="$(rss_bytes "$pid")"
  used1="$(used_memory "$port")"
  echo "  $name $shape: RSS $rss0 -> $rss1, used_memory $used0 -> $used1" >&2
  echo "$((rss1 - rss0)) $((${used1:-0} - ${used0:-0}))"
}
SHAPE_RESULTS="$WORK/shapes"
: >"$SHAPE_RESULTS"
for shape in $MEM_SHAPES; do
  echo "memory: shape $shape" >&2
  stop_servers
  start_servers
  read -r a b < <(shape_one kv "$KV_PORT" "$KV_PID" "$shape")
  read -r c d < <(shape_one redis "$REDIS_PORT" "$REDIS_PID" "$shape")
  echo "$shape $a $b $c $d" >>"$SHAPE_RESULTS"
  n="${SHAPE_ELEMENTS[$shape]}"
  record kv "$shape" rss_bytes_per_element "$(ratio "$a" "$n")"
  record redis "$shape" rss_bytes_per_element "$(ratio "$c" "$n")"
  record kv "$shape" used_bytes_per_element "$(ratio "$b" "$n")"
  record redis "$shape" used_bytes_per_element "$(ratio "$d" "$n")"
done

# ---------------------------------------------------------------- report
col() {  # server test pipe column(4 rps, 5 p99, 6 ticks)
  awk -v s="$1" -v t="$2" -v p="$3" -v c="$4" '$1 == s && $2 == t && $3 == p { print $c }' "$RESULTS"
}
cpu_us() {  # server test pipe -> median CPU microseconds per request
  awk -v s="$1" -v t="$2" -v p="$3" -v hz="$CLK_TCK" \
    '$1 == s && $2 == t && $3 == p { printf "%.4f\n", $6 / hz * 1e6 / $7 }' "$RESULTS" | median
}

echo
echo "## RESP benchmark: kv-server vs redis-server $("$REDIS_BIN" --version | awk '{print $3}' | cut -d= -f2)"
echo
echo "redis-benchmark -c $CLIENTS -n $N${BENCH_THREADS:+ --threads $BENCH_THREADS}, median of $ROUNDS interleaved rounds; $(nproc) CPUs; kv-server --threads $KV_THREADS."
echo "CPU = server user+system time per request (µs), from /proc/PID/stat."
echo
echo "| test | P | kv rps | redis rps | kv/redis | kv p99 ms | redis p99 ms | kv CPU µs/req | redis CPU µs/req | CPU kv/redis |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for pipe in $PIPELINES; do
  for test in "${TEST_LIST[@]}"; do
    if [ "$test" = multi ] && [ "$pipe" != "$FIRST_PIPE" ]; then
      continue
    fi
    kv_rps="$(col kv "$test" "$pipe" 4 | median)"
    r_rps="$(col redis "$test" "$pipe" 4 | median)"
    kv_p99="$(col kv "$test" "$pipe" 5 | median)"
    r_p99="$(col redis "$test" "$pipe" 5 | median)"
    kv_cpu="$(cpu_us kv "$test" "$pipe")"
    r_cpu="$(cpu_us redis "$test" "$pipe")"
    label="$test"
    shown_pipe="$pipe"
    if [ "$test" = multi ]; then
      label="multi (tx/s, redis-cli --pipe x $MULTI_CONNS)"
      shown_pipe=-
      kv_p99=n/a
      r_p99=n/a
    fi
    if grep -q " $test " "$DROPPED"; then
      label+=" (subscribers dropped: $(awk -v t="$test" '$2 == t { print $1 }' "$DROPPED" | sort -u | tr '\n' ' '))"
    fi
    printf '| %s | %s | %.0f | %.0f | %s | %s | %s | %.3f | %.3f | %s |\n' \
      "$label" "$shown_pipe" "$kv_rps" "$r_rps" "$(ratio "$kv_rps" "$r_rps")" "$kv_p99" "$r_p99" \
      "$kv_cpu" "$r_cpu" "$(ratio "$kv_cpu" "$r_cpu")"
  done
done
if [ -s "$XGROUP_RESULTS" ]; then
  echo
  echo "xgroup_loop: bench/xgroup_loop.c, $CLIENTS consumers of one group consume ${XGROUP_ENTRIES:-N/2 x COUNT} entries"
  echo "(XREADGROUP COUNT P, then XACK of what it got); rps above counts XREADGROUPs + XACKs, p99 is per request."
  echo
  echo "| xgroup_loop | COUNT | kv entries/s | redis entries/s | kv/redis |"
  echo "|---|---|---:|---:|---:|"
  for pipe in $PIPELINES; do
    kv_eps="$(awk -v p="$pipe" '$1 == "kv" && $2 == p { print $3 }' "$XGROUP_RESULTS" | median)"
    r_eps="$(awk -v p="$pipe" '$1 == "redis" && $2 == p { print $3 }' "$XGROUP_RESULTS" | median)"
    printf '| xgroup_loop | %s | %.0f | %.0f | %s |\n' "$pipe" "$kv_eps" "$r_eps" "$(ratio "$kv_eps" "$r_eps")"
  done
fi
if [ "$MEM_KEYS" -gt 0 ]; then
  echo
  echo "Memory after redis-benchmark -t set -n $MEM_KEYS -r 100000000 -d 32 -P 16 (from FLUSHALL):"
  echo
  echo "| metric | kv-server | redis | kv/redis |"
  echo "|---|---:|---:|---:|"
  echo "| keys (DBSIZE) | $KV_KEYS | $R_KEYS | |"
  kv_rss_pk="$(ratio "$KV_RSS" "$KV_KEYS")"
  r_rss_pk="$(ratio "$R_RSS" "$R_KEYS")"
  kv_used_pk="$(ratio "$KV_USED" "$KV_KEYS")"
  r_used_pk="$(ratio "$R_USED" "$R_KEYS")"
  echo "| RSS bytes/key | $kv_rss_pk | $r_rss_pk | $(ratio "$kv_rss_pk" "$r_rss_pk") |"
  echo "| used_memory bytes/key | $kv_used_pk | $r_used_pk | $(ratio "$kv_used_pk" "$r_used_pk") |"
fi
if [ -s "$SHAPE_RESULTS" ]; then
  echo
  echo "Collections, bytes per element after loading each shape into a fresh server (scripts/lib/mem-shapes.awk):"
  echo
  echo "| shape | elements | kv RSS B/elem | redis RSS B/elem | kv/redis | kv used_memory B/elem | redis used_memory B/elem | kv/redis |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  while read -r shape kv_rss kv_used r_rss r_used; do
    n="${SHAPE_ELEMENTS[$shape]}"
    a="$(ratio "$kv_rss" "$n")"; b="$(ratio "$r_rss" "$n")"
    c="$(ratio "$kv_used" "$n")"; d="$(ratio "$r_used" "$n")"
    echo "| $shape | $n | $a | $b | $(ratio "$a" "$b") | $c | $d | $(ratio "$c" "$d") |"
  done <"$SHAPE_RESULTS"
fi

bench_report bench-resp N="$N" ROUNDS="$ROUNDS" CLIENTS="$CLIENTS" TESTS="$TESTS" \
  PIPELINES="$PIPELINES" MEM_KEYS="$MEM_KEYS" KV_THREADS="$KV_THREADS" \
  BENCH_THREADS="${BENCH_THREADS:-}" \
  XRANGE_ENTRIES="$XRANGE_ENTRIES" XGROUP_ENTRIES="${XGROUP_ENTRIES:-N/2 x P}" \
  redis_version="$("$REDIS_BIN" --version | awk '{print $3}' | cut -d= -f2)"
