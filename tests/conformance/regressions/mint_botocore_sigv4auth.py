"""Sluice's JSON API called with a generic SigV4 signer: botocore's SigV4Auth signs the body's hash into the
canonical request but sends no x-amz-content-sha256 header. Issue 20 item 15: the server answered 400
"Missing required header"; it must hash the body itself, as AWS's JSON services do."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import boto3  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.config import Config  # noqa: E402

from conf import ACCESS_KEY, ENDPOINT, REGION, SECRET_KEY, cell, check, http, http_ok  # noqa: E402

BUCKET = os.environ["CONF_BUCKET"] + "-mint"
CREDS = Credentials(ACCESS_KEY, SECRET_KEY)


def signed(method, path, body=b"", tamper=False, secret=None):
    req = AWSRequest(method=method, url=ENDPOINT + path, data=body, headers={"Content-Type": "application/json"})
    creds = Credentials(ACCESS_KEY, secret) if secret else CREDS
    SigV4Auth(creds, "s3", REGION).add_auth(req)
    check("X-Amz-Content-SHA256" not in req.headers and "x-amz-content-sha256" not in req.headers,
          "SigV4Auth sent x-amz-content-sha256; this test needs a signer that does not")
    send = body + b" " if tamper else body
    return http(method, ENDPOINT + path, send, dict(req.headers.items()))


def mint_and_use():
    s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                      aws_secret_access_key=SECRET_KEY, config=Config(s3={"addressing_style": "path"}))
    s3.create_bucket(Bucket=BUCKET)
    body = json.dumps({"bucket": BUCKET, "key": "minted.txt", "method": "PUT", "expires_in": 300}).encode()
    status, _, out = signed("POST", "/_sluice/v1/presign", body)
    check(status == 200, f"mint answered {status}: {out[:300]!r}")
    url = json.loads(out)["url"]
    http_ok("PUT", url, b"through a minted URL")
    got = s3.get_object(Bucket=BUCKET, Key="minted.txt")["Body"].read()
    check(got == b"through a minted URL", f"read back {got!r}")
    status, _, out = signed("GET", "/_sluice/v1/grants")
    check(status == 200, f"GET grants answered {status}: {out[:300]!r}")


def body_is_bound():
    body = json.dumps({"bucket": BUCKET, "key": "x", "method": "PUT"}).encode()
    status, _, out = signed("POST", "/_sluice/v1/presign", body, tamper=True)
    check(status == 403 and b"SignatureDoesNotMatch" in out, f"a changed body answered {status}: {out[:300]!r}")
    status, _, out = signed("POST", "/_sluice/v1/presign", body, secret="wrong-secret")
    check(status == 403 and b"SignatureDoesNotMatch" in out, f"a wrong secret answered {status}: {out[:300]!r}")


def limits_and_s3_unchanged():
    # The body the server reads to hash is capped at 1 MiB: a larger one is refused while it is read, before the
    # signature is checked (so a wrong secret still gets 400, not 403), and nothing more is buffered.
    big = b"{" + b" " * (2 << 20) + b"}"
    status, _, out = signed("POST", "/_sluice/v1/presign", big, secret="wrong-secret")
    check(status == 400 and b"MaxMessageLengthExceeded" in out, f"an oversized body answered {status}: {out[:300]!r}")
    # S3 calls keep AWS's rule: SigV4 header auth without x-amz-content-sha256 is refused.
    status, _, out = signed("PUT", f"/{BUCKET}/no-hash.txt", b"bytes")
    check(status == 400 and b"x-amz-content-sha256" in out, f"an S3 PUT without the header answered {status}: {out[:300]!r}")


if __name__ == "__main__":
    cell("mint_botocore_sigv4auth", mint_and_use)
    cell("mint_botocore_body_bound", body_is_bound)
    cell("mint_botocore_limits_and_s3_unchanged", limits_and_s3_unchanged)
