//! Longer-lived URLs (issue 27): a URL backed by a grant (`max_uses`) may be valid up to
//! `max_grant_days` (default 30) through a signed `x-sluice-grant-expires`; every other URL keeps
//! SigV4's 7 days; a forged expiry fails the signature; revocation still kills the URL.

mod common;

use common::service_api::{api, mint};
use common::{creds, http, xml_field, TestServer, REGION};
use serde_json::json;
use sluice_sigv4::{presign_v4, PresignRequest};
use time::OffsetDateTime;

const DAY_MS: i64 = 86_400_000;

fn param<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    url.split(['?', '&'])
        .find_map(|p| p.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
}

async fn put(url: &str, body: &str) -> (u16, String) {
    let r = http().put(url).body(body.to_string()).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twenty_day_grant_url_works_past_seven_days_then_expires() {
    let ts = TestServer::start().await;
    ts.create_bucket("long").await;
    let (status, out) = mint(
        &ts,
        json!({"bucket": "long", "key": "k", "method": "PUT", "expires_in": 20 * 86_400, "max_uses": 5}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap().to_string();
    assert_eq!(param(&url, "X-Amz-Expires"), Some("604800"), "{url}");
    assert!(param(&url, "x-sluice-grant-expires").is_some(), "{url}");
    let (status, body) = put(&url, "day 0").await;
    assert_eq!(status, 200, "{body}");
    // Day 12: past SigV4's 7 days, within the grant's 20.
    ts.clock().advance_ms(12 * DAY_MS);
    let (status, body) = put(&url, "day 12").await;
    assert_eq!(status, 200, "{body}");
    // Day 21: expired.
    ts.clock().advance_ms(9 * DAY_MS);
    let (status, body) = put(&url, "day 21").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("Request has expired")
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_at_mint_forgery_offline_urls_and_revocation() {
    let ts = TestServer::start().await;
    ts.create_bucket("long").await;
    // Without a grant: 7 days at most.
    let (status, out) = mint(
        &ts,
        json!({"bucket": "long", "key": "k", "method": "PUT", "expires_in": 8 * 86_400}),
    )
    .await;
    assert_eq!(status, 400, "{out}");
    assert_eq!(out["field"], "expires_in", "{out}");
    // With one: max_grant_days (30) at most.
    let (status, out) = mint(
        &ts,
        json!({"bucket": "long", "key": "k", "method": "PUT", "expires_in": 31 * 86_400, "max_uses": 1}),
    )
    .await;
    assert_eq!(status, 400, "{out}");
    let (status, out) = mint(
        &ts,
        json!({"bucket": "long", "key": "k", "method": "PUT", "expires_in": 20 * 86_400, "max_uses": 3}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let url = out["url"].as_str().unwrap().to_string();
    let id = out["id"].as_str().unwrap().to_string();

    // A forged longer expiry fails the signature, now and after 7 days.
    let claimed = param(&url, "x-sluice-grant-expires").unwrap().to_string();
    let forged = url.replacen(&claimed, "2099-01-01T00%3A00%3A00Z", 1);
    assert_ne!(forged, url);
    ts.clock().advance_ms(8 * DAY_MS);
    let (status, body) = put(&forged, "x").await;
    assert_eq!(status, 403, "{body}");
    assert!(
        ["SignatureDoesNotMatch", "AccessDenied"]
            .contains(&xml_field(&body, "Code").unwrap_or_default().as_str()),
        "{body}"
    );
    // The genuine URL works on day 8.
    let (status, body) = put(&url, "day 8").await;
    assert_eq!(status, 200, "{body}");

    // An offline URL claiming a longer life without a grant is refused outright.
    let offline = |query: Vec<(String, String)>| {
        let q = presign_v4(
            &creds(),
            &PresignRequest {
                method: "PUT",
                host: &ts.host(),
                raw_path: "/long/off",
                query: &query,
                headers: &[],
                region: REGION,
                service: "s3",
                datetime: OffsetDateTime::from_unix_timestamp(
                    ts.clock().now_ms() / 1000 - 8 * 86_400,
                )
                .unwrap(),
                expires_in: 604_800,
            },
        );
        format!("http://{}/long/off?{q}", ts.addr)
    };
    let later = (OffsetDateTime::now_utc() + time::Duration::days(20))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (status, body) = put(
        &offline(vec![("x-sluice-grant-expires".to_string(), later.clone())]),
        "x",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("Request has expired")
    );
    // Nor with a grant id that does not exist.
    let (status, body) = put(
        &offline(vec![
            ("x-sluice-grant".to_string(), "g-does-not-exist".to_string()),
            ("x-sluice-grant-expires".to_string(), later.clone()),
        ]),
        "x",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    // Nor a URL claiming more than its grant.
    let (status, body) = put(
        &offline(vec![
            ("x-sluice-grant".to_string(), id.clone()),
            (
                "x-sluice-grant-expires".to_string(),
                (OffsetDateTime::now_utc() + time::Duration::days(25))
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap(),
            ),
        ]),
        "x",
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("This presigned URL claims to outlive its grant")
    );

    // Revocation kills the long URL at once (the API call is signed with today's time).
    ts.clock().advance_ms(-8 * DAY_MS);
    let (status, out) = api(&ts, "DELETE", &format!("/_sluice/v1/grants/{id}")).await;
    assert_eq!(status, 200, "{out}");
    let (status, body) = put(&url, "after revoke").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_field(&body, "Message").as_deref(),
        Some("This presigned URL has been revoked")
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_multipart_bundle_carries_the_grant_expiry() {
    let ts = TestServer::start_with(|c| c.max_grant_days = 10).await;
    ts.create_bucket("long").await;
    let (status, out) = mint(
        &ts,
        json!({"bucket": "long", "key": "big", "method": "PUT", "expires_in": 11 * 86_400,
               "max_uses": 1, "multipart": {"parts": 1}}),
    )
    .await;
    assert_eq!(status, 400, "max_grant_days is honoured: {out}");
    let (status, out) = mint(
        &ts,
        json!({"bucket": "long", "key": "big", "method": "PUT", "expires_in": 9 * 86_400,
               "max_uses": 1, "multipart": {"parts": 1}}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    let part = out["parts"][0]["url"].as_str().unwrap().to_string();
    assert!(param(&part, "x-sluice-grant-expires").is_some(), "{part}");
    ts.clock().advance_ms(8 * DAY_MS);
    let r = http().put(&part).body("part one").send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    ts.stop().await;
}
