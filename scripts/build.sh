#!/usr/bin/env bash
# Builds kv-server with meson + ninja. Works from any cwd.
#
# Env:
#   KV_BUILD_DIR  build directory, relative to the repo root or absolute (default: build,
#                 or build-asan when KV_SANITIZE=1)
#   KV_SANITIZE=1 AddressSanitizer + UBSan build (debugoptimized, system allocator)
#   KV_SANITIZE=thread  ThreadSanitizer build in build-tsan (debugoptimized, system allocator)
#   CI=true       warnings are errors (-Dwerror=true)
#   KV_SKIP_DEPS=1 do not run scripts/deps.sh
# Extra arguments are passed to `meson setup` (e.g. -Dnative_arch=true).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "${KV_SKIP_DEPS:-0}" != 1 ]; then
  "$ROOT/scripts/deps.sh"
fi

OPTS=()
if [ "${KV_SANITIZE:-0}" = thread ]; then
  BUILD_DIR="${KV_BUILD_DIR:-build-tsan}"
  OPTS+=(-Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized -Dallocator=system)
elif [ "${KV_SANITIZE:-0}" = 1 ]; then
  BUILD_DIR="${KV_BUILD_DIR:-build-asan}"
  # shellcheck disable=SC2054  # the comma belongs to the meson value
  OPTS+=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized)
  # jemalloc and ASan both want to own malloc: use the C library allocator under ASan.
  if grep -q "option('allocator'" meson_options.txt 2>/dev/null; then
    OPTS+=(-Dallocator=system)
  fi
else
  BUILD_DIR="${KV_BUILD_DIR:-build}"
fi
# Always explicit, so a reconfigure also turns it back off.
if [ "${CI:-}" = true ]; then
  OPTS+=(-Dwerror=true)
else
  OPTS+=(-Dwerror=false)
fi
OPTS+=("$@")

# Reconfigure only when the option set differs from the one the directory was set up with.
STAMP="$BUILD_DIR/.kv-build-options"
WANT="${OPTS[*]:-}"
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ ! -f "$BUILD_DIR/meson-private/coredata.dat" ]; then
  echo "build.sh: meson setup $BUILD_DIR ${WANT}" >&2
  rm -f "$STAMP"
  meson setup "$BUILD_DIR" "${OPTS[@]}"
  printf '%s\n' "$WANT" >"$STAMP"
elif [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "build.sh: meson setup --reconfigure $BUILD_DIR ${WANT}" >&2
  meson setup --reconfigure "$BUILD_DIR" "${OPTS[@]}"
  printf '%s\n' "$WANT" >"$STAMP"
fi

ninja -C "$BUILD_DIR"
