//! Browser form uploads (`POST /bucket`, `multipart/form-data`): real forms sent with
//! reqwest and over a raw socket, SigV4 and SigV2 policies, every condition type passing
//! and failing, AWS's errors, and a 64 MiB file to show the body streams.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::{http, raw_request, xml_field, TestServer, ACCESS_KEY, REGION, SECRET_KEY};
use md5::{Digest, Md5};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const BUCKET: &str = "forms";
const BOUNDARY: &str = "----sluiceFormBoundary7MA4YWxkTrZu0gW";

/// A form: fields before the file, the file, fields after it.
#[derive(Clone, Default)]
struct Form {
    fields: Vec<(String, String)>,
    file: Option<(String, Vec<u8>)>,
    after: Vec<(String, String)>,
}

impl Form {
    fn field(mut self, name: &str, value: &str) -> Self {
        self.fields.retain(|(n, _)| n != name);
        self.fields.push((name.into(), value.into()));
        self
    }
    fn without(mut self, name: &str) -> Self {
        self.fields.retain(|(n, _)| n != name);
        self
    }
    fn file(mut self, filename: &str, data: &[u8]) -> Self {
        self.file = Some((filename.into(), data.to_vec()));
        self
    }
    fn body(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let text = |out: &mut Vec<u8>, (n, v): &(String, String)| {
            out.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            )
        };
        for f in &self.fields {
            text(&mut out, f);
        }
        if let Some((name, data)) = &self.file {
            out.extend_from_slice(
                format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            out.extend_from_slice(data);
            out.extend_from_slice(b"\r\n");
        }
        for f in &self.after {
            text(&mut out, f);
        }
        out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        out
    }
}

