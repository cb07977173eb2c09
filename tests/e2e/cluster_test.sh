#!/usr/bin/env bash
# A broker cluster and a database cluster lose a node mid-run (issue 15):
# three RabbitMQ nodes and a three-node Galera cluster of scripts/cluster
# (ports of this test's own), four workers spread over the broker nodes, all
# writing through the first Galera node. One run of 2,160 tasks each time,
# and in turn a SIGKILL of: the node leading the task queue; a follower; the
# node the leader publishes through, while it publishes; the Galera node the
# workers write to; then writers go through two Galera nodes at once. Before
# all, two migrates at once through two nodes. After each: every task
# FINISHED once with one result, the run's counters equal to the rows, the
# completion reported once (one webhook call), the queues drained, the
# killed node back and in sync.
# Heavy (six servers): ctest runs it alone (RUN_SERIAL), in the ci preset.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cluster=$here/../../scripts/cluster
export DCP_CLUSTER_DIR=$here/../../out/cluster-test
# Apart from a developer's scripts/cluster (17900-17912; 17960-17992) and the
# benchmark's (17940-17952; 18130-18162).
export DCP_CLUSTER_AMQP_PORT=17920 DCP_CLUSTER_MYSQL_PORT=18080
trap '"$cluster" down >/dev/null 2>&1' EXIT
"$cluster" down >/dev/null 2>&1 || true
# Six servers from nothing: a server that dies while it forms its cluster
# (once, in CI, a Galera bootstrap crashed) gets one more try from scratch;
# a second failure fails the test. The setup only: no assertion is retried.
if ! cluster_env=$("$cluster" up); then
  echo "scripts/cluster up failed; once more from nothing" >&2
  "$cluster" down >/dev/null 2>&1 || true
  cluster_env=$("$cluster" up) || { echo "FAIL: scripts/cluster up" >&2; exit 1; }
fi
eval "$cluster_env"
IFS=, read -r -a amqp_urls <<<"$DCP_AMQP_URL"
IFS=, read -r -a mysql_urls <<<"$DCP_MYSQL_URL"
IFS=, read -r -a rabbit_nodes <<<"$DCP_CLUSTER_RABBITMQ_NODES"
# lib.sh makes this test's database through node 1.
export DCP_TEST_AMQP_URL=${amqp_urls[0]} DCP_TEST_MYSQL_URL=${mysql_urls[0]}
unset DCP_TEST_RABBITMQ_NODE
source "$here/lib.sh"
trap 'end_started; "$cluster" down >/dev/null 2>&1; rm -rf "$work"' EXIT

# rotated FIRST URL...: the list from node FIRST (1-3) on, comma-separated:
# each client starts elsewhere.
rotated() {
  local first=$1 out=() i; shift
  for i in 0 1 2; do out+=("${@:$(((first - 1 + i) % 3 + 1)):1}"); done
  (IFS=,; echo "${out[*]}")
}
from_node() { rotated "$1" "${amqp_urls[@]}"; }
# The database list from node $1 on, with this test's database.
mysql_from() { rotated "$1" "${mysql_urls[@]/%\/dcp//$db}"; }
export DCP_MYSQL_URL; DCP_MYSQL_URL=$(mysql_from 1)
mysql_ports=()
for url in "${mysql_urls[@]}"; do port=${url##*:}; mysql_ports+=("${port%%/*}"); done
# Reads through the first node that answers (one may be down).
sql() {
  local port
  for port in "${mysql_ports[@]}"; do
    mariadb -N -B -h 127.0.0.1 -P "$port" -u "$my_user" -p"$my_pass" "$db" -e "$1" 2>/dev/null && return 0
  done
  return 1
}
queue_depth() {
  local node
  for node in "${rabbit_nodes[@]}"; do
    rabbitmqctl -q -n "$node" list_queues -p dcp name messages 2>/dev/null |
      awk -v q="$1" '$1 == q { print $2 }' && return 0
  done
}

start_webhook_receiver 0  # no refused first posts
export DCP_WEBHOOK_URL="http://127.0.0.1:$webhook_port/hook" DCP_COMPLETION_POLL=0.1
export DCP_RETRY_DELAY=1 DCP_DELIVERY_LIMIT=50
# Two migrates at once through two nodes: the migrate lock holds across the
# cluster (GET_LOCK would be each node's own), so each migration runs once.
DCP_MYSQL_URL=$(mysql_from 1) "$bin/dcp-leader" migrate >/dev/null 2>"$work/migrate.1" &
first_migrate=$!
DCP_MYSQL_URL=$(mysql_from 2) "$bin/dcp-leader" migrate >/dev/null 2>"$work/migrate.2" ||
  fail "migrate through node 2: $(cat "$work/migrate.2")"
wait "$first_migrate" || fail "migrate through node 1: $(cat "$work/migrate.1")"
read -r versions distinct < <(sql "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations")
((versions > 0)) && expect_eq "$versions" "$distinct" "each migration recorded once"
for i in 1 2 3 4; do
  DCP_AMQP_URL=$(from_node $(((i - 1) % 3 + 1))) start_worker --worker-id "cluster-w$i" \
    --computation sleep:40 --max-attempts 20
done

runs=0
# start_run FIRST_NODE [leader flags...]: a run of 2,160 tasks published
# through the broker list from FIRST_NODE on; its id in $work/run.N (N: the
# value of $runs + 1, the caller counts).
start_run() {
  local first=$1; shift
  DCP_AMQP_URL=$(from_node "$first") "$bin/dcp-leader" run --from 2024-03-25 --to 2024-04-03 \
    --window 1h "$@" >"$work/run.$((runs + 1))" 2>>"$work/leader.log" ||
    fail "run: $(tail -3 "$work/leader.log")"
}
next_run() { start_run "$@"; runs=$((runs + 1)); run=$(cat "$work/run.$runs"); }
# Work under way: at least 100 tasks of run $1 FINISHED.
under_way() {
  wait_for_sql "SELECT COUNT(*) >= 100 FROM run_process WHERE run_id='$1' AND task_status='FINISHED'" 1 60
}
# The invariants after a kill, once the run ended.
check_run() {
  local run=$1 what=$2 tasks
  wait_for_sql "SELECT status FROM run WHERE run_id='$run'" FINISHED 300
  tasks=$(sql "SELECT task_count FROM run WHERE run_id='$run'")
  expect_eq "$tasks" 2160 "$what: planned tasks"
  expect_finished_once "$run" "$tasks" "$what"
  wait_for_sql "SELECT completion_reported_at IS NOT NULL FROM run WHERE run_id='$run'" 1 60
  local deadline=$((SECONDS + 30))
  until [ "$(grep -c "\"run_id\":\"$run\"" "$work/webhook.log")" -ge 1 ]; do
    ((SECONDS < deadline)) || fail "$what: no webhook call for run $run"
    sleep 0.1
  done
  for queue in "$DCP_QUEUE" "$DCP_QUEUE.retry" "$DCP_QUEUE.dead"; do wait_for_depth "$queue" 0 60; done
  echo "$what: $tasks tasks FINISHED once, $(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND attempt > 1") ran more than once"
}
# Back and in sync: every quorum queue with all members online, Galera Synced.
restart() {
  "$cluster" start "$1" "$2" >/dev/null 2>&1 || fail "scripts/cluster start $1 $2"
  "$cluster" wait-synced || fail "$1 $2 did not come back in sync"
}
leader_of_queue() { "$cluster" leader "$DCP_QUEUE"; }

