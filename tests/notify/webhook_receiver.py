#!/usr/bin/env python3
"""A webhook receiver for Sluice's notification tests.

Listens on 127.0.0.1 (port 0: the OS picks one, written to --port-file once listening), verifies
every delivery with the `standardwebhooks` package (an implementation of the Standard Webhooks
specification that Sluice did not write), and appends one JSON line per request to --log:

    {"id": <webhook-id>, "verified": <bool>, "status": <answer>, "payload": <parsed JSON or null>}

Answers 400 when the signature does not verify, 500 while --fail-file exists (to make the server
retry), 200 otherwise. Only lines with status 200 are deliveries the server counts as done.

    webhook_receiver.py --secret whsec_... --port-file P --log L --fail-file F
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

LOCK = threading.Lock()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--fail-file", required=True)
    args = ap.parse_args()
    hook = Webhook(args.secret)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items()}
            try:
                payload = hook.verify(body, headers)
                verified = True
            except Exception:  # any verification failure: bad signature, missing headers, old timestamp
                verified = False
                try:
                    payload = json.loads(body)
                except Exception:
                    payload = None
            if not verified:
                status = 400
            elif os.path.exists(args.fail_file):
                status = 500
            else:
                status = 200
            line = json.dumps(
                {
                    "id": self.headers.get("webhook-id"),
                    "verified": verified,
                    "status": status,
                    "payload": payload,
                }
            )
            # Logged before answering: a 200 line is in the log by the time the server has it.
            with LOCK:
                with open(args.log, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
                    f.flush()
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format, *a):  # noqa: A002 (quiet: the log file is the record)
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
