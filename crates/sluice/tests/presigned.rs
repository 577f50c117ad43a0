//! Presigned URLs (SigV4 query auth), the heart of Sluice, exercised with plain HTTP.

mod common;

use common::{creds, http, raw_request, target_of, xml_field, TestServer, ACCESS_KEY, REGION};
use sluice_sigv4::{encode_object_path, presign_v2, V2SigningRequest};
use std::time::Duration;
use time::OffsetDateTime;

async fn make_bucket(ts: &TestServer, name: &str) {
    ts.sdk().create_bucket().bucket(name).send().await.unwrap();
}

async fn status_and_body(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_then_get_reusable_within_expiry() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "upl").await;
    let put_url = ts.presign("PUT", "upl", "photos/cat.png", 600);
    let c = http();
    for body in ["first", "second"] {
        let r = c.put(&put_url).body(body).send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        assert!(r.headers().contains_key("x-amz-request-id"));
        assert!(r.headers().contains_key("etag"));
    }
    let get_url = ts.presign("GET", "upl", "photos/cat.png", 600);
    for _ in 0..2 {
        let r = c.get(&get_url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "second");
    }
    let head_url = ts.presign("HEAD", "upl", "photos/cat.png", 600);
    let r = c.head(&head_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "6");
    let del_url = ts.presign("DELETE", "upl", "photos/cat.png", 600);
    assert_eq!(c.delete(&del_url).send().await.unwrap().status(), 204);
    assert_eq!(c.get(&get_url).send().await.unwrap().status(), 404);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_presigned_urls_work() {
    use aws_sdk_s3::presigning::PresigningConfig;
    let ts = TestServer::start().await;
    make_bucket(&ts, "sdk").await;
    let s3 = ts.sdk();
    let cfg = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let put = s3
        .put_object()
        .bucket("sdk")
        .key("a b+c/ü.txt")
        .content_type("text/plain")
        .presigned(cfg.clone())
        .await
        .unwrap();
    let mut req = http().put(put.uri());
    for (k, v) in put.headers() {
        req = req.header(k, v);
    }
    let r = req.body("from sdk url").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let get = s3
        .get_object()
        .bucket("sdk")
        .key("a b+c/ü.txt")
        .presigned(cfg)
        .await
        .unwrap();
    let r = http().get(get.uri()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert_eq!(r.text().await.unwrap(), "from sdk url");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_url_is_refused_with_aws_details() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "exp").await;
    let url = ts.presign("PUT", "exp", "k", 60);
    let c = http();
    assert_eq!(c.put(&url).body("ok").send().await.unwrap().status(), 200);
    ts.clock().advance_ms(61_000);
    let (status, body) = status_and_body(c.put(&url).body("late").send().await.unwrap()).await;
    assert_eq!(status, 403);
    assert_eq!(xml_field(&body, "Code").as_deref(), Some("AccessDenied"));
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("Request has expired")
    );
    assert_eq!(xml_field(&body, "X-Amz-Expires").as_deref(), Some("60"));
    assert!(xml_field(&body, "Expires").is_some());
    assert!(xml_field(&body, "ServerTime").is_some());
    assert!(xml_field(&body, "RequestId").is_some());
    // The object still holds what the valid request wrote.
    let get = ts
        .sdk()
        .get_object()
        .bucket("exp")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(&get.body.collect().await.unwrap().into_bytes()[..], b"ok");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_is_checked_when_the_request_starts() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "slow").await;
    let url = ts.presign("PUT", "slow", "big", 60);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let stream = futures_stream(rx);
    let body = reqwest::Body::wrap_stream(stream);
    let c = http();
    let send = tokio::spawn(async move {
        c.put(&url)
            .header("content-length", "2048")
            .body(body)
            .send()
            .await
    });
    tx.send(Ok(vec![b'a'; 1024])).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The URL expires while the body is still streaming.
    ts.clock().advance_ms(120_000);
    tx.send(Ok(vec![b'b'; 1024])).await.unwrap();
    drop(tx);
    let resp = send.await.unwrap().unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let head = ts
        .sdk()
        .head_object()
        .bucket("slow")
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(2048));
    ts.stop().await;
}

fn futures_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core_stream::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_core_stream::poll_fn(move |cx| rx.poll_recv(cx))
}

