#!/usr/bin/env bash
# A stale first delivery must not overwrite the live one (issue 11). Worker A
# computes the task; the test closes A's broker connection mid-task, so the
# broker hands the message to another consumer (attempt 2); then A's
# computation fails. Before the fix A moved the task back to QUEUED, the
# live delivery's FINISHED was dropped as a duplicate, and the run never
# completed. Now: A's requeue changes nothing, the task is FINISHED once, the
# run completes and the queues drain.
source "$(dirname "$0")/lib.sh"
: "${DCP_TEST_RABBITMQ_NODE:?needs the broker node (set by scripts/test)}"
"$bin/dcp-leader" migrate >/dev/null
export DCP_RETRY_DELAY=0 TEST_GATE=$work/gate
mkdir "$TEST_GATE"

# The computation, for every worker: the first one to run fails, once the
# test says so; any later one succeeds, once the test says so. The gates are
# files: waited on with a deadline, as wait_for_sql does.
cat >"$work/compute.sh" <<'EOF'
wait_file() {
  for _ in $(seq 1 1200); do [ -e "$1" ] && return 0; sleep 0.05; done
  echo "gate $1 never opened" >&2; exit 4
}
if mkdir "$TEST_GATE/first" 2>/dev/null; then
  touch "$TEST_GATE/first-computing"
  wait_file "$TEST_GATE/first-may-fail"
  echo "the first delivery's computation failed" >&2; exit 3
fi
touch "$TEST_GATE/second-computing"
wait_file "$TEST_GATE/second-may-finish"
cat
EOF
wait_gate() {
  local deadline=$((SECONDS + 60))
  until [ -e "$TEST_GATE/$1" ]; do
    ((SECONDS < deadline)) || fail "no computation reached gate $1"
    sleep 0.1
  done
}
worker_args=(--computation exec --exec "sh $work/compute.sh" --exec-env TEST_GATE --concurrency 2)

start_worker "${worker_args[@]}" --worker-id worker-a
start_worker "${worker_args[@]}" --worker-id worker-b
run=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-01-01 --window day --selections S1-F1)
wait_gate first-computing
owner=$(sql "SELECT worker FROM run_process WHERE run_id='$run'")

echo "-- $owner's broker connection is closed mid-task"
connection=$(rabbitmqctl -q -n "$DCP_TEST_RABBITMQ_NODE" list_connections pid client_properties |
  grep -F "dcp-worker $owner" | awk '{ print $1 }')
[ -n "$connection" ] || fail "no broker connection of $owner"
rabbitmqctl -q -n "$DCP_TEST_RABBITMQ_NODE" close_connection "$connection" "test: connection lost" >/dev/null
wait_gate second-computing
wait_for_sql "SELECT task_status, attempt FROM run_process WHERE run_id='$run'" "$(printf 'STARTED\t2')"

echo "-- then $owner's computation fails: its requeue must change nothing"
touch "$TEST_GATE/first-may-fail"
# The worker table counts settled deliveries: the stale one has been decided.
wait_for_sql "SELECT tasks_done FROM worker WHERE worker_id='$owner'" 1
expect_eq "$(sql "SELECT task_status, attempt, IFNULL(error, '') FROM run_process WHERE run_id='$run'")" \
  "$(printf 'STARTED\t2\t')" "the live delivery's task, untouched"

echo "-- the live delivery finishes: FINISHED once, the run complete, the queues empty"
touch "$TEST_GATE/second-may-finish"
wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FINISHED"
expect_eq "$(sql "SELECT task_status, attempt FROM run_process WHERE run_id='$run'")" \
  "$(printf 'FINISHED\t2')" "status, attempt"
expect_eq "$(sql "SELECT tasks_finished, tasks_failed FROM run WHERE run_id='$run'")" \
  "$(printf '1\t0')" "counted once"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE run_id='$run'")" "1" "results"
for queue in "$DCP_QUEUE" "$DCP_QUEUE.retry" "$DCP_QUEUE.dead"; do
  wait_for_depth "$queue" 0
done
echo "PASS"
