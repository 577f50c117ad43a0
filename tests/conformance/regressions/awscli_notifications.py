"""The AWS CLI's notification calls against Sluice (issue 22): `aws s3api put-bucket-notification-configuration`
with a Sluice target ARN, read back with `get-bucket-notification-configuration`; AWS's InvalidArgument for an
ARN that names no target; and the built-in pull feed (`arn:sluice:sqs:REGION:feed:pull`) read with
`GET /_sluice/v1/events`, signed by botocore's SigV4Auth, after an `aws s3api put-object`."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

from conf import ACCESS_KEY, ENDPOINT, REGION, SECRET_KEY, cell, check, http  # noqa: E402

BUCKET = os.environ["CONF_BUCKET"] + "-notify"
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def aws(*args, ok=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    p = subprocess.run([AWS, "--endpoint-url", ENDPOINT, "s3api", *args], env=env, capture_output=True,
                       text=True, timeout=60)
    if ok:
        check(p.returncode == 0, f"aws s3api {args[0]} exited {p.returncode}: {p.stderr[-500:]}")
    return p


def signed(method, path, body=b""):
    req = AWSRequest(method=method, url=ENDPOINT + path, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", REGION).add_auth(req)
    return http(method, ENDPOINT + path, body, dict(req.headers.items()))


def configure(arn, prefix):
    return json.dumps({"QueueConfigurations": [{
        "Id": "uploads", "QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}}}]})


def put_and_get():
    aws("create-bucket", "--bucket", BUCKET)
    body = json.dumps({"type": "webhook", "url": "http://127.0.0.1:9/hook", "secret": SECRET}).encode()
    status, _, out = signed("PUT", "/_sluice/admin/v1/targets/cli-hook", body)
    check(status == 200, f"defining the target answered {status}: {out[:300]!r}")
    arn = json.loads(out)["arn"]
    check(arn == f"arn:sluice:sqs:{REGION}:cli-hook:webhook", f"arn {arn}")
    aws("put-bucket-notification-configuration", "--bucket", BUCKET,
        "--notification-configuration", configure(arn, "uploads/"))
    got = json.loads(aws("get-bucket-notification-configuration", "--bucket", BUCKET).stdout)
    q = got.get("QueueConfigurations", [])
    check(len(q) == 1, f"configurations read back: {got}")
    check(q[0]["QueueArn"] == arn and q[0]["Id"] == "uploads", f"read back {q[0]}")
    check(sorted(q[0]["Events"]) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:Delete"], f"events {q[0]['Events']}")
    rules = q[0]["Filter"]["Key"]["FilterRules"]
    check([(r["Name"].lower(), r["Value"]) for r in rules] == [("prefix", "uploads/")], f"filter {rules}")


def unknown_arn_refused():
    p = aws("put-bucket-notification-configuration", "--bucket", BUCKET, "--notification-configuration",
            configure(f"arn:sluice:sqs:{REGION}:no-such-target:webhook", ""), ok=False)
    check(p.returncode != 0, "an unknown ARN was accepted")
    check("InvalidArgument" in p.stderr and "Unable to validate the following destination configurations"
          in p.stderr, f"stderr: {p.stderr[-500:]}")


def pull_feed():
    status, _, out = signed("GET", "/_sluice/v1/events?after=now")
    check(status == 200, f"events answered {status}: {out[:300]!r}")
    cursor = json.loads(out)["cursor"]
    aws("put-bucket-notification-configuration", "--bucket", BUCKET, "--notification-configuration",
        configure(f"arn:sluice:sqs:{REGION}:feed:pull", "feed/"))
    src = os.path.join(os.environ.get("TMPDIR", "/tmp"), "sluice-awscli-feed.txt")
    with open(src, "wb") as f:
        f.write(b"hello feed")
    put = json.loads(aws("put-object", "--bucket", BUCKET, "--key", "feed/a b.txt", "--body", src).stdout)
    aws("delete-object", "--bucket", BUCKET, "--key", "feed/a b.txt")
    status, _, out = signed("GET", f"/_sluice/v1/events?after={cursor}&wait=5")
    check(status == 200, f"events answered {status}: {out[:300]!r}")
    events = json.loads(out)["events"]
    if len(events) < 2:
        status, _, more = signed("GET", f"/_sluice/v1/events?after={json.loads(out)['cursor']}&wait=5")
        events += json.loads(more)["events"]
    names = [(e["eventName"], e["s3"]["object"]["key"]) for e in events]
    check(names == [("ObjectCreated:Put", "feed/a+b.txt"), ("ObjectRemoved:Delete", "feed/a+b.txt")],
          f"feed: {names}")
    check(events[0]["s3"]["object"]["eTag"] == put["ETag"].strip('"'), f"etag {events[0]['s3']['object']}")
    check(events[0]["s3"]["bucket"]["name"] == BUCKET and events[0]["eventSource"] == "aws:s3", f"{events[0]}")


if __name__ == "__main__":
    cell("awscli_put_get_bucket_notification", put_and_get)
    cell("awscli_notification_unknown_arn", unknown_arn_refused)
    cell("awscli_notification_pull_feed", pull_feed)
