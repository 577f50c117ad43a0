"""boto3's listings with keys, prefixes and delimiters made of characters XML cannot carry (issue 20 item 11).
botocore asks for `encoding-type=url` on ListObjects, ListObjectsV2 and ListObjectVersions and URL-decodes the
answer's Delimiter, Marker, NextMarker, StartAfter, KeyMarker, NextKeyMarker, keys and common prefixes (and the
Prefix of ListObjectsV2 and ListObjectVersions): each must come back to the caller exactly as it was sent.

botocore does not decode the Prefix of ListObjects (v1), although S3 encodes it there too (boto/boto3#3534,
ceph/s3-tests#481; AWS's Java SDK decodes it): against S3 as here, boto3's v1 Prefix stays encoded, so that one
value is checked as S3 encodes it rather than as sent."""
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from conf import ACCESS_KEY, ENDPOINT, REGION, SECRET_KEY, cell, check  # noqa: E402

BUCKET = os.environ["CONF_BUCKET"] + "-enc"
KEYS = ["\na", "\nb\nc", "\nz", "%x", "%41b", "a+b c"]

s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=ACCESS_KEY,
                  aws_secret_access_key=SECRET_KEY, config=Config(s3={"addressing_style": "path"}))


def setup():
    s3.create_bucket(Bucket=BUCKET)
    for k in KEYS:
        s3.put_object(Bucket=BUCKET, Key=k, Body=b"x")


def eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def list_v1():
    r = s3.list_objects(Bucket=BUCKET, Prefix="\n", Delimiter="\n", Marker="\n", MaxKeys=2)
    eq(r.get("EncodingType"), "url", "EncodingType")
    eq(r.get("Prefix"), "%0A", "Prefix (encoded, which botocore leaves as it is in v1)")
    eq(r.get("Delimiter"), "\n", "Delimiter")
    eq(r.get("Marker"), "\n", "Marker")
    eq([o["Key"] for o in r.get("Contents", [])], ["\na"], "keys")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["\nb\n"], "common prefixes")
    eq(r.get("NextMarker"), "\nb\n", "NextMarker")
    r = s3.list_objects(Bucket=BUCKET, Prefix="%")
    eq(urllib.parse.unquote_plus(r.get("Prefix")), "%", "Prefix %")
    eq([o["Key"] for o in r.get("Contents", [])], ["%41b", "%x"], "keys under %")
    r = s3.list_objects(Bucket=BUCKET, Prefix="a+b ")
    eq(urllib.parse.unquote_plus(r.get("Prefix")), "a+b ", "Prefix 'a+b '")
    eq([o["Key"] for o in r.get("Contents", [])], ["a+b c"], "keys under 'a+b '")


def list_v2():
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="\n", Delimiter="\n", StartAfter="\n")
    eq(r.get("Prefix"), "\n", "Prefix")
    eq(r.get("Delimiter"), "\n", "Delimiter")
    eq(r.get("StartAfter"), "\n", "StartAfter")
    eq([o["Key"] for o in r.get("Contents", [])], ["\na", "\nz"], "keys")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["\nb\n"], "common prefixes")
    # Values that decode to something else unless encoded: a literal "%41", "+" and spaces.
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="%41")
    eq(r.get("Prefix"), "%41", "Prefix %41")
    eq([o["Key"] for o in r.get("Contents", [])], ["%41b"], "keys under %41")
    r = s3.list_objects_v2(Bucket=BUCKET, Prefix="a+", Delimiter=" ", StartAfter="a+")
    eq(r.get("Prefix"), "a+", "Prefix a+")
    eq(r.get("Delimiter"), " ", "Delimiter ' '")
    eq(r.get("StartAfter"), "a+", "StartAfter a+")
    eq([p["Prefix"] for p in r.get("CommonPrefixes", [])], ["a+b "], "common prefixes under a+")
    # The paginator walks pages with the tokens it was given back.
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="\n", PaginationConfig={"PageSize": 1}):
        eq(page.get("Prefix"), "\n", "Prefix of a page")
        keys += [o["Key"] for o in page.get("Contents", [])]
    eq(keys, ["\na", "\nb\nc", "\nz"], "paginated keys")


def list_versions():
    r = s3.list_object_versions(Bucket=BUCKET, Prefix="\n", KeyMarker="\n", MaxKeys=1)
    eq(r.get("Prefix"), "\n", "Prefix")
    eq(r.get("KeyMarker"), "\n", "KeyMarker")
    eq([v["Key"] for v in r.get("Versions", [])], ["\na"], "keys")
    eq(r.get("NextKeyMarker"), "\na", "NextKeyMarker")
    r = s3.list_object_versions(Bucket=BUCKET, Prefix="%41", Delimiter="+", KeyMarker="%4")
    eq((r.get("Prefix"), r.get("Delimiter"), r.get("KeyMarker")), ("%41", "+", "%4"), "Prefix, Delimiter, KeyMarker")
    eq([v["Key"] for v in r.get("Versions", [])], ["%41b"], "keys under %41")


def teardown():
    r = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": k} for k in KEYS], "Quiet": True})
    check(not r.get("Errors"), str(r.get("Errors")))
    eq(s3.list_objects_v2(Bucket=BUCKET).get("KeyCount"), 0, "keys left")
    s3.delete_bucket(Bucket=BUCKET)


if __name__ == "__main__":
    cell("list_encoding_setup", setup)
    cell("list_encoding_v1", list_v1)
    cell("list_encoding_v2", list_v2)
    cell("list_encoding_versions", list_versions)
    cell("list_encoding_teardown", teardown)
