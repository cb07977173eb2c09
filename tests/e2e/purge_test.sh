#!/usr/bin/env bash
# Retention: `dcp purge` removes a run that ended 100 days ago, with every
# row it holds, while another run is in flight on two workers; the run in
# flight loses nothing (every task FINISHED once, one result each) and the
# recent runs are kept. A dry run lists what would go and deletes nothing;
# a purge that finds another holding the lock 'purge' exits 3 and changes
# nothing; a bad age exits 2; the leader with DCP_RETENTION_DAYS purges
# after it has published its run (run, and schedule on a thread of its own).
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
# A task's result is in its run_process row (task_result is a view of it).
tables=(run_process run_topology_chunk run_context run_job run_worker run)

# rows RUN: the rows the run holds in all its tables.
rows() {
  local total=0 table
  for table in "${tables[@]}"; do
    total=$((total + $(sql "SELECT COUNT(*) FROM $table WHERE run_id='$1'")))
  done
  echo "$total"
}
# age RUN DAYS: every time of the run that many days earlier.
age() {
  sql "UPDATE run SET created_at = created_at - INTERVAL $2 DAY, published_at = published_at - INTERVAL $2 DAY,
       finished_at = finished_at - INTERVAL $2 DAY, last_activity_at = last_activity_at - INTERVAL $2 DAY
       WHERE run_id='$1'"
}
local_run() {
  "$bin/dcp-leader" run --local --from "$1" --to "$2" --window day 2>>"$work/leader.log" ||
    fail "local run: $(tail -3 "$work/leader.log")"
}

old=$(local_run 2024-01-01 2024-01-10)
recent=$(local_run 2024-02-01 2024-02-03)
age "$old" 100
old_rows=$(rows "$old")
recent_rows=$(rows "$recent")
((old_rows > 20)) || fail "the old run holds only $old_rows rows"

# Bad input: exit 2, nothing deleted.
for args in "--older-than 90y" "--older-than 0d" ""; do
  rc=0
  # shellcheck disable=SC2086  # the flags, split on purpose
  DCP_RETENTION_DAYS='' "$bin/dcp" purge $args >/dev/null 2>&1 || rc=$?
  expect_eq "$rc" 2 "dcp purge $args"
done

# A dry run: the old run and its rows, nothing deleted.
dry=$("$bin/dcp" purge --older-than 90d --dry-run --json 2>/dev/null) || fail "dry run failed"
python3 - "$dry" "$old" "$old_rows" <<'PY' || fail "dry run: $dry"
import json, sys
report = json.loads(sys.argv[1])
assert report["dry_run"] is True and report["status"] == "done", report
assert [r["run_id"] for r in report["runs"]] == [sys.argv[2]], report
assert report["rows"] == int(sys.argv[3]), report
PY
expect_eq "$(rows "$old")" "$old_rows" "rows after the dry run"

# Another process holds the purge lock: exit 3, nothing deleted.
sql "INSERT INTO dcp_lock (name, owner, acquired_at, expires_at) VALUES ('purge', 'someone', NOW(6), NOW(6) + INTERVAL 1 HOUR)"
rc=0
"$bin/dcp" purge --older-than 90d >/dev/null 2>"$work/purge.err" || rc=$?
expect_eq "$rc" 3 "dcp purge while another holds the lock"
expect_eq "$(rows "$old")" "$old_rows" "rows after the refused purge"
sql "DELETE FROM dcp_lock WHERE name = 'purge'"

# A run in flight on two workers, purged beside: 1,638 tasks of 20 ms on
# four slots last about 8 s, the purge of the old run (45 batches) well
# under one.
in_flight=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-06-30 --window day 2>>"$work/leader.log") ||
  fail "leader run: $(tail -3 "$work/leader.log")"
total=$(sql "SELECT task_count FROM run WHERE run_id='$in_flight'")
for i in 1 2; do start_worker --worker-id "e2e-purge-$i" --computation sleep:20; done
wait_for_sql "SELECT tasks_finished > 0 FROM run WHERE run_id='$in_flight'" 1 60
"$bin/dcp" purge --older-than 90d --batch 7 --pause-ms 1 >"$work/purge.out" 2>"$work/purge.err" ||
  fail "purge: $(cat "$work/purge.err")"
expect_eq "$(sql "SELECT status FROM run WHERE run_id='$in_flight'")" RUNNING "the run in flight while purged"
grep -q "^$old " "$work/purge.out" || fail "the purged run is not listed: $(cat "$work/purge.out")"
expect_eq "$(rows "$old")" 0 "rows of the purged run"
expect_eq "$(rows "$recent")" "$recent_rows" "rows of the recent run"
rc=0
"$bin/dcp" status "$old" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 1 "dcp status of the purged run"
wait_for_sql "SELECT status FROM run WHERE run_id='$in_flight'" FINISHED 180
expect_finished_once "$in_flight" "$total" "the run purged beside"

# The leader with DCP_RETENTION_DAYS purges once its run is published.
age "$recent" 100
next=$(DCP_RETENTION_DAYS=90 "$bin/dcp-leader" run --from 2024-07-01 --to 2024-07-02 --window day 2>>"$work/leader.log") ||
  fail "leader run with retention: $(tail -3 "$work/leader.log")"
expect_eq "$(rows "$recent")" 0 "rows of the run the leader purged"
wait_for_sql "SELECT status FROM run WHERE run_id='$next'" FINISHED 60
expect_eq "$(sql "SELECT COUNT(*) FROM run")" 2 "runs left: the one purged beside and the leader's"

# The leader's schedule purges on a thread of its own: the aged run goes,
# and SIGTERM ends the schedule cleanly.
age "$in_flight" 100
port=$(free_port)
DCP_RETENTION_DAYS=90 "$bin/dcp-leader" schedule --cron "0 3 1 1 *" --range previous-day --window day \
  --run-now --selections S1-F1 --http-port "$port" 2>>"$work/leader.log" &
schedule=$!
pids+=("$schedule")
wait_for_sql "SELECT COUNT(*) FROM run WHERE run_id='$in_flight'" 0 60
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "the schedule's /healthz after its purge"
kill -TERM "$schedule"
rc=0
wait "$schedule" || rc=$?
expect_eq "$rc" 0 "the schedule's exit code after SIGTERM"
expect_eq "$(rows "$in_flight")" 0 "rows of the run the schedule purged"
echo "PASS: purge"
