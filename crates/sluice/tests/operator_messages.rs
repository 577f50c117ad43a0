//! What the operator is told that clients are not: why a key was refused (audit line, `sluice
//! admin key list`), and at startup, that the web console cannot upload without a CORS rule.

mod common;

use common::process::ServerProcess;
use std::process::Command;
use std::time::Duration;

use common::process::ROOT_ENV;
use common::sdk_at as sdk;

/// `sluice admin ARGS` as root; the JSON it prints.
fn admin(addr: std::net::SocketAddr, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("admin")
        .args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_ENDPOINT_URL", format!("http://{addr}"))
        .env("AWS_REGION", common::REGION)
        .env_remove("AWS_PROFILE")
        .env("HOME", "/nonexistent-home")
        .output()
        .expect("run sluice admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The error code and message the SDK got for ListBuckets with `ak`/`sk`.
async fn list_error(addr: std::net::SocketAddr, ak: &str, sk: &str) -> (String, String) {
    let err = sdk(addr, ak, sk)
        .list_buckets()
        .send()
        .await
        .expect_err("refused");
    let svc = err.into_service_error();
    use aws_sdk_s3::error::ProvideErrorMetadata;
    (
        svc.code().unwrap_or_default().to_string(),
        svc.message().unwrap_or_default().to_string(),
    )
}

/// The `sluice::audit` refusal lines (JSON log) naming `ak`.
fn refusals(server: &ServerProcess, ak: &str) -> Vec<serde_json::Value> {
    server
        .stderr_lines
        .lock()
        .unwrap()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| {
            v["target"] == "sluice::audit"
                && v["access_key"] == ak
                && v["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("access key refused"))
        })
        .collect()
}

fn key_status(addr: std::net::SocketAddr, ak: &str) -> String {
    let list = admin(addr, &["key", "list", "alice"]);
    list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["access_key_id"] == ak)
        .map(|k| k["status"].as_str().unwrap_or("(no status)").to_string())
        .unwrap_or_else(|| panic!("{ak} not listed: {list}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_keys_answer_as_aws_and_tell_the_operator_why() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = ServerProcess::start(
        &[
            "--data-dir",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ],
        &ROOT_ENV,
    );
    let addr = server.addr;
    admin(addr, &["user", "create", "alice"]);
    let disabled = admin(addr, &["key", "create", "alice"]);
    let expiring = admin(addr, &["key", "create", "alice", "--expires-in", "1s"]);
    let (dis_ak, dis_sk) = (
        disabled["access_key_id"].as_str().unwrap(),
        disabled["secret_access_key"].as_str().unwrap(),
    );
    let (exp_ak, exp_sk) = (
        expiring["access_key_id"].as_str().unwrap(),
        expiring["secret_access_key"].as_str().unwrap(),
    );
    assert_eq!(key_status(addr, dis_ak), "active");
    admin(addr, &["key", "disable", dis_ak]);
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let unknown = "SLKNOSUCHKEY00000000";
    for (ak, sk, reason, status) in [
        (dis_ak, dis_sk, "key disabled", Some("disabled")),
        (exp_ak, exp_sk, "key expired", Some("expired")),
        (unknown, "whatever-secret", "unknown key", None),
    ] {
        // The client sees AWS's answer for an inactive key, whatever the reason...
        let (code, message) = list_error(addr, ak, sk).await;
        assert_eq!(code, "InvalidAccessKeyId", "{ak}: {message}");
        assert_eq!(
            message,
            "The AWS Access Key Id you provided does not exist in our records."
        );
        // ...the audit line and the key list say which.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let lines = refusals(&server, ak);
        assert_eq!(lines.len(), 1, "{lines:?}\n{}", server.stderr_text());
        assert_eq!(lines[0]["reason"], reason, "{}", lines[0]);
        if let Some(status) = status {
            assert_eq!(key_status(addr, ak), status);
        }
    }
    assert_eq!(server.terminate(), Some(0));
}

/// Counts the startup warning about the console's CORS in `server`'s log.
fn cors_warnings(server: &ServerProcess) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(200));
    server
        .stderr_lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains("uploads from the console will fail"))
        .cloned()
        .collect()
}

fn console_url(server: &ServerProcess) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let out = server.stdout_text();
        if let Some(url) = out
            .lines()
            .find_map(|l| l.strip_prefix("sluice web console on "))
        {
            return url.trim_end_matches('/').to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no console line: {out}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_without_a_cors_rule_for_its_origin_warns_once_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let base = ["--data-dir", data_s, "--listen", "127.0.0.1:0"];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let start = |args: &[String]| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ServerProcess::start(&args, &ROOT_ENV)
    };

    // No rule at all: one warning naming the console's origin and the flag that fixes it.
    let server = start(&with(&["--console-listen", "127.0.0.1:0"]));
    let origin = console_url(&server);
    let warnings = cors_warnings(&server);
    println!("{warnings:?}");
    assert_eq!(warnings.len(), 1, "{}", server.stderr_text());
    assert!(
        warnings[0].contains(&format!("--cors-allow-origin {origin}")),
        "{}",
        warnings[0]
    );
    assert_eq!(server.terminate(), Some(0));

    // No console: no warning.
    let server = start(&with(&[]));
    assert!(cors_warnings(&server).is_empty());
    assert_eq!(server.terminate(), Some(0));

    // A server-wide rule for another origin does not help; one for the console's does.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let console = format!("127.0.0.1:{port}");
    let console_origin = format!("http://{console}");
    let server = start(&with(&[
        "--console-listen",
        &console,
        "--cors-allow-origin",
        "https://elsewhere.example.com",
    ]));
    assert_eq!(cors_warnings(&server).len(), 1, "{}", server.stderr_text());
    assert_eq!(server.terminate(), Some(0));
    let server = start(&with(&[
        "--console-listen",
        &console,
        "--cors-allow-origin",
        &console_origin,
    ]));
    assert!(
        cors_warnings(&server).is_empty(),
        "{}",
        server.stderr_text()
    );

    // A bucket rule allowing the console's origin also counts (checked at the next start).
    let s3 = sdk(server.addr, common::ACCESS_KEY, common::SECRET_KEY);
    s3.create_bucket().bucket("drop").send().await.unwrap();
    use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
    s3.put_bucket_cors()
        .bucket("drop")
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(
                    CorsRule::builder()
                        .allowed_origins(&console_origin)
                        .allowed_methods("PUT")
                        .allowed_methods("POST")
                        .allowed_headers("*")
                        .expose_headers("ETag")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(server.terminate(), Some(0));
    let server = start(&with(&["--console-listen", &console]));
    assert!(
        cors_warnings(&server).is_empty(),
        "{}",
        server.stderr_text()
    );
    assert_eq!(server.terminate(), Some(0));
}
