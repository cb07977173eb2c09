#!/usr/bin/env bash
# TLS to both engines, end to end: the leader, a worker and dcp reach
# RabbitMQ only by amqps:// and MariaDB only with --mysql-tls verify, both
# verified against the CA that scripts/stack made (DCP_TEST_CA_FILE); the
# broker lists the worker's connection as TLS. With another CA, each binary
# says the certificate does not verify and exits 4; a CA file that cannot be
# used is a usage error (2).
source "$(dirname "$0")/lib.sh"
requires_settings DCP_TEST_AMQPS_URL DCP_TEST_CA_FILE  # scripts/stack sets them up
export DCP_AMQP_URL=$DCP_TEST_AMQPS_URL DCP_AMQP_CA_FILE=$DCP_TEST_CA_FILE
export DCP_MYSQL_TLS=verify DCP_MYSQL_CA_FILE=$DCP_TEST_CA_FILE
other=$(dirname "$DCP_TEST_CA_FILE")/other-ca.pem

# expect_exit CODE WORDS COMMAND...: COMMAND exits CODE and its stderr holds WORDS.
expect_exit() {
  local code=$1 words=$2 rc=0; shift 2
  "$@" >/dev/null 2>"$work/err" || rc=$?
  expect_eq "$rc" "$code" "exit code of $*"
  grep -qF -e "$words" "$work/err" || fail "$*: stderr lacks '$words': $(cat "$work/err")"
  if grep -qF "dcp-dev" "$work/err"; then fail "$*: a password in stderr"; fi
}

expect_exit 4 "TLS" env DCP_MYSQL_CA_FILE="$other" "$bin/dcp-leader" migrate
expect_exit 4 "does not verify against the CA file '$other'" \
  env DCP_AMQP_CA_FILE="$other" "$bin/dcp" dead list
expect_exit 2 "--amqp-ca-file" env DCP_AMQP_URL="$DCP_TEST_AMQP_URL" "$bin/dcp" dead list
expect_exit 2 "--mysql-ca-file" env DCP_MYSQL_CA_FILE=/nonexistent/ca.pem "$bin/dcp" runs

"$bin/dcp-leader" migrate >/dev/null
start_worker --worker-id e2e-tls
run_id=$(timeout 300 "$bin/dcp-leader" run --from 2024-01-01 --to 2024-01-31 --window month --wait \
  2>"$work/leader.log") || fail "leader run over TLS failed: $(tail -3 "$work/leader.log")"
feeders=$(grep -c '"type":"feeder"' "$(dirname "$0")/../../data/grid/reference.json")
expect_eq "$(sql "SELECT status, task_count, tasks_finished FROM run WHERE run_id='$run_id'")" \
  "$(printf 'FINISHED\t%s\t%s' "$feeders" "$feeders")" "run row"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run_id' AND task_status='FINISHED' AND worker='e2e-tls'")" \
  "$feeders" "tasks FINISHED by the TLS worker"
if [ -n "${DCP_TEST_RABBITMQ_NODE:-}" ]; then
  ssl=$(rabbitmqctl -q -n "$DCP_TEST_RABBITMQ_NODE" list_connections --no-table-headers ssl client_properties |
    awk -F'\t' 'index($2, "\"dcp-worker e2e-tls\"") { print $1 }')
  expect_eq "$ssl" "true" "the worker's connection, as the broker sees it: TLS"
fi
"$bin/dcp" status "$run_id" --json | grep -q '"status":"FINISHED"' || fail "dcp status over TLS"
