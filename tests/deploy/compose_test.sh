#!/usr/bin/env bash
# Compose test: builds the dcp image and local stand-ins for the rabbitmq and
# mysql images, brings docker-compose.yml up with podman-compose under a
# project name of its own, waits until the leader's run-at-start-up run is
# FINISHED, checks run_process, and always brings the stack down.
#
#   tests/deploy/compose_test.sh            (needs ../shared/container-env, or podman + podman-compose)
#   tests/deploy/compose_test.sh forecast   the same with examples/forecast/compose.yaml on top:
#                                           its one run, then its export step's CSV, which must
#                                           be monolith.py's output byte for byte (needs node)
#
# Talks only to loopback and to the podman network it creates. Waits have
# deadlines (DCP_COMPOSE_DEADLINE seconds from `up`, default 600: the image
# builds before it take longer from scratch) and poll the state they check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
variant=${1:-reference}
case "$variant" in
  reference|forecast) ;;
  *) echo "compose_test: unknown variant $variant (reference or forecast)" >&2; exit 2 ;;
esac
container_env=${DCP_CONTAINER_ENV:-$repo/../shared/container-env}
deadline_s=${DCP_COMPOSE_DEADLINE:-600}
project=dcptest$$
image=localhost/dcp:compose-test
forecast_image=localhost/dcp-forecast:compose-test
started=$(date +%s)
log() { echo "compose_test [$(($(date +%s) - started))s] $*" >&2; }

if [ -x "$container_env/setup" ]; then
  "$container_env/setup" >/dev/null
fi
if ! command -v podman >/dev/null || ! command -v podman-compose >/dev/null; then
  echo "compose_test: podman and podman-compose are needed (see ../shared/container-env)" >&2
  exit 77
fi
if [ "$variant" = forecast ] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  echo "compose_test: forecast: node and npm are needed (apt-get install nodejs npm)" >&2
  exit 77
fi

# Values the images are pinned to in docker-compose.yml's defaults.
rabbit_image=rabbitmq:$(sed -n 's/^RABBITMQ_VERSION=//p' "$repo/.env.example")-management
mysql_image=mysql:$(sed -n 's/^MYSQL_VERSION=//p' "$repo/.env.example")

log "building $image"
podman build -q --network=host -t "$image" "$repo" >/dev/null
if [ "$variant" = forecast ]; then
  log "building $forecast_image"
  podman build -q --network=host -f "$repo/examples/forecast/Dockerfile" \
    --build-arg DCP_IMAGE="$image" -t "$forecast_image" "$repo" >/dev/null
fi
if [ -x "$container_env/build-standins" ]; then
  log "building stand-ins $rabbit_image $mysql_image"
  "$container_env/build-standins" "$rabbit_image" "$mysql_image" >/dev/null
fi

# Free loopback ports for the management UI and dcp-monitor, so parallel
# stacks do not clash.
# shellcheck source=tests/free_port.sh
source "$(dirname "$0")/../free_port.sh"
ui_port=$(free_port)
monitor_port=$(free_port)
export DCP_IMAGE=$image RABBITMQ_UI_PORT=$ui_port MONITOR_PORT=$monitor_port
files=(-f "$repo/docker-compose.yml" -f "$repo/tests/deploy/compose.standins.yml")
tmp=$(mktemp -d)
if [ "$variant" = forecast ]; then
  export FORECAST_IMAGE=$forecast_image
  # One file, merged as the Compose Specification merges: podman-compose
  # 1.0.3 would append the override's command to the base's and refuses its
  # build mapping over `build: .` (lib/compose_merge.js).
  if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  node "$here/lib/compose_merge.js" "$repo/docker-compose.yml" "$repo/tests/deploy/compose.standins.yml" \
    "$repo/examples/forecast/compose.yaml" >"$tmp/compose.json"
  files=(-f "$tmp/compose.json")
fi
compose() {
  podman-compose -p "$project" "${files[@]}" "$@"
}

cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then
    log "FAILED; container states and log tails:"
    podman ps -a --filter "label=io.podman.compose.project=$project" \
      --format '{{.Names}} {{.Status}}' >&2 || true
    for c in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
      echo "--- $c" >&2
      podman logs --tail 15 "$c" >&2 2>&1 || true
    done
  fi
  # down removes the containers, not their anonymous volumes (the mysql
  # image's /var/lib/mysql in mysql-app-user): those are removed by name.
  local volumes
  volumes=$(podman ps -a -q --filter "label=io.podman.compose.project=$project" |
    xargs -r podman inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' || true)
  compose down -t 5 >/dev/null 2>&1 || true
  { echo "$volumes" | tr ' ' '\n'; podman volume ls -q | grep "^${project}_"; } |
    xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network ls -q | grep "^${project}_" | xargs -r podman network rm -f >/dev/null 2>&1 || true
  rm -rf "$tmp"
  log "down (exit $rc)"
}
trap cleanup EXIT

log "up (project $project)"
up_log=$(mktemp)
if ! compose up -d >"$up_log" 2>&1; then
  tail -20 "$up_log" >&2
  rm -f "$up_log"
  echo "compose_test: podman-compose up failed" >&2
  exit 1
fi
rm -f "$up_log"
deadline=$(($(date +%s) + deadline_s))

mysql_container=$(podman ps --filter "label=io.podman.compose.project=$project" \
  --filter "label=com.docker.compose.service=mysql" --format '{{.Names}}' | sed -n 1p)
[ -n "$mysql_container" ] || { echo "compose_test: no mysql container" >&2; exit 1; }
sql() {
  podman exec -e MYSQL_PWD=root-dev "$mysql_container" \
    mysql -uroot -N -B dcp -e "$1" 2>/dev/null
}

# The leader starts one run at start-up (reference: schedule --run-now;
# forecast: run); wait for it to end.
status=""
until [ "$status" = FINISHED ] || [ "$status" = FAILED ]; do
  if (($(date +%s) > deadline)); then
    echo "compose_test: no finished run within ${deadline_s}s of up (run status: '${status}')" >&2
    exit 1
  fi
  sleep 2
  status=$(sql "SELECT status FROM run ORDER BY created_at DESC LIMIT 1" || true)
done
log "run ended: $status"

run_id=$(sql "SELECT run_id FROM run ORDER BY created_at DESC LIMIT 1")
counts=$(sql "SELECT task_status, COUNT(*) FROM run_process WHERE run_id = '$run_id' GROUP BY task_status")
expected=$(sql "SELECT task_count FROM run WHERE run_id = '$run_id'")
finished=$(sql "SELECT COUNT(*) FROM run_process WHERE run_id = '$run_id' AND task_status = 'FINISHED'")
workers=$(sql "SELECT COUNT(DISTINCT worker) FROM run_process WHERE run_id = '$run_id'")
results=$(sql "SELECT COUNT(*) FROM task_result r JOIN run_process p ON p.task_id = r.task_id WHERE p.run_id = '$run_id'")
log "run $run_id: tasks $expected; by status: $(echo "$counts" | tr '\t\n' '= ')workers $workers, results $results"
[ "$status" = FINISHED ] || { echo "compose_test: run $status" >&2; exit 1; }
if ! { [ "$expected" -gt 0 ] && [ "$finished" = "$expected" ] && [ "$results" = "$expected" ]; }; then
  echo "compose_test: expected $expected FINISHED tasks with results" >&2; exit 1
fi
# The server runs with db/server.cnf's settings (mounted in conf.d).
settings=$(sql "SELECT @@innodb_buffer_pool_size, @@innodb_flush_log_at_trx_commit")
[ "$settings" = "$(printf '1073741824\t1')" ] ||
  { echo "compose_test: the database's settings are not db/server.cnf's: $settings" >&2; exit 1; }

