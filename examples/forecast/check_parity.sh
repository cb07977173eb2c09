#!/usr/bin/env bash
# Self-check of the forecast example, without dcp: plays dcp's part locally
# (fake uuids, the windows cut here in bash, the four steps called in order
# through files and pipes, as job.yaml and README.md describe them) and
# compares the exported CSV byte for byte with the monolith's output.
#   examples/forecast/check_parity.sh [FROM [TO]]    (default 2024-01-01 2024-12-31)
# Checks both window kinds, that a second export attempt writes the same
# bytes, and that a FAILED task makes export exit 1 and leaves its rows out.
# KEEP=1 keeps the work directory (its path is in cmp's message on a failure).
set -euo pipefail

from=${1:-2024-01-01}
to=${2:-2024-12-31}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"  # dcp runs the commands in the job file's directory
export PYTHONDONTWRITEBYTECODE=1

work=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT

fail() {
  echo "check_parity: $*" >&2
  exit 1
}

uuid() { cat /proc/sys/kernel/random/uuid; }

# dcp's windows over [from, to], one "START|END" line each: calendar months
# clipped to the range (month), or the whole range (none).
windows() {
  local kind=$1 start=$from next end
  if [[ $kind == none ]]; then
    echo "$from 00:00|$to 23:59"
    return
  fi
  while [[ ! $start > $to ]]; do
    next=$(date -u -d "${start:0:7}-01 +1 month" +%F)
    end=$(date -u -d "$next -1 day" +%F)
    if [[ $end > $to ]]; then end=$to; fi
    echo "$start 00:00|$end 23:59"
    start=$next
  done
}

# A file's exact contents as a JSON string (what dcp's JSON encoder does for
# us). Read here, not through $(...), which would drop trailing newlines.
json_file() {
  local s
  s=$(cat "$1"; printf x)
  s=${s%x}
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  if [[ $s == *[[:cntrl:]]* ]]; then fail "$1: a control character this encoder does not handle"; fi
  printf '"%s"' "$s"
}

# One run: topology -> workload -> compute per (selection, window) -> export.
# Leaves the export in $work/<kind>/export and the results in .../results.jsonl.
run_job() {
  local kind=$1 dir=$work/$1 run_id selection start end task_id status
  mkdir -p "$dir/export"
  run_id=$(uuid)
  python3 job.py topology </dev/null >"$dir/topology.json"
  export DCP_TOPOLOGY_FILE=$dir/topology.json DCP_RUN_ID=$run_id
  python3 job.py workload </dev/null >"$dir/workload.txt"
  : >"$dir/results.jsonl"
  while IFS= read -r selection; do
    # Ids are pasted into the message below as they are.
    [[ $selection =~ ^[A-Za-z0-9_.-]+$ ]] || fail "selection id $selection needs JSON escaping"
    while IFS='|' read -r start end; do
      task_id=$(uuid)
      printf '{"run_id":"%s","task_id":"%s","selection":"%s","start_date":"%s","end_date":"%s","params":{"note":"ignored"}}\n' \
        "$run_id" "$task_id" "$selection" "$start" "$end" >"$dir/message.json"
      status=FINISHED
      DCP_SELECTION=$selection DCP_START_DATE=$start DCP_END_DATE=$end DCP_TASK_ID=$task_id DCP_ATTEMPT=1 \
        python3 job.py compute <"$dir/message.json" >"$dir/result.txt" 2>"$dir/error.txt" || status=FAILED
      if [[ $status == FINISHED ]]; then
        printf '{"selection":"%s","start_date":"%s","end_date":"%s","status":"FINISHED","result":%s,"error":null}\n' \
          "$selection" "$start" "$end" "$(json_file "$dir/result.txt")" >>"$dir/results.jsonl"
      else
        printf '{"selection":"%s","start_date":"%s","end_date":"%s","status":"FAILED","result":null,"error":%s}\n' \
          "$selection" "$start" "$end" "$(json_file "$dir/error.txt")" >>"$dir/results.jsonl"
      fi
    done < <(windows "$kind")
  done <"$dir/workload.txt"
  grep -q '"status":"FAILED"' "$dir/results.jsonl" && fail "$kind: a compute failed: $(cat "$dir/error.txt")"
  local attempt
  for attempt in 1 2; do
    DCP_EXPORT_DIR=$dir/export DCP_EXPORT_ATTEMPT=$attempt python3 job.py export <"$dir/results.jsonl" 2>"$dir/export.err" ||
      fail "$kind: export attempt $attempt failed: $(cat "$dir/export.err")"
    cmp "$dir/monolith.csv" "$dir/export/forecast-$run_id.csv" || fail "$kind: export attempt $attempt differs from the monolith"
  done
  [[ $(find "$dir/export" -type f | wc -l) -eq 1 ]] || fail "$kind: export left other files behind"
  echo "check_parity: window $kind: $(wc -l <"$dir/workload.txt") selections, $(wc -l <"$dir/results.jsonl") tasks, identical"
}

for kind in month none; do
  mkdir -p "$work/$kind"
  python3 monolith.py --from "$from" --to "$to" --window "$kind" >"$work/$kind/monolith.csv"
  python3 monolith.py --from "$from" --to "$to" --window "$kind" --out "$work/$kind/out.csv"
  cmp "$work/$kind/monolith.csv" "$work/$kind/out.csv" || fail "$kind: monolith --out differs from its stdout"
  run_job "$kind"
done

# A failed task: export writes the others, names it on stderr and exits 1.
dir=$work/month
sed -E '2s/^(\{"selection":"[^"]*","start_date":"[^"]*","end_date":"[^"]*").*/\1,"status":"FAILED","result":null,"error":"boom"}/' \
  "$dir/results.jsonl" >"$dir/failed.jsonl"
grep -q '"error":"boom"' "$dir/failed.jsonl" || fail "could not inject a failure"
status=0
DCP_EXPORT_DIR=$dir/export DCP_RUN_ID=failed DCP_EXPORT_ATTEMPT=1 \
  python3 job.py export <"$dir/failed.jsonl" 2>"$dir/failed.err" || status=$?
[[ $status -eq 1 ]] || fail "export with a FAILED task exited $status, not 1"
grep -q 'boom' "$dir/failed.err" || fail "export did not report the failed task's error"
expected=$(( $(wc -l <"$dir/monolith.csv") - $(sed -n 2p "$dir/results.jsonl" | grep -o '\\n' | wc -l) ))
[[ $(wc -l <"$dir/export/forecast-failed.csv") -eq $expected ]] || fail "export with a FAILED task: wrong row count"
echo "check_parity: a FAILED task is left out, reported, and export exits 1"
echo "check_parity: OK"
