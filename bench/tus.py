#!/usr/bin/env python3
"""Resumable uploads' cost (issue 24): one large file through tus (8 MiB PATCHes) against one
presigned PUT of the same file, interleaved in one run on one server.

usage: python3 bench/tus.py SLUICE_BIN [MIB] [ROUNDS] [PATCH_MIB]

Starts `SLUICE_BIN serve` on a fresh data dir, writes an MIB-MiB file (default 1024), mints a
presigned PUT URL (`sluice presign`) and a tus creation URL (`sluice presign --tus`), then runs
ROUNDS rounds (default 2), each one PUT of the file and one tus upload of it (POST creation,
then PATCH_MIB-MiB PATCHes, default 8; the last one commits the object). Prints MB/s of each,
the tus/PUT ratio and the server's peak RSS.
"""

import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

BIN = sys.argv[1]
MIB = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
PATCH = (int(sys.argv[4]) if len(sys.argv) > 4 else 8) << 20
AK, SK = "AKIDBENCHTUS00000001", "bench/tus/secret/0123456789abcdefghijklm"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def conn_for(url):
    u = urllib.parse.urlsplit(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600), u


def put(url, path, size):
    conn, u = conn_for(url)
    with open(path, "rb") as f:
        conn.request("PUT", f"{u.path}?{u.query}", body=f, headers={"content-length": str(size)})
        r = conn.getresponse()
        r.read()
    assert r.status == 200, r.status


def tus(url, path, size):
    conn, u = conn_for(url)
    conn.request("POST", f"{u.path}?{u.query}", headers={
        "tus-resumable": "1.0.0", "upload-length": str(size), "content-length": "0"})
    r = conn.getresponse()
    r.read()
    assert r.status == 201, r.status
    loc = urllib.parse.urlsplit(r.getheader("location")).path
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            chunk = f.read(PATCH)
            conn.request("PATCH", loc, body=chunk, headers={
                "tus-resumable": "1.0.0", "content-type": "application/offset+octet-stream",
                "upload-offset": str(offset)})
            r = conn.getresponse()
            r.read()
            assert r.status == 204, (r.status, offset)
            offset = int(r.getheader("upload-offset"))


def main():
    work = tempfile.mkdtemp(prefix="sluice-bench-tus-")
    data = os.path.join(work, "data")
    path = os.path.join(work, "file.bin")
    size = MIB << 20
    with open(path, "wb") as f:
        block = os.urandom(1 << 20)
        for _ in range(MIB):
            f.write(block)
    port = free_port()
    env = dict(os.environ, SLUICE_ROOT_ACCESS_KEY=AK, SLUICE_ROOT_SECRET_KEY=SK,
               AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_REGION="us-east-1",
               AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", HOME="/nonexistent-home")
    env.pop("AWS_PROFILE", None)
    server = subprocess.Popen([BIN, "serve", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        cli = lambda *a: subprocess.run([BIN, *a], env=env, check=True, capture_output=True,
                                        text=True).stdout.strip()
        create_bucket(port)
        put_url = cli("presign", "--method", "PUT", "--expires-in", "1h", "s3://bench/put.bin")
        tus_url = cli("presign", "--tus", "--expires-in", "1h", "--max-uses", str(ROUNDS),
                      "s3://bench/tus.bin")
        rows = {"PUT": 0.0, "tus": 0.0}
        for _ in range(ROUNDS):
            for name, fn, url in [("PUT", put, put_url), ("tus", tus, tus_url)]:
                t = time.perf_counter()
                fn(url, path, size)
                rows[name] += time.perf_counter() - t
        print(f"tus vs PUT, {MIB} MiB x {ROUNDS} rounds ({PATCH >> 20} MiB PATCHes):")
        for name, secs in rows.items():
            print(f"  {name:4} {size * ROUNDS / secs / 1e6:8.1f} MB/s")
        print(f"  tus/PUT throughput ratio: {rows['PUT'] / rows['tus']:.2f}x; "
              f"server peak RSS {peak_rss_mib(server.pid)} MiB")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


def create_bucket(port):
    import datetime
    import hashlib
    import hmac
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    empty = hashlib.sha256(b"").hexdigest()
    host = f"127.0.0.1:{port}"
    canonical = "\n".join(["PUT", "/bench", "", f"host:{host}", f"x-amz-content-sha256:{empty}",
                           f"x-amz-date:{amz}", "", "host;x-amz-content-sha256;x-amz-date", empty])
    scope = f"{day}/us-east-1/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SK).encode()
    for part in [day, "us-east-1", "s3", "aws4_request"]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("PUT", "/bench", headers={
        "x-amz-date": amz, "x-amz-content-sha256": empty,
        "authorization": f"AWS4-HMAC-SHA256 Credential={AK}/{scope}, "
                         f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"})
    r = conn.getresponse()
    r.read()
    assert r.status == 200, r.status


if __name__ == "__main__":
    main()
