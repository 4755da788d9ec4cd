#!/usr/bin/env bash
# Runs the date-sensitive tests (scheduling, catch-up, freshness, the service
# end to end) with every process's clock moved to instants that break date
# logic: after the 06:00 São Paulo tick, a São Paulo evening that is already
# the next day in UTC, and the year's last evening. libfaketime (Debian
# package `faketime`) shifts the clock by a fixed offset, so the test runner,
# the CLI and the service it spawns all agree on the time (Redis keeps the
# real one, as it would on another machine).
#
#   bash scripts/test-at-instants.sh [instant ...]   # default: the three below
set -euo pipefail
cd "$(dirname "$0")/.."

LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1 || true)
if [ -z "$LIB" ]; then
  echo "libfaketime is missing: apt-get install -y faketime" >&2
  exit 2
fi

FILES=(test/e2e/service.test.ts test/integration/queue-ops.test.ts test/integration/queue-run.test.ts test/integration/freshness.test.ts)
INSTANTS=("$@")
[ ${#INSTANTS[@]} -gt 0 ] || INSTANTS=("2026-11-29 10:00:00" "2026-11-30 02:30:00" "2027-01-01 02:30:00")

for instant in "${INSTANTS[@]}"; do
  target=$(date -u -d "$instant" +%s)
  offset=$(( target - $(date -u +%s) ))
  echo "== tests at ${instant} UTC (clock offset ${offset}s)"
  LD_PRELOAD="$LIB" FAKETIME="$(printf %+d "$offset")s" FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC \
    npx vitest run "${FILES[@]}"
done
