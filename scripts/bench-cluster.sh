#!/usr/bin/env bash
# Cluster benchmark: the aggregate rate of NODES servers behind the Redis Cluster protocol
# against one server, for kv-server and Debian's redis-server side by side, in the same run.
#
# Four configurations, all started at the beginning, on free ports of 127.0.0.1, in memory:
#   kv 1 server      kv-server without cluster mode
#   kv N nodes       NODES kv-servers with --cluster-enabled yes; the slot map (16384 slots cut
#                    into NODES equal ranges) comes from a nodes.conf the script writes into
#                    each node's directory (kv-server has no cluster bus: docs/scale-out.md)
#   redis 1 server   redis-server without cluster mode
#   redis N nodes    NODES redis-servers with --cluster-enabled yes: CLUSTER ADDSLOTSRANGE on
#                    each, CLUSTER MEET from the first, until every node says cluster_state:ok
#                    and knows NODES nodes
# Each round runs, for every pipeline depth and test, redis-benchmark -c CLIENTS -n N
# -r KEYSPACE -P <depth> -t <test> against each configuration (--cluster for the clusters:
# redis-benchmark reads CLUSTER NODES from the first node, spreads its connections over the
# nodes and tags each key with a slot of its connection's node), the order of the four reversed
# every other round, every node flushed before each run.
#
# The client is the same for all four: redis-benchmark --threads BENCH_THREADS (in cluster mode
# it always runs threads, one per node by default). With threads it stops only at its 250 ms
# progress tick, so the time it reports is rounded up to a multiple of 250 ms: a 1.6 s run
# reads up to 15% low. The rate taken is therefore the "overall" one of its last progress line
# before the end (requests done / time since the start, at that tick), which leaves out only
# the last, draining, part of a run (scripts/lib/benchmark-rate.awk).
#
# A run fails when a node answered an error (INFO stats total_error_replies) or a write test
# left no keys, and the whole benchmark when a cluster node served none of some test's commands
# (INFO commandstats).
#
# Reported per test and configuration (medians of ROUNDS): aggregate requests/s; the servers'
# CPU per request (utime+stime of every server process of the configuration from
# /proc/PID/stat, summed, over the requests); redis-benchmark's own CPU per request; the ratio
# N nodes / 1 server of each server kind (the median of the rounds' ratios, each round's two
# runs being back to back) and kv/redis. On a machine with few cores the nodes and the client
# share them: the aggregate rate cannot grow much there, CPU per request is what tells what a
# larger machine gives (docs/scale-out.md, "Sizing").
#
# Env: N (200000, requests per run), N_PIPELINED (requests per run at depths above 1; default
# N: pipelined runs are several times faster), ROUNDS (3), CLIENTS (50), TESTS
# (set,get,incr,lpush: redis-benchmark -t names), PIPELINES ("1 16"), KEYSPACE (1000000, -r),
# NODES (3), KINDS ("kv redis"),
# BENCH_THREADS (redis-benchmark --threads, every configuration; default NODES), KV_THREADS
# (kv-server --threads of every kv process; default auto, its own), KV_EXTRA_ARGS (more
# kv-server arguments, word-split), KV_BIN (default: build it, then build/kv-server),
# BENCH_OUT (directory of bench-cluster.json: every round's figures and the medians).
#
# Arguments: --plot also draws bench-cluster-<metric>.png beside the JSON.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib/bench-common.sh
source "$ROOT/scripts/lib/bench-common.sh"
parse_bench_args "$@"

N="${N:-200000}"
N_PIPELINED="${N_PIPELINED:-$N}"
ROUNDS="${ROUNDS:-3}"
CLIENTS="${CLIENTS:-50}"
TESTS="${TESTS:-set,get,incr,lpush}"
PIPELINES="${PIPELINES:-1 16}"
KEYSPACE="${KEYSPACE:-1000000}"
NODES="${NODES:-3}"
KINDS="${KINDS:-kv redis}"
BENCH_THREADS="${BENCH_THREADS:-$NODES}"
KV_THREADS="${KV_THREADS:-auto}"
# shellcheck disable=SC2206  # word splitting is the point
KV_EXTRA=(${KV_EXTRA_ARGS:-})
REDIS_BIN=/usr/bin/redis-server
BENCH=/usr/bin/redis-benchmark
CLI=/usr/bin/redis-cli
HOST=127.0.0.1

