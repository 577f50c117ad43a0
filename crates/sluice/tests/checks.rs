//! Verified commit (issue 23): check profiles run on an upload's stored bytes before it is
//! committed. Real files made here (PNG, JPEG, GIF, PDF, ZIP, ELF), the real server, the AWS SDK
//! for Rust, reqwest for presigned URLs and forms, and a Python hook
//! (`tests/checks/check_hook.py`, run with `python3`) for the blocking hook.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::post_form::{error_of, signed_form, BUCKET as FORMS};
use common::service_api::{api, mint};
use common::{creds, http, TestServer, REGION};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------------
// Files made at test time

/// A PNG whose header says `w` x `h` (signature, IHDR, an empty IDAT, IEND).
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |v: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0, 0, 0, 0]); // CRC: not checked by a header reader
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut v, b"IHDR", &ihdr);
    chunk(&mut v, b"IDAT", &[0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]);
    chunk(&mut v, b"IEND", &[]);
    v
}

/// A baseline JPEG header of `w` x `h` (SOI, APP0/JFIF, SOF0).
fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&w.to_be_bytes());
    v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// A GIF89a header of `w` x `h`.
fn gif(w: u16, h: u16) -> Vec<u8> {
    let mut v = b"GIF89a".to_vec();
    v.extend_from_slice(&w.to_le_bytes());
    v.extend_from_slice(&h.to_le_bytes());
    v.extend_from_slice(&[0, 0, 0, 0x3B]);
    v
}

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

fn zip() -> Vec<u8> {
    // An empty zip archive is just its end-of-central-directory record; a local file header
    // makes the signature the common one.
    let mut v = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0".to_vec();
    v.extend_from_slice(&[0u8; 16]);
    v.extend_from_slice(b"a.txtPK\x05\x06");
    v.extend_from_slice(&[0u8; 18]);
    v
}

/// An x86-64 ELF executable header (what a renamed `.exe`/binary starts with).
fn elf() -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\0".to_vec();
    v.resize(16, 0);
    v.extend_from_slice(&[2, 0, 0x3e, 0, 1, 0, 0, 0]);
    v.resize(200, 0x90);
    v
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// One SigV4-signed request with the root key; `path_and_query` is sent as written.
async fn signed(ts: &TestServer, method: &str, path_and_query: &str, body: &[u8]) -> (u16, String) {
    let host = ts.host();
    let (raw_path, raw_query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let hash = hex::encode(Sha256::digest(body));
    let headers = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method,
            host: &host,
            raw_path,
            raw_query,
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = http()
        .request(
            method.parse().unwrap(),
            format!("{}{path_and_query}", ts.endpoint()),
        )
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// A call to the admin API (`/_sluice/admin/v1/...`), answered JSON.
async fn admin(ts: &TestServer, method: &str, path_and_query: &str, body: &Value) -> (u16, Value) {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let (status, text) = signed(
        ts,
        method,
        &format!("/_sluice/admin/v1/{path_and_query}"),
        &bytes,
    )
    .await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Defines profile `name` and applies it to `bucket` under `prefix`.
async fn profile_on(ts: &TestServer, name: &str, doc: Value, bucket: &str, prefix: &str) {
    let (status, answer) = admin(ts, "PUT", &format!("checks/{name}"), &doc).await;
    assert_eq!(status, 200, "define {name}: {answer}");
    let (status, answer) = admin(
        ts,
        "PUT",
        &format!("checks/{name}/apply"),
        &json!({"bucket": bucket, "prefix": prefix}),
    )
    .await;
    assert_eq!(status, 200, "apply {name}: {answer}");
}

/// PutObject through the SDK: `Ok(())` or the error's (code, message).
async fn put(
    ts: &TestServer,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<(), (String, String)> {
    ts.sdk()
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            (
                e.code().unwrap_or_default().to_string(),
                e.message().unwrap_or_default().to_string(),
            )
        })
}

async fn get(ts: &TestServer, bucket: &str, key: &str) -> Option<Vec<u8>> {
    match ts.sdk().get_object().bucket(bucket).key(key).send().await {
        Ok(o) => Some(o.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) => {
            assert_eq!(
                e.as_service_error().map(|s| s.is_no_such_key()),
                Some(true),
                "{e:?}"
            );
            None
        }
    }
}

async fn head_status(ts: &TestServer, bucket: &str, key: &str) -> u16 {
    match ts.sdk().head_object().bucket(bucket).key(key).send().await {
        Ok(_) => 200,
        Err(e) => e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0),
    }
}

fn assert_rejected(r: Result<(), (String, String)>, needle: &str) {
    let (code, message) = r.expect_err("the upload should be refused");
    assert_eq!(code, "UploadRejected", "{message}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

// ---------------------------------------------------------------------------------------------
// Profiles through the admin API

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_validated_listed_applied_and_deleted() {
    let ts = TestServer::start_with_bucket("photos").await;
    for (bad, needle) in [
        (json!({"sniff": {"allow": ["png"]}}), "sniff.allow"),
        (json!({"sniff": {"unknown": "perhaps"}}), "unknown"),
        (json!({"image": {"max_pixels": 0}}), "image.max_pixels"),
        (json!({"hook": {"url": "ftp://x/"}}), "hook.url"),
        (json!({"scan": true}), "unknown field"),
    ] {
        let (status, answer) = admin(&ts, "PUT", "checks/bad", &bad).await;
        assert_eq!(status, 400, "{bad}: {answer}");
        assert_eq!(answer["error"]["code"], "InvalidCheckProfile", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message}");
    }
    let (status, answer) = admin(&ts, "PUT", "checks/a%2Fb", &json!({})).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("InvalidName"))
    );

    let doc = json!({"sniff": {"allow": ["image/png"]}, "hook": {"url": "http://127.0.0.1:9/h"}});
    let (status, answer) = admin(&ts, "PUT", "checks/images", &doc).await;
    assert_eq!(status, 200, "{answer}");
    // A hook without a secret gets one, shown once.
    let secret = answer["hook_secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{answer}");
    let (status, answer) = admin(&ts, "GET", "checks/images", &Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(answer["profile"]["sniff"]["allow"][0], "image/png");
    assert!(
        answer["profile"]["hook"].get("secret").is_none(),
        "{answer}"
    );

    let (status, answer) = admin(
        &ts,
        "PUT",
        "checks/images/apply",
        &json!({"bucket": "nope"}),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("NoSuchBucket"))
    );
    let (status, answer) = admin(
        &ts,
        "PUT",
        "checks/other/apply",
        &json!({"bucket": "photos"}),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("NoSuchCheckProfile"))
    );
    let (status, _) = admin(
        &ts,
        "PUT",
        "checks/images/apply",
        &json!({"bucket": "photos", "prefix": "avatars/"}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, answer) = admin(&ts, "GET", "checks", &Value::Null).await;
    assert_eq!(answer["profiles"][0]["name"], "images");
    assert_eq!(
        answer["profiles"][0]["applied"],
        json!([{"bucket": "photos", "prefix": "avatars/"}])
    );
    let (status, _) = admin(
        &ts,
        "DELETE",
        "checks/images/apply?bucket=photos&prefix=avatars%2F",
        &Value::Null,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = admin(&ts, "DELETE", "checks/images", &Value::Null).await;
    assert_eq!(status, 200);
    let (status, answer) = admin(&ts, "GET", "checks/images", &Value::Null).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("NoSuchCheckProfile"))
    );
}

