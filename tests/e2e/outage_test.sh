#!/usr/bin/env bash
# The servers themselves fail, for real: RabbitMQ is stopped and started
# again while the leader publishes and while workers consume; the database
# is stopped for a while mid-run. Nothing is lost or counted twice.
# Stops shared servers: ctest runs it alone (RUN_SERIAL).
source "$(dirname "$0")/lib.sh"
stops_servers
"$bin/dcp-leader" migrate >/dev/null

check_run() {  # every task FINISHED exactly once, one result each, counts agree
  local run=$1 n=$2
  wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FINISHED" 180
  expect_finished_once "$run" "$n"
}

echo "-- the broker restarts while the leader publishes: it reconnects, every task is confirmed"
"$bin/dcp-leader" run --from 2024-01-01 --to 2024-01-31 --window 1h --selections S1-F1,S1-F2,S1-F3 \
  --publish-batch 1 >"$work/run.out" 2>"$work/leader.log" &
leader=$!
pids+=("$leader")
wait_for_sql "SELECT published_tasks > 0 FROM run WHERE status='PUBLISHING'" 1 60
"$stack" stop rabbitmq
[ "$(sql "SELECT status FROM run")" = PUBLISHING ] || fail "the leader finished before the broker went down"
"$stack" start rabbitmq
rc=0; wait "$leader" || rc=$?
expect_eq "$rc" "0" "leader exit code ($(tail -2 "$work/leader.log"))"
big=$(cat "$work/run.out")
expect_eq "$(sql "SELECT status, published_tasks = task_count FROM run WHERE run_id='$big'")" "$(printf 'RUNNING\t1')" "all confirmed"
wait_for_depth "$DCP_QUEUE" 2232 30 at-least

echo "-- the broker restarts while workers consume: they reconnect, the run completes"
start_worker --computation exec --exec 'sleep 0.02; cat'
start_worker --computation exec --exec 'sleep 0.02; cat'
wait_for_sql "SELECT COUNT(*) >= 200 FROM run_process WHERE run_id='$big' AND task_status='FINISHED'" 1 120
"$stack" stop rabbitmq
[ "$(sql "SELECT status FROM run WHERE run_id='$big'")" = RUNNING ] || fail "the run ended before the broker went down"
"$stack" start rabbitmq
check_run "$big" 2232

echo "-- the database is stopped for a while mid-run: workers wait, nothing is acked unrecorded"
run=$("$bin/dcp-leader" run --from 2024-02-01 --to 2024-02-05 --window 1h --selections S1-F1,S1-F2 --allow-overlap)
wait_for_sql "SELECT COUNT(*) >= 20 FROM run_process WHERE run_id='$run' AND task_status='FINISHED'" 1 60
"$stack" stop mysql
# The outage lasts for as long as it takes the workers to hit it and back off.
sleep 3
"$stack" start mysql
check_run "$run" 240
for p in "${pids[@]: -2}"; do kill -0 "$p" || fail "a worker died during the outages"; done
wait_for_depth "$DCP_QUEUE" 0
for p in "${pids[@]: -2}"; do kill -TERM "$p"; wait "$p" || fail "a worker did not drain"; done

echo "-- the database is down when a worker is told to stop: it exits at its drain deadline"
run=$("$bin/dcp-leader" run --from 2024-03-01 --to 2024-03-01 --window day --selections S1-F1,S1-F2 --allow-overlap)
start_worker --computation exec --exec 'sleep 2; cat' --concurrency 2 --drain-timeout 3
w=${pids[-1]}
wait_for_sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND task_status='STARTED'" 2
"$stack" stop mysql
kill -TERM "$w"  # its two tasks finish computing, and their FINISHED cannot be written
stopped=$SECONDS
while kill -0 "$w" 2>/dev/null; do
  ((SECONDS - stopped < 20)) || fail "the worker still runs $((SECONDS - stopped)) s after SIGTERM; its drain deadline is 3 s"
  sleep 0.2
done
rc=0; wait "$w" || rc=$?
expect_eq "$rc" "5" "exit code at the drain deadline"
"$stack" start mysql
start_worker --computation exec --exec cat
check_run "$run" 2
expect_eq "$(sql "SELECT MIN(attempt) FROM run_process WHERE run_id='$run'")" "2" "redelivered"
echo "outage: broker restarts and a database outage lost nothing"
