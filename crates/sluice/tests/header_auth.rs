//! SigV4 header authentication over raw HTTP: signed payloads, aws-chunked streaming
//! (signed, signed with trailer, unsigned with trailer), clock skew, 100-continue, virtual hosts.

mod common;

use base64::Engine;
use common::{creds, raw_request, xml_field, TestServer, REGION, SECRET_KEY};
use sha2::{Digest, Sha256};
use sluice_sigv4::{
    encode_object_path, frame_unsigned_chunk, frame_unsigned_final, seed_signature,
    sign_headers_v4, ChunkedSigner, SigningRequest,
};
use time::OffsetDateTime;

/// Signs a request with header auth; returns all headers to send (besides host).
fn signed_headers(
    host: &str,
    method: &str,
    path: &str,
    query: &str,
    extra: &[(String, String)],
    payload_hash: &str,
    at: OffsetDateTime,
) -> Vec<(String, String)> {
    let mut headers = extra.to_vec();
    let added = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method,
            host,
            raw_path: path,
            raw_query: query,
            headers: extra,
            payload_hash,
            region: REGION,
            service: "s3",
            datetime: at,
        },
    );
    headers.extend(added);
    headers
}

fn refs(h: &[(String, String)]) -> Vec<(&str, &str)> {
    h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn setup(ts: &TestServer, bucket: &str) {
    ts.sdk()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
}

async fn read_back(ts: &TestServer, bucket: &str, key: &str) -> Option<Vec<u8>> {
    let got = ts
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .ok()?;
    Some(got.body.collect().await.unwrap().into_bytes().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_payload_hash_is_verified() {
    let ts = TestServer::start().await;
    setup(&ts, "hash").await;
    let host = ts.host();
    let body = b"exact bytes";
    let good = hex::encode(Sha256::digest(body));
    let path = encode_object_path("hash", "k");
    let h = signed_headers(
        &host,
        "PUT",
        &path,
        "",
        &[],
        &good,
        OffsetDateTime::now_utc(),
    );
    let r = raw_request(ts.addr, "PUT", &path, &refs(&h), body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("x-amz-request-id").is_some());

    let wrong = hex::encode(Sha256::digest(b"other bytes"));
    let h = signed_headers(
        &host,
        "PUT",
        &path,
        "",
        &[],
        &wrong,
        OffsetDateTime::now_utc(),
    );
    let r = raw_request(ts.addr, "PUT", &path, &refs(&h), b"tampered!!!").await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(
        xml_field(&r.text(), "Code").as_deref(),
        Some("XAmzContentSHA256Mismatch")
    );
    assert_eq!(
        read_back(&ts, "hash", "k").await.unwrap(),
        body,
        "failed upload must not replace the object"
    );

    // Missing x-amz-content-sha256 on header auth.
    let h: Vec<(String, String)> = signed_headers(
        &host,
        "PUT",
        &path,
        "",
        &[],
        &good,
        OffsetDateTime::now_utc(),
    )
    .into_iter()
    .filter(|(k, _)| k != "x-amz-content-sha256")
    .collect();
    let r = raw_request(ts.addr, "PUT", &path, &refs(&h), body).await;
    assert!(r.status == 400 || r.status == 403, "{}", r.text());
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_over_15_minutes_is_refused() {
    let ts = TestServer::start().await;
    setup(&ts, "skew").await;
    let host = ts.host();
    let path = encode_object_path("skew", "k");
    for minutes in [-16i64, 16] {
        let at = OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
        let h = signed_headers(&host, "GET", &path, "", &[], "UNSIGNED-PAYLOAD", at);
        let r = raw_request(ts.addr, "GET", &path, &refs(&h), b"").await;
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(
            xml_field(&r.text(), "Code").as_deref(),
            Some("RequestTimeTooSkewed")
        );
    }
    for minutes in [-14i64, 14] {
        let at = OffsetDateTime::now_utc() + time::Duration::minutes(minutes);
        let h = signed_headers(&host, "GET", &path, "", &[], "UNSIGNED-PAYLOAD", at);
        let r = raw_request(ts.addr, "GET", &path, &refs(&h), b"").await;
        assert_eq!(
            r.status,
            404,
            "within skew reaches the handler: {}",
            r.text()
        );
    }
    ts.stop().await;
}

fn chunked_body(
    signer: &mut ChunkedSigner,
    payload: &[u8],
    chunk: usize,
    trailers: Option<&[(String, String)]>,
) -> Vec<u8> {
    let mut out = Vec::new();
    for c in payload.chunks(chunk) {
        out.extend(signer.frame_chunk(c));
    }
    match trailers {
        Some(t) => out.extend(signer.frame_final_with_trailers(t)),
        None => out.extend(signer.frame_final()),
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_chunked_signed_streaming_upload() {
    let ts = TestServer::start().await;
    setup(&ts, "chunk").await;
    let host = ts.host();
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let path = encode_object_path("chunk", "streamed");
    let at = OffsetDateTime::now_utc();
    let extra = vec![
        ("content-encoding".to_string(), "aws-chunked".to_string()),
        (
            "x-amz-decoded-content-length".to_string(),
            payload.len().to_string(),
        ),
    ];
    let h = signed_headers(
        &host,
        "PUT",
        &path,
        "",
        &extra,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        at,
    );
    let seed = seed_signature(&h).unwrap();
    let mut signer = ChunkedSigner::new(SECRET_KEY, at, REGION, "s3", &seed);
    let body = chunked_body(&mut signer, &payload, 65_536, None);
    let r = raw_request(ts.addr, "PUT", &path, &refs(&h), &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(read_back(&ts, "chunk", "streamed").await.unwrap(), payload);
    let head = ts
        .sdk()
        .head_object()
        .bucket("chunk")
        .key("streamed")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.content_encoding(),
        None,
        "aws-chunked is not stored as a content encoding"
    );

    // Flip one payload byte inside the second chunk: the chunk signature fails, nothing stored.
    let path2 = encode_object_path("chunk", "tampered");
    let h = signed_headers(
        &host,
        "PUT",
        &path2,
        "",
        &extra,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        at,
    );
    let seed = seed_signature(&h).unwrap();
    let mut signer = ChunkedSigner::new(SECRET_KEY, at, REGION, "s3", &seed);
    let mut body = chunked_body(&mut signer, &payload, 65_536, None);
    let pos = body.len() / 2;
    body[pos] ^= 0x01;
    let r = raw_request(ts.addr, "PUT", &path2, &refs(&h), &body).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(
        xml_field(&r.text(), "Code").as_deref(),
        Some("SignatureDoesNotMatch")
    );
    assert!(read_back(&ts, "chunk", "tampered").await.is_none());

    // Decoded length that lies.
    let mut lying = extra.clone();
    lying[1].1 = (payload.len() + 1).to_string();
    let h = signed_headers(
        &host,
        "PUT",
        &path2,
        "",
        &lying,
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        at,
    );
    let seed = seed_signature(&h).unwrap();
    let mut signer = ChunkedSigner::new(SECRET_KEY, at, REGION, "s3", &seed);
    let body = chunked_body(&mut signer, &payload, 65_536, None);
    let r = raw_request(ts.addr, "PUT", &path2, &refs(&h), &body).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(read_back(&ts, "chunk", "tampered").await.is_none());
    ts.stop().await;
}

fn crc32_b64(data: &[u8]) -> String {
    // Independent reference: bitwise CRC-32 (IEEE), not the server's implementation.
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    base64::engine::general_purpose::STANDARD.encode((!crc).to_be_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_chunked_with_trailing_checksums() {
    let ts = TestServer::start().await;
    setup(&ts, "trail").await;
    let host = ts.host();
    let payload = b"trailing checksum payload".repeat(1000);
    let at = OffsetDateTime::now_utc();
    let extra = vec![
        ("content-encoding".to_string(), "aws-chunked".to_string()),
        (
            "x-amz-decoded-content-length".to_string(),
            payload.len().to_string(),
        ),
        (
            "x-amz-trailer".to_string(),
            "x-amz-checksum-crc32".to_string(),
        ),
    ];
    let good = vec![("x-amz-checksum-crc32".to_string(), crc32_b64(&payload))];
    let bad = vec![(
        "x-amz-checksum-crc32".to_string(),
        crc32_b64(b"something else"),
    )];

    // Signed chunks + signed trailer.
    for (key, trailers, want) in [("signed-ok", &good, 200u16), ("signed-bad", &bad, 400)] {
        let path = encode_object_path("trail", key);
        let h = signed_headers(
            &host,
            "PUT",
            &path,
            "",
            &extra,
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            at,
        );
        let seed = seed_signature(&h).unwrap();
        let mut signer = ChunkedSigner::new(SECRET_KEY, at, REGION, "s3", &seed);
        let body = chunked_body(&mut signer, &payload, 8192, Some(trailers));
        let r = raw_request(ts.addr, "PUT", &path, &refs(&h), &body).await;
        assert_eq!(r.status, want, "{key}: {}", r.text());
        if want == 200 {
            assert_eq!(r.header("x-amz-checksum-crc32"), Some(good[0].1.as_str()));
        } else {
            assert_eq!(xml_field(&r.text(), "Code").as_deref(), Some("BadDigest"));
        }
    }
    assert_eq!(read_back(&ts, "trail", "signed-ok").await.unwrap(), payload);
    assert!(read_back(&ts, "trail", "signed-bad").await.is_none());

    // Unsigned chunks + trailer (what current SDKs send by default).
    for (key, trailers, want) in [("unsigned-ok", &good, 200u16), ("unsigned-bad", &bad, 400)] {
        let path = encode_object_path("trail", key);
        let h = signed_headers(
            &host,
            "PUT",
            &path,
            "",
            &extra,
            "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            at,
        );
        let mut body = Vec::new();
        for c in payload.chunks(5000) {
            body.extend(frame_unsigned_chunk(c));
        }
        body.extend(frame_unsigned_final(trailers));
        let r = raw_request(ts.addr, "PUT", &path, &refs(&h), &body).await;
        assert_eq!(r.status, want, "{key}: {}", r.text());
    }
    assert_eq!(
        read_back(&ts, "trail", "unsigned-ok").await.unwrap(),
        payload
    );
    assert!(read_back(&ts, "trail", "unsigned-bad").await.is_none());
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_is_honoured() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ts = TestServer::start().await;
    setup(&ts, "cont").await;
    let url = ts.presign("PUT", "cont", "k", 600);
    let target = common::target_of(&url).to_string();
    let mut s = tokio::net::TcpStream::connect(ts.addr).await.unwrap();
    let head = format!("PUT {target} HTTP/1.1\r\nhost: {}\r\ncontent-length: 5\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n", ts.addr);
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    s.write_all(b"hello").await.unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).await.unwrap();
    let r = common::parse_response(&rest);
    assert_eq!(r.status, 200, "{}", r.text());

    // A refused request is answered without asking for the body.
    let mut s = tokio::net::TcpStream::connect(ts.addr).await.unwrap();
    let head = format!("PUT /cont/anon HTTP/1.1\r\nhost: {}\r\ncontent-length: 5\r\nexpect: 100-continue\r\nconnection: close\r\n\r\n", ts.addr);
    s.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    let r = common::parse_response(&out);
    assert_eq!(r.status, 403);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_host_style_buckets() {
    let ts = TestServer::start_with(|c| c.domain = Some("s3.sluice.test".into())).await;
    setup(&ts, "vhost").await;
    let port = ts.addr.port();
    let host = format!("vhost.s3.sluice.test:{port}");
    let h = signed_headers(
        &host,
        "PUT",
        "/dir/key%20one",
        "",
        &[],
        "UNSIGNED-PAYLOAD",
        OffsetDateTime::now_utc(),
    );
    // The Host header names the bucket, so send the request with that host.
    let r = raw_with_host(ts.addr, "PUT", "/dir/key%20one", &host, &refs(&h), b"vh").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(read_back(&ts, "vhost", "dir/key one").await.unwrap(), b"vh");
    let h = signed_headers(
        &host,
        "GET",
        "/",
        "list-type=2",
        &[],
        "UNSIGNED-PAYLOAD",
        OffsetDateTime::now_utc(),
    );
    let r = raw_with_host(ts.addr, "GET", "/?list-type=2", &host, &refs(&h), b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<Key>dir/key one</Key>"));
    ts.stop().await;
}

async fn raw_with_host(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> common::RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    common::parse_response(&buf)
}
