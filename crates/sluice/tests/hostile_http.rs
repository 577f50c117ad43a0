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
