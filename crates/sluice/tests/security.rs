//! Security properties not covered elsewhere (see presigned.rs for tampered fields, method
//! replay and expiry; constraints.rs for signed limits): keys are never file paths, a URL for
//! one bucket/key cannot write another (path-style and virtual-host), a presigned PUT cannot
//! become another query operation, a used URL cannot be replayed after expiry, and secrets
//! never reach the logs or error bodies.

mod common;

use common::{raw_request, xml_field, TestServer, REGION};
use sluice_sigv4::{presign_v4, PresignRequest};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

async fn make_bucket(ts: &TestServer, name: &str) {
    ts.sdk().create_bucket().bucket(name).send().await.unwrap();
}

/// Sends one request with an explicit `Host` header and the target bytes as given.
async fn raw_with_host(
    addr: std::net::SocketAddr,
    method: &str,
    target: &str,
    host: &str,
    body: &[u8],
) -> common::RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{method} {target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    common::parse_response(&buf)
}

/// A presigned URL's path and query for an exact raw path (no re-encoding).
fn presign_raw(method: &str, host: &str, raw_path: &str, expires_in: u64) -> String {
    let q = presign_v4(
        &common::creds(),
        &PresignRequest {
            method,
            host,
            raw_path,
            query: &[],
            headers: &[],
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
            expires_in,
        },
    );
    format!("{raw_path}?{q}")
}

