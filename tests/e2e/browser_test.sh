#!/usr/bin/env bash
# dcp-monitor's web page in a real browser (Debian's chromium driven by
# playwright-core, tests/browser): a run triggered while the page is open
# progresses live to FINISHED, the workers' current tasks shown meanwhile
# (page and `dcp workers`); a run with a failing feeder shows its error,
# as text and not as markup; an operator triggers, retries and cancels runs
# from the page, the token kept in the tab's session storage; a monitor
# without a token shows no actions. Saves out/browser/monitor.png; with
# DCP_UPDATE_SCREENSHOT=1 also copies it to docs/monitor.png.
# Exits 77 (skipped) only when /usr/bin/chromium is absent.
chromium=${DCP_TEST_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "browser_test: skipped, $chromium is absent (apt-get install chromium)" >&2
  exit 77
fi
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
browser_dir=$root/tests/browser
if [ ! -d "$browser_dir/node_modules" ] || [ "$browser_dir/package-lock.json" -nt "$browser_dir/node_modules/.package-lock.json" ]; then
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || fail "npm ci in tests/browser"
fi
"$bin/dcp-leader" migrate >/dev/null

port=$(free_port)
token=browser-$suffix
# The monitor of the test, with a token, and a second one without (its
# actions are off) on the same database.
DCP_MONITOR_TOKEN=$token "$bin/dcp-monitor" --bind 127.0.0.1 --port "$port" --refresh 0.2 >>"$work/monitor.log" 2>&1 &
pids+=($!)
port_off=$(free_port)
DCP_MONITOR_TOKEN='' "$bin/dcp-monitor" --bind 127.0.0.1 --port "$port_off" --refresh 0.2 >>"$work/monitor.log" 2>&1 &
pids+=($!)
# And a third whose reads need a read token.
port_read=$(free_port)
read_token=reader-$suffix
DCP_MONITOR_TOKEN=$token DCP_MONITOR_READ_TOKEN=$read_token "$bin/dcp-monitor" --bind 127.0.0.1 --port "$port_read" \
  --refresh 0.2 >>"$work/monitor.log" 2>&1 &
pids+=($!)
deadline=$((SECONDS + 30))
for p in "$port" "$port_off" "$port_read"; do
  until curl -sf "http://127.0.0.1:$p/healthz" >/dev/null; do
    ((SECONDS < deadline)) || fail "monitor did not start: $(tail -3 "$work/monitor.log")"
    sleep 0.05
  done
done

# Every task takes 0.2 s, so a run's progress is visible; feeder S1-F1 fails
# in March 2024 (the second run) with an error that is markup if unescaped;
# feeder S1-F2 fails in April 2024 while the file $flaky exists (the test
# removes it before it retries that run from the page).
flaky=$work/s1-f2-offline
touch "$flaky"
cat >"$work/compute.sh" <<EOF
in=\$(cat); sleep 0.2
case "\$in" in
  *'"S1-F1"'*'"start_date":"2024-03'*) echo 'feeder <b>on fire</b>' >&2; exit 3;;
  *'"S1-F2"'*'"start_date":"2024-04'*) if [ -e '$flaky' ]; then echo 'feeder S1-F2 offline' >&2; exit 4; fi;;
esac
echo ok
EOF
for i in 1 2; do
  start_worker --worker-id "e2e-browser-$i" --max-attempts 1 --computation exec --exec "sh $work/compute.sh"
done

mkdir -p "$root/out/browser"
DCP_MONITOR_URL=http://127.0.0.1:$port DCP_MONITOR_TOKEN=$token DCP_TEST_CHROMIUM=$chromium DCP_BIN=$bin \
  DCP_MONITOR_OFF_URL=http://127.0.0.1:$port_off DCP_FLAKY_FILE=$flaky \
  DCP_MONITOR_READ_URL=http://127.0.0.1:$port_read DCP_MONITOR_READ_TOKEN=$read_token \
  DCP_BROWSER_PROFILE=$work/profile DCP_SCREENSHOT=$root/out/browser/monitor.png \
  node --test "$browser_dir/sse.test.js" "$browser_dir/monitor.test.js" || fail "the browser test failed (monitor log: $(tail -3 "$work/monitor.log"))"
if [ "${DCP_UPDATE_SCREENSHOT:-}" = 1 ]; then
  cp "$root/out/browser/monitor.png" "$root/docs/monitor.png"
  echo "browser_test: docs/monitor.png updated"
fi
echo "browser_test: ok"
