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

        let mut tasks = Vec::new();
        for worker in 0..6 {
            let acked = acked.clone();
            let s3 = s3.clone();
            tasks.push(tokio::spawn(async move {
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
                    if ok {
                        acked.lock().unwrap().insert(key, ());
                    } else {
                        return;
                    }
                }
            }));
        }
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