if [ "$variant" = forecast ]; then
  # A worker runs the job's export step once the run has ended.
  export_status=""
  until [ "$export_status" = FINISHED ] || [ "$export_status" = FAILED ]; do
    if (($(date +%s) > deadline)); then
      echo "compose_test: run $run_id: no export within ${deadline_s}s of up (export_status: '${export_status}')" >&2
      exit 1
    fi
    sleep 2
    export_status=$(sql "SELECT export_status FROM run WHERE run_id = '$run_id'" || true)
  done
  log "export $export_status"
  if [ "$export_status" != FINISHED ]; then
    echo "compose_test: export $export_status: $(sql "SELECT export_error FROM run WHERE run_id = '$run_id'")" >&2
    exit 1
  fi
  worker_container=$(podman ps --filter "label=io.podman.compose.project=$project" \
    --filter "label=com.docker.compose.service=worker" --format '{{.Names}}' | sed -n 1p)
  podman exec "$worker_container" cat "/var/lib/dcp/export/forecast-$run_id.csv" >"$tmp/export.csv"
  read -r from to < <(sed -n 's/^range: {from: \([0-9-]*\), to: \([0-9-]*\)}$/\1 \2/p' \
    "$repo/examples/forecast/job.yaml")
  python3 "$repo/examples/forecast/monolith.py" --from "$from" --to "$to" --out "$tmp/monolith.csv"
  if ! cmp "$tmp/monolith.csv" "$tmp/export.csv" >&2; then
    echo "compose_test: forecast-$run_id.csv differs from monolith.py --from $from --to $to" >&2
    exit 1
  fi
  log "forecast-$run_id.csv = monolith.py --from $from --to $to ($(wc -c <"$tmp/export.csv") bytes)"
  log "PASS in $(($(date +%s) - started))s"
  exit 0
fi

# The application user may write rows but not change the schema.
if podman exec -e MYSQL_PWD=dcp-dev "$mysql_container" mysql -udcp -h 127.0.0.1 dcp \
  -e "CREATE TABLE compose_test_forbidden (i INT)" >/dev/null 2>&1; then
  echo "compose_test: the application user can create tables" >&2; exit 1
fi

# dcp-monitor, on the published loopback port, shows the run as it ended.
monitor_seen=""
monitor_deadline=$(($(date +%s) + 60))
until grep -q "\"status\":\"$status\"" <<<"$monitor_seen"; do
  if (($(date +%s) > monitor_deadline)); then
    echo "compose_test: dcp-monitor on 127.0.0.1:$monitor_port does not show run $run_id $status: $monitor_seen" >&2
    exit 1
  fi
  sleep 1
  monitor_seen=$(curl -s "http://127.0.0.1:$monitor_port/api/runs/$run_id" || true)
done
log "dcp-monitor shows run $run_id $status"

# Health and metrics, once the binaries serve them (DCP_HTTP_PORT=8080).
worker_container=$(podman ps --filter "label=io.podman.compose.project=$project" \
  --filter "label=com.docker.compose.service=worker" --format '{{.Names}}' | sed -n 1p)
probe() {
  podman exec "$worker_container" bash -c "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET $1 HTTP/1.0\r\n\r\n' >&3 && cat <&3" 2>/dev/null
}
if metrics=$(probe /metrics) && [ -n "$metrics" ]; then
  grep -q '^dcp_tasks_finished_total' <<<"$metrics" || {
    echo "compose_test: worker /metrics lacks dcp_tasks_finished_total" >&2; exit 1; }
  readyz=$(probe /readyz || true)
  [[ "${readyz%%$'\r'*}" == *" 200"* ]] || { echo "compose_test: worker not ready" >&2; exit 1; }
  log "worker /metrics and /readyz answer"
elif [ "${DCP_REQUIRE_HTTP:-0}" = 1 ]; then
  echo "compose_test: worker serves no /metrics on 8080" >&2; exit 1
else
  log "note: worker serves no /metrics on 8080 yet (endpoints not wired); skipped"
fi
log "PASS in $(($(date +%s) - started))s"
