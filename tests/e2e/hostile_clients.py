#!/usr/bin/env python3
"""Hostile HTTP clients for hostile_test.sh, stdlib only, loopback only.

  hostile_clients.py PORT SOURCE COUNT slow EXPECT_OPEN
      COUNT connections from SOURCE (a 127.x.y.z address) that send half a
      request line and nothing more (slowloris). Waits (at most 10 s) until
      all but EXPECT_OPEN have been closed by the server, then prints
      "open=N" and holds the open ones until stdin closes.
  hostile_clients.py PORT SOURCE COUNT sse [XFF_PREFIX]
      COUNT requests for /api/events, one after the other; with XFF_PREFIX
      each carries "X-Forwarded-For: XFF_PREFIX<i>" (another client behind
      a proxy). Prints the statuses as "200=8 429=62", then holds the open
      streams until stdin closes.

Every wait is for a state (a status line, a closed socket), with a deadline.
"""
import collections
import select
import socket
import sys
import time


def connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def slow(port, source, count, expect_open):
    socks = []
    for _ in range(count):
        try:
            s = connect(port, source)
            s.sendall(b"GET /api/runs HT")
            socks.append(s)
        except OSError:
            pass  # reset at once: closed
    deadline = time.monotonic() + 10
    open_socks = list(socks)
    while len(open_socks) > expect_open and time.monotonic() < deadline:
        readable, _, _ = select.select(open_socks, [], [], 0.5)
        for s in readable:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                open_socks.remove(s)
    print(f"open={len(open_socks)}", flush=True)
    return open_socks


def status_of(s, deadline):
    """The status of the response on `s` ("closed" if none came)."""
    data = b""
    while b"\r\n" not in data and time.monotonic() < deadline:
        readable, _, _ = select.select([s], [], [], 0.5)
        if not readable:
            continue
        try:
            chunk = s.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:
            return "closed"
        data += chunk
    return data.split(b" ")[1].decode() if b"\r\n" in data else "none"


def sse(port, source, count, xff_prefix):
    # One after the other, as a loop of `curl -N` would: each stream's status
    # is known before the next is asked for.
    statuses = {}
    deadline = time.monotonic() + 20
    for i in range(count):
        s = connect(port, source)
        extra = f"X-Forwarded-For: {xff_prefix}{i}\r\n" if xff_prefix else ""
        s.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
        statuses[s] = status_of(s, deadline)
    counts = collections.Counter(statuses.values())
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())), flush=True)
    return [s for s, status in statuses.items() if status == "200"]


def main():
    port, source, count, kind = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    rest = sys.argv[5:]
    held = slow(port, source, count, int(rest[0])) if kind == "slow" else sse(
        port, source, count, rest[0] if rest else "")
    sys.stdin.read()  # hold until the test closes our stdin
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
