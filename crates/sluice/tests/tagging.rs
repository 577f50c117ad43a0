//! Object and bucket tagging (issue 26) with the AWS SDK for Rust: every operation, AWS's limits
//! and errors, tags through PUT / POST / multipart / copy, presigned PUTs pinning tags, and
//! policies on `s3:RequestObjectTag/<key>` and `s3:ExistingObjectTag/<key>`.

mod common;
mod iam_support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Tag, Tagging, TaggingDirective};
use common::{http, raw_request, xml_field, TestServer};
use serde_json::json;
use std::time::Duration;

const BUCKET: &str = "tags";

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn tagging(pairs: &[(&str, &str)]) -> Tagging {
    Tagging::builder()
        .set_tag_set(Some(pairs.iter().map(|(k, v)| tag(k, v)).collect()))
        .build()
        .unwrap()
}

async fn object_tags(s3: &aws_sdk_s3::Client, key: &str) -> Vec<(String, String)> {
    s3.get_object_tagging()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap()
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn put(s3: &aws_sdk_s3::Client, key: &str, tagging: Option<&str>) {
    s3.put_object()
        .bucket(BUCKET)
        .key(key)
        .set_tagging(tagging.map(str::to_string))
        .body(ByteStream::from_static(b"data"))
        .send()
        .await
        .unwrap();
}

/// `x-amz-tagging-count` of a HEAD through a presigned URL.
async fn head_tag_count(ts: &TestServer, key: &str) -> Option<String> {
    let r = http()
        .head(ts.presign("HEAD", BUCKET, key, 300))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.headers()
        .get("x-amz-tagging-count")
        .map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_tagging_operations() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    put(&s3, "doc", Some("project=alpha&two%20words=x+y&empty=")).await;
    assert_eq!(
        object_tags(&s3, "doc").await,
        pairs(&[("project", "alpha"), ("two words", "x y"), ("empty", "")])
    );
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_count(), Some(3));
    assert_eq!(head_tag_count(&ts, "doc").await.as_deref(), Some("3"));

    // PutObjectTagging replaces the set and leaves the object alone.
    let etag = got.e_tag().unwrap().to_string();
    s3.put_object_tagging()
        .bucket(BUCKET)
        .key("doc")
        .tagging(tagging(&[("ключ", "значение"), ("k", "v")]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_tags(&s3, "doc").await,
        pairs(&[("ключ", "значение"), ("k", "v")])
    );
    let head = s3
        .head_object()
        .bucket(BUCKET)
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(head.e_tag(), Some(etag.as_str()));

    // DeleteObjectTagging: no tags, no count header.
    s3.delete_object_tagging()
        .bucket(BUCKET)
        .key("doc")
        .send()
        .await
        .unwrap();
    assert!(object_tags(&s3, "doc").await.is_empty());
    assert_eq!(head_tag_count(&ts, "doc").await, None);

    // An object written without tags has none; overwriting drops old tags.
    put(&s3, "plain", None).await;
    assert!(object_tags(&s3, "plain").await.is_empty());
    put(&s3, "doc", Some("a=1")).await;
    put(&s3, "doc", None).await;
    assert!(object_tags(&s3, "doc").await.is_empty());

    // Missing object.
    for err in [
        s3.get_object_tagging()
            .bucket(BUCKET)
            .key("nope")
            .send()
            .await
            .unwrap_err()
            .into_service_error()
            .code()
            .map(str::to_string),
        s3.put_object_tagging()
            .bucket(BUCKET)
            .key("nope")
            .tagging(tagging(&[("a", "b")]))
            .send()
            .await
            .unwrap_err()
            .into_service_error()
            .code()
            .map(str::to_string),
    ] {
        assert_eq!(err.as_deref(), Some("NoSuchKey"));
    }
    ts.stop().await;
}

/// The code, status and message of a failed SDK call.
macro_rules! failure {
    ($call:expr) => {{
        let err = $call.send().await.expect_err("must fail");
        let status = err.raw_response().map(|r| r.status().as_u16());
        let e = err.into_service_error();
        (
            e.code().unwrap_or_default().to_string(),
            status,
            e.message().unwrap_or_default().to_string(),
        )
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn object_tagging_errors_match_aws() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    put(&s3, "k", None).await;
    let put_tags = |t: Tagging| s3.put_object_tagging().bucket(BUCKET).key("k").tagging(t);
    let eleven: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
    let eleven_ref: Vec<(&str, &str)> = eleven
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let cases = [
        (
            tagging(&eleven_ref),
            "BadRequest",
            "Object tags cannot be greater than 10",
        ),
        (
            tagging(&[(&long_key, "v")]),
            "InvalidTag",
            "The TagKey you have provided is too long, max 128",
        ),
        (
            tagging(&[("k", &long_value)]),
            "InvalidTag",
            "The TagValue you have provided is too long, max 256",
        ),
        (
            tagging(&[("a", "1"), ("a", "2")]),
            "InvalidTag",
            "Cannot provide multiple Tags with the same key",
        ),
        (
            tagging(&[("aws:x", "1")]),
            "InvalidTag",
            "Your TagKey cannot be prefixed with aws:",
        ),
        (
            tagging(&[("bad<key>", "1")]),
            "InvalidTag",
            "The TagKey you have provided is invalid",
        ),
    ];
    for (t, code, message) in cases {
        let got = failure!(put_tags(t));
        assert_eq!(got, (code.to_string(), Some(400), message.to_string()));
    }
    // Exactly at the limits is fine (characters, not bytes).
    let key128 = "é".repeat(128);
    let value256 = "é".repeat(256);
    let ten: Vec<(String, String)> = (0..10).map(|i| (format!("k{i}"), "v".into())).collect();
    let ten_ref: Vec<(&str, &str)> = ten.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    put_tags(tagging(&[(&key128, &value256)]))
        .send()
        .await
        .unwrap();
    put_tags(tagging(&ten_ref)).send().await.unwrap();
    assert_eq!(object_tags(&s3, "k").await.len(), 10);

    // Malformed XML, signed and sent raw.
    let url = ts.presign_full(
        "PUT",
        BUCKET,
        "k",
        300,
        &[],
        &[("tagging".to_string(), String::new())],
        time::OffsetDateTime::now_utc(),
    );
    for body in [
        "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>",
        "<Tagging>",
        "<NotTagging/>",
    ] {
        let r = http().put(&url).body(body).send().await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let text = r.text().await.unwrap();
        assert_eq!(xml_field(&text, "Code").as_deref(), Some("MalformedXML"));
    }

    // Bad x-amz-tagging headers on PutObject.
    let header_cases = [
        ("a=1&a=2", "InvalidArgument"),
        ("a=%FF", "InvalidArgument"),
        ("aws:k=1", "InvalidTag"),
    ];
    for (h, code) in header_cases {
        let got = failure!(s3
            .put_object()
            .bucket(BUCKET)
            .key("hdr")
            .tagging(h)
            .body(ByteStream::from_static(b"x")));
        assert_eq!((got.0.as_str(), got.1), (code, Some(400)), "{h}: {}", got.2);
    }
    let eleven_header: Vec<String> = (0..11).map(|i| format!("k{i}=v")).collect();
    let got = failure!(s3
        .put_object()
        .bucket(BUCKET)
        .key("hdr")
        .tagging(eleven_header.join("&"))
        .body(ByteStream::from_static(b"x")));
    assert_eq!(got.0, "BadRequest");
    assert!(
        s3.head_object()
            .bucket(BUCKET)
            .key("hdr")
            .send()
            .await
            .is_err(),
        "nothing stored"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_tagging_operations_and_errors() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    let got = failure!(s3.get_bucket_tagging().bucket(BUCKET));
    assert_eq!(
        got,
        (
            "NoSuchTagSet".to_string(),
            Some(404),
            "The TagSet does not exist".to_string()
        )
    );
    let fifty: Vec<(String, String)> = (0..50).map(|i| (format!("k{i}"), "v".into())).collect();
    let fifty_ref: Vec<(&str, &str)> = fifty
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    s3.put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(tagging(&fifty_ref))
        .send()
        .await
        .unwrap();
    let got = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    assert_eq!(got.tag_set().len(), 50);
    assert_eq!(got.tag_set()[7].key(), "k7");

    let mut fifty_one = fifty_ref.clone();
    fifty_one.push(("extra", "v"));
    let got = failure!(s3
        .put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(tagging(&fifty_one)));
    assert_eq!((got.0.as_str(), got.1), ("BadRequest", Some(400)));
    let got = failure!(s3
        .put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(tagging(&[("a", "1"), ("a", "2")])));
    assert_eq!(
        got.2.as_str(),
        "Cannot provide multiple Tags with the same key"
    );
    let got = failure!(s3
        .put_bucket_tagging()
        .bucket(BUCKET)
        .tagging(tagging(&[("aws:cost", "1")])));
    assert_eq!(got.0, "InvalidTag");
    let got = failure!(s3
        .put_bucket_tagging()
        .bucket("no-such-bucket")
        .tagging(tagging(&[("a", "1")])));
    assert_eq!(got.0, "NoSuchBucket");
    // The failed puts left the fifty in place.
    let got = s3.get_bucket_tagging().bucket(BUCKET).send().await.unwrap();
    assert_eq!(got.tag_set().len(), 50);

    s3.delete_bucket_tagging()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let got = failure!(s3.get_bucket_tagging().bucket(BUCKET));
    assert_eq!(got.0, "NoSuchTagSet");
    // Deleting again is fine.
    s3.delete_bucket_tagging()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_upload_keeps_create_tags() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .tagging("stage=incoming&owner=me")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket(BUCKET)
        .key("big")
        .upload_id(id)
        .part_number(1)
        .body(ByteStream::from_static(b"part one"))
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("big")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_tags(&s3, "big").await,
        pairs(&[("stage", "incoming"), ("owner", "me")])
    );
    // A bad header refuses the upload's creation.
    let got = failure!(s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("big2")
        .tagging("a=1&a=2"));
    assert_eq!(got.0, "InvalidArgument");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_object_follows_the_tagging_directive() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    put(&s3, "src", Some("from=source")).await;
    let copy = |dest: &'static str| {
        s3.copy_object()
            .bucket(BUCKET)
            .key(dest)
            .copy_source(format!("{BUCKET}/src"))
    };
    // Default COPY: the source's tags; a header alongside is ignored, as AWS does.
    copy("c1").tagging("ignored=1").send().await.unwrap();
    assert_eq!(object_tags(&s3, "c1").await, pairs(&[("from", "source")]));
    copy("c2")
        .tagging_directive(TaggingDirective::Copy)
        .send()
        .await
        .unwrap();
    assert_eq!(object_tags(&s3, "c2").await, pairs(&[("from", "source")]));
    // REPLACE: the header's tags, or none.
    copy("c3")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("new=tag")
        .send()
        .await
        .unwrap();
    assert_eq!(object_tags(&s3, "c3").await, pairs(&[("new", "tag")]));
    copy("c4")
        .tagging_directive(TaggingDirective::Replace)
        .send()
        .await
        .unwrap();
    assert!(object_tags(&s3, "c4").await.is_empty());
    let got = failure!(copy("c5").tagging_directive(TaggingDirective::from("MERGE")));
    assert_eq!((got.0.as_str(), got.1), ("InvalidArgument", Some(400)));
    let got = failure!(copy("c5")
        .tagging_directive(TaggingDirective::Replace)
        .tagging("aws:x=1"));
    assert_eq!(got.0, "InvalidTag");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_puts_carry_tags() {
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let s3 = ts.sdk();
    // The SDK presigner signs `x-amz-tagging` as a header the client must send.
    let cfg = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let req = s3
        .put_object()
        .bucket(BUCKET)
        .key("sdk-url")
        .tagging("source=sdk&kind=upload")
        .presigned(cfg)
        .await
        .unwrap();
    let mut put = http().put(req.uri());
    let mut sent_tagging = false;
    for (k, v) in req.headers() {
        sent_tagging |= k.eq_ignore_ascii_case("x-amz-tagging");
        put = put.header(k, v);
    }
    assert!(sent_tagging, "the presigned request carries x-amz-tagging");
    let r = put.body("via sdk url").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        object_tags(&s3, "sdk-url").await,
        pairs(&[("source", "sdk"), ("kind", "upload")])
    );
    assert_eq!(head_tag_count(&ts, "sdk-url").await.as_deref(), Some("2"));
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key("sdk-url")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_count(), Some(2));

    // The mint API's `tagging` field (object form) is signed into the URL.
    let (status, out) = common::service_api::mint(
        &ts,
        json!({"method": "PUT", "bucket": BUCKET, "key": "minted", "tagging": {"case": "42"}}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap().to_string();
    assert!(url.contains("x-amz-tagging=case%3D42"), "{url}");
    // A client cannot swap the pinned tags for its own: an unsigned x-amz-tagging is refused.
    let r = http()
        .put(&url)
        .header("x-amz-tagging", "case=43")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http().put(&url).body("minted").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(object_tags(&s3, "minted").await, pairs(&[("case", "42")]));
    // Tampering with the signed query breaks the signature.
    let tampered = url.replace("case%3D42", "case%3D43");
    let r = http().put(&tampered).body("x").send().await.unwrap();
    assert_eq!(r.status(), 403);

    // The query form, and a multipart bundle whose upload keeps the tags.
    let (status, out) = common::service_api::mint(
        &ts,
        json!({"method": "PUT", "bucket": BUCKET, "key": "bundle", "tagging": "via=bundle",
               "multipart": {"size": 10, "part_size": 5 * 1024 * 1024}}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let upload_id = out["upload_id"].as_str().unwrap();
    let part_url = out["parts"][0]["url"].as_str().unwrap();
    let r = http()
        .put(part_url)
        .body("0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("bundle")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(CompletedPart::builder().part_number(1).e_tag(etag).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        object_tags(&s3, "bundle").await,
        pairs(&[("via", "bundle")])
    );

    // Bad mint fields.
    for (tagging, method) in [
        (json!({"aws:x": "1"}), "PUT"),
        (json!({"k": 1}), "PUT"),
        (json!("a=1&a=2"), "PUT"),
        (json!(["k"]), "PUT"),
        (json!({"k": "v"}), "GET"),
    ] {
        let (status, out) = common::service_api::mint(
            &ts,
            json!({"method": method, "bucket": BUCKET, "key": "x", "tagging": tagging}),
        )
        .await;
        assert_eq!(status, 400, "{tagging}: {out}");
    }
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_form_tagging_field() {
    use common::post_form::{error_of, post, signed_form, start, BUCKET as FORMS};
    let ts = start().await;
    let doc = "<Tagging><TagSet><Tag><Key>form</Key><Value>yes</Value></Tag></TagSet></Tagging>";
    let form = |value: &str| {
        signed_form(
            vec![
                json!({ "bucket": FORMS }),
                json!(["eq", "$key", "posted"]),
                json!({ "tagging": value }),
            ],
            &[("key", "posted"), ("tagging", value)],
            None,
        )
        .file("a.txt", b"form bytes")
    };
    let r = post(&ts, &form(doc)).await;
    assert!(r.status().is_success(), "{}", r.status());
    let got = ts
        .sdk()
        .get_object_tagging()
        .bucket(FORMS)
        .key("posted")
        .send()
        .await
        .unwrap();
    assert_eq!(got.tag_set().len(), 1);
    assert_eq!(
        (got.tag_set()[0].key(), got.tag_set()[0].value()),
        ("form", "yes")
    );
    let (status, code, _) = error_of(post(&ts, &form("<Tagging>")).await).await;
    assert_eq!((status, code.as_str()), (400, "MalformedXML"));
    let bad = "<Tagging><TagSet><Tag><Key>aws:x</Key><Value>1</Value></Tag></TagSet></Tagging>";
    let (status, code, _) = error_of(post(&ts, &form(bad)).await).await;
    assert_eq!((status, code.as_str()), (400, "InvalidTag"));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_on_request_and_existing_tags() {
    use iam_support::{grant, new_user};
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let root = ts.sdk();
    let alice = new_user(&ts, "alice", None).await;
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:PutObjectTagging"],
                "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
                "Condition": {"StringEquals": {"s3:RequestObjectTag/project": "alpha"}}
            },
            {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectTagging"],
                "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
                "Condition": {"StringEquals": {"s3:ExistingObjectTag/class": "public"}}
            },
            {
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": format!("arn:aws:s3:::{BUCKET}/*"),
                "Condition": {"ForAnyValue:StringEquals": {"s3:RequestObjectTagKeys": "forbidden"}}
            }
        ]
    });
    grant(&ts, "alice", "tag-rules", &policy.to_string()).await;
    let s3 = ts.sdk_with(&alice.access_key_id, &alice.secret_access_key);
    let put_as = |key: &'static str, tags: Option<&'static str>| {
        s3.put_object()
            .bucket(BUCKET)
            .key(key)
            .set_tagging(tags.map(str::to_string))
            .body(ByteStream::from_static(b"x"))
    };
    put_as("ok", Some("project=alpha")).send().await.unwrap();
    assert_eq!(
        object_tags(&root, "ok").await,
        pairs(&[("project", "alpha")])
    );
    for (key, tags) in [
        ("wrong", Some("project=beta")),
        ("none", None),
        ("denied", Some("project=alpha&forbidden=1")),
    ] {
        let got = failure!(put_as(key, tags));
        assert_eq!(
            (got.0.as_str(), got.1),
            ("AccessDenied", Some(403)),
            "{key}"
        );
    }
    // PutObjectTagging is judged on the body's tags.
    alice_put_tags(&s3, "ok", &[("project", "alpha"), ("x", "y")])
        .await
        .unwrap();
    let err = alice_put_tags(&s3, "ok", &[("project", "beta")]).await;
    assert_eq!(err.unwrap_err(), "AccessDenied");
    assert_eq!(
        object_tags(&root, "ok").await,
        pairs(&[("project", "alpha"), ("x", "y")])
    );

    // Reads depend on the object's current tags.
    put(&root, "public", Some("class=public")).await;
    put(&root, "secret", Some("class=secret")).await;
    let get = |key: &'static str| s3.get_object().bucket(BUCKET).key(key);
    get("public").send().await.unwrap();
    let got = failure!(get("secret"));
    assert_eq!(got.0, "AccessDenied");
    s3.get_object_tagging()
        .bucket(BUCKET)
        .key("public")
        .send()
        .await
        .unwrap();
    // Retagging changes the answer at once.
    root.put_object_tagging()
        .bucket(BUCKET)
        .key("secret")
        .tagging(tagging(&[("class", "public")]))
        .send()
        .await
        .unwrap();
    get("secret").send().await.unwrap();
    ts.stop().await;
}

async fn alice_put_tags(
    s3: &aws_sdk_s3::Client,
    key: &str,
    tags: &[(&str, &str)],
) -> Result<(), String> {
    s3.put_object_tagging()
        .bucket(BUCKET)
        .key(key)
        .tagging(tagging(tags))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            e.into_service_error()
                .code()
                .unwrap_or_default()
                .to_string()
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tagging_on_put_needs_put_object_tagging() {
    use iam_support::{grant, new_user};
    let ts = TestServer::start_with_bucket(BUCKET).await;
    let bob = new_user(&ts, "bob", None).await;
    let policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": format!("arn:aws:s3:::{BUCKET}/*")
        }]
    });
    grant(&ts, "bob", "put-only", &policy.to_string()).await;
    let s3 = ts.sdk_with(&bob.access_key_id, &bob.secret_access_key);
    put(&s3, "untagged", None).await;
    let got = failure!(s3
        .put_object()
        .bucket(BUCKET)
        .key("tagged")
        .tagging("a=1")
        .body(ByteStream::from_static(b"x")));
    assert_eq!(got.0, "AccessDenied");
    let got = failure!(s3.get_object_tagging().bucket(BUCKET).key("untagged"));
    assert_eq!(got.0, "AccessDenied");
    // Anonymous callers get AccessDenied for the tagging sub-resource too.
    let r = raw_request(
        ts.addr,
        "GET",
        &format!("/{BUCKET}/untagged?tagging"),
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
    ts.stop().await;
}