[ "$NODES" -ge 2 ] || { echo "bench-cluster.sh: NODES must be at least 2" >&2; exit 2; }
resolve_kv_bin
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do stop_process "$p"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CLUSTER_LABEL="$NODES nodes"
# Per configuration ("kv single", "kv cluster", ...): its ports and pids, space separated,
# the first port being where redis-benchmark starts.
declare -A CFG_PORTS CFG_PIDS

cli() { local port="$1"; shift; "$CLI" -h "$HOST" -p "$port" "$@"; }
info_field() {  # port section field
  cli "$1" INFO "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f { print $2 }'
}

# A free port not yet handed out in this run (free_port frees the port it found at once).
declare -A USED_PORTS
NEW_PORT=""
new_port() {  # sets NEW_PORT (not $(...): the set of ports handed out must persist)
  NEW_PORT="$(free_port)"
  while [ -n "${USED_PORTS[$NEW_PORT]:-}" ]; do NEW_PORT="$(free_port)"; done
  USED_PORTS[$NEW_PORT]=1
}

# Node i of NODES serves slots [i*16384/NODES, (i+1)*16384/NODES - 1].
slot_range() {  # i -> "first last"
  echo "$(($1 * 16384 / NODES)) $((($1 + 1) * 16384 / NODES - 1))"
}

# Until every node of the configuration says cluster_state:ok and knows all NODES nodes.
wait_cluster_ok() {  # cfg
  local port ok
  for _ in $(seq 1 600); do
    ok=1
    for port in ${CFG_PORTS[$1]}; do
      if [ "$(info_cluster "$port" cluster_state)" != ok ] ||
         [ "$(info_cluster "$port" cluster_known_nodes)" != "$NODES" ]; then
        ok=0
        break
      fi
    done
    [ "$ok" = 1 ] && return 0
    sleep 0.05
  done
  echo "bench-cluster.sh: $1 not ok after 30 s:" >&2
  for port in ${CFG_PORTS[$1]}; do cli "$port" CLUSTER INFO | head -n 3 >&2; done
  exit 1
}
info_cluster() {  # port field: a field of CLUSTER INFO
  cli "$1" CLUSTER INFO | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}

start_single() {  # kind
  local port pid
  new_port
  port="$NEW_PORT"
  if [ "$1" = kv ]; then
    pid="$(start_memory_server kv "$port" "$WORK/kv-single" "${KV_EXTRA[@]}")"
  else
    pid="$(start_memory_server redis "$port" "$WORK/redis-single")"
  fi
  PIDS+=("$pid")
  wait_ping "$port" "$pid" "$1 single server" "$WORK/$1-single/log"
  CFG_PORTS["$1 single"]="$port"
  CFG_PIDS["$1 single"]="$pid"
}

start_kv_cluster() {
  local i ports=() cports=() pids=() conf="$WORK/kv-nodes.conf" id first last pid
  for i in $(seq 0 $((NODES - 1))); do
    new_port
    ports+=("$NEW_PORT")
    new_port  # only shown by CLUSTER NODES: there is no bus to listen on
    cports+=("$NEW_PORT")
  done
  : >"$conf"
  for i in $(seq 0 $((NODES - 1))); do
    id="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
    read -r first last < <(slot_range "$i")
    echo "$id $HOST:${ports[$i]}@${cports[$i]} master - 0 0 $((i + 1)) connected $first-$last" >>"$conf"
  done
  for i in $(seq 0 $((NODES - 1))); do
    # Each node its own copy: a node writes its file back (the myself flag) at start.
    mkdir -p "$WORK/kv-node$i"
    cp "$conf" "$WORK/kv-node$i/nodes.conf"
    pid="$(start_memory_server kv "${ports[$i]}" "$WORK/kv-node$i" --cluster-enabled yes \
      "${KV_EXTRA[@]}")"
    PIDS+=("$pid")
    pids+=("$pid")
  done
  for i in $(seq 0 $((NODES - 1))); do
    wait_ping "${ports[$i]}" "${pids[$i]}" "kv node $i" "$WORK/kv-node$i/log"
  done
  CFG_PORTS["kv cluster"]="${ports[*]}"
  CFG_PIDS["kv cluster"]="${pids[*]}"
  wait_cluster_ok "kv cluster"
}

