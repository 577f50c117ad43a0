//! Helpers of the verified-upload tests (`checks*.rs`): files made at test time (PNG, JPEG, GIF,
//! PDF, ZIP, ELF), admin calls, SDK uploads, the `sluice` CLI and the Python hook
//! (`tests/checks/check_hook.py`).

use super::{creds, http, TestServer, REGION};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

// ---------------------------------------------------------------------------------------------
// Files made at test time

/// A PNG whose header says `w` x `h` (signature, IHDR, an empty IDAT, IEND).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |v: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        v.extend_from_slice(&(data.len() as u32).to_be_bytes());
        v.extend_from_slice(kind);
        v.extend_from_slice(data);
        v.extend_from_slice(&[0, 0, 0, 0]); // CRC: not checked by a header reader
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut v, b"IHDR", &ihdr);
    chunk(&mut v, b"IDAT", &[0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]);
    chunk(&mut v, b"IEND", &[]);
    v
}

/// A baseline JPEG header of `w` x `h` (SOI, APP0/JFIF, SOF0).
pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    v.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    v.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08]);
    v.extend_from_slice(&h.to_be_bytes());
    v.extend_from_slice(&w.to_be_bytes());
    v.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// A GIF89a header of `w` x `h`.
pub fn gif(w: u16, h: u16) -> Vec<u8> {
    let mut v = b"GIF89a".to_vec();
    v.extend_from_slice(&w.to_le_bytes());
    v.extend_from_slice(&h.to_le_bytes());
    v.extend_from_slice(&[0, 0, 0, 0x3B]);
    v
}

pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec()
}

pub fn zip() -> Vec<u8> {
    // An empty zip archive is just its end-of-central-directory record; a local file header
    // makes the signature the common one.
    let mut v = b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0".to_vec();
    v.extend_from_slice(&[0u8; 16]);
    v.extend_from_slice(b"a.txtPK\x05\x06");
    v.extend_from_slice(&[0u8; 18]);
    v
}

/// An x86-64 ELF executable header (what a renamed `.exe`/binary starts with).
pub fn elf() -> Vec<u8> {
    let mut v = b"\x7fELF\x02\x01\x01\0".to_vec();
    v.resize(16, 0);
    v.extend_from_slice(&[2, 0, 0x3e, 0, 1, 0, 0, 0]);
    v.resize(200, 0x90);
    v
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// One SigV4-signed request with the root key; `path_and_query` is sent as written.
pub async fn signed(
    ts: &TestServer,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> (u16, String) {
    let host = ts.host();
    let (raw_path, raw_query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let hash = hex::encode(Sha256::digest(body));
    let headers = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method,
            host: &host,
            raw_path,
            raw_query,
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = http()
        .request(
            method.parse().unwrap(),
            format!("{}{path_and_query}", ts.endpoint()),
        )
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// A call to the admin API (`/_sluice/admin/v1/...`), answered JSON.
pub async fn admin(
    ts: &TestServer,
    method: &str,
    path_and_query: &str,
    body: &Value,
) -> (u16, Value) {
    let bytes = if body.is_null() {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let (status, text) = signed(
        ts,
        method,
        &format!("/_sluice/admin/v1/{path_and_query}"),
        &bytes,
    )
    .await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Defines profile `name` and applies it to `bucket` under `prefix`.
pub async fn profile_on(ts: &TestServer, name: &str, doc: Value, bucket: &str, prefix: &str) {
    let (status, answer) = admin(ts, "PUT", &format!("checks/{name}"), &doc).await;
    assert_eq!(status, 200, "define {name}: {answer}");
    let (status, answer) = admin(
        ts,
        "PUT",
        &format!("checks/{name}/apply"),
        &json!({"bucket": bucket, "prefix": prefix}),
    )
    .await;
    assert_eq!(status, 200, "apply {name}: {answer}");
}

/// PutObject through the SDK: `Ok(())` or the error's (code, message).
pub async fn put(
    ts: &TestServer,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> Result<(), (String, String)> {
    ts.sdk()
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(ByteStream::from(body))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            (
                e.code().unwrap_or_default().to_string(),
                e.message().unwrap_or_default().to_string(),
            )
        })
}

pub async fn get(ts: &TestServer, bucket: &str, key: &str) -> Option<Vec<u8>> {
    match ts.sdk().get_object().bucket(bucket).key(key).send().await {
        Ok(o) => Some(o.body.collect().await.unwrap().into_bytes().to_vec()),
        Err(e) => {
            assert_eq!(
                e.as_service_error().map(|s| s.is_no_such_key()),
                Some(true),
                "{e:?}"
            );
            None
        }
    }
}

pub async fn head_status(ts: &TestServer, bucket: &str, key: &str) -> u16 {
    match ts.sdk().head_object().bucket(bucket).key(key).send().await {
        Ok(_) => 200,
        Err(e) => e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0),
    }
}

pub fn assert_rejected(r: Result<(), (String, String)>, needle: &str) {
    let (code, message) = r.expect_err("the upload should be refused");
    assert_eq!(code, "UploadRejected", "{message}");
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

// ---------------------------------------------------------------------------------------------
// The blocking hook

/// A running `tests/checks/check_hook.py`.
pub struct Hook {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

pub const HOOK_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

impl Hook {
    pub fn start() -> Hook {
        let python = std::env::var_os("SLUICE_WEBHOOK_PYTHON")
            .filter(|p| Path::new(p).exists())
            .unwrap_or_else(|| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/checks/check_hook.py")
            .canonicalize()
            .expect("tests/checks/check_hook.py");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python)
            .arg(script)
            .arg(dir.path())
            .arg(HOOK_SECRET)
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 runs the hook");
        let started = Instant::now();
        let port = loop {
            if let Ok(t) = std::fs::read_to_string(dir.path().join("port")) {
                break t.trim().parse().unwrap();
            }
            if let Ok(Some(s)) = child.try_wait() {
                panic!("the hook exited: {s}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "hook did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Hook { child, dir, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/check", self.port)
    }

    /// The requests the hook received, with what it saw of the pending bytes.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    pub fn request_for(&self, key: &str) -> Value {
        self.requests()
            .into_iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no hook request for {key}"))
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI

/// `sluice ARGS` as root against `ts`; (success, stdout, stderr).
pub fn sluice(ts: &TestServer, args: &[&str]) -> (bool, String, String) {
    sluice_at(&ts.endpoint(), args)
}

/// `sluice ARGS` as root against the server at `endpoint`.
pub fn sluice_at(endpoint: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("AWS_ACCESS_KEY_ID", super::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", super::SECRET_KEY)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .env("HOME", "/nonexistent-home")
        .output()
        .expect("run sluice");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn md5_of(data: &[u8]) -> [u8; 16] {
    use md5::Digest as _;
    md5::Md5::digest(data).into()
}
