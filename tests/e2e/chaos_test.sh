#!/usr/bin/env bash
# Chaos, bounded in count and time: a run of 2,160 tasks goes through four
# workers while workers are killed at random (SIGKILL, 8 times), the broker
# is restarted once and the database stopped once. Then the invariants:
# every task FINISHED exactly once, one result per task, the queues empty,
# the run's counters equal to the counts in run_process.
# Stops shared servers: ctest runs it alone (RUN_SERIAL).
source "$(dirname "$0")/lib.sh"
stops_servers
export DCP_DELIVERY_LIMIT=50  # kills redeliver; the workers' own limit (20) stays below it
"$bin/dcp-leader" migrate >/dev/null

# 2,160 tasks of 0.1 s on 8 threads: about 30 s of work, longer than the
# chaos below (about 15 s), whatever the machine's speed.
worker_args=(--computation sleep:100 --max-attempts 20 --retry-delay 1)
for _ in 1 2 3 4; do start_worker "${worker_args[@]}"; done
live=("${pids[@]}")

run=$("$bin/dcp-leader" run --from 2024-03-25 --to 2024-04-03 --window 1h)
tasks=$(sql "SELECT task_count FROM run WHERE run_id='$run'")
expect_eq "$tasks" "2160" "planned tasks"

kills=0 broker_restarted=0 database_stopped=0
deadline=$((SECONDS + 300))
status() { sql "SELECT status FROM run WHERE run_id='$run'" 2>/dev/null || echo "?"; }
while [ "$(status)" != FINISHED ]; do
  ((SECONDS < deadline)) || fail "the run did not finish within 300 s: $(sql "SELECT task_status, COUNT(*) FROM run_process GROUP BY 1")"
  if ((kills < 8)); then
    victim=$((RANDOM % ${#live[@]}))
    kill -KILL "${live[$victim]}" 2>/dev/null || true
    start_worker "${worker_args[@]}"
    live[victim]=${pids[-1]}
    kills=$((kills + 1))
    echo "killed a worker ($kills)"
  fi
  if ((kills == 3 && !broker_restarted)); then
    "$stack" stop rabbitmq && "$stack" start rabbitmq
    broker_restarted=1
    echo "restarted the broker"
  fi
  if ((kills == 6 && !database_stopped)); then
    "$stack" stop mysql
    sleep 3  # the length of the outage
    "$stack" start mysql
    database_stopped=1
    echo "stopped the database for 3 s"
  fi
  sleep 1  # the pace of the chaos, not a wait for a state
done
((broker_restarted && database_stopped)) || fail "the run finished before all the chaos happened"

expect_finished_once "$run" "$tasks"
wait_for_depth "$DCP_QUEUE" 0
wait_for_depth "$DCP_QUEUE.dead" 0
redelivered=$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND attempt > 1")
echo "chaos: $tasks tasks FINISHED once each through $kills worker kills, a broker restart and a database outage ($redelivered tasks ran more than once)"