start_redis_cluster() {
  local i ports=() cports=() pids=() first last pid
  for i in $(seq 0 $((NODES - 1))); do
    new_port
    ports+=("$NEW_PORT")
    new_port  # the bus port: port + 10000 may be past 65535 or taken
    cports+=("$NEW_PORT")
    pid="$(start_memory_server redis "${ports[$i]}" "$WORK/redis-node$i" --cluster-enabled yes \
      --cluster-port "${cports[$i]}" --cluster-config-file nodes.conf)"
    PIDS+=("$pid")
    pids+=("$pid")
  done
  for i in $(seq 0 $((NODES - 1))); do
    wait_ping "${ports[$i]}" "${pids[$i]}" "redis node $i" "$WORK/redis-node$i/log"
    read -r first last < <(slot_range "$i")
    cli "${ports[$i]}" CLUSTER ADDSLOTSRANGE "$first" "$last" >/dev/null
  done
  for i in $(seq 1 $((NODES - 1))); do
    cli "${ports[0]}" CLUSTER MEET "$HOST" "${ports[$i]}" "${cports[$i]}" >/dev/null
  done
  CFG_PORTS["redis cluster"]="${ports[*]}"
  CFG_PIDS["redis cluster"]="${pids[*]}"
  wait_cluster_ok "redis cluster"
}

CONFIGS=()
for kind in $KINDS; do
  case "$kind" in
    kv) start_single kv; start_kv_cluster ;;
    redis) start_single redis; start_redis_cluster ;;
    *) echo "bench-cluster.sh: unknown KINDS entry '$kind' (kv redis)" >&2; exit 2 ;;
  esac
  CONFIGS+=("$kind single" "$kind cluster")
done

label() {  # cfg -> its name in tables and the JSON
  case "$1" in
    *single) echo "1 server" ;;
    *) echo "$CLUSTER_LABEL" ;;
  esac
}

errors_total() {  # cfg: error replies so far, summed over its nodes
  local port total=0
  for port in ${CFG_PORTS[$1]}; do
    total=$((total + $(info_field "$port" stats total_error_replies)))
  done
  echo "$total"
}

# results: lines "kind cfg test pipe round rps cpu_us_per_req client_us_per_req"
RESULTS="$WORK/results"
: >"$RESULTS"