// ---------------------------------------------------------------------------------------------
// Sniffing

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sniff_allow_list_accepts_listed_types_and_refuses_the_rest() {
    let ts = TestServer::start_with_bucket("uploads").await;
    profile_on(
        &ts,
        "media",
        json!({"sniff": {"allow": ["image/*", "application/*"]}}),
        "uploads",
        "",
    )
    .await;
    for (key, body, ct) in [
        ("a.png", png(16, 16), "image/png"),
        ("a.jpg", jpeg(16, 16), "image/jpeg"),
        ("a.gif", gif(16, 16), "image/gif"),
        ("a.pdf", pdf(), "application/pdf"),
    ] {
        put(&ts, "uploads", key, body.clone(), ct)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(get(&ts, "uploads", key).await, Some(body));
    }
    // A renamed executable uploaded as image/png: refused with the sniffed type.
    // `application/*` does not let executables or archives in (only an exact entry would).
    assert_rejected(
        put(&ts, "uploads", "cat.png", elf(), "image/png").await,
        "rejected by sniff: detected application/x-executable (an executable), allowed image/*, application/*",
    );
    assert_eq!(head_status(&ts, "uploads", "cat.png").await, 404);
    // Archives are refused with an allow list even under a wildcard; unknown content too.
    assert_rejected(
        put(&ts, "uploads", "a.zip", zip(), "application/zip").await,
        "detected application/zip (an archive)",
    );
    assert_rejected(
        put(&ts, "uploads", "a.txt", b"just text".to_vec(), "text/plain").await,
        "unknown",
    );
    // A refused upload does not replace the object there, and its bytes are freed (a large
    // one, stored as a file).
    let blobs_before = common::stored_blobs(ts.dir.path());
    let mut big_elf = elf();
    big_elf.resize(300 * 1024, 0x90);
    assert_rejected(
        put(&ts, "uploads", "a.png", big_elf, "image/png").await,
        "application/x-executable",
    );
    assert_eq!(get(&ts, "uploads", "a.png").await, Some(png(16, 16)));
    assert_eq!(common::stored_blobs(ts.dir.path()), blobs_before);
    // Nothing refused is listed.
    let listed = ts
        .sdk()
        .list_objects_v2()
        .bucket("uploads")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a.gif", "a.jpg", "a.pdf", "a.png"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn match_declared_unknown_allow_and_explicit_archives() {
    let ts = TestServer::start_with_bucket("bkt").await;
    profile_on(
        &ts,
        "declared",
        json!({"sniff": {"match_declared": true, "unknown": "allow"}}),
        "bkt",
        "",
    )
    .await;
    put(&ts, "bkt", "ok.png", png(4, 4), "image/png")
        .await
        .unwrap();
    assert_rejected(
        put(&ts, "bkt", "lie.jpg", png(4, 4), "image/jpeg").await,
        "detected image/png, declared image/jpeg",
    );
    put(&ts, "bkt", "notes.txt", b"plain".to_vec(), "text/plain")
        .await
        .unwrap();
    // Another bucket: zip allowed when listed exactly.
    ts.create_bucket("zipbkt").await;
    profile_on(
        &ts,
        "zips",
        json!({"sniff": {"allow": ["application/zip"]}}),
        "zipbkt",
        "",
    )
    .await;
    put(&ts, "zipbkt", "a.zip", zip(), "application/zip")
        .await
        .unwrap();
    assert_rejected(
        put(&ts, "zipbkt", "a.png", png(4, 4), "image/png").await,
        "detected image/png, allowed application/zip",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_limits_read_the_header_and_refuse_a_bomb() {
    let ts = TestServer::start_with_bucket("img").await;
    profile_on(
        &ts,
        "limits",
        json!({"image": {"max_width": 8000, "max_height": 8000, "max_pixels": 40000000}}),
        "img",
        "",
    )
    .await;
    put(&ts, "img", "small.png", png(100, 100), "image/png")
        .await
        .unwrap();
    put(&ts, "img", "ok.jpg", jpeg(6000, 6000), "image/jpeg")
        .await
        .unwrap();
    assert_rejected(
        put(&ts, "img", "bomb.png", png(100_000, 100_000), "image/png").await,
        "rejected by image: 100000x100000 is wider than 8000 pixels",
    );
    assert_rejected(
        put(&ts, "img", "wide.gif", gif(9000, 10), "image/gif").await,
        "9000x10 is wider than 8000",
    );
    assert_rejected(
        put(&ts, "img", "tall.png", png(10, 9000), "image/png").await,
        "10x9000 is taller than 8000",
    );
    assert_rejected(
        put(&ts, "img", "many.jpg", jpeg(7000, 7000), "image/jpeg").await,
        "7000x7000 is 49000000 pixels, over the limit of 40000000",
    );
    // Not an image: the limits do not apply.
    put(&ts, "img", "doc.pdf", pdf(), "application/pdf")
        .await
        .unwrap();
    assert_eq!(head_status(&ts, "img", "bomb.png").await, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binding_applies_under_its_prefix_only() {
    let ts = TestServer::start_with_bucket("bkt").await;
    profile_on(
        &ts,
        "images",
        json!({"sniff": {"allow": ["image/png"]}}),
        "bkt",
        "avatars/",
    )
    .await;
    put(&ts, "bkt", "files/tool", elf(), "application/octet-stream")
        .await
        .unwrap();
    assert_rejected(
        put(
            &ts,
            "bkt",
            "avatars/tool",
            elf(),
            "application/octet-stream",
        )
        .await,
        "application/x-executable",
    );
}

// ---------------------------------------------------------------------------------------------
// A URL's profile

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_urls_profile_refuses_without_spending_its_grant_and_emits_the_rejection() {
    let ts = TestServer::start_with_bucket("bkt").await;
    let (status, answer) = admin(
        &ts,
        "PUT",
        "checks/pngs",
        &json!({"sniff": {"allow": ["image/png"]}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    // The profile must exist.
    let (status, answer) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "bkt", "key": "x", "checks": "nope"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.to_string().contains("no such check profile"),
        "{answer}"
    );
    let (status, answer) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "bkt", "key": "avatar.png", "checks": "pngs",
               "max_uses": 1, "notify": {"target": "feed", "payload": "user-7"}}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let url = answer["url"].as_str().unwrap().to_string();
    assert!(url.contains("x-sluice-checks=pngs"), "{url}");
    // The bucket has no profile: only the URL's applies. An executable is refused...
    let r = http().put(&url).body(elf()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let text = r.text().await.unwrap();
    assert!(text.contains("<Code>UploadRejected</Code>"), "{text}");
    assert!(
        text.contains("rejected by sniff: detected application/x-executable"),
        "{text}"
    );
    assert_eq!(head_status(&ts, "bkt", "avatar.png").await, 404);
    // ...the grant's one use is not spent: the PNG goes through the same URL.
    let r = http().put(&url).body(png(2, 2)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = http().put(&url).body(png(2, 2)).send().await.unwrap();
    assert_eq!(r.status(), 403, "the use is spent now");
    // The refusal reached the URL's receipt target as sluice:Upload:Rejected.
    let (status, feed) = api(&ts, "GET", "/_sluice/v1/events?after=0").await;
    assert_eq!(status, 200, "{feed}");
    let text = feed.to_string();
    assert!(text.contains("Upload:Rejected"), "{text}");
    assert!(text.contains("UploadRejected"), "{text}");
    // The same URL without the signed parameter does not verify.
    let stripped = url.replace("&x-sluice-checks=pngs", "");
    let r = http().put(&stripped).body(elf()).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("SignatureDoesNotMatch"));
}

// ---------------------------------------------------------------------------------------------
// Every upload path

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_copy_and_post_form_run_the_checks() {
    let ts = TestServer::start_with_bucket("bkt").await;
    profile_on(
        &ts,
        "pngs",
        json!({"sniff": {"allow": ["image/png"]}}),
        "bkt",
        "",
    )
    .await;
    let sdk = ts.sdk();
    // Multipart: the first bytes are in the first part; an ELF split over two parts is refused.
    for (key, first, ok) in [("mp-elf", elf(), false), ("mp-png", png(8, 8), true)] {
        let up = sdk
            .create_multipart_upload()
            .bucket("bkt")
            .key(key)
            .send()
            .await
            .unwrap();
        let id = up.upload_id().unwrap();
        let mut part1 = first;
        part1.resize(5 * 1024 * 1024, 0);
        let mut parts = Vec::new();
        for (n, data) in [(1, part1), (2, vec![7u8; 100])] {
            let p = sdk
                .upload_part()
                .bucket("bkt")
                .key(key)
                .upload_id(id)
                .part_number(n)
                .body(ByteStream::from(data))
                .send()
                .await
                .unwrap();
            parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .e_tag(p.e_tag().unwrap())
                    .build(),
            );
        }
        let done = sdk
            .complete_multipart_upload()
            .bucket("bkt")
            .key(key)
            .upload_id(id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        match (ok, done) {
            (true, Ok(_)) => assert_eq!(head_status(&ts, "bkt", key).await, 200),
            (false, Err(e)) => {
                assert_eq!(e.code(), Some("UploadRejected"), "{e:?}");
                assert!(e.message().unwrap().contains("application/x-executable"));
                assert_eq!(head_status(&ts, "bkt", key).await, 404);
            }
            (ok, r) => panic!("{key}: expected ok={ok}, got {r:?}"),
        }
    }
    // CopyObject into the bucket: an executable from an unchecked bucket is refused.
    ts.create_bucket("free").await;
    put(&ts, "free", "tool", elf(), "application/octet-stream")
        .await
        .unwrap();
    put(&ts, "free", "pic", png(3, 3), "image/png")
        .await
        .unwrap();
    let copied = sdk
        .copy_object()
        .bucket("bkt")
        .key("tool")
        .copy_source("free/tool")
        .send()
        .await;
    let e = copied.expect_err("copy of an executable refused");
    assert_eq!(e.code(), Some("UploadRejected"), "{e:?}");
    assert_eq!(head_status(&ts, "bkt", "tool").await, 404);
    sdk.copy_object()
        .bucket("bkt")
        .key("pic")
        .copy_source("free/pic")
        .send()
        .await
        .unwrap();
    // POST form into a bucket with a profile.
    ts.create_bucket(FORMS).await;
    profile_on(
        &ts,
        "pngs",
        json!({"sniff": {"allow": ["image/png"]}}),
        FORMS,
        "",
    )
    .await;
    let form = |key: &str, data: &[u8]| {
        signed_form(
            vec![json!({"bucket": FORMS}), json!(["eq", "$key", key])],
            &[("key", key)],
            None,
        )
        .file("upload.png", data)
    };
    let r = common::post_form::post(&ts, &form("evil.png", &elf())).await;
    let (status, code, message) = error_of(r).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "UploadRejected"),
        "{message}"
    );
    assert!(message.contains("application/x-executable"), "{message}");
    assert_eq!(head_status(&ts, FORMS, "evil.png").await, 404);
    let r = common::post_form::post(&ts, &form("good.png", &png(5, 5))).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_continue_refuses_a_declared_type_before_the_body() {
    let ts = TestServer::start_with_bucket("bkt").await;
    profile_on(
        &ts,
        "strict",
        json!({"sniff": {"allow": ["image/png"], "match_declared": true}}),
        "bkt",
        "",
    )
    .await;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let url = ts.presign("PUT", "bkt", "x.exe", 300);
    let target = common::target_of(&url).to_string();
    let mut s = tokio::net::TcpStream::connect(ts.addr).await.unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-msdownload\r\n\
         content-length: 1000000\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n",
        ts.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    // The answer comes without a byte of body sent: no 100 Continue first.
    let mut got = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut got))
        .await
        .expect("answered before the body")
        .unwrap();
    let r = common::parse_response(&got);
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text()
            .contains("rejected by sniff: declared application/x-msdownload, allowed image/png"),
        "{}",
        r.text()
    );
}

// ---------------------------------------------------------------------------------------------
// The blocking hook

/// A running `tests/checks/check_hook.py`.
struct Hook {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

const HOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

impl Hook {
    fn start() -> Hook {
        let python = std::env::var_os("SLUICE_WEBHOOK_PYTHON")
            .filter(|p| Path::new(p).exists())
            .unwrap_or_else(|| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/checks/check_hook.py")
            .canonicalize()
            .expect("tests/checks/check_hook.py");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python)
            .arg(script)
            .arg(dir.path())
            .arg(HOOK_SECRET)
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 runs the hook");
        let started = Instant::now();
        let port = loop {
            if let Ok(t) = std::fs::read_to_string(dir.path().join("port")) {
                break t.trim().parse().unwrap();
            }
            if let Ok(Some(s)) = child.try_wait() {
                panic!("the hook exited: {s}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "hook did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Hook { child, dir, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/check", self.port)
    }

    /// The requests the hook received, with what it saw of the pending bytes.
    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn request_for(&self, key: &str) -> Value {
        self.requests()
            .into_iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no hook request for {key}"))
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_allows_refuses_adds_metadata_and_times_out() {
    let hook = Hook::start();
    let ts = TestServer::start_with_bucket("bkt").await;
    profile_on(
        &ts,
        "scan",
        json!({"sniff": {"allow": ["image/*"]},
               "hook": {"url": hook.url(), "secret": HOOK_SECRET, "timeout_ms": 1500}}),
        "bkt",
        "",
    )
    .await;
    // Allowed: the hook saw the upload's facts and read the pending bytes through its URL.
    let body = png(10, 20);
    put(&ts, "bkt", "ok.png", body.clone(), "image/png")
        .await
        .unwrap();
    let req = hook.request_for("ok.png");
    assert_eq!(req["signature_ok"], true, "{req}");
    assert_eq!(req["bucket"], "bkt");
    assert_eq!(req["size"], body.len());
    assert_eq!(req["sniffed_type"], "image/png");
    assert_eq!(req["content_type"], "image/png");
    assert_eq!(req["signer"], common::ACCESS_KEY);
    assert_eq!(req["uploader_ip"], "127.0.0.1");
    assert_eq!(req["etag"], hex::encode(md5_of(&body)));
    assert_eq!(req["pending_status"], 200, "{req}");
    assert_eq!(req["pending_sha256"], hex::encode(Sha256::digest(&body)));
    // After the verdict the pending URL is dead.
    let pending_url = req["pending_url"].as_str().unwrap();
    assert_eq!(http().get(pending_url).send().await.unwrap().status(), 404);

    // Refused with the hook's message, which the SDK surfaces.
    assert_rejected(
        put(&ts, "bkt", "refuse.png", png(1, 1), "image/png").await,
        "rejected by hook: virus found: Eicar-Test-Signature",
    );
    assert_eq!(head_status(&ts, "bkt", "refuse.png").await, 404);
    // The sniff check refuses first: the hook is not asked.
    assert_rejected(
        put(&ts, "bkt", "refuse.exe", elf(), "image/png").await,
        "rejected by sniff",
    );
    assert!(hook.requests().iter().all(|r| r["key"] != "refuse.exe"));

    // Metadata the hook adds is stored as x-amz-meta-*.
    put(&ts, "bkt", "meta.png", png(2, 2), "image/png")
        .await
        .unwrap();
    let head = ts
        .sdk()
        .head_object()
        .bucket("bkt")
        .key("meta.png")
        .send()
        .await
        .unwrap();
    let meta = head.metadata().unwrap();
    assert_eq!(meta.get("scanned").map(String::as_str), Some("clean"));
    assert_eq!(meta.get("scanner").map(String::as_str), Some("test-hook"));

    // Metadata over S3's 2 KiB of user metadata cannot be stored: refused, nothing stored.
    assert_rejected(
        put(&ts, "bkt", "bigmeta.png", png(2, 2), "image/png").await,
        "rejected by hook: the hook's metadata takes the object's user metadata over 2048 bytes",
    );
    assert_eq!(head_status(&ts, "bkt", "bigmeta.png").await, 404);

    // A hook slower than its timeout: refused (on_error defaults to refuse).
    let started = Instant::now();
    assert_rejected(
        put(&ts, "bkt", "slow.png", png(1, 1), "image/png").await,
        "rejected by hook: the hook did not answer within 1500 ms",
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(head_status(&ts, "bkt", "slow.png").await, 404);
    // A failing hook with on_error = allow lets uploads through.
    let (status, _) = admin(
        &ts,
        "PUT",
        "checks/scan",
        &json!({"hook": {"url": hook.url(), "secret": HOOK_SECRET, "on_error": "allow"}}),
    )
    .await;
    assert_eq!(status, 200);
    put(&ts, "bkt", "broken.png", png(1, 1), "image/png")
        .await
        .unwrap();

    // The metrics count verdicts and time the hook. The recorder is process-wide and the other
    // tests here run beside this one (in-process hooks only here): exact counts for the hook.
    let m = ts.metrics().await;
    let sample = |name: &str| common::sample_of(&m, name).unwrap_or_else(|| panic!("{name}: {m}"));
    assert!(sample(r#"sluice_upload_checks_total{verdict="accepted"}"#) >= 3.0);
    assert!(sample(r#"sluice_upload_checks_total{verdict="sniff"}"#) >= 1.0);
    assert_eq!(sample(r#"sluice_upload_checks_total{verdict="hook"}"#), 3.0);
    assert_eq!(
        sample(r#"sluice_check_hook_seconds_count{outcome="error"}"#),
        2.0
    );
    assert_eq!(
        sample(r#"sluice_check_hook_seconds_count{outcome="refuse"}"#),
        1.0
    );
}

fn md5_of(data: &[u8]) -> [u8; 16] {
    use md5::Digest as _;
    md5::Md5::digest(data).into()
}

// ---------------------------------------------------------------------------------------------
// The CLI

/// `sluice ARGS` as root against `ts`; (success, stdout, stderr).
fn sluice(ts: &TestServer, args: &[&str]) -> (bool, String, String) {
    sluice_at(&ts.endpoint(), args)
}

/// `sluice ARGS` as root against the server at `endpoint`.
fn sluice_at(endpoint: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .env("HOME", "/nonexistent-home")
        .output()
        .expect("run sluice");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sets_applies_and_presigns_with_a_profile() {
    let ts = TestServer::start_with_bucket("cli").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pngs.json");
    std::fs::write(&file, r#"{"sniff": {"allow": ["image/png"]}}"#).unwrap();
    let file = file.to_str().unwrap();
    let (ok, out, err) = sluice(&ts, &["admin", "checks", "set", "pngs", file]);
    assert!(ok, "{err}");
    assert!(out.contains("\"name\": \"pngs\""), "{out}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"sniff": {"allow": []}}"#).unwrap();
    let (ok, _, err) = sluice(
        &ts,
        &["admin", "checks", "set", "bad", bad.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("sniff.allow"), "{err}");

    // A URL's profile, offline and through the mint API (--max-uses).
    for extra in [&[][..], &["--max-uses", "2"][..]] {
        let mut args = vec![
            "presign",
            "--method",
            "PUT",
            "--checks",
            "pngs",
            "s3://cli/p.png",
        ];
        args.extend_from_slice(extra);
        let (ok, url, err) = sluice(&ts, &args);
        assert!(ok, "{err}");
        let url = url.trim();
        assert!(url.contains("x-sluice-checks=pngs"), "{url}");
        let r = http().put(url).body(elf()).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("UploadRejected"));
        let r = http().put(url).body(png(1, 1)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }

    // Applied to the bucket under a prefix.
    let (ok, _, err) = sluice(
        &ts,
        &[
            "admin", "checks", "apply", "pngs", "--bucket", "cli", "--prefix", "img/",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = sluice(&ts, &["admin", "checks", "show", "pngs"]);
    assert!(ok);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        shown["applied"],
        json!([{"bucket": "cli", "prefix": "img/"}])
    );
    assert_rejected(
        put(&ts, "cli", "img/x", elf(), "image/png").await,
        "application/x-executable",
    );
    put(&ts, "cli", "bin/x", elf(), "application/octet-stream")
        .await
        .unwrap();
    let (ok, _, err) = sluice(
        &ts,
        &[
            "admin", "checks", "unapply", "pngs", "--bucket", "cli", "--prefix", "img/",
        ],
    );
    assert!(ok, "{err}");
    put(&ts, "cli", "img/x", elf(), "image/png").await.unwrap();
    let (ok, out, _) = sluice(&ts, &["admin", "checks", "list"]);
    assert!(ok && out.contains("pngs"), "{out}");
    let (ok, _, _) = sluice(&ts, &["admin", "checks", "delete", "pngs"]);
    assert!(ok);
    let (ok, _, err) = sluice(&ts, &["admin", "checks", "show", "pngs"]);
    assert!(!ok && err.contains("no such check profile"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_from_the_configuration_file() {
    use common::process::{serve_expecting_exit, ServerProcess, ROOT_ENV};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("sluice.toml");
    std::fs::write(
        &config,
        "[[checks.profiles]]\nname = \"pngs\"\nsniff = { allow = [\"image/png\"] }\n\
         image = { max_pixels = 1000000 }\n",
    )
    .unwrap();
    let (data_s, config_s) = (data.to_str().unwrap(), config.to_str().unwrap());
    let args = [
        "--data-dir",
        data_s,
        "--listen",
        "127.0.0.1:0",
        "--config",
        config_s,
    ];
    let server = ServerProcess::start(&args, &ROOT_ENV);
    let endpoint = format!("http://{}", server.addr);
    let s3 = common::sdk_at(server.addr, common::ACCESS_KEY, common::SECRET_KEY);
    s3.create_bucket().bucket("cfg").send().await.unwrap();
    let (ok, _, err) = sluice_at(
        &endpoint,
        &["admin", "checks", "apply", "pngs", "--bucket", "cfg"],
    );
    assert!(ok, "{err}");
    let refused = s3
        .put_object()
        .bucket("cfg")
        .key("big.png")
        .body(ByteStream::from(png(2000, 2000)))
        .send()
        .await
        .expect_err("over max_pixels");
    assert_eq!(refused.code(), Some("UploadRejected"));
    assert!(refused
        .message()
        .unwrap()
        .contains("rejected by image: 2000x2000"));
    s3.put_object()
        .bucket("cfg")
        .key("ok.png")
        .body(ByteStream::from(png(20, 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(server.terminate(), Some(0));

    // A hook without its secret in the file: the server does not start.
    std::fs::write(
        &config,
        "[[checks.profiles]]\nname = \"scan\"\nhook = { url = \"http://127.0.0.1:9/\" }\n",
    )
    .unwrap();
    let exited = serve_expecting_exit(&args, &ROOT_ENV, Duration::from_secs(20));
    assert_ne!(exited.code, Some(0));
    assert!(
        exited.stderr.contains("hook.secret is required"),
        "{}",
        exited.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_on_every_path_emit_upload_rejected() {
    use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
    let ts = TestServer::start_with_bucket(FORMS).await;
    ts.create_bucket("free").await;
    profile_on(
        &ts,
        "pngs",
        json!({"sniff": {"allow": ["image/png"]}}),
        FORMS,
        "",
    )
    .await;
    let config = NotificationConfiguration::builder()
        .queue_configurations(
            QueueConfiguration::builder()
                .id("rejections")
                .queue_arn(format!("arn:sluice:sqs:{REGION}:feed:pull"))
                .events(Event::from("sluice:Upload:Rejected"))
                .build()
                .unwrap(),
        )
        .build();
    ts.sdk()
        .put_bucket_notification_configuration()
        .bucket(FORMS)
        .notification_configuration(config)
        .send()
        .await
        .unwrap();
    // A header-signed PUT (not presigned), a CopyObject and a POST form, all refused.
    assert_rejected(
        put(&ts, FORMS, "put.png", elf(), "image/png").await,
        "sniff",
    );
    put(&ts, "free", "tool", elf(), "application/octet-stream")
        .await
        .unwrap();
    let e = ts
        .sdk()
        .copy_object()
        .bucket(FORMS)
        .key("copy.png")
        .copy_source("free/tool")
        .send()
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Some("UploadRejected"));
    let form = signed_form(
        vec![json!({"bucket": FORMS}), json!(["eq", "$key", "post.png"])],
        &[("key", "post.png")],
        None,
    )
    .file("post.png", &elf());
    let r = common::post_form::post(&ts, &form).await;
    assert_eq!(r.status(), 403);
    let (status, feed) = api(&ts, "GET", "/_sluice/v1/events?after=0").await;
    assert_eq!(status, 200, "{feed}");
    let text = feed.to_string();
    for key in ["put.png", "copy.png", "post.png"] {
        assert!(text.contains(key), "no rejection event for {key}: {text}");
    }
    assert_eq!(text.matches("Upload:Rejected").count(), 3, "{text}");
}

/// SIGKILL rounds while hook verdicts are pending: an upload waiting for its verdict is never
/// visible, before or after the restart, and the version it would have replaced stays.
/// Rounds: 3 by default; `SLUICE_CRASH_ROUNDS=N`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_verdicts_are_pending_commits_nothing() {
    use common::process::{ServerProcess, ROOT_ENV};
    let rounds: usize = std::env::var("SLUICE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let hook = Hook::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("sluice.toml");
    std::fs::write(
        &config,
        format!(
            "[[checks.profiles]]\nname = \"scan\"\n\
             hook = {{ url = \"{}\", secret = \"{HOOK_SECRET}\", timeout_ms = 120000 }}\n",
            hook.url()
        ),
    )
    .unwrap();
    let (data_s, config_s) = (data.to_str().unwrap(), config.to_str().unwrap());
    let args = [
        "--data-dir",
        data_s,
        "--listen",
        "127.0.0.1:0",
        "--config",
        config_s,
    ];
    const UPLOADS: usize = 4;
    let mut asked = 0;
    for round in 0..rounds {
        let mut server = ServerProcess::start(&args, &ROOT_ENV);
        let s3 = common::sdk_at(server.addr, common::ACCESS_KEY, common::SECRET_KEY);
        if round == 0 {
            s3.create_bucket().bucket("crash").send().await.unwrap();
            let endpoint = format!("http://{}", server.addr);
            let (ok, _, err) = sluice_at(
                &endpoint,
                &["admin", "checks", "apply", "scan", "--bucket", "crash"],
            );
            assert!(ok, "{err}");
            // The versions the pending uploads would replace (the hook allows them at once).
            for i in 0..UPLOADS {
                s3.put_object()
                    .bucket("crash")
                    .key(format!("k{i}"))
                    .body(ByteStream::from(b"old".to_vec()))
                    .send()
                    .await
                    .unwrap();
            }
            asked += UPLOADS;
        }
        // Uploads whose verdict never comes before the kill: replacing k0..k3, and new keys.
        let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        for i in 0..UPLOADS {
            for key in [format!("k{i}"), format!("new-{round}-{i}")] {
                let (s3, answered) = (s3.clone(), answered.clone());
                tokio::spawn(async move {
                    let r = s3
                        .put_object()
                        .bucket("crash")
                        .key(&key)
                        .metadata("mode", "hang")
                        .body(ByteStream::from(format!("new {round}").into_bytes()))
                        .send()
                        .await;
                    if r.is_ok() {
                        answered.lock().unwrap().push(key);
                    }
                });
            }
        }
        asked += 2 * UPLOADS;
        let started = Instant::now();
        while hook.requests().len() < asked {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the hook was not asked"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = server.child.kill();
        let _ = server.child.wait();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            answered.lock().unwrap().is_empty(),
            "an upload was acknowledged without its verdict"
        );

        let server = ServerProcess::start(&args, &ROOT_ENV);
        let s3 = common::sdk_at(server.addr, common::ACCESS_KEY, common::SECRET_KEY);
        let listed = s3.list_objects_v2().bucket("crash").send().await.unwrap();
        let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
        let expected: Vec<String> = (0..UPLOADS).map(|i| format!("k{i}")).collect();
        assert_eq!(
            keys, expected,
            "round {round}: only the old versions are visible"
        );
        for i in 0..UPLOADS {
            let got = s3
                .get_object()
                .bucket("crash")
                .key(format!("k{i}"))
                .send()
                .await
                .unwrap();
            assert_eq!(
                got.body.collect().await.unwrap().into_bytes().as_ref(),
                b"old"
            );
        }
        assert_eq!(server.terminate(), Some(0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_bundles_profile_applies_at_completion() {
    let ts = TestServer::start_with_bucket("bundle").await;
    let (status, _) = admin(
        &ts,
        "PUT",
        "checks/pngs",
        &json!({"sniff": {"allow": ["image/png"]}}),
    )
    .await;
    assert_eq!(status, 200);
    for (key, body, ok) in [("evil.png", elf(), false), ("good.png", png(9, 9), true)] {
        let (status, out) = mint(
            &ts,
            json!({"method": "PUT", "bucket": "bundle", "key": key, "checks": "pngs",
                   "multipart": {"parts": 1}}),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        let complete = out["complete_url"].as_str().unwrap();
        assert!(complete.contains("x-sluice-checks=pngs"), "{complete}");
        let r = http()
            .put(out["parts"][0]["url"].as_str().unwrap())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the part is not checked on its own");
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let xml = format!(
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>\
             </CompleteMultipartUpload>"
        );
        let r = http().post(complete).body(xml).send().await.unwrap();
        let (status, text) = (r.status().as_u16(), r.text().await.unwrap());
        if ok {
            assert_eq!(status, 200, "{text}");
            assert_eq!(head_status(&ts, "bundle", key).await, 200);
        } else {
            assert_eq!(status, 403, "{text}");
            assert!(text.contains("<Code>UploadRejected</Code>"), "{text}");
            assert!(text.contains("application/x-executable"), "{text}");
            assert_eq!(head_status(&ts, "bundle", key).await, 404);
        }
    }
}
