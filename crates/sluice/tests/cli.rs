//! The `sluice` binary: `serve` (credentials, config sources, graceful shutdown) and `presign`.

mod common;

use common::process::ServerProcess;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

fn presign_cli(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("presign").args(args);
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("HOME", "/nonexistent-home");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sluice presign")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_generates_root_credentials_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let server = ServerProcess::start(&["--data-dir", data_s, "--listen", "127.0.0.1:0"], &[]);
    let file = data.join("root-credentials.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let ak = stored["access_key_id"].as_str().unwrap().to_string();
    let sk = stored["secret_access_key"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(200));
    // The banner is on stdout, apart from the logs.
    let out = server.stdout_text();
    assert!(out.contains(&format!("AWS_ACCESS_KEY_ID={ak}")), "{out}");
    assert!(
        out.contains(&format!("AWS_SECRET_ACCESS_KEY={sk}")),
        "{out}"
    );
    assert!(!server.stderr_text().contains(&sk));
    // The generated pair works.
    let sdk = sdk_for(server.addr, &ak, &sk);
    sdk.create_bucket().bucket("gen").send().await.unwrap();
    assert_eq!(server.terminate(), Some(0));

    // Second start: same pair, not printed again.
    let server = ServerProcess::start(&["--data-dir", data_s, "--listen", "127.0.0.1:0"], &[]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!server.stderr_text().contains(&sk));
    assert!(!server.stdout_text().contains(&sk));
    let sdk = sdk_for(server.addr, &ak, &sk);
    let buckets = sdk.list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets().len(), 1);
    assert_eq!(server.terminate(), Some(0));
}