mod futures_core_stream {
    pub use futures_util::stream::{poll_fn, Stream};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_yet_valid_and_bad_expires_are_refused() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "when").await;
    let c = http();
    let future = OffsetDateTime::now_utc() + time::Duration::hours(1);
    let url = ts.presign_full("PUT", "when", "k", 600, &[], &[], future);
    let (status, body) = status_and_body(c.put(&url).body("x").send().await.unwrap()).await;
    assert_eq!(status, 403, "{body}");
    // Small clock differences in the future are tolerated (within the skew).
    let soon = OffsetDateTime::now_utc() + time::Duration::minutes(2);
    let url = ts.presign_full("PUT", "when", "k", 600, &[], &[], soon);
    assert_eq!(c.put(&url).body("x").send().await.unwrap().status(), 200);

    let good = ts.presign("PUT", "when", "k", 600);
    for bad in ["0", "-1", "604801", "abc", ""] {
        let url = replace_param(&good, "X-Amz-Expires", bad);
        let (status, body) = status_and_body(c.put(&url).body("x").send().await.unwrap()).await;
        assert_eq!(status, 400, "expires={bad}: {body}");
        assert_eq!(
            xml_field(&body, "Code").as_deref(),
            Some("AuthorizationQueryParametersError"),
            "{bad}"
        );
    }
    // The longest legal expiry works.
    let week = ts.presign("PUT", "when", "k", 604_800);
    assert_eq!(c.put(&week).body("x").send().await.unwrap().status(), 200);
    ts.stop().await;
}

fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let q: Vec<String> = query
        .split('&')
        .map(|p| {
            let (k, _) = p.split_once('=').unwrap_or((p, ""));
            if k == name {
                format!("{k}={value}")
            } else {
                p.to_string()
            }
        })
        .collect();
    format!("{base}?{}", q.join("&"))
}

fn remove_param(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let q: Vec<&str> = query
        .split('&')
        .filter(|p| !p.starts_with(&format!("{name}=")))
        .collect();
    format!("{base}?{}", q.join("&"))
}

fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tampered_part_breaks_the_url() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "tamper").await;
    make_bucket(&ts, "other").await;
    let c = http();
    let url = ts.presign("PUT", "tamper", "file.txt", 600);
    let sig = param(&url, "X-Amz-Signature");
    let flipped = {
        let mut s: Vec<char> = sig.chars().collect();
        s[0] = if s[0] == '0' { '1' } else { '0' };
        s.into_iter().collect::<String>()
    };
    let date = param(&url, "X-Amz-Date");
    let later_date = {
        let mut d = date.clone();
        let sec: u32 = d[13..15].parse().unwrap();
        d.replace_range(13..15, &format!("{:02}", (sec + 1) % 60));
        d
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "signature",
            replace_param(&url, "X-Amz-Signature", &flipped),
        ),
        ("signature missing", remove_param(&url, "X-Amz-Signature")),
        ("date", replace_param(&url, "X-Amz-Date", &later_date)),
        ("expires", replace_param(&url, "X-Amz-Expires", "601")),
        (
            "signed headers",
            replace_param(&url, "X-Amz-SignedHeaders", "host%3Bx-amz-date"),
        ),
        (
            "credential key",
            replace_param(
                &url,
                "X-Amz-Credential",
                &param(&url, "X-Amz-Credential").replacen(ACCESS_KEY, "AKIDSLUICETEST000002", 1),
            ),
        ),
        (
            "credential region",
            replace_param(
                &url,
                "X-Amz-Credential",
                &param(&url, "X-Amz-Credential").replacen(REGION, "eu-west-1", 1),
            ),
        ),
        (
            "credential service",
            replace_param(
                &url,
                "X-Amz-Credential",
                &param(&url, "X-Amz-Credential").replacen("%2Fs3%2F", "%2Fs4%2F", 1),
            ),
        ),
        (
            "algorithm",
            replace_param(&url, "X-Amz-Algorithm", "AWS4-HMAC-SHA512"),
        ),
        (
            "key",
            url.replacen("/tamper/file.txt", "/tamper/file.txT", 1),
        ),
        (
            "bucket",
            url.replacen("/tamper/file.txt", "/other/file.txt", 1),
        ),
        ("extra param", format!("{url}&x-id=PutObject")),
        (
            "extra signed-looking param",
            format!("{url}&x-amz-acl=public-read"),
        ),
    ];
    for (what, bad) in cases {
        let (status, body) = status_and_body(c.put(&bad).body("evil").send().await.unwrap()).await;
        assert!(status == 403 || status == 400, "{what}: {status} {body}");
        let code = xml_field(&body, "Code").unwrap_or_default();
        assert!(
            [
                "SignatureDoesNotMatch",
                "AccessDenied",
                "AuthorizationQueryParametersError",
                "InvalidAccessKeyId"
            ]
            .contains(&code.as_str()),
            "{what}: {code}"
        );
    }
    // Nothing was written by any tampered request.
    let list = ts
        .sdk()
        .list_objects_v2()
        .bucket("tamper")
        .send()
        .await
        .unwrap();
    assert_eq!(list.key_count(), Some(0));
    let list = ts
        .sdk()
        .list_objects_v2()
        .bucket("other")
        .send()
        .await
        .unwrap();
    assert_eq!(list.key_count(), Some(0));

    // The wrong key: a valid-looking URL signed with another secret.
    let (status, body) = status_and_body(
        c.put(replace_param(&url, "X-Amz-Signature", &"0".repeat(64)))
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        xml_field(&body, "Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );
    assert!(xml_field(&body, "StringToSign")
        .unwrap()
        .starts_with("AWS4-HMAC-SHA256\n"));
    assert!(xml_field(&body, "CanonicalRequest")
        .unwrap()
        .starts_with("PUT\n/tamper/file.txt\n"));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_is_part_of_the_signature() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "meth").await;
    let c = http();
    let put = ts.presign("PUT", "meth", "k", 600);
    assert_eq!(c.put(&put).body("v").send().await.unwrap().status(), 200);
    for resp in [
        c.get(&put).send().await.unwrap(),
        c.delete(&put).send().await.unwrap(),
        c.head(&put).send().await.unwrap(),
    ] {
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap();
        assert_eq!(status, 403, "{body}");
        assert!(
            body.is_empty() || xml_field(&body, "Code").as_deref() == Some("SignatureDoesNotMatch"),
            "{body}"
        );
    }
    // POST to an object without a multipart sub-resource is not an operation at all.
    let status = c.post(&put).send().await.unwrap().status().as_u16();
    assert!(status == 403 || status == 405, "{status}");
    let get = ts.presign("GET", "meth", "k", 600);
    let (status, _) = status_and_body(c.put(&get).body("overwrite").send().await.unwrap()).await;
    assert_eq!(status, 403);
    assert_eq!(c.get(&get).send().await.unwrap().text().await.unwrap(), "v");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_headers_must_match_and_unsigned_amz_headers_are_refused() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "hdr").await;
    let c = http();
    let headers = vec![("content-type".to_string(), "image/png".to_string())];
    let url = ts.presign_full(
        "PUT",
        "hdr",
        "img",
        600,
        &headers,
        &[],
        OffsetDateTime::now_utc(),
    );
    let (status, body) = status_and_body(
        c.put(&url)
            .header("content-type", "text/html")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_field(&body, "Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );
    let (status, body) = status_and_body(c.put(&url).body("x").send().await.unwrap()).await;
    assert!(
        status == 403 || status == 400,
        "missing signed header: {body}"
    );
    let r = c
        .put(&url)
        .header("content-type", "image/png")
        .body("png")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let head = ts
        .sdk()
        .head_object()
        .bucket("hdr")
        .key("img")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("image/png"));

    // x-amz-* headers the signer did not sign are refused.
    let plain = ts.presign("PUT", "hdr", "meta", 600);
    let (status, body) = status_and_body(
        c.put(&plain)
            .header("x-amz-meta-evil", "1")
            .body("x")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(xml_field(&body, "Code").as_deref(), Some("AccessDenied"));
    assert!(body.contains("x-amz-meta-evil"), "{body}");

    // x-amz-* values carried in the (signed) query act as headers.
    let q = vec![("x-amz-meta-origin".to_string(), "query".to_string())];
    let url = ts.presign_full(
        "PUT",
        "hdr",
        "meta",
        600,
        &[],
        &q,
        OffsetDateTime::now_utc(),
    );
    assert_eq!(c.put(&url).body("x").send().await.unwrap().status(), 200);
    let head = ts
        .sdk()
        .head_object()
        .bucket("hdr")
        .key("meta")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.metadata().unwrap().get("origin").map(String::as_str),
        Some("query")
    );
    // ... and editing that value breaks the signature.
    let bad = url.replace("x-amz-meta-origin=query", "x-amz-meta-origin=evil");
    assert_ne!(bad, url);
    assert_eq!(c.put(&bad).body("x").send().await.unwrap().status(), 403);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_encoding_corners_round_trip() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "keys").await;
    let c = http();
    let keys = [
        "with space",
        "plus+sign",
        "eq=amp&semi;",
        "unicode/ü/日本語/🦀",
        "literal%2Fpercent",
        "double//slash",
        "./dot/../dotdot",
        "..",
        "trailing/",
        "tilde~star*paren()",
        "quote'\"<xml>",
        "hash#question?",
    ];
    // Raw requests: the path goes on the wire exactly as signed (HTTP libraries would
    // normalise `.`/`..` segments, which S3 keys must keep).
    for key in keys {
        let put = ts.presign("PUT", "keys", key, 600);
        let r = raw_request(ts.addr, "PUT", target_of(&put), &[], key.as_bytes()).await;
        assert_eq!(r.status, 200, "PUT {key:?}: {}", r.text());
        let get = ts.presign("GET", "keys", key, 600);
        let r = raw_request(ts.addr, "GET", target_of(&get), &[], b"").await;
        assert_eq!(r.status, 200, "GET {key:?}: {}", r.text());
        assert_eq!(r.text(), key);
    }
    let _ = &c;
    let listed = ts
        .sdk()
        .list_objects_v2()
        .bucket("keys")
        .send()
        .await
        .unwrap();
    let mut got: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    let mut want: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_unknown_keys_are_refused() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "priv").await;
    let c = http();
    let base = format!("{}{}", ts.endpoint(), encode_object_path("priv", "k"));
    for resp in [
        c.put(&base).body("x").send().await.unwrap(),
        c.get(&base).send().await.unwrap(),
        c.get(format!("{}/priv", ts.endpoint()))
            .send()
            .await
            .unwrap(),
        c.get(ts.endpoint()).send().await.unwrap(),
    ] {
        let (status, body) = status_and_body(resp).await;
        assert_eq!(status, 403);
        assert_eq!(xml_field(&body, "Code").as_deref(), Some("AccessDenied"));
    }
    let stranger = ts.sdk_with("AKIDUNKNOWN000000000", "whatever");
    let err = stranger.list_buckets().send().await.unwrap_err();
    let err = err.into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("InvalidAccessKeyId")
    );
    let wrong_secret = ts.sdk_with(common::ACCESS_KEY, "not-the-secret");
    let err = wrong_secret
        .list_buckets()
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("SignatureDoesNotMatch")
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigv2_query_auth_works_and_can_be_switched_off() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "legacy").await;
    let c = http();
    let path = encode_object_path("legacy", "old client.txt");
    let expires = OffsetDateTime::now_utc().unix_timestamp() + 300;
    let sign = |method: &str| {
        let q = presign_v2(
            &creds(),
            &V2SigningRequest {
                method,
                raw_path: &path,
                raw_query: "",
                headers: &[],
            },
            expires,
        );
        format!("{}{path}?{q}", ts.endpoint())
    };
    let r = c.put(sign("PUT")).body("v2 body").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        c.get(sign("GET"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "v2 body"
    );
    ts.clock().advance_ms(301_000);
    assert_eq!(c.get(sign("GET")).send().await.unwrap().status(), 403);
    ts.stop().await;

    let ts = TestServer::start_with(|c| c.allow_sigv2 = false).await;
    make_bucket(&ts, "legacy").await;
    let expires = OffsetDateTime::now_utc().unix_timestamp() + 300;
    let q = presign_v2(
        &creds(),
        &V2SigningRequest {
            method: "GET",
            raw_path: &path,
            raw_query: "",
            headers: &[],
        },
        expires,
    );
    let (status, body) = status_and_body(
        c.get(format!("{}{path}?{q}", ts.endpoint()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    ts.stop().await;
}
