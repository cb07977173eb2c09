"""A tiny webhook receiver for the e2e tests: listens on 127.0.0.1 (a free
port, written to PORT_FILE once listening), appends each POST body as one
line to LOG_FILE and answers 204. The first FAIL_FIRST posts get 503 (to see
retries). Runs until killed."""
import http.server
import sys

port_file, log_file = sys.argv[1], sys.argv[2]
fail_first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
calls = {"n": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        calls["n"] += 1
        if calls["n"] <= fail_first:
            self.send_response(503)
            self.end_headers()
            return
        with open(log_file, "ab") as log:
            log.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_port))
import os  # noqa: E402

os.rename(port_file + ".tmp", port_file)
server.serve_forever()
