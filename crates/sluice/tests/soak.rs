//! Soak: mixed presigned PUT / GET / multipart / list from 64 connections against the real
//! binary for `SLUICE_SOAK_SECS` (default 20; the long run is `SLUICE_SOAK_SECS=600`).
//! Asserts zero errors, and that RSS (VmRSS) and open file descriptors stay flat: the last
//! third of the samples against the first third, with a margin.

mod common;

use common::process::ServerProcess;
use common::{creds, xml_field, ACCESS_KEY, REGION, SECRET_KEY};
use sluice_sigv4::{encode_object_path, presign_v4, PresignRequest};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WORKERS: usize = 64;
const KEYS_PER_WORKER: u64 = 4;
const BUCKET: &str = "soak";

fn url(host: &str, method: &str, key: &str, query: &[(&str, &str)]) -> String {
    let path = if key.is_empty() {
        format!("/{BUCKET}")
    } else {
        encode_object_path(BUCKET, key)
    };
    let query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let q = presign_v4(
        &creds(),
        &PresignRequest {
            method,
            host,
            raw_path: &path,
            query: &query,
            headers: &[],
            region: REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
            expires_in: 600,
        },
    );
    format!("http://{host}{path}?{q}")
}

fn body(worker: usize, iter: u64) -> Vec<u8> {
    // One body in eight spans up to 1 MiB, so large bodies (written and hashed in shared
    // batches) mix with small ones (hashed inline, stored in the database tier).
    let span: u64 = if iter % 8 == 7 { 1 << 20 } else { 256 << 10 };
    let len = 1024 + ((worker as u64 * 7919 + iter * 104_729) % span) as usize;
    let seed = (worker as u64 * 31 + iter) as u8;
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed))
        .collect()
}

/// One operation; `Err` describes anything but the expected outcome.
async fn step(c: &reqwest::Client, host: &str, worker: usize, iter: u64) -> Result<(), String> {
    let key = format!("w{worker}/k{}", iter % KEYS_PER_WORKER);
    match iter % 10 {
        7 => {
            let prefix = format!("w{worker}/");
            let u = url(host, "GET", "", &[("list-type", "2"), ("prefix", &prefix)]);
            let r = c.get(u).send().await.map_err(|e| format!("list: {e}"))?;
            let status = r.status().as_u16();
            let text = r.text().await.map_err(|e| format!("list body: {e}"))?;
            if status != 200 || !text.contains("<ListBucketResult") {
                return Err(format!("list: {status} {text}"));
            }
        }
        9 => {
            let u = url(host, "POST", &key, &[("uploads", "")]);
            let r = c.post(u).send().await.map_err(|e| format!("create: {e}"))?;
            let text = r.text().await.map_err(|e| format!("create body: {e}"))?;
            let id = xml_field(&text, "UploadId").ok_or(format!("create: {text}"))?;
            let data = body(worker, iter);
            let u = url(host, "PUT", &key, &[("partNumber", "1"), ("uploadId", &id)]);
            let r = c.put(u).body(data.clone()).send().await;
            let r = r.map_err(|e| format!("part: {e}"))?;
            let etag = r
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .ok_or(format!("part: {}", r.status()))?;
            let doc = format!(
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"
            );
            let u = url(host, "POST", &key, &[("uploadId", &id)]);
            let r = c.post(u).body(doc).send().await;
            let r = r.map_err(|e| format!("complete: {e}"))?;
            let status = r.status().as_u16();
            let text = r.text().await.map_err(|e| format!("complete body: {e}"))?;
            if status != 200 || !text.contains("<CompleteMultipartUploadResult") {
                return Err(format!("complete: {status} {text}"));
            }
            read_back(c, host, &key, &data).await?;
        }
        _ => {
            let data = body(worker, iter);
            let r = c
                .put(url(host, "PUT", &key, &[]))
                .body(data.clone())
                .send()
                .await;
            let r = r.map_err(|e| format!("put: {e}"))?;
            if r.status() != 200 {
                return Err(format!("put: {}", r.status()));
            }
            read_back(c, host, &key, &data).await?;
        }
    }
    Ok(())
}

