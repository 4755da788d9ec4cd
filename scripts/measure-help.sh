#!/usr/bin/env bash
# CPU time (user + system) of a CLI call, `crm-materializer --help` by default,
# and which drivers and service libraries it loads (with strace, when installed).
#   scripts/measure-help.sh                 # 10 runs of --help
#   RUNS=5 scripts/measure-help.sh sql render --engine duckdb
# Needs a build (npm run build). Prints the mean, the min and the max.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli.js ] || { echo "dist/ is missing: run npm run build" >&2; exit 2; }
runs="${RUNS:-10}"
args=("$@")
[ "${#args[@]}" -eq 0 ] && args=(--help)
times=$(mktemp)
trap 'rm -f "$times" "$times.strace"' EXIT
for _ in $(seq "$runs"); do
  /usr/bin/time -a -o "$times" -f '%U %S' node bin/crm-materializer.js "${args[@]}" >/dev/null 2>&1 || true
done
awk -v what="crm-materializer ${args[*]}" -v n="$runs" '
  { t = $1 + $2; s += t; if (NR == 1 || t < min) min = t; if (t > max) max = t }
  END { printf "%s: %.2f s CPU (user+sys), mean of %d runs (min %.2f, max %.2f)\n", what, s / n, n, min, max }' "$times"
if command -v strace >/dev/null; then
  strace -f -qq -e trace=openat -o "$times.strace" node bin/crm-materializer.js "${args[@]}" >/dev/null 2>&1 || true
  for pkg in @databricks/sql @duckdb/node-api bullmq ioredis express @bull-board/api prom-client; do
    if grep -q "node_modules/$pkg/" "$times.strace"; then echo "  loads $pkg"; else echo "  does not load $pkg"; fi
  done
fi
