//! Signed POST forms from `sluice presign --post` (offline) and from the mint API
//! (`"method": "POST"`), used by a real multipart form upload.

mod common;

use common::{creds, http, xml_field, TestServer, REGION};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};

const BUCKET: &str = "drop";
const BOUNDARY: &str = "----sluiceMintedForm";

fn presign_cli(ts: &TestServer, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("presign")
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("HOME", "/nonexistent-home")
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", ts.endpoint())
        .output()
        .expect("run sluice presign");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Sends the minted `{url, fields}` plus extra fields and a file as a multipart form.
async fn submit(
    form: &Value,
    extra: &[(&str, &str)],
    filename: &str,
    data: &[u8],
) -> (u16, String) {
    let mut body = Vec::new();
    let mut part = |n: &str, v: &str| {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        )
    };
    for (n, v) in form["fields"].as_object().unwrap() {
        part(n, v.as_str().unwrap());
    }
    for (n, v) in extra {
        part(n, v);
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let r = http()
        .post(form["url"].as_str().unwrap())
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

async fn mint(ts: &TestServer, body: &Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let hash = hex::encode(Sha256::digest(&bytes));
    let host = ts.host();
    let extra = vec![("content-type".to_string(), "application/json".to_string())];
    let signed = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method: "POST",
            host: &host,
            raw_path: "/_sluice/v1/presign",
            raw_query: "",
            headers: &extra,
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
        },
    );
    let mut req = http()
        .post(format!("{}/_sluice/v1/presign", ts.endpoint()))
        .body(bytes);
    for (k, v) in extra.iter().chain(signed.iter()) {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

async fn exists(ts: &TestServer, key: &str) -> bool {
    ts.sdk()
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_presign_post_form_uploads_within_its_limits() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let (ok, out, err) = presign_cli(
        &ts,
        &[
            "--post",
            "--expires-in",
            "10m",
            "--max-size",
            "16",
            "--min-size",
            "2",
            "--content-type",
            "text/plain",
            "--key-starts-with",
            "inbox/",
            "s3://drop/inbox/${filename}",
        ],
    );
    assert!(ok, "{err}");
    let form: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(form["url"], format!("{}/{BUCKET}", ts.endpoint()));
    assert_eq!(form["fields"]["key"], "inbox/${filename}");
    assert_eq!(form["fields"]["Content-Type"], "text/plain");
    for f in [
        "policy",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-date",
        "x-amz-algorithm",
    ] {
        assert!(form["fields"][f].is_string(), "{f}");
    }
    let (status, body) = submit(&form, &[], "note.txt", b"hello").await;
    assert_eq!(status, 204, "{body}");
    assert!(exists(&ts, "inbox/note.txt").await);
    let (status, body) = submit(&form, &[], "big.txt", &[b'x'; 17]).await;
    assert_eq!(
        (status, xml_field(&body, "Code").unwrap().as_str()),
        (400, "EntityTooLarge")
    );
    assert!(!exists(&ts, "inbox/big.txt").await);
    let (status, body) = submit(&form, &[], "tiny.txt", b"x").await;
    assert_eq!(
        (status, xml_field(&body, "Code").unwrap().as_str()),
        (400, "EntityTooSmall")
    );
    // A field the policy does not cover.
    let (status, body) = submit(&form, &[("x-amz-meta-a", "b")], "n2.txt", b"hello").await;
    assert_eq!(status, 403, "{body}");

    let (ok, _, err) = presign_cli(&ts, &["--post", "--key-starts-with", "a/", "s3://drop/b/x"]);
    assert!(!ok);
    assert!(err.contains("--key-starts-with"), "{err}");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_api_post_returns_a_form_with_the_given_conditions() {
    let ts = TestServer::start().await;
    ts.sdk()
        .create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap();
    let (status, form) = mint(
        &ts,
        &json!({
            "method": "POST", "bucket": BUCKET, "key": "shared/${filename}",
            "key_starts_with": "shared/", "expires_in": 600,
            "content_length_range": [1, 1000],
            "conditions": [["starts-with", "$x-amz-meta-uploader", ""], {"success_action_status": "201"}]
        }),
    )
    .await;
    assert_eq!(status, 200, "{form}");
    assert_eq!(form["method"], "POST");
    assert!(form["expires_at"].is_string());
    let (status, body) = submit(
        &form,
        &[
            ("x-amz-meta-uploader", "guest"),
            ("success_action_status", "201"),
        ],
        "pic.jpg",
        b"jpeg",
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(xml_field(&body, "Key").unwrap(), "shared/pic.jpg");
    let head = ts
        .sdk()
        .head_object()
        .bucket(BUCKET)
        .key("shared/pic.jpg")
        .send()
        .await
        .unwrap();
    assert_eq!(head.metadata().unwrap()["uploader"], "guest");

    // Bad conditions and fields are refused when minting.
    for bad in [
        json!({"method": "POST", "bucket": BUCKET, "key": "k", "conditions": [["in", "$key", "x"]]}),
        json!({"method": "POST", "bucket": BUCKET, "key": "k", "conditions": ["text"]}),
        json!({"method": "POST", "bucket": BUCKET, "key": "k", "content_length_range": [5, 1]}),
        json!({"method": "POST", "bucket": BUCKET, "key": "k", "key_starts_with": "z/"}),
        json!({"method": "POST", "bucket": BUCKET, "key": "k", "max_uses": 2}),
        json!({"method": "PUT", "bucket": BUCKET, "key": "k", "conditions": []}),
    ] {
        let (status, body) = mint(&ts, &bad).await;
        assert_eq!(status, 400, "{bad} -> {body}");
    }
    let (status, _) = mint(
        &ts,
        &json!({"method": "POST", "bucket": "nobucket", "key": "k"}),
    )
    .await;
    assert_eq!(status, 404);
    ts.stop().await;
}