async fn read_back(c: &reqwest::Client, host: &str, key: &str, want: &[u8]) -> Result<(), String> {
    let r = c.get(url(host, "GET", key, &[])).send().await;
    let r = r.map_err(|e| format!("get: {e}"))?;
    if r.status() != 200 {
        return Err(format!("get {key}: {}", r.status()));
    }
    let got = r.bytes().await.map_err(|e| format!("get body: {e}"))?;
    if got != want {
        return Err(format!(
            "get {key}: {} bytes differ from what was written",
            got.len()
        ));
    }
    Ok(())
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn third_max(samples: &[(u64, usize)], which: usize, pick: impl Fn(&(u64, usize)) -> u64) -> u64 {
    let n = samples.len() / 3;
    samples[which * n..(which + 1) * n]
        .iter()
        .map(pick)
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_mixed_presigned_traffic_keeps_memory_and_fds_flat() {
    let secs: u64 = std::env::var("SLUICE_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[
            ("SLUICE_ROOT_ACCESS_KEY", ACCESS_KEY),
            ("SLUICE_ROOT_SECRET_KEY", SECRET_KEY),
            ("RUST_LOG", "warn"),
        ],
    );
    let pid = server.pid();
    let host = server.addr.to_string();
    let c = common::http();
    let r = c.put(url(&host, "PUT", "", &[])).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let stop = Arc::new(AtomicBool::new(false));
    let ops = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let (stop, ops, errors, host) = (stop.clone(), ops.clone(), errors.clone(), host.clone());
        tasks.push(tokio::spawn(async move {
            // One client per worker, one kept-alive connection each: 64 connections.
            let c = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
            let mut iter = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if let Err(e) = step(&c, &host, worker, iter).await {
                    errors
                        .lock()
                        .unwrap()
                        .push(format!("worker {worker} op {iter}: {e}"));
                }
                ops.fetch_add(1, Ordering::Relaxed);
                iter += 1;
            }
        }));
    }
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < Duration::from_secs(secs) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        samples.push((server.rss_kib(), open_fds(pid)));
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    // Once the clients are gone, their connections and files must be too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let fds_after = open_fds(pid) as u64;
    let total = ops.load(Ordering::Relaxed);
    let errors = errors.lock().unwrap().clone();
    let rss = |s: &(u64, usize)| s.0;
    let fds = |s: &(u64, usize)| s.1 as u64;
    let (rss_first, rss_last) = (third_max(&samples, 0, rss), third_max(&samples, 2, rss));
    let (fd_first, fd_last) = (third_max(&samples, 0, fds), third_max(&samples, 2, fds));
    let timeline: Vec<String> = (0..10)
        .filter_map(|i| samples.get(i * samples.len() / 10))
        .map(|s| format!("{:.1}", s.0 as f64 / 1024.0))
        .collect();
    println!(
        "soak: VmRSS MiB at each tenth of the run: {}",
        timeline.join(" ")
    );
    println!(
        "soak: {secs} s, {WORKERS} connections, {total} operations ({:.0}/s), {} errors; \
         peak VmRSS first third {rss_first} KiB, last third {rss_last} KiB, VmHWM {} KiB; \
         open fds first third {fd_first}, last third {fd_last}, after the load {fds_after}",
        total as f64 / elapsed,
        errors.len(),
        server.peak_rss_kib()
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(samples.len() >= 6, "too few samples");
    assert!(
        rss_last <= rss_first + rss_first / 4 + 16 * 1024,
        "RSS grew: {rss_first} KiB -> {rss_last} KiB"
    );
    // Under load the count moves with the requests in flight (sockets, blob files, SQLite
    // readers); a leak shows as growth beyond that and as descriptors left after the load.
    assert!(
        fd_last <= fd_first + WORKERS as u64 / 2,
        "fds grew: {fd_first} -> {fd_last}"
    );
    assert!(
        fds_after <= fd_first,
        "descriptors left after the load: {fds_after} (under load: {fd_first})"
    );
    assert_eq!(server.terminate(), Some(0));
}
