"""boto3 (and its s3transfer): presigned URLs from generate_presigned_url, and the ordinary calls with today's
defaults (flexible checksums on, aws-chunked with trailers for streamed bodies)."""
import io

import boto3
from botocore.config import Config

from conf import (ACCESS_KEY, BUCKET, ENDPOINT, MIB, PART, REGION, SECRET_KEY, cell, check, data,
                  presigned_get_flow, presigned_multipart_flow, presigned_put_flow, same)
from boto3.s3.transfer import TransferConfig

s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                  aws_secret_access_key=SECRET_KEY,
                  config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


def presign(op, **params):
    return s3.generate_presigned_url(op, Params={"Bucket": BUCKET, **params}, ExpiresIn=600)


def get(key, **kw):
    r = s3.get_object(Bucket=BUCKET, Key=key, **kw)
    return r["Body"].read(), r["ContentType"]


class Unsized(io.RawIOBase):
    """A stream that cannot seek or tell its length: forces a streamed (aws-chunked) upload."""
    def __init__(self, b):
        self.b = io.BytesIO(b)

    def readable(self):
        return True

    def readinto(self, buf):
        chunk = self.b.read(min(len(buf), 64 * 1024))
        buf[:len(chunk)] = chunk
        return len(chunk)


def put_stream():
    body = data(300_000, "stream")
    s3.upload_fileobj(Unsized(body), BUCKET, "b3/stream.bin")
    same(get("b3/stream.bin")[0], body, "streamed upload")
    r = s3.put_object(Bucket=BUCKET, Key="b3/stream2.bin", Body=io.BytesIO(body), ChecksumAlgorithm="CRC32")
    check("ChecksumCRC32" in r, "PutObject with ChecksumAlgorithm=CRC32 returned no ChecksumCRC32")
    return "upload_fileobj (unseekable) + put_object CRC32"


def multipart():
    body = data(2 * PART + MIB, "mpu")
    cfg = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART)
    s3.upload_fileobj(io.BytesIO(body), BUCKET, "b3/mpu.bin", Config=cfg)
    same(get("b3/mpu.bin")[0], body, "multipart object")
    h = s3.head_object(Bucket=BUCKET, Key="b3/mpu.bin")
    check(h["ETag"].endswith('-3"'), f"multipart ETag {h['ETag']} should end in -3")
    out = io.BytesIO()
    s3.download_fileobj(BUCKET, "b3/mpu.bin", out, Config=cfg)
    same(out.getvalue(), body, "download_fileobj (ranged parallel GETs)")
    return "upload_fileobj 3 parts, download_fileobj"


def get_range():
    body = data(5000, "range")
    s3.put_object(Bucket=BUCKET, Key="b3/range.bin", Body=body)
    got, _ = get("b3/range.bin", Range="bytes=100-1099")
    same(got, body[100:1100], "range 100-1099")
    got, _ = get("b3/range.bin", Range="bytes=-10")
    same(got, body[-10:], "suffix range")


def head():
    s3.put_object(Bucket=BUCKET, Key="b3/head.txt", Body=b"hello", ContentType="text/x-test", Metadata={"k": "v"})
    h = s3.head_object(Bucket=BUCKET, Key="b3/head.txt")
    check(h["ContentLength"] == 5 and h["ContentType"] == "text/x-test" and h["Metadata"] == {"k": "v"}, str(h))
    try:
        s3.head_object(Bucket=BUCKET, Key="b3/missing")
        raise AssertionError("HEAD of a missing key succeeded")
    except s3.exceptions.ClientError as e:
        check(e.response["Error"]["Code"] == "404", f"missing key: {e.response['Error']}")


def list_v2():
    keys = [f"b3/list/{i:02d}" for i in range(7)] + ["b3/list/07 ü+&=%.txt"]  # listed with encoding-type=url
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=b"x")
    seen, pages = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="b3/list/",
                                                                 PaginationConfig={"PageSize": 3}):
        pages += 1
        seen += [o["Key"] for o in page.get("Contents", [])]
    check(seen == keys and pages == 3, f"pages={pages} keys={seen}")
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="b3/", Delimiter="/")
    check([p["Prefix"] for p in r.get("CommonPrefixes", [])] == ["b3/list/"], f"delimiter: {r.get('CommonPrefixes')}")
    return "3 pages of 3 (encoding-type=url, a key with ü+&=%)"


def copy():
    s3.put_object(Bucket=BUCKET, Key="b3/src ü+&=%.txt", Body=b"copy me", ContentType="text/plain")
    s3.copy_object(Bucket=BUCKET, Key="b3/dst.txt", CopySource={"Bucket": BUCKET, "Key": "b3/src ü+&=%.txt"})
    same(get("b3/dst.txt")[0], b"copy me", "copy")
    s3.copy({"Bucket": BUCKET, "Key": "b3/src ü+&=%.txt"}, BUCKET, "b3/dst2.txt")  # managed copy
    same(get("b3/dst2.txt")[0], b"copy me", "managed copy")


def delete():
    s3.put_object(Bucket=BUCKET, Key="b3/del.txt", Body=b"x")
    s3.delete_object(Bucket=BUCKET, Key="b3/del.txt")
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="b3/del.txt")
    check(r["KeyCount"] == 0, "object still listed after delete")


def multi_delete():
    keys = [f"b3/md/{i}" for i in range(4)]
    for k in keys:
        s3.put_object(Bucket=BUCKET, Key=k, Body=b"x")
    r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    check(len(r.get("Deleted", [])) == 4 and not r.get("Errors"), str(r))
    check(s3.list_objects_v2(Bucket=BUCKET, Prefix="b3/md/")["KeyCount"] == 0, "objects left after DeleteObjects")


def main():
    s3.create_bucket(Bucket=BUCKET)
    cell("presign_put", lambda: presigned_put_flow(
        lambda k, ct: presign("put_object", Key=k, ContentType=ct), get, "b3/presigned put ü+&=@,;~(x).txt"))
    cell("presign_get", lambda: presigned_get_flow(
        lambda k, b: s3.put_object(Bucket=BUCKET, Key=k, Body=b), lambda k: presign("get_object", Key=k),
        "b3/presigned-get.bin"))
    cell("presign_mpu", lambda: presigned_multipart_flow(
        lambda k: s3.create_multipart_upload(Bucket=BUCKET, Key=k)["UploadId"],
        lambda k, u, n: presign("upload_part", Key=k, UploadId=u, PartNumber=n),
        lambda k, u: presign("complete_multipart_upload", Key=k, UploadId=u),
        get, "b3/presigned-mpu.bin"))

    def put():
        r = s3.put_object(Bucket=BUCKET, Key="b3/small.txt", Body=b"small", ContentType="text/plain")
        check(r["ETag"].startswith('"'), f"ETag {r['ETag']!r} is not quoted")
        same(get("b3/small.txt")[0], b"small", "small put")
    cell("put", put)
    cell("put_stream", put_stream)
    cell("multipart", multipart)
    cell("get_range", get_range)
    cell("head", head)
    cell("list_v2", list_v2)
    cell("copy", copy)
    cell("delete", delete)
    cell("multi_delete", multi_delete)


if __name__ == "__main__":
    main()
