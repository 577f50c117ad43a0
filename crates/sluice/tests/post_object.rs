//! Browser form uploads (`POST /bucket`, `multipart/form-data`): real forms sent with
//! reqwest and over a raw socket, the success answers, SigV2 forms, `${filename}`, ACLs,
//! CORS headers and a 64 MiB file to show the body streams. Refusals: `post_object_errors.rs`.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::post_form::*;
use common::{http, raw_request, xml_field, TestServer, ACCESS_KEY, SECRET_KEY};
use md5::{Digest, Md5};
use serde_json::json;
use time::{Duration, OffsetDateTime};

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
