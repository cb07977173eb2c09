#!/usr/bin/env bash
# The proof of issue 12: a team's monolith (examples/forecast, Python) run
# as a dcp job on 2 workers exports exactly the bytes of its own for loop,
# and so does `dcp-leader run --job FILE --local` in one process; in both
# compute modes (oneshot, and persistent: issue 13). Then its
# export step going wrong: an export command that fails leaves the run
# FINISHED and its export FAILED (attempt, stderr tail), visible in `dcp
# status`; `dcp export --rerun --wait` runs it again, as attempt 2.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed (the example's language)"
"$bin/dcp-leader" migrate >/dev/null
repo=$(cd "$(dirname "$0")/../.." && pwd)
# The example as a team ships it, in a directory of its own.
cp -r "$repo/examples/forecast" "$work/forecast"
job=$work/forecast/job.yaml
export PYTHONDONTWRITEBYTECODE=1
export DCP_WORK_DIR=$work/work-dir
mkdir "$work/export" "$work/local"
# The job's queue would be dcp.forecast: DCP_QUEUE (lib.sh's) wins, so
# that this test keeps a queue of its own (cleaned up by lib.sh).
python3 "$work/forecast/monolith.py" --from 2024-01-01 --to 2024-12-31 >"$work/monolith.csv"
[ "$(wc -l <"$work/monolith.csv")" -gt 100 ] || fail "the monolith printed too little"

# export_of RUN: the run's export status and attempt, as the run row has them.
export_of() { sql "SELECT export_status, export_attempt FROM run WHERE run_id='$1'"; }

echo "-- the job on 2 workers: its export equals the monolith's output, byte for byte"
for _ in 1 2; do start_worker --job "$job" --export-dir "$work/export" --completion-poll 0.2; done
run_id=$("$bin/dcp-leader" run --job "$job" --wait 2>"$work/leader.log") ||
  fail "leader: $(tail -3 "$work/leader.log")"
wait_for_sql "SELECT export_status FROM run WHERE run_id='$run_id'" "FINISHED" 120
expect_eq "$(sql "SELECT status, task_count, tasks_finished, job_name FROM run WHERE run_id='$run_id'")" \
  "$(printf 'FINISHED\t144\t144\tforecast')" "the run: 12 stores x 12 months"
expect_eq "$(sql "SELECT COUNT(DISTINCT worker) FROM run_process WHERE run_id='$run_id'")" "2" \
  "both workers computed"
cmp "$work/monolith.csv" "$work/export/forecast-$run_id.csv" ||
  fail "the distributed export differs from the monolith's output"
expect_eq "$(export_of "$run_id")" "$(printf 'FINISHED\t1')" "exported once"
expect_eq "$(find "$work/export" -type f | wc -l)" "1" \
  "the export command's file only (no default CSV for a job that exports itself)"
"$bin/dcp" status "$run_id" >"$work/status.txt"
grep -q "job forecast" "$work/status.txt" || fail "dcp status does not name the job: $(cat "$work/status.txt")"
grep -q "export FINISHED (attempt 1" "$work/status.txt" || fail "dcp status: $(cat "$work/status.txt")"

echo "-- run --local --job: the four steps in one process, the same bytes"
local_id=$("$bin/dcp-leader" run --job "$job" --local --allow-overlap --export-dir "$work/local" 2>"$work/local.log") ||
  fail "local run: $(tail -3 "$work/local.log")"
cmp "$work/monolith.csv" "$work/local/forecast-$local_id.csv" || fail "the --local export differs"
expect_eq "$(export_of "$local_id")" "$(printf 'FINISHED\t1')" "--local records its export"

echo "-- an export command that fails: the run stays FINISHED, its export FAILED, rerun it"
# The same job whose export step refuses while its gate is closed.
# shellcheck disable=SC2016 # $EXPORT_GATE is the job's, expanded by its shell
sed -e 's|  command: \[python3, job.py, export\]|  command: "test -e \\"$EXPORT_GATE\\" \|\| { echo the warehouse is closed >\&2; exit 3; }; exec python3 job.py export"\n  env: [EXPORT_GATE]\n  timeout: 60|' \
  "$job" >"$work/forecast/gated.yaml"
grep -q EXPORT_GATE "$work/forecast/gated.yaml" || fail "could not write the gated job"
[ "$(find "$DCP_WORK_DIR" -maxdepth 1 -name 'worker-*' | wc -l)" -eq 2 ] ||
  fail "each worker keeps its files in a directory of its own: $(ls -A "$DCP_WORK_DIR")"
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
for pid in "${pids[@]}"; do wait "$pid" || fail "a worker did not stop cleanly"; done
[ -z "$(ls -A "$DCP_WORK_DIR")" ] || fail "a worker that stopped left its files: $(ls -A "$DCP_WORK_DIR")"

echo "-- the same job in persistent mode (issue 13: a Python process per worker thread, kept): the same bytes"
sed -e 's|  command: \[python3, job.py, compute\]|  command: [python3, job.py, serve]|' \
  -e 's|  mode: oneshot|  mode: persistent|' "$job" >"$work/forecast/persistent.yaml"
