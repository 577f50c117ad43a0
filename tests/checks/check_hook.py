#!/usr/bin/env python3
"""A blocking check hook for Sluice's tests (crates/sluice/tests/checks.rs).

Usage: check_hook.py DIR SECRET

Listens on 127.0.0.1 (a free port, written to DIR/port). For every POST it verifies the
Standard Webhooks signature (with the `standardwebhooks` package when importable, else with the
specification's HMAC by hand), reads the pending bytes through the request's `pending_url`, and
appends one JSON line to DIR/requests.jsonl: the request body plus `signature_ok`, `pending_len`,
`pending_sha256` and `pending_status`. Its verdict depends on the key (or on the upload's
`x-amz-meta-mode` metadata):

  ...refuse...  -> {"allow": false, "message": "virus found: Eicar-Test-Signature"}
  ...bigmeta... -> {"allow": true, "metadata": {"big": 3000 x "x"}} (over S3's 2 KiB)
  ...meta...    -> {"allow": true, "metadata": {"scanned": "clean", "scanner": "test-hook"}}
  ...slow...    -> sleeps 3 s, then allows
  ...hang...    -> sleeps 60 s, then allows (for SIGKILL rounds while verdicts are pending)
  ...broken...  -> answers 500
  anything else -> {"allow": true}
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR, SECRET = sys.argv[1], sys.argv[2]


def verify(headers, body):
    try:
        from standardwebhooks import Webhook  # type: ignore

        Webhook(SECRET).verify(body, dict(headers))
        return True
    except ImportError:
        pass
    except Exception:
        return False
    key = base64.b64decode(SECRET[len("whsec_"):])
    msg = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers.get("webhook-signature", "").split())


class Hook(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        record = json.loads(body)
        record["signature_ok"] = verify(self.headers, body)
        try:
            with urllib.request.urlopen(record["pending_url"], timeout=5) as r:
                data = r.read()
                record["pending_status"] = r.status
                record["pending_len"] = len(data)
                record["pending_sha256"] = hashlib.sha256(data).hexdigest()
        except Exception as e:  # noqa: BLE001
            record["pending_status"] = getattr(e, "code", str(e))
        with open(os.path.join(DIR, "requests.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        key = record["key"] + " " + record.get("metadata", {}).get("mode", "")
        if "broken" in key:
            self.send_response(500)
            self.end_headers()
            return
        if "slow" in key:
            time.sleep(3)
        if "hang" in key:
            time.sleep(60)
        if "refuse" in key:
            answer = {"allow": False, "message": "virus found: Eicar-Test-Signature"}
        elif "bigmeta" in key:
            answer = {"allow": True, "metadata": {"big": "x" * 3000}}
        elif "meta" in key:
            answer = {"allow": True, "metadata": {"scanned": "clean", "scanner": "test-hook"}}
        else:
            answer = {"allow": True}
        out = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
