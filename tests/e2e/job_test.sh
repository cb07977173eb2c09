#!/usr/bin/env bash
# A team's own job (issue 12), given as a job file to the leader and the
# workers: its topology command, its workload (in its own order, not the
# string order), window none, its compute command (an argv list, run in the
# job file's directory, seeing the task's variables), its queue (dcp.<name>).
# Then what goes wrong with a job: a topology command that fails, a workload
# command with a duplicate or malformed line: each a FAILED run with the
# step's error, nothing published; a job file with a typo: a usage error. And
# `run --local --job` computes the same results. One worker given two jobs
# computes each from its own queue with its own step, and refuses a task of
# one job put on the other's queue.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
# The job's queue is dcp.<name>: the name is chosen so that it is this
# test's queue (cleaned up by lib.sh); the binaries must find it themselves.
name=${DCP_QUEUE#dcp.}
leader() { env -u DCP_QUEUE "$bin/dcp-leader" "$@"; }

mkdir "$work/job"
cat >"$work/job/compute.sh" <<'SH'
# One line per task: what the box tells the program, and its directory.
# The topology: a read-only file; a scratch directory of the task's own.
touch "$DCP_WORK_DIR/scratch" || exit 9
printf '%s|%s|%s|%s|%s|%s|%s|%s\n' "$DCP_SELECTION" "$DCP_START_DATE" "$DCP_END_DATE" "$DCP_ATTEMPT" \
  "${TEAM_MARK:-no mark}" "${DCP_MYSQL_URL:-no url}" "$(basename "$PWD")" "$(cat "$DCP_TOPOLOGY_FILE")"
SH
job() {  # job FILE TOPOLOGY_COMMAND WORKLOAD
  cat >"$work/job/$1" <<YAML
name: $name
topology:
  command: $2
workload: $3
window: none
range: {from: 2024-01-01, to: 2024-03-31}
tz: Europe/Amsterdam
compute:
  command: [sh, compute.sh]
  env: [TEAM_MARK]
  attempts: 2
  timeout: 20
YAML
}
job good.yaml "\"printf 'topology of the run'\"" "{items: ['10', '2', 'x y']}"

echo "-- a job run distributed: its queue, its order, its variables (compute.env, none of dcp's)"
run_id=$(leader run --job "$work/job/good.yaml" 2>"$work/leader.log") ||
  fail "leader: $(cat "$work/leader.log")"
TEAM_MARK=passed env -u DCP_QUEUE "$bin/dcp-worker" --job "$work/job/good.yaml" >>"$work/worker.log" 2>&1 &
pids+=("$!")
wait_for_sql "SELECT status FROM run WHERE run_id='$run_id'" "FINISHED"
expect_eq "$(sql "SELECT selection, start_date, end_date FROM run_process WHERE run_id='$run_id' ORDER BY seq" | tr '\t\n' ',;')" \
  "10,2024-01-01 00:00:00,2024-03-31 23:59:00;2,2024-01-01 00:00:00,2024-03-31 23:59:00;x y,2024-01-01 00:00:00,2024-03-31 23:59:00;" \
  "one task per selection over the whole range, in the workload's order"
expect_eq "$(sql "SELECT TRIM(TRAILING '\\n' FROM r.body) FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$run_id' ORDER BY p.seq" | tr '\n' ';')" \
  "10|2024-01-01 00:00|2024-03-31 23:59|1|passed|no url|job|topology of the run;2|2024-01-01 00:00|2024-03-31 23:59|1|passed|no url|job|topology of the run;x y|2024-01-01 00:00|2024-03-31 23:59|1|passed|no url|job|topology of the run;" \
  "results: the task's variables, in the job file's directory"
expect_eq "$(sql "SELECT CAST(GROUP_CONCAT(chunk ORDER BY seq SEPARATOR '') AS CHAR) FROM run_topology_chunk WHERE run_id='$run_id'")" \
  "topology of the run" "the topology command's output, stored with the run"
expect_eq "$(sql "SELECT r.job_name, CAST(r.job_sha256 AS CHAR) = SHA2(j.job_text, 256) FROM run r JOIN run_job j ON j.run_id = r.run_id WHERE r.run_id='$run_id'")" \
  "$(printf '%s\t1' "$name")" "the run is pinned to its job file"
expect_eq "$(sql "SELECT JSON_VALUE(params, '$.window'), JSON_VALUE(params, '$.tz') FROM run WHERE run_id='$run_id'")" \
  "$(printf 'none\tEurope/Amsterdam')" "the job's window and zone"
wait_for_depth "$DCP_QUEUE" 0

echo "-- a worker given another version of the job: the mismatch on the task, not its output"
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || fail "the worker did not stop cleanly"
other_id=$(leader run --job "$work/job/good.yaml" 2>"$work/leader.log") || fail "leader: $(cat "$work/leader.log")"
{ cat "$work/job/good.yaml"; echo "# edited after the run was planned"; } >"$work/job/edited.yaml"
TEAM_MARK=passed DCP_RETRY_DELAY=0 env -u DCP_QUEUE "$bin/dcp-worker" --job "$work/job/edited.yaml" >>"$work/worker.log" 2>&1 &
pids+=("$!")
wait_for_sql "SELECT status FROM run WHERE run_id='$other_id'" "FAILED"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$other_id' AND error LIKE 'job mismatch: the run was planned with job ''$name''%'")" \
  "3" "every task says the job does not match"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE run_id='$other_id'")" "0" "nothing computed with the wrong job"
kill -TERM "${pids[-1]}"

runs_before=$(sql "SELECT COUNT(*) FROM run")

# expect_failed_run JOB_FILE REASON: the leader exits 6 with the reason on
# stderr, and records the run as FAILED with that error, and no task.
expect_failed_run() {
  local rc=0 failed_id
  leader run --job "$work/job/$1" >/dev/null 2>"$work/refused.log" || rc=$?
  expect_eq "$rc" "6" "$1: exit code"
  grep -qF "$2" "$work/refused.log" || fail "$1: the reason: $(cat "$work/refused.log")"
  runs_before=$((runs_before + 1))
  expect_eq "$(sql "SELECT COUNT(*) FROM run")" "$runs_before" "$1: one run recorded"
  failed_id=$(sql "SELECT run_id FROM run ORDER BY id DESC LIMIT 1")
  expect_eq "$(sql "SELECT status, task_count FROM run WHERE run_id='$failed_id'")" \
    "$(printf 'FAILED\t0')" "$1: the run FAILED"
  [[ "$(sql "SELECT error FROM run WHERE run_id='$failed_id'")" == *"$2"* ]] ||
    fail "$1: the run's error is not the step's"
  expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$failed_id'")" "0" "$1: no task"
  "$bin/dcp" status "$failed_id" | grep -qF "error: " || fail "$1: dcp status shows no error"
}

echo "-- a topology command that fails: a FAILED run with its stderr, nothing published"
job failing.yaml "\"echo cannot reach the warehouse >&2; exit 4\"" "{items: [a]}"
expect_failed_run failing.yaml "topology.command: exit 4: cannot reach the warehouse"

echo "-- a workload command printing a duplicate id or a malformed line: its line number"
job duplicate.yaml "\"printf t\"" "{command: \"printf 'a\\\\nb\\\\na\\\\n'\"}"
expect_failed_run duplicate.yaml "workload.command: line 3: duplicate id 'a'"
job malformed.yaml "\"printf t\"" "{command: \"printf 'a\\\\n{\\\"id\\\": 3}\\\\n'\"}"
expect_failed_run malformed.yaml "workload.command: line 2: no \"id\" string"
wait_for_depth "$DCP_QUEUE" 0

echo "-- a job file with a typo: exit 2 from the leader and the worker, naming the key"
printf 'name: x\nworkload: {items: [a]}\ncompute: {command: ./run, timout: 3}\n' >"$work/job/typo.yaml"
for binary in dcp-leader dcp-worker; do
  args=(--job "$work/job/typo.yaml")
  [ "$binary" = dcp-leader ] && args=(run "${args[@]}")
  set +e
  "$bin/$binary" "${args[@]}" >/dev/null 2>"$work/typo.log"
  rc=$?
  set -e
  expect_eq "$rc" "2" "$binary: exit code of a bad job file"
  grep -q "compute.timout: unknown key" "$work/typo.log" || fail "$binary: $(cat "$work/typo.log")"
done

echo "-- dcp export: the results in the workload's order (10 before 2), not the id's"
expect_eq "$("$bin/dcp" export "$run_id" 2>/dev/null | cut -d'|' -f1 | tr '\n' ',')" "10,2,x y," \
  "the CSV in the workload's order"

echo "-- run --local --job: the same results in one process"
local_id=$(TEAM_MARK=passed leader run --job "$work/job/good.yaml" --local --allow-overlap 2>"$work/local.log") ||
  fail "local run: $(cat "$work/local.log")"
expect_eq "$(sql "SELECT p.selection, r.body FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$local_id' ORDER BY p.seq")" \
  "$(sql "SELECT p.selection, r.body FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$run_id' ORDER BY p.seq")" \
  "--local results equal the distributed ones"

echo "-- one worker given two jobs: each job's tasks from its own queue, by its own compute step"
second=$DCP_QUEUE.second
queues+=("$second")
cat >"$work/job/second.yaml" <<YAML
name: $name-second
queue: $second
workload: {items: [s1, s2]}
window: none
range: {from: 2024-01-01, to: 2024-01-31}
compute:
  command: printf 'second:%s' "\$DCP_SELECTION"
YAML
first_id=$(leader run --job "$work/job/good.yaml" --allow-overlap 2>"$work/leader.log") ||
  fail "leader: $(cat "$work/leader.log")"
second_id=$(leader run --job "$work/job/second.yaml" 2>"$work/leader.log") || fail "leader: $(cat "$work/leader.log")"
# The second job's tasks put on the first job's queue (--queue wins over the
# job file): the worker computes that queue's tasks with the first job only.
stray_id=$(leader run --job "$work/job/second.yaml" --queue "$DCP_QUEUE" --allow-overlap 2>"$work/leader.log") ||
  fail "leader: $(cat "$work/leader.log")"
TEAM_MARK=passed DCP_RETRY_DELAY=0 env -u DCP_QUEUE "$bin/dcp-worker" --job "$work/job/good.yaml" \
  --job "$work/job/second.yaml" >>"$work/worker.log" 2>&1 &
pids+=("$!")
wait_for_sql "SELECT COUNT(*) FROM run WHERE run_id IN ('$first_id', '$second_id') AND status='FINISHED'" "2"
expect_eq "$(sql "SELECT p.selection, r.body FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$second_id' ORDER BY p.seq" | tr '\t\n' ',;')" \
  "s1,second:s1;s2,second:s2;" "the second job's results, by its compute command"
expect_eq "$(sql "SELECT p.selection, r.body FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$first_id' ORDER BY p.seq")" \
  "$(sql "SELECT p.selection, r.body FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$run_id' ORDER BY p.seq")" \
  "the first job's results, as from a worker of that job alone"
wait_for_sql "SELECT status FROM run WHERE run_id='$stray_id'" "FAILED"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$stray_id' AND error LIKE 'job mismatch: the run was planned with job ''$name-second''%'")" \
  "2" "tasks on another job's queue are refused, not computed by that job's step"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result WHERE run_id='$stray_id'")" "0" "nothing computed with the wrong job"
wait_for_depth "$DCP_QUEUE" 0
wait_for_depth "$second" 0
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || fail "the worker of two jobs did not stop cleanly"

echo "-- schedule --job: each scheduled run runs the job's steps"
runs_before=$(sql "SELECT COUNT(*) FROM run")
env -u DCP_QUEUE "$bin/dcp-leader" schedule --job "$work/job/good.yaml" --cron "0 0 1 1 *" --range previous-month --run-now --allow-overlap \
  >>"$work/schedule.log" 2>&1 &
pids+=("$!")
wait_for_sql "SELECT COUNT(*) FROM run" "$((runs_before + 1))"
expect_eq "$(sql "SELECT status, task_count, error IS NULL FROM run ORDER BY id DESC LIMIT 1")" \
  "$(printf 'RUNNING\t3\t1')" "the scheduled run of the job: its steps ran, 3 tasks published"
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || fail "the scheduling leader did not stop cleanly: $(tail -3 "$work/schedule.log")"
echo "PASS"
