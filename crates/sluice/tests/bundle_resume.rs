//! Resuming a multipart bundle (issue 27): `"multipart": {"upload_id": ID}` on the mint API and
//! `sluice presign --resume ID` answer fresh URLs for the parts not yet uploaded, plus complete
//! and abort, checked against the caller's permissions; tested with a real partial upload.

mod common;
mod iam_support;

use common::service_api::mint;
use common::{http, TestServer, REGION};
use iam_support::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};

const MIB: usize = 1024 * 1024;

async fn put_part(url: &str, body: Vec<u8>) -> (u16, String) {
    let resp = http().put(url).body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let etag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    (status, etag.unwrap_or(text))
}

async fn complete(url: &str, etags: &[(u32, String)]) -> (u16, String) {
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (n, e) in etags {
        xml.push_str(&format!(
            "<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let resp = http().post(url).body(xml).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn numbers(bundle: &Value, field: &str) -> Vec<u64> {
    bundle[field]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["part_number"].as_u64().unwrap())
        .collect()
}

/// `POST /_sluice/v1/presign` signed by `who`.
async fn mint_as(ts: &TestServer, who: &UserKey, body: Value) -> (u16, Value) {
    let path = "/_sluice/v1/presign";
    let bytes = serde_json::to_vec(&body).unwrap();
    let hash = hex::encode(Sha256::digest(&bytes));
    let host = ts.host();
    let signed = sign_headers_v4(
        &who.creds(),
        &SigningRequest {
            method: "POST",
            host: &host,
            raw_path: path,
            raw_query: "",
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
        },
    );
    let mut req = http().post(format!("http://{host}{path}")).body(bytes);
    for (k, v) in signed.iter() {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_upload_is_resumed_with_fresh_urls_for_the_missing_parts() {
    let ts = TestServer::start().await;
    ts.create_bucket("res").await;
    let (status, b) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "res", "key": "big", "multipart": {"parts": 3},
               "expires_in": 60}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let upload_id = b["upload_id"].as_str().unwrap().to_string();
    // Parts 1 and 3 arrive; then the bundle expires before part 2.
    let (s1, e1) = put_part(b["parts"][0]["url"].as_str().unwrap(), vec![1; 5 * MIB]).await;
    assert_eq!(s1, 200, "{e1}");
    let (s3, e3) = put_part(b["parts"][2]["url"].as_str().unwrap(), vec![3; MIB]).await;
    assert_eq!(s3, 200, "{e3}");
    ts.clock().advance_ms(120_000);
    let (s2, body) = put_part(b["parts"][1]["url"].as_str().unwrap(), vec![2; 5 * MIB]).await;
    assert_eq!(s2, 403, "{body}");
    ts.clock().advance_ms(-120_000);

    // Resume with the plan: only part 2 is signed again; the uploaded ones are listed.
    let (status, r) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "res", "key": "big",
               "multipart": {"upload_id": upload_id, "parts": 3}}),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["upload_id"], upload_id.as_str());
    assert_eq!(numbers(&r, "parts"), vec![2]);
    assert_eq!(numbers(&r, "uploaded_parts"), vec![1, 3]);
    assert_eq!(r["uploaded_parts"][0]["size"], 5 * MIB);
    assert_eq!(r["uploaded_parts"][0]["etag"], e1.as_str());
    // Without the plan: the gap and the part after the highest.
    let (status, g) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "res", "key": "big",
               "multipart": {"upload_id": upload_id}}),
    )
    .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(numbers(&g, "parts"), vec![2, 4]);
    assert!(g["abort_url"].as_str().unwrap().contains("uploadId="));

    // The fresh URL takes part 2 and the fresh complete URL finishes the upload.
    let (s2, e2) = put_part(r["parts"][0]["url"].as_str().unwrap(), vec![2; 5 * MIB]).await;
    assert_eq!(s2, 200, "{e2}");
    let (st, body) = complete(
        r["complete_url"].as_str().unwrap(),
        &[(1, e1), (2, e2), (3, e3)],
    )
    .await;
    assert_eq!(st, 200, "{body}");
    let head = ts
        .sdk()
        .head_object()
        .bucket("res")
        .key("big")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some((11 * MIB) as i64));

    // A completed upload cannot be resumed.
    let (status, out) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "res", "key": "big",
               "multipart": {"upload_id": upload_id}}),
    )
    .await;
    assert_eq!(status, 400, "{out}");
    assert_eq!(out["field"], "multipart.upload_id");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_is_checked_against_the_upload_and_the_callers_permissions() {
    let ts = TestServer::start().await;
    ts.create_bucket("res").await;
    let (status, b) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "res", "key": "k", "multipart": {"parts": 2}}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let upload_id = b["upload_id"].as_str().unwrap().to_string();
    // Unknown id, another key, another method.
    for (body, field) in [
        (
            json!({"method": "PUT", "bucket": "res", "key": "k", "multipart": {"upload_id": "nope"}}),
            "multipart.upload_id",
        ),
        (
            json!({"method": "PUT", "bucket": "res", "key": "other", "multipart": {"upload_id": upload_id}}),
            "multipart.upload_id",
        ),
        (
            json!({"method": "GET", "bucket": "res", "key": "k", "multipart": {"upload_id": upload_id}}),
            "multipart",
        ),
    ] {
        let (status, out) = mint(&ts, body).await;
        assert_eq!(status, 400, "{out}");
        assert_eq!(out["field"], field, "{out}");
    }
    // A reader may not mint upload URLs, resumed or not.
    let reader = new_user(&ts, "reader", None).await;
    grant(
        &ts,
        "reader",
        "read-only",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::res/*"}}"#,
    )
    .await;
    let (status, out) = mint_as(
        &ts,
        &reader,
        json!({"method": "PUT", "bucket": "res", "key": "k", "multipart": {"upload_id": upload_id}}),
    )
    .await;
    assert_eq!(status, 403, "{out}");
    // A writer may.
    let writer = new_user(&ts, "writer", None).await;
    grant(
        &ts,
        "writer",
        "write",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::res/*"}}"#,
    )
    .await;
    let (status, out) = mint_as(
        &ts,
        &writer,
        json!({"method": "PUT", "bucket": "res", "key": "k", "multipart": {"upload_id": upload_id}}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(numbers(&out, "parts"), vec![1]);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_presign_resume_prints_the_remaining_parts() {
    let ts = TestServer::start().await;
    ts.create_bucket("res").await;
    let (status, b) = mint(
        &ts,
        json!({"method": "PUT", "bucket": "res", "key": "cli", "multipart": {"parts": 2}}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let upload_id = b["upload_id"].as_str().unwrap().to_string();
    let (s1, e1) = put_part(b["parts"][0]["url"].as_str().unwrap(), vec![1; 8]).await;
    assert_eq!(s1, 200, "{e1}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["presign", "--resume", &upload_id, "s3://res/cli"])
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("HOME", "/nonexistent-home")
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", ts.endpoint())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(bundle["upload_id"], upload_id.as_str());
    assert_eq!(numbers(&bundle, "parts"), vec![2]);
    assert_eq!(numbers(&bundle, "uploaded_parts"), vec![1]);
    ts.stop().await;
}
