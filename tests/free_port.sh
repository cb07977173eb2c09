# shellcheck shell=bash
# free_port: a TCP port on 127.0.0.1 that nothing listens on, for a server a
# test starts. Drawn at random below Linux's ephemeral range (32768-60999),
# where a port the kernel hands out could be taken by any client's outgoing
# connection between this check and the server's bind (it happened: a worker
# of e2e.pipeline found its port taken, 'Address already in use').
free_port() {
  python3 - <<'PY'
import random, socket
for _ in range(200):
    port = random.randrange(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("free_port: no free port in 20000-31999")
PY
}
