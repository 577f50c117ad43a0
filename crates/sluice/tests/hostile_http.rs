//! Hostile HTTP with raw sockets: slow headers, too many headers, the connection cap.

mod common;

use common::TestServer;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn read_some(s: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(within, s.read(&mut buf)).await {
        Ok(Ok(n)) => Some(buf[..n].to_vec()),
        Ok(Err(_)) => Some(Vec::new()),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    let ts = TestServer::start_with(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut s = TcpStream::connect(ts.addr).await.unwrap();
    s.write_all(b"GET /_sluice/health/live HTTP/1.1\r\nhost: x\r\nx-slow: ")
        .await
        .unwrap();
    // No more bytes: the server gives up after the header timeout and closes (or answers 408).
    let got = read_some(&mut s, Duration::from_secs(5))
        .await
        .expect("server must not wait forever");
    let text = String::from_utf8_lossy(&got);
    assert!(got.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
    // A prompt client on a new connection is served.
    let r = common::raw_request(ts.addr, "GET", "/_sluice/health/live", &[], b"").await;
    assert_eq!(r.status, 200);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_headers_get_431() {
    let ts = TestServer::start().await;
    let mut s = TcpStream::connect(ts.addr).await.unwrap();
    let mut req = String::from("GET /_sluice/health/live HTTP/1.1\r\nhost: x\r\n");
    for i in 0..150 {
        req.push_str(&format!("x-h{i}: v\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let got = read_some(&mut s, Duration::from_secs(5)).await.unwrap();
    assert!(
        String::from_utf8_lossy(&got).starts_with("HTTP/1.1 431"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_queues_extra_clients() {
    let ts = TestServer::start_with(|c| c.max_connections = 2).await;
    let req = format!(
        "GET /_sluice/health/live HTTP/1.1\r\nhost: {}\r\n\r\n",
        ts.addr
    );
    // Two keep-alive connections hold both slots.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(ts.addr).await.unwrap();
        s.write_all(req.as_bytes()).await.unwrap();
        let got = read_some(&mut s, Duration::from_secs(5)).await.unwrap();
        assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    // A third client connects (kernel backlog) but is not served while the cap is reached.
    let mut third = TcpStream::connect(ts.addr).await.unwrap();
    third.write_all(req.as_bytes()).await.unwrap();
    assert!(
        read_some(&mut third, Duration::from_millis(700))
            .await
            .is_none(),
        "served beyond the cap"
    );
    // Freeing one slot lets it through.
    drop(held.pop());
    let got = read_some(&mut third, Duration::from_secs(5))
        .await
        .expect("served once a slot frees");
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
    drop(held);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_time_out_and_store_nothing() {
    let ts = TestServer::start_with(|c| c.body_idle_timeout = Duration::from_secs(1)).await;
    ts.sdk()
        .create_bucket()
        .bucket("stall")
        .send()
        .await
        .unwrap();
    let url = ts.presign("PUT", "stall", "k", 600);
    let mut s = TcpStream::connect(ts.addr).await.unwrap();
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: {}\r\ncontent-length: 100\r\n\r\n",
        common::target_of(&url),
        ts.addr
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&[b'x'; 10]).await.unwrap();
    let got = read_some(&mut s, Duration::from_secs(5))
        .await
        .expect("the server must answer a stalled body");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("RequestTimeout"), "{text}");
    assert!(
        ts.sdk()
            .head_object()
            .bucket("stall")
            .key("k")
            .send()
            .await
            .is_err(),
        "nothing stored"
    );
    ts.stop().await;
}

/// Sends a request head (and `body`) on a fresh connection; returns the first response bytes.
async fn exchange(ts: &TestServer, head: &str, body: &[u8]) -> String {
    let mut s = TcpStream::connect(ts.addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    // The server may answer and close before taking the whole body: ignore write errors.
    let _ = s.write_all(body).await;
    let got = read_some(&mut s, Duration::from_secs(10))
        .await
        .expect("the server must answer");
    String::from_utf8_lossy(&got).into_owned()
}

fn assert_s3_error(resp: &str, status: u16, code: &str) {
    assert!(
        resp.starts_with(&format!("HTTP/1.1 {status} ")),
        "want {status} {code}, got: {resp}"
    );
    assert!(resp.contains(&format!("<Code>{code}</Code>")), "{resp}");
}

/// A PUT to `url` announcing `len` bytes and waiting for `100 Continue` is refused with
/// `EntityTooLarge` before the server asks for any body byte.
async fn refused_before_body(ts: &TestServer, url: &str, len: u64) {
    let host = ts.addr;
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {len}\r\nexpect: 100-continue\r\n\r\n",
        common::target_of(url)
    );
    let resp = exchange(ts, &head, b"").await;
    assert!(!resp.contains("100 Continue"), "{resp}");
    assert_s3_error(&resp, 400, "EntityTooLarge");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_size_limits_answer_with_s3_errors() {
    const B: &str = "limits";
    let ts = TestServer::start_with_bucket(B).await;
    let host = ts.addr.to_string();
    let target = |url: &str| common::target_of(url).to_string();
    let now = time::OffsetDateTime::now_utc();

    // Header section over 8 KiB (AWS: 400 RequestHeaderSectionTooLarge).
    let url = ts.presign("PUT", B, "k", 600);
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 1\r\nx-junk: {}\r\n\r\n",
        target(&url),
        "j".repeat(9000)
    );
    assert_s3_error(
        &exchange(&ts, &head, b"x").await,
        400,
        "RequestHeaderSectionTooLarge",
    );

    // Request target over 16 KiB.
    let head = format!(
        "GET /{B}/k?x={} HTTP/1.1\r\nhost: {host}\r\n\r\n",
        "q".repeat(17 * 1024)
    );
    assert_s3_error(&exchange(&ts, &head, b"").await, 414, "RequestURITooLong");

    // Key of 1,025 bytes (the limit is 1,024).
    let url = ts.presign("PUT", B, &"k".repeat(1025), 600);
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 1\r\n\r\n",
        target(&url)
    );
    assert_s3_error(&exchange(&ts, &head, b"x").await, 400, "KeyTooLongError");
    let url = ts.presign("PUT", B, &"k".repeat(1024), 600);
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 1\r\nconnection: close\r\n\r\n",
        target(&url)
    );
    assert!(exchange(&ts, &head, b"x").await.starts_with("HTTP/1.1 200"));

    // User metadata over 2 KiB, signed into the URL.
    let meta = "m".repeat(2100);
    let url = ts.presign_full(
        "PUT",
        B,
        "meta",
        600,
        &[("x-amz-meta-big".to_string(), meta.clone())],
        &[],
        now,
    );
    let head = format!(
        "PUT {} HTTP/1.1\r\nhost: {host}\r\ncontent-length: 1\r\nx-amz-meta-big: {meta}\r\n\r\n",
        target(&url)
    );
    assert_s3_error(&exchange(&ts, &head, b"x").await, 400, "MetadataTooLarge");

    // Object over 5 GiB in one PUT, and a part over 5 GiB: refused before any body byte,
    // so a client waiting for `100 Continue` sends nothing.
    let too_big = 5u64 * 1024 * 1024 * 1024 + 1;
    let url = ts.presign("PUT", B, "huge", 600);
    refused_before_body(&ts, &url, too_big).await;
    let upload = ts
        .sdk()
        .create_multipart_upload()
        .bucket(B)
        .key("mp")
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap().to_string();
    let part_query = [
        ("partNumber".to_string(), "1".to_string()),
        ("uploadId".to_string(), upload_id.clone()),
    ];
    let url = ts.presign_full("PUT", B, "mp", 600, &[], &part_query, now);
    refused_before_body(&ts, &url, too_big).await;

    // An XML body over its limit (CompleteMultipartUpload: 4 MiB).
    let complete_query = [("uploadId".to_string(), upload_id)];
    let url = ts.presign_full("POST", B, "mp", 600, &[], &complete_query, now);
    let body = vec![b' '; 4 * 1024 * 1024 + 1];
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\n\r\n",
        target(&url),
        body.len()
    );
    assert_s3_error(
        &exchange(&ts, &head, &body).await,
        400,
        "MaxMessageLengthExceeded",
    );

    // Nothing was stored by the refused requests.
    let listed = ts.sdk().list_objects_v2().bucket(B).send().await.unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, vec!["k".repeat(1024).as_str()]);
    ts.stop().await;
}

/// A client that sends its whole body before reading must get the error, not a reset, when
/// the request is refused before its body is read (signature, expiry, header auth).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_before_their_body_still_get_their_error() {
    let ts = TestServer::start_with_bucket("drain").await;
    let body = vec![b'x'; 4 << 20];

    let url = ts.presign("PUT", "drain", "tampered", 300);
    let flip = if url.ends_with('0') { "1" } else { "0" };
    let tampered = format!("{}{flip}", &url[..url.len() - 1]);
    let r = common::raw_request(ts.addr, "PUT", common::target_of(&tampered), &[], &body).await;
    let text = String::from_utf8_lossy(&r.body);
    assert_eq!(r.status, 403, "{text}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");

    let url = ts.presign("PUT", "drain", "expired", 60);
    ts.clock().advance_ms(120_000);
    let r = common::raw_request(ts.addr, "PUT", common::target_of(&url), &[], &body).await;
    ts.clock().advance_ms(-120_000);
    let text = String::from_utf8_lossy(&r.body);
    assert_eq!(r.status, 403, "{text}");
    assert!(text.contains("Request has expired"), "{text}");

    let r = common::raw_request(
        ts.addr,
        "PUT",
        "/drain/unsigned",
        &[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=NOSUCHKEY/20261129/us-east-1/s3/aws4_request, \
             SignedHeaders=host, Signature=00",
        )],
        &body,
    )
    .await;
    let text = String::from_utf8_lossy(&r.body);
    assert_eq!(r.status, 403, "{text}");
    assert!(text.contains("InvalidAccessKeyId"), "{text}");
    assert_eq!(common::stored_blobs(ts.dir.path()), 0);
    ts.stop().await;
}
