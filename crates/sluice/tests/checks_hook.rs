//! Verified commit (issue 23): the blocking hook (`tests/checks/check_hook.py`, run with
//! `SLUICE_WEBHOOK_PYTHON` when set, which verifies signatures with `standardwebhooks`, else
//! `python3`): allow, refuse, metadata, timeout, the pending-bytes URL, metrics, and SIGKILL
//! rounds while verdicts are pending.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::checks::*;
use common::{http, TestServer};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

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

    // The metrics count verdicts and time the hook (the recorder is process-wide: the other test
    // of this file runs its servers as child processes, so the counts are this test's).
    let m = ts.metrics().await;
    let sample = |name: &str| common::sample_of(&m, name).unwrap_or_else(|| panic!("{name}: {m}"));
    assert_eq!(
        sample(r#"sluice_upload_checks_total{verdict="accepted"}"#),
        3.0
    );
    assert_eq!(
        sample(r#"sluice_upload_checks_total{verdict="sniff"}"#),
        1.0
    );
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
                        // Larger than the inline limit: a blob file of its own, written
                        // before the checks run.
                        .body(ByteStream::from(vec![b'0' + round as u8; 200 * 1024]))
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
        // The killed uploads' blobs are gone after the first sweep of the restarted server
        // (written before it started, however recently): only the old versions' remain.
        let started = Instant::now();
        while common::stored_blobs(&data) != UPLOADS {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "round {round}: {} blobs stored, {UPLOADS} referenced",
                common::stored_blobs(&data)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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