grep -q 'mode: persistent' "$work/forecast/persistent.yaml" || fail "could not write the persistent job"
persistent_pids=()
for _ in 1 2; do
  start_worker --job "$work/forecast/persistent.yaml" --export-dir "$work/export" --completion-poll 0.2
  persistent_pids+=("${pids[-1]}")
done
persistent_id=$("$bin/dcp-leader" run --job "$work/forecast/persistent.yaml" --wait 2>"$work/leader.log") ||
  fail "leader: $(tail -3 "$work/leader.log")"
wait_for_sql "SELECT export_status FROM run WHERE run_id='$persistent_id'" "FINISHED" 120
expect_eq "$(sql "SELECT status, tasks_finished, (SELECT COUNT(*) FROM task_result WHERE run_id='$persistent_id') FROM run WHERE run_id='$persistent_id'")" \
  "$(printf 'FINISHED\t144\t144')" "persistent: every task once"
cmp "$work/monolith.csv" "$work/export/forecast-$persistent_id.csv" ||
  fail "the persistent export differs from the monolith's output"
local_persistent=$("$bin/dcp-leader" run --job "$work/forecast/persistent.yaml" --local --allow-overlap \
  --export-dir "$work/local" 2>"$work/local.log") || fail "local run: $(tail -3 "$work/local.log")"
cmp "$work/monolith.csv" "$work/local/forecast-$local_persistent.csv" || fail "the persistent --local export differs"
for pid in "${persistent_pids[@]}"; do kill -TERM "$pid"; done
for pid in "${persistent_pids[@]}"; do wait "$pid" || fail "a persistent worker did not stop cleanly"; done
[ -z "$(ls -A "$DCP_WORK_DIR")" ] || fail "a persistent worker left its files: $(ls -A "$DCP_WORK_DIR")"
export EXPORT_GATE=$work/gate
for _ in 1 2; do
  start_worker --job "$work/forecast/gated.yaml" --export-dir "$work/export" --completion-poll 0.2
done
gated_id=$("$bin/dcp-leader" run --job "$work/forecast/gated.yaml" --from 2024-01-01 --to 2024-03-31 --wait \
  2>"$work/leader.log") || fail "leader: $(tail -3 "$work/leader.log")"
wait_for_sql "SELECT export_status FROM run WHERE run_id='$gated_id'" "FAILED" 60
expect_eq "$(sql "SELECT status, export_attempt, export_error LIKE 'exit 3: the warehouse is closed%' FROM run WHERE run_id='$gated_id'")" \
  "$(printf 'FINISHED\t1\t1')" "the run FINISHED, its export FAILED with its exit and stderr"
[ ! -e "$work/export/forecast-$gated_id.csv" ] || fail "a failed export left its file"
"$bin/dcp" status "$gated_id" >"$work/status.txt"
grep -q "export FAILED (attempt 1" "$work/status.txt" || fail "dcp status: $(cat "$work/status.txt")"
grep -q "dcp export --rerun $gated_id" "$work/status.txt" || fail "dcp status: no rerun hint"
"$bin/dcp" status "$gated_id" --json | python3 -c '
import json, sys
run = json.load(sys.stdin)
assert run["job"] == "forecast" and run["export"]["status"] == "FAILED", run
assert "the warehouse is closed" in run["export"]["error"], run' || fail "dcp status --json: the export"
touch "$EXPORT_GATE"
"$bin/dcp" export --rerun --wait "$gated_id" >"$work/rerun.log" 2>&1 || fail "rerun: $(cat "$work/rerun.log")"
expect_eq "$(export_of "$gated_id")" "$(printf 'FINISHED\t2')" "the rerun is attempt 2"
python3 "$work/forecast/monolith.py" --from 2024-01-01 --to 2024-03-31 >"$work/quarter.csv"
cmp "$work/quarter.csv" "$work/export/forecast-$gated_id.csv" || fail "the rerun's export differs"

echo "-- what a rerun refuses: a run without an export step, a cancelled run"
set +e
"$bin/dcp" export --rerun "$(uuid)" >/dev/null 2>&1
rc_unknown=$?
cancel_id=$("$bin/dcp-leader" run --job "$work/forecast/gated.yaml" --from 2030-01-01 --to 2030-12-31 --allow-overlap 2>/dev/null)
"$bin/dcp" cancel "$cancel_id" >/dev/null 2>&1
"$bin/dcp" export --rerun "$cancel_id" >/dev/null 2>"$work/cancelled.log"
rc_cancelled=$?
set -e
expect_eq "$rc_unknown" "1" "rerun of an unknown run"
expect_eq "$rc_cancelled" "1" "rerun of a cancelled run"
grep -q "was cancelled" "$work/cancelled.log" || fail "rerun of a cancelled run: $(cat "$work/cancelled.log")"
echo "PASS"
