#!/usr/bin/env bash
# dcp-monitor's API and the operator CLI against real runs: authorisation
# (disabled without a token, 401 with a wrong one), validation (400 with a
# reason), a triggered run progressing to FAILED with one feeder's error,
# workers, queue, live events, cancel and retry.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null

# call METHOD PATH [curl args...]: prints "<status> <body>"
call() {
  local method=$1 path=$2; shift 2
  curl -s -o "$work/body" -w '%{http_code}' -X "$method" "$@" "$api$path" >"$work/code" || true
  echo "$(cat "$work/code") $(cat "$work/body")"
}
expect_call() {  # expect_call STATUS PATTERN METHOD PATH [curl args...]
  local status=$1 pattern=$2; shift 2
  local got; got=$(call "$@")
  [[ "$got" == "$status "* ]] || fail "$1 $2: expected $status, got $got"
  grep -q -- "$pattern" <<<"$got" || fail "$1 $2: '$pattern' not in $got"
}
# wait_for_api PATH PATTERN [SECONDS]
wait_for_api() {
  local deadline=$((SECONDS + ${3:-60})) got=""
  while ((SECONDS < deadline)); do
    got=$(curl -s "$api$1" || true)
    grep -q -- "$2" <<<"$got" && return 0
    sleep 0.2
  done
  fail "waited for $1 to show '$2', last: $got"
}

# wait_for_metric REGEX [SECONDS]: a line of the monitor's /metrics matches.
wait_for_metric() {
  local deadline=$((SECONDS + ${2:-30}))
  while ((SECONDS < deadline)); do
    curl -s "$api/metrics" >"$work/metrics" || true
    grep -Eq -- "^$1\$" "$work/metrics" && return 0
    sleep 0.2
  done
  fail "/metrics has no line '$1': $(grep '^dcp_' "$work/metrics" | tr '\n' ' ')"
}

# Without a token the mutating endpoints are disabled.
port=$(free_port); api=http://127.0.0.1:$port
start_monitor "$port" DCP_MONITOR_TOKEN=
expect_call 403 "DCP_MONITOR_TOKEN" POST /api/runs -d '{}'
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || fail "monitor did not stop cleanly on SIGTERM"
unset 'pids[-1]'

port=$(free_port); api=http://127.0.0.1:$port
start_monitor "$port" DCP_MONITOR_TOKEN=s3cret
auth=(-H "Authorization: Bearer s3cret")
expect_call 200 '^200 \[\]' GET /api/runs
expect_call 200 '<title>dcp monitor</title>' GET /
expect_call 200 'streamEvents' GET /app.js
expect_call 200 'class SseParser' GET /events.js
expect_call 401 'token' POST /api/runs -d '{}'
expect_call 401 'token' POST /api/runs -H "Authorization: Bearer wrong" -d '{}'
expect_call 400 "from '2024-13-01'" POST /api/runs "${auth[@]}" -d '{"from":"2024-13-01","to":"2024-12-31"}'
expect_call 400 "unknown field 'color'" POST /api/runs "${auth[@]}" -d '{"color":"red"}'
expect_call 400 "not in the workload" POST /api/runs "${auth[@]}" -d '{"from":"2024-01-01","to":"2024-01-31","selections":"NOPE"}'
expect_call 400 'JSON object' POST /api/runs "${auth[@]}" -d 'not json'
expect_call 400 'not a UUID' GET /api/runs/nope
expect_call 404 'no run' GET "/api/runs/$(uuid)"
expect_call 404 'no such endpoint' GET /api/nothing

# A run triggered through the API; feeder S1-F1 fails with an error that
# needs escaping on the page.
got=$(call POST /api/runs "${auth[@]}" -d '{"from":"2024-01-01","to":"2024-02-29","window":"month"}')
[[ "$got" == "201 "* ]] || fail "trigger: $got"
run_id=$(sed -E 's/.*"run_id":"([^"]+)".*/\1/' <<<"$got")
expect_call 200 "\"run_id\":\"$run_id\"" GET "/api/runs/$run_id"
# shellcheck disable=SC2016 # $(cat) and $in are the inner sh's
start_worker --worker-id e2e-monitor-worker --max-attempts 1 --computation exec \
  --exec 'sh -c '\''in=$(cat); case "$in" in *\"S1-F1\"*) echo "feeder <b>on fire</b>" >&2; exit 3;; esac; echo ok'\'''
