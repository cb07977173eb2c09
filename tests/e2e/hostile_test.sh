#!/usr/bin/env bash
# dcp-monitor against hostile clients, for real (issue 14; README, "Hostile
# input"): many event streams from one client and from many behind a trusted
# proxy, slowloris connections, every connection taken, a database that never
# answers (deadlines, bounded waits), and access: the read token, the Host
# allowlist, no bodies on GET, the security headers, error bodies without
# internals, a generated token. Through all of it /healthz answers 200.
# Clients come from their own loopback addresses (127.0.0.2, 127.0.1.x...).
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
"$bin/dcp-leader" migrate >/dev/null

declare -A hold_fds
# hold NAME PORT SOURCE COUNT KIND ARGS...: hostile clients (hostile_clients.py)
# that keep their connections until `release NAME`; their report line is then
# in $work/NAME.out. (Not in a subshell: the fifo's writer must stay open.)
hold() {
  local name=$1 fd; shift
  mkfifo "$work/$name.in"
  python3 "$here/hostile_clients.py" "$@" <"$work/$name.in" >"$work/$name.out" 2>&1 &
  pids+=($!)
  exec {fd}>"$work/$name.in"
  hold_fds[$name]=$fd
  local deadline=$((SECONDS + 30))
  until [ -s "$work/$name.out" ]; do
    ((SECONDS < deadline)) || fail "$name: no report"
    sleep 0.05
  done
}
release() {
  local fd=${hold_fds[$1]}
  exec {fd}>&-
}
# status [curl args...] URL: the HTTP status (000: no answer within 5 s)
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true; }
# The liveness probe answers, fast; its time is printed, not asserted.
probe_ok() {
  local got
  got=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "http://127.0.0.1:$1/healthz" || true)
  [[ $got == "200 "* ]] || fail "/healthz during $2: $got"
  echo "   /healthz during $2: 200 in ${got#* } s"
}

echo "-- 70 event streams from one client: 8 are served, the rest 429; probes and the API answer"
port=$(free_port)
start_monitor "$port" DCP_MONITOR_TOKEN=s3cret DCP_MONITOR_TRUSTED_PROXIES=127.0.0.9
hold one_client "$port" 127.0.0.2 70 sse
expect_eq "$(cat "$work/one_client.out")" "200=8 429=62" "streams of one client"
probe_ok "$port" "70 streams"
expect_eq "$(status "http://127.0.0.1:$port/api/runs")" 200 "the API beside the streams"
release one_client

echo "-- behind a trusted proxy, clients are told apart by X-Forwarded-For; streams are capped in all"
hold proxied "$port" 127.0.0.9 70 sse 10.0.0.
expect_eq "$(cat "$work/proxied.out")" "200=64 503=6" "streams behind the proxy"
probe_ok "$port" "64 streams"
release proxied

echo "-- slowloris: one client holds at most 16 connections that never finish their request"
hold slowloris "$port" 127.0.0.3 100 slow 16
expect_eq "$(cat "$work/slowloris.out")" "open=16" "slow connections of one client"
probe_ok "$port" "slowloris"
expect_eq "$(status "http://127.0.0.1:$port/api/runs")" 200 "the API beside a slowloris"

echo "-- every connection taken by slow clients of 20 addresses: probes still get in"
for i in $(seq 1 20); do hold "slow$i" "$port" "127.0.1.$i" 16 slow 16; done
for _ in 1 2 3 4 5; do probe_ok "$port" "320 slow connections"; done
release slowloris
for i in $(seq 1 20); do release "slow$i"; done
deadline=$((SECONDS + 30))
until [ "$(status "http://127.0.0.1:$port/api/runs")" = 200 ]; do
  ((SECONDS < deadline)) || fail "the API did not come back after the slow clients left"
  sleep 0.1
done

echo "-- a database that never answers: requests get 503 at their deadline, a client's waits are bounded"
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])  # and never a byte
' >"$work/blackhole.port" &
pids+=($!)
deadline=$((SECONDS + 10))
until [ -s "$work/blackhole.port" ]; do ((SECONDS < deadline)) || fail "no black hole"; sleep 0.05; done
hole=$(cat "$work/blackhole.port")
slow_port=$(free_port)
start_monitor "$slow_port" DCP_MYSQL_URL="mysql://dcp:secret-pw@127.0.0.1:$hole/dcp" DCP_MONITOR_ANSWER_TIMEOUT=4
seq 30 | xargs -P 30 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 \
  "http://127.0.0.1:$slow_port/api/runs" >"$work/waits.txt" &
