//! Crash consistency: concurrent presigned uploads (single PUT and multipart) while the server is
//! killed with SIGKILL at random points; after each restart every acknowledged object reads back
//! byte-exact, no object holds a mix or a prefix of a body, and `sluice check` finds no damage.
//! Rounds: 20 by default; `SLUICE_CRASH_ROUNDS=N` for another count.

mod common;

use common::process::ServerProcess;
use md5::{Digest, Md5};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Deterministic body for a key: its length (1 B .. 1 MiB) and bytes follow from the key alone.
fn body_for(key: &str) -> Vec<u8> {
    let seed = Md5::digest(key.as_bytes());
    let mut x = u64::from_be_bytes([
        seed[0], seed[1], seed[2], seed[3], seed[4], seed[5], seed[6], seed[7],
    ]) | 1;
    let len = 1 + (x as usize % (1024 * 1024));
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn sdk(addr: std::net::SocketAddr) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Region};
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .endpoint_url(format!("http://{addr}"))
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            common::ACCESS_KEY,
            common::SECRET_KEY,
            None,
            None,
            "t",
        ))
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn presign_put(addr: std::net::SocketAddr, key: &str) -> String {
    let path = sluice_sigv4::encode_object_path("crash", key);
    let host = addr.to_string();
    let q = sluice_sigv4::presign_v4(
        &common::creds(),
        &sluice_sigv4::PresignRequest {
            method: "PUT",
            host: &host,
            raw_path: &path,
            query: &[],
            headers: &[],
            region: common::REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
            expires_in: 600,
        },
    );
    format!("http://{host}{path}?{q}")
}

async fn multipart(s3: &aws_sdk_s3::Client, key: &str) -> bool {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let Ok(up) = s3
        .create_multipart_upload()
        .bucket("crash")
        .key(key)
        .send()
        .await
    else {
        return false;
    };
    let id = up.upload_id().unwrap_or_default().to_string();
    // Two parts: 5 MiB (the minimum for a non-last part) and a key-dependent tail.
    let whole = multipart_body(key);
    let chunks: Vec<Vec<u8>> = vec![
        whole[..5 * 1024 * 1024].to_vec(),
        whole[5 * 1024 * 1024..].to_vec(),
    ];
    let mut parts = Vec::new();
    for (i, c) in chunks.into_iter().enumerate() {
        let n = i as i32 + 1;
        match s3
            .upload_part()
            .bucket("crash")
            .key(key)
            .upload_id(&id)
            .part_number(n)
            .body(c.into())
            .send()
            .await
        {
            Ok(p) => parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .e_tag(p.e_tag().unwrap_or_default())
                    .build(),
            ),
            Err(_) => return false,
        }
    }
    s3.complete_multipart_upload()
        .bucket("crash")
        .key(key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .is_ok()
}

/// `workers` concurrent uploaders of round `round` until the server dies: worker 0 multipart,
/// the others presigned PUTs; each acknowledged key goes into `acked`.
fn spawn_uploaders(
    round: usize,
    addr: std::net::SocketAddr,
    s3: &aws_sdk_s3::Client,
    acked: &Arc<Mutex<BTreeMap<String, ()>>>,
    workers: usize,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..workers)
        .map(|worker| {
            let acked = acked.clone();
            let s3 = s3.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for i in 0.. {
                    let key = if worker == 0 {
                        format!("mp-r{round}-{i}")
                    } else {
                        format!("r{round}-w{worker}-{i}")
                    };
                    let ok = if worker == 0 {
                        multipart(&s3, &key).await
                    } else {
                        let resp = http
                            .put(presign_put(addr, &key))
                            .body(body_for(&key))
                            .send()
                            .await;
                        match resp {
                            Ok(r) if r.status() == 200 => true,
                            Ok(r) => {
                                eprintln!(
                                    "worker {worker}: {} {}",
                                    r.status(),
                                    r.text().await.unwrap_or_default()
                                );
                                false
                            }
                            Err(e) => {
                                eprintln!("worker {worker}: {e}");
                                false
                            }
                        }
                    };
                    if !ok {
                        return;
                    }
                    acked.lock().unwrap().insert(key, ());
                }
            })
        })
        .collect()
}

