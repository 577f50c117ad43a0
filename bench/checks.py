#!/usr/bin/env python3
"""Verified uploads' cost (issue 23): small PUTs into a bucket without checks, with sniffing
(+ image limits), and with a blocking hook on loopback, interleaved in one run.

usage: python3 bench/checks.py SLUICE_BIN [N_PER_ROUND] [ROUNDS] [CONCURRENCY]

Starts `SLUICE_BIN serve` on a fresh data dir and a hook server in this process, defines the
profiles with the CLI, mints one presigned PUT URL per (bucket, worker) with `sluice presign`
(each worker overwrites its own key), then runs ROUNDS rounds; each round PUTs N_PER_ROUND
4 KiB PNG-headed bodies to each bucket in turn (each round starting with the next bucket). Prints req/s per bucket (sum over rounds),
the sniff/plain ratio, and p50/p99 latency per bucket.
"""

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
CONC = int(sys.argv[4]) if len(sys.argv) > 4 else 8
AK, SK = "AKIDBENCHCHECKS00001", "bench/checks/secret/0123456789abcdefghij"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x40\0\0\0\x40\x08\x06\0\0\0" + b"\0" * (4096 - 29)


class Allow(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        out = b'{"allow": true}'
        self.send_response(200)
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    hook = ThreadingHTTPServer(("127.0.0.1", 0), Allow)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    data = tempfile.mkdtemp(prefix="sluice-bench-checks-")
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK,
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_REGION="us-east-1", RUST_LOG="warn")
    server = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}",
                               "--root-access-key", AK, "--root-secret-key", SK],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        cli = lambda *a: subprocess.run([BIN, *a], env=env, check=True, capture_output=True, text=True).stdout.strip()
        profiles = {
            "sniffed": {"sniff": {"allow": ["image/*"]}, "image": {"max_pixels": 40000000}},
            "hooked": {"hook": {"url": f"http://127.0.0.1:{hook.server_address[1]}/", "secret": SECRET}},
        }
        create_buckets(port)
        for name, doc in profiles.items():
            path = os.path.join(data, f"{name}.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            cli("admin", "checks", "set", name, path)
            cli("admin", "checks", "apply", name, "--bucket", name)
        urls = {b: [cli("presign", "--method", "PUT", "--expires-in", "1h", f"s3://{b}/w{i}")
                    for i in range(CONC)] for b in ["plain", "sniffed", "hooked"]}
        totals = {b: [0, 0.0, [], 0.0] for b in urls}
        names = list(urls)
        for r in range(ROUNDS):
            # Each round starts with another bucket, so no bucket always follows the same one.
            for b in names[r % len(names):] + names[:r % len(names)]:
                cpu0 = server_cpu_s(server.pid)
                took, lat = run(urls[b], N)
                totals[b][3] += server_cpu_s(server.pid) - cpu0
                totals[b][0] += N
                totals[b][1] += took
                totals[b][2].extend(lat)
        rows = {}
        for b, (n, took, lat, cpu) in totals.items():
            lat.sort()
            rows[b] = (n / took, lat[len(lat) // 2] * 1000, lat[int(len(lat) * 0.99)] * 1000, cpu / n * 1e6)
            print(f"{b:8} {rows[b][0]:8.0f} req/s  p50 {rows[b][1]:6.2f} ms  p99 {rows[b][2]:6.2f} ms"
                  f"  server CPU {rows[b][3]:6.0f} us/PUT")
        print(f"sniff/plain throughput ratio: {rows['sniffed'][0] / rows['plain'][0]:.2f}x")
        print(f"sniff/plain server CPU per PUT: {rows['sniffed'][3] / rows['plain'][3]:.2f}x "
              f"({rows['sniffed'][3] - rows['plain'][3]:+.0f} us)")
        print(f"hook added latency: p50 {rows['hooked'][1] - rows['plain'][1]:+.2f} ms, "
              f"p99 {rows['hooked'][2] - rows['plain'][2]:+.2f} ms")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


def server_cpu_s(pid):
    """The server process's CPU time so far (user + system), seconds, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def create_buckets(port):
    import hashlib, hmac, datetime
    for bucket in ["plain", "sniffed", "hooked"]:
        now = datetime.datetime.now(datetime.timezone.utc)
        amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        empty = hashlib.sha256(b"").hexdigest()
        host = f"127.0.0.1:{port}"
        canonical = "\n".join(["PUT", f"/{bucket}", "", f"host:{host}", f"x-amz-content-sha256:{empty}",
                               f"x-amz-date:{amz}", "", "host;x-amz-content-sha256;x-amz-date", empty])
        scope = f"{day}/us-east-1/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("AWS4" + SK).encode()
        for part in [day, "us-east-1", "s3", "aws4_request"]:
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("PUT", f"/{bucket}", headers={
            "x-amz-date": amz, "x-amz-content-sha256": empty,
            "authorization": f"AWS4-HMAC-SHA256 Credential={AK}/{scope}, "
                             f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"})
        r = conn.getresponse()
        r.read()
        assert r.status == 200, r.status


def run(urls, n):
    """n PUTs over len(urls) workers, each reusing one connection and its own URL."""
    per = n // len(urls)
    lat = []
    lock = threading.Lock()

    def worker(url):
        u = urllib.parse.urlsplit(url)
        target = f"{u.path}?{u.query}"
        conn = http.client.HTTPConnection(u.hostname, u.port)
        mine = []
        for _ in range(per):
            t = time.perf_counter()
            conn.request("PUT", target, body=BODY, headers={"content-type": "image/png"})
            r = conn.getresponse()
            r.read()
            assert r.status == 200, (r.status, url)
            mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(u,)) for u in urls]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, lat


if __name__ == "__main__":
    main()
