# shellcheck shell=bash
# Shared by the end-to-end tests. Each test gets its own database and queue
# on the servers of scripts/test (DCP_TEST_MYSQL_URL, DCP_TEST_AMQP_URL), and
# ends every process it started, by PID.
set -euo pipefail
# Without the servers a test is skipped (exit 77, ctest's SKIP_RETURN_CODE),
# or fails under DCP_REQUIRE_SERVERS=1 (.ci/run sets it).
# requires_settings VARIABLE...: each set, else skip (or fail, see above).
requires_settings() {
  local variable
  for variable in "$@"; do
    if [ -z "${!variable:-}" ]; then
      echo "$variable not set: start servers with scripts/stack (see README)" >&2
      [ "${DCP_REQUIRE_SERVERS:-}" = 1 ] && { echo "FAIL: DCP_REQUIRE_SERVERS=1" >&2; exit 1; }
      exit 77
    fi
  done
}
requires_settings DCP_TEST_MYSQL_URL DCP_TEST_AMQP_URL
bin=${1:?usage: $0 BIN_DIR}

suffix=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
db=dcp_e2e_$suffix
export DCP_MYSQL_URL=${DCP_TEST_MYSQL_URL%/*}/$db
export DCP_AMQP_URL=$DCP_TEST_AMQP_URL
export DCP_QUEUE=dcp.e2e.$suffix
export DCP_LOG_LEVEL=${DCP_LOG_LEVEL:-warn}
export DCP_CONCURRENCY=2 DCP_HEARTBEAT_INTERVAL=0.5
work=$(mktemp -d)
pids=()
queues=("$DCP_QUEUE")  # deleted at the end with their .dead and .retry queues

# mysql://user:pass@host:port/db
url=${DCP_TEST_MYSQL_URL#mysql://}
my_user=${url%%:*}; url=${url#*:}
my_pass=${url%%@*}; url=${url#*@}
my_host=${url%%:*}; url=${url#*:}
my_port=${url%%/*}

sql() { mariadb -N -B -h "$my_host" -P "$my_port" -u "$my_user" -p"$my_pass" "$db" -e "$1"; }
sql_nodb() { mariadb -N -B -h "$my_host" -P "$my_port" -u "$my_user" -p"$my_pass" -e "$1"; }

end_started() {  # every process this test started, by PID
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}

cleanup() {
  end_started
  # DCP_E2E_KEEP=1 keeps the database and the logs of a failed test for a look.
  [ -n "${DCP_E2E_KEEP:-}" ] && { echo "kept: database $db, logs in $work" >&2; return; }
  sql_nodb "DROP DATABASE IF EXISTS $db" || true
  if [ -n "${DCP_TEST_RABBITMQ_NODE:-}" ]; then
    local queue q
    for queue in "${queues[@]}"; do
      for q in "$queue" "$queue.dead" "$queue.retry"; do
        rabbitmqctl -q -n "$DCP_TEST_RABBITMQ_NODE" delete_queue -p dcp "$q" >/dev/null 2>&1 || true
      done
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# For a test that stops and starts the servers of scripts/stack ($stack):
# they must be running, and they are running again when it ends, whatever
# happens. Our processes end first: none may hold a connection (and so a
# port) while the servers come back.
stops_servers() {
  stack=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/stack
  [[ "$("$stack" status)" == *"rabbitmq: running"* ]] || fail "needs the servers of scripts/stack"
  trap 'end_started; "$stack" start rabbitmq >/dev/null 2>&1; "$stack" start mysql >/dev/null 2>&1; cleanup' EXIT
}

fail() {
  echo "FAIL: $*" >&2
  if [ -s "$work/worker.log" ]; then
    echo "--- last lines of the workers' log:" >&2
    tail -n 30 "$work/worker.log" >&2
    # A sanitizer's first report, last (CI shows the end of a test's
    # output): the sides of a race and the top of each stack, which the
    # tail alone cut off.
    # ASan's reports start "==PID==ERROR: AddressSanitizer", TSan's
    # "WARNING: ThreadSanitizer", a sanitizer's own failure
    # "ThreadSanitizer: CHECK failed".
    local report='(WARNING|ERROR): [A-Za-z]+Sanitizer|Sanitizer: CHECK failed'
    if grep -qE "$report" "$work/worker.log"; then
      echo "--- the first sanitizer report in the workers' log, the top of each stack:" >&2
      awk -v start="$report" '!on && $0 ~ start { on = 1 } on { print } on && /^SUMMARY: / { exit }' \
        "$work/worker.log" |
        grep -E "$report|SUMMARY|of size|[Pp]revious|[Tt]hread T|Location|^ +#[0-5] " | head -n 40 >&2
    fi
  fi
  exit 1
}
expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }

# shellcheck source=tests/free_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/../free_port.sh"
# start_monitor PORT [env...]: dcp-monitor on 127.0.0.1:PORT, once it answers.
start_monitor() {
  local port=$1; shift
  env "$@" "$bin/dcp-monitor" --bind 127.0.0.1 --port "$port" --refresh 0.2 >>"$work/monitor.log" 2>&1 &
  pids+=($!)
  local deadline=$((SECONDS + 30))
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    ((SECONDS < deadline)) || fail "monitor did not start: $(tail -3 "$work/monitor.log")"
    sleep 0.05
  done
}

sql_nodb "CREATE DATABASE $db"

start_worker() {
  "$bin/dcp-worker" "$@" >>"$work/worker.log" 2>&1 &
  pids+=("$!")
}

# Polls the database until `sql` returns `expected`, for at most `seconds`:
# waiting on a state, with a deadline.
wait_for_sql() {
  local query=$1 expected=$2 seconds=${3:-60} got=""
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    got=$(sql "$query" 2>/dev/null || true)
    [ "$got" = "$expected" ] && return 0
    sleep 0.2
  done
  fail "waited ${seconds}s for [$query] = '$expected', last '$got'"
}

# Messages (ready + unacked) in a queue of the test broker. RabbitMQ
# refreshes these figures every few seconds: wait for a value, don't read one.
queue_depth() {
  rabbitmqctl -q -n "${DCP_TEST_RABBITMQ_NODE:?set by scripts/test}" list_queues -p dcp name messages |
    awk -v q="$1" '$1 == q { print $2 }'
}

# wait_for_depth QUEUE N [SECONDS] [at-least]
wait_for_depth() {
  local queue=$1 expected=$2 seconds=${3:-60} at_least=${4:-} got=""
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    got=$(queue_depth "$queue")
    [ "$got" = "$expected" ] && return 0
    [ -n "$at_least" ] && [ -n "$got" ] && ((got >= expected)) && return 0
    sleep 0.5
  done
  fail "waited ${seconds}s for $queue to hold $expected messages, it holds '$got'"
}

uuid() { cat /proc/sys/kernel/random/uuid; }

# expect_finished_once RUN N [WHAT]: the run's N tasks all FINISHED, one
# result each, the run's counters equal to its rows.
expect_finished_once() {
  local run=$1 n=$2 what=${3:+$3: }
  expect_eq "$(sql "SELECT task_status, COUNT(*) FROM run_process WHERE run_id='$run' GROUP BY task_status")" \
    "$(printf 'FINISHED\t%s' "$n")" "${what}every task FINISHED"
  expect_eq "$(sql "SELECT COUNT(*), COUNT(DISTINCT task_id) FROM task_result WHERE run_id='$run'")" \
    "$(printf '%s\t%s' "$n" "$n")" "${what}one result per task"
  expect_eq "$(sql "SELECT tasks_finished, tasks_failed FROM run WHERE run_id='$run'")" \
    "$(printf '%s\t0' "$n")" "${what}run counters = rows"
}

# start_webhook_receiver [webhook_receiver.py's FAIL_FIRST and flags]: the
# receiver of webhook_receiver.py, logging to $work/webhook.log; its port in
# webhook_port once it listens.
start_webhook_receiver() {
  python3 "$(dirname "${BASH_SOURCE[0]}")/webhook_receiver.py" "$work/webhook.port" "$work/webhook.log" "$@" &
  pids+=($!)
  local deadline=$((SECONDS + 20))
  until [ -s "$work/webhook.port" ]; do
    ((SECONDS < deadline)) || fail "webhook receiver did not start"
    sleep 0.05
  done
  # shellcheck disable=SC2034  # read by the test that sources this
  webhook_port=$(cat "$work/webhook.port")
}
