#!/usr/bin/env bash
# Builds the libFuzzer targets (test/fuzz/, clang + ASan/UBSan, build-fuzz/) and runs each for a
# bounded time on a copy of its seed corpus. Prints one line per target and, last,
# `N passed, M failed`; exits non-zero when a target crashed, leaked, failed an oracle or could
# not be built. A crash leaves its input in build-fuzz/artifacts/<target>/ (replay it with
# `build-fuzz/test/fuzz/fuzz_<target> <file>`); add it to test/fuzz/corpus/<target>/ once fixed.
#
# Env:
#   KV_FUZZ_SECONDS  seconds per target (default 30)
#   KV_FUZZ_TARGETS  space-separated subset (default: every target)
#   KV_SKIP_DEPS=1   do not run scripts/deps.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${KV_SKIP_DEPS:-0}" != 1 ]; then
  "$ROOT/scripts/deps.sh"
fi

SECONDS_PER_TARGET="${KV_FUZZ_SECONDS:-30}"
TARGETS=(${KV_FUZZ_TARGETS:-resp_parser native_frame wal_segment snapshot rdb_value config kv_cli_literal hll stream stream_args})
BUILD=build-fuzz

if [ ! -f "$BUILD/build.ninja" ]; then
  # shellcheck disable=SC2054  # the comma belongs to the meson value
  CC=clang CXX=clang++ meson setup "$BUILD" -Dfuzz=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dallocator=system >/dev/null
fi

passed=0
failed=0
ninja_targets=()
for t in "${TARGETS[@]}"; do ninja_targets+=("test/fuzz/fuzz_$t"); done
if ! ninja -C "$BUILD" "${ninja_targets[@]}" >"$BUILD/fuzz-build.log" 2>&1; then
  tail -n 30 "$BUILD/fuzz-build.log"
  echo "fuzz targets did not build"
  echo "0 passed, ${#TARGETS[@]} failed"
  exit 1
fi

for t in "${TARGETS[@]}"; do
  corpus="$BUILD/corpus/$t"
  artifacts="$BUILD/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  # New inputs the run finds stay in the build directory; the seeds in git are read only.
  log="$BUILD/fuzz-$t.log"
  if UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$BUILD/test/fuzz/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus" "test/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || echo "?")
    printf 'fuzz_%-16s ok      %10s runs  cov %6s  %ss\n' "$t" "$runs" "$cov" "$SECONDS_PER_TARGET"
    passed=$((passed + 1))
  else
    printf 'fuzz_%-16s FAILED  (log: %s, inputs: %s)\n' "$t" "$log" "$artifacts"
    grep -E 'ERROR|check failed|SUMMARY|runtime error' "$log" | head -n 10 || true
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
