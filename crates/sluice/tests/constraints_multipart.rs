//! Constraints on presigned multipart bundles from the mint API: the size range covers the
//! whole upload (checked as parts arrive and at completion), and `max_uses` puts the whole
//! bundle under one revocable grant spent by the completion.

mod common;

use common::service_api::{api, mint};
use common::{http, xml_field, TestServer};
use serde_json::{json, Value};

const BUCKET: &str = "mpcons";
const MIB: usize = 1024 * 1024;

async fn server() -> TestServer {
    TestServer::start_with_bucket(BUCKET).await
}

/// PUT `body` to a part URL; returns (status, ETag or error body).
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

fn part_url(bundle: &Value, i: usize) -> &str {
    bundle["parts"][i]["url"].as_str().unwrap()
}

fn code(body: &str) -> String {
    xml_field(body, "Code").unwrap_or_default()
}

async fn object_size(ts: &TestServer, key: &str) -> Option<i64> {
    ts.sdk()
        .head_object()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .ok()
        .and_then(|h| h.content_length())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_upload_maximum_refuses_the_part_that_crosses_it() {
    let ts = server().await;
    let max = 12 * MIB;
    let (status, b) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"big","multipart":{"parts":3},
               "content_length_range":[0, max]}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    assert!(b["complete_url"]
        .as_str()
        .unwrap()
        .contains(&format!("x-sluice-upload-size-range=0%2C{max}")));
    let (s1, e1) = put_part(part_url(&b, 0), vec![1; 6 * MIB]).await;
    assert_eq!(s1, 200, "{e1}");
    let (s2, e2) = put_part(part_url(&b, 1), vec![2; 5 * MIB]).await;
    assert_eq!(s2, 200, "{e2}");
    // 11 MiB so far: a third part of 2 MiB would make 13 MiB.
    let (s3, body) = put_part(part_url(&b, 2), vec![3; 2 * MIB]).await;
    assert_eq!(
        (s3, code(&body).as_str()),
        (400, "EntityTooLarge"),
        "{body}"
    );
    assert!(object_size(&ts, "big").await.is_none());
    // Re-sending part 1 smaller frees room (the replaced part does not count); exactly the
    // maximum is accepted.
    let (s1, e1) = put_part(part_url(&b, 0), vec![1; 5 * MIB]).await;
    assert_eq!(s1, 200, "{e1}");
    let (s3, e3) = put_part(part_url(&b, 2), vec![3; 2 * MIB]).await;
    assert_eq!(s3, 200, "{e3}");
    let complete_url = b["complete_url"].as_str().unwrap();
    let (st, body) = complete(complete_url, &[(1, e1), (2, e2), (3, e3)]).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(object_size(&ts, "big").await, Some((12 * MIB) as i64));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_upload_minimum_is_enforced_at_completion() {
    let ts = server().await;
    let (status, b) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"small","multipart":{"parts":2},
               "content_length_range":[7 * MIB, 64 * MIB]}),
    )
    .await;
    assert_eq!(status, 200, "{b}");
    let (_, e1) = put_part(part_url(&b, 0), vec![1; 5 * MIB]).await;
    let (_, e2) = put_part(part_url(&b, 1), vec![2; MIB]).await;
    let complete_url = b["complete_url"].as_str().unwrap();
    let (st, body) = complete(complete_url, &[(1, e1.clone()), (2, e2)]).await;
    assert_eq!(
        (st, code(&body).as_str()),
        (400, "EntityTooSmall"),
        "{body}"
    );
    assert_eq!(object_size(&ts, "small").await, None);
    // The upload is still open: a bigger last part completes it.
    let (s2, e2) = put_part(part_url(&b, 1), vec![2; 3 * MIB]).await;
    assert_eq!(s2, 200, "{e2}");
    let (st, body) = complete(complete_url, &[(1, e1), (2, e2)]).await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(object_size(&ts, "small").await, Some((8 * MIB) as i64));

    // Tampering with the whole-upload range breaks the signature.
    let tampered = complete_url.replace(
        "x-sluice-upload-size-range=7340032",
        "x-sluice-upload-size-range=1",
    );
    assert_ne!(tampered, complete_url);
    let (st, body) = complete(&tampered, &[]).await;
    assert_eq!(
        (st, code(&body).as_str()),
        (403, "SignatureDoesNotMatch"),
        "{body}"
    );
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_size_outside_the_range_is_refused_at_mint() {
    let ts = server().await;
    let (status, b) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"x","multipart":{"size": 100 * MIB},
               "content_length_range":[0, 50 * MIB]}),
    )
    .await;
    assert_eq!(status, 400, "{b}");
    assert_eq!(b["field"], "multipart.size", "{b}");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundle_grant_is_revocable_and_spent_by_completion() {
    let ts = server().await;
    let spec =
        json!({"method":"PUT","bucket":BUCKET,"key":"g","multipart":{"parts":2},"max_uses":1});
    let (status, a) = mint(&ts, spec.clone()).await;
    assert_eq!(status, 200, "{a}");
    let (_, b) = mint(&ts, spec).await;
    let id_a = a["id"].as_str().unwrap().to_string();
    let id_b = b["id"].as_str().unwrap().to_string();
    assert_ne!(id_a, id_b);
    for url in [part_url(&a, 0), a["complete_url"].as_str().unwrap()] {
        assert!(url.contains(&format!("x-sluice-grant={id_a}")), "{url}");
    }

    // Parts and ListParts do not spend the grant.
    let (s, e1) = put_part(part_url(&a, 0), vec![1; 5 * MIB]).await;
    assert_eq!(s, 200, "{e1}");
    let (s, e1_again) = put_part(part_url(&a, 0), vec![1; 5 * MIB]).await;
    assert_eq!((s, &e1_again), (200, &e1));
    let list = http()
        .get(a["list_parts_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(list.status().as_u16(), 200);
    let (_, g) = api(&ts, "GET", &format!("/_sluice/v1/grants/{id_a}")).await;
    assert_eq!(g["uses"], 0, "{g}");
    assert_eq!(g["method"], "MULTIPART", "{g}");

    // Revoking bundle B kills every one of its URLs and leaves A alive.
    let (s, _) = api(&ts, "DELETE", &format!("/_sluice/v1/grants/{id_b}")).await;
    assert!(s == 200 || s == 204, "{s}");
    let (s, body) = put_part(part_url(&b, 0), vec![1; 5 * MIB]).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("revoked"), "{body}");
    let (s, body) = complete(b["complete_url"].as_str().unwrap(), &[]).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("revoked"), "{body}");

    let (_, e2) = put_part(part_url(&a, 1), vec![2; 1024]).await;
    let parts = [(1, e1), (2, e2)];
    let (st, body) = complete(a["complete_url"].as_str().unwrap(), &parts).await;
    assert_eq!(st, 200, "{body}");
    let (_, g) = api(&ts, "GET", &format!("/_sluice/v1/grants/{id_a}")).await;
    assert_eq!(g["uses"], 1, "{g}");
    // A retried completion (the first answer was lost) answers as the first did, spending nothing;
    // another part list for the completed upload is still NoSuchUpload.
    let (st, retry) = complete(a["complete_url"].as_str().unwrap(), &parts).await;
    assert_eq!(st, 200, "{retry}");
    assert_eq!(xml_field(&retry, "ETag"), xml_field(&body, "ETag"));
    let (st, other) = complete(a["complete_url"].as_str().unwrap(), &parts[..1]).await;
    assert_eq!(st, 404, "{other}");
    assert_eq!(xml_field(&other, "Code").as_deref(), Some("NoSuchUpload"));
    let (_, g) = api(&ts, "GET", &format!("/_sluice/v1/grants/{id_a}")).await;
    assert_eq!(g["uses"], 1, "{g}");
    // Spent: the bundle's remaining URLs are refused.
    let (s, body) = put_part(part_url(&a, 1), vec![2; 10]).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("used up"), "{body}");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grants_expire_with_their_urls_and_are_swept() {
    let ts = server().await;
    let (status, m) = mint(
        &ts,
        json!({"method":"PUT","bucket":BUCKET,"key":"short","expires_in":60,"max_uses":2}),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    let id = m["id"].as_str().unwrap().to_string();
    let listed = |v: &Value| {
        v["grants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == id.as_str())
    };
    let (_, l) = api(&ts, "GET", &format!("/_sluice/v1/grants?bucket={BUCKET}")).await;
    assert!(listed(&l), "{l}");
    let (_, g) = api(&ts, "GET", &format!("/_sluice/v1/grants/{id}")).await;
    assert!(g["expires_at"].is_string(), "{g}");

    // Two minutes later the URL has expired: the grant is no longer live.
    ts.clock().advance_ms(120_000);
    let (_, l) = api(&ts, "GET", &format!("/_sluice/v1/grants?bucket={BUCKET}")).await;
    assert!(!listed(&l), "{l}");
    let (_, l) = api(
        &ts,
        "GET",
        &format!("/_sluice/v1/grants?bucket={BUCKET}&include_expired=true"),
    )
    .await;
    assert!(listed(&l), "{l}");

    // The housekeeping sweep deletes it once the retention after expiry has passed.
    ts.clock().advance_ms(2 * 24 * 3600 * 1000);
    ts.server
        .as_ref()
        .unwrap()
        .run_housekeeping(std::time::SystemTime::UNIX_EPOCH)
        .await
        .unwrap();
    ts.clock().advance_ms(-(2 * 24 * 3600 * 1000) - 120_000);
    let (status, g) = api(&ts, "GET", &format!("/_sluice/v1/grants/{id}")).await;
    assert_eq!(status, 404, "{g}");
    ts.stop().await;
}
