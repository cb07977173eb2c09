#!/bin/sh
# Runs a libFuzzer binary for a bounded session on a scratch copy of its seed
# corpus, so that the source tree is never written. A crash input is kept in
# ARTIFACT_DIR; the exit status is the fuzzer's (non-zero on a finding).
#
# usage: run_fuzzer.sh FUZZER SEED_CORPUS_DIR ARTIFACT_DIR [libFuzzer flags...]
set -eu
fuzzer=$1
seeds=$2
artifacts=$3
shift 3

work=$(mktemp -d "${TMPDIR:-/tmp}/dcp-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp -R "$seeds"/. "$work"/
mkdir -p "$artifacts"

status=0
"$fuzzer" -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$work" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz: $fuzzer failed (exit $status); reproduce with: $fuzzer $artifacts/<crash file>" >&2
fi
exit "$status"
