//! Bad input gets a clear S3 error (never a panic or a 500): integrity headers, SigV2 header
//! auth, unsupported sub-resources, limits.

mod common;

use common::{creds, raw_request, xml_field, TestServer};
use sluice_sigv4::{encode_object_path, sign_v2_header, V2SigningRequest};

async fn root_put(
    ts: &TestServer,
    bucket: &str,
    key: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> common::RawResponse {
    let url = ts.presign("PUT", bucket, key, 600);
    raw_request(ts.addr, "PUT", common::target_of(&url), headers, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrity_header_errors() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket("integ")
        .send()
        .await
        .unwrap();
    // Content-MD5 is not an x-amz-* header, so it may ride along with a presigned URL.
    let r = root_put(&ts, "integ", "k", &[("content-md5", "not base64!")], b"x").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        xml_field(&r.text(), "Code").as_deref(),
        Some("InvalidDigest")
    );
    let r = root_put(&ts, "integ", "k", &[("content-md5", "AAAA")], b"x").await;
    assert_eq!(
        xml_field(&r.text(), "Code").as_deref(),
        Some("InvalidDigest")
    );
    let r = root_put(
        &ts,
        "integ",
        "k",
        &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
        b"x",
    )
    .await;
    assert_eq!(xml_field(&r.text(), "Code").as_deref(), Some("BadDigest"));
    let r = root_put(
        &ts,
        "integ",
        "k",
        &[("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "md5 of the empty body: {}", r.text());

    // Checksum values must be valid base64 of the right length; two algorithms at once are refused.
    let s3 = ts.sdk();
    let err = s3
        .put_object()
        .bucket("integ")
        .key("c")
        .checksum_sha256("c2hvcnQ=")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("InvalidRequest")
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv2_header_auth() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket("v2hdr")
        .send()
        .await
        .unwrap();
    let path = encode_object_path("v2hdr", "legacy.txt");
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let headers = vec![
        ("date".to_string(), date.clone()),
        ("content-type".to_string(), "text/plain".to_string()),
    ];
    let auth = sign_v2_header(
        &creds(),
        &V2SigningRequest {
            method: "PUT",
            raw_path: &path,
            raw_query: "",
            headers: &headers,
        },
    );
    let r = raw_request(
        ts.addr,
        "PUT",
        &path,
        &[
            ("date", &date),
            ("content-type", "text/plain"),
            ("authorization", &auth),
        ],
        b"v2",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Tampered content type.
    let r = raw_request(
        ts.addr,
        "PUT",
        &path,
        &[
            ("date", &date),
            ("content-type", "text/html"),
            ("authorization", &auth),
        ],
        b"v2",
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        xml_field(&r.text(), "Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_and_malformed_requests() {
    let ts = TestServer::start().await;
    let s3 = ts.sdk();
    s3.create_bucket().bucket("misc").send().await.unwrap();
    // Sub-resources not implemented answer NotImplemented (after authentication).
    // (Tagging was the example here until issue 26 implemented it; lifecycle is not yet.)
    let err = s3
        .get_bucket_lifecycle_configuration()
        .bucket("misc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 501);
    let r = raw_request(ts.addr, "GET", "/misc?lifecycle", &[], b"").await;
    assert_eq!(r.status, 403, "anonymous first gets AccessDenied");
    // Keys longer than 1024 bytes.
    let long = "k".repeat(1025);
    let url = ts.presign("PUT", "misc", &long, 600);
    let r = raw_request(ts.addr, "PUT", common::target_of(&url), &[], b"x").await;
    assert_eq!(
        xml_field(&r.text(), "Code").as_deref(),
        Some("KeyTooLongError")
    );
    // Invalid UTF-8 in the path.
    let r = raw_request(ts.addr, "GET", "/misc/%FF%FE", &[], b"").await;
    assert_eq!(xml_field(&r.text(), "Code").as_deref(), Some("InvalidURI"));
    // Malformed DeleteObjects XML.
    let err = s3
        .delete_objects()
        .bucket("misc")
        .delete(
            aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(vec![]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("MalformedXML")
    );
    // Bad listing arguments.
    let err = s3
        .list_objects_v2()
        .bucket("misc")
        .continuation_token("!!!")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("InvalidArgument")
    );
    // Every response, errors included, carries a request id that matches the error body.
    let r = raw_request(ts.addr, "GET", "/misc/none", &[], b"").await;
    let id = r.header("x-amz-request-id").unwrap().to_string();
    assert_eq!(xml_field(&r.text(), "RequestId"), Some(id));
    // Metadata over 2 KiB.
    let big = "v".repeat(2100);
    let err = s3
        .put_object()
        .bucket("misc")
        .key("m")
        .metadata("big", &big)
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("MetadataTooLarge")
    );
    ts.stop().await;
}
