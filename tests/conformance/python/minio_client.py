"""minio-py against Sluice: presigned_put/get_object, get_presigned_url for the multipart pieces, ordinary calls."""
import io
from datetime import timedelta
from urllib.parse import urlsplit

from minio import Minio
from minio.commonconfig import CopySource
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

from conf import (ACCESS_KEY, BUCKET, ENDPOINT, MIB, PART, REGION, SECRET_KEY, cell, check, data,
                  presigned_get_flow, presigned_multipart_flow, presigned_put_flow, same)

mc = Minio(urlsplit(ENDPOINT).netloc, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION, secure=False)
EXP = timedelta(minutes=10)


def get(key, **kw):
    r = mc.get_object(BUCKET, key, **kw)
    try:
        return r.read(), r.headers.get("Content-Type")
    finally:
        r.close()
        r.release_conn()


def put(key, body, **kw):
    mc.put_object(BUCKET, key, io.BytesIO(body), len(body), **kw)


def create_mpu(key):
    # minio-py has no public CreateMultipartUpload; its own (underscored) method is what put_object uses
    return mc._create_multipart_upload(BUCKET, key, {})


def put_stream():
    body = data(300_000, "stream")
    mc.put_object(BUCKET, "mpy/stream.bin", io.BytesIO(body), -1, part_size=PART)
    same(get("mpy/stream.bin")[0], body, "unknown-length upload")
    return "unknown length (-1)"


def multipart():
    body = data(2 * PART + MIB, "mpu")
    mc.put_object(BUCKET, "mpy/mpu.bin", io.BytesIO(body), len(body), part_size=PART)
    same(get("mpy/mpu.bin")[0], body, "multipart object")
    return "put_object 3 parts"


def get_range():
    body = data(5000, "range")
    put("mpy/range.bin", body)
    same(get("mpy/range.bin", offset=100, length=1000)[0], body[100:1100], "range")


def head():
    put("mpy/head.txt", b"hello", content_type="text/x-test", metadata={"k": "v"})
    st = mc.stat_object(BUCKET, "mpy/head.txt")
    check(st.size == 5 and st.content_type == "text/x-test" and st.metadata.get("x-amz-meta-k") == "v",
          f"{st.size} {st.content_type} {dict(st.metadata)}")
    try:
        mc.stat_object(BUCKET, "mpy/missing")
        raise AssertionError("stat of a missing key succeeded")
    except S3Error as e:
        check(e.code in ("NoSuchKey", "ResourceNotFound"), f"missing key: {e.code}")


def list_v2():
    keys = [f"mpy/list/{i:02d}" for i in range(7)]
    for k in keys:
        put(k, b"x")
    seen = [o.object_name for o in mc.list_objects(BUCKET, prefix="mpy/list/", recursive=True,
                                                     extra_query_params={"max-keys": "3"})]
    check(seen == keys, f"keys {seen}")
    return "max-keys 3 (continuation tokens)"


def copy():
    put("mpy/src.txt", b"copy me")
    mc.copy_object(BUCKET, "mpy/dst.txt", CopySource(BUCKET, "mpy/src.txt"))
    same(get("mpy/dst.txt")[0], b"copy me", "copy")


def delete():
    put("mpy/del.txt", b"x")
    mc.remove_object(BUCKET, "mpy/del.txt")
    check(not list(mc.list_objects(BUCKET, prefix="mpy/del.txt")), "still listed after delete")


def multi_delete():
    keys = [f"mpy/md/{i}" for i in range(4)]
    for k in keys:
        put(k, b"x")
    errors = list(mc.remove_objects(BUCKET, [DeleteObject(k) for k in keys]))
    check(not errors, f"errors {errors}")
    check(not list(mc.list_objects(BUCKET, prefix="mpy/md/", recursive=True)), "objects left")


def main():
    if not mc.bucket_exists(BUCKET):
        mc.make_bucket(BUCKET)
    cell("presign_put", lambda: presigned_put_flow(
        lambda k, ct: mc.presigned_put_object(BUCKET, k, EXP), get, "mpy/presigned put ü+&=@,;~(x).txt", sign_ct=False)
        + "Content-Type cannot be signed by minio-py's presigner")
    cell("presign_get", lambda: presigned_get_flow(put, lambda k: mc.presigned_get_object(BUCKET, k, EXP),
                                                   "mpy/presigned-get.bin"))
    cell("presign_mpu", lambda: presigned_multipart_flow(
        create_mpu,
        lambda k, u, n: mc.get_presigned_url("PUT", BUCKET, k, EXP,
                                             extra_query_params={"uploadId": u, "partNumber": str(n)}),
        lambda k, u: mc.get_presigned_url("POST", BUCKET, k, EXP, extra_query_params={"uploadId": u}),
        get, "mpy/presigned-mpu.bin"))
    cell("put", lambda: (put("mpy/small.txt", b"small", content_type="text/plain"),
                         same(get("mpy/small.txt")[0], b"small", "small put"))[1])
    for name, fn in [("put_stream", put_stream), ("multipart", multipart), ("get_range", get_range), ("head", head),
                     ("list_v2", list_v2), ("copy", copy), ("delete", delete), ("multi_delete", multi_delete)]:
        cell(name, fn)


if __name__ == "__main__":
    main()
