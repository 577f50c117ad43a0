"""Presigned URLs signed by hand from AWS's SigV4 documentation ("Authenticating requests: using query
parameters"), with only hmac and hashlib, then used with plain HTTP. Header-signed calls are other rows' business."""
import datetime
import hashlib
import hmac
import urllib.parse

from conf import (ACCESS_KEY, BUCKET, ENDPOINT, REGION, SECRET_KEY, cell, check, http, http_ok, na,
                  presigned_get_flow, presigned_multipart_flow, presigned_put_flow)


def quote(s, safe="-_.~"):
    return urllib.parse.quote(s, safe=safe)


def presign(method, bucket, key, expires=600, headers=None, query=None):
    headers = {k.lower(): v.strip() for k, v in (headers or {}).items()}
    host = urllib.parse.urlsplit(ENDPOINT).netloc
    headers["host"] = host
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{REGION}/s3/aws4_request"
    signed = ";".join(sorted(headers))
    q = dict(query or {})
    q.update({"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{ACCESS_KEY}/{scope}",
              "X-Amz-Date": amz_date, "X-Amz-Expires": str(expires), "X-Amz-SignedHeaders": signed})
    canonical_query = "&".join(f"{quote(k)}={quote(str(v))}" for k, v in sorted(q.items()))
    path = "/" + quote(bucket) + "/" + quote(key, safe="-_.~/")
    canonical_headers = "".join(f"{k}:{headers[k]}\n" for k in sorted(headers))
    canonical = "\n".join([method, path, canonical_query, canonical_headers, signed, "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + SECRET_KEY).encode()
    for part in (day, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ENDPOINT}{path}?{canonical_query}&X-Amz-Signature={sig}"


def get(key):
    hdrs, out = http_ok("GET", presign("GET", BUCKET, key))
    return out, hdrs.get("content-type")


def put_small(key, body):
    http_ok("PUT", presign("PUT", BUCKET, key), body)


def create_mpu(key):
    _, out = http_ok("POST", presign("POST", BUCKET, key, query={"uploads": ""}))
    return out.split(b"<UploadId>")[1].split(b"</UploadId>")[0].decode()


def main():
    status, _, out = http("PUT", presign("PUT", BUCKET, ""))
    check(status == 200, f"CreateBucket -> {status} {out[:200]!r}")
    cell("presign_put", lambda: presigned_put_flow(
        lambda k, ct: presign("PUT", BUCKET, k, headers={"Content-Type": ct}), get, "hand/put ü+ key.txt"))
    cell("presign_get", lambda: presigned_get_flow(put_small, lambda k: presign("GET", BUCKET, k), "hand/get.bin"))
    cell("presign_mpu", lambda: presigned_multipart_flow(
        create_mpu,
        lambda k, u, n: presign("PUT", BUCKET, k, query={"partNumber": n, "uploadId": u}),
        lambda k, u: presign("POST", BUCKET, k, query={"uploadId": u}),
        get, "hand/mpu.bin"))
    for name in ("put", "put_stream", "multipart", "get_range", "head", "list_v2", "copy", "delete", "multi_delete"):
        cell(name, na("presigner only: header-signed calls are the SDK rows"))


if __name__ == "__main__":
    main()
