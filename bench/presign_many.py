#!/usr/bin/env python3
"""Prints N presigned URLs (one per line) for a load generator, signed with botocore.

usage: presign_many.py ENDPOINT REGION ACCESS_KEY SECRET_KEY BUCKET METHOD KEY_PREFIX N [EXPIRES]
With N = 1 the key is KEY_PREFIX itself; otherwise KEY_PREFIX + a number.
"""
import sys

import boto3
from botocore.config import Config


def main() -> None:
    endpoint, region, ak, sk, bucket, method, prefix, n = sys.argv[1:9]
    expires = int(sys.argv[9]) if len(sys.argv) > 9 else 3600
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=ak,
        aws_secret_access_key=sk,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    op = {"PUT": "put_object", "GET": "get_object"}[method]
    n = int(n)
    out = sys.stdout
    for i in range(n):
        key = prefix if n == 1 else f"{prefix}{i:07d}"
        out.write(
            client.generate_presigned_url(
                op, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires
            )
        )
        out.write("\n")


if __name__ == "__main__":
    main()