wait_for_api "/api/runs/$run_id" '"status":"FAILED"'
expect_call 200 'feeder <b>on fire</b>' GET "/api/runs/$run_id/tasks?status=FAILED"
failed=$(curl -s "$api/api/runs/$run_id/tasks?status=FAILED" | grep -o '"task_id"' | wc -l)
expect_eq "$failed" 2 "FAILED tasks (S1-F1, two months)"
expect_call 400 "not a task status" GET "/api/runs/$run_id/tasks?status=DONE"
wait_for_api /api/workers '"worker_id":"e2e-monitor-worker"'
expect_call 200 "\"queue\":\"$DCP_QUEUE\"" GET /api/queue
expect_call 200 '"history":\[{' GET /api/queue
curl -s -N --max-time 2 "$api/api/events" >"$work/events" || true
grep -q '^event: snapshot' "$work/events" || fail "no snapshot event on /api/events: $(head -c 300 "$work/events")"
grep -q "$run_id" "$work/events" || fail "the snapshot does not show the run"

# The alert metrics of that run, queue and worker: both FAILED tasks are
# dead letters, the worker consumes and is live, nothing is active.
q=${DCP_QUEUE//./\\.}
created=$(sql "SELECT TIMESTAMPDIFF(SECOND, '1970-01-01', created_at) FROM run WHERE run_id='$run_id'")
wait_for_metric "dcp_dead_letter_messages\\{queue=\"$q\"\\} 2"
wait_for_metric "dcp_queue_consumers\\{queue=\"$q\"\\} 1"
wait_for_metric "dcp_workers_live 1"
wait_for_metric "dcp_workers_stale 0"
wait_for_metric "dcp_monitor_backend_up 1"
wait_for_metric "dcp_run_last_started_timestamp_seconds\\{dcp_job=\"reference\"\\} $created"
wait_for_metric "dcp_run_active_seconds\\{dcp_job=\"reference\"\\} 0"
grep -q '^dcp_schedule_' "$work/metrics" && fail "schedule metrics without a cron"

# The CLI sees the same.
"$bin/dcp" runs | grep -q "^$run_id  manual" || fail "dcp runs: $("$bin/dcp" runs)"
"$bin/dcp" tasks "$run_id" --status FAILED | grep -q 'feeder <b>on fire</b>' || fail "dcp tasks"
"$bin/dcp" tasks "$run_id" --status FAILED --json | grep -q '"attempt":1' || fail "dcp tasks --json"
"$bin/dcp" status "$run_id" --json | grep -q '"status":"FAILED"' || fail "dcp status --json"
"$bin/dcp" status "$run_id" --watch | grep -q 'FAILED 2' || fail "dcp status --watch"
"$bin/dcp" workers | grep -q 'e2e-monitor-worker' || fail "dcp workers"

# Retry and cancel.
expect_call 409 'already ended' POST "/api/runs/$run_id/cancel" "${auth[@]}"
expect_call 200 '"published":2,"requeued":2' POST "/api/runs/$run_id/retry" "${auth[@]}"
wait_for_api "/api/runs/$run_id" '"status":"FAILED"'   # S1-F1 still fails
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || fail "worker did not drain"; unset 'pids[-1]'
second=$("$bin/dcp" trigger --from 2024-03-01 --to 2024-03-31 --window week) || fail "dcp trigger"
[[ "$second" =~ ^[0-9a-f-]{36}$ ]] || fail "dcp trigger printed '$second'"
# No worker now: the run's messages wait with no consumer, and it is active.
wait_for_metric "dcp_queue_consumers\\{queue=\"$q\"\\} 0"
wait_for_metric "dcp_queue_messages_ready\\{queue=\"$q\"\\} [1-9][0-9]*"
wait_for_metric "dcp_run_active_seconds\\{dcp_job=\"reference\"\\} [0-9]+"
"$bin/dcp" cancel "$second" | grep -q 'cancelled' || fail "dcp cancel"
expect_call 200 '"status":"CANCELLED"' GET "/api/runs/$second"
"$bin/dcp" cancel "$second" >/dev/null 2>&1 && fail "cancelling twice succeeded"
expect_call 409 'was cancelled' POST "/api/runs/$second/retry" "${auth[@]}"
third=$(call POST /api/runs "${auth[@]}" -d '{"from":"2024-05-01","to":"2024-05-31"}' | sed -E 's/.*"run_id":"([^"]+)".*/\1/')
expect_call 200 '"tasks_cancelled":' POST "/api/runs/$third/cancel" "${auth[@]}"
start_worker --worker-id e2e-after-cancel
wait_for_sql "SELECT COUNT(*) FROM run_process WHERE run_id='$third' AND task_status <> 'CANCELLED'" 0 10
wait_for_depth "$DCP_QUEUE" 0 60   # the cancelled run's messages were acked and skipped
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$third' AND task_status='CANCELLED'")" \
  "$(sql "SELECT tasks_cancelled FROM run WHERE run_id='$third'")" "cancelled rows = counter"

echo "-- a monitor given a job: POST /api/runs starts the job's run (its steps, its window), and the monitor runs its export"
for pid in "${pids[@]}"; do kill -TERM "$pid"; wait "$pid" || true; done
pids=()
mkdir "$work/job" "$work/export"
# Named so that its queue (dcp.<name>) is this test's.
cat >"$work/job/job.yaml" <<YAML
name: ${DCP_QUEUE#dcp.}
topology: {command: "printf grid"}
workload: {command: "printf 'b\\na\\n'"}
window: none
range: {from: 2024-02-01, to: 2024-02-29}
compute: {command: [sh, -c, 'printf "%s %s" "\$DCP_SELECTION" "\$(cat "\$DCP_TOPOLOGY_FILE")"']}
export: {command: [sh, -c, 'cat > "\$DCP_EXPORT_DIR/\$DCP_RUN_ID.jsonl"']}
YAML
port=$(free_port); api=http://127.0.0.1:$port
start_monitor "$port" DCP_MONITOR_TOKEN=s3cret DCP_JOB="$work/job/job.yaml" DCP_EXPORT_DIR="$work/export" \
  DCP_COMPLETION_POLL=0.2
# The worker computes with the job's command but is not given the job: only
# the monitor may claim the export.
# shellcheck disable=SC2016 # expanded by the command's shell
start_worker --exec 'printf "%s %s" "$DCP_SELECTION" "$(cat "$DCP_TOPOLOGY_FILE")"'
job_run=$(call POST /api/runs "${auth[@]}" -d '{}' | sed -E 's/.*"run_id":"([^"]+)".*/\1/')
[[ "$job_run" =~ ^[0-9a-f-]{36}$ ]] || fail "POST /api/runs of the job: $job_run"
wait_for_sql "SELECT export_status FROM run WHERE run_id='$job_run'" "FINISHED"
expect_eq "$(sql "SELECT job_name, task_count FROM run WHERE run_id='$job_run'")" \
  "$(printf '%s\t2' "${DCP_QUEUE#dcp.}")" "the job's run: its workload, window none over its range"
expect_eq "$(python3 -c 'import json,sys; print(",".join(json.loads(l)["selection"]+":"+json.loads(l)["result"] for l in open(sys.argv[1])))' "$work/export/$job_run.jsonl")" \
  "b:b grid,a:a grid" "the monitor ran the export, the tasks in the workload's order"
expect_call 200 '"job":"'"${DCP_QUEUE#dcp.}"'"' GET "/api/runs/$job_run"
echo "monitor_test: ok"