waiters=$!
probe_ok "$slow_port" "30 requests waiting for the database"
wait "$waiters"
expect_eq "$(sort "$work/waits.txt" | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" "429=14 503=16" \
  "16 wait for their deadline, the rest are refused at once"
body=$(curl -s --max-time 20 "http://127.0.0.1:$slow_port/api/runs")
expect_eq "$body" "no answer in time" "the deadline's answer"
if grep -Eq "$hole|secret-pw|127\.0\.0\.1" <<<"$body"; then fail "the error body shows internals: $body"; fi

echo "-- access: the read token, the Host allowlist, no GET bodies, security headers"
access_port=$(free_port)
start_monitor "$access_port" DCP_MONITOR_TOKEN=s3cret DCP_MONITOR_READ_TOKEN=reader \
  DCP_MONITOR_ALLOWED_HOSTS=127.0.0.1,localhost
api=http://127.0.0.1:$access_port
expect_eq "$(status "$api/api/runs")" 401 "a read without the read token"
expect_eq "$(status -H 'Authorization: Bearer wrong' "$api/api/runs")" 401 "a wrong read token"
expect_eq "$(status -H 'Authorization: Bearer reader' "$api/api/runs")" 200 "the read token"
expect_eq "$(status -H 'Authorization: Bearer s3cret' "$api/api/runs")" 200 "the token also reads"
expect_eq "$(status "$api/api/events")" 401 "the events without the read token"
expect_eq "$(status -X POST -H 'Authorization: Bearer reader' "$api/api/runs")" 401 "the read token mutates nothing"
expect_eq "$(status -H 'Host: attacker.example' -H 'Authorization: Bearer reader' "$api/api/runs")" 403 \
  "a page reached by DNS rebinding"
expect_eq "$(status -H 'Host: 10.1.2.3:8080' "$api/healthz")" 200 "the kubelet's probe, by pod address"
expect_eq "$(status -H 'Authorization: Bearer reader' -X GET -d '{"big": 1}' "$api/api/runs")" 400 "a GET with a body"
expect_eq "$(status -H 'Authorization: Bearer reader' "$api/api/runs/$(cat /proc/sys/kernel/random/uuid)/tasks?limit=100000")" \
  400 "more than a page of tasks"
for path in / /api/runs /healthz /nowhere; do
  headers=$(curl -s -D - -o /dev/null -H 'Authorization: Bearer reader' "$api$path")
  grep -qi '^X-Content-Type-Options: nosniff' <<<"$headers" || fail "$path: no nosniff: $headers"
  grep -qi "^Content-Security-Policy: .*frame-ancestors 'none'" <<<"$headers" || fail "$path: may be framed: $headers"
done

echo "-- DCP_MONITOR_TOKEN=generate: a token made at start, printed once, and required"
gen_port=$(free_port)
: >"$work/monitor.log"
start_monitor "$gen_port" DCP_MONITOR_TOKEN=generate DCP_LOG_LEVEL=info
token=$(sed -n "s/.*this start's token is \([0-9a-f]\{32\}\).*/\1/p" "$work/monitor.log" | head -1)
[ -n "$token" ] || fail "no generated token in the log: $(tail -3 "$work/monitor.log")"
unknown=http://127.0.0.1:$gen_port/api/runs/$(cat /proc/sys/kernel/random/uuid)/cancel
expect_eq "$(status -X POST -H 'Authorization: Bearer generate' "$unknown")" 401 "the word 'generate' is no token"
expect_eq "$(status -X POST -H "Authorization: Bearer $token" "$unknown")" 404 "the generated token"
echo "hostile: probes answered throughout; every hostile input had its defined answer"
