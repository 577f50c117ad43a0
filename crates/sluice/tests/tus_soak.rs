//! A soak of tus uploads against the real `sluice` binary: many concurrent uploads (32 by default,
//! `SLUICE_TUS_SOAK_UPLOADS`), each of a few MiB (`SLUICE_TUS_SOAK_MIB`, 4 by default) sent in PATCHes
//! of random sizes, a third of them cut off mid-body; every client resumes from the offset a HEAD
//! reports (after a 409 or 423 too, as tus clients do). Every object must read back byte-exact with
//! its MD5 ETag, and the server's peak RSS stay bounded.

mod common;

use common::process::{ServerProcess, ROOT_ENV};
use common::{http, sdk_at, ACCESS_KEY, REGION, SECRET_KEY};
use md5::{Digest as _, Md5};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const BUCKET: &str = "soak";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    (0..len).map(|_| (r.next() >> 29) as u8).collect()
}

fn mint(addr: SocketAddr, uses: usize) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["presign", "--tus", "--expires-in", "1h", "--max-uses"])
        .arg(uses.to_string())
        .arg(format!("s3://{BUCKET}/soak/${{filename}}"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("HOME", "/nonexistent-home")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", format!("http://{addr}"))
        .output()
        .expect("run sluice presign");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A PATCH whose body stops after `send` of its `bytes` and whose connection is then dropped.
async fn cut_patch(addr: SocketAddr, path: &str, offset: usize, bytes: &[u8], send: usize) {
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return;
    };
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nhost: {addr}\r\ntus-resumable: 1.0.0\r\ncontent-type: application/offset+octet-stream\r\nupload-offset: {offset}\r\ncontent-length: {}\r\n\r\n",
        bytes.len()
    );
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(&bytes[..send]).await;
    let _ = s.flush().await;
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// One client: create, then PATCH until done, cutting some PATCHes; returns the cuts made.
async fn one_upload(addr: SocketAddr, url: String, i: u64, body: Vec<u8>) -> usize {
    let client = http();
    let name = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("f{i}.bin"),
    );
    let resp = client
        .post(&url)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", body.len().to_string())
        .header("upload-metadata", format!("filename {name}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201, "create {i}");
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    let path = loc[loc.find("/_sluice/").unwrap()..].to_string();
    let mut rng = Rng(i + 7);
    let mut cuts = 0;
    loop {
        let head = client
            .head(&loc)
            .header("tus-resumable", "1.0.0")
            .send()
            .await
            .unwrap();
        if head.status().as_u16() == 404 {
            return cuts; // finished by the last PATCH (its answer was read below)
        }
        assert_eq!(head.status().as_u16(), 200, "HEAD {i}");
        let offset: usize = head.headers()["upload-offset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let len = (64 * 1024 + rng.below(960 * 1024)) as usize;
        let end = (offset + len).min(body.len());
        let chunk = &body[offset..end];
        if rng.below(3) == 0 && chunk.len() > 1 {
            cuts += 1;
            let send = 1 + rng.below(chunk.len() as u64 - 1) as usize;
            cut_patch(addr, &path, offset, chunk, send).await;
            continue;
        }
        let r = client
            .patch(&loc)
            .header("tus-resumable", "1.0.0")
            .header("content-type", "application/offset+octet-stream")
            .header("upload-offset", offset.to_string())
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            204 if end == body.len() => return cuts,
            204 => {}
            // The cut PATCH still being settled: ask again, as tus clients do.
            409 | 423 => tokio::time::sleep(Duration::from_millis(20)).await,
            s => panic!("PATCH {i}: {s} {}", r.text().await.unwrap_or_default()),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tus_uploads_with_cuts_complete_byte_exact_in_bounded_memory() {
    let uploads = env_num("SLUICE_TUS_SOAK_UPLOADS", 32);
    let size = env_num("SLUICE_TUS_SOAK_MIB", 4) << 20;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let server = ServerProcess::start(&["--data-dir", d, "--listen", "127.0.0.1:0"], &ROOT_ENV);
    let sdk = sdk_at(server.addr, ACCESS_KEY, SECRET_KEY);
    sdk.create_bucket().bucket(BUCKET).send().await.unwrap();
    let url = mint(server.addr, uploads);
    let idle_rss = server.rss_kib();

    let mut tasks = Vec::new();
    for i in 0..uploads as u64 {
        let (addr, url) = (server.addr, url.clone());
        let body = content(i, size - (i as usize * 4099) % 65_536);
        tasks.push(tokio::spawn(
            async move { one_upload(addr, url, i, body).await },
        ));
    }
    let mut cuts = 0;
    for t in tasks {
        cuts += t.await.unwrap();
    }
    assert!(cuts > 0, "no connection was cut");
    for i in 0..uploads as u64 {
        let body = content(i, size - (i as usize * 4099) % 65_536);
        let got = sdk
            .get_object()
            .bucket(BUCKET)
            .key(format!("soak/f{i}.bin"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("f{i}: {e:?}"));
        assert_eq!(
            got.e_tag(),
            Some(format!("\"{}\"", hex::encode(Md5::digest(&body))).as_str())
        );
        let bytes = got.body.collect().await.unwrap().into_bytes();
        assert!(bytes[..] == body[..], "f{i} differs");
    }
    let peak = server.peak_rss_kib();
    eprintln!(
        "{uploads} uploads of ~{} MiB, {cuts} cut PATCHes: server RSS idle {} MiB, peak {} MiB",
        size >> 20,
        idle_rss / 1024,
        peak / 1024
    );
    assert!(peak < 256 * 1024, "peak RSS {} MiB", peak / 1024);
    let _ = server.terminate();
}
