//! Requests exactly as today's SDKs send them, found by the client conformance matrix
//! (`tests/conformance/`): each test names the client and what it sent.

mod common;

use common::{http, xml_field, TestServer};
use time::OffsetDateTime;

/// The AWS SDK for JavaScript v3 (`getSignedUrl(new PutObjectCommand(...))`, flexible checksums on by
/// default since 3.729) presigns a PUT with `x-amz-checksum-crc32=AAAAAA==` (the CRC32 of the empty
/// body it had when signing) and `x-amz-sdk-checksum-algorithm=CRC32` in the query. S3 ignores
/// checksum parameters in a presigned query, so the upload of real bytes through that URL succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_v3_presigned_put_with_empty_body_crc32_in_query_uploads() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket("jsv3")
        .send()
        .await
        .unwrap();
    let q = vec![
        ("x-amz-checksum-crc32".to_string(), "AAAAAA==".to_string()),
        (
            "x-amz-sdk-checksum-algorithm".to_string(),
            "CRC32".to_string(),
        ),
        ("x-id".to_string(), "PutObject".to_string()),
    ];
    let headers = vec![("content-type".to_string(), "text/plain".to_string())];
    let url = ts.presign_full(
        "PUT",
        "jsv3",
        "up.txt",
        600,
        &headers,
        &q,
        OffsetDateTime::now_utc(),
    );
    let r = http()
        .put(&url)
        .header("content-type", "text/plain")
        .body("real bytes, not an empty body")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");

    let got = ts
        .sdk()
        .get_object()
        .bucket("jsv3")
        .key("up.txt")
        .send()
        .await
        .unwrap();
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&bytes[..], b"real bytes, not an empty body");

    // The query value is still covered by the signature: editing it breaks the URL.
    let tampered = url.replace("AAAAAA%3D%3D", "BBBBBB%3D%3D");
    assert_ne!(tampered, url);
    let r = http()
        .put(&tampered)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert_eq!(
        xml_field(&body, "Code").as_deref(),
        Some("SignatureDoesNotMatch"),
        "{body}"
    );
    ts.stop().await;
}
