# Sourced by the build scripts of scripts/ (controlplane, node, Go tools, SpiceDB): what they share. The sourcing
# script sets LOG_PREFIX first; it gets log and die with that prefix, a TMP_TO_REMOVE folder removed on exit, and
# find_go.
# shellcheck shell=bash

log() { echo "$LOG_PREFIX: $*" >&2; }
die() {
  echo "$LOG_PREFIX: error: $*" >&2
  exit 1
}

# A build's temporary folder: removed when the script exits, however it exits.
TMP_TO_REMOVE=
trap '[[ -z "$TMP_TO_REMOVE" ]] || rm -rf "$TMP_TO_REMOVE"' EXIT

# The Go toolchain: `go` on PATH, else /usr/local/go/bin/go; status 1 when there is none.
find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [[ -x /usr/local/go/bin/go ]]; then
    echo /usr/local/go/bin/go
  else
    return 1
  fi
}
