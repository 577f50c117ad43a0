#!/usr/bin/env python3
"""Pages through a bucket with ListObjectsV2 (1,000 keys a page) over one keep-alive
connection, header-signed with botocore's SigV4, and prints the time per page.

usage: list_pages.py ENDPOINT REGION ACCESS_KEY SECRET_KEY BUCKET
prints: pages=N keys=K first10_ms=A last10_ms=B median_ms=C total_s=T
Only the request (send to last body byte) is timed, not the signing or the token parsing.
"""
import http.client
import re
import statistics
import sys
import time
import urllib.parse

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TOKEN = re.compile(rb"<NextContinuationToken>([^<]*)</NextContinuationToken>")
KEY_COUNT = re.compile(rb"<KeyCount>(\d+)</KeyCount>")


def main() -> None:
    endpoint, region, ak, sk, bucket = sys.argv[1:6]
    url = urllib.parse.urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port)
    signer = S3SigV4Auth(Credentials(ak, sk), "s3", region)
    token, times, keys = None, [], 0
    while True:
        query = {"list-type": "2", "max-keys": "1000"}
        if token:
            query["continuation-token"] = token
        target = f"/{bucket}?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        req = AWSRequest(method="GET", url=endpoint + target)
        req.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        signer.add_auth(req)
        t0 = time.perf_counter()
        conn.request("GET", target, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        body = resp.read()
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status != 200:
            sys.exit(f"page {len(times)}: HTTP {resp.status}: {body[:300]!r}")
        m = KEY_COUNT.search(body)
        keys += int(m.group(1)) if m else 0
        m = TOKEN.search(body)
        if not m:
            break
        token = m.group(1).decode()
    print(
        f"pages={len(times)} keys={keys} first10_ms={statistics.mean(times[:10]):.2f} "
        f"last10_ms={statistics.mean(times[-10:]):.2f} median_ms={statistics.median(times):.2f} "
        f"total_s={sum(times) / 1000:.2f}"
    )


if __name__ == "__main__":
    main()