fn sdk_for(addr: std::net::SocketAddr, ak: &str, sk: &str) -> aws_sdk_s3::Client {
    use aws_sdk_s3::config::{BehaviorVersion, Region};
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{addr}"))
        .force_path_style(true)
        .credentials_provider(aws_credential_types::Credentials::new(
            ak, sk, None, None, "t",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_env_and_flags_combine() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("sluice.toml");
    let data = dir.path().join("from-file");
    std::fs::write(
        &conf,
        format!("data_dir = \"{}\"\nregion = \"eu-west-1\"\nlisten = \"127.0.0.1:1\"\nroot_access_key = \"AKIDFILE\"\nroot_secret_key = \"secretfile\"\n", data.display()),
    )
    .unwrap();
    // Flag beats file for listen; env beats file for region.
    let server = ServerProcess::start(
        &[
            "--config",
            conf.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[("SLUICE_REGION", "ap-south-1")],
    );
    let sdk = {
        use aws_sdk_s3::config::{BehaviorVersion, Region};
        let c = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("ap-south-1"))
            .endpoint_url(format!("http://{}", server.addr))
            .force_path_style(true)
            .credentials_provider(aws_credential_types::Credentials::new(
                "AKIDFILE",
                "secretfile",
                None,
                None,
                "t",
            ))
            .build();
        aws_sdk_s3::Client::from_conf(c)
    };
    sdk.create_bucket()
        .bucket("cfg")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                    "ap-south-1",
                ))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let loc = sdk
        .get_bucket_location()
        .bucket("cfg")
        .send()
        .await
        .unwrap();
    assert_eq!(
        loc.location_constraint().map(|l| l.as_str()),
        Some("ap-south-1")
    );
    assert!(
        data.join("meta.sqlite").exists(),
        "data dir from the config file"
    );
    assert_eq!(server.terminate(), Some(0));

    // An invalid config value is refused at start with the key named.
    std::fs::write(&conf, "listen = \"not an address\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--config", conf.to_str().unwrap()])
        .env_remove("SLUICE_LISTEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("listen"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&conf, "no_such_key = 1\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["serve", "--config", conf.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_uploads_finish() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(
        &[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[
            ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
            ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
        ],
    );
    let addr = server.addr;
    sdk_for(addr, common::ACCESS_KEY, common::SECRET_KEY)
        .create_bucket()
        .bucket("grace")
        .send()
        .await
        .unwrap();
    let url = presigned(addr, "PUT", "grace", "slow.bin");
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body =
        reqwest::Body::wrap_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let upload = tokio::spawn(async move {
        reqwest::Client::new()
            .put(&url)
            .header("content-length", "2000")
            .body(body)
            .send()
            .await
    });
    tx.send(Ok(vec![1u8; 1000])).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let pid = server.pid();
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // New connections are refused once shutdown started.
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
    tx.send(Ok(vec![2u8; 1000])).await.unwrap();
    drop(tx);
    let resp = upload.await.unwrap().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(server.terminate(), Some(0));
    // The acknowledged object is there after a restart.
    let server = ServerProcess::start(
        &[
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[
            ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
            ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
        ],
    );
    let head = sdk_for(server.addr, common::ACCESS_KEY, common::SECRET_KEY)
        .head_object()
        .bucket("grace")
        .key("slow.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(2000));
    assert_eq!(server.terminate(), Some(0));
}

fn presigned(addr: std::net::SocketAddr, method: &str, bucket: &str, key: &str) -> String {
    let out = presign_cli(
        &[
            "--method",
            method,
            "--expires-in",
            "5m",
            &format!("s3://{bucket}/{key}"),
        ],
        &[
            ("AWS_ACCESS_KEY_ID", common::ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY),
            ("AWS_ENDPOINT_URL", &format!("http://{addr}")),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_removes_temp_files_and_old_orphan_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ];
    let env = [
        ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
        ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
    ];
    let server = ServerProcess::start(&args, &env);
    let sdk = sdk_for(server.addr, common::ACCESS_KEY, common::SECRET_KEY);
    sdk.create_bucket().bucket("orph").send().await.unwrap();
    sdk.put_object()
        .bucket("orph")
        .key("kept")
        .body(b"kept bytes".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(server.terminate(), Some(0));
    // Simulate a crash: a half-written temp file and a committed blob no metadata references.
    let tmp = dir.path().join("tmp").join("upload-crashed");
    std::fs::write(&tmp, b"partial").unwrap();
    let orphan_dir = dir.path().join("blobs").join("ee");
    std::fs::create_dir_all(&orphan_dir).unwrap();
    let orphan = orphan_dir.join("eeee0000000000000000000000000000");
    std::fs::write(&orphan, b"orphan").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&orphan)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let server = ServerProcess::start(&args, &env);
    assert!(!tmp.exists(), "temp file removed at startup");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while orphan.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!orphan.exists(), "orphan blob swept");
    let sdk = sdk_for(server.addr, common::ACCESS_KEY, common::SECRET_KEY);
    let got = sdk
        .get_object()
        .bucket("orph")
        .key("kept")
        .send()
        .await
        .unwrap();
    assert_eq!(
        &got.body.collect().await.unwrap().into_bytes()[..],
        b"kept bytes"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presign_cli_urls_upload_and_download() {
    let ts = common::TestServer::start().await;
    ts.sdk().create_bucket().bucket("cli").send().await.unwrap();
    let endpoint = ts.endpoint();
    let env = [
        ("AWS_ACCESS_KEY_ID", common::ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ];
    let out = presign_cli(
        &[
            "--method",
            "PUT",
            "--expires-in",
            "10m",
            "--content-type",
            "image/png",
            "s3://cli/a b/ü+.png",
        ],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        url.starts_with(&format!("{endpoint}/cli/a%20b/%C3%BC%2B.png?")),
        "{url}"
    );
    assert!(url.contains("X-Amz-Expires=600"));
    let c = common::http();
    assert_eq!(
        c.put(&url)
            .header("content-type", "text/plain")
            .body("x")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        c.put(&url)
            .header("content-type", "image/png")
            .body("png!")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let out = presign_cli(&["--method", "get", "s3://cli/a b/ü+.png"], &env);
    let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(url.contains("X-Amz-Expires=300"), "default expiry 300 s");
    assert_eq!(
        c.get(&url).send().await.unwrap().text().await.unwrap(),
        "png!"
    );

    // Profiles: credentials and region from files named by AWS_* variables.
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    let config = dir.path().join("config");
    std::fs::write(&creds, format!("[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n\n[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n", common::ACCESS_KEY, common::SECRET_KEY)).unwrap();
    std::fs::write(
        &config,
        format!("[profile dev]\nregion = us-east-1\nendpoint_url = {endpoint}\n"),
    )
    .unwrap();
    let out = presign_cli(
        &["--method", "GET", "s3://cli/a b/ü+.png"],
        &[
            ("AWS_PROFILE", "dev"),
            ("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(c.get(&url).send().await.unwrap().status(), 200);

    // Bad input: clear one-line errors and a failing exit status.
    for args in [
        vec!["--expires-in", "8d", "s3://cli/k"],
        vec!["--expires-in", "soon", "s3://cli/k"],
        vec!["--method", "PATCH", "s3://cli/k"],
        vec!["cli/k"],
        vec!["s3://cli"],
    ] {
        let out = presign_cli(&args, &env);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("sluice: "), "{err}");
    }
    let out = presign_cli(&["s3://cli/k"], &[("AWS_ENDPOINT_URL", endpoint.as_str())]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("credentials"));
    ts.stop().await;
}
