#!/usr/bin/env bash
# dcp dead list / dcp dead replay against a real worker. A job whose compute
# fails while a file says so dead-letters the tasks of two runs; a malformed
# message is dead-lettered too. `dead list` shows them all and leaves the
# queue as it was, in its order; `dead replay --run A` (after a dry run that
# changes nothing) requeues and republishes A's tasks, which finish, with
# the run's counters equal to its rows; replaying again is a no-op; B's
# letters and the malformed one stay. A replay killed after publishing,
# before its acks, loses nothing and publishes nothing twice: replayed again,
# its letters are dropped. A letter whose task FINISHED since (dcp retry)
# is dropped; a malformed one is kept.
source "$(dirname "$0")/lib.sh"
"$bin/dcp-leader" migrate >/dev/null
name=${DCP_QUEUE#dcp.}  # the job's queue, dcp.<name>, is this test's queue
dead=$DCP_QUEUE.dead

mkdir "$work/job"
cat >"$work/job/compute.sh" <<'SH'
# Fails while fail-<selection> exists beside the job file.
if [ -e "fail-$DCP_SELECTION" ]; then echo "failing on purpose: $DCP_SELECTION" >&2; exit 3; fi
echo "ok $DCP_SELECTION"
SH
cat >"$work/job/job.yaml" <<YAML
name: $name
workload: {items: ['a', 'b', 'c', 'd']}
window: none
range: {from: 2024-01-01, to: 2024-01-31}
compute:
  command: [sh, compute.sh]
  attempts: 1
YAML
touch "$work/job/fail-a" "$work/job/fail-b"
env -u DCP_QUEUE "$bin/dcp-worker" --job "$work/job/job.yaml" >>"$work/worker.log" 2>&1 &
pids+=("$!")

new_run() {
  local run
  run=$(env -u DCP_QUEUE "$bin/dcp-leader" run --job "$work/job/job.yaml" 2>>"$work/leader.log") ||
    fail "leader: $(cat "$work/leader.log")"
  wait_for_sql "SELECT status FROM run WHERE run_id='$run'" "FAILED" >&2
  echo "$run"
}
run_a=$(new_run)
run_b=$(new_run)
echo 'not a task message' | "$bin/dcp-test-publish" "$DCP_AMQP_URL" "$DCP_QUEUE"
wait_for_depth "$dead" 5

counters_match_rows() {  # the run's counters, then the same counted from its rows
  expect_eq "$(sql "SELECT tasks_finished, tasks_failed, tasks_cancelled FROM run WHERE run_id='$1'")" \
    "$(sql "SELECT SUM(task_status='FINISHED'), SUM(task_status='FAILED'), SUM(task_status='CANCELLED') FROM run_process WHERE run_id='$1'")" \
    "run $1: counters equal the rows"
}
ids() { python3 -c 'import json,sys; print(" ".join(str(l["task_id"]) for l in json.load(sys.stdin)))'; }

echo "-- dead list: every letter, the queue left as it was, in its order"
"$bin/dcp" dead list >"$work/list.txt" 2>"$work/list.err" || fail "dead list: $(cat "$work/list.err")"
expect_eq "$(wc -l <"$work/list.txt")" "6" "a header and 5 letters"
grep -q "^RUN .*REASON" "$work/list.txt" || fail "no header: $(cat "$work/list.txt")"
expect_eq "$(grep -c "$run_a .* a  .*FAILED (1)" "$work/list.txt")" "1" "run A's task a, FAILED after 1 attempt"
grep -q "failing on purpose: a" "$work/list.txt" || fail "the reason: $(cat "$work/list.txt")"
grep -q "(malformed, 18 bytes)" "$work/list.txt" || fail "the malformed letter: $(cat "$work/list.txt")"
grep -q "5 dead letters shown; $dead holds 5" "$work/list.err" || fail "the count: $(cat "$work/list.err")"
first=$("$bin/dcp" dead list --json 2>/dev/null | ids)
second=$("$bin/dcp" dead list --json 2>/dev/null | ids)
expect_eq "$second" "$first" "listing twice: the same letters in the same order"
wait_for_depth "$dead" 5
expect_eq "$("$bin/dcp" dead list --run "$run_a" --json 2>/dev/null | python3 -c 'import json,sys; print(sorted({l["run_id"] for l in json.load(sys.stdin)}), end="")')" \
  "['$run_a']" "--run: that run's letters only"
"$bin/dcp" dead list -n 2 2>"$work/list.err" >/dev/null
grep -q "2 dead letters shown; $dead holds 5; --limit shows more" "$work/list.err" || fail "bounded: $(cat "$work/list.err")"

echo "-- dead replay --dry-run: says what it would do, changes nothing"
"$bin/dcp" dead replay --run "$run_a" --dry-run >"$work/dry.txt" 2>"$work/dry.err" || fail "dry run: $(cat "$work/dry.err")"
grep -q "dry run: 2 would be replayed, 0 dropped, 0 kept" "$work/dry.err" || fail "dry run: $(cat "$work/dry.err")"
expect_eq "$(sql "SELECT status, tasks_failed FROM run WHERE run_id='$run_a'")" "$(printf 'FAILED\t2')" "dry run: run A unchanged"
wait_for_depth "$dead" 5

echo "-- a replay killed after publishing, before acking: replayed again, its letters are dropped"
rm "$work/job/fail-a" "$work/job/fail-b"
rc=0; "$bin/dcp" dead replay --run "$run_a" --test-crash-before-ack >/dev/null 2>&1 || rc=$?
expect_eq "$rc" "137" "killed at the failpoint"
wait_for_sql "SELECT status FROM run WHERE run_id='$run_a'" "FINISHED"
counters_match_rows "$run_a"
wait_for_depth "$dead" 5  # nothing acked: the letters came back
"$bin/dcp" dead replay --run "$run_a" >"$work/replay.txt" 2>"$work/replay.err" || fail "replay: $(cat "$work/replay.err")"
grep -q "0 dead letters replayed (0 tasks requeued and published), 2 dropped, 0 kept" "$work/replay.err" ||
  fail "after the crash: $(cat "$work/replay.err")"
expect_eq "$(grep -c "FINISHED since: dropped" "$work/replay.txt")" "2" "both letters dropped"
wait_for_depth "$dead" 3
a_ids=$(sql "SELECT task_id FROM run_process WHERE run_id='$run_a'")
expected=$(for id in $first; do grep -qx "$id" <<<"$a_ids" || printf '%s ' "$id"; done)
expect_eq "$("$bin/dcp" dead list --json 2>/dev/null | ids)" "${expected% }" "the other letters stay, in their order"
expect_eq "$(sql "SELECT COUNT(*) FROM task_result r JOIN run_process p ON p.task_id = r.task_id WHERE p.run_id='$run_a'")" "4" "run A: 4 results"

echo "-- dead replay --run B: requeued, published, finished; again: a no-op; the malformed letter stays"
touch "$work/job/fail-c"  # not a task of B's letters: B's a and b now succeed
"$bin/dcp" dead replay --run "$run_b" >"$work/replay.txt" 2>"$work/replay.err" || fail "replay: $(cat "$work/replay.err")"
grep -q "2 dead letters replayed (2 tasks requeued and published), 0 dropped, 0 kept, 1 of other runs left" "$work/replay.err" ||
  fail "replay B: $(cat "$work/replay.err")"
wait_for_sql "SELECT status FROM run WHERE run_id='$run_b'" "FINISHED"
counters_match_rows "$run_b"
expect_eq "$(sql "SELECT GROUP_CONCAT(attempt ORDER BY seq) FROM run_process WHERE run_id='$run_b'")" "1,1,1,1" \
  "replayed tasks start again at attempt 1"
wait_for_depth "$dead" 1
"$bin/dcp" dead replay --run "$run_b" 2>"$work/replay.err" >/dev/null
grep -q "0 dead letters replayed (0 tasks requeued and published), 0 dropped, 0 kept" "$work/replay.err" ||
  fail "replay again: $(cat "$work/replay.err")"
"$bin/dcp" dead replay >"$work/replay.txt" 2>"$work/replay.err"
grep -q "malformed (.*): not replayed" "$work/replay.txt" || fail "malformed: $(cat "$work/replay.txt")"
grep -q "0 dead letters replayed .*, 0 dropped, 1 kept" "$work/replay.err" || fail "malformed kept: $(cat "$work/replay.err")"
wait_for_depth "$dead" 1
expect_eq "$(queue_depth "$DCP_QUEUE")" "0" "nothing left to compute"

echo "-- a letter whose task FINISHED since (dcp retry) is dropped, nothing published"
rm "$work/job/fail-c"
touch "$work/job/fail-d"
run_c=$(new_run)
wait_for_depth "$dead" 2
rm "$work/job/fail-d"
"$bin/dcp" retry "$run_c" >/dev/null
wait_for_sql "SELECT status FROM run WHERE run_id='$run_c'" "FINISHED"
"$bin/dcp" dead replay --run "$run_c" >"$work/replay.txt" 2>"$work/replay.err"
grep -q "0 dead letters replayed (0 tasks requeued and published), 1 dropped" "$work/replay.err" ||
  fail "after retry: $(cat "$work/replay.err")"
counters_match_rows "$run_c"
wait_for_depth "$dead" 1
echo "dead letters: listed without loss, replayed once per task, counters right, the malformed kept"
