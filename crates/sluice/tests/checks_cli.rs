//! Verified commit (issue 23): `sluice admin checks ...`, `sluice presign --checks` and
//! `[[checks.profiles]]` in the configuration file.

mod common;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use common::checks::*;
use common::{http, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sets_applies_and_presigns_with_a_profile() {
    let ts = TestServer::start_with_bucket("cli").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pngs.json");
    std::fs::write(&file, r#"{"sniff": {"allow": ["image/png"]}}"#).unwrap();
    let file = file.to_str().unwrap();
    let (ok, out, err) = sluice(&ts, &["admin", "checks", "set", "pngs", file]);
    assert!(ok, "{err}");
    assert!(out.contains("\"name\": \"pngs\""), "{out}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"sniff": {"allow": []}}"#).unwrap();
    let (ok, _, err) = sluice(
        &ts,
        &["admin", "checks", "set", "bad", bad.to_str().unwrap()],
    );
    assert!(!ok);
    assert!(err.contains("sniff.allow"), "{err}");

    // A URL's profile, offline and through the mint API (--max-uses).
    for extra in [&[][..], &["--max-uses", "2"][..]] {
        let mut args = vec![
            "presign",
            "--method",
            "PUT",
            "--checks",
            "pngs",
            "s3://cli/p.png",
        ];
        args.extend_from_slice(extra);
        let (ok, url, err) = sluice(&ts, &args);
        assert!(ok, "{err}");
        let url = url.trim();
        assert!(url.contains("x-sluice-checks=pngs"), "{url}");
        let r = http().put(url).body(elf()).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("UploadRejected"));
        let r = http().put(url).body(png(1, 1)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }

    // Applied to the bucket under a prefix.
    let (ok, _, err) = sluice(
        &ts,
        &[
            "admin", "checks", "apply", "pngs", "--bucket", "cli", "--prefix", "img/",
        ],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = sluice(&ts, &["admin", "checks", "show", "pngs"]);
    assert!(ok);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        shown["applied"],
        json!([{"bucket": "cli", "prefix": "img/"}])
    );
    assert_rejected(
        put(&ts, "cli", "img/x", elf(), "image/png").await,
        "application/x-executable",
    );
    put(&ts, "cli", "bin/x", elf(), "application/octet-stream")
        .await
        .unwrap();
    let (ok, _, err) = sluice(
        &ts,
        &[
            "admin", "checks", "unapply", "pngs", "--bucket", "cli", "--prefix", "img/",
        ],
    );
    assert!(ok, "{err}");
    put(&ts, "cli", "img/x", elf(), "image/png").await.unwrap();
    let (ok, out, _) = sluice(&ts, &["admin", "checks", "list"]);
    assert!(ok && out.contains("pngs"), "{out}");
    let (ok, _, _) = sluice(&ts, &["admin", "checks", "delete", "pngs"]);
    assert!(ok);
    let (ok, _, err) = sluice(&ts, &["admin", "checks", "show", "pngs"]);
    assert!(!ok && err.contains("no such check profile"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_from_the_configuration_file() {
    use common::process::{serve_expecting_exit, ServerProcess, ROOT_ENV};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("sluice.toml");
    std::fs::write(
        &config,
        "[[checks.profiles]]\nname = \"pngs\"\nsniff = { allow = [\"image/png\"] }\n\
         image = { max_pixels = 1000000 }\n",
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
    let server = ServerProcess::start(&args, &ROOT_ENV);
    let endpoint = format!("http://{}", server.addr);
    let s3 = common::sdk_at(server.addr, common::ACCESS_KEY, common::SECRET_KEY);
    s3.create_bucket().bucket("cfg").send().await.unwrap();
    let (ok, _, err) = sluice_at(
        &endpoint,
        &["admin", "checks", "apply", "pngs", "--bucket", "cfg"],
    );
    assert!(ok, "{err}");
    let refused = s3
        .put_object()
        .bucket("cfg")
        .key("big.png")
        .body(ByteStream::from(png(2000, 2000)))
        .send()
        .await
        .expect_err("over max_pixels");
    assert_eq!(refused.code(), Some("UploadRejected"));
    assert!(refused
        .message()
        .unwrap()
        .contains("rejected by image: 2000x2000"));
    s3.put_object()
        .bucket("cfg")
        .key("ok.png")
        .body(ByteStream::from(png(20, 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(server.terminate(), Some(0));

    // A hook without its secret in the file: the server does not start.
    std::fs::write(
        &config,
        "[[checks.profiles]]\nname = \"scan\"\nhook = { url = \"http://127.0.0.1:9/\" }\n",
    )
    .unwrap();
    let exited = serve_expecting_exit(&args, &ROOT_ENV, Duration::from_secs(20));
    assert_ne!(exited.code, Some(0));
    assert!(
        exited.stderr.contains("hook.secret is required"),
        "{}",
        exited.stderr
    );
}
