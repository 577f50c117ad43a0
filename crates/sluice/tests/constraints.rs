//! Constrained presigned URLs: signed `x-sluice-*` query parameters checked by the server.

mod common;

use common::service_api::{api, mint};
use common::{http, xml_field, TestServer, REGION};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const BUCKET: &str = "cons";

async fn server() -> TestServer {
    TestServer::start_with_bucket(BUCKET).await
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn presign_put(ts: &TestServer, key: &str, query: &[(&str, &str)]) -> String {
    ts.presign_full(
        "PUT",
        BUCKET,
        key,
        3600,
        &[],
        &q(query),
        OffsetDateTime::now_utc(),
    )
}

async fn put(url: &str, content_type: Option<&str>, body: Vec<u8>) -> (u16, String) {
    let mut req = http().put(url).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
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

fn code(body: &str) -> String {
    xml_field(body, "Code").unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_range_enforced() {
    let ts = server().await;
    let range = [("x-sluice-content-length-range", "5,10")];

    let url = presign_put(&ts, "big", &range);
    let (status, body) = put(&url, None, vec![b'x'; 11]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooLarge"),
        "{body}"
    );
    assert!(!exists(&ts, "big").await);

    // No Content-Length: the server counts the bytes while they stream.
    let url = presign_put(&ts, "streamed", &range);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(vec![b'y'; 6]), Ok(vec![b'y'; 6])];
    let resp = http()
        .put(&url)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap();
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooLarge"),
        "{body}"
    );
    assert!(!exists(&ts, "streamed").await);

    let url = presign_put(&ts, "small", &range);
    let (status, body) = put(&url, None, vec![b'x'; 4]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooSmall"),
        "{body}"
    );
    assert!(!exists(&ts, "small").await);

    let url = presign_put(&ts, "max", &range);
    let (status, body) = put(&url, None, vec![b'x'; 10]).await;
    assert_eq!(status, 200, "{body}");
    let url = presign_put(&ts, "min", &range);
    assert_eq!(put(&url, None, vec![b'x'; 5]).await.0, 200);
    assert!(exists(&ts, "max").await && exists(&ts, "min").await);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_type_pinned() {
    let ts = server().await;
    let url = presign_put(&ts, "img", &[("x-sluice-content-type", "image/png")]);
    let (status, body) = put(&url, Some("text/html"), b"x".to_vec()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (403, "AccessDenied"),
        "{body}"
    );
    assert!(body.contains("image/png"), "{body}");
    let (status, _) = put(&url, None, b"x".to_vec()).await;
    assert_eq!(status, 403);
    assert!(!exists(&ts, "img").await);
    let (status, body) = put(&url, Some("image/png"), b"x".to_vec()).await;
    assert_eq!(status, 200, "{body}");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_before_uses_server_clock() {
    let ts = server().await;
    let start = (OffsetDateTime::now_utc() + time::Duration::minutes(30))
        .format(&Rfc3339)
        .unwrap();
    let url = presign_put(&ts, "later", &[("x-sluice-not-before", &start)]);
    let (status, body) = put(&url, None, b"x".to_vec()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (403, "AccessDenied"),
        "{body}"
    );
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("Request is not yet valid")
    );
    ts.clock().advance_ms(31 * 60 * 1000);
    let (status, body) = put(&url, None, b"x".to_vec()).await;
    assert_eq!(status, 200, "{body}");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_ip_ranges() {
    let ts = server().await;
    let url = presign_put(&ts, "lan", &[("x-sluice-source-ip", "10.0.0.0/8")]);
    let (status, body) = put(&url, None, b"x".to_vec()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (403, "AccessDenied"),
        "{body}"
    );
    assert!(!exists(&ts, "lan").await);
    let url = presign_put(
        &ts,
        "local",
        &[("x-sluice-source-ip", "10.0.0.0/8,127.0.0.0/8")],
    );
    let (status, body) = put(&url, None, b"x".to_vec()).await;
    assert_eq!(status, 200, "{body}");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_unknown_constraint_refused() {
    let ts = server().await;
    for (name, value) in [
        ("x-sluice-content-length-range", "10,5"),
        ("x-sluice-not-before", "tomorrow"),
        ("x-sluice-source-ip", "10.0.0.0/99"),
        ("x-sluice-max-speed", "1"),
    ] {
        let url = presign_put(&ts, "bad", &[(name, value)]);
        let (status, body) = put(&url, None, b"x".to_vec()).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (400, "AuthorizationQueryParametersError"),
            "{name}: {body}"
        );
    }
    assert!(!exists(&ts, "bad").await);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampering_with_a_constraint_breaks_the_signature() {
    let ts = server().await;
    let cases = [
        ("x-sluice-content-length-range", "0,10", "0,1000"),
        ("x-sluice-content-type", "image/png", "text/html"),
        (
            "x-sluice-not-before",
            "2020-01-01T00:00:00Z",
            "2020-01-02T00:00:00Z",
        ),
        ("x-sluice-source-ip", "127.0.0.0/8", "0.0.0.0/0"),
    ];
    for (name, value, forged) in cases {
        let url = presign_put(&ts, "t", &[(name, value)]);
        let enc = |s: &str| sluice_sigv4::uri_encode(s, true);
        let original = format!("{name}={}", enc(value));
        assert!(url.contains(&original), "{url}");
        let edited = url.replace(&original, &format!("{name}={}", enc(forged)));
        let (status, body) = put(&edited, Some("text/html"), b"x".to_vec()).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (403, "SignatureDoesNotMatch"),
            "{name}: {body}"
        );
        // Removing the constraint altogether is no better.
        let removed = url.replace(&format!("{original}&"), "");
        assert_ne!(removed, url);
        let (status, body) = put(&removed, Some("text/html"), b"x".to_vec()).await;
        assert_eq!(
            (status, code(&body).as_str()),
            (403, "SignatureDoesNotMatch"),
            "{name}: {body}"
        );
    }
    assert!(!exists(&ts, "t").await);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_api_signs_constraints() {
    let ts = server().await;
    let (status, out) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"m","content_type":"image/png",
               "content_length_range":[2,5],"source_ip":["127.0.0.0/8"],
               "not_before":"2000-01-01T00:00:00Z"}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap();
    for p in [
        "x-sluice-content-length-range=2%2C5",
        "x-sluice-content-type=image%2Fpng",
        "x-sluice-source-ip=127.0.0.0%2F8",
        "x-sluice-not-before=2000-01-01T00%3A00%3A00Z",
    ] {
        assert!(url.contains(p), "{p} missing from {url}");
    }
    let (status, body) = put(url, Some("image/png"), vec![1; 6]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooLarge"),
        "{body}"
    );
    let (status, body) = put(url, Some("image/png"), vec![1; 1]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooSmall"),
        "{body}"
    );
    assert!(!exists(&ts, "m").await);
    let (status, body) = put(url, Some("image/png"), vec![1; 5]).await;
    assert_eq!(status, 200, "{body}");

    let (status, out) = mint(
        &ts,
        json!({"method":"GET","bucket":BUCKET,"key":"m","source_ip":["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let resp = http()
        .get(out["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);

    let later = (OffsetDateTime::now_utc() + time::Duration::minutes(10))
        .format(&Rfc3339)
        .unwrap();
    let (status, out) = mint(
        &ts,
        json!({"method":"GET","bucket":BUCKET,"key":"m","not_before":later}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap();
    assert_eq!(http().get(url).send().await.unwrap().status().as_u16(), 403);
    ts.clock().advance_ms(11 * 60 * 1000);
    assert_eq!(http().get(url).send().await.unwrap().status().as_u16(), 200);
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_api_validates_constraint_fields() {
    let ts = server().await;
    for (extra, field) in [
        (
            json!({"content_length_range":[5,1]}),
            "content_length_range",
        ),
        (
            json!({"content_length_range":"1,5"}),
            "content_length_range",
        ),
        (json!({"not_before":"next week"}), "not_before"),
        (json!({"not_before":"2999-01-01T00:00:00Z"}), "not_before"),
        (json!({"source_ip":["10.0.0.0/40"]}), "source_ip"),
        (json!({"source_ip":"10.0.0.0/8"}), "source_ip"),
    ] {
        let mut body = json!({"method":"PUT","bucket":BUCKET,"key":"k"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, out) = mint(&ts, body).await;
        assert_eq!(status, 400, "{field}: {out}");
        assert_eq!(out["field"], field, "{out}");
    }
    let (status, out) = mint(
        &ts,
        json!({"method":"GET","bucket":BUCKET,"key":"k","content_length_range":[0,5]}),
    )
    .await;
    assert_eq!(
        (status, out["field"].as_str()),
        (400, Some("content_length_range"))
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_api_multipart_parts_carry_the_max() {
    let ts = server().await;
    let (status, out) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"mp","multipart":{"parts":2},
               "content_length_range":[0,8],"source_ip":["127.0.0.0/8"]}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let parts = out["parts"].as_array().unwrap();
    for p in parts {
        assert!(p["url"]
            .as_str()
            .unwrap()
            .contains("x-sluice-content-length-range=0%2C8"));
    }
    let complete = out["complete_url"].as_str().unwrap();
    assert!(!complete.contains("content-length-range"), "{complete}");
    assert!(complete.contains("x-sluice-source-ip="), "{complete}");
    let part1 = parts[0]["url"].as_str().unwrap();
    let (status, body) = put(part1, None, vec![1; 9]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooLarge"),
        "{body}"
    );
    let (status, body) = put(part1, None, vec![1; 8]).await;
    assert_eq!(status, 200, "{body}");
    ts.stop().await;
}

/// Runs `sluice presign ARGS` against `ts` with the root key; returns (success, stdout, stderr).
fn presign_cli(ts: &TestServer, args: &[&str]) -> (bool, String, String) {
    let endpoint = ts.endpoint();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("presign")
        .args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env("HOME", "/nonexistent-home")
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", &endpoint)
        .output()
        .expect("run sluice presign");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_presign_signs_constraints_offline() {
    let ts = server().await;
    let target = format!("s3://{BUCKET}/cli");
    let (ok, url, err) = presign_cli(
        &ts,
        &[
            "--max-size",
            "8",
            "--min-size",
            "2",
            "--source-ip",
            "10.0.0.0/8",
            "--source-ip",
            "127.0.0.1",
            "--not-before",
            "2000-01-01T00:00:00Z",
            &target,
        ],
    );
    assert!(ok, "{err}");
    assert!(
        url.contains("x-sluice-source-ip=10.0.0.0%2F8%2C127.0.0.1"),
        "{url}"
    );
    let (status, body) = put(&url, None, vec![1; 9]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooLarge"),
        "{body}"
    );
    let (status, body) = put(&url, None, vec![1; 1]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (400, "EntityTooSmall"),
        "{body}"
    );
    let (status, body) = put(&url, None, vec![1; 8]).await;
    assert_eq!(status, 200, "{body}");

    let (ok, url, err) = presign_cli(&ts, &["--source-ip", "10.0.0.0/8", &target]);
    assert!(ok, "{err}");
    assert_eq!(put(&url, None, vec![1]).await.0, 403);

    for bad in [
        vec!["--max-size", "1", "--min-size", "2"],
        vec!["--not-before", "soon"],
        vec!["--source-ip", "10.0.0.0/99"],
        vec!["--method", "GET", "--max-size", "10"],
    ] {
        let mut args = bad.clone();
        args.push(&target);
        let (ok, _, err) = presign_cli(&ts, &args);
        assert!(!ok, "{bad:?} should fail");
        assert!(!err.is_empty());
    }
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_use_url_succeeds_exactly_once_under_concurrency() {
    let ts = server().await;
    let (status, out) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"once","max_uses":1}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let id = out["id"].as_str().unwrap().to_string();
    let url = out["url"].as_str().unwrap().to_string();
    assert!(url.contains(&format!("x-sluice-grant={id}")), "{url}");

    // A refused attempt (size over the URL's limit is not involved: a bad content-md5) does
    // not spend the use.
    let resp = http()
        .put(&url)
        .header("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);

    let attempts: Vec<_> = (0..20)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move { put(&url, None, vec![i as u8; 1000]).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in attempts {
        statuses.push(a.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 403),
        "{statuses:?}"
    );

    let (status, g) = api(&ts, "GET", &format!("/_sluice/v1/grants/{id}")).await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["uses"], 1);
    assert_eq!(g["in_flight"], 0);
    let audit = g["audit"].as_array().unwrap();
    assert_eq!(audit.len(), 2, "{g}");
    assert_eq!(audit[0]["counted"], false);
    assert_eq!(audit[1]["counted"], true);
    assert_eq!(audit[1]["bytes"], 1000);
    assert_eq!(audit[1]["source_ip"], "127.0.0.1");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_one_grant_leaves_others_alive() {
    let ts = server().await;
    let mut minted = Vec::new();
    for key in ["r1", "r2"] {
        let (status, out) = mint(
            &ts,
            json!({"method":"PUT","bucket":BUCKET,"key":key,"max_uses":5}),
        )
        .await;
        assert_eq!(status, 200, "{out}");
        minted.push(out);
    }
    let id = minted[0]["id"].as_str().unwrap();
    let (status, out) = api(&ts, "DELETE", &format!("/_sluice/v1/grants/{id}")).await;
    assert_eq!(status, 200, "{out}");
    let (status, body) = put(minted[0]["url"].as_str().unwrap(), None, b"x".to_vec()).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (403, "AccessDenied"),
        "{body}"
    );
    assert!(body.contains("revoked"), "{body}");
    let (status, _) = put(minted[1]["url"].as_str().unwrap(), None, b"x".to_vec()).await;
    assert_eq!(status, 200);
    let (status, g) = api(&ts, "GET", &format!("/_sluice/v1/grants/{id}")).await;
    assert_eq!(status, 200);
    assert!(g["revoked_at"].is_string(), "{g}");
    let (status, _) = api(&ts, "GET", "/_sluice/v1/grants/nosuchgrant").await;
    assert_eq!(status, 404);
    let (status, out) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"k","max_uses":0}),
    )
    .await;
    assert_eq!((status, out["field"].as_str()), (400, Some("max_uses")));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_presign_max_uses_registers_a_grant() {
    let ts = server().await;
    let target = format!("s3://{BUCKET}/twice");
    // By default stdout is the URL alone, as without --max-uses (`URL=$(sluice presign ...)`),
    // and the grant id goes to stderr.
    let (ok, url, err) = presign_cli(&ts, &["--max-uses", "1", &target]);
    assert!(ok, "{err}");
    assert!(
        url.starts_with("http://") && !url.contains(char::is_whitespace),
        "stdout is not a URL alone: {url}"
    );
    let id = err
        .lines()
        .find_map(|l| l.strip_prefix("grant id: "))
        .unwrap_or_else(|| panic!("no grant id on stderr: {err}"));
    assert!(url.contains(&format!("x-sluice-grant={id}")), "{url}");
    assert_eq!(put(&url, None, vec![1; 4]).await.0, 200);
    assert_eq!(
        put(&url, None, vec![1; 4]).await.0,
        403,
        "the one use is spent"
    );
    // --output json gives the object, for this and the offline mode alike.
    let (ok, out, err) = presign_cli(
        &ts,
        &[
            "--max-uses",
            "2",
            "--max-size",
            "4",
            "--output",
            "json",
            &target,
        ],
    );
    assert!(ok, "{err}");
    let out: Value = serde_json::from_str(&out).unwrap();
    let url = out["url"].as_str().unwrap();
    assert!(out["id"].is_string(), "{out}");
    let (ok, offline, err) = presign_cli(
        &ts,
        &["--content-type", "text/plain", "--output", "json", &target],
    );
    assert!(ok, "{err}");
    let offline: Value = serde_json::from_str(&offline).unwrap();
    assert_eq!(offline["method"], "PUT", "{offline}");
    assert_eq!(
        offline["headers"]["content-type"], "text/plain",
        "{offline}"
    );
    assert!(
        offline["expires_at"].as_str().unwrap().ends_with('Z'),
        "{offline}"
    );
    assert!(offline["url"].as_str().unwrap().starts_with("http://"));
    let (ok, _, err) = presign_cli(
        &ts,
        &["--multipart", "--parts", "2", "--output", "url", &target],
    );
    assert!(!ok && err.contains("--output json"), "{err}");
    assert_eq!(put(url, None, vec![1; 5]).await.0, 400);
    assert_eq!(put(url, None, vec![1; 4]).await.0, 200);
    assert_eq!(put(url, None, vec![1; 4]).await.0, 200);
    let (status, body) = put(url, None, vec![1; 4]).await;
    assert_eq!(
        (status, code(&body).as_str()),
        (403, "AccessDenied"),
        "{body}"
    );
    ts.stop().await;
}

fn grants_cli(ts: &TestServer, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("grants")
        .args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("AWS_ENDPOINT_URL", ts.endpoint())
        .env("AWS_REGION", common::REGION)
        .env_remove("AWS_PROFILE")
        .env("HOME", "/nonexistent-home")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_cli_lists_shows_and_revokes() {
    let ts = server().await;
    let target = format!("s3://{BUCKET}/cli-grant");
    let (ok, out, err) = presign_cli(&ts, &["--max-uses", "3", "--output", "json", &target]);
    assert!(ok, "{err}");
    let minted: Value = serde_json::from_str(&out).unwrap();
    let id = minted["id"].as_str().unwrap().to_string();
    let url = minted["url"].as_str().unwrap().to_string();
    assert_eq!(put(&url, None, vec![1; 4]).await.0, 200);

    let (ok, out, err) = grants_cli(&ts, &["list", "--bucket", BUCKET]);
    assert!(ok, "{err}");
    assert!(out.contains(&id), "{out}");
    let (ok, out, err) = grants_cli(&ts, &["show", &id]);
    assert!(ok, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["uses"], 1, "{shown}");
    let (ok, _, err) = grants_cli(&ts, &["revoke", &id]);
    assert!(ok, "{err}");
    assert_eq!(
        put(&url, None, vec![1; 4]).await.0,
        403,
        "a revoked URL is dead"
    );
    let (ok, _, err) = grants_cli(&ts, &["show", "no-such-grant"]);
    assert!(!ok && err.starts_with("sluice: "), "{err}");
    ts.stop().await;
}
