//! Helpers for identity-and-access tests: the `sluice admin` CLI against a test server,
//! signed admin API calls, presigning as a user.
#![allow(dead_code)]

use crate::common::{TestServer, ACCESS_KEY, REGION, SECRET_KEY};
use sluice_sigv4::{
    encode_object_path, presign_v4, sign_headers_v4, Credentials, PresignRequest, SigningRequest,
};
use std::process::Output;
use time::OffsetDateTime;

/// An access key pair of a user, as `sluice admin key create` prints it.
#[derive(Debug, Clone)]
pub struct UserKey {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl UserKey {
    pub fn root() -> UserKey {
        UserKey {
            access_key_id: ACCESS_KEY.into(),
            secret_access_key: SECRET_KEY.into(),
        }
    }

    pub fn creds(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: None,
        }
    }
}

/// Runs `sluice admin ARGS` as `who` against the server; returns the process output.
pub async fn cli_as(ts: &TestServer, who: &UserKey, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("admin").args(args);
    for k in [
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_S3",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("HOME", "/nonexistent-home")
        .env("AWS_ENDPOINT_URL", ts.endpoint())
        .env("AWS_ACCESS_KEY_ID", &who.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &who.secret_access_key)
        .env("RUST_LOG", "error");
    tokio::task::spawn_blocking(move || cmd.output().expect("run sluice admin"))
        .await
        .expect("join")
}

/// Runs `sluice admin ARGS` as root and parses the JSON it prints; panics on failure.
pub async fn cli(ts: &TestServer, args: &[&str]) -> serde_json::Value {
    let out = cli_as(ts, &UserKey::root(), args).await;
    assert!(
        out.status.success(),
        "sluice admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("admin prints JSON")
}

/// Creates a user with one key (optionally expiring) through the CLI.
pub async fn new_user(ts: &TestServer, name: &str, expires_in: Option<&str>) -> UserKey {
    cli(ts, &["user", "create", name]).await;
    let mut args = vec!["key", "create", name];
    if let Some(e) = expires_in {
        args.extend(["--expires-in", e]);
    }
    let k = cli(ts, &args).await;
    assert_eq!(k["user"], name);
    UserKey {
        access_key_id: k["access_key_id"].as_str().unwrap().to_string(),
        secret_access_key: k["secret_access_key"].as_str().unwrap().to_string(),
    }
}

/// Stores a policy (from JSON text, through a file) and attaches it to a user.
pub async fn grant(ts: &TestServer, user: &str, policy_name: &str, document: &str) {
    let file = ts.dir.path().join(format!("{policy_name}.json"));
    std::fs::write(&file, document).unwrap();
    cli(
        ts,
        &["policy", "create", policy_name, file.to_str().unwrap()],
    )
    .await;
    cli(ts, &["policy", "attach", policy_name, "--user", user]).await;
}

/// A presigned URL for `bucket/key` signed by `who`, made at `at`.
pub fn presign_as(
    ts: &TestServer,
    who: &UserKey,
    method: &str,
    bucket: &str,
    key: &str,
    expires_in: u64,
) -> String {
    let path = encode_object_path(bucket, key);
    let host = ts.host();
    let q = presign_v4(
        &who.creds(),
        &PresignRequest {
            method,
            host: &host,
            raw_path: &path,
            query: &[],
            headers: &[],
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
            expires_in,
        },
    );
    format!("http://{host}{path}?{q}")
}

/// PUTs `body` to a URL; returns status and the error code (if any).
pub async fn put_url(url: &str, body: &'static str) -> (u16, String) {
    let r = reqwest::Client::new()
        .put(url)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        crate::common::xml_field(&text, "Code").unwrap_or_default(),
    )
}

/// GETs a URL; returns status and body text.
pub async fn get_url(url: &str) -> (u16, String) {
    let r = reqwest::Client::new().get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// One admin API call signed (SigV4 header) by `who`; returns status and JSON body.
pub async fn admin_call(
    ts: &TestServer,
    who: &UserKey,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    admin_call_at(ts.addr, who, method, path, body).await
}

/// [`admin_call`] against any server address.
pub async fn admin_call_at(
    addr: std::net::SocketAddr,
    who: &UserKey,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    use sha2::Digest;
    let raw_path = format!("/_sluice/admin/v1/{path}");
    let host = addr.to_string();
    let hash = hex::encode(sha2::Sha256::digest(body.as_bytes()));
    let signed = sign_headers_v4(
        &who.creds(),
        &SigningRequest {
            method,
            host: &host,
            raw_path: &raw_path,
            raw_query: "",
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("http://{host}{raw_path}"),
        )
        .body(body.to_string());
    for (k, v) in signed {
        req = req.header(k, v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Creates a bucket as root.
pub async fn root_bucket(ts: &TestServer, bucket: &str) {
    ts.sdk()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
}

/// Stores objects as root.
pub async fn put_as_root(ts: &TestServer, bucket: &str, keys: &[&str], body: &str) {
    for key in keys {
        ts.sdk()
            .put_object()
            .bucket(bucket)
            .key(*key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
}

/// The S3 error code of a failed SDK call.
pub fn sdk_error_code<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or_default()
        .to_string()
}
