//! Real tus clients nobody here wrote, against the real `sluice` binary: `tuspy` (Python) and
//! `tus-js-client` (Node) each upload a 40 MiB file through a creation URL minted by
//! `sluice presign --tus`, are interrupted (tus-js-client: its connection cut mid-PATCH; both: the
//! server SIGKILLed mid-upload and restarted on the same data dir), resume from the offset the
//! server reports, and the object reads back byte-exact with the MD5 ETag and Content-Type.
//!
//! The drivers are `tests/tus/tuspy_client.py` and `tests/tus/tus_js_client.mjs`. tests/run-all.sh
//! installs the clients (a venv with `tuspy` pinned, named by `SLUICE_TUS_PYTHON`; `npm ci` in
//! tests/tus for `tus-js-client`) and sets `SLUICE_REQUIRE_TUSPY=1` / `SLUICE_REQUIRE_TUS_JS=1`;
//! without them these tests print a skip message.

mod common;

use common::process::{ServerProcess, ROOT_ENV};
use common::{sdk_at, ACCESS_KEY, REGION, SECRET_KEY};
use md5::{Digest as _, Md5};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const SIZE: usize = 40 * 1024 * 1024;
const BUCKET: &str = "tusclients";
const FILETYPE: &str = "video/mp4";

/// The repository's `tests/tus`.
fn drivers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tus")
}

/// Skips (None, after a message) or, when `require` is set to 1, fails.
fn skip(test: &str, require: &str, why: &str) -> Option<Command> {
    if std::env::var(require).as_deref() == Ok("1") {
        panic!("{test}: {require}=1 but {why}");
    }
    eprintln!("SKIP {test}: {why} (tests/run-all.sh installs it)");
    None
}

fn tuspy(test: &str) -> Option<Command> {
    let require = "SLUICE_REQUIRE_TUSPY";
    let Some(python) = std::env::var_os("SLUICE_TUS_PYTHON") else {
        return skip(
            test,
            require,
            "SLUICE_TUS_PYTHON (a Python with tuspy) is not set",
        );
    };
    let ok = Command::new(&python)
        .args(["-c", "import tusclient"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return skip(test, require, "SLUICE_TUS_PYTHON cannot import tusclient");
    }
    let mut cmd = Command::new(python);
    cmd.arg(drivers().join("tuspy_client.py"));
    Some(cmd)
}

fn tus_js(test: &str) -> Option<Command> {
    let require = "SLUICE_REQUIRE_TUS_JS";
    if !drivers().join("node_modules/tus-js-client").is_dir() {
        return skip(
            test,
            require,
            "tests/tus/node_modules/tus-js-client is missing (npm ci in tests/tus)",
        );
    }
    if Command::new("node").arg("--version").output().is_err() {
        return skip(test, require, "node is missing");
    }
    let mut cmd = Command::new("node");
    cmd.arg(drivers().join("tus_js_client.mjs"));
    Some(cmd)
}

fn serve(data: &Path) -> ServerProcess {
    let d = data.to_str().unwrap();
    ServerProcess::start(&["--data-dir", d, "--listen", "127.0.0.1:0"], &ROOT_ENV)
}

/// `sluice presign --tus` against the server: the creation URL.
fn mint(addr: std::net::SocketAddr, key: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "presign",
            "--tus",
            "--expires-in",
            "1h",
            "--content-type",
            FILETYPE,
        ])
        .arg(format!("s3://{BUCKET}/{key}"))
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

fn content() -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Runs `client` on a 40 MiB file; SIGKILLs and restarts the server when the client prints a
/// line for which `kill_now` holds, answers its `FAILED` with the new address; checks the object.
async fn upload_interrupted(mut client: Command, kill_now: impl Fn(&str) -> bool) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut server = serve(&data_dir);
    sdk_at(server.addr, ACCESS_KEY, SECRET_KEY)
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let url = mint(server.addr, "clients/${filename}");
    let body = content();
    let file = dir.path().join("movie.mp4");
    std::fs::write(&file, &body).unwrap();

    let mut child = client
        .arg(&url)
        .arg(&file)
        .arg(FILETYPE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the tus client");
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    let mut killed = false;
    for line in stdout.lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if !killed && kill_now(&line) {
            // SIGKILL mid-upload, then the same data dir on a new port.
            server.child.kill().unwrap();
            server.child.wait().unwrap();
            server = serve(&data_dir);
            killed = true;
        }
        if line.starts_with("FAILED") {
            assert!(killed, "the client failed before the kill: {seen:?}");
            writeln!(stdin, "GO http://{}", server.addr).unwrap();
            stdin.flush().unwrap();
        }
        if line.starts_with("DONE") {
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "client failed: {seen:?}");
    assert!(killed, "the server was never killed: {seen:?}");
    assert!(seen.iter().any(|l| l.starts_with("DONE")), "{seen:?}");

    let got = sdk_at(server.addr, ACCESS_KEY, SECRET_KEY)
        .get_object()
        .bucket(BUCKET)
        .key("clients/movie.mp4")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.e_tag(),
        Some(format!("\"{}\"", hex::encode(Md5::digest(&body))).as_str())
    );
    assert_eq!(got.content_type(), Some(FILETYPE));
    let bytes = got.body.collect().await.unwrap().into_bytes();
    assert!(
        bytes.len() == body.len() && bytes[..] == body[..],
        "bytes differ"
    );
    let _ = server.terminate();
    eprintln!("client said: {seen:?}");
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tuspy_resumes_after_the_server_is_killed() {
    let Some(client) = tuspy("tuspy_resumes_after_the_server_is_killed") else {
        return;
    };
    let seen = upload_interrupted(client, |line| {
        line.strip_prefix("OFFSET ")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|n| n >= SIZE * 2 / 5)
    })
    .await;
    let resumed: usize = seen
        .iter()
        .find_map(|l| l.strip_prefix("RESUMED ")?.parse().ok())
        .unwrap_or_else(|| panic!("no resume: {seen:?}"));
    assert!(resumed >= SIZE * 2 / 5, "resumed from {resumed}: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tus_js_client_resumes_after_a_cut_and_a_killed_server() {
    let Some(client) = tus_js("tus_js_client_resumes_after_a_cut_and_a_killed_server") else {
        return;
    };
    let seen = upload_interrupted(client, |line| line.starts_with("PROGRESS")).await;
    assert!(seen.iter().any(|l| l.starts_with("CUT")), "{seen:?}");
}
