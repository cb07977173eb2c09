#!/usr/bin/env bash
# The dcp benchmark (see scripts/bench): starts its own RabbitMQ and MariaDB
# on loopback, runs each scenario DCP_BENCH_RUNS times (default 3), prints
# the medians as a table and as JSON (out/bench/results.json).
# DCP_BENCH_SCENARIOS picks some of: ceilings enqueue end_to_end sleep_work
# cpu_work reference first_task oneshot job_file persistent (default: all), and profile (perf over an
# end-to-end run: where the CPU goes, by process and inside the worker),
# soak (dcp-monitor under hostile load for DCP_BENCH_SOAK_SECONDS, default 60),
# cluster (scripts/cluster's 3 + 3 nodes against single ones, nodes killed)
# million (a run of a million tasks, per buffer pool size: see million()),
# purge_beside (a run's rate alone and beside a purge) and row_costs (the
# database's CPU per row of each kind of statement of the write path).
# DCP_BENCH_BASELINE=<git revision> also builds that revision's release
# binaries (in out/bench/baseline) and runs each scenario with them right
# before the current ones, in the same run: the table then shows both and
# their ratio (DCP_BENCH_BASELINE_BIN=<dir> uses binaries built already).
# shellcheck disable=SC2046  # range_for prints flags, split into words on purpose
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${DCP_BENCH_BIN:-$repo/build/bin}
runs=${DCP_BENCH_RUNS:-3}
n=${DCP_BENCH_TASKS:-20000}
scenarios=${DCP_BENCH_SCENARIOS:-ceilings enqueue end_to_end sleep_work cpu_work reference first_task oneshot job_file persistent}
out=$repo/out/bench
mkdir -p "$out"
baseline_bin=${DCP_BENCH_BASELINE_BIN:-}
if [ -n "${DCP_BENCH_BASELINE:-}" ] && [ -z "$baseline_bin" ]; then
  src=$out/baseline/src
  rm -rf "$src"
  git -C "$repo" worktree prune
  git -C "$repo" worktree add --force --detach "$src" "$DCP_BENCH_BASELINE" >/dev/null
  cmake -S "$src" -B "$out/baseline/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDCP_BUILD_TESTS=OFF >/dev/null
  cmake --build "$out/baseline/build" --target dcp-leader dcp-worker dcp dcp-bench-ceilings >/dev/null
  baseline_bin=$out/baseline/build/bin
fi
prefix=""  # "baseline_" while the baseline's binaries run
export DCP_STACK_DIR=$out/stack DCP_STACK_AMQP_PORT=17850 DCP_STACK_MYSQL_PORT=17456
stack=$repo/scripts/stack
"$stack" down >/dev/null 2>&1 || true
eval "$("$stack" up 2>/dev/null)"
# The scenario cluster's servers too, if it was cut short.
trap '"$stack" down >/dev/null 2>&1; [ -z "${DCP_CLUSTER_DIR:-}" ] || "$repo/scripts/cluster" down >/dev/null 2>&1' EXIT
export DCP_LOG_LEVEL=warn DCP_TZ=UTC DCP_QUEUE=dcp.bench
node=dcp-stack-$DCP_STACK_AMQP_PORT@localhost
# The servers measured: the stack's (one node each) or, in the scenario
# cluster, the cluster's through its first nodes.
sql_port=$DCP_STACK_MYSQL_PORT
sqlc() { mariadb -N -B -h127.0.0.1 -P"$sql_port" -udcp -pdcp-dev dcp -e "$1"; }
# As the server's root (the stack's, on its socket): global settings.
sql_root() { mariadb -N -B --socket="$DCP_STACK_DIR/mysql/mysqld.sock" -uroot -e "$1"; }
"$bin/dcp-leader" migrate >/dev/null