/// Every path under `dir`, relative to it.
fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
        if p.is_dir() {
            walk(&p, base, out);
        }
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Only the store's own layout exists under `parent/data`, and nothing else in `parent`.
fn assert_only_store_layout(parent: &Path) {
    let mut paths = Vec::new();
    walk(parent, parent, &mut paths);
    for p in &paths {
        let parts: Vec<&str> = p.split('/').collect();
        let ok = match parts.as_slice() {
            ["data"] => true,
            ["data", f] => [
                "meta.sqlite",
                "meta.sqlite-wal",
                "meta.sqlite-shm",
                "meta.sqlite-journal",
                "blobs",
                "tmp",
                "server.key",
                "root-credentials.json",
                "lock",
            ]
            .contains(f),
            ["data", "blobs", a] => is_hex(a, 2),
            ["data", "blobs", a, id] => is_hex(a, 2) && is_hex(id, 32) && id.starts_with(a),
            _ => false,
        };
        assert!(ok, "unexpected path in the data dir's parent: {p:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_keys_never_create_files_outside_the_store_layout() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let d = data.clone();
    let ts = TestServer::start_with(move |c| c.data_dir = d).await;
    make_bucket(&ts, "trav").await;
    let host = ts.host();
    let long_segment = "s".repeat(1000);
    let long_key = format!("{long_segment}/{}", "t".repeat(23));
    // (raw path as sent, key it must be stored under when accepted)
    let cases: Vec<(String, Option<String>)> = vec![
        ("/trav/../escape".into(), Some("../escape".into())),
        (
            "/trav/../../../../tmp/escape".into(),
            Some("../../../../tmp/escape".into()),
        ),
        ("/trav/..%2F..%2Fescape".into(), Some("../../escape".into())),
        (
            "/trav/%2E%2E/%2E%2E/escape".into(),
            Some("../../escape".into()),
        ),
        ("/trav//etc/passwd".into(), Some("/etc/passwd".into())),
        ("/trav/%2Fabs%2Fpath".into(), Some("/abs/path".into())),
        (
            "/trav/a/./b/../../../c".into(),
            Some("a/./b/../../../c".into()),
        ),
        ("/trav/..%5C..%5Cwin".into(), Some("..\\..\\win".into())),
        ("/trav/nul%00byte".into(), None),
        ("/trav/trailing-nul%00".into(), None),
        (format!("/trav/{long_segment}"), Some(long_segment.clone())),
        (format!("/trav/{long_key}"), Some(long_key.clone())),
        (format!("/trav/{}", "x".repeat(1025)), None),
    ];
    for (path, key) in &cases {
        let target = presign_raw("PUT", &host, path, 300);
        let r = raw_request(ts.addr, "PUT", &target, &[], path.as_bytes()).await;
        match key {
            Some(key) => {
                assert_eq!(r.status, 200, "PUT {path}: {}", r.text());
                let got = ts
                    .sdk()
                    .get_object()
                    .bucket("trav")
                    .key(key)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("GET {key:?}: {e:?}"));
                let bytes = got.body.collect().await.unwrap().into_bytes();
                assert_eq!(&bytes[..], path.as_bytes(), "{key:?}");
            }
            None => {
                // A NUL byte or an over-long key: either stored as a plain key or refused
                // with an S3 error; never a 5xx.
                assert!(r.status < 500, "PUT {path}: {} {}", r.status, r.text());
                if r.status != 200 {
                    assert!(xml_field(&r.text(), "Code").is_some(), "{}", r.text());
                }
            }
        }
    }
    let long = raw_request(
        ts.addr,
        "PUT",
        &presign_raw("PUT", &host, &format!("/trav/{}", "x".repeat(1025)), 300),
        &[],
        b"x",
    )
    .await;
    assert_eq!(
        xml_field(&long.text(), "Code").as_deref(),
        Some("KeyTooLongError")
    );
    assert_only_store_layout(parent.path());
    assert!(!Path::new("/tmp/escape").exists());
    ts.stop().await;
    assert_only_store_layout(parent.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_for_one_bucket_and_key_cannot_write_another() {
    let ts = TestServer::start_with(|c| c.domain = Some("s3.sluice.test".into())).await;
    make_bucket(&ts, "alpha").await;
    make_bucket(&ts, "beta").await;
    let c = common::http();
    let url = ts.presign("PUT", "alpha", "x", 600);
    let query = url.split_once('?').unwrap().1;
    let base = ts.endpoint();
    // Path-style: same signature, other bucket and/or key.
    for path in [
        "/beta/x",
        "/alpha/y",
        "/beta/y",
        "/alpha/x/",
        "/alpha/X",
        "/alpha",
    ] {
        let r = c
            .put(format!("{base}{path}?{query}"))
            .body("evil")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert_eq!(status, 403, "{path}: {text}");
        assert_eq!(
            xml_field(&text, "Code").as_deref(),
            Some("SignatureDoesNotMatch")
        );
    }
    // Virtual-host style: the Host header names the bucket and is signed.
    let port = ts.addr.port();
    let alpha_host = format!("alpha.s3.sluice.test:{port}");
    let beta_host = format!("beta.s3.sluice.test:{port}");
    let vh = presign_raw("PUT", &alpha_host, "/x", 600);
    let vh_query = vh.split_once('?').unwrap().1;
    let plain_host = ts.host();
    let attempts = [
        (beta_host.as_str(), format!("/x?{vh_query}")),
        (alpha_host.as_str(), format!("/y?{vh_query}")),
        (beta_host.as_str(), format!("/y?{vh_query}")),
        (plain_host.as_str(), format!("/alpha/x?{vh_query}")),
        (plain_host.as_str(), format!("/beta/x?{vh_query}")),
    ];
    for (host, target) in &attempts {
        let r = raw_with_host(ts.addr, "PUT", target, host, b"evil").await;
        assert_eq!(r.status, 403, "{host} {target}: {}", r.text());
    }
    // The genuine URLs work.
    assert_eq!(
        raw_with_host(ts.addr, "PUT", &vh, &alpha_host, b"good")
            .await
            .status,
        200
    );
    assert_eq!(c.put(&url).body("good").send().await.unwrap().status(), 200);
    let s3 = ts.sdk();
    for bucket in ["alpha", "beta"] {
        let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
        let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
        let want: &[&str] = if bucket == "alpha" { &["x"] } else { &[] };
        assert_eq!(keys, want, "{bucket}");
    }
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presigned_put_cannot_become_another_operation_or_outlive_its_expiry() {
    let ts = TestServer::start().await;
    make_bucket(&ts, "ops").await;
    let c = common::http();
    let url = ts.presign("PUT", "ops", "k", 60);
    assert_eq!(
        c.put(&url).body("original").send().await.unwrap().status(),
        200
    );
    let extra = [
        "uploads",
        "acl",
        "tagging",
        "cors",
        "uploadId=abc&partNumber=1",
        "partNumber=1",
        "versionId=null",
        "policy",
        "delete",
    ];
    for add in extra {
        let tampered = format!("{url}&{add}");
        for method in ["PUT", "POST", "GET", "DELETE"] {
            let r = c
                .request(method.parse().unwrap(), &tampered)
                .header("x-amz-acl", "public-read")
                .body(if method == "PUT" || method == "POST" {
                    "evil"
                } else {
                    ""
                })
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert!(
                status == 403 || status == 405 || status == 400,
                "{method} +{add}: {status} {text}"
            );
            assert_ne!(status / 100, 2, "{method} +{add}");
        }
    }
    // Nothing changed: same bytes, still private, no multipart upload opened.
    let get = ts.presign("GET", "ops", "k", 60);
    assert_eq!(
        c.get(&get).send().await.unwrap().text().await.unwrap(),
        "original"
    );
    let anon = c
        .get(format!("{}/ops/k", ts.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 403);
    let uploads = ts
        .sdk()
        .list_multipart_uploads()
        .bucket("ops")
        .send()
        .await
        .unwrap();
    assert!(uploads.uploads().is_empty());

    // Replay after expiry: the same URL that worked is refused once its window closed.
    ts.clock().advance_ms(61_000);
    let r = c.put(&url).body("late").send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 403, "{text}");
    assert_eq!(xml_field(&text, "Code").as_deref(), Some("AccessDenied"));
    assert!(text.contains("Request has expired"), "{text}");
    ts.clock().advance_ms(-61_000);
    assert_eq!(
        c.get(&get).send().await.unwrap().text().await.unwrap(),
        "original"
    );
    ts.stop().await;
}

/// The real binary with `--log-format json`, capturing stdout and stderr in full.
struct LoggedServer {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    out: Arc<Mutex<Vec<String>>>,
    err: Arc<Mutex<Vec<String>>>,
}

impl LoggedServer {
    fn start(data: &Path) -> LoggedServer {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
        cmd.args(["serve", "--log-format", "json", "--listen", "127.0.0.1:0"])
            .arg("--data-dir")
            .arg(data)
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for k in [
            "SLUICE_ROOT_ACCESS_KEY",
            "SLUICE_ROOT_SECRET_KEY",
            "SLUICE_CONFIG",
        ] {
            cmd.env_remove(k);
        }
        let mut child = cmd.spawn().unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        for (pipe, sink) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
                out.clone(),
            ),
            (Box::new(child.stderr.take().unwrap()), err.clone()),
        ] {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    sink.lock().unwrap().push(line);
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            let found = out.lock().unwrap().iter().find_map(|l| {
                l.trim()
                    .strip_prefix("sluice listening on http://")
                    .map(|a| a.parse().unwrap())
            });
            if let Some(a) = found {
                break a;
            }
            assert!(Instant::now() < deadline, "server did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        LoggedServer {
            child,
            addr,
            out,
            err,
        }
    }

    fn stop(mut self) -> (String, String) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        let out = self.out.lock().unwrap().join("\n");
        let err = self.err.lock().unwrap().join("\n");
        (out, err)
    }
}

fn admin(endpoint: &str, ak: &str, sk: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("admin")
        .args(args)
        .env("HOME", "/nonexistent-home")
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", ak)
        .env("AWS_SECRET_ACCESS_KEY", sk)
        .env("AWS_REGION", REGION)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_logs_or_error_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoggedServer::start(dir.path());
    let endpoint = format!("http://{}", server.addr);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("root-credentials.json")).unwrap())
            .unwrap();
    let text_of = |v: &serde_json::Value, names: &[&str]| {
        names
            .iter()
            .find_map(|n| v[*n].as_str().map(str::to_string))
            .unwrap()
    };
    let root_ak = text_of(&stored, &["access_key_id", "access_key"]);
    let root_sk = text_of(&stored, &["secret_access_key", "secret_key"]);

    // A whole flow: admin API, S3 over the SDK, presigned URLs, failures of every kind.
    assert!(
        admin(&endpoint, &root_ak, &root_sk, &["user", "create", "alice"])
            .status
            .success()
    );
    let key = admin(&endpoint, &root_ak, &root_sk, &["key", "create", "alice"]);
    assert!(key.status.success());
    let key: serde_json::Value = serde_json::from_slice(&key.stdout).unwrap();
    let user_ak = key["access_key_id"].as_str().unwrap().to_string();
    let user_sk = key["secret_access_key"].as_str().unwrap().to_string();

    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .endpoint_url(&endpoint)
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            &root_ak, &root_sk, None, None, "t",
        ))
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(conf);
    s3.create_bucket().bucket("sec").send().await.unwrap();
    let creds_root = sluice_sigv4::Credentials {
        access_key_id: root_ak.clone(),
        secret_access_key: root_sk.clone(),
        session_token: None,
    };
    let creds_user = sluice_sigv4::Credentials {
        access_key_id: user_ak.clone(),
        secret_access_key: user_sk.clone(),
        session_token: None,
    };
    let host = server.addr.to_string();
    let sign = |creds: &sluice_sigv4::Credentials, method: &str, key: &str| {
        let path = sluice_sigv4::encode_object_path("sec", key);
        let q = presign_v4(
            creds,
            &PresignRequest {
                method,
                host: &host,
                raw_path: &path,
                query: &[],
                headers: &[],
                region: REGION,
                service: "s3",
                datetime: OffsetDateTime::now_utc(),
                expires_in: 300,
            },
        );
        format!("http://{host}{path}?{q}")
    };
    let c = common::http();
    let mut signatures = Vec::new();
    let mut bodies = Vec::new();
    let put = sign(&creds_root, "PUT", "doc");
    signatures.push(put.rsplit_once("X-Amz-Signature=").unwrap().1.to_string());
    assert_eq!(
        c.put(&put).body("hello").send().await.unwrap().status(),
        200
    );
    let get = sign(&creds_root, "GET", "doc");
    signatures.push(get.rsplit_once("X-Amz-Signature=").unwrap().1.to_string());
    assert_eq!(c.get(&get).send().await.unwrap().status(), 200);
    // Denied (alice has no policy), tampered, expired-looking and unknown-key requests.
    let denied = sign(&creds_user, "PUT", "doc");
    signatures.push(
        denied
            .rsplit_once("X-Amz-Signature=")
            .unwrap()
            .1
            .to_string(),
    );
    let tampered = put.replace("/sec/doc", "/sec/other");
    let wrong_secret = sign(
        &sluice_sigv4::Credentials {
            access_key_id: user_ak.clone(),
            secret_access_key: format!("{user_sk}x"),
            session_token: None,
        },
        "GET",
        "doc",
    );
    for (method, url) in [("PUT", &denied), ("PUT", &tampered), ("GET", &wrong_secret)] {
        let r = c
            .request(method.parse().unwrap(), url.as_str())
            .body("x")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403);
        bodies.push(r.text().await.unwrap());
    }
    // An admin call alice is not allowed to make.
    let bad = admin(&endpoint, &user_ak, &user_sk, &["user", "list"]);
    assert!(!bad.status.success());
    bodies.push(String::from_utf8_lossy(&bad.stderr).into_owned());
    let (stdout, stderr) = server.stop();

    for body in &bodies {
        for secret in [&root_sk, &user_sk] {
            assert!(
                !body.contains(secret.as_str()),
                "secret in an error body: {body}"
            );
        }
    }
    // Every JSON log line is free of secrets and signatures.
    let json_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert!(json_lines.len() > 5, "expected JSON logs: {stderr}");
    for line in &json_lines {
        for secret in [&root_sk, &user_sk] {
            assert!(
                !line.contains(secret.as_str()),
                "secret in a log line: {line}"
            );
        }
        for sig in &signatures {
            assert!(
                !line.contains(sig.as_str()),
                "signature in a log line: {line}"
            );
        }
    }
    let all = format!("{stdout}\n{stderr}");
    assert!(!all.contains(&user_sk), "user secret printed");
    for sig in &signatures {
        assert!(!all.contains(sig.as_str()), "a signature printed: {sig}");
    }
    // By design the generated root secret is printed once, at first start, in the banner
    // (stderr, not a log line); nowhere else.
    let printed: Vec<&str> = all.lines().filter(|l| l.contains(&root_sk)).collect();
    assert_eq!(
        printed,
        [format!("    AWS_SECRET_ACCESS_KEY={root_sk}")],
        "{all}"
    );
    // A restart on the same data dir prints it no more.
    let again = LoggedServer::start(dir.path());
    let (stdout, stderr) = again.stop();
    assert!(!stdout.contains(&root_sk) && !stderr.contains(&root_sk));
}
