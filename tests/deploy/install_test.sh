#!/usr/bin/env bash
# Installs the build at $1 into a temporary prefix (cmake --install) and
# checks the layout a package has: bin/dcp-leader, bin/dcp-worker, bin/dcp,
# bin/dcp-monitor, each of which runs from there, and every migration of
# db/migrations in share/dcp/migrations/.
#
#   tests/deploy/install_test.sh <build dir>
set -euo pipefail
build=${1:?usage: install_test.sh <build dir>}
repo=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null

for binary in dcp-leader dcp-worker dcp dcp-monitor; do
  [ -x "$prefix/bin/$binary" ] || fail "bin/$binary not installed"
  "$prefix/bin/$binary" --help >/dev/null || fail "bin/$binary --help failed when installed"
done

migrations=$prefix/share/dcp/migrations
[ -d "$migrations" ] || fail "share/dcp/migrations not installed"
count=0
for source in "$repo"/db/migrations/*.sql; do
  name=$(basename "$source")
  cmp -s "$source" "$migrations/$name" || fail "share/dcp/migrations/$name differs or is missing"
  count=$((count + 1))
done
((count > 0)) || fail "no migrations in db/migrations"
extra=$(find "$migrations" -type f ! -name '*.sql')
[ -z "$extra" ] || fail "share/dcp/migrations holds more than the migrations: $extra"

echo "installed: 4 binaries, $count migrations"
