#!/usr/bin/env bash
# Persistent workers (issue 13), with the built worker against the servers:
# a program kept between tasks that misbehaves in every way the issue names
# (garbage on descriptor 4, an answer for another task, two answers, a line
# over the limit, a hang, a crash, a memory leak past its recycle limit, a
# flood on stdout) still gets every task FINISHED exactly once, the bad
# attempts retried on a fresh process. A program that never gets ready, or
# exits at start-up, makes the worker unready (503), hand its messages back
# and exit 7 without computing a task; one that cannot be started again in
# the middle of a run does the same, and another worker finishes the run.
# And the protocol spoken by the shell example (examples/persistent-shell).
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed (the test's programs)"
"$bin/dcp-leader" migrate >/dev/null
name=${DCP_QUEUE#dcp.}
leader() { env -u DCP_QUEUE "$bin/dcp-leader" "$@"; }
export DCP_RETRY_DELAY=0 DCP_WORK_DIR=$work/work-dir PYTHONDONTWRITEBYTECODE=1
mkdir "$work/job"

# The misbehaving program: what it does wrong depends on the selection, on
# the first attempt only (the retry must then succeed on a fresh process).
cat >"$work/job/program.py" <<'PY'
import json, os, sys, time
out = os.fdopen(4, "wb", buffering=0)
def send(obj):
    out.write((json.dumps(obj) + "\n").encode())
if os.path.exists(os.environ.get("MARK_NO_RESTART", "/nonexistent")) and \
        os.path.exists(os.path.join(os.environ["MARK_NO_RESTART"], "crashed")):
    sys.exit("cannot start again: the crash left the program broken")
send({"ready": True})
kept = []
for line in os.fdopen(3, "rb"):
    request = json.loads(line)
    task, attempt = request["task"], request["attempt"]
    selection, task_id = task["selection"], task["task_id"]
    first = attempt == 1
    if first and selection == "garbage":
        out.write(b"Traceback (most recent call last): not a response\n")
        continue
    if first and selection == "other-id":
        send({"task_id": "00000000-0000-4000-8000-000000000000", "result": "stolen"})
        continue
    if first and selection == "too-long":
        out.write(b"x" * (400 << 10))
        continue
    if first and selection == "hang":
        time.sleep(120)
    if first and selection == "crash":
        if os.environ.get("MARK_NO_RESTART"):
            open(os.path.join(os.environ["MARK_NO_RESTART"], "crashed"), "w").close()
        os.kill(os.getpid(), 9)
    if selection == "flood":
        sys.stdout.write("noise " * 1000000)
        sys.stdout.flush()
    if selection == "leak":
        kept.append(b"\x01" * (96 << 20))
    # leak-after: whether this process still holds the leak (it must not:
    # the leak's process was recycled, above its memory limit).
    held = len(kept) if selection == "leak-after" else "-"
    result = {"task_id": task_id, "result": f"{selection}|{attempt}|{held}\n", "extra": "ignored"}
    send(result)
    if selection == "twice":
        send(result)
PY

job() {  # job FILE ITEMS [EXTRA COMPUTE LINES]
  cat >"$work/job/$1" <<YAML
name: $name
workload: {items: $2}
window: none
range: {from: 2024-01-01, to: 2024-01-31}
compute:
  command: [python3, program.py]
  mode: persistent
  env: [MARK_NO_RESTART]
  attempts: 3
  timeout: 4
  startup_timeout: 10
  startup_tries: 2
  recycle: {memory: 80}
${3:-}
YAML
}

echo "-- every bad answer fails its attempt, a fresh process computes the retry, nothing counted twice"
job bad.yaml "[ok, garbage, other-id, twice, too-long, hang, crash, flood, leak, leak-after]"
run_id=$(leader run --job "$work/job/bad.yaml" 2>"$work/leader.log") || fail "leader: $(cat "$work/leader.log")"
# One thread, so that every misbehaviour hits the process the next task uses.
start_worker --job "$work/job/bad.yaml" --concurrency 1 --max-result-bytes 100000
wait_for_sql "SELECT status FROM run WHERE run_id='$run_id'" "FINISHED" 120
expect_eq "$(sql "SELECT tasks_finished, (SELECT COUNT(*) FROM task_result WHERE run_id='$run_id') FROM run WHERE run_id='$run_id'")" \
  "$(printf '10\t10')" "ten tasks, ten results, counted once"
expect_eq "$(sql "SELECT GROUP_CONCAT(TRIM(TRAILING '\\n' FROM r.body) ORDER BY p.seq SEPARATOR ' ') FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$run_id'")" \
  "ok|1|- garbage|2|- other-id|2|- twice|1|- too-long|2|- hang|2|- crash|2|- flood|1|- leak|1|- leak-after|1|0" \
  "each bad attempt retried once, on a process that answers; the rest on their first"
expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run_id' AND task_status='FINISHED'")" "10" "all FINISHED"
wait_for_depth "$DCP_QUEUE" 0
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || fail "the worker did not stop cleanly"

echo "-- the protocol in another language: examples/persistent-shell (POSIX sh), on 2 threads"
repo=$(cd "$(dirname "$0")/../.." && pwd)
cp -r "$repo/examples/persistent-shell" "$work/shell"
sed -i "s/^name: persistent-shell$/name: $name/" "$work/shell/job.yaml"
shell_run=$(leader run --job "$work/shell/job.yaml" --allow-overlap 2>"$work/leader.log") || fail "leader: $(cat "$work/leader.log")"
start_worker --job "$work/shell/job.yaml"
wait_for_sql "SELECT status FROM run WHERE run_id='$shell_run'" "FINISHED" 60
expect_eq "$(sql "SELECT GROUP_CONCAT(TRIM(TRAILING '\n' FROM r.body) ORDER BY p.seq SEPARATOR ';') FROM run_process p JOIN task_result r ON r.task_id = p.task_id WHERE p.run_id='$shell_run'")" \
  "a,2024-01-01 00:00;b,2024-01-01 00:00;c,2024-01-01 00:00;a,2024-02-01 00:00;b,2024-02-01 00:00;c,2024-02-01 00:00;a,2024-03-01 00:00;b,2024-03-01 00:00;c,2024-03-01 00:00" \
  "the shell program's rows, one per task"
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || fail "the worker did not stop cleanly"

# unready_then_exits JOB DEPTH: the worker is not ready while its program fails to
# start, then exits 7, having computed nothing and handed every message back.
unready_then_exits() {
  local run port code="" worker rc=0
  port=$(free_port)
  run=$(leader run --job "$work/job/$1" --allow-overlap 2>"$work/leader.log") || fail "leader: $(cat "$work/leader.log")"
  "$bin/dcp-worker" --job "$work/job/$1" --http-port "$port" >>"$work/worker.log" 2>&1 &
  worker=$!
  pids+=("$worker")
  local deadline=$((SECONDS + 30))
  while ((SECONDS < deadline)) && kill -0 "$worker" 2>/dev/null; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
    [ "$code" != "000" ] && break
    sleep 0.1
  done
  expect_eq "$code" "503" "$1: readiness while the program does not start"
  wait "$worker" || rc=$?
  expect_eq "$rc" "7" "$1: the worker's exit code"
  expect_eq "$(sql "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND task_status='QUEUED' AND attempt=0")" \
    "3" "$1: no task started, none lost"
  wait_for_depth "$DCP_QUEUE" "$2"
  echo "$run"
}
echo "-- a program that never says ready: readiness 503, messages handed back, exit 7"
printf 'import time\ntime.sleep(60)\n' >"$work/job/silent.py"
job silent.yaml "[a, b, c]"
sed -i -e 's|\[python3, program.py\]|[python3, silent.py]|' -e 's|startup_timeout: 10|startup_timeout: 1|' "$work/job/silent.yaml"
silent_run=$(unready_then_exits silent.yaml 3 | tail -1)
echo "-- a program that exits at start-up (an import error): the same"
printf 'import numpy_that_is_not_installed\n' >"$work/job/broken.py"
job broken.yaml "[a, b, c]"
sed -i 's|\[python3, program.py\]|[python3, broken.py]|' "$work/job/broken.yaml"
broken_run=$(unready_then_exits broken.yaml 6 | tail -1)
"$bin/dcp" cancel "$silent_run" >/dev/null
"$bin/dcp" cancel "$broken_run" >/dev/null
# Their messages are skipped (cancelled runs) by the next worker.

echo "-- a program that cannot start again after a crash mid-run: exit 7, another worker finishes"
mkdir "$work/mark"
export MARK_NO_RESTART=$work/mark
job mid.yaml "[s1, s2, crash, s4, s5, s6]"
mid_run=$(leader run --job "$work/job/mid.yaml" --allow-overlap 2>"$work/leader.log") || fail "leader: $(cat "$work/leader.log")"
"$bin/dcp-worker" --job "$work/job/mid.yaml" --concurrency 1 >>"$work/worker.log" 2>&1 &
first=$!
pids+=("$first")
rc=0
wait "$first" || rc=$?
expect_eq "$rc" "7" "the worker whose program broke mid-run"
rm "$work/mark/crashed"
unset MARK_NO_RESTART
start_worker --job "$work/job/mid.yaml"
wait_for_sql "SELECT status FROM run WHERE run_id='$mid_run'" "FINISHED" 120
expect_eq "$(sql "SELECT tasks_finished, (SELECT COUNT(*) FROM task_result WHERE run_id='$mid_run') FROM run WHERE run_id='$mid_run'")" \
  "$(printf '6\t6')" "every task of the run once"
wait_for_depth "$DCP_QUEUE" 0
echo "PASS"
