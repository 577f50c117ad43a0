//! Verified commit (issue 23): check profiles run on an upload's stored bytes before it is
//! committed. Real files made here (PNG, JPEG, GIF, PDF, ZIP, ELF), the real server, the AWS SDK
//! for Rust, reqwest for presigned URLs and forms. The hook: `checks_hook.rs`; the CLI and the
//! configuration file: `checks_cli.rs`; helpers: `common/checks.rs`.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::checks::*;
use common::post_form::{error_of, signed_form, BUCKET as FORMS};
use common::service_api::{api, mint};
use common::{http, TestServer, REGION};
use serde_json::{json, Value};
use std::time::Duration;

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
