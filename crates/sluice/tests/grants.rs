//! Grants behind use-limited presigned URLs: who may see and revoke them, bulk revocation.

mod common;
mod iam_support;

use common::{http, TestServer, REGION};
use iam_support::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};

/// A SigV4 header-signed call to the service API as `who`.
async fn call_as(
    ts: &TestServer,
    who: &UserKey,
    method: &str,
    path: &str,
    query: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let hash = hex::encode(Sha256::digest(&bytes));
    let host = ts.host();
    let signed = sign_headers_v4(
        &who.creds(),
        &SigningRequest {
            method,
            host: &host,
            raw_path: path,
            raw_query: query,
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
        },
    );
    let sep = if query.is_empty() { "" } else { "?" };
    let mut req = http()
        .request(
            method.parse().unwrap(),
            format!("{}{path}{sep}{query}", ts.endpoint()),
        )
        .body(bytes);
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

/// Mints a 3-use PUT URL for `key` as `who`; returns (grant id, url).
async fn mint_grant(ts: &TestServer, who: &UserKey, key: &str) -> (String, String) {
    let (status, out) = call_as(
        ts,
        who,
        "POST",
        "/_sluice/v1/presign",
        "",
        Some(json!({"method":"PUT","bucket":"grantbkt","key":key,"max_uses":3})),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    (
        out["id"].as_str().unwrap().to_string(),
        out["url"].as_str().unwrap().to_string(),
    )
}

async fn user_with_put(ts: &TestServer, name: &str) -> UserKey {
    let key = new_user(ts, name, None).await;
    grant(
        ts,
        name,
        &format!("{name}-put"),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":"arn:aws:s3:::grantbkt/*"}]}"#,
    )
    .await;
    key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_are_private_to_their_signer_and_revocable_in_bulk() {
    let ts = TestServer::start().await;
    root_bucket(&ts, "grantbkt").await;
    let alice = user_with_put(&ts, "alice").await;
    let bob = user_with_put(&ts, "bob").await;
    let root = UserKey::root();
    let (a1, a1_url) = mint_grant(&ts, &alice, "a/1").await;
    let (_a2, a2_url) = mint_grant(&ts, &alice, "a/2").await;
    let (b1, b1_url) = mint_grant(&ts, &bob, "b/1").await;
    let (r1, r1_url) = mint_grant(&ts, &root, "r/1").await;

    // Only the signer (or root) sees a grant.
    let path = format!("/_sluice/v1/grants/{a1}");
    assert_eq!(call_as(&ts, &alice, "GET", &path, "", None).await.0, 200);
    assert_eq!(call_as(&ts, &root, "GET", &path, "", None).await.0, 200);
    assert_eq!(call_as(&ts, &bob, "GET", &path, "", None).await.0, 404);
    assert_eq!(call_as(&ts, &bob, "DELETE", &path, "", None).await.0, 404);
    let carol = new_user(&ts, "carol", None).await;
    grant(
        &ts,
        "carol",
        "carol-admin",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sluice:Admin","Resource":"*"}}"#,
    )
    .await;
    assert_eq!(call_as(&ts, &carol, "GET", &path, "", None).await.0, 200);
    let (_, out) = call_as(&ts, &carol, "GET", "/_sluice/v1/grants", "", None).await;
    assert_eq!(out["grants"].as_array().unwrap().len(), 4, "{out}");

    // Lists are scoped to the caller's key; root sees all and can filter.
    let (status, out) = call_as(&ts, &alice, "GET", "/_sluice/v1/grants", "", None).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["grants"].as_array().unwrap().len(), 2, "{out}");
    let (_, out) = call_as(
        &ts,
        &root,
        "GET",
        "/_sluice/v1/grants",
        "bucket=grantbkt&prefix=b%2F",
        None,
    )
    .await;
    let ids: Vec<&str> = out["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![b1.as_str()]);

    // Alice may not revoke Bob's grants in bulk.
    let (status, _) = call_as(
        &ts,
        &alice,
        "POST",
        "/_sluice/v1/grants/revoke",
        "",
        Some(json!({"access_key_id": bob.access_key_id})),
    )
    .await;
    assert_eq!(status, 403);

    // Root revokes everything Alice signed: her URLs die, Bob's and root's live on.
    let (status, out) = call_as(
        &ts,
        &root,
        "POST",
        "/_sluice/v1/grants/revoke",
        "",
        Some(json!({"access_key_id": alice.access_key_id})),
    )
    .await;
    assert_eq!((status, out["revoked"].as_u64()), (200, Some(2)), "{out}");
    assert_eq!(put_url(&a1_url, "x").await.0, 403);
    assert_eq!(put_url(&a2_url, "x").await.0, 403);
    assert_eq!(put_url(&b1_url, "x").await.0, 200);
    assert_eq!(put_url(&r1_url, "x").await.0, 200);

    // Bob revokes his own by prefix; issued_before in the past matches nothing.
    let (status, out) = call_as(
        &ts,
        &bob,
        "POST",
        "/_sluice/v1/grants/revoke",
        "",
        Some(json!({"issued_before": "2000-01-01T00:00:00Z"})),
    )
    .await;
    assert_eq!((status, out["revoked"].as_u64()), (200, Some(0)), "{out}");
    let (status, out) = call_as(
        &ts,
        &bob,
        "POST",
        "/_sluice/v1/grants/revoke",
        "",
        Some(json!({"prefix": "b/"})),
    )
    .await;
    assert_eq!((status, out["revoked"].as_u64()), (200, Some(1)), "{out}");
    assert_eq!(put_url(&b1_url, "x").await.0, 403);
    let (_, g) = call_as(
        &ts,
        &root,
        "GET",
        &format!("/_sluice/v1/grants/{r1}"),
        "",
        None,
    )
    .await;
    assert_eq!(g["uses"], 1, "{g}");
    assert!(g["revoked_at"].is_null(), "{g}");
    ts.stop().await;
}