run_one() {  # cfg test pipe round
  local cfg="$1" test="$2" pipe="$3" round="$4" kind="${1%% *}" port ports pids first
  local before after err0 err1 out rps p99 keys cluster=()
  local n="$N"
  [ "$pipe" -gt 1 ] && n="$N_PIPELINED"
  ports="${CFG_PORTS[$cfg]}"
  pids="${CFG_PIDS[$cfg]}"
  first="${ports%% *}"
  for port in $ports; do cli "$port" FLUSHALL >/dev/null; done
  [[ "$cfg" == *cluster ]] && cluster=(--cluster)
  err0="$(errors_total "$cfg")"
  # shellcheck disable=SC2086  # pids: one word each
  before="$(cpu_ticks $pids)"
  children_cpu_us
  local client0="$CHILDREN_CPU_US"
  out="$(timeout 900 "$BENCH" "${cluster[@]}" -h "$HOST" -p "$first" -c "$CLIENTS" -n "$n" \
    -r "$KEYSPACE" -P "$pipe" --threads "$BENCH_THREADS" -t "$test" 2>"$WORK/bench.err" |
    tr '\r' '\n' || true)"
  children_cpu_us
  # shellcheck disable=SC2086
  after="$(cpu_ticks $pids)"
  err1="$(errors_total "$cfg")"
  rps="$(awk -f "$ROOT/scripts/lib/benchmark-rate.awk" <<<"$out")"
  p99="$(awk 'seen { print $5; exit } $1 == "avg" && $5 == "p99" { seen = 1 }' <<<"$out")"
  if [ -z "$rps" ] || ! grep -q "throughput summary" <<<"$out"; then
    echo "bench-cluster.sh: no result from redis-benchmark -t $test -P $pipe against $cfg:" >&2
    cat - "$WORK/bench.err" <<<"$out" >&2
    exit 1
  fi
  if [ "$err1" != "$err0" ]; then
    echo "bench-cluster.sh: $cfg answered $((err1 - err0)) errors to -t $test -P $pipe" >&2
    for port in $ports; do cli "$port" INFO errorstats >&2; done
    exit 1
  fi
  if [ "$test" != get ]; then
    keys=0
    for port in $ports; do keys=$((keys + $(cli "$port" DBSIZE))); done
    if [ "$keys" -eq 0 ]; then
      echo "bench-cluster.sh: $cfg holds no keys after -t $test -P $pipe" >&2
      exit 1
    fi
  fi
  local label_test
  label_test="$test P$pipe, $(label "$cfg")"
  record_run "$kind" "$label_test" "$rps" "$p99" "$((after - before))" "$n"
  local cpu client
  cpu="$(awk -v t="$((after - before))" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { printf "%.4f", t / hz * 1e6 / n }')"
  client="$(awk -v us="$((CHILDREN_CPU_US - client0))" -v n="$n" 'BEGIN { printf "%.4f", us / n }')"
  record "$kind" "$label_test" client_cpu_us_per_req "$client"
  echo "$kind ${cfg#* } $test $pipe $round $rps $cpu $client" >>"$RESULTS"
  printf '  %-13s %-6s P=%-3s %12s rps  server cpu %7s µs/req  client %7s µs/req\n' \
    "$cfg" "$test" "$pipe" "$rps" "$cpu" "$client" >&2
}

echo "kv-server: $KV_BIN (threads $KV_THREADS), redis-server $("$REDIS_BIN" --version | awk '{print $3}' | cut -d= -f2)" >&2
echo "N=$N N_PIPELINED=$N_PIPELINED ROUNDS=$ROUNDS CLIENTS=$CLIENTS TESTS=$TESTS PIPELINES=$PIPELINES NODES=$NODES, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for cfg in "${CONFIGS[@]}"; do echo "  $cfg: ports ${CFG_PORTS[$cfg]}" >&2; done

