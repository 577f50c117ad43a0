"""The AWS CLI v1 (awscli from PyPI) driven as a user would: aws s3 cp/sync/ls/rm/presign and aws s3api."""
import json
import os
import subprocess

from conf import BUCKET, ENDPOINT, MIB, PART, Skip, cell, check, data, http_ok, same

WORK = os.environ["CONF_WORK"]
AWS = [os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "..", "..", "target", "conformance", "venv",
                    "bin", "aws"), "--endpoint-url", ENDPOINT, "--region", "us-east-1"]
ENV = dict(os.environ, AWS_CONFIG_FILE=os.path.join(WORK, "aws-config"))
with open(ENV["AWS_CONFIG_FILE"], "w") as f:
    f.write("[default]\ns3 =\n  addressing_style = path\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n")


def aws(*args, stdin=None):
    r = subprocess.run(AWS + list(args), input=stdin, capture_output=True, env=ENV, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} -> exit {r.returncode}: {r.stderr.decode()[-300:]}")
    return r.stdout


def path(name, body=None):
    p = os.path.join(WORK, name)
    if body is not None:
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(body)
    return p


def read(p):
    with open(p, "rb") as f:
        return f.read()


def s3url(key):
    return f"s3://{BUCKET}/{key}"


def presign_get():
    body = data(777, "cli-get")
    aws("s3", "cp", path("get.bin", body), s3url("cli/presigned-get.bin"))
    url = aws("s3", "presign", s3url("cli/presigned-get.bin"), "--expires-in", "600").decode().strip()
    _, out = http_ok("GET", url)
    same(out, body, "presigned GET body")
    return "aws s3 presign"


def put():
    body = data(1000, "cli-put")
    aws("s3", "cp", path("small.txt", body), s3url("cli/small.txt"), "--content-type", "text/plain")
    aws("s3", "cp", s3url("cli/small.txt"), path("small.back"))
    same(read(path("small.back")), body, "cp round trip")
    for i in range(3):
        path(f"tree/d{i}/f{i}.txt", data(100 + i, f"sync{i}"))
    aws("s3", "sync", path("tree"), s3url("cli/tree"))
    aws("s3", "sync", s3url("cli/tree"), path("tree.back"))
    for i in range(3):
        same(read(path(f"tree.back/d{i}/f{i}.txt")), data(100 + i, f"sync{i}"), "sync round trip")
    return "s3 cp + s3 sync both ways"


def put_stream():
    body = data(300_000, "cli-stream")
    aws("s3", "cp", "-", s3url("cli/stream.bin"), stdin=body)
    same(aws("s3", "cp", s3url("cli/stream.bin"), "-"), body, "stdin upload")
    return "s3 cp - (stdin)"


def multipart():
    body = data(2 * PART + MIB, "cli-mpu")
    aws("s3", "cp", path("mpu.bin", body), s3url("cli/mpu.bin"))
    h = json.loads(aws("s3api", "head-object", "--bucket", BUCKET, "--key", "cli/mpu.bin"))
    check(h["ETag"].endswith('-3"'), f"ETag {h['ETag']} should end in -3")
    aws("s3", "cp", s3url("cli/mpu.bin"), path("mpu.back"))
    same(read(path("mpu.back")), body, "multipart round trip")
    return "s3 cp 3 parts"


def get_range():
    body = data(5000, "cli-range")
    aws("s3", "cp", path("range.bin", body), s3url("cli/range.bin"))
    aws("s3api", "get-object", "--bucket", BUCKET, "--key", "cli/range.bin", "--range", "bytes=100-1099",
        path("range.part"))
    same(read(path("range.part")), body[100:1100], "range")


def head():
    aws("s3api", "put-object", "--bucket", BUCKET, "--key", "cli/head.txt", "--body", path("h.txt", b"hello"),
        "--content-type", "text/x-test", "--metadata", "k=v")
    h = json.loads(aws("s3api", "head-object", "--bucket", BUCKET, "--key", "cli/head.txt"))
    check(h["ContentLength"] == 5 and h["ContentType"] == "text/x-test" and h["Metadata"] == {"k": "v"}, str(h))


def list_v2():
    for i in range(7):
        path(f"list/{i:02d}", b"x")
    aws("s3", "sync", path("list"), s3url("cli/list"))
    r = json.loads(aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "cli/list/", "--page-size", "3"))
    keys = [o["Key"] for o in r["Contents"]]
    check(keys == [f"cli/list/{i:02d}" for i in range(7)], f"keys {keys}")
    ls = aws("s3", "ls", "--recursive", "--page-size", "2", s3url("cli/list/")).decode()
    check(ls.count("cli/list/") == 7, f"s3 ls: {ls}")
    return "s3api list-objects-v2 --page-size 3, s3 ls --page-size 2"


def copy():
    aws("s3", "cp", path("src.txt", b"copy me"), s3url("cli/src.txt"))
    aws("s3", "cp", s3url("cli/src.txt"), s3url("cli/dst.txt"))
    same(aws("s3", "cp", s3url("cli/dst.txt"), "-"), b"copy me", "s3 cp s3->s3")
    aws("s3api", "copy-object", "--bucket", BUCKET, "--key", "cli/dst2.txt", "--copy-source", f"{BUCKET}/cli/src.txt")
    same(aws("s3", "cp", s3url("cli/dst2.txt"), "-"), b"copy me", "s3api copy-object")


def delete():
    aws("s3", "cp", path("del.txt", b"x"), s3url("cli/del.txt"))
    aws("s3", "rm", s3url("cli/del.txt"))
    r = json.loads(aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "cli/del.txt"))
    check(r.get("KeyCount", 0) == 0, "still listed after rm")


def multi_delete():
    for i in range(4):
        path(f"md/{i}", b"x")
    aws("s3", "sync", path("md"), s3url("cli/md"))
    aws("s3", "rm", "--recursive", s3url("cli/md/"))
    keys = json.dumps({"Objects": [{"Key": "cli/list/00"}, {"Key": "cli/list/01"}]})
    r = json.loads(aws("s3api", "delete-objects", "--bucket", BUCKET, "--delete", keys))
    check(len(r.get("Deleted", [])) == 2, str(r))
    r = json.loads(aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "cli/md/"))
    check(r.get("KeyCount", 0) == 0, "objects left")
    return "s3 rm --recursive + s3api delete-objects"


def presign_put():
    raise Skip("aws s3 presign signs GET only")


def presign_mpu():
    raise Skip("aws s3 presign signs GET only")


def main():
    aws("s3", "mb", f"s3://{BUCKET}")
    for name, fn in [("presign_put", presign_put), ("presign_get", presign_get), ("presign_mpu", presign_mpu),
                     ("put", put), ("put_stream", put_stream), ("multipart", multipart), ("get_range", get_range),
                     ("head", head), ("list_v2", list_v2), ("copy", copy), ("delete", delete),
                     ("multi_delete", multi_delete)]:
        cell(name, fn)


if __name__ == "__main__":
    main()
