#!/usr/bin/env bash
# The core pipeline end to end on the real servers: migrate, a leader run,
# two worker processes, every task FINISHED exactly once, the distributed CSV
# byte-for-byte equal to the same run done --local, workers drained by SIGTERM.
source "$(dirname "$0")/lib.sh"
export DCP_TZ=Europe/Amsterdam

"$bin/dcp-leader" migrate >/dev/null
applied=$("$bin/dcp-leader" migrate)
[ "$applied" = "migrations applied: 0" ] || fail "second migrate changed something: $applied"

port=$(free_port)
start_worker --worker-id e2e-scraped --http-port "$port"
start_worker
wait_for_http() {  # the worker's endpoint answers (it binds at start-up)
  local deadline=$((SECONDS + 30))
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    ((SECONDS < deadline)) || fail "no /healthz on port $port"
    sleep 0.1
  done
}
wait_for_http
# Jan..Apr 2024 by month, every feeder: includes the DST change of March 31st.
run_id=$(timeout 300 "$bin/dcp-leader" run --from 2024-01-01 --to 2024-04-30 --window month --wait \
  2>"$work/leader.log") || fail "leader run failed: $(tail -3 "$work/leader.log")"

feeders=$(grep -c '"type":"feeder"' "$(dirname "$0")/../../data/grid/reference.json")
tasks=$((feeders * 4))
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run_id'")" "$tasks" "task rows"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run_id' AND task_status='FINISHED'")" "$tasks" "FINISHED tasks"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE run_id='$run_id'")" "$tasks" "result rows"
expect_eq "$(sql "SELECT status, task_count, tasks_finished, tasks_failed FROM run WHERE run_id='$run_id'")" \
  "$(printf 'FINISHED\t%s\t%s\t0' "$tasks" "$tasks")" "run row"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run_id' AND (attempt <> 1 OR worker IS NULL)")" "0" "one attempt each, worker recorded"

# The scraped worker's own figures agree with what it recorded.
mine=$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run_id' AND worker='e2e-scraped'")
metrics=$(curl -sf "http://127.0.0.1:$port/metrics")
grep -qx "dcp_tasks_finished_total $mine" <<<"$metrics" || fail "metrics: $(grep finished <<<"$metrics")"
grep -q '^dcp_task_duration_seconds_count ' <<<"$metrics" || fail "no duration histogram"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" "200" "readyz"

"$bin/dcp" export "$run_id" -o "$work/distributed.csv" 2>/dev/null
local_id=$("$bin/dcp-leader" run --local --from 2024-01-01 --to 2024-04-30 --window month 2>"$work/local.log") \
  || fail "local run failed: $(tail -3 "$work/local.log")"
"$bin/dcp" export "$local_id" -o "$work/local.csv" 2>/dev/null
expect_eq "$(sql "SELECT status FROM run WHERE run_id='$local_id'")" "FINISHED" "local run status"
[ "$(wc -l <"$work/local.csv")" -gt "$tasks" ] || fail "local CSV too short"
cmp "$work/distributed.csv" "$work/local.csv" || fail "distributed CSV differs from --local"

status=$("$bin/dcp" status "$run_id" --json)
[[ "$status" == *'"status":"FINISHED"'* ]] || fail "dcp status: $status"

for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do rc=0; wait "$p" || rc=$?; expect_eq "$rc" "0" "worker exit code after SIGTERM"; done
pids=()

# Batched STARTED writes: a worker holding many messages (prefetch 20) starts
# only those it is about to compute. Tasks of 0.3 s (longer than the batch
# window), one thread: only the task being computed is STARTED, the next one
# is started in the same transaction that finishes it.
start_worker --computation sleep:300 --concurrency 1 --prefetch 20
held_run=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-01-12 --window day --selections S1-F1 --allow-overlap)
most=0 samples=0 deadline=$((SECONDS + 60))
until [ "$(sql "SELECT status FROM run WHERE run_id='$held_run'")" = FINISHED ]; do
  ((SECONDS < deadline)) || fail "run of held tasks did not finish"
  started=$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$held_run' AND task_status='STARTED'")
  ((started > most)) && most=$started
  samples=$((samples + 1))
  sleep 0.05  # sampling, not synchronisation
done
((samples >= 10)) || fail "too few samples ($samples) to judge"
expect_eq "$most" "1" "most tasks STARTED at once"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$held_run' AND attempt = 1")" "12" "one attempt each"
kill -TERM "${pids[@]}"
wait "${pids[@]}" || fail "worker did not drain cleanly"
pids=()
echo "pipeline: $tasks tasks distributed and local, CSVs equal; at most $most of 12 held tasks STARTED at once"
