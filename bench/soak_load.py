#!/usr/bin/env python3
"""Hostile and ordinary load on dcp-monitor for the bench's soak scenario.

  soak_load.py PORT SECONDS RUN_ID [SSE] [SLOW_ADDRS] [SLOW_PER_ADDR] [READERS]

For SECONDS, all at once, all on loopback:
  - SSE event streams (default 60), one per client address 127.0.2.i, read
    and discarded; a stream the server ends is opened again;
  - slowloris: SLOW_PER_ADDR (20) connections from each of SLOW_ADDRS (20)
    addresses 127.0.1.j that send half a request line and nothing more; one
    the server closes is opened again (at most 5 times a second per slot);
  - READERS (4) API readers from 127.0.3.k, each a loop of the page's
    calls: GET /api/runs, /api/runs/RUN_ID, /api/runs/RUN_ID/tasks?limit=100,
    /api/workers;
  - a probe from 127.0.0.1: GET /healthz every 50 ms (2 s timeout).
Then prints "name value" lines: the probe's and the API's latencies
(p50, p99, in ms), failures and status counts. Stdlib only; stops by itself.
"""
import collections
import http.client
import selectors
import socket
import sys
import threading
import time

lock = threading.Lock()
healthz_ms = []
healthz_failures = 0
api_ms = []
api_status = collections.Counter()
streams_opened = 0
slow_opened = 0


def get(port, source, path, timeout):
    """(status or None, ms) of one GET on its own connection from `source`."""
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = None
    finally:
        conn.close()
    return status, (time.monotonic() - t0) * 1000


def probe(port, end):
    global healthz_failures
    while time.monotonic() < end:
        started = time.monotonic()
        status, ms = get(port, "127.0.0.1", "/healthz", 2)
        with lock:
            healthz_ms.append(ms)
            if status != 200:
                healthz_failures += 1
        time.sleep(max(0.0, 0.05 - (time.monotonic() - started)))


def reader(port, source, run_id, end):
    paths = ["/api/runs", f"/api/runs/{run_id}", f"/api/runs/{run_id}/tasks?limit=100", "/api/workers"]
    while time.monotonic() < end:
        for path in paths:
            status, ms = get(port, source, path, 15)
            with lock:
                api_ms.append(ms)
                api_status[status or "timeout"] += 1


def hostile(port, end, sse, slow_addrs, slow_per_addr):
    """One selector thread holds the streams and the slow connections."""
    global streams_opened, slow_opened
    sel = selectors.DefaultSelector()
    # slot: (kind, source); reopen_at[slot] when it has no connection
    slots = [("sse", f"127.0.2.{i + 1}") for i in range(sse)]
    slots += [("slow", f"127.0.1.{a + 1}") for a in range(slow_addrs) for _ in range(slow_per_addr)]
    reopen_at = {i: 0.0 for i in range(len(slots))}

    def open_slot(i):
        global streams_opened, slow_opened
        kind, source = slots[i]
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((source, 0))
            s.settimeout(1)
            s.connect(("127.0.0.1", port))
            if kind == "sse":
                s.sendall(b"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                streams_opened += 1
            else:
                s.sendall(b"GET /api/runs HT")
                slow_opened += 1
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, i)
        except OSError:
            s.close()
            reopen_at[i] = time.monotonic() + 0.2

    while time.monotonic() < end:
        now = time.monotonic()
        for i in [i for i, at in reopen_at.items() if at <= now]:
            if time.monotonic() >= end:
                break
            del reopen_at[i]
            open_slot(i)
        for key, _ in sel.select(timeout=0.05):
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:  # closed by the server: open again a bit later
                sel.unregister(key.fileobj)
                key.fileobj.close()
                reopen_at[key.data] = time.monotonic() + 0.2
    for key in list(sel.get_map().values()):
        key.fileobj.close()


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main():
    port, seconds, run_id = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    counts = [int(a) for a in sys.argv[4:]] + [60, 20, 20, 4][len(sys.argv[4:]):]
    sse, slow_addrs, slow_per_addr, readers = counts[:4]
    end = time.monotonic() + seconds
    threads = [threading.Thread(target=hostile, args=(port, end, sse, slow_addrs, slow_per_addr))]
    threads += [threading.Thread(target=reader, args=(port, f"127.0.3.{k + 1}", run_id, end)) for k in range(readers)]
    threads.append(threading.Thread(target=probe, args=(port, end)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"soak_healthz_requests {len(healthz_ms)}")
    print(f"soak_healthz_p50_ms {percentile(healthz_ms, 50):.1f}")
    print(f"soak_healthz_p99_ms {percentile(healthz_ms, 99):.1f}")
    print(f"soak_healthz_max_ms {max(healthz_ms, default=0):.1f}")
    print(f"soak_healthz_failures {healthz_failures}")
    print(f"soak_api_requests {len(api_ms)}")
    print(f"soak_api_p50_ms {percentile(api_ms, 50):.1f}")
    print(f"soak_api_p99_ms {percentile(api_ms, 99):.1f}")
    for status, count in sorted(api_status.items(), key=str):
        print(f"soak_api_status_{status} {count}")
    print(f"soak_streams_opened {streams_opened}")
    print(f"soak_slow_connections_opened {slow_opened}")


if __name__ == "__main__":
    main()
