"""boto3's tagging calls (issue 26): Put/Get/DeleteObjectTagging, Put/Get/DeleteBucketTagging, `Tagging=` on
put_object / create_multipart_upload / copy_object (TaggingDirective), the TagCount of get_object, a presigned PUT
carrying `x-amz-tagging` (botocore signs it as a header), and AWS's error codes for bad tag sets."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from conf import ACCESS_KEY, ENDPOINT, REGION, SECRET_KEY, cell, check, http  # noqa: E402

BUCKET = os.environ["CONF_BUCKET"] + "-tags"

s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                  aws_secret_access_key=SECRET_KEY,
                  config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))


def eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def tags_of(key):
    return [(t["Key"], t["Value"]) for t in s3.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]]


def code_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError("the call succeeded")


def setup():
    s3.create_bucket(Bucket=BUCKET)


def object_tagging():
    s3.put_object(Bucket=BUCKET, Key="a", Body=b"x", Tagging=urllib.parse.urlencode({"project": "alpha", "two words": "x y"}))
    eq(tags_of("a"), [("project", "alpha"), ("two words", "x y")], "tags from put_object")
    eq(s3.get_object(Bucket=BUCKET, Key="a").get("TagCount"), 2, "TagCount")
    s3.put_object_tagging(Bucket=BUCKET, Key="a", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    eq(tags_of("a"), [("k", "v")], "after put_object_tagging")
    s3.delete_object_tagging(Bucket=BUCKET, Key="a")
    eq(tags_of("a"), [], "after delete_object_tagging")
    eq(s3.get_object(Bucket=BUCKET, Key="a").get("TagCount"), None, "no TagCount")


def object_tagging_errors():
    eleven = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    eq(code_of(lambda: s3.put_object_tagging(Bucket=BUCKET, Key="a", Tagging=eleven)), ("BadRequest", 400), "11 tags")
    dup = {"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}
    eq(code_of(lambda: s3.put_object_tagging(Bucket=BUCKET, Key="a", Tagging=dup)), ("InvalidTag", 400), "duplicate")
    long_key = {"TagSet": [{"Key": "k" * 129, "Value": "v"}]}
    eq(code_of(lambda: s3.put_object_tagging(Bucket=BUCKET, Key="a", Tagging=long_key)), ("InvalidTag", 400), "long key")
    eq(code_of(lambda: s3.put_object(Bucket=BUCKET, Key="b", Body=b"x", Tagging="a=1&a=2")), ("InvalidArgument", 400),
       "repeated key in x-amz-tagging")
    eq(code_of(lambda: s3.get_object_tagging(Bucket=BUCKET, Key="missing")), ("NoSuchKey", 404), "missing object")


def multipart_and_copy():
    up = s3.create_multipart_upload(Bucket=BUCKET, Key="mp", Tagging="stage=incoming")
    part = s3.upload_part(Bucket=BUCKET, Key="mp", UploadId=up["UploadId"], PartNumber=1, Body=b"part")
    s3.complete_multipart_upload(Bucket=BUCKET, Key="mp", UploadId=up["UploadId"],
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    eq(tags_of("mp"), [("stage", "incoming")], "multipart tags")
    s3.copy_object(Bucket=BUCKET, Key="c1", CopySource={"Bucket": BUCKET, "Key": "mp"})
    eq(tags_of("c1"), [("stage", "incoming")], "COPY directive")
    s3.copy_object(Bucket=BUCKET, Key="c2", CopySource={"Bucket": BUCKET, "Key": "mp"},
                   TaggingDirective="REPLACE", Tagging="stage=done")
    eq(tags_of("c2"), [("stage", "done")], "REPLACE directive")


def presigned_put():
    url = s3.generate_presigned_url("put_object", Params={"Bucket": BUCKET, "Key": "p", "Tagging": "via=url"},
                                    ExpiresIn=300)
    status, _, body = http("PUT", url, b"presigned", {"x-amz-tagging": "via=url"})
    eq(status, 200, f"presigned PUT ({body[:200]!r})")
    eq(tags_of("p"), [("via", "url")], "presigned tags")
    eq(s3.head_object(Bucket=BUCKET, Key="p")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count"), "1",
       "x-amz-tagging-count on HEAD")


def bucket_tagging():
    eq(code_of(lambda: s3.get_bucket_tagging(Bucket=BUCKET)), ("NoSuchTagSet", 404), "no tags yet")
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "team", "Value": "media"}]})
    eq(s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"], [{"Key": "team", "Value": "media"}], "bucket tags")
    s3.delete_bucket_tagging(Bucket=BUCKET)
    eq(code_of(lambda: s3.get_bucket_tagging(Bucket=BUCKET)), ("NoSuchTagSet", 404), "after delete")


def teardown():
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    if keys:
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
    s3.delete_bucket(Bucket=BUCKET)


if __name__ == "__main__":
    cell("tagging_setup", setup)
    cell("tagging_object", object_tagging)
    cell("tagging_object_errors", object_tagging_errors)
    cell("tagging_multipart_copy", multipart_and_copy)
    cell("tagging_presigned_put", presigned_put)
    cell("tagging_bucket", bucket_tagging)
    cell("tagging_teardown", teardown)