fn iso(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// A SigV4-signed form for `conditions` (plus the auth fields' own conditions), with
/// `fields` as form fields. The policy expires in an hour unless `expiration` is given.
fn signed_form(
    conditions: Vec<Value>,
    fields: &[(&str, &str)],
    expiration: Option<OffsetDateTime>,
) -> Form {
    let now = OffsetDateTime::now_utc();
    let amz_date = sluice_sigv4::format_amz_date(now);
    let date = sluice_sigv4::format_date_stamp(now);
    let credential = format!("{ACCESS_KEY}/{date}/{REGION}/s3/aws4_request");
    let mut all = conditions;
    all.push(json!({"x-amz-algorithm": "AWS4-HMAC-SHA256"}));
    all.push(json!({"x-amz-credential": credential}));
    all.push(json!({"x-amz-date": amz_date}));
    let exp = expiration.unwrap_or(now + Duration::hours(1));
    let policy = B64.encode(json!({"expiration": iso(exp), "conditions": all}).to_string());
    let signature = sluice_sigv4::sign_post_policy_v4(SECRET_KEY, &policy, &date, REGION);
    let mut form = Form::default();
    for (n, v) in fields {
        form = form.field(n, v);
    }
    form.field("x-amz-algorithm", "AWS4-HMAC-SHA256")
        .field("x-amz-credential", &credential)
        .field("x-amz-date", &amz_date)
        .field("policy", &policy)
        .field("x-amz-signature", &signature)
}

/// A form allowing `key` exactly, in this bucket.
fn simple_form(key: &str) -> Form {
    signed_form(
        vec![json!({"bucket": BUCKET}), json!(["eq", "$key", key])],
        &[("key", key)],
        None,
    )
}

async fn post(ts: &TestServer, form: &Form) -> reqwest::Response {
    http()
        .post(format!("{}/{BUCKET}", ts.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form.body())
        .send()
        .await
        .unwrap()
}

async fn error_of(r: reqwest::Response) -> (u16, String, String) {
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    (
        status,
        xml_field(&body, "Code").unwrap_or_default(),
        xml_field(&body, "Message")
            .unwrap_or_default()
            .replace("&quot;", "\"")
            .replace("&apos;", "'"),
    )
}

async fn object(ts: &TestServer, key: &str) -> Option<(Vec<u8>, reqwest::header::HeaderMap)> {
    let r = http()
        .get(ts.presign("GET", BUCKET, key, 300))
        .send()
        .await
        .unwrap();
    if r.status() == 404 {
        return None;
    }
    assert_eq!(r.status(), 200);
    let headers = r.headers().clone();
    Some((r.bytes().await.unwrap().to_vec(), headers))
}

async fn start() -> TestServer {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    ts
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_upload_stores_the_file_with_its_fields() {
    let ts = start().await;
    let form = signed_form(
        vec![
            json!({"bucket": BUCKET}),
            json!(["starts-with", "$key", "photos/"]),
            json!(["eq", "$Content-Type", "image/png"]),
            json!(["starts-with", "$x-amz-meta-owner", ""]),
            json!(["eq", "$Cache-Control", "max-age=60"]),
            json!(["content-length-range", 1, 1024]),
        ],
        &[
            ("key", "photos/cat.png"),
            ("Content-Type", "image/png"),
            ("x-amz-meta-owner", "alice"),
            ("Cache-Control", "max-age=60"),
            ("x-ignore-tracking", "whatever"),
        ],
        None,
    )
    .file("cat.png", b"\x89PNG fake image bytes");
    let r = post(&ts, &form).await;
    assert_eq!(r.status(), 204);
    let etag = format!("\"{}\"", md5_hex(b"\x89PNG fake image bytes"));
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert_eq!(
        r.headers()["location"],
        format!("{}/{BUCKET}/photos/cat.png", ts.endpoint()).as_str()
    );
    let (data, headers) = object(&ts, "photos/cat.png").await.unwrap();
    assert_eq!(data, b"\x89PNG fake image bytes");
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["cache-control"], "max-age=60");
    assert_eq!(headers["x-amz-meta-owner"], "alice");
    assert_eq!(headers["etag"], etag.as_str());
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_action_status_and_redirect() {
    let ts = start().await;
    let with_status = |key: &str, status: &str| {
        signed_form(
            vec![
                json!({"bucket": BUCKET}),
                json!(["eq", "$key", key]),
                json!({"success_action_status": status}),
            ],
            &[("key", key), ("success_action_status", status)],
            None,
        )
        .file("a.txt", b"abc")
    };
    let r = post(&ts, &with_status("s200", "200")).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().is_empty());

    let r = post(&ts, &with_status("dir/s 201", "201")).await;
    assert_eq!(r.status(), 201);
    let body = r.text().await.unwrap();
    assert!(body.contains("<PostResponse>"), "no namespace: {body}");
    assert_eq!(xml_field(&body, "Bucket").unwrap(), BUCKET);
    assert_eq!(xml_field(&body, "Key").unwrap(), "dir/s 201");
    assert_eq!(
        xml_field(&body, "ETag").unwrap(),
        format!("&quot;{}&quot;", md5_hex(b"abc"))
    );
    assert_eq!(
        xml_field(&body, "Location").unwrap(),
        format!("{}/{BUCKET}/dir/s%20201", ts.endpoint())
    );
    // Anything else: 204.
    let r = post(&ts, &with_status("s999", "999")).await;
    assert_eq!(r.status(), 204);

    let redirect = "https://app.example.com/done?x=1";
    let form = signed_form(
        vec![
            json!({"bucket": BUCKET}),
            json!(["eq", "$key", "r.txt"]),
            json!(["eq", "$success_action_redirect", redirect]),
        ],
        &[("key", "r.txt"), ("success_action_redirect", redirect)],
        None,
    )
    .file("r.txt", b"abc");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/{BUCKET}", ts.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form.body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        format!(
            "{redirect}&bucket={BUCKET}&key=r.txt&etag=%22{}%22",
            md5_hex(b"abc")
        )
        .as_str()
    );
    assert!(object(&ts, "r.txt").await.is_some());
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_condition_type_refuses_what_it_does_not_allow() {
    let ts = start().await;
    let failed = |c: &str| format!("Invalid according to Policy: Policy Condition failed: {c}");
    // eq on key
    let form = simple_form("exact.txt")
        .field("key", "other.txt")
        .file("f", b"x");
    assert_eq!(
        error_of(post(&ts, &form).await).await,
        (
            403,
            "AccessDenied".into(),
            failed("[\"eq\", \"$key\", \"exact.txt\"]")
        )
    );
    // bucket (object form)
    let form = signed_form(
        vec![json!({"bucket": "elsewhere"}), json!(["eq", "$key", "k"])],
        &[("key", "k")],
        None,
    )
    .file("f", b"x");
    assert_eq!(
        error_of(post(&ts, &form).await).await.2,
        failed("[\"eq\", \"$bucket\", \"elsewhere\"]")
    );
    // starts-with
    let sw = |key: &str, prefix: &str| {
        signed_form(
            vec![
                json!({"bucket": BUCKET}),
                json!(["starts-with", "$key", prefix]),
            ],
            &[("key", key)],
            None,
        )
        .file("f", b"x")
    };
    assert_eq!(
        error_of(post(&ts, &sw("private/x", "public/")).await)
            .await
            .2,
        failed("[\"starts-with\", \"$key\", \"public/\"]")
    );
    assert_eq!(post(&ts, &sw("public/x", "public/")).await.status(), 204);
    assert_eq!(post(&ts, &sw("anything/at/all", "")).await.status(), 204);
    // eq on Content-Type, field name case-insensitive
    let ct = |value: &str| {
        signed_form(
            vec![
                json!({"bucket": BUCKET}),
                json!(["eq", "$key", "typed"]),
                json!(["eq", "$content-type", "image/png"]),
            ],
            &[("key", "typed"), ("Content-Type", value)],
            None,
        )
        .file("f", b"x")
    };
    assert_eq!(post(&ts, &ct("image/png")).await.status(), 204);
    assert_eq!(
        error_of(post(&ts, &ct("text/html")).await).await.2,
        failed("[\"eq\", \"$content-type\", \"image/png\"]")
    );
    // A condition on a field that is absent fails too.
    let form = ct("image/png").without("Content-Type");
    assert_eq!(error_of(post(&ts, &form).await).await.0, 403);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_range_counts_the_bytes_received_and_stores_nothing_outside() {
    let ts = start().await;
    let ranged = |key: &str, data: &[u8]| {
        signed_form(
            vec![
                json!({"bucket": BUCKET}),
                json!(["eq", "$key", key]),
                json!(["content-length-range", 10, 100]),
            ],
            &[("key", key)],
            None,
        )
        .file("f", data)
    };
    let (status, code, _) = error_of(post(&ts, &ranged("big", &[7u8; 101])).await).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooLarge"));
    assert!(object(&ts, "big").await.is_none());
    let (status, code, _) = error_of(post(&ts, &ranged("small", &[7u8; 9])).await).await;
    assert_eq!((status, code.as_str()), (400, "EntityTooSmall"));
    assert!(object(&ts, "small").await.is_none());
    assert_eq!(
        post(&ts, &ranged("edge-low", &[7u8; 10])).await.status(),
        204
    );
    assert_eq!(
        post(&ts, &ranged("edge-high", &[7u8; 100])).await.status(),
        204
    );
    // The replaced object is untouched by a refused upload.
    let r = post(&ts, &ranged("edge-high", &[8u8; 1000])).await;
    assert_eq!(r.status(), 400);
    assert_eq!(object(&ts, "edge-high").await.unwrap().0, vec![7u8; 100]);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiration_is_the_only_time_limit() {
    let ts = start().await;
    let past = OffsetDateTime::now_utc() - Duration::seconds(1);
    let form = signed_form(
        vec![json!({"bucket": BUCKET}), json!(["eq", "$key", "k"])],
        &[("key", "k")],
        Some(past),
    )
    .file("f", b"x");
    assert_eq!(
        error_of(post(&ts, &form).await).await,
        (
            403,
            "AccessDenied".into(),
            "Invalid according to Policy: Policy expired.".into()
        )
    );
    // An x-amz-date far from now does not matter while the policy has not expired.
    let form = simple_form("k").file("f", b"x");
    ts.clock().advance_ms(50 * 60 * 1000);
    assert_eq!(post(&ts, &form).await.status(), 204);
    ts.clock().advance_ms(11 * 60 * 1000);
    assert_eq!(
        error_of(post(&ts, &form).await).await.2,
        "Invalid according to Policy: Policy expired."
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_forms_are_refused() {
    let ts = start().await;
    let good = simple_form("k").file("f", b"x");
    let get = |f: &Form, n: &str| {
        f.fields
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    // Policy edited after signing.
    let policy = String::from_utf8(B64.decode(get(&good, "policy")).unwrap()).unwrap();
    let edited = B64.encode(policy.replace("\"k\"", "\"other\""));
    let form = good.clone().field("policy", &edited).field("key", "other");
    assert_eq!(
        error_of(post(&ts, &form).await).await.1,
        "SignatureDoesNotMatch"
    );
    // Signature edited.
    let mut sig = get(&good, "x-amz-signature");
    sig.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
    let form = good.clone().field("x-amz-signature", &sig);
    assert_eq!(
        error_of(post(&ts, &form).await).await.1,
        "SignatureDoesNotMatch"
    );
    // Unknown key.
    let cred = get(&good, "x-amz-credential").replace(ACCESS_KEY, "AKIDUNKNOWN000000000");
    let form = good.clone().field("x-amz-credential", &cred);
    assert_eq!(
        error_of(post(&ts, &form).await).await.1,
        "InvalidAccessKeyId"
    );
    // Not base64 / not JSON (signed as such).
    for policy in ["%%%not-base64", &B64.encode("not json")] {
        let date = sluice_sigv4::format_date_stamp(OffsetDateTime::now_utc());
        let sig = sluice_sigv4::sign_post_policy_v4(SECRET_KEY, policy, &date, REGION);
        let form = good
            .clone()
            .field("policy", policy)
            .field("x-amz-signature", &sig);
        assert_eq!(
            error_of(post(&ts, &form).await).await.1,
            "InvalidPolicyDocument"
        );
    }
    // Missing signature field.
    let form = good.clone().without("x-amz-signature");
    assert_eq!(error_of(post(&ts, &form).await).await.0, 400);
    // Nothing was stored by any of them.
    assert!(object(&ts, "k").await.is_none());
    assert!(object(&ts, "other").await.is_none());
    assert_eq!(post(&ts, &good).await.status(), 204);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_must_be_covered_by_a_condition() {
    let ts = start().await;
    let form = simple_form("k")
        .field("x-amz-meta-color", "red")
        .field("acl", "public-read")
        .file("f", b"x");
    assert_eq!(
        error_of(post(&ts, &form).await).await,
        (
            403,
            "AccessDenied".into(),
            "Invalid according to Policy: Extra input fields: x-amz-meta-color, acl".into()
        )
    );
    // x-ignore-* fields and fields after the file are not checked (and not used).
    let mut form = simple_form("k")
        .field("x-ignore-note", "hi")
        .file("f", b"x");
    form.after
        .push(("x-amz-meta-late".into(), "ignored".into()));
    assert_eq!(post(&ts, &form).await.status(), 204);
    let (_, headers) = object(&ts, "k").await.unwrap();
    assert!(headers.get("x-amz-meta-late").is_none());
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv2_forms_filename_substitution_and_acl() {
    let ts = start().await;
    let exp = iso(OffsetDateTime::now_utc() + Duration::hours(1));
    let policy = B64.encode(
        json!({"expiration": exp, "conditions": [
            {"bucket": BUCKET}, ["starts-with", "$key", "uploads/"], {"acl": "public-read"}
        ]})
        .to_string(),
    );
    let signature = sluice_sigv4::sign_post_policy_v2(SECRET_KEY, &policy);
    let form = Form::default()
        .field("key", "uploads/${filename}")
        .field("acl", "public-read")
        .field("AWSAccessKeyId", ACCESS_KEY)
        .field("policy", &policy)
        .field("signature", &signature)
        .file("report.pdf", b"%PDF-1.7");
    assert_eq!(post(&ts, &form).await.status(), 204);
    assert_eq!(
        object(&ts, "uploads/report.pdf").await.unwrap().0,
        b"%PDF-1.7"
    );
    // public-read: anonymous GET works.
    let r = http()
        .get(format!("{}/{BUCKET}/uploads/report.pdf", ts.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let form = form.field(
        "signature",
        &sluice_sigv4::sign_post_policy_v2("wrong", &policy),
    );
    assert_eq!(
        error_of(post(&ts, &form).await).await.1,
        "SignatureDoesNotMatch"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_forms_get_aws_errors() {
    let ts = start().await;
    // No file part.
    let form = simple_form("k");
    assert_eq!(
        error_of(post(&ts, &form).await).await.1,
        "IncorrectNumberOfFilesInPostRequest"
    );
    // Two file parts: nothing stored.
    let mut form = simple_form("k").file("a", b"one");
    form.after.push(("file".into(), "two".into()));
    assert_eq!(
        error_of(post(&ts, &form).await).await.1,
        "IncorrectNumberOfFilesInPostRequest"
    );
    assert!(object(&ts, "k").await.is_none());
    // No key field.
    let form = signed_form(vec![json!({"bucket": BUCKET})], &[], None).file("a", b"x");
    assert_eq!(error_of(post(&ts, &form).await).await.1, "InvalidArgument");
    // Fields before the file over 20 KiB.
    let form = simple_form("k")
        .field("x-ignore-pad", &"p".repeat(21 * 1024))
        .file("a", b"x");
    assert_eq!(
        error_of(post(&ts, &form).await).await.1,
        "MaxPostPreDataLengthExceededError"
    );
    // Not multipart.
    let r = http()
        .post(format!("{}/{BUCKET}", ts.endpoint()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("key=k")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, 412);
    // Broken multipart (no closing boundary, truncated part).
    let body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk");
    let r = http()
        .post(format!("{}/{BUCKET}", ts.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            400,
            "MalformedPOSTRequest".into(),
            "The body of your POST request is not well-formed multipart/form-data.".into()
        )
    );
    // Bucket that does not exist.
    let r = http()
        .post(format!("{}/nosuchbucket", ts.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(simple_form("k").file("a", b"x").body())
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_of(r).await;
    assert_eq!(status, 403, "{code}");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_forms_need_a_bucket_policy() {
    let ts = start().await;
    let form = Form::default()
        .field("key", "drop/a.txt")
        .file("a.txt", b"hi");
    assert_eq!(error_of(post(&ts, &form).await).await.1, "AccessDenied");
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{BUCKET}/drop/*"}}]}}"#
    );
    ts.sdk()
        .put_bucket_policy()
        .bucket(BUCKET)
        .policy(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(post(&ts, &form).await.status(), 204);
    let form = form.field("key", "elsewhere.txt");
    assert_eq!(error_of(post(&ts, &form).await).await.1, "AccessDenied");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_built_form_over_a_raw_socket_with_boto3_field_names() {
    let ts = start().await;
    // boto3's generate_presigned_post: key, AWSAccessKeyId-less V4 fields in this order.
    let form = signed_form(
        vec![
            json!({"bucket": BUCKET}),
            json!(["eq", "$key", "raw/boto.bin"]),
        ],
        &[("key", "raw/boto.bin")],
        None,
    )
    .file("boto.bin", b"\x00\x01\x02binary\r\n--not-a-boundary\r\n");
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let r = raw_request(
        ts.addr,
        "POST",
        &format!("/{BUCKET}"),
        &[("content-type", &ct), ("origin", "https://app.test")],
        &form.body(),
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        object(&ts, "raw/boto.bin").await.unwrap().0,
        b"\x00\x01\x02binary\r\n--not-a-boundary\r\n"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_file_streams_through() {
    let ts = start().await;
    let form = simple_form("big.bin");
    let size: usize = 64 * 1024 * 1024;
    let mut head = form.body();
    // Replace the closing boundary by the file part; the file bytes follow as a stream.
    head.truncate(head.len() - format!("--{BOUNDARY}--\r\n").len());
    head.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n").as_bytes(),
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n").into_bytes();
    let chunk = vec![0xabu8; 1024 * 1024];
    let mut hasher = Md5::new();
    for _ in 0..64 {
        hasher.update(&chunk);
    }
    let expected = format!("\"{}\"", hex::encode(hasher.finalize()));
    let parts: Vec<Result<Vec<u8>, std::io::Error>> = std::iter::once(Ok(head))
        .chain((0..64).map(|_| Ok(chunk.clone())))
        .chain(std::iter::once(Ok(tail)))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(parts));
    let r = http()
        .post(format!("{}/{BUCKET}", ts.endpoint()))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["etag"], expected.as_str());
    let head = ts
        .sdk()
        .head_object()
        .bucket(BUCKET)
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(size as i64));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_responses_carry_cors_headers() {
    let ts = TestServer::start_with(|c| {
        c.cors_default = Some(sluice_s3::cors::CorsRule {
            allowed_origins: vec!["https://app.test".into()],
            allowed_methods: vec!["POST".into()],
            expose_headers: vec!["ETag".into(), "Location".into()],
            ..Default::default()
        })
    })
    .await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let send = |form: Form| {
        let url = format!("{}/{BUCKET}", ts.endpoint());
        async move {
            http()
                .post(url)
                .header("origin", "https://app.test")
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(form.body())
                .send()
                .await
                .unwrap()
        }
    };
    let r = send(simple_form("c").file("c", b"x")).await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.test"
    );
    assert_eq!(
        r.headers()["access-control-expose-headers"],
        "ETag, Location"
    );
    let r = send(simple_form("c").field("key", "d").file("c", b"x")).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.test"
    );
    ts.stop().await;
}
