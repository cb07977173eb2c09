"""A tiny webhook receiver for the tests: listens on 127.0.0.1 (or --bind,
e.g. ::1) on a free port, written to PORT_FILE once listening; appends each
POST body as one line to LOG_FILE and answers 204. The first FAIL_FIRST posts
get 503 (to see retries). Two paths behave otherwise, for the client's tests:
  /redirect  answers 307 to /hook (logs nothing: a client that follows it
             would log its body at /hook)
  /hang      reads the request and never answers
--tls CERT KEY serves https with that certificate (PEM), the handshake on
the connection's own thread. Runs until killed."""
import argparse
import http.server
import os
import socket
import ssl
import threading
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("port_file")
parser.add_argument("log_file")
parser.add_argument("fail_first", nargs="?", type=int, default=0)
parser.add_argument("--bind", default="127.0.0.1")
parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
args = parser.parse_args()
calls = {"n": 0}
lock = threading.Lock()
never = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        path = urllib.parse.urlsplit(self.path).path
        if path == "/hang":
            never.wait()
        if path == "/redirect":
            self.send_response(307)
            self.send_header("Location", "/hook")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with lock:
            calls["n"] += 1
            if calls["n"] <= args.fail_first:
                self.send_response(503)
                self.end_headers()
                return
            with open(args.log_file, "ab") as log:
                log.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    address_family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    context = None

    def finish_request(self, request, client_address):
        if self.context is not None:
            try:
                request = self.context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client refused the certificate: its test says so
        super().finish_request(request, client_address)


server = Server((args.bind, 0), Handler)
if args.tls:
    Server.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    Server.context.load_cert_chain(args.tls[0], args.tls[1])
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
