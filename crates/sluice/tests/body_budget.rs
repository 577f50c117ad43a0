//! The server-wide cap on in-flight body bytes (`max_inflight_body_bytes`): uploads beyond it
//! wait with their sockets unread (back-pressure) instead of buffering; quiet uploads give
//! their budget back so slow clients cannot starve the others; every upload still completes
//! byte-exact and the budget returns to zero. Observed from outside, through `/_sluice/metrics`.

mod common;

use common::TestServer;
use sluice_store::fault::{FaultPlan, FaultyBlobStore};
use sluice_store::BlobStore;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BUDGET: usize = 4 << 20;
const BUCKET: &str = "budget";

/// A server with a 4 MiB body budget over a blob store whose flushes `plan` can slow down.
async fn start(plan: &FaultPlan) -> TestServer {
    let p = plan.clone();
    let wrap: sluice_server::startup::StoreWrapper = Box::new(move |meta, blobs| {
        let blobs: Arc<dyn BlobStore> = Arc::new(FaultyBlobStore::new(blobs, p));
        (meta, blobs)
    });
    let ts = TestServer::start_wrapped(|c| c.max_inflight_body_bytes = BUDGET, Some(wrap)).await;
    ts.create_bucket(BUCKET).await;
    ts
}

fn body_for(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| ((i * 131 + j * 7) % 251) as u8).collect()
}

async fn put(ts: &TestServer, key: &str, body: Vec<u8>) -> u16 {
    common::http()
        .put(ts.presign("PUT", BUCKET, key, 600))
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn read_back(ts: &TestServer, key: &str) -> Vec<u8> {
    let resp = common::http()
        .get(ts.presign("GET", BUCKET, key, 600))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "GET {key}");
    resp.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_beyond_the_budget_wait_and_all_complete() {
    let plan = FaultPlan::new();
    // A slow disk: every 1 MiB buffer flush takes 60 ms more, so uploads hold their bytes.
    plan.slow_flushes(Some(Duration::from_millis(60)));
    let ts = start(&plan).await;
    assert_eq!(
        ts.gauge("sluice_inflight_body_bytes_limit").await,
        BUDGET as f64
    );

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (done, endpoint) = (done.clone(), ts.endpoint());
        tokio::spawn(async move {
            let (mut max_bytes, mut max_waiting) = (0f64, 0f64);
            while !done.load(Ordering::Relaxed) {
                let text = common::metrics_text(&endpoint).await;
                let value = |name| common::sample_of(&text, name).unwrap_or(0.0);
                max_bytes = max_bytes.max(value("sluice_inflight_body_bytes"));
                max_waiting = max_waiting.max(value("sluice_body_budget_waiting"));
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (max_bytes, max_waiting)
        })
    };

    // Twelve 6 MiB uploads at once would hold ~12 MiB of buffers without the cap.
    const N: usize = 12;
    const LEN: usize = 6 << 20;
    let mut uploads = Vec::new();
    for i in 0..N {
        let ts_endpoint = ts.presign("PUT", BUCKET, &format!("k{i}"), 600);
        uploads.push(tokio::spawn(async move {
            common::http()
                .put(ts_endpoint)
                .body(body_for(i, LEN))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for u in uploads {
        assert_eq!(u.await.unwrap(), 200);
    }
    done.store(true, Ordering::Relaxed);
    let (max_bytes, max_waiting) = sampler.await.unwrap();
    assert!(max_bytes <= BUDGET as f64, "held {max_bytes} > {BUDGET}");
    assert!(max_bytes > 0.0, "the budget was never used");
    assert!(
        max_waiting >= 1.0,
        "no upload ever waited: back-pressure never engaged"
    );
    for i in 0..N {
        assert!(
            read_back(&ts, &format!("k{i}")).await == body_for(i, LEN),
            "k{i}"
        );
    }
    assert_budget_given_back(&ts).await;
    assert_eq!(ts.gauge("sluice_body_budget_waiting").await, 0.0);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quiet_uploads_give_their_budget_back() {
    let plan = FaultPlan::new();
    let ts = start(&plan).await;
    // Six clients send 900 KiB of a 2 MiB body (under one buffer: nothing is flushed by
    // size), then go quiet. Without spilling they would pin 5.4 MiB, more than the budget.
    const SENT: usize = 900 << 10;
    const LEN: usize = 2 << 20;
    let mut paused = Vec::new();
    for i in 0..6 {
        let url = ts.presign("PUT", BUCKET, &format!("slow{i}"), 600);
        let mut s = TcpStream::connect(ts.addr).await.unwrap();
        let head = format!(
            "PUT {} HTTP/1.1\r\nhost: {}\r\ncontent-length: {LEN}\r\n\r\n",
            common::target_of(&url),
            ts.addr
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body_for(i, LEN)[..SENT]).await.unwrap();
        paused.push(s);
    }
    // Quiet for longer than the spill delay: the held bytes went to disk and back to the pool.
    let mut released = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if ts.gauge("sluice_inflight_body_bytes").await == 0.0 {
            released = true;
            break;
        }
    }
    assert!(released, "quiet uploads kept their budget");
    assert!(ts.gauge("sluice_requests_in_flight").await >= 6.0);
    // A fast client is not held up by the quiet ones.
    let big = body_for(99, 9 << 20);
    let status = tokio::time::timeout(Duration::from_secs(20), put(&ts, "fast", big.clone()))
        .await
        .expect("a fast upload must not wait for quiet clients");
    assert_eq!(status, 200);
    assert!(read_back(&ts, "fast").await == big);
    // The quiet clients finish; their objects are whole.
    for (i, s) in paused.iter_mut().enumerate() {
        s.write_all(&body_for(i, LEN)[SENT..]).await.unwrap();
    }
    for (i, mut s) in paused.into_iter().enumerate() {
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("answer")
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 200"), "slow{i}: {text}");
        assert!(read_back(&ts, &format!("slow{i}")).await == body_for(i, LEN));
    }
    assert_budget_given_back(&ts).await;
    ts.stop().await;
}

/// Every in-flight body byte is given back. The budget comes back when each request's task
/// ends, which can be just after its answer reached the client: wait up to 5 s for it.
async fn assert_budget_given_back(ts: &TestServer) {
    let mut left = f64::NAN;
    for _ in 0..50 {
        left = ts.gauge("sluice_inflight_body_bytes").await;
        if left == 0.0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0.0, "in-flight body bytes not given back");
}
