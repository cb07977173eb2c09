#!/usr/bin/env bash
# Messages from another producer, and malformed ones, against a real worker:
# a well-formed message with no rows recorded beforehand is computed (the
# worker records its run and task); malformed messages and unknown
# selections are FAILED when a task id can be read, dead-lettered with the
# reason, and the worker keeps running. An injection-looking selection is
# just a name.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
# shellcheck disable=SC2119 # a worker with the default flags
start_worker
worker=${pids[0]}

run=$(uuid)
ok=$(uuid) missing=$(uuid) unknown=$(uuid) inject=$(uuid) backwards=$(uuid) huge=$(uuid)
msg() { printf '{"run_id":"%s","task_id":"%s","selection":"%s","start_date":"%s","end_date":"%s"}\n' "$@"; }
{
  msg "$run" "$ok" "S1-F1" "2023-01-01 00:00" "2023-01-31 23:59"
  echo 'not json at all'
  printf '{"run_id":"%s","task_id":"%s","selection":"S1-F1","start_date":"2023-01-01 00:00"}\n' "$run" "$missing"
  msg "$run" "$unknown" "no-such-feeder" "2023-01-01 00:00" "2023-01-01 23:59"
  msg "$run" "$inject" "'; DROP TABLE run_process; --" "2023-01-01 00:00" "2023-01-01 23:59"
  msg "$run" "$backwards" "S1-F1" "2023-02-01 00:00" "2023-01-01 23:59"
  echo '{"run_id":"not-a-uuid","task_id":42}'
  echo ''  # an empty body
  msg "$run" "$huge" "$(head -c 70000 /dev/zero | tr '\0' x)" "2023-01-01 00:00" "2023-01-01 23:59"
} | "$bin/dcp-test-publish" "$DCP_AMQP_URL" "$DCP_QUEUE"

wait_for_sql "SELECT COUNT(*) FROM run_process WHERE task_status IN ('FINISHED','FAILED')" 6
expect_eq "$(sql "SELECT task_status FROM run_process WHERE task_id='$ok'")" "FINISHED" "external task"
expect_eq "$(sql "SELECT trigger_kind FROM run WHERE run_id='$run'")" "external" "external run recorded"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE task_id='$ok'")" "1" "external task result"
for t in "$missing" "$unknown" "$inject" "$backwards" "$huge"; do
  expect_eq "$(sql "SELECT task_status FROM run_process WHERE task_id='$t'")" "FAILED" "task $t"
done
sql "SELECT error FROM run_process WHERE task_id='$missing'" | grep -q "end_date" || fail "missing field not named"
sql "SELECT error FROM run_process WHERE task_id='$unknown'" | grep -q "no-such-feeder" || fail "unknown selection not named"
expect_eq "$(sql "SELECT selection FROM run_process WHERE task_id='$inject'")" "'; DROP TABLE run_process; --" "selection stored verbatim"
sql "SELECT error FROM run_process WHERE task_id='$huge'" | grep -q "body" || fail "huge body not named"
# All eight bad messages are in the dead-letter queue; none is left in the task queue.
wait_for_depth "$DCP_QUEUE.dead" 8
expect_eq "$(queue_depth "$DCP_QUEUE")" "0" "task queue drained"
kill -0 "$worker" || fail "the worker died"
kill -TERM "$worker"
rc=0; wait "$worker" || rc=$?
expect_eq "$rc" "0" "worker exit code"
pids=()
echo "bad input: 1 external task computed, 8 bad messages dead-lettered, worker alive"
