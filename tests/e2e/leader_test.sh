#!/usr/bin/env bash
# The leader's guards and modes on the real servers: a second leader while
# one holds the run lock exits 3, and starts once that lease has ended; a
# run while the previous one is still active exits 3; the built-in schedule
# starts a run and stops cleanly on SIGTERM; the exec computation puts
# another program behind dcp; bad flags and unreachable servers give one
# line and a distinct exit code; a leader that loses its run lock while it
# publishes stops and exits 8.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
args=(--from 2024-01-01 --to 2024-01-02 --window day --selections S1-F1)

# 1. Another leader holds the run lock: its live lease row, as a leader writes it.
sql "INSERT INTO dcp_lock VALUES ('run', 'another-leader', NOW(6), NOW(6) + INTERVAL 1 HOUR)"
rc=0; "$bin/dcp-leader" run "${args[@]}" --allow-overlap 2>"$work/err" || rc=$?
expect_eq "$rc" "3" "exit code with the lock held"
grep -q "run lock" "$work/err" || fail "message: $(cat "$work/err")"
expect_eq "$(sql "SELECT owner FROM dcp_lock WHERE name='run'")" "another-leader" "the holder's lease"
expect_eq "$(sql "SELECT COUNT(*) FROM run")" "0" "runs started with the lock held"
# Its holder dies without releasing it: the lease ends (30 s for a leader; cut short here).
sql "UPDATE dcp_lock SET expires_at = NOW(6) - INTERVAL 1 SECOND WHERE name='run'"

# 2. The lease ended: a leader starts. No worker yet: its run stays active,
# and the next is refused for that (not for the lock: it was released).
first=$("$bin/dcp-leader" run "${args[@]}")
expect_eq "$(sql "SELECT COUNT(*) FROM dcp_lock")" "0" "the run lock released at exit"
rc=0; "$bin/dcp-leader" run "${args[@]}" 2>"$work/err" || rc=$?
expect_eq "$rc" "3" "exit code with the previous run active"
grep -q "$first" "$work/err" || fail "message does not name the active run: $(cat "$work/err")"
! grep -q "run lock" "$work/err" || fail "refused for the lock: $(cat "$work/err")"

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
# 6. The run lock is lost while the leader publishes (another leader took it
# over): it stops publishing, says so, exits 8; the run waits to be resumed.
"$bin/dcp-leader" run --from 2024-01-01 --to 2024-12-31 --window 1h --selections S1-F1,S1-F2,S1-F3 \
  --publish-batch 1 --allow-overlap >/dev/null 2>"$work/err" &
leader=$!
pids+=("$leader")
wait_for_sql "SELECT COUNT(*) FROM run WHERE status='PUBLISHING' AND published_tasks > 0" 1 60
sql "UPDATE dcp_lock SET owner = 'another-leader' WHERE name='run'"
rc=0; wait "$leader" || rc=$?
expect_eq "$rc" "8" "exit code with the lock lost ($(tail -1 "$work/err"))"
grep -q "lost the run lock" "$work/err" || fail "message: $(cat "$work/err")"
expect_eq "$(sql "SELECT COUNT(*) FROM run WHERE status='PUBLISHING' AND published_tasks < task_count")" \
  "1" "the run left half-published"
expect_eq "$(sql "SELECT owner FROM dcp_lock WHERE name='run'")" "another-leader" "the new holder's lease"
echo "leader: lock, overlap, exec, schedule, bad flags and a lost lock behave"
