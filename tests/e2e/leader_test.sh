#!/usr/bin/env bash
# The leader's guards and modes on the real servers: a second leader while
# one holds the run lock exits 3; a run while the previous one is still
# active exits 3; the built-in schedule starts a run and stops cleanly on
# SIGTERM; the exec computation puts another program behind dcp; bad flags
# and unreachable servers give one line and a distinct exit code.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
args=(--from 2024-01-01 --to 2024-01-02 --window day --selections S1-F1)

# 1. Another leader holds the run lock (a client session takes it).
mkfifo "$work/sql.fifo"
mariadb -h "$my_host" -P "$my_port" -u "$my_user" -p"$my_pass" "$db" <"$work/sql.fifo" >/dev/null &
pids+=($!)
exec 7>"$work/sql.fifo"
echo "SELECT GET_LOCK('dcp.run.$db', 0);" >&7
wait_for_sql "SELECT IS_USED_LOCK('dcp.run.$db') IS NOT NULL" 1 30
rc=0; "$bin/dcp-leader" run "${args[@]}" 2>"$work/err" || rc=$?
expect_eq "$rc" "3" "exit code with the lock held"
grep -q "run lock" "$work/err" || fail "message: $(cat "$work/err")"
exec 7>&-   # the client ends, the lock is released
wait_for_sql "SELECT IS_USED_LOCK('dcp.run.$db') IS NULL" 1 30

# 2. No worker yet: the first run stays active, a second is refused.
first=$("$bin/dcp-leader" run "${args[@]}")
rc=0; "$bin/dcp-leader" run "${args[@]}" 2>"$work/err" || rc=$?
expect_eq "$rc" "3" "exit code with the previous run active"
grep -q "$first" "$work/err" || fail "message does not name the active run: $(cat "$work/err")"

# 3. exec: `cat` echoes the task message; it becomes the task's result.
start_worker --computation exec --exec cat
wait_for_sql "SELECT status FROM run WHERE run_id='$first'" "FINISHED"
"$bin/dcp" export "$first" -o "$work/exec.csv" 2>/dev/null
expect_eq "$(wc -l <"$work/exec.csv")" "2" "exec results"
grep -q "\"task_id\":\"$(sql "SELECT task_id FROM run_process WHERE run_id='$first' ORDER BY seq LIMIT 1")\"" \
  "$work/exec.csv" || fail "exec output is not the task message"

# 4. The schedule: one run at start (--run-now), then SIGTERM ends it cleanly.
"$bin/dcp-leader" schedule --cron "0 3 1 1 *" --range previous-day --window day --run-now \
  --selections S1-F1 2>"$work/schedule.log" &
sched=$!
pids+=("$sched")
wait_for_sql "SELECT COUNT(*) FROM run WHERE trigger_kind='cron' AND status='FINISHED'" 1
kill -TERM "$sched"
rc=0; wait "$sched" || rc=$?
expect_eq "$rc" "0" "schedule exit code after SIGTERM"

# 5. Bad input at start: one line, distinct exit codes, no password shown.
rc=0; "$bin/dcp-leader" run --window fortnight 2>"$work/err" || rc=$?
expect_eq "$rc" "2" "bad --window"
rc=0; "$bin/dcp-leader" run --from 2024-02-30 --to 2024-03-01 2>"$work/err" || rc=$?
expect_eq "$rc" "2" "bad --from"
rc=0; DCP_AMQP_URL=amqp://u:secret-pw@127.0.0.1:1/v "$bin/dcp-leader" run "${args[@]}" --allow-overlap 2>"$work/err" || rc=$?
expect_eq "$rc" "4" "unreachable broker"
expect_eq "$(wc -l <"$work/err")" "1" "one line: $(cat "$work/err")"
! grep -q secret-pw "$work/err" || fail "password in the error: $(cat "$work/err")"
rc=0; DCP_MYSQL_URL=mysql://u:secret-pw@127.0.0.1:1/db "$bin/dcp-worker" 2>"$work/err" || rc=$?
expect_eq "$rc" "4" "unreachable database"
! grep -q secret-pw "$work/err" || fail "password in the error: $(cat "$work/err")"
rc=0; "$bin/dcp-worker" --concurrency zero 2>"$work/err" || rc=$?
expect_eq "$rc" "2" "bad --concurrency"
rc=0; "$bin/dcp-leader" run --mysql-url "postgres://x" 2>"$work/err" || rc=$?
expect_eq "$rc" "2" "bad --mysql-url"
echo "leader: lock, overlap, exec, schedule and bad flags behave"
