#!/usr/bin/env bash
# Installs dependencies, builds, and runs kv-server in the foreground with its data in ./data
# (relative to the repo root). Extra arguments go to kv-server, e.g.:
#   scripts/run.sh --port 6381 --appendonly no --threads 2
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/build.sh" >&2
BUILD_DIR="${KV_BUILD_DIR:-build}"
if [ "${KV_SANITIZE:-0}" = 1 ]; then
  BUILD_DIR="${KV_BUILD_DIR:-build-asan}"
fi
mkdir -p ./data
exec "$BUILD_DIR/kv-server" --dir ./data "$@"