/// Multipart bodies: 5 MiB + a key-dependent tail.
fn multipart_body(key: &str) -> Vec<u8> {
    let mut v = body_for(&format!("{key}/head"));
    v.resize(5 * 1024 * 1024, 0x5A);
    v.extend_from_slice(&body_for(key));
    v
}

fn expected_body(key: &str) -> Vec<u8> {
    if key.starts_with("mp-") {
        multipart_body(key)
    } else {
        body_for(key)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_uploads_never_loses_or_mixes_acknowledged_bytes() {
    let rounds: usize = std::env::var("SLUICE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let env = [
        ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
        ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
        ("RUST_LOG", "warn"),
    ];
    let acked: Arc<Mutex<BTreeMap<String, ()>>> = Arc::default();
    let mut seed = 0x5EEDu64;
    for round in 0..rounds {
        let mut server =
            ServerProcess::start(&["--data-dir", &data, "--listen", "127.0.0.1:0"], &env);
        let addr = server.addr;
        let s3 = sdk(addr);
        if round == 0 {
            s3.create_bucket().bucket("crash").send().await.unwrap();
        }
        // Everything acknowledged so far is intact after the restart.
        let snapshot = acked.lock().unwrap().clone();
        verify(&s3, &snapshot, round).await;

        let tasks = spawn_uploaders(round, addr, &s3, &acked, 6);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = 300 + seed % 900;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let _ = server.child.kill();
        let _ = server.child.wait();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
        }
    }
    let server = ServerProcess::start(&["--data-dir", &data, "--listen", "127.0.0.1:0"], &env);
    let s3 = sdk(server.addr);
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= rounds,
        "the run acknowledged too little to prove anything ({})",
        acked.len()
    );
    verify(&s3, &acked, rounds).await;
    assert_eq!(server.terminate(), Some(0));
    // Offline: no object's bytes disagree with its metadata; leftovers (if any) are only orphans/temp files.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check", "--data-dir", &data, "--repair"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" 0 damaged"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "crash rounds: {rounds}; acknowledged objects verified: {}; {}",
        acked.len(),
        text.lines().last().unwrap_or_default()
    );
}

/// Every listed object is whole (never a mix or a prefix) and every acknowledged key is listed.
async fn verify(s3: &aws_sdk_s3::Client, acked: &BTreeMap<String, ()>, round: usize) {
    let mut listed = Vec::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("crash")
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        listed.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        if page.is_truncated() != Some(true) {
            break;
        }
        token = page.next_continuation_token().map(str::to_string);
    }
    for key in acked.keys() {
        assert!(
            listed.contains(key),
            "round {round}: acknowledged {key} lost"
        );
    }
    for key in &listed {
        let got = s3
            .get_object()
            .bucket("crash")
            .key(key)
            .send()
            .await
            .unwrap();
        let bytes = got.body.collect().await.unwrap().into_bytes();
        assert!(
            bytes[..] == expected_body(key)[..],
            "round {round}: {key} holds {} bytes that are not its body",
            bytes.len()
        );
    }
}

/// A webhook receiver for the crash test: records every delivery's `webhook-id` and message,
/// answers 200. Plain HTTP/1.1 with keep-alive, enough for the server's client.
async fn webhook_receiver() -> (u16, Arc<Mutex<Vec<(String, serde_json::Value)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 8192];
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    let header = |name: &str| {
                        head.lines()
                            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                            .map(|v| v.trim().to_string())
                    };
                    let len: usize = header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        let mut chunk = [0u8; 8192];
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body: Vec<u8> = buf.drain(..head_end + len).skip(head_end).collect();
                    if let Ok(v) = serde_json::from_slice(&body) {
                        let id = header("webhook-id").unwrap_or_default();
                        store.lock().unwrap().push((id, v));
                    }
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if conn.write_all(ok).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, got)
}

