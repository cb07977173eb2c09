#!/usr/bin/env bash
# Processes killed for real (SIGKILL) and tasks that crash, hang or fail,
# against the real servers; each case checks the state it must leave.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
day=(--from 2024-01-01 --to 2024-01-01 --window day --allow-overlap)
status_of() { sql "SELECT task_status, attempt FROM run_process WHERE run_id='$1' AND selection='$2'"; }
stop_worker() { kill -TERM "$1"; local rc=0; wait "$1" || rc=$?; expect_eq "$rc" "0" "worker drained"; }
dead_before=0

echo "-- a worker killed mid-task: redelivered, FINISHED once with attempt 2; stale meanwhile"
start_worker --computation exec --exec 'sleep 5; cat' --concurrency 1 --prefetch 1
w=${pids[-1]}
run=$("$bin/dcp-leader" run "${day[@]}" --selections S1-F1)
wait_for_sql "SELECT task_status FROM run_process WHERE run_id='$run'" "STARTED"
kill -KILL "$w"; wait "$w" || true
deadline=$((SECONDS + 30))
until "$bin/dcp" status "$run" --json --stale-after 1 | grep -q '"stale":1'; do
  ((SECONDS < deadline)) || fail "the task of the killed worker never showed as stale"
  sleep 0.2
done
start_worker --computation exec --exec cat
w=${pids[-1]}
wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FINISHED"
expect_eq "$(status_of "$run" S1-F1)" "$(printf 'FINISHED\t2')" "status, attempt"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE run_id='$run'")" "1" "results"
expect_eq "$(sql "SELECT tasks_finished FROM run WHERE run_id='$run'")" "1" "counted once"
stop_worker "$w"

echo "-- a worker killed after FINISHED, before the ack: the redelivery is skipped"
start_worker --computation exec --exec cat --test-crash-before-ack
w=${pids[-1]}
run=$("$bin/dcp-leader" run "${day[@]}" --selections S1-F1)
rc=0; wait "$w" || rc=$?
expect_eq "$rc" "137" "the worker killed itself before the ack"
finished_at=$(sql "SELECT finished_at FROM run_process WHERE run_id='$run'")
start_worker --computation exec --exec cat
w=${pids[-1]}
# The second worker has settled the redelivered message.
wait_for_sql "SELECT tasks_done FROM worker WHERE pid = $w" 1
expect_eq "$(status_of "$run" S1-F1)" "$(printf 'FINISHED\t1')" "not started again"
expect_eq "$(sql "SELECT finished_at FROM run_process WHERE run_id='$run'")" "$finished_at" "not finished again"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE run_id='$run'")" "1" "results"
stop_worker "$w"

echo "-- the leader killed mid-publish: resume publishes exactly the unconfirmed tasks"
start_worker
start_worker
rc=0
DCP_TEST_CRASH_AFTER_BATCHES=2 "$bin/dcp-leader" run --from 2024-01-01 --to 2024-02-29 --window day \
  --allow-overlap >/dev/null 2>&1 || rc=$?
expect_eq "$rc" "137" "leader killed"
# Its lease outlives it (30 s): the next leader waits for it to end (cut short here).
expect_eq "$(sql "SELECT COUNT(*) FROM dcp_lock WHERE name='run' AND expires_at > NOW(6)")" "1" \
  "the dead leader's lease"
rc=0; "$bin/dcp-leader" run "${day[@]}" --selections S1-F1 2>/dev/null || rc=$?
expect_eq "$rc" "3" "a leader while the dead one's lease lasts"
sql "UPDATE dcp_lock SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE name='run'"
run=$(sql "SELECT run_id FROM run WHERE status='PUBLISHING'")
expect_eq "$(sql "SELECT published_tasks, task_count FROM run WHERE run_id='$run'")" "$(printf '200\t540')" "watermark"
expect_eq "$("$bin/dcp-leader" resume "$run")" "340 tasks published" "resume"
wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FINISHED" 120
expect_eq "$(sql "SELECT COUNT(*), SUM(attempt) FROM run_process WHERE run_id='$run' AND task_status='FINISHED'")" \
  "$(printf '540\t540')" "every task FINISHED once, first attempt"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE run_id='$run'")" "540" "results"
for p in "${pids[@]: -2}"; do stop_worker "$p"; done

echo "-- a poison task that kills its worker every time: bounded, then FAILED and dead-lettered"
dead_before=$(queue_depth "$DCP_QUEUE.dead"); dead_before=${dead_before:-0}
run=$("$bin/dcp-leader" run "${day[@]}" --selections S1-F1,S1-F2)
for _ in $(seq 1 6); do
  start_worker --test-crash-on-selection S1-F2 --max-attempts 3 --concurrency 1 --prefetch 1
  w=${pids[-1]}
  while kill -0 "$w" 2>/dev/null && [ "$(sql "SELECT status FROM run WHERE run_id='$run'")" = RUNNING ]; do
    sleep 0.2
  done
  [ "$(sql "SELECT status FROM run WHERE run_id='$run'")" = RUNNING ] || break
done
expect_eq "$(sql "SELECT status FROM run WHERE run_id='$run'")" "FAILED" "run"
expect_eq "$(status_of "$run" S1-F1)" "$(printf 'FINISHED\t1')" "the healthy task"
expect_eq "$(status_of "$run" S1-F2)" "$(printf 'FAILED\t4')" "the poison task"
sql "SELECT error FROM run_process WHERE run_id='$run' AND selection='S1-F2'" | grep -q "gave up after 3 attempts" ||
  fail "error: $(sql "SELECT error FROM run_process WHERE run_id='$run' AND selection='S1-F2'")"
wait_for_depth "$DCP_QUEUE.dead" $((dead_before + 1))
stop_worker "$w"

echo "-- a task that hangs: killed at the time limit, retried, then FAILED"
start_worker --computation exec --exec 'exec sleep 60' --task-timeout 1 --retry-delay 0 --max-attempts 2
w=${pids[-1]}
run=$("$bin/dcp-leader" run "${day[@]}" --selections S1-F1)
wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FAILED" 30
expect_eq "$(status_of "$run" S1-F1)" "$(printf 'FAILED\t2')" "timed out twice"
sql "SELECT error FROM run_process WHERE run_id='$run'" | grep -q "timed out" || fail "error names the timeout"
stop_worker "$w"

echo "-- a failing computation: retried with a delay, FAILED, then 'dcp retry' after the fix"
start_worker --computation exec --exec 'echo broken >&2; exit 3' --retry-delay 1 --max-attempts 2
w=${pids[-1]}
run=$("$bin/dcp-leader" run "${day[@]}" --selections S1-F1)
wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FAILED" 30
expect_eq "$(sql "SELECT attempt, error FROM run_process WHERE run_id='$run'")" "$(printf '2\texec: exit 3: broken')" "error"
# queued_at: when attempt 1 failed and was requeued; started_at: attempt 2.
gap=$(sql "SELECT TIMESTAMPDIFF(MICROSECOND, queued_at, started_at) FROM run_process WHERE run_id='$run'")
((gap >= 1000000)) || fail "the retry came after ${gap} us, before its 1 s delay"
stop_worker "$w"
start_worker --computation exec --exec cat
w=${pids[-1]}
expect_eq "$("$bin/dcp" retry "$run")" "1 FAILED tasks requeued, 1 published" "dcp retry"
wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FINISHED"
expect_eq "$(sql "SELECT tasks_finished, tasks_failed FROM run WHERE run_id='$run'")" "$(printf '1\t0')" "counts"
stop_worker "$w"
pids=()
echo "crash: all cases behave"
