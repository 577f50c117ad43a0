//! Signed calls to Sluice's JSON service API (`/_sluice/v1/...`) with the root key.

use super::{creds, http, TestServer, REGION};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};
use time::OffsetDateTime;

/// `POST /_sluice/v1/presign` signed with the root key.
pub async fn mint(ts: &TestServer, body: Value) -> (u16, Value) {
    let path = "/_sluice/v1/presign";
    let bytes = serde_json::to_vec(&body).unwrap();
    let hash = hex::encode(Sha256::digest(&bytes));
    let host = ts.host();
    let extra = vec![("content-type".to_string(), "application/json".to_string())];
    let signed = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method: "POST",
            host: &host,
            raw_path: path,
            raw_query: "",
            headers: &extra,
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = http().post(format!("{}{path}", ts.endpoint())).body(bytes);
    for (k, v) in extra.iter().chain(signed.iter()) {
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

/// A signed call to the service API with the root key.
pub async fn api(ts: &TestServer, method: &str, path: &str) -> (u16, Value) {
    let host = ts.host();
    let (raw_path, raw_query) = path.split_once('?').unwrap_or((path, ""));
    let hash = hex::encode(Sha256::digest(b""));
    let signed = sign_headers_v4(
        &creds(),
        &SigningRequest {
            method,
            host: &host,
            raw_path,
            raw_query,
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = http().request(method.parse().unwrap(), format!("{}{path}", ts.endpoint()));
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
