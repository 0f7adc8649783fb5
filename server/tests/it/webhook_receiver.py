"""A real webhook receiver for the webhook tests: verifies every request with the Standard Webhooks
reference library (`standardwebhooks` from PyPI, via scripts/test).

Usage: webhook_receiver.py PORT OUT_DIR

POST /NAME is verified with the secret in OUT_DIR/NAME.secret (read at each request) and written to
OUT_DIR as <n>.json: the endpoint's name, the webhook-id, -timestamp and -signature headers, the
body, whether the library verified it (and why not), and the answer given. What the answer is
depends on NAME's first word:
  ok      204 at once;
  fail    500 to the first two requests of each webhook-id, then 200;
  slow    the first request of each webhook-id waits 15 s before answering (longer than the
          sender waits), then 200 at once;
  drop    the first request of each webhook-id: the connection is closed without an answer;
  hold    the first request of each webhook-id waits 600 s (the sender is killed meanwhile), then
          200 at once.
Prints "ready" once it listens, and runs until killed.
"""

import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

OUT = sys.argv[2]
LOCK = threading.Lock()
COUNT = [0]
SEEN = {}


def record(entry):
    with LOCK:
        COUNT[0] += 1
        path = os.path.join(OUT, "%06d.json" % COUNT[0])
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(entry, f)
    os.replace(path + ".tmp", path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        name = self.path.strip("/").split("?")[0]
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry = {
            "name": name,
            "id": headers.get("webhook-id"),
            "timestamp": headers.get("webhook-timestamp"),
            "signature": headers.get("webhook-signature"),
            "body": body.decode("utf-8", "replace"),
            "verified": False,
            "error": None,
        }
        try:
            with open(os.path.join(OUT, name + ".secret"), encoding="utf-8") as f:
                secret = f.read().strip()
            Webhook(secret).verify(body, headers)
            entry["verified"] = True
        except Exception as e:  # the test reads why
            entry["error"] = "%s: %s" % (type(e).__name__, e)
        with LOCK:
            key = (name, entry["id"])
            SEEN[key] = SEEN.get(key, 0) + 1
            nth = SEEN[key]
        mode = name.split("-")[0]
        if mode == "hold" and nth == 1:
            entry["answer"] = "held"
            record(entry)
            time.sleep(600)
            return
        if mode == "drop" and nth == 1:
            entry["answer"] = "dropped"
            record(entry)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.connection.close()
            return
        if mode == "slow" and nth == 1:
            entry["answer"] = "slow"
            record(entry)
            time.sleep(15)
            self.answer(200)
            return
        if mode == "fail" and nth <= 2:
            entry["answer"] = 500
            record(entry)
            self.answer(500)
            return
        status = 204 if mode == "ok" else 200
        entry["answer"] = status
        record(entry)
        self.answer(status)

    def answer(self, status):
        try:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()
        except OSError:
            pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
