//! Browser form uploads refused as AWS refuses them: each condition type failing, expired
//! policies, tampered signatures and policies, uncovered fields, malformed forms, anonymous
//! forms without a bucket policy, sizes outside content-length-range (nothing stored).

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::post_form::*;
use common::{http, ACCESS_KEY, REGION, SECRET_KEY};
use serde_json::json;
use time::{Duration, OffsetDateTime};

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