/// SIGKILL rounds during concurrent presigned uploads into a bucket that notifies a webhook:
/// after the final restart and drain, every acknowledged object has at least one delivered
/// event with its ETag, and every event names an object that is stored with that ETag (none
/// for a write that was rolled back). Rounds: 8 by default; `SLUICE_CRASH_ROUNDS=N`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_uploads_loses_no_event_and_invents_none() {
    let rounds: usize = std::env::var("SLUICE_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let (port, received) = webhook_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("sluice.toml");
    std::fs::write(
        &config,
        format!(
            "[[notify.targets]]\nid = \"hook\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:{port}/\"\n\
             secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n"
        ),
    )
    .unwrap();
    let (data, config) = (data.to_str().unwrap(), config.to_str().unwrap());
    let args = [
        "--data-dir",
        data,
        "--listen",
        "127.0.0.1:0",
        "--config",
        config,
    ];
    let env = [
        ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
        ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
        ("RUST_LOG", "warn"),
    ];
    let acked: Arc<Mutex<BTreeMap<String, ()>>> = Arc::default();
    let mut seed = 0xE7E7u64;
    for round in 0..rounds {
        let mut server = ServerProcess::start(&args, &env);
        let addr = server.addr;
        let s3 = sdk(addr);
        if round == 0 {
            use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
            s3.create_bucket().bucket("crash").send().await.unwrap();
            let queue = QueueConfiguration::builder()
                .queue_arn("arn:sluice:sqs:us-east-1:hook:webhook")
                .events(Event::from("s3:ObjectCreated:*"))
                .build()
                .unwrap();
            s3.put_bucket_notification_configuration()
                .bucket("crash")
                .notification_configuration(
                    NotificationConfiguration::builder()
                        .queue_configurations(queue)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
        let tasks = spawn_uploaders(round, addr, &s3, &acked, 5);
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(300 + seed % 900)).await;
        let _ = server.child.kill();
        let _ = server.child.wait();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
        }
    }
    let server = ServerProcess::start(&args, &env);
    let s3 = sdk(server.addr);
    // Stored objects and their ETags.
    let mut stored: BTreeMap<String, String> = BTreeMap::new();
    let mut token = None;
    loop {
        let page = s3
            .list_objects_v2()
            .bucket("crash")
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        for o in page.contents() {
            let etag = o.e_tag().unwrap_or_default().trim_matches('"').to_string();
            stored.insert(o.key().unwrap_or_default().to_string(), etag);
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        token = page.next_continuation_token().map(str::to_string);
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= rounds,
        "too few uploads acknowledged ({})",
        acked.len()
    );
    // Drain: wait until every stored object has an event (bounded).
    let event_keys = |got: &[(String, serde_json::Value)]| -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (_, msg) in got {
            let o = &msg["Records"][0]["s3"]["object"];
            let key = o["key"].as_str().unwrap_or_default().replace('+', " ");
            let etag = o["eTag"].as_str().unwrap_or_default().to_string();
            m.entry(key).or_default().push(etag);
        }
        m
    };
    let mut events = BTreeMap::new();
    for _ in 0..600 {
        events = event_keys(&received.lock().unwrap());
        if stored.keys().all(|k| events.contains_key(k)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for key in acked.keys() {
        let etag = stored
            .get(key)
            .unwrap_or_else(|| panic!("acknowledged {key} lost"));
        let got = events
            .get(key)
            .unwrap_or_else(|| panic!("acknowledged {key} has no event"));
        assert!(
            got.contains(etag),
            "{key}: events {got:?}, object ETag {etag}"
        );
    }
    for (key, etags) in &events {
        let etag = stored
            .get(key)
            .unwrap_or_else(|| panic!("an event names {key}, which is not stored"));
        assert!(
            etags.iter().all(|e| e == etag),
            "{key}: {etags:?} vs {etag}"
        );
    }
    let total = received.lock().unwrap().len();
    let ids: std::collections::BTreeSet<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(server.terminate(), Some(0));
    println!(
        "notification crash rounds: {rounds}; acknowledged objects: {}; stored: {}; events delivered: {total}; \
         distinct events: {}; duplicates: {}",
        acked.len(),
        stored.len(),
        ids.len(),
        total - ids.len()
    );
}
