//! Full-disk simulation: the data dir on a small tmpfs. PUTs on a full disk fail with an S3
//! error (503 SlowDown, or 500 InternalError where SQLite reports a generic I/O error),
//! nothing is half-written, and uploads work again once space is freed.
//!
//! Needs root and `mount -t tmpfs`; skipped with a printed reason otherwise, unless
//! `SLUICE_REQUIRE_TMPFS=1` makes that a failure.

mod common;

use common::{xml_field, TestServer};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Unmounts the tmpfs when the test ends, however it ends.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        // The in-process server's background tasks may still hold files until the test's
        // runtime ends: fall back to a lazy unmount.
        let ok = Command::new("umount")
            .arg(&self.0)
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

fn mount_tmpfs(dir: &Path) -> Result<Mount, String> {
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if out.status.success() {
        Ok(Mount(dir.to_path_buf()))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Fills the file system with `path` until ENOSPC, then gives back `leave` bytes.
fn fill(path: &Path, leave: u64) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0xA5u8; 64 << 10];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling: {e}"),
        }
    }
    let _ = f.sync_all();
    let keep = written.saturating_sub(leave);
    f.set_len(keep).unwrap();
    f.sync_all().unwrap();
    keep
}

fn body(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

async fn put(ts: &TestServer, key: &str, data: Vec<u8>) -> (u16, String) {
    let resp = common::http()
        .put(ts.presign("PUT", "full", key, 300))
        .body(data)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn get(ts: &TestServer, key: &str) -> (u16, Vec<u8>) {
    let resp = common::http()
        .get(ts.presign("GET", "full", key, 300))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

fn tmp_entries(data: &Path) -> usize {
    std::fs::read_dir(data.join("tmp")).unwrap().count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_disk_refuses_uploads_cleanly_and_recovers() {
    let required = std::env::var("SLUICE_REQUIRE_TMPFS").as_deref() == Ok("1");
    let mount_point = tempfile::tempdir().unwrap();
    let _mount = match mount_tmpfs(mount_point.path()) {
        Ok(m) => m,
        Err(reason) if !required => {
            println!("skipping full-disk simulation: cannot mount a tmpfs ({reason})");
            return;
        }
        Err(reason) => panic!("SLUICE_REQUIRE_TMPFS=1 but cannot mount a tmpfs: {reason}"),
    };
    let data_dir = mount_point.path().join("data");
    let d = data_dir.clone();
    let ts = TestServer::start_with(move |cfg| cfg.data_dir = d).await;
    ts.sdk()
        .create_bucket()
        .bucket("full")
        .send()
        .await
        .unwrap();
    assert_eq!(put(&ts, "before", body(1, 100_000)).await.0, 200);

    let filler = mount_point.path().join("filler");
    let filled = fill(&filler, 3 << 20);
    println!("filler: {filled} bytes, about 3 MiB left");

    let mut stored = Vec::new();
    let mut refused = Vec::new();
    for i in 0..12u8 {
        let key = format!("obj{i}");
        let data = body(i, 1 << 20);
        let (status, text) = put(&ts, &key, data.clone()).await;
        match status {
            200 => stored.push((key.clone(), data)),
            500 | 503 => {
                let code = xml_field(&text, "Code").unwrap_or_default();
                println!("PUT {key} on a full disk: {status} {code}");
                assert!(
                    code == "SlowDown" || code == "InternalError",
                    "unexpected error body: {text}"
                );
                assert!(!text.contains("No space"), "internals leaked: {text}");
                refused.push(key.clone());
            }
            other => panic!("PUT {key}: unexpected {other}: {text}"),
        }
        assert_eq!(tmp_entries(&data_dir), 0, "temp file left after PUT {key}");
    }
    println!(
        "full disk: {} stored, {} refused",
        stored.len(),
        refused.len()
    );
    assert!(!refused.is_empty(), "the disk never filled up");
    for (key, want) in &stored {
        let (status, got) = get(&ts, key).await;
        assert_eq!(status, 200, "{key}");
        assert!(got == *want, "{key} does not read back byte-exact");
    }
    for key in &refused {
        assert_eq!(get(&ts, key).await.0, 404, "{key} half-written");
    }
    let (status, got) = get(&ts, "before").await;
    assert_eq!((status, got), (200, body(1, 100_000)));

    // Free the space: refused uploads now succeed (two of them: the disk holds 8 MiB).
    std::fs::remove_file(&filler).unwrap();
    for key in refused.iter().take(2) {
        let data = body(99, 1 << 20);
        let (status, text) = put(&ts, key, data.clone()).await;
        assert_eq!(status, 200, "after freeing space: {text}");
        assert_eq!(get(&ts, key).await, (200, data));
    }
    let TestServer { server, .. } = ts;
    server.unwrap().shutdown().await;
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check", "--data-dir", data_dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "sluice check: {text}");
    assert!(text.contains("0 damaged; orphan blobs: 0"), "{text}");
}
