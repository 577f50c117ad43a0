"""Shared helpers for the Python conformance clients: settings, test data, plain HTTP, result lines.

Every client prints one line per cell on stdout: RESULT<TAB>cell<TAB>PASS|FAIL|SKIP<TAB>detail
(tests/conformance/report.py reads them). Diagnostics go to stderr.
"""
import hashlib
import http.client as httpclient
import os
import random
import sys
import traceback
import urllib.parse

ENDPOINT = os.environ["SLUICE_ENDPOINT"]
ACCESS_KEY = os.environ["AWS_ACCESS_KEY_ID"]
SECRET_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
REGION = os.environ.get("AWS_REGION", "us-east-1")
BUCKET = os.environ["CONF_BUCKET"]
MIB = 1024 * 1024
PART = 5 * MIB  # S3's minimum part size (all parts but the last)


class Skip(Exception):
    """A cell that cannot run with this client; the message says why."""


def data(n, seed):
    return random.Random(seed).randbytes(n)


def sha(b):
    return hashlib.sha256(b).hexdigest()[:16]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def same(got, want, what):
    check(got == want, f"{what}: got {len(got)} bytes sha {sha(got)}, want {len(want)} bytes sha {sha(want)}")


def cell(name, fn):
    try:
        detail = fn() or ""
        print(f"RESULT\t{name}\tPASS\t{detail}", flush=True)
    except Skip as e:
        print(f"RESULT\t{name}\tSKIP\t{e}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure becomes a failed cell
        traceback.print_exc(file=sys.stderr)
        msg = " ".join(f"{type(e).__name__}: {e}".split())[:300]
        print(f"RESULT\t{name}\tFAIL\t{msg}", flush=True)


def http(method, url, body=None, headers=None):
    """Plain HTTP (no SDK): returns (status, headers dict lower-cased, body bytes)."""
    u = urllib.parse.urlsplit(url)
    conn = httpclient.HTTPConnection(u.hostname, u.port, timeout=60)
    path = u.path + ("?" + u.query if u.query else "")
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    out = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, out


def http_ok(method, url, body=None, headers=None):
    status, hdrs, out = http(method, url, body, headers)
    check(200 <= status < 300, f"{method} {url.split('?')[0]} -> {status}: {out[:300]!r}")
    return hdrs, out


def complete_xml(etags):
    parts = "".join(f"<Part><PartNumber>{i}</PartNumber><ETag>{e}</ETag></Part>" for i, e in enumerate(etags, 1))
    return f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()


def signed_headers(url):
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    return q.get("X-Amz-SignedHeaders", [""])[0].split(";")


def presigned_put_flow(presign_put, verify_get, key, content_type="text/plain", sign_ct=True):
    """PUT through a presigned URL with plain HTTP, then read it back with the client."""
    body = data(1000, key)
    url = presign_put(key, content_type)
    if sign_ct:
        check("content-type" in signed_headers(url), f"content-type not in X-Amz-SignedHeaders of {url}")
        status, _, out = http("PUT", url, body, {"Content-Type": "application/octet-stream"})
        check(status == 403, f"PUT with another Content-Type than signed -> {status}, want 403: {out[:200]!r}")
    http_ok("PUT", url, body, {"Content-Type": content_type})
    got, ct = verify_get(key)
    same(got, body, "read back")
    check(ct == content_type, f"content-type read back {ct!r}, want {content_type!r}")
    return "x-id in URL" if "x-id=" in url else ""


def presigned_get_flow(put_small, presign_get, key):
    body = data(777, key)
    put_small(key, body)
    _, out = http_ok("GET", presign_get(key))
    same(out, body, "presigned GET body")
    return ""


def presigned_multipart_flow(create, presign_part, presign_complete, verify_get, key):
    """CreateMultipartUpload with the client; UploadPart and Complete through presigned URLs with plain HTTP."""
    parts = [data(PART, key + "1"), data(MIB + 3, key + "2")]
    upload_id = create(key)
    etags = []
    for n, p in enumerate(parts, 1):
        hdrs, _ = http_ok("PUT", presign_part(key, upload_id, n), p)
        check("etag" in hdrs, "UploadPart answer has no ETag")
        etags.append(hdrs["etag"])
    _, out = http_ok("POST", presign_complete(key, upload_id), complete_xml(etags))
    check(b"CompleteMultipartUploadResult" in out, f"Complete answered {out[:300]!r}")
    got, _ = verify_get(key)
    same(got, b"".join(parts), "assembled object")
    return ""


def na(reason):
    """A cell body for a capability this client does not have."""
    def run():
        raise Skip(reason)
    return run