IFS=, read -r -a TEST_LIST <<<"$TESTS"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  order=("${CONFIGS[@]}")
  if [ $((round % 2)) -eq 0 ]; then
    order=()
    for ((i = ${#CONFIGS[@]} - 1; i >= 0; i--)); do order+=("${CONFIGS[$i]}"); done
  fi
  for pipe in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
      for cfg in "${order[@]}"; do run_one "$cfg" "$test" "$pipe" "$round"; done
    done
  done
done

# Every node of a cluster must have served every test: redis-benchmark spread its connections
# over all of them. Checked over the whole run, since a tiny N can finish before some of a
# node's connections send their first request.
for cfg in "${CONFIGS[@]}"; do
  [[ "$cfg" == *cluster ]] || continue
  for port in ${CFG_PORTS[$cfg]}; do
    for test in "${TEST_LIST[@]}"; do
      calls="$(cli "$port" INFO commandstats | tr -d '\r' |
        awk -F'[:=,]' -v c="cmdstat_$test" '$1 == c { print $3 }')"
      if [ "${calls:-0}" -eq 0 ]; then
        echo "bench-cluster.sh: $cfg: the node on port $port served no ${test^^}" >&2
        exit 1
      fi
    done
  done
done

# ---------------------------------------------------------------- report
col() {  # kind cfg test pipe column (6 rps, 7 server cpu, 8 client cpu): one value per round
  awk -v k="$1" -v c="$2" -v t="$3" -v p="$4" -v n="$5" \
    '$1 == k && $2 == c && $3 == t && $4 == p { print $n }' "$RESULTS"
}
# Each round's cluster/single ratio of a column (the two runs of a round are close in time).
round_ratios() {  # kind test pipe column
  awk -v k="$1" -v t="$2" -v p="$3" -v n="$4" '$1 == k && $3 == t && $4 == p {
      v[$2 " " $5] = $n; r[$5] = 1 }
    END { for (x in r) if (v["single " x] + 0 != 0) printf "%.4f\n", v["cluster " x] / v["single " x] }' "$RESULTS"
}
fmt() { awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f", d, x }'; }

for kind in $KINDS; do
  for pipe in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
      while read -r ratio; do record "$kind" "$test P$pipe" rps_cluster_over_single "$ratio"; done \
        < <(round_ratios "$kind" "$test" "$pipe" 6)
      while read -r ratio; do record "$kind" "$test P$pipe" cpu_cluster_over_single "$ratio"; done \
        < <(round_ratios "$kind" "$test" "$pipe" 7)
    done
  done
done

declare -A MED
for kind in $KINDS; do
  for pipe in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
      for c in single cluster; do
        for n in 6 7 8; do MED["$kind $c $test $pipe $n"]="$(col "$kind" "$c" "$test" "$pipe" "$n" | median)"; done
      done
      MED["$kind scale $test $pipe 6"]="$(round_ratios "$kind" "$test" "$pipe" 6 | median)"
      MED["$kind scale $test $pipe 7"]="$(round_ratios "$kind" "$test" "$pipe" 7 | median)"
    done
  done
done

table() {  # column title digits
  local n="$1" kind header="| test | P |" rule="|---|---|" row
  for kind in $KINDS; do
    header+=" $kind 1 server | $kind $CLUSTER_LABEL | $kind $NODES/1 |"
    rule+="---:|---:|---:|"
  done
  if [[ " $KINDS " == *" kv "* && " $KINDS " == *" redis "* ]]; then
    header+=" kv/redis 1 server | kv/redis $CLUSTER_LABEL |"
    rule+="---:|---:|"
  fi
  echo
  echo "$2"
  echo
  echo "$header"
  echo "$rule"
  for pipe in $PIPELINES; do
    for test in "${TEST_LIST[@]}"; do
      row="| $test | $pipe |"
      for kind in $KINDS; do
        row+=" $(fmt "${MED["$kind single $test $pipe $n"]}" "$3") | $(fmt "${MED["$kind cluster $test $pipe $n"]}" "$3") |"
        if [ "$n" = 8 ]; then
          row+=" $(ratio "${MED["$kind cluster $test $pipe $n"]}" "${MED["$kind single $test $pipe $n"]}") |"
        else
          row+=" $(fmt "${MED["$kind scale $test $pipe $n"]}" 2) |"
        fi
      done
      if [[ " $KINDS " == *" kv "* && " $KINDS " == *" redis "* ]]; then
        row+=" $(ratio "${MED["kv single $test $pipe $n"]}" "${MED["redis single $test $pipe $n"]}") |"
        row+=" $(ratio "${MED["kv cluster $test $pipe $n"]}" "${MED["redis cluster $test $pipe $n"]}") |"
      fi
      echo "$row"
    done
  done
}

echo
echo "## Cluster benchmark: $NODES nodes against 1 server"
echo
echo "redis-benchmark -c $CLIENTS -n $N (-P 1) / $N_PIPELINED (deeper) -r $KEYSPACE --threads $BENCH_THREADS"
echo "(--cluster for the clusters), median of $ROUNDS"
echo "interleaved rounds; $(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg);"
echo "kv-server --threads $KV_THREADS on every process. Rates: redis-benchmark's overall rate at its"
echo "last progress tick (scripts/lib/benchmark-rate.awk). $NODES/1: median of the rounds' ratios."
table 6 "Aggregate requests/s:" 0
table 7 "Server CPU per request, µs (user+system of every server process of the configuration):" 3
table 8 "redis-benchmark's CPU per request, µs:" 3

bench_report bench-cluster N="$N" N_PIPELINED="$N_PIPELINED" ROUNDS="$ROUNDS" CLIENTS="$CLIENTS" TESTS="$TESTS" \
  PIPELINES="$PIPELINES" KEYSPACE="$KEYSPACE" NODES="$NODES" KV_THREADS="$KV_THREADS" \
  BENCH_THREADS="$BENCH_THREADS" \
  redis_version="$("$REDIS_BIN" --version | awk '{print $3}' | cut -d= -f2)"
