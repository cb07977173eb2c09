#!/usr/bin/env bash
# Nothing stuck, shown (issue 11): one run whose tasks each fail in their own
# way, against two real workers, next to healthy tasks:
#   S1-F1, S1-F6  healthy
#   S1-F2         a result of 20 MB (over DCP_MAX_RESULT_BYTES, and over the
#                 database's 16 MiB packet: it used to wedge its worker)
#   S1-F3         a result that is not UTF-8 (the column could never hold it)
#   S1-F4         fails every time (retried, then FAILED)
#   S1-F5         hangs (killed at --task-timeout, every attempt)
#   S1-F7         kills its worker every time (a poison message)
#   + a malformed message of the run, its task id readable.
# The run must end within a bound; then no task is QUEUED or STARTED, every
# FAILED task says why, the task and retry queues are empty, the dead-letter
# queue holds one message per FAILED task, and the workers stop on SIGTERM.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
export DCP_RETRY_DELAY=0 DCP_MAX_ATTEMPTS=3 DCP_TASK_TIMEOUT=2

cat >"$work/compute.sh" <<'EOF'
task=$(cat)
case $task in
  *'"S1-F2"'*) head -c 20000000 /dev/zero | tr '\0' x ;;
  *'"S1-F3"'*) printf 'ok\n\377\376\n' ;;
  *'"S1-F4"'*) echo "feeder S1-F4: no data" >&2; exit 1 ;;
  *'"S1-F5"'*) exec sleep 600 ;;
  *'"S1-F7"'*) kill -KILL "$PPID" ;;  # the worker itself: --exec execs this script
  *) printf '%s\n' "$task" ;;
esac
EOF
# One message per worker at a time: the poison task's kills cost only its own
# attempts, never a healthy task's.
worker_args=(--computation exec --exec "exec sh $work/compute.sh" --concurrency 1 --prefetch 1)
workers=()
keep_two_workers() {  # the poison task kills them: start new ones, as a Deployment would
  local i restarts=${restarts:-0}
  for i in 0 1; do
    if [ -z "${workers[$i]:-}" ] || ! kill -0 "${workers[$i]}" 2>/dev/null; then
      [ -n "${workers[$i]:-}" ] && { wait "${workers[$i]}" 2>/dev/null || true; restarts=$((restarts + 1)); }
      ((restarts <= 12)) || fail "workers restarted more than 12 times"
      start_worker "${worker_args[@]}"
      workers[i]=${pids[-1]}
    fi
  done
}
keep_two_workers

run=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-01-01 --window day \
  --selections S1-F1,S1-F2,S1-F3,S1-F4,S1-F5,S1-F6,S1-F7)
malformed=$(uuid)
printf '{"run_id":"%s","task_id":"%s","selection":"S1-F1"}\n' "$run" "$malformed" |
  "$bin/dcp-test-publish" "$DCP_AMQP_URL" "$DCP_QUEUE"

echo "-- the run ends, whatever its tasks do"
deadline=$((SECONDS + 180))
while [ "$(sql "SELECT status FROM run WHERE run_id='$run'")" = RUNNING ]; do
  ((SECONDS < deadline)) || fail "the run did not end within 180 s: $(sql "SELECT selection, task_status, attempt FROM run_process WHERE run_id='$run'" | tr '\n' ';')"
  keep_two_workers
  sleep 0.2
done
# The malformed message's task is counted in the run when it is recorded.
wait_for_sql "SELECT task_status FROM run_process WHERE task_id='$malformed'" "FAILED"
expect_eq "$(sql "SELECT status, tasks_finished, tasks_failed, task_count FROM run WHERE run_id='$run'")" \
  "$(printf 'FAILED\t2\t6\t8')" "run status, finished, failed, tasks"

echo "-- no task is left QUEUED or STARTED, and each FAILED one says why"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND task_status IN ('QUEUED','STARTED')")" "0" "open tasks"
error_of() { sql "SELECT error FROM run_process WHERE run_id='$run' AND $1"; }
expect_error() {
  local where=$1 pattern=$2 error
  error=$(error_of "$where")
  [[ "$error" == *"$pattern"* ]] || fail "[$where]: error '$error' does not say '$pattern'"
}
expect_error "selection='S1-F2'" "more than 4194304 bytes on stdout, the result limit (DCP_MAX_RESULT_BYTES)"
expect_error "selection='S1-F3'" "not valid UTF-8"
expect_error "selection='S1-F4'" "feeder S1-F4: no data"
expect_error "selection='S1-F5'" "timed out after 2 s"
expect_error "selection='S1-F7'" "gave up after 3 attempts"
expect_error "task_id='$malformed'" "malformed message: field 'start_date': missing"
expect_eq "$(sql "SELECT selection, attempt FROM run_process WHERE run_id='$run' AND selection IN ('S1-F2','S1-F3') ORDER BY selection" | tr '\n' ' ')" \
  "$(printf 'S1-F2\t1 S1-F3\t1 ')" "permanent failures: one attempt"

echo "-- the queues drain: one dead letter per FAILED task"
wait_for_depth "$DCP_QUEUE" 0
wait_for_depth "$DCP_QUEUE.retry" 0
wait_for_depth "$DCP_QUEUE.dead" 6

echo "-- the workers stop on SIGTERM"
for w in "${workers[@]}"; do
  kill -TERM "$w"
  rc=0; wait "$w" || rc=$?
  expect_eq "$rc" "0" "worker $w drained"
done
echo "PASS"
