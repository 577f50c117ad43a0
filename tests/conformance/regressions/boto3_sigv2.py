"""boto3 with SigV2 header signing (Config(signature_version="s3")): every bucket and object call boto3 makes
against what Sluice implements. Issue 20 item 7: bucket-level calls signed `/bucket/` failed with
SignatureDoesNotMatch while object calls worked."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from conf import ACCESS_KEY, ENDPOINT, REGION, SECRET_KEY, cell, check, data, same  # noqa: E402

BUCKET = os.environ["CONF_BUCKET"] + "-v2"


def client(addressing):
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY,
                        config=Config(s3={"addressing_style": addressing}, signature_version="s3"))


s3 = client("path")


def bucket_calls():
    s3.create_bucket(Bucket=BUCKET)
    s3.head_bucket(Bucket=BUCKET)
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    check(BUCKET in names, f"{BUCKET} not in ListBuckets {names}")
    s3.get_bucket_location(Bucket=BUCKET)
    check(s3.get_bucket_versioning(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200, "versioning")
    s3.put_bucket_acl(Bucket=BUCKET, ACL="private")
    check(s3.get_bucket_acl(Bucket=BUCKET)["Owner"], "bucket ACL owner")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                                      "Resource": f"arn:aws:s3:::{BUCKET}/denied/*"}]}
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    check("denied" in s3.get_bucket_policy(Bucket=BUCKET)["Policy"], "policy read back")
    s3.delete_bucket_policy(Bucket=BUCKET)
    rules = {"CORSRules": [{"AllowedMethods": ["PUT"], "AllowedOrigins": ["https://app.example"]}]}
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration=rules)
    check(s3.get_bucket_cors(Bucket=BUCKET)["CORSRules"][0]["AllowedMethods"] == ["PUT"], "CORS read back")
    s3.delete_bucket_cors(Bucket=BUCKET)
    s3.list_objects(Bucket=BUCKET)
    s3.list_objects_v2(Bucket=BUCKET)
    s3.list_object_versions(Bucket=BUCKET)
    s3.list_multipart_uploads(Bucket=BUCKET)


def object_calls():
    body = data(3000, "v2")
    key = "dir/v2 key ü+&=.bin"
    s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="application/x-test")
    h = s3.head_object(Bucket=BUCKET, Key=key)
    check(h["ContentLength"] == 3000 and h["ContentType"] == "application/x-test", str(h))
    same(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(), body, "get")
    same(s3.get_object(Bucket=BUCKET, Key=key, Range="bytes=10-19")["Body"].read(), body[10:20], "range")
    r = s3.get_object(Bucket=BUCKET, Key=key, ResponseContentType="text/x-override")
    check(r["ContentType"] == "text/x-override", "response-content-type override")
    s3.put_object_acl(Bucket=BUCKET, Key=key, ACL="private")
    s3.get_object_acl(Bucket=BUCKET, Key=key)
    s3.copy_object(Bucket=BUCKET, Key="copy.bin", CopySource={"Bucket": BUCKET, "Key": key})
    same(s3.get_object(Bucket=BUCKET, Key="copy.bin")["Body"].read(), body, "copy")
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="dir/")["Contents"]]
    check(listed == [key], f"listed {listed}")
    s3.delete_object(Bucket=BUCKET, Key="copy.bin")


def multipart_calls():
    key = "mpu.bin"
    parts = [data(5 * 1024 * 1024, "p1"), data(1000, "p2")]
    up = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    etags = [s3.upload_part(Bucket=BUCKET, Key=key, UploadId=up, PartNumber=n, Body=p)["ETag"]
             for n, p in enumerate(parts, 1)]
    check(len(s3.list_parts(Bucket=BUCKET, Key=key, UploadId=up)["Parts"]) == 2, "ListParts")
    s3.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
    same(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read(), b"".join(parts), "assembled")
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="aborted")["UploadId"]
    s3.abort_multipart_upload(Bucket=BUCKET, Key="aborted", UploadId=up)


def presigned_v2():
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "mpu.bin"}, ExpiresIn=300)
    check("Signature=" in url and "AWSAccessKeyId=" in url, f"not a SigV2 URL: {url}")
    from conf import http_ok
    _, out = http_ok("GET", url)
    check(len(out) == 5 * 1024 * 1024 + 1000, "presigned SigV2 GET length")


def teardown():
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys]})
    check(not r.get("Errors"), str(r.get("Errors")))
    s3.delete_bucket(Bucket=BUCKET)
    try:
        s3.head_bucket(Bucket=BUCKET)
        raise AssertionError("bucket still there after DeleteBucket")
    except ClientError as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 404, str(e))


if __name__ == "__main__":
    cell("sigv2_bucket_calls", bucket_calls)
    cell("sigv2_object_calls", object_calls)
    cell("sigv2_multipart_calls", multipart_calls)
    cell("sigv2_presigned_get", presigned_v2)
    cell("sigv2_delete_objects_and_bucket", teardown)