ticks=$(getconf CLK_TCK)
cpu_ticks() {  # utime + stime of the given pids, in clock ticks
  local total=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
# (rabbit.pid has no final newline: read each file on its own)
server_pid_files=("$DCP_STACK_DIR/rabbitmq/rabbit.pid" "$DCP_STACK_DIR/mysql/mysqld.pid")
servers() { local f; for f in "${server_pid_files[@]}"; do echo "$(<"$f")"; done; }
# The clock ticks so far of the brokers, the databases and the workers: "B D W".
cpu_parts() {
  local f broker=() db=()
  for f in "${server_pid_files[@]}"; do
    if [[ $f == */rabbit.pid ]]; then broker+=("$(<"$f")"); else db+=("$(<"$f")"); fi
  done
  echo "$(cpu_ticks "${broker[@]}") $(cpu_ticks "${db[@]}") $(cpu_ticks "${workers[@]}")"
}
# cpu_split BEFORE AFTER LEADER_SECONDS TASKS: the CPU per task in ms of all
# processes, then of the broker, the database, the workers and the leader.
cpu_split() {
  awk -v b="$1" -v a="$2" -v l="$3" -v hz="$ticks" -v t="$4" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    br = (y[1] - x[1]) / hz; db = (y[2] - x[2]) / hz; w = (y[3] - x[3]) / hz
    printf "%.3f %.3f %.3f %.3f %.3f", 1000 * (br + db + w + l) / t, 1000 * br / t, 1000 * db / t,
      1000 * w / t, 1000 * l / t }'
}
# record_cpu LABEL "SPLIT"...: the medians of cpu_split's figures, as
# LABEL_cpu_ms_per_task and LABEL_cpu_ms_per_task_{broker,database,workers,leader}.
record_cpu() {
  local label=$1 i part
  shift
  local parts=("" _broker _database _workers _leader)
  for i in 0 1 2 3 4; do
    part=${parts[$i]}
    record "${label}_cpu_ms_per_task$part" "$(for s in "$@"; do read -ra f <<<"$s"; echo "${f[$i]}"; done | median)"
  done
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
reset() {  # an empty schema and queue for the next measurement
  # task_result is a table before migration 0011 (a baseline's), a view of
  # run_process since; run_worker is there since migration 0012.
  local results="" table
  for table in task_result run_worker; do
    [ "$(sqlc "SELECT table_type FROM information_schema.tables WHERE table_schema = 'dcp'
               AND table_name = '$table'")" != "BASE TABLE" ] || results+="DELETE FROM $table; "
  done
  sqlc "${results}DELETE FROM run_process; DELETE FROM run_context; DELETE FROM run; DELETE FROM worker"
  rabbitmqctl -q -n "$node" purge_queue -p dcp "$DCP_QUEUE" >/dev/null 2>&1 || true
}
# Tasks of the reference grid's 9 feeders by hour: n / 216 days.
range_for() { local days=$((($1 + 215) / 216)); echo "--from 2023-01-01 --to $(date -u -d "2023-01-01 + $((days - 1)) days" +%F) --window 1h"; }
start_workers() {  # count, computation, [concurrency], [more worker flags...]
  workers=()
  local i count=$1 computation=$2 concurrency=${3:-}
  shift $(($# < 3 ? $# : 3))
  for ((i = 0; i < count; i++)); do
    "$bin/dcp-worker" --computation "$computation" ${concurrency:+--concurrency $concurrency} --prefetch 256 "$@" \
      >>"$out/worker.log" 2>&1 &
    workers+=($!)
  done
}
stop_workers() { kill -TERM "${workers[@]}" 2>/dev/null || true; wait "${workers[@]}" 2>/dev/null || true; workers=(); }
wait_run() {  # until the run is FINISHED; prints its duration (s) from its first to its last task
  # (rates come from the rows' timestamps: polling often only costs CPU)
  until [ "$(sqlc "SELECT status FROM run WHERE run_id='$1'")" = FINISHED ]; do sleep 0.25; done
  sqlc "SELECT TIMESTAMPDIFF(MICROSECOND, MIN(started_at), MAX(finished_at)) / 1e6 FROM run_process WHERE run_id='$1'"
}

declare -A result
record() { result[$prefix$1]=$2; printf '  %-44s %s\n' "$prefix$1" "$2" >&2; }

ceilings() {
  echo "== ceilings of this machine" >&2
  "$bin/dcp-bench-ceilings" --amqp-url "$DCP_AMQP_URL" --mysql-url "$DCP_MYSQL_URL" >"$out/ceilings.txt"
  while read -r key value; do record "$key" "$value"; done <"$out/ceilings.txt"
}

enqueue() {
  echo "== 1. enqueue $n tasks with confirms, rows included" >&2
  vals=()
  for ((r = 0; r < runs; r++)); do
    reset
    s=$(date +%s.%N)
    "$bin/dcp-leader" run $(range_for "$n") --allow-overlap >/dev/null
    e=$(date +%s.%N)
    tasks=$(sqlc "SELECT COUNT(*) FROM run_process")
    vals+=("$(awk -v t="$tasks" -v s="$s" -v e="$e" 'BEGIN {printf "%.0f", t / (e - s)}')")
  done
  record enqueue_tasks_per_s "$(printf '%s\n' "${vals[@]}" | median)"
  /usr/bin/time -f "%M" -o "$out/leader.rss" "$bin/dcp-leader" run $(range_for 100000) --allow-overlap >/dev/null
  record leader_peak_rss_mib_100k "$(awk '{printf "%.1f", $1 / 1024}' "$out/leader.rss")"
}

# e2e_figures LABEL WORKERS: the median end-to-end rate and CPU per task
# (all processes: the servers, the workers, the leader; and each of them) of
# no-op runs of n tasks, recorded as LABEL_tasks_per_s and
# LABEL_cpu_ms_per_task (record_cpu); the first
# worker's peak RSS of the first run in worker_rss.
e2e_figures() {
  local label=$1 w=$2 rate=() cpu=() r run secs before after leader_s tasks
  for ((r = 0; r < runs; r++)); do
    reset
    start_workers "$w" noop
    before=$(cpu_parts)
    run=$(/usr/bin/time -f "%U %S" -o "$out/leader.cpu" "$bin/dcp-leader" run $(range_for "$n") --allow-overlap)
    secs=$(wait_run "$run")
    after=$(cpu_parts)
    leader_s=$(awk '{print $1 + $2}' "$out/leader.cpu")
    tasks=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run'")
    rate+=("$(awk -v t="$tasks" -v s="$secs" 'BEGIN {printf "%.0f", t / s}')")
    cpu+=("$(cpu_split "$before" "$after" "$leader_s" "$tasks")")
    [ -n "${worker_rss:-}" ] || worker_rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/${workers[0]}/status")
    stop_workers
  done
  record "${label}_tasks_per_s" "$(printf '%s\n' "${rate[@]}" | median)"
  record_cpu "$label" "${cpu[@]}"
}

end_to_end() {
  worker_rss=""
  for w in 2 4; do
    echo "== 2. end to end, no work, $w workers" >&2
    e2e_figures "e2e_noop_${w}w" "$w"
  done
  record worker_peak_rss_mib "$worker_rss"
}

efficiency() {  # label workers concurrency computation tasks ideal_seconds
  local vals=() r
  for ((r = 0; r < runs; r++)); do
    reset
    start_workers "$2" "$4" "$3"
    run=$("$bin/dcp-leader" run $(range_for "$5") --allow-overlap)
    secs=$(wait_run "$run")
    tasks=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run'")
    vals+=("$(awk -v i="$6" -v t="$tasks" -v n="$5" -v s="$secs" 'BEGIN {printf "%.3f", i * t / n / s}')")
    stop_workers
  done
  record "$1" "$(printf '%s\n' "${vals[@]}" | median)"
}

sleep_work() {
  echo "== 3. sleep work: 2,000 tasks of 10 ms, 4 workers" >&2
  efficiency efficiency_sleep_10ms 4 1 sleep:10 2000 5.0
}

cpu_work() {
  cores=$(nproc)
  echo "== 4. CPU work: 2 ms of CPU per task, $cores workers" >&2
  efficiency efficiency_spin_2ms "$cores" 1 spin:2 2000 "$(awk -v c="$cores" 'BEGIN {print 2000 * 0.002 / c}')"
}

reference() {
  echo "== 5. the reference workload: 2 workers against --local" >&2
  sp=()
  for ((r = 0; r < runs; r++)); do
    reset
    s=$(date +%s.%N); "$bin/dcp-leader" run --local --from 2024-01-01 --to 2024-12-31 --window day >/dev/null; e=$(date +%s.%N)
    local_s=$(awk -v s="$s" -v e="$e" 'BEGIN {print e - s}')
    start_workers 2 reference
    s=$(date +%s.%N)
    run=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-12-31 --window day --allow-overlap)
    wait_run "$run" >/dev/null
    e=$(date +%s.%N)
    stop_workers
    sp+=("$(awk -v l="$local_s" -v s="$s" -v e="$e" 'BEGIN {printf "%.2f", l / (e - s)}')")
  done
  record reference_speedup_2w "$(printf '%s\n' "${sp[@]}" | median)"
}

# rate_of LABEL TASKS WORKERS COMPUTATION [worker flags...]: the median
# end-to-end rate of a run of TASKS on WORKERS workers; the leader gets the
# flags in the array leader_flags.
leader_flags=()
rate_of() {
  local label=$1 tasks_wanted=$2 w=$3 computation=$4 vals=() r run secs tasks
  shift 4
  for ((r = 0; r < runs; r++)); do
    reset
    start_workers "$w" "$computation" "" "$@"
    run=$("$bin/dcp-leader" run $(range_for "$tasks_wanted") --allow-overlap "${leader_flags[@]}")
    secs=$(wait_run "$run")
    tasks=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run'")
    vals+=("$(awk -v t="$tasks" -v s="$secs" 'BEGIN {printf "%.0f", t / s}')")
    stop_workers
  done
  record "$label" "$(printf '%s\n' "${vals[@]}" | median)"
}

oneshot() {
  echo "== 7. a team's program, a process per task (exec: cat), 2 workers" >&2
  rate_of oneshot_cat_2w_tasks_per_s 4000 2 exec --exec cat
}

job_file() {
  echo "== 8. the reference job given as its file (jobs/reference.yaml), no work, 2 workers" >&2
  rate_of e2e_noop_2w_tasks_per_s_plain "$n" 2 noop
  leader_flags=(--job "$repo/jobs/reference.yaml")
  rate_of e2e_noop_2w_tasks_per_s_job_file "$n" 2 noop --job "$repo/jobs/reference.yaml"
  leader_flags=()
}

# worker_cpu LABEL COMPUTATION [worker flags...]: the end-to-end rate of n
# tasks on 2 workers and the workers' own CPU per task (utime + stime of
# dcp-worker itself: what its children, the programs, use is not counted).
worker_cpu() {
  local label=$1 computation=$2 rate=() cpu=() r run secs tasks before after
  shift 2
  for ((r = 0; r < runs; r++)); do
    reset
    start_workers 2 "$computation" "" "$@"
    before=$(cpu_ticks "${workers[@]}")
    run=$("$bin/dcp-leader" run $(range_for "$n") --allow-overlap)
    secs=$(wait_run "$run")
    after=$(cpu_ticks "${workers[@]}")
    tasks=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run'")
    rate+=("$(awk -v t="$tasks" -v s="$secs" 'BEGIN {printf "%.0f", t / s}')")
    cpu+=("$(awk -v d=$((after - before)) -v hz="$ticks" -v t="$tasks" 'BEGIN {printf "%.1f", 1e6 * d / hz / t}')")
    stop_workers
  done
  record "${label}_2w_tasks_per_s" "$(printf '%s\n' "${rate[@]}" | median)"
  record "${label}_worker_cpu_us_per_task" "$(printf '%s\n' "${cpu[@]}" | median)"
}

persistent() {
  echo "== 9. a team's Python program kept between tasks (compute.mode: persistent, dcp_task), no work, 2 workers" >&2
  local program=$out/noop_task.py st=() r run t0
  printf 'from dcp_task import serve\nserve(lambda task: "")\n' >"$program"
  worker_cpu builtin_noop noop
  worker_cpu persistent_python_noop exec --exec "exec python3 $program" --exec-mode persistent
  record persistent_protocol_worker_cpu_us_per_task "$(awk -v p="${result[${prefix}persistent_python_noop_worker_cpu_us_per_task]}" \
    -v b="${result[${prefix}builtin_noop_worker_cpu_us_per_task]}" 'BEGIN {printf "%.1f", p - b}')"
  for ((r = 0; r < runs; r++)); do  # start-up to the first task done: Python's start included
    reset
    run=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-01-01 --window day --selections S1-F1 --allow-overlap)
    t0=$(date -u +"%F %T.%6N")
    start_workers 1 exec "" --exec "exec python3 $program" --exec-mode persistent
    wait_run "$run" >/dev/null
    st+=("$(sqlc "SELECT TIMESTAMPDIFF(MICROSECOND, '$t0', finished_at) / 1000 FROM run_process WHERE run_id='$run'")")
    stop_workers
  done
  record persistent_python_first_task_ms "$(printf '%s\n' "${st[@]}" | median)"
  # The same Python no-op as a process per task, for scale.
  rate_of oneshot_python_noop_2w_tasks_per_s 400 2 exec \
    --exec "python3 -c 'import sys, json; print(json.dumps(json.load(sys.stdin)))'"
}

# command_ms COMMAND...: the median wall time of 5 runs of COMMAND, in ms.
command_ms() {
  local i s e times=()
  for i in 1 2 3 4 5; do
    s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
    times+=("$(((e - s) / 1000000))")
  done
  printf '%s\n' "${times[@]}" | median
}

# million: a run of DCP_BENCH_MILLION_TASKS (1,000,000) no-op tasks on 2
# workers, once per buffer pool size of DCP_BENCH_MILLION_POOLS (MariaDB's
# default of 128 MiB, and the 1 GiB docs/deployment.md recommends), each in
# a new database: the rate over the whole run and per tenth of its tasks (by
# their finish times), the CPU per task of all processes and of each, the
# bytes per task the run left in the database (and after a rebuild of
# run_process), and what dcp status and dcp runs take then. One run per
# size (it takes minutes).
million() {
  local tasks_wanted=${DCP_BENCH_MILLION_TASKS:-1000000} pools=${DCP_BENCH_MILLION_POOLS:-128M 1G}
  local pool label run secs before after leader_s tasks tenths bytes kept_pool
  kept_pool=$(sql_root "SELECT @@innodb_buffer_pool_size")
  for pool in $pools; do
    label=million_pool_$pool
    echo "== 11. $tasks_wanted tasks, 2 workers, no work, buffer pool $pool" >&2
    sqlc "DROP DATABASE dcp; CREATE DATABASE dcp"
    "$bin/dcp-leader" migrate >/dev/null
    rabbitmqctl -q -n "$node" purge_queue -p dcp "$DCP_QUEUE" >/dev/null 2>&1 || true
    sql_root "SET GLOBAL innodb_buffer_pool_size = $(numfmt --from=iec "$pool")"
    # The resize runs in the background; its status says when it is done.
    until sql_root "SHOW STATUS LIKE 'Innodb_buffer_pool_resize_status'" | grep -qiE 'completed|did not change|_status\s*$'; do
      sleep 0.5
    done
    start_workers 2 noop
    before=$(cpu_parts)
    run=$(/usr/bin/time -f "%U %S" -o "$out/leader.cpu" "$bin/dcp-leader" run $(range_for "$tasks_wanted") --allow-overlap)
    secs=$(wait_run "$run")
    after=$(cpu_parts)
    stop_workers
    leader_s=$(awk '{print $1 + $2}' "$out/leader.cpu")
    tasks=$(sqlc "SELECT task_count FROM run WHERE run_id='$run'")
    record "${label}_tasks" "$tasks"
    record "${label}_tasks_per_s" "$(awk -v t="$tasks" -v s="$secs" 'BEGIN {printf "%.0f", t / s}')"
    record_cpu "$label" "$(cpu_split "$before" "$after" "$leader_s" "$tasks")"
    # The finish time of the first task and of each tenth's last one; each
    # tenth's rate is its tasks over the time since the previous tenth ended.
    tenths=$(sqlc "SELECT UNIX_TIMESTAMP(finished_at) FROM (SELECT finished_at, ROW_NUMBER() OVER (ORDER BY finished_at) AS k
                   FROM run_process WHERE run_id='$run') t WHERE k = 1 OR k % CEIL($tasks / 10) = 0 OR k = $tasks ORDER BY k")
    record "${label}_tasks_per_s_by_tenth" "$(awk -v t="$tasks" 'NR == 1 {prev = $1; next}
      NR <= 11 {printf "%s%.0f", (NR > 2 ? "," : ""), (t / 10) / ($1 - prev); prev = $1}' <<<"$tenths")"
    # What an operator's look at the finished run costs: dcp status and
    # dcp runs (the monitor's run list), the median of 5 each.
    record "${label}_dcp_status_ms" "$(command_ms "$bin/dcp" status "$run")"
    record "${label}_dcp_runs_ms" "$(command_ms "$bin/dcp" runs)"
    sqlc "ANALYZE TABLE run, run_process, task_result, run_context, run_topology_chunk, run_job" >/dev/null
    bytes=$(sqlc "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = 'dcp'
                  AND table_name IN ('run', 'run_process', 'task_result', 'run_context', 'run_topology_chunk', 'run_job')")
    record "${label}_db_bytes_per_task" "$(awk -v b="$bytes" -v t="$tasks" 'BEGIN {printf "%.0f", b / t}')"
    # The same rows rebuilt into full pages: what of the bytes is data and
    # what is the room that rows growing on update and index entries moving
    # between statuses left in pages (a later run's rows fill some of it).
    sqlc "ALTER TABLE run_process FORCE; ANALYZE TABLE run_process" >/dev/null
    bytes=$(sqlc "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = 'dcp'
                  AND table_name IN ('run', 'run_process', 'task_result', 'run_context', 'run_topology_chunk', 'run_job')")
    record "${label}_db_bytes_per_task_rebuilt" "$(awk -v b="$bytes" -v t="$tasks" 'BEGIN {printf "%.0f", b / t}')"
  done
  sql_root "SET GLOBAL innodb_buffer_pool_size = $kept_pool"
}

# purge_beside: the end-to-end rate of a run of n no-op tasks on 2 workers
# alone, and with `dcp purge` (its defaults: 1,000 rows a batch, 20 ms
# apart) deleting an old run of 200,000 tasks beside it; and the purge's
# own rate. The old run is published, cancelled and aged 100 days.
purge_beside() {
  echo "== 12. a run beside a purge of a 200,000-task run" >&2
  local alone=() beside=() purged=() r run old secs tasks purge_pid s e rows
  for ((r = 0; r < runs; r++)); do
    for mode in alone beside; do
      reset
      old=$("$bin/dcp-leader" run $(range_for 200000) --allow-overlap)
      "$bin/dcp" cancel "$old" >/dev/null
      rabbitmqctl -q -n "$node" purge_queue -p dcp "$DCP_QUEUE" >/dev/null 2>&1 || true
      sqlc "UPDATE run SET created_at = created_at - INTERVAL 100 DAY, published_at = published_at - INTERVAL 100 DAY,
            finished_at = finished_at - INTERVAL 100 DAY, last_activity_at = NULL WHERE run_id = '$old'"
      rows=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id = '$old'")
      start_workers 2 noop
      run=$("$bin/dcp-leader" run $(range_for "$n") --allow-overlap)
      if [ "$mode" = beside ]; then
        s=$(date +%s.%N)
        "$bin/dcp" purge --older-than 90d >/dev/null 2>&1 &
        purge_pid=$!
      fi
      secs=$(wait_run "$run")
      tasks=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run'")
      stop_workers
      if [ "$mode" = beside ]; then
        wait "$purge_pid"
        e=$(date +%s.%N)
        beside+=("$(awk -v t="$tasks" -v s="$secs" 'BEGIN {printf "%.0f", t / s}')")
        purged+=("$(awk -v n="$rows" -v s="$s" -v e="$e" 'BEGIN {printf "%.0f", n / (e - s)}')")
      else
        alone+=("$(awk -v t="$tasks" -v s="$secs" 'BEGIN {printf "%.0f", t / s}')")
      fi
    done
  done
  record purge_run_alone_tasks_per_s "$(printf '%s\n' "${alone[@]}" | median)"
  record purge_run_beside_purge_tasks_per_s "$(printf '%s\n' "${beside[@]}" | median)"
  record purge_task_rows_per_s "$(printf '%s\n' "${purged[@]}" | median)"
}

first_task() {
  echo "== 6. a worker ready to consume after start (scale from zero)" >&2
  st=()
  for ((r = 0; r < runs; r++)); do
    reset
    run=$("$bin/dcp-leader" run --from 2024-01-01 --to 2024-01-01 --window day --selections S1-F1 --allow-overlap)
    t0=$(date -u +"%F %T.%6N")
    start_workers 1 noop
    wait_run "$run" >/dev/null
    st+=("$(sqlc "SELECT TIMESTAMPDIFF(MICROSECOND, '$t0', started_at) / 1000 FROM run_process WHERE run_id='$run'")")
    stop_workers
  done
  record worker_first_task_ms "$(printf '%s\n' "${st[@]}" | median)"
}

profile() {
  echo "== profile: perf -a over an end-to-end run of $n no-op tasks, 2 workers" >&2
  reset
  start_workers 2 noop
  perf record -a -g -o "$out/perf.data" 2>/dev/null &
  local perf_pid=$!
  run=$("$bin/dcp-leader" run $(range_for "$n") --allow-overlap)
  wait_run "$run" >/dev/null
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  stop_workers
  {
    echo "-- CPU samples by process (idle = swapper; beam = RabbitMQ's schedulers)"
    perf report -i "$out/perf.data" --no-children --sort comm -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
    echo "-- inside dcp-worker: by library, then the top functions"
    perf report -i "$out/perf.data" --no-children --comm dcp-worker --sort dso -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
    perf report -i "$out/perf.data" --no-children --comm dcp-worker --sort sym -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15 | cut -c1-120
  } | tee "$out/profile.txt" >&2
}

# A bounded soak (issue 14): for DCP_BENCH_SOAK_SECONDS (60), dcp-monitor
# beside a run in progress under hostile and ordinary load at once
# (bench/soak_load.py: 60 event streams, 400 slowloris connections from 20
# addresses, 4 API readers, /healthz every 50 ms; all on loopback). Not in
# the default list: one timed run, not a median. Targets, printed and not
# asserted: /healthz p99 under 100 ms, the monitor's RSS bounded.
soak() {
  local secs=${DCP_BENCH_SOAK_SECONDS:-60} port monitor deadline t0 t1 run tasks key value
  if [ ! -x "$bin/dcp-monitor" ]; then
    echo "== soak: no dcp-monitor in $bin, skipped" >&2
    return 0
  fi
  echo "== 10. hostile load (soak): ${secs} s of streams, slowloris and API readers on dcp-monitor beside a run" >&2
  reset
  # 10 ms sleeps, 2 workers of concurrency 4: at most 800 tasks/s, so
  # secs * 1000 tasks outlast the soak.
  start_workers 2 sleep:10 4
  run=$("$bin/dcp-leader" run $(range_for $((secs * 1000))) --allow-overlap)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$bin/dcp-monitor" --bind 127.0.0.1 --port "$port" >>"$out/monitor.log" 2>&1 &
  monitor=$!
  deadline=$((SECONDS + 30))
  until curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"; do
    if ((SECONDS >= deadline)); then
      echo "soak: dcp-monitor did not start: $(tail -3 "$out/monitor.log")" >&2
      kill -TERM "$monitor" 2>/dev/null || true
      stop_workers
      return 1
    fi
    sleep 0.05
  done
  t0=$(date -u +"%F %T.%6N")
  python3 "$repo/bench/soak_load.py" "$port" "$secs" "$run" >"$out/soak.txt"
  t1=$(date -u +"%F %T.%6N")
  record soak_monitor_peak_rss_mib "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$monitor/status")"
  kill -TERM "$monitor"
  wait "$monitor" 2>/dev/null || true
  while read -r key value; do record "$key" "$value"; done <"$out/soak.txt"
  tasks=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND finished_at >= '$t0' AND finished_at < '$t1'")
  record soak_run_tasks_per_s "$(sqlc "SELECT ROUND($tasks / (TIMESTAMPDIFF(MICROSECOND, '$t0', '$t1') / 1e6))")"
  [ "$(sqlc "SELECT status FROM run WHERE run_id='$run'")" = FINISHED ] &&
    echo "  (the run finished before the soak did: its rate is low)" >&2
  stop_workers
  reset
}

# longest_finished_gap RUN CONDITION: the longest time (ms) between two
# consecutive FINISHED writes of the run's tasks whose finished_at meets
# CONDITION (e.g. "<= 'time'"). Tasks are written in rounds (the batch
# window), so the steady state has gaps too: compare before and after.
longest_finished_gap() {
  sqlc "SELECT ROUND(COALESCE(MAX(g), 0) / 1000) FROM (SELECT TIMESTAMPDIFF(MICROSECOND,
    LAG(finished_at) OVER (ORDER BY finished_at), finished_at) AS g FROM run_process
    WHERE run_id='$1' AND finished_at $2) AS gaps"
}

