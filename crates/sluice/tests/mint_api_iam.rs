//! The mint API signs with the caller's own key and refuses to mint what the caller could not do.

mod common;
mod iam_support;

use common::{http, TestServer, REGION};
use iam_support::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};

async fn mint_as(ts: &TestServer, who: &UserKey, body: Value) -> (u16, Value) {
    let bytes = serde_json::to_vec(&body).unwrap();
    let hash = hex::encode(Sha256::digest(&bytes));
    let host = ts.host();
    let signed = sign_headers_v4(
        &who.creds(),
        &SigningRequest {
            method: "POST",
            host: &host,
            raw_path: "/_sluice/v1/presign",
            raw_query: "",
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: time::OffsetDateTime::now_utc(),
        },
    );
    let mut req = http()
        .post(format!("{}/_sluice/v1/presign", ts.endpoint()))
        .body(bytes);
    for (k, v) in &signed {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (
        status,
        serde_json::from_str(&resp.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_mint_only_what_they_may_do_and_their_urls_die_with_their_key() {
    let ts = TestServer::start().await;
    root_bucket(&ts, "minted").await;
    let alice = new_user(&ts, "alice", None).await;
    grant(
        &ts,
        "alice",
        "alice-put",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":"arn:aws:s3:::minted/alice/*"}]}"#,
    )
    .await;
    let (status, out) = mint_as(
        &ts,
        &alice,
        json!({"method":"PUT","bucket":"minted","key":"alice/a.txt","expires_in":600}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap().to_string();
    assert!(
        url.contains(&alice.access_key_id),
        "signed with the caller's key"
    );
    let (status, out) = mint_as(
        &ts,
        &alice,
        json!({"method":"PUT","bucket":"minted","key":"bob/a.txt"}),
    )
    .await;
    assert_eq!(status, 403, "{out}");
    assert_eq!(out["error"], "AccessDenied");
    let (status, _) = mint_as(
        &ts,
        &alice,
        json!({"method":"GET","bucket":"minted","key":"alice/a.txt"}),
    )
    .await;
    assert_eq!(status, 403, "alice may not read");
    let (status, out) = mint_as(
        &ts,
        &alice,
        json!({"method":"PUT","bucket":"minted","key":"alice/big","multipart":{"parts":2}}),
    )
    .await;
    assert_eq!(status, 200, "{out}");

    assert_eq!(put_url(&url, "hello").await.0, 200);
    cli(&ts, &["key", "disable", &alice.access_key_id]).await;
    assert_eq!(
        put_url(&url, "again").await.0,
        403,
        "a disabled key kills its minted URLs"
    );
    ts.stop().await;
}
