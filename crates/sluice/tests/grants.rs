//! Grants behind use-limited presigned URLs: who may see and revoke them, bulk revocation;
//! reservations left by a killed server are released (at its next start, or after their deadline)
//! and do not keep expired grants forever.

mod common;
mod iam_support;

use common::process::ServerProcess;
use common::{http, TestServer, REGION};
use iam_support::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A SigV4 header-signed call to the service API as `who`.
async fn call_as(
    ts: &TestServer,
    who: &UserKey,
    method: &str,
    path: &str,
    query: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let now = time::OffsetDateTime::now_utc();
    call_at(ts.addr, &who.creds(), method, path, query, body, now).await
}

/// A SigV4 header-signed call to the server at `addr` with `creds`.
async fn call_at(
    addr: SocketAddr,
    creds: &sluice_sigv4::Credentials,
    method: &str,
    path: &str,
    query: &str,
    body: Option<Value>,
    at: time::OffsetDateTime,
) -> (u16, Value) {
    let bytes = body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let hash = hex::encode(Sha256::digest(&bytes));
    let host = addr.to_string();
    let signed = sign_headers_v4(
        creds,
        &SigningRequest {
            method,
            host: &host,
            raw_path: path,
            raw_query: query,
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: at,
        },
    );
    let sep = if query.is_empty() { "" } else { "?" };
    let mut req = http()
        .request(
            method.parse().unwrap(),
            format!("http://{host}{path}{sep}{query}"),
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

/// Root mints a single-use PUT URL (valid an hour) on the server at `addr`; returns (grant id, url).
async fn mint_single_use(addr: SocketAddr, key: &str) -> (String, String) {
    let (status, out) = call_at(
        addr,
        &common::creds(),
        "POST",
        "/_sluice/v1/presign",
        "",
        Some(json!({"method":"PUT","bucket":"grantbkt","key":key,"max_uses":1,"expires_in":3600})),
        time::OffsetDateTime::now_utc(),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    (
        out["id"].as_str().unwrap().to_string(),
        out["url"].as_str().unwrap().to_string(),
    )
}

/// Root reads grant `id` on the server at `addr`, signing at `at` (the server's clock may be
/// shifted): (status, grant).
async fn grant_on(addr: SocketAddr, id: &str, at: time::OffsetDateTime) -> (u16, Value) {
    call_at(
        addr,
        &common::creds(),
        "GET",
        &format!("/_sluice/v1/grants/{id}"),
        "",
        None,
        at,
    )
    .await
}

async fn grant_at(addr: SocketAddr, id: &str) -> (u16, Value) {
    grant_on(addr, id, time::OffsetDateTime::now_utc()).await
}

/// Opens a PUT of presigned `url` on the server at `to` (the URL's own Host header kept, so a
/// URL signed for an earlier address of the server stays valid) declaring `declared` bytes and
/// sending `body`; returns the connection, still open.
async fn start_put(
    to: SocketAddr,
    url: &str,
    declared: usize,
    body: &[u8],
) -> tokio::net::TcpStream {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, target) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(to).await.unwrap();
    let head = format!(
        "PUT {target} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {declared}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    s
}

/// PUTs `body` through presigned `url` on the server at `to`; returns the status and body.
async fn put_via(to: SocketAddr, url: &str, body: &[u8]) -> (u16, String) {
    let mut s = start_put(to, url, body.len(), body).await;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let r = common::parse_response(&buf);
    let text = r.text();
    (r.status, text)
}

/// Waits until grant `id` on the server at `addr` holds `n` reservations.
async fn wait_in_flight(addr: SocketAddr, id: &str, n: u64) {
    for _ in 0..200 {
        let (status, g) = grant_at(addr, id).await;
        assert_eq!(status, 200, "{g}");
        if g["in_flight"] == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("grant {id} never had {n} use(s) in flight");
}

const PROCESS_ENV: [(&str, &str); 3] = [
    ("SLUICE_ROOT_ACCESS_KEY", common::ACCESS_KEY),
    ("SLUICE_ROOT_SECRET_KEY", common::SECRET_KEY),
    ("RUST_LOG", "warn"),
];

/// Starts `sluice serve` on `data` with bucket `grantbkt`, mints one single-use URL per key, begins
/// an upload through each that never finishes (its use reserved), then kills the server with
/// SIGKILL mid-request. Returns (grant id, url) per key.
async fn kill_mid_upload(data: &str, keys: &[&str]) -> Vec<(String, String)> {
    let mut server = ServerProcess::start(
        &["--data-dir", data, "--listen", "127.0.0.1:0"],
        &PROCESS_ENV,
    );
    let addr = server.addr;
    let now = time::OffsetDateTime::now_utc();
    let (status, out) = call_at(addr, &common::creds(), "PUT", "/grantbkt", "", None, now).await;
    assert_eq!(status, 200, "{out}");
    let mut grants = Vec::new();
    let mut open = Vec::new();
    for key in keys {
        let (id, url) = mint_single_use(addr, key).await;
        open.push(start_put(addr, &url, 1000, b"only the first bytes").await);
        wait_in_flight(addr, &id, 1).await;
        // The reservation holds the only use: a second attempt is refused at once.
        let (status, body) = put_via(addr, &url, b"x").await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body.contains("This presigned URL has been used up"),
            "{body}"
        );
        grants.push((id, url));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    drop(open);
    grants
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_use_reserved_by_a_killed_server_is_released_when_it_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let grants = kill_mid_upload(&data, &["crashed"]).await;
    let (id, url) = &grants[0];

    // The same server (same node, a new run) starts again: what its earlier run reserved is
    // released before it serves, so the URL works at once, well before any deadline.
    let server = ServerProcess::start(
        &["--data-dir", &data, "--listen", "127.0.0.1:0"],
        &PROCESS_ENV,
    );
    let (status, g) = grant_at(server.addr, id).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(
        (g["uses"].clone(), g["in_flight"].clone()),
        (json!(0), json!(0)),
        "{g}"
    );
    let (status, body) = put_via(server.addr, url, b"second try").await;
    assert_eq!(status, 200, "{body}");
    // And that was the one use.
    let (status, body) = put_via(server.addr, url, b"third try").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("This presigned URL has been used up"),
        "{body}"
    );
    let (_, g) = grant_at(server.addr, id).await;
    assert_eq!(
        (g["uses"].clone(), g["in_flight"].clone()),
        (json!(1), json!(0)),
        "{g}"
    );
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_another_node_left_lapse_at_their_deadline_and_free_their_expired_grants() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let grants = kill_mid_upload(&data, &["lapses", "expires"]).await;
    let ((lapse_id, lapse_url), (expire_id, _)) = (&grants[0], &grants[1]);

    // Another node opens the store: it may not release what the killed server reserved before
    // the reservations' deadlines (that server could still be running, for all it knows).
    let mut cfg = sluice_server::ServerConfig::with_data_dir(dir.path());
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.root_access_key = Some(common::ACCESS_KEY.into());
    cfg.root_secret_key = Some(common::SECRET_KEY.into());
    cfg.node_id = "another-node".into();
    let server = sluice_server::start(cfg).await.unwrap();
    let addr = server.local_addr;
    let clock = server.clock.clone();
    for id in [lapse_id, expire_id] {
        let (_, g) = grant_on(addr, id, clock.now()).await;
        assert_eq!(g["in_flight"], 1, "{g}");
    }
    let (status, body) = put_via(addr, lapse_url, b"too early").await;
    assert_eq!(status, 403, "{body}");
    server
        .run_housekeeping(std::time::SystemTime::UNIX_EPOCH)
        .await
        .unwrap();
    let (_, g) = grant_on(addr, expire_id, clock.now()).await;
    assert_eq!(
        g["in_flight"], 1,
        "a reservation before its deadline survives the sweep: {g}"
    );

    // Past the deadline (a lease: 10 minutes by default), the next reservation of the grant
    // reclaims the lapsed one: the URL works again.
    clock.advance_ms(11 * 60 * 1000);
    let (status, body) = put_via(addr, lapse_url, b"after the deadline").await;
    assert_eq!(status, 200, "{body}");
    let (_, g) = grant_on(addr, lapse_id, clock.now()).await;
    assert_eq!(
        (g["uses"].clone(), g["in_flight"].clone()),
        (json!(1), json!(0)),
        "{g}"
    );
    let (_, g) = grant_on(addr, expire_id, clock.now()).await;
    assert_eq!(
        g["in_flight"], 1,
        "nothing reclaimed the other grant yet: {g}"
    );

    // Once both grants' URLs expired and the retention passed, the sweep releases the lapsed
    // reservation and deletes both grants.
    clock.advance_ms(26 * 3600 * 1000);
    server
        .run_housekeeping(std::time::SystemTime::UNIX_EPOCH)
        .await
        .unwrap();
    for id in [lapse_id, expire_id] {
        let (status, g) = grant_on(addr, id, clock.now()).await;
        assert_eq!(status, 404, "{id} deleted: {g}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_running_longer_than_the_lease_keeps_its_reservation() {
    // Lease 800 ms (renewed every 200 ms); the body trickles for 3 s, within the idle timeout.
    let ts = TestServer::start_with(|c| {
        c.grant_reservation_lease = Duration::from_millis(800);
        c.body_idle_timeout = Duration::from_millis(300);
    })
    .await;
    ts.create_bucket("grantbkt").await;
    let (id, url) = mint_single_use(ts.addr, "slow").await;
    let mut slow = start_put(ts.addr, &url, 30, b"").await;
    for i in 0..30 {
        slow.write_all(b"s").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        if i == 20 {
            // Two and a half leases in: the running upload still holds the only use.
            let (status, body) = put_via(ts.addr, &url, b"x").await;
            assert_eq!(status, 403, "{body}");
            assert!(
                body.contains("This presigned URL has been used up"),
                "{body}"
            );
        }
    }
    let mut buf = Vec::new();
    slow.read_to_end(&mut buf).await.unwrap();
    let r = common::parse_response(&buf);
    assert_eq!(r.status, 200, "{}", r.text());
    let (_, g) = grant_at(ts.addr, &id).await;
    assert_eq!(
        (g["uses"].clone(), g["in_flight"].clone()),
        (json!(1), json!(0)),
        "{g}"
    );
    ts.stop().await;
}
