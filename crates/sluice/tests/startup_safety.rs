//! What `sluice serve` and `sluice check` do before serving: the data dir's lock (`DATA/lock`,
//! one process at a time) and root credentials that a failed start never loses.

mod common;

use common::process::{serve_expecting_exit, ServerProcess};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::process::ROOT_ENV;
use common::sdk_at as sdk;

fn root_sdk(addr: std::net::SocketAddr) -> aws_sdk_s3::Client {
    sdk(addr, common::ACCESS_KEY, common::SECRET_KEY)
}

/// A presigned PUT for `addr`, signed by root.
fn presign_put(addr: std::net::SocketAddr, bucket: &str, key: &str) -> String {
    let host = addr.to_string();
    let path = sluice_sigv4::encode_object_path(bucket, key);
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

fn tmp_entries(data: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data.join("tmp"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn check(data: &str, repair: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.args(["check", "--data-dir", data]);
    if repair {
        cmd.arg("--repair");
    }
    cmd.output().expect("run sluice check")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_or_repair_cannot_touch_a_data_dir_in_use() {
    const TOTAL: usize = 2 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let first = ServerProcess::start(
        &["--data-dir", data_s, "--listen", "127.0.0.1:0"],
        &ROOT_ENV,
    );
    let pid = first.pid();
    root_sdk(first.addr)
        .create_bucket()
        .bucket("lock")
        .send()
        .await
        .unwrap();

    // An upload in progress: half of its body sent, the rest held back.
    let body: Vec<u8> = (0..TOTAL).map(|i| (i * 7 % 251) as u8).collect();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let url = presign_put(first.addr, "lock", "slow");
    let send = tokio::spawn(async move {
        common::http()
            .put(&url)
            .header("content-length", TOTAL.to_string())
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
    });
    tx.send(Ok(body[..TOTAL / 2].to_vec())).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let temp = loop {
        let entries = tmp_entries(&data);
        if !entries.is_empty() {
            break entries;
        }
        assert!(Instant::now() < deadline, "the upload never reached tmp/");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    // A second server on the same dir exits at once with one line naming the dir and the PID.
    // The default log level (RUST_LOG unset), as a user runs it.
    let quiet_env = [ROOT_ENV[0], ROOT_ENV[1], ("RUST_LOG", "info")];
    let second = serve_expecting_exit(
        &["--data-dir", data_s, "--listen", "127.0.0.1:0"],
        &quiet_env,
        Duration::from_secs(20),
    );
    println!("second serve, exit {:?}: {}", second.code, second.stderr);
    assert!(
        matches!(second.code, Some(c) if c != 0),
        "exit {:?}",
        second.code
    );
    assert!(second.took < Duration::from_secs(5), "{:?}", second.took);
    let lines: Vec<&str> = second.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", second.stderr);
    assert!(
        lines[0].contains(data_s) && lines[0].contains(&format!("PID {pid}")),
        "{}",
        lines[0]
    );
    assert!(!second.stdout.contains("listening"), "{}", second.stdout);

    // `check --repair` refuses as well; a plain check runs and says what it may be seeing.
    let repair = check(data_s, true);
    let repair_err = text(&repair.stderr);
    println!(
        "check --repair, exit {:?}: {repair_err}",
        repair.status.code()
    );
    assert!(!repair.status.success());
    assert_eq!(repair_err.lines().count(), 1, "{repair_err}");
    assert!(
        repair_err.contains(data_s) && repair_err.contains(&format!("PID {pid}")),
        "{repair_err}"
    );
    assert!(
        !text(&repair.stdout).contains("temp files left"),
        "{}",
        text(&repair.stdout)
    );
    let plain = check(data_s, false);
    let plain_out = text(&plain.stdout);
    println!("check: {plain_out}");
    assert!(
        plain_out.contains(&format!("(PID {pid})")) && plain_out.contains("uploads in progress"),
        "{plain_out}"
    );
    assert_eq!(
        tmp_entries(&data),
        temp,
        "the upload's temp file is untouched"
    );

    // The first server's upload completes.
    tx.send(Ok(body[TOTAL / 2..].to_vec())).await.unwrap();
    drop(tx);
    let resp = send.await.unwrap().unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let got = root_sdk(first.addr)
        .get_object()
        .bucket("lock")
        .key("slow")
        .send()
        .await
        .unwrap();
    assert!(got.body.collect().await.unwrap().into_bytes() == body[..]);

    // The lock does not outlive `kill -9`: a new server starts on the dir and finds the object.
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let third = ServerProcess::start(
        &["--data-dir", data_s, "--listen", "127.0.0.1:0"],
        &ROOT_ENV,
    );
    let head = root_sdk(third.addr)
        .head_object()
        .bucket("lock")
        .key("slow")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(TOTAL as i64));
    assert_eq!(third.terminate(), Some(0));
    // With no server, --repair runs (and holds the lock while it does).
    let repair = check(data_s, true);
    assert!(repair.status.success(), "{}", text(&repair.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_start_keeps_no_credentials_it_did_not_print() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let creds_file = data.join("root-credentials.json");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_s = taken.local_addr().unwrap().to_string();
    for args in [
        vec!["--listen", taken_s.as_str()],
        vec![
            "--listen",
            "127.0.0.1:0",
            "--console-listen",
            taken_s.as_str(),
        ],
    ] {
        let mut all = vec!["--data-dir", data_s];
        all.extend(args);
        let failed = serve_expecting_exit(&all, &[("RUST_LOG", "info")], Duration::from_secs(20));
        println!("serve {all:?}, exit {:?}: {}", failed.code, failed.stderr);
        assert!(matches!(failed.code, Some(c) if c != 0));
        assert_eq!(
            failed.stderr,
            format!("sluice: cannot listen on {taken_s}: Address already in use (os error 98)\n")
        );
        assert!(
            !creds_file.exists(),
            "credentials were stored by a start that failed"
        );
        assert!(
            !failed.stdout.contains("AWS_SECRET_ACCESS_KEY"),
            "{}",
            failed.stdout
        );
    }

    // The next start generates them and prints the banner on stdout, in plain text, and the
    // logs carry no colour codes when stderr is not a terminal.
    let server = ServerProcess::start(&["--data-dir", data_s, "--listen", "127.0.0.1:0"], &[]);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&creds_file).unwrap()).unwrap();
    let ak = stored["access_key_id"].as_str().unwrap().to_string();
    let sk = stored["secret_access_key"].as_str().unwrap().to_string();
    let buckets = sdk(server.addr, &ak, &sk)
        .list_buckets()
        .send()
        .await
        .unwrap();
    assert!(buckets.buckets().is_empty());
    let out = server.stdout_text();
    println!("stdout of the next start:\n{out}");
    assert!(
        out.contains(&format!("    AWS_ACCESS_KEY_ID={ak}\n"))
            && out.contains(&format!("    AWS_SECRET_ACCESS_KEY={sk}\n")),
        "{out}"
    );
    let err = server.stderr_text();
    assert!(err.contains("sluice listening"), "{err}");
    assert!(!err.contains(&sk), "{err}");
    assert!(!err.contains('\x1b') && !out.contains('\x1b'), "{err}");
    assert_eq!(server.terminate(), Some(0));
}

/// A SIGTERM sent the moment `sluice listening` appears stops the server gracefully (exit 0):
/// the handler is in place before anything is printed. Before, it was installed afterwards and
/// about one start in seven died of the signal's default action.
#[test]
fn sigterm_right_after_listening_is_a_graceful_stop() {
    for round in 0..25 {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap();
        let server =
            ServerProcess::start(&["--data-dir", data, "--listen", "127.0.0.1:0"], &ROOT_ENV);
        assert_eq!(server.terminate(), Some(0), "round {round}");
    }
}
