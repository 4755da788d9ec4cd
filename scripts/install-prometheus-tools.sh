#!/usr/bin/env bash
# Installs promtool and amtool, which test/integration/alerting.test.ts needs
# to check and unit-test deploy/prometheus and deploy/alertmanager.
#
# They come from Debian's packages:
#   prometheus               -> /usr/bin/promtool (and the prometheus server)
#   prometheus-alertmanager  -> /usr/bin/amtool   (and prometheus-alertmanager)
#
# Idempotent: installs only what is missing; does nothing when both tools are
# on PATH. Exits non-zero with a message saying why when it cannot install.
#
# The packages ship systemd units for a prometheus server (:9090) and an
# alertmanager (:9093). Nothing here should keep them running: recommends
# (prometheus-node-exporter, another daemon) are not installed, a
# policy-rc.d that exits 101 keeps the maintainer scripts from starting the
# services, and any daemon that still started during this install is stopped.
set -euo pipefail

log() { printf 'install-prometheus-tools: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

declare -A package_of=([promtool]=prometheus [amtool]=prometheus-alertmanager)

missing_packages=()
for tool in promtool amtool; do
  if command -v "$tool" >/dev/null 2>&1; then
    log "$tool already installed: $(command -v "$tool")"
  else
    missing_packages+=("${package_of[$tool]}")
  fi
done

if [ "${#missing_packages[@]}" -eq 0 ]; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || die "apt-get not found: install the Debian/Ubuntu packages ${missing_packages[*]} (or put promtool and amtool on PATH) by other means"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 \
    || die "must run as root (or with sudo available) to install ${missing_packages[*]}"
  SUDO=(sudo)
fi

# Keep package scripts from starting daemons, unless the machine already
# has a policy (containers usually do).
created_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() {
  if [ -n "$created_policy" ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
}
trap cleanup EXIT

# The daemons these packages ship. Those already running before the install
# are not ours to stop.
daemon_pids() {
  pgrep -x prometheus || true
  pgrep -f '^/usr/bin/prometheus-alertmanager( |$)' || true
}
running_before="$(daemon_pids)"

log "installing ${missing_packages[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq \
  || die "apt-get update failed: cannot reach the Debian package archive"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null \
  || die "apt-get install ${missing_packages[*]} failed (see the apt output above)"

for pid in $(daemon_pids); do
  if ! grep -qx "$pid" <<<"$running_before"; then
    log "stopping daemon started by the package install (pid $pid)"
    "${SUDO[@]}" kill "$pid" 2>/dev/null || true
  fi
done

for tool in promtool amtool; do
  command -v "$tool" >/dev/null 2>&1 \
    || die "$tool still not on PATH after installing ${package_of[$tool]}"
done
log "ready: $(promtool --version 2>&1 | head -n 1); $(amtool --version 2>&1 | head -n 1)"
