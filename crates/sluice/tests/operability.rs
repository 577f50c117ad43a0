//! Operability: Prometheus metrics, health checks, JSON access logs without secrets,
//! --print-config, shell completions, and presigned uploads through an nginx reverse proxy.

mod common;

use common::process::ServerProcess;
use std::process::Command;

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
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn presign(
    addr: std::net::SocketAddr,
    method: &str,
    bucket: &str,
    key: &str,
    at: time::OffsetDateTime,
    expires: u64,
) -> String {
    let path = sluice_sigv4::encode_object_path(bucket, key);
    let host = addr.to_string();
    let q = sluice_sigv4::presign_v4(
        &common::creds(),
        &sluice_sigv4::PresignRequest {
            method,
            host: &host,
            raw_path: &path,
            query: &[],
            headers: &[],
            region: common::REGION,
            service: "s3",
            datetime: at,
            expires_in: expires,
        },
    );
    format!("http://{host}{path}?{q}")
}

/// The value of the first sample whose line starts with `prefix` and contains every label.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| {
            !l.starts_with('#')
                && (l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        })
        .find(|l| labels.iter().all(|lab| l.contains(lab)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn start(dir: &std::path::Path, extra: &[&str]) -> ServerProcess {
    let mut args = vec![
        "--data-dir",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    ServerProcess::start(
        &args,
        &[
            ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
            ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_health_and_json_logs() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--log-format", "json"]);
    let addr = server.addr;
    let c = reqwest::Client::new();
    let base = format!("http://{addr}");

    let live = c
        .get(format!("{base}/_sluice/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let ready = c
        .get(format!("{base}/_sluice/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = serde_json::from_str(&ready.text().await.unwrap()).unwrap();
    assert_eq!(body["checks"]["metadata"], "ok");
    assert_eq!(body["checks"]["data_dir"], "ok");

    let s3 = sdk(addr);
    s3.create_bucket().bucket("metered").send().await.unwrap();
    s3.put_object()
        .bucket("metered")
        .key("a")
        .body(b"12345".to_vec().into())
        .send()
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        c.get(presign(addr, "GET", "metered", "a", now, 60))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(presign(addr, "GET", "metered", "a", now, 60))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len(),
        5
    );
    let old = now - time::Duration::hours(2);
    assert_eq!(
        c.get(presign(addr, "GET", "metered", "a", old, 60))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let bad = presign(addr, "GET", "metered", "a", now, 60)
        .replace("X-Amz-Signature=", "X-Amz-Signature=0");
    assert_eq!(c.get(bad).send().await.unwrap().status(), 403);
    assert_eq!(
        c.get(format!("{base}/metered/a"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    s3.create_multipart_upload()
        .bucket("metered")
        .key("open")
        .send()
        .await
        .unwrap();

    let text = common::metrics_text(&base).await;
    assert!(
        sample(
            &text,
            "sluice_requests_total",
            &[
                "operation=\"PutObject\"",
                "auth=\"header\"",
                "status=\"2xx\""
            ]
        )
        .unwrap()
            >= 1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "sluice_requests_total",
            &[
                "operation=\"GetObject\"",
                "auth=\"presigned\"",
                "status=\"2xx\""
            ]
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "sluice_presigned_requests_total",
            &["outcome=\"accepted\""]
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "sluice_presigned_requests_total",
            &["outcome=\"expired\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "sluice_presigned_requests_total",
            &["outcome=\"bad_signature\""]
        ),
        Some(1.0)
    );
    assert!(sample(
        &text,
        "sluice_requests_total",
        &["auth=\"anonymous\"", "status=\"4xx\""]
    )
    .is_some());
    assert_eq!(
        sample(&text, "sluice_bucket_objects", &["bucket=\"metered\""]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "sluice_bucket_bytes", &["bucket=\"metered\""]),
        Some(5.0)
    );
    assert_eq!(
        sample(&text, "sluice_multipart_uploads_open", &[]),
        Some(1.0)
    );
    assert!(sample(&text, "sluice_bytes_out_total", &[]).unwrap() >= 10.0);
    assert!(
        sample(
            &text,
            "sluice_request_ttfb_seconds_count",
            &["operation=\"GetObject\""]
        )
        .unwrap()
            >= 2.0
    );
    assert!(sample(&text, "process_resident_memory_bytes", &[]).unwrap() > 1e6);
    assert!(sample(&text, "sluice_connections_open", &[]).is_some());

    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_access_log_has_fields_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--log-format", "json"]);
    let addr = server.addr;
    let s3 = sdk(addr);
    s3.create_bucket().bucket("logged").send().await.unwrap();
    s3.put_object()
        .bucket("logged")
        .key("k")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let url = presign(
        addr,
        "GET",
        "logged",
        "k",
        time::OffsetDateTime::now_utc(),
        60,
    );
    reqwest::get(&url).await.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let text = server.stderr_text();
    assert_eq!(server.terminate(), Some(0));
    assert!(!text.contains(common::SECRET_KEY), "secret key in the log");
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap();
    assert!(!text.contains(signature), "full signature in the log");
    let mut access = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["target"] == "sluice::access" {
            access += 1;
            for field in [
                "request_id",
                "remote",
                "operation",
                "bucket",
                "key",
                "status",
                "bytes_in",
                "bytes_out",
                "duration_ms",
                "auth",
                "access_key",
            ] {
                assert!(v.get(field).is_some(), "{field} missing in {line}");
            }
        }
    }
    assert!(access >= 3, "{text}");
}

/// `sluice serve ARGS --print-config` with `env`; the printed TOML.
fn print_config(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("serve").args(args).arg("--print-config");
    for k in [
        "SLUICE_ROOT_ACCESS_KEY",
        "SLUICE_ROOT_SECRET_KEY",
        "SLUICE_CONFIG",
        "SLUICE_DATA_DIR",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn print_config_is_a_config_file_serve_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    // Values TOML and Rust quote differently (a quote, a backslash, non-ASCII, a control
    // character), and every kind of setting.
    let data = dir.path().join("da\"ta \\ \u{e9}t\u{e9}\u{7f}");
    let data_s = data.to_str().unwrap();
    let full = [
        "--data-dir",
        data_s,
        "--listen",
        "127.0.0.1:0",
        "--console-listen",
        "127.0.0.1:0",
        "--region",
        "eu-west-3",
        "--domain",
        "s3.example.com",
        "--no-sigv2",
        "--shutdown-grace",
        "7",
        "--stale-upload-hours",
        "5",
        "--max-connections",
        "99",
        "--inline-max-bytes",
        "1000",
        "--header-timeout",
        "9",
        "--body-timeout",
        "11",
        "--log-format",
        "json",
        "--tls-cert",
        "/etc/x\"y.pem",
        "--tls-key",
        "/etc/k.pem",
        "--cors-allow-origin",
        "https://a.example.com",
        "--cors-allow-header",
        "x-\"odd\"",
        "--cors-max-age",
        "60",
    ];
    let secrets = [
        ("SLUICE_ROOT_ACCESS_KEY", "AKIDVISIBLE"),
        ("SLUICE_ROOT_SECRET_KEY", "very-secret-value"),
    ];
    for (args, env) in [
        (&full[..], &secrets[..]),
        (&full[..], &[][..]),
        (&["--listen", "127.0.0.1:0"][..], &[][..]),
    ] {
        let text = print_config(args, env);
        assert!(!text.contains("very-secret-value") && !text.contains("AKIDVISIBLE"));
        if let Err(e) = toml::from_str::<toml::Value>(&text) {
            panic!("--print-config is not TOML ({e}):\n{text}");
        }
        // Read back with --config (secrets given again the way they were): the same settings.
        let file = dir.path().join("printed.toml");
        std::fs::write(&file, &text).unwrap();
        let again = print_config(&["--config", file.to_str().unwrap()], env);
        assert_eq!(again, text);
    }
    let text = print_config(&full, &[]);
    assert!(
        text.contains("# root_access_key: not set (generated on first start)"),
        "{text}"
    );
    // And `serve --config` runs on it: the server starts on the data dir the file names.
    let text = print_config(&["--data-dir", data_s, "--listen", "127.0.0.1:0"], &[]);
    let file = dir.path().join("serve.toml");
    std::fs::write(&file, &text).unwrap();
    let server = ServerProcess::start(&["--config", file.to_str().unwrap()], &[]);
    assert!(data.join("meta.sqlite").exists(), "{text}");
    assert_eq!(server.terminate(), Some(0));
}

#[test]
fn print_config_masks_secrets_and_completions_print() {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--print-config", "--region", "eu-west-3"])
        .env("SLUICE_ROOT_ACCESS_KEY", "AKIDVISIBLE")
        .env("SLUICE_ROOT_SECRET_KEY", "very-secret-value")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("region = \"eu-west-3\""), "{text}");
    assert!(!text.contains("very-secret-value"));
    assert!(!text.contains("AKIDVISIBLE"));
    assert!(
        text.contains("# root_secret_key: set (not printed)"),
        "{text}"
    );
    let parsed: Result<toml::Value, _> = toml::from_str(&text);
    assert!(parsed.is_ok(), "{text}");
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--log-format", "xml", "--print-config"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("log_format"));
    for shell in ["bash", "zsh", "fish"] {
        let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("sluice") && script.contains("presign"),
            "{shell}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("sluice "));
}

/// nginx in front of Sluice, preserving Host so signatures verify. Needs the Debian `nginx`
/// package (installed by .ci/run); skipped with a message elsewhere unless SLUICE_REQUIRE_NGINX=1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_put_through_nginx_reverse_proxy() {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(nginx) = nginx else {
        assert!(
            std::env::var("SLUICE_REQUIRE_NGINX").is_err(),
            "nginx is required but not installed"
        );
        eprintln!("SKIPPED: nginx not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = start(&dir.path().join("data"), &[]);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let conf = dir.path().join("nginx.conf");
    let d = dir.path().display();
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\nevents {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    client_max_body_size 0;\n    location / {{\n      proxy_pass http://{};\n      proxy_set_header Host $http_host;\n      proxy_request_buffering off;\n      proxy_buffering off;\n      proxy_http_version 1.1;\n    }}\n  }}\n}}\n",
            server.addr
        ),
    )
    .unwrap();
    let mut proxy = Command::new(nginx)
        .args(["-c", conf.to_str().unwrap(), "-p", &d.to_string()])
        .spawn()
        .unwrap();
    let front: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(front).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The bucket through the proxy with the SDK, the object through a presigned URL minted for the proxy's host.
    let s3 = sdk(front);
    s3.create_bucket().bucket("proxied").send().await.unwrap();
    let body = vec![42u8; 3 * 1024 * 1024];
    let put = presign(
        front,
        "PUT",
        "proxied",
        "through nginx.bin",
        time::OffsetDateTime::now_utc(),
        300,
    );
    let r = reqwest::Client::new()
        .put(&put)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert_eq!(status, 200, "{text}");
    let got = sdk(server.addr)
        .get_object()
        .bucket("proxied")
        .key("through nginx.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().len(),
        body.len()
    );
    assert_eq!(server.terminate(), Some(0));
}

/// Readiness asks the blob store whether it takes writes: with the staging dir gone it answers
/// 503 with `data_dir: failing`, and 200 again once the dir is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_the_blob_store_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let url = format!("http://{}/_sluice/health/ready", server.addr);
    let ready = || async {
        let r = reqwest::get(&url).await.unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
        (
            status,
            body["checks"]["data_dir"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(ready().await, (200, "ok".to_string()));
    let tmp = dir.path().join("tmp");
    let moved = dir.path().join("tmp-away");
    std::fs::rename(&tmp, &moved).unwrap();
    assert_eq!(ready().await, (503, "failing".to_string()));
    std::fs::rename(&moved, &tmp).unwrap();
    assert_eq!(ready().await, (200, "ok".to_string()));
    assert_eq!(server.terminate(), Some(0));
}

/// Housekeeping tasks run under a lease in the metadata store: a task another node holds is skipped until
/// that lease lapses, the others run.
#[tokio::test]
async fn housekeeping_tasks_run_only_under_their_lease() {
    use sluice_store::{BlobStore, MetaStore};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    let captured: Arc<Mutex<Option<Arc<dyn MetaStore>>>> = Arc::default();
    let keep = captured.clone();
    let wrap: sluice_server::startup::StoreWrapper =
        Box::new(move |meta: Arc<dyn MetaStore>, blobs: Arc<dyn BlobStore>| {
            *keep.lock().unwrap() = Some(meta.clone());
            (meta, blobs)
        });
    let ts =
        common::TestServer::start_wrapped(|cfg| cfg.node_id = "node-a".into(), Some(wrap)).await;
    let meta = captured.lock().unwrap().clone().expect("stores opened");
    let server = ts.server.as_ref().expect("running");
    let all = [
        "stale-uploads",
        "completed-uploads",
        "grant-expiry-events",
        "expired-grants",
        "tus-uploads",
        "orphan-blobs",
        "event-feed",
    ];
    // This node holds (or renews) every lease: all tasks run.
    assert_eq!(server.housekeeping_round().await, all);

    // Another node takes the orphan sweep (once the startup round no longer holds it).
    let mut taken = false;
    for _ in 0..100 {
        meta.release_task("orphan-blobs", "node-a").await.unwrap();
        let now = server.clock.now_ms();
        if meta
            .try_lease_task("orphan-blobs", "node-b", Duration::from_secs(600), now)
            .await
            .unwrap()
        {
            taken = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(taken, "node-b could not take the lease");
    let without_orphans: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| *t != "orphan-blobs")
        .collect();
    assert_eq!(server.housekeeping_round().await, without_orphans);
    assert_eq!(server.housekeeping_round().await, without_orphans);

    // Once node-b's lease lapses, this node takes the task back.
    server.clock.advance_ms(601_000);
    assert_eq!(server.housekeeping_round().await, all);
}