# A broker and a database cluster (issue 15): scripts/cluster's three
# RabbitMQ nodes and three Galera nodes (ports of the benchmark's own)
# against the stack's single nodes, 2 no-op workers; then what a node's loss
# costs: dcp's clients publishing and consuming through the cluster
# (dcp-bench-failover: how long confirms and acks stopped, messages lost,
# duplicates, redeliveries) when the queue's leader and when a follower is
# killed; and a dcp run (tasks of 5 ms on 2 workers) when the queue's leader
# and when the Galera node written to is killed: how long FINISHED writes
# stopped (against the longest wait before the kill), and the tasks
# computed twice.
cluster() {
  local cl=$repo/scripts/cluster saved_amqp=$DCP_AMQP_URL saved_mysql=$DCP_MYSQL_URL saved_node=$node
  local saved_pid_files=("${server_pid_files[@]}") kind victim figures tool before_kill run tasks
  echo "== 11. a cluster (3 RabbitMQ + 3 Galera nodes) against single nodes, no work, 2 workers; nodes killed" >&2
  e2e_figures cluster_single_node_2w 2
  export DCP_CLUSTER_DIR=$out/cluster DCP_CLUSTER_AMQP_PORT=17940 DCP_CLUSTER_MYSQL_PORT=18130
  "$cl" down >/dev/null 2>&1 || true
  eval "$("$cl" up 2>/dev/null)"
  node=dcp-cluster-17940@localhost sql_port=18130
  server_pid_files=("$DCP_CLUSTER_DIR"/rabbitmq/*/rabbit.pid "$DCP_CLUSTER_DIR"/mysql/*/mysqld.pid)
  "$bin/dcp-leader" migrate >/dev/null
  e2e_figures cluster_3x3_2w 2
  reset

  # dcp's clients: one message at a time, confirmed, through the node list.
  tool=$current_bin/dcp-bench-failover  # the baseline's revision may not have it
  "$tool" --amqp-url "$DCP_AMQP_URL" --seconds 1 >/dev/null  # declares the queue, a first confirm
  for kind in leader follower; do
    "$cl" wait-synced >/dev/null
    victim=$("$cl" leader dcp.bench.failover)
    [ "$kind" = follower ] && victim=$((victim % 3 + 1))
    "$tool" --amqp-url "$DCP_AMQP_URL" --seconds 12 >"$out/failover.txt" &
    figures=$!
    sleep 4  # the pace: a steady state before the kill, not a wait for a state
    kill -USR1 "$figures"
    "$cl" kill rabbitmq "$victim"
    wait "$figures" || echo "  dcp-bench-failover failed: see above" >&2
    while read -r key value; do record "${key/failover_/failover_${kind}_}" "$value"; done <"$out/failover.txt"
    "$cl" start rabbitmq "$victim" >/dev/null 2>&1
  done

  # A dcp run: how long FINISHED writes (each acked after it) stopped, and
  # the tasks computed more than once.
  for kind in queue_leader galera_writer; do
    "$cl" wait-synced >/dev/null
    reset
    start_workers 2 sleep:5 2
    run=$("$bin/dcp-leader" run $(range_for 8000) --allow-overlap)
    until (($(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND task_status='FINISHED'") >= 1000)); do
      sleep 0.1  # under way: 1,000 of 8,000 tasks take about 1 s
    done
    if [ "$kind" = queue_leader ]; then
      victim=$("$cl" leader "$DCP_QUEUE")
      before_kill=$(sqlc "SELECT NOW(6)")
      "$cl" kill rabbitmq "$victim"
    else
      # The workers write through node 1; the figures are read through node 2.
      sql_port=18131
      before_kill=$(sqlc "SELECT NOW(6)")
      "$cl" kill mysql 1
    fi
    wait_run "$run" >/dev/null
    tasks=$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run'")
    record "cluster_run_${kind}_kill_finished_pause_ms" "$(longest_finished_gap "$run" ">= (SELECT MAX(finished_at) FROM run_process WHERE run_id='$run' AND finished_at <= '$before_kill')")"
    record "cluster_run_${kind}_kill_finished_pause_before_ms" "$(longest_finished_gap "$run" "<= '$before_kill'")"
    record "cluster_run_${kind}_kill_tasks_run_again" "$(sqlc "SELECT COUNT(*) FROM run_process WHERE run_id='$run' AND attempt > 1")"
    stop_workers
    if [ "$kind" = queue_leader ]; then "$cl" start rabbitmq "$victim" >/dev/null 2>&1; else "$cl" start mysql 1 >/dev/null 2>&1; fi
    sql_port=18130
  done
  "$cl" down >/dev/null 2>&1
  DCP_AMQP_URL=$saved_amqp DCP_MYSQL_URL=$saved_mysql node=$saved_node sql_port=$DCP_STACK_MYSQL_PORT
  server_pid_files=("${saved_pid_files[@]}")
  unset DCP_CLUSTER_DIR DCP_CLUSTER_AMQP_PORT DCP_CLUSTER_MYSQL_PORT DCP_CLUSTER_RABBITMQ_NODES
}

# Each binary runs on its own schema: a baseline's may predate a migration.
# row_costs: the database's CPU per row of each statement dcp's write path
# sends, on the rows of a run of DCP_BENCH_ROWCOST_ROWS (50,000) tasks that
# the leader wrote (its whole run: the insert, the publish marks), with no
# worker: then, in a task's order, the workers' batch forms of 256 keys
# over all rows (the locking read, the start, the read, the finish with its
# result), sent by the mariadb client. Once with the schema as it is, once
# with the (run_key, task_status) index that migration 0012 dropped (what it
# cost), once without the index of FAILED tasks that 0012 added (what it
# costs). The current schema only (the statements are today's); the schema
# is made again after it.
row_costs() {
  local rows=${DCP_BENCH_ROWCOST_ROWS:-50000} db_pid variant kind before tasks
  if [ -n "$prefix" ]; then
    echo "== 13. row costs: the current schema only, not measured for the baseline" >&2
    return 0
  fi
  db_pid=$(<"${server_pid_files[1]}")
  # per_row LABEL BEFORE: the database's CPU since BEFORE (ticks) per task row, in us.
  per_row() {
    record "$1" "$(awk -v d=$(($(cpu_ticks "$db_pid") - $2)) -v hz="$ticks" -v t="$tasks" 'BEGIN {printf "%.1f", 1e6 * d / hz / t}')"
  }
  for variant in "" _with_status_index _without_failed_index; do
    echo "== 13. database CPU per row, by statement${variant//_/ } ($rows rows, 256 a statement)" >&2
    own_schema
    case $variant in
      _with_status_index) sqlc "ALTER TABLE run_process ADD INDEX ix_run_process_run_status (run_key, task_status)" ;;
      _without_failed_index) sqlc "ALTER TABLE run_process DROP INDEX ix_run_process_failed" ;;
    esac
    rabbitmqctl -q -n "$node" purge_queue -p dcp "$DCP_QUEUE" >/dev/null 2>&1 || true
    before=$(cpu_ticks "$db_pid")
    "$bin/dcp-leader" run $(range_for "$rows") --allow-overlap >/dev/null
    tasks=$(sqlc "SELECT COUNT(*) FROM run_process")
    per_row "rowcost${variant}_leader_run_us_per_row" "$before"
    rabbitmqctl -q -n "$node" purge_queue -p dcp "$DCP_QUEUE" >/dev/null 2>&1 || true
    sqlc "SELECT HEX(task_key) FROM run_process ORDER BY id" >"$out/keys"
    for kind in lock_read start lock_read_finishable finish; do
      awk -v kind="$kind" '{ k[NR - 1] = "X\x27" $1 "\x27" }
        END {
          q = "\x27"; from = "FROM run_process FORCE INDEX (uq_run_process_task_key)"
          update = "UPDATE run_process FORCE INDEX (uq_run_process_task_key) SET "
          for (b = 0; b < NR; b += 256) {
            e = b + 256 < NR ? b + 256 : NR; in_ = ""; cs = "CASE task_key "
            for (i = b; i < e; i++) { in_ = in_ (i > b ? ", " : "") k[i]; cs = cs "WHEN " k[i] " THEN " q q " " }
            print "BEGIN;"
            cols = "SELECT task_key, task_status, attempt, run_key, worker "
            if (kind == "lock_read") print cols from " WHERE task_key IN (" in_ ") FOR UPDATE;"
            if (kind == "start") print update "task_status = " q "STARTED" q ", attempt = attempt + 1, worker = " q "bench:1" q \
              ", started_at = NOW(6), finished_at = NULL, error = NULL WHERE task_key IN (" in_ ");"
            if (kind == "lock_read_finishable") print cols from " WHERE task_key IN (" in_ \
              ") AND task_status IN (" q "QUEUED" q ", " q "STARTED" q ") FOR UPDATE;"
            if (kind == "finish") print update "task_status = " q "FINISHED" q ", finished_at = NOW(6), error = NULL, " \
              "computation = " q "noop" q ", result = " cs "END WHERE task_key IN (" in_ ");"
            print "COMMIT;"
          }
        }' "$out/keys" >"$out/statements.sql"
      before=$(cpu_ticks "$db_pid")
      mariadb -N -B -h127.0.0.1 -P"$sql_port" -udcp -pdcp-dev dcp <"$out/statements.sql" >/dev/null
      per_row "rowcost${variant}_${kind}_us_per_row" "$before"
    done
  done
  own_schema
}

own_schema() {
  sqlc "DROP DATABASE dcp; CREATE DATABASE dcp"
  "$bin/dcp-leader" migrate >/dev/null
}
current_bin=$bin
for scenario in $scenarios; do
  if [ -n "$baseline_bin" ]; then
    bin=$baseline_bin prefix=baseline_
    own_schema
    "$scenario"
    bin=$current_bin prefix=""
    own_schema
  fi
  "$scenario"
done

{
  echo "{"
  first=1
  for k in $(printf '%s\n' "${!result[@]}" | sort); do
    ((first)) || echo ","
    first=0
    v=${result[$k]}
    [[ "$v" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || v="\"$v\""  # a list (per tenth) as a string
    printf '  "%s": %s' "$k" "$v"
  done
  echo
  echo "}"
} >"$out/results.json"
echo
if [ -n "$baseline_bin" ]; then
  printf '%-44s %12s %12s %8s\n' "figure (median of $runs)" "baseline" "now" "now/base"
  for k in $(printf '%s\n' "${!result[@]}" | grep -v '^baseline_' | sort); do
    b=${result[baseline_$k]:-}
    printf '%-44s %12s %12s %8s\n' "$k" "$b" "${result[$k]}" \
      "$(awk -v b="$b" -v n="${result[$k]}" 'BEGIN {if (b + 0 != 0) printf "%.3f", n / b}')"
  done
else
  printf '%-44s %s\n' "figure (median of $runs)" "value"
  for k in $(printf '%s\n' "${!result[@]}" | sort); do printf '%-44s %s\n' "$k" "${result[$k]}"; done
fi
echo
cat "$out/results.json"
