#!/usr/bin/env bash
# Finds or builds the small Go tools Charter's tests run beside it (each its own module under hack/):
#   kstatus         sigs.k8s.io/cli-utils' kstatus verdict on objects (Flux's health checks) — hack/kstatus
#   argocd-health   Argo CD health checks (health.lua) run on gopher-lua, as Argo CD runs them — hack/argocd-health
#
#   bash scripts/go-tools-build.sh [TOOL...]     all tools when none is named; prints each binary's path, one a line
#
# Built from the Go module proxy (needs Go >= 1.24: `go` on PATH or /usr/local/go/bin/go) into
# ${CHARTER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/charter/tools}/<tool>-<hash>/, the hash covering the tool's
# go.mod, go.sum and sources: an unchanged tool is never rebuilt, a changed one is built once. Logs go to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_ROOT=${CHARTER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/charter/tools}
ALL=(kstatus argocd-health)

LOG_PREFIX=go-tools
# shellcheck source=lib/build-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/build-common.sh"

build_one() {
  local tool=$1 src=$ROOT/hack/$1 go hash dir tmp start
  [[ -f $src/go.mod ]] || die "unknown tool '$tool' (no hack/$tool/go.mod; tools: ${ALL[*]})"
  hash=$(cd "$src" && cat go.mod go.sum $(ls ./*.go | sort) | sha256sum | cut -c1-16)
  dir=$CACHE_ROOT/$tool-$hash
  if [[ -x $dir/$tool ]]; then
    echo "$dir/$tool"
    return 0
  fi
  go=$(find_go) || die "no Go toolchain to build $tool (install Go >= 1.24: 'go' on PATH or /usr/local/go/bin/go)"
  mkdir -p "$CACHE_ROOT"
  # One build at a time per tool version (two test runs starting at once wait for each other).
  exec 9>"$CACHE_ROOT/.lock-$tool-$hash"
  if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
    log "another build of $tool is running; waiting for it"
    flock 9
  fi
  if [[ -x $dir/$tool ]]; then
    echo "$dir/$tool"
    return 0
  fi
  tmp=$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")
  TMP_TO_REMOVE=$tmp
  start=$SECONDS
  log "building $tool with $("$go" env GOVERSION) from the Go module proxy into $dir"
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly -buildvcs=false" "$go" build -trimpath -ldflags '-s -w' -o "$tmp/$tool" .)
  mkdir -p "$dir"
  mv -f "$tmp/$tool" "$dir/$tool"
  rm -rf "$tmp"
  TMP_TO_REMOVE=
  log "$tool built in $((SECONDS - start)) s"
  echo "$dir/$tool"
}

case "${1:-}" in
  -h | --help)
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac
tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=("${ALL[@]}")
for tool in "${tools[@]}"; do build_one "$tool"; done