# The first run declares the queues; 3.10 then needs a leader for every queue
# and a first confirmed publish before a kill (the run's own).
next_run 1
check_run "$run" "before any kill"
"$cluster" wait-synced || fail "not in sync before the kills"

# 1. The node leading the task queue.
victim=$(leader_of_queue)
next_run 1
under_way "$run"
"$cluster" kill rabbitmq "$victim"
check_run "$run" "the task queue's leader (rabbitmq $victim) killed"
restart rabbitmq "$victim"

# 2. A follower of the task queue.
victim=$(($(leader_of_queue) % 3 + 1))
next_run 1
under_way "$run"
"$cluster" kill rabbitmq "$victim"
check_run "$run" "a follower (rabbitmq $victim) killed"
restart rabbitmq "$victim"

# 3. The node the leader publishes through, while it publishes (a pause of
# 100 ms after each confirmed batch of 100: 2.2 s of publishing).
victim=$(leader_of_queue)
start_run "$victim" --test-pause-per-batch-ms 100 &
publisher=$!
pids+=("$publisher")
# The run being published is the one not yet published whole.
publishing="SELECT COALESCE(MAX(published_tasks), 0) FROM run WHERE published_tasks < 2160"
deadline=$((SECONDS + 60))
until published=$(sql "$publishing") && ((published >= 200)); do
  ((SECONDS < deadline)) || fail "the leader did not start publishing"
  sleep 0.05
done
"$cluster" kill rabbitmq "$victim"
wait "$publisher" || fail "the leader failed when its node was killed: $(tail -3 "$work/leader.log")"
runs=$((runs + 1)) run=$(cat "$work/run.$runs")
check_run "$run" "the leader's broker node (rabbitmq $victim) killed after $published of 2160 published"
restart rabbitmq "$victim"

# 4. The Galera node the workers write through (the first of their list).
next_run 1
under_way "$run"
"$cluster" kill mysql 1
check_run "$run" "the Galera node written to (mysql 1) killed"
restart mysql 1

# 5. Writers through two Galera nodes at once, as during a flap: the first
# workers moved to node 2 when node 1 died and stay there; two more write
# through node 3. The run's row is then updated through both (certification
# conflicts, error 1213 at commit, each transaction run again).
for i in 5 6; do
  DCP_MYSQL_URL=$(mysql_from 3) DCP_AMQP_URL=$(from_node $((i % 3 + 1))) start_worker \
    --worker-id "cluster-w$i" --computation sleep:40 --max-attempts 20
done
conflicts_before=$(mariadb -N -B -h 127.0.0.1 -P "${mysql_ports[2]}" -u "$my_user" -p"$my_pass" \
  -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_cert_failures'" | cut -f2)
next_run 1
under_way "$run"
writers_on() {  # connections of this test's database on the node of port $1
  mariadb -N -B -h 127.0.0.1 -P "$1" -u "$my_user" -p"$my_pass" \
    -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '$db' AND ID <> CONNECTION_ID()"
}
on2=$(writers_on "${mysql_ports[1]}") on3=$(writers_on "${mysql_ports[2]}")
((on2 > 0 && on3 > 0)) || fail "not written through two nodes: $on2 connections on node 2, $on3 on node 3"
check_run "$run" "writers through Galera nodes 2 and 3 at once"
conflicts=$(($(mariadb -N -B -h 127.0.0.1 -P "${mysql_ports[2]}" -u "$my_user" -p"$my_pass" \
  -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_cert_failures'" | cut -f2) - conflicts_before))
echo "  ($conflicts certification conflicts on node 3, each run again)"

# No run reported twice, however late.
for run_file in "$work"/run.*; do
  expect_eq "$(grep -c "\"run_id\":\"$(cat "$run_file")\"" "$work/webhook.log")" 1 "webhook calls of run $(cat "$run_file")"
done
echo "cluster_test: ok (4 kills and two writer nodes, $runs runs, each FINISHED once, each reported once)"
