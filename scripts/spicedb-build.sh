#!/usr/bin/env bash
# Finds or builds the SpiceDB server `npm run bench:peers` runs beside Charter (see docs/performance.md,
# "Side by side with SpiceDB"). Prints the binary's path as the last line on stdout; logs go to stderr.
#
#   bash scripts/spicedb-build.sh              find it, building it once if needed
#   bash scripts/spicedb-build.sh --no-build   find it; exit 3 if it would have to be built
#   bash scripts/spicedb-build.sh --rebuild    build again even if the cache has it
#
# The version is pinned here (SPICEDB_VERSION below; $CHARTER_SPICEDB_VERSION overrides it). The binary is built
# with `go install github.com/authzed/spicedb/cmd/spicedb@<version>` from the Go module proxy (the module's own
# go.mod and go.sum decide every dependency; it needs the Go its go.mod names, 1.26 for v1.56.2) into
# ${CHARTER_SPICEDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/charter/spicedb}/<version>/spicedb, with a BUILD file
# saying which Go built it and how long the build took. A cached binary is never rebuilt.
set -euo pipefail

SPICEDB_VERSION=${CHARTER_SPICEDB_VERSION:-v1.56.2}
MODULE=github.com/authzed/spicedb
CACHE_ROOT=${CHARTER_SPICEDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/charter/spicedb}
DIR=$CACHE_ROOT/$SPICEDB_VERSION

LOG_PREFIX=spicedb
# shellcheck source=lib/build-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/build-common.sh"

mode=find
case "${1:-}" in
  '') ;;
  --no-build) mode=nobuild ;;
  --rebuild) mode=rebuild ;;
  -h | --help)
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown option '$1' (try --help)" ;;
esac

if [[ $mode != rebuild && -x $DIR/spicedb ]]; then
  echo "$DIR/spicedb"
  exit 0
fi
if [[ $mode == nobuild ]]; then
  log "SpiceDB $SPICEDB_VERSION is not built yet (run: bash scripts/spicedb-build.sh)"
  exit 3
fi

go=$(find_go) || die "no Go toolchain to build SpiceDB $SPICEDB_VERSION (install Go >= 1.26: 'go' on PATH or /usr/local/go/bin/go)"
mkdir -p "$CACHE_ROOT"
# One build at a time per version (two bench runs starting at once wait for each other).
exec 9>"$CACHE_ROOT/.lock-$SPICEDB_VERSION"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  log "another build of $SPICEDB_VERSION is running; waiting for it"
  flock 9
fi
if [[ $mode != rebuild && -x $DIR/spicedb ]]; then
  echo "$DIR/spicedb"
  exit 0
fi

tmp=$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")
TMP_TO_REMOVE=$tmp
start=$SECONDS
log "building $MODULE/cmd/spicedb@$SPICEDB_VERSION with $("$go" env GOVERSION) from the Go module proxy into $DIR"
log "(a fresh machine downloads a few hundred MiB of modules and compiles for several minutes; later runs reuse the cache)"
# Outside any module, so nothing of Charter's decides the build; GOFLAGS left as the caller has them.
(cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp/bin" "$go" install -trimpath -ldflags '-s -w' "$MODULE/cmd/spicedb@$SPICEDB_VERSION")
"$tmp/bin/spicedb" version >&2 || die "the built binary does not run"
printf 'spicedb %s\nbuilt with %s in %s s\n' "$SPICEDB_VERSION" "$("$go" env GOVERSION)" "$((SECONDS - start))" >"$tmp/bin/BUILD"
mkdir -p "$DIR"
mv -f "$tmp/bin/spicedb" "$tmp/bin/BUILD" "$DIR/"
log "built in $((SECONDS - start)) s"
echo "$DIR/spicedb"
