#!/usr/bin/env bash
# Exactly one completion: a run whose last tasks end on several workers at
# once is reported once: one run.completed event on dcp.events, one webhook
# call (after a refused first attempt; over https, verified against a CA of
# the test's own given by DCP_WEBHOOK_CA_FILE), one exported CSV equal to
# `dcp export`.
source "$(dirname "$0")/lib.sh"
events_queue=$DCP_QUEUE.events
trap 'cleanup_completion' EXIT
cleanup_completion() {
  [ -n "${DCP_TEST_RABBITMQ_NODE:-}" ] &&
    rabbitmqctl -q -n "$DCP_TEST_RABBITMQ_NODE" delete_queue -p dcp "$events_queue" >/dev/null 2>&1
  cleanup
}

"$bin/dcp-leader" migrate >/dev/null
"$bin/dcp-test-events" subscribe "$DCP_AMQP_URL" "$events_queue" || fail "cannot bind $events_queue"

bash "$(dirname "$0")/make_test_certs.sh" "$work" || fail "cannot make the test's certificates"
start_webhook_receiver 1 --tls "$work/server.pem" "$work/server.key"
mkdir "$work/export"
export DCP_WEBHOOK_URL="https://127.0.0.1:$webhook_port/hook" DCP_WEBHOOK_CA_FILE=$work/ca.pem
export DCP_EXPORT_DIR=$work/export DCP_COMPLETION_POLL=0.05

# Publish first, then start four workers together: they take the tasks in
# step and end the last ones at about the same moment.
run_id=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-04-30 --window month 2>"$work/leader.log") ||
  fail "leader run failed: $(tail -3 "$work/leader.log")"
for i in 1 2 3 4; do start_worker --worker-id "e2e-w$i" --computation sleep:100; done
wait_for_sql "SELECT status FROM run WHERE run_id='$run_id'" FINISHED 120
workers=$(sql "SELECT COUNT(DISTINCT worker) FROM run_process WHERE run_id='$run_id'")
((workers >= 2)) || fail "only $workers worker(s) took tasks"
wait_for_sql "SELECT completion_reported_at IS NOT NULL FROM run WHERE run_id='$run_id'" 1 60

# Stop the workers: after they exit nobody can report anything else.
for p in "${pids[@]:1}"; do kill -TERM "$p"; done
for p in "${pids[@]:1}"; do wait "$p" || fail "a worker exited with $?"; done
pids=("${pids[0]}")

# Other tests share the exchange: count the events about this run.
events=()
while event=$("$bin/dcp-test-events" take "$DCP_AMQP_URL" "$events_queue"); do
  grep -q "\"run_id\":\"$run_id\"" <<<"$event" && events+=("$event")
done
expect_eq "${#events[@]}" 1 "run.completed events of the run"
grep -q '"event":"run.completed"' <<<"${events[0]}" || fail "not a run.completed event: ${events[0]}"
grep -q '"status":"FINISHED"' <<<"${events[0]}" || fail "event status: ${events[0]}"
expect_eq "$(wc -l <"$work/webhook.log")" 1 "webhook calls answered 2xx"
expect_eq "$(cat "$work/webhook.log")" "${events[0]}" "webhook body = event"

csv=$work/export/$run_id.csv
[ -s "$csv" ] || fail "no exported CSV at $csv"
grep -q "\"csv\":\"$csv\"" <<<"${events[0]}" || fail "event does not name the CSV: ${events[0]}"
"$bin/dcp" export "$run_id" -o "$work/manual.csv" 2>/dev/null
cmp -s "$csv" "$work/manual.csv" || fail "exported CSV differs from dcp export"
echo "completion_test: ok (one event, one webhook call, CSV exported; $workers workers)"
