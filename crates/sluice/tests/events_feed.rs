//! The pull feed of event notifications (issue 22): `GET /_sluice/v1/events?after=&wait=` and
//! `sluice events tail`, against the real server, with the AWS SDK for the S3 calls and the
//! records parsed with the `aws_lambda_events` crate as an AWS consumer would.

mod common;
mod iam_support;

use aws_lambda_events::event::s3::S3Event;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
use common::service_api::{api, mint};
use common::{http, TestServer, REGION};
use iam_support::UserKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

fn feed_arn() -> String {
    format!("arn:sluice:sqs:{REGION}:feed:pull")
}

/// Sends created and removed events of `bucket` to the feed.
async fn to_feed(ts: &TestServer, bucket: &str) {
    let config = NotificationConfiguration::builder()
        .queue_configurations(
            QueueConfiguration::builder()
                .id("to-feed")
                .queue_arn(feed_arn())
                .events(Event::from("s3:ObjectCreated:*"))
                .events(Event::from("s3:ObjectRemoved:*"))
                .build()
                .unwrap(),
        )
        .build();
    ts.sdk()
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(config)
        .send()
        .await
        .unwrap_or_else(|e| panic!("configure {bucket}: {e:?}"));
}

async fn put(ts: &TestServer, bucket: &str, key: &str, body: &[u8]) -> String {
    let out = ts
        .sdk()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    out.e_tag().expect("etag").trim_matches('"').to_string()
}

/// `GET /_sluice/v1/events?QUERY` signed by `who`.
async fn events_as(ts: &TestServer, who: &UserKey, query: &str) -> (u16, Value) {
    let host = ts.host();
    let path = "/_sluice/v1/events";
    let hash = hex::encode(Sha256::digest(b""));
    let headers = sign_headers_v4(
        &who.creds(),
        &SigningRequest {
            method: "GET",
            host: &host,
            raw_path: path,
            raw_query: query,
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = http().get(format!("{}{path}?{query}", ts.endpoint()));
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn events(ts: &TestServer, query: &str) -> (u16, Value) {
    events_as(ts, &UserKey::root(), query).await
}

/// The answer's records and cursor; panics unless it is a 200 of the documented shape.
fn page(answer: &(u16, Value)) -> (Vec<Value>, String) {
    assert_eq!(answer.0, 200, "{}", answer.1);
    let records = answer.1["events"].as_array().expect("events").clone();
    let cursor = answer.1["cursor"].as_str().expect("cursor").to_string();
    (records, cursor)
}

fn names_and_keys(records: &[Value]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|r| {
            (
                r["eventName"].as_str().unwrap().to_string(),
                r["s3"]["object"]["key"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_pages_by_cursor_filters_and_long_polls() {
    let ts = TestServer::start_with_bucket("photos").await;
    ts.create_bucket("docs").await;
    ts.create_bucket("quiet").await;
    // Before any configuration: nothing, and `after=now` gives a cursor.
    let (none, start) = page(&events(&ts, "after=now").await);
    assert!(none.is_empty());

    to_feed(&ts, "photos").await;
    to_feed(&ts, "docs").await;
    let got = ts
        .sdk()
        .get_bucket_notification_configuration()
        .bucket("photos")
        .send()
        .await
        .unwrap();
    assert_eq!(got.queue_configurations()[0].queue_arn(), feed_arn());

    let etag_a = put(&ts, "photos", "a b.jpg", b"first").await;
    put(&ts, "quiet", "ignored", b"no configuration").await;
    put(&ts, "docs", "d.pdf", b"pdf").await;
    put(&ts, "photos", "c.jpg", b"second").await;
    ts.sdk()
        .delete_object()
        .bucket("photos")
        .key("a b.jpg")
        .send()
        .await
        .unwrap();

    let (records, cursor) = page(&events(&ts, &format!("after={start}")).await);
    assert_eq!(
        names_and_keys(&records),
        pairs(&[
            ("ObjectCreated:Put", "a+b.jpg"),
            ("ObjectCreated:Put", "d.pdf"),
            ("ObjectCreated:Put", "c.jpg"),
            ("ObjectRemoved:Delete", "a+b.jpg"),
        ])
    );
    assert_eq!(records[0]["s3"]["object"]["eTag"], etag_a.as_str());
    assert_eq!(records[0]["s3"]["object"]["size"], 5);
    assert_eq!(records[0]["s3"]["bucket"]["name"], "photos");
    assert_eq!(records[0]["s3"]["configurationId"], "to-feed");
    // The records parse as AWS's, and the sequencer grows per bucket.
    let parsed: S3Event =
        serde_json::from_value(json!({ "Records": records.clone() })).expect("S3Event");
    assert_eq!(parsed.records.len(), 4);
    let seq = |i: usize| {
        u128::from_str_radix(
            records[i]["s3"]["object"]["sequencer"].as_str().unwrap(),
            16,
        )
        .unwrap()
    };
    assert!(seq(0) < seq(2) && seq(2) < seq(3), "{records:#?}");

    // Nothing after the cursor; the same cursor again.
    let (more, again) = page(&events(&ts, &format!("after={cursor}")).await);
    assert!(more.is_empty());
    assert_eq!(again, cursor);
    // No `after`: from the oldest event held.
    assert_eq!(page(&events(&ts, "").await).0.len(), 4);

    // Paging with a limit.
    let (first, c1) = page(&events(&ts, &format!("after={start}&limit=3")).await);
    assert_eq!(first.len(), 3);
    let (rest, c2) = page(&events(&ts, &format!("after={c1}&limit=3")).await);
    assert_eq!(
        names_and_keys(&rest),
        pairs(&[("ObjectRemoved:Delete", "a+b.jpg")])
    );
    assert_eq!(c2, cursor);

    // One bucket's events; the cursor still passes the others.
    let (docs, c3) = page(&events(&ts, &format!("after={start}&bucket=docs")).await);
    assert_eq!(
        names_and_keys(&docs),
        pairs(&[("ObjectCreated:Put", "d.pdf")])
    );
    assert_eq!(c3, cursor);

    // A long poll answers when an event is committed, not at its deadline.
    let poll = {
        let endpoint_ts = &ts;
        let q = format!("after={cursor}&wait=20");
        async move { events(endpoint_ts, &q).await }
    };
    let began = Instant::now();
    let (answer, _) = tokio::join!(poll, async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        put(&ts, "photos", "late.jpg", b"late").await;
    });
    let waited = began.elapsed();
    let (late, c4) = page(&answer);
    assert_eq!(
        names_and_keys(&late),
        pairs(&[("ObjectCreated:Put", "late.jpg")])
    );
    assert!(
        waited < Duration::from_secs(10),
        "answered after {waited:?}"
    );
    assert!(
        waited >= Duration::from_millis(400),
        "answered after {waited:?}"
    );
    // With nothing new, it answers empty at its deadline.
    let began = Instant::now();
    let (empty, c5) = page(&events(&ts, &format!("after={c4}&wait=1")).await);
    assert!(empty.is_empty());
    assert_eq!(c5, c4);
    assert!(began.elapsed() >= Duration::from_millis(900));

    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_feed_requests_are_refused() {
    let ts = TestServer::start_with_bucket("photos").await;
    for (query, field) in [
        ("after=abc", "after"),
        ("after=-1", "after"),
        ("wait=61", "wait"),
        ("wait=x", "wait"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
    ] {
        let (status, body) = events(&ts, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"], "InvalidRequest", "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
    }
    let (status, body) = api(&ts, "DELETE", "/_sluice/v1/events").await;
    assert_eq!(status, 405, "{body}");
    // Anonymous callers get nothing.
    let resp = http()
        .get(format!("{}/_sluice/v1/events", ts.endpoint()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // A wrong signature is refused before the feed is read.
    let wrong = UserKey {
        access_key_id: common::ACCESS_KEY.into(),
        secret_access_key: "not-the-secret".into(),
    };
    let (status, body) = events_as(&ts, &wrong, "").await;
    assert_eq!(status, 403, "{body}");
    // `feed` is the built-in target: it cannot be defined, and it is listed.
    let (status, body) = api_put(&ts, "/_sluice/admin/v1/targets/feed", &json!({"type": "webhook", "url": "http://127.0.0.1:9/", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, list) = api(&ts, "GET", "/_sluice/admin/v1/targets").await;
    assert_eq!(status, 200);
    let builtin: Vec<&Value> = list["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["id"] == "feed")
        .collect();
    assert_eq!(builtin.len(), 1, "{list}");
    assert_eq!(builtin[0]["arn"], feed_arn());
    assert_eq!(builtin[0]["type"], "pull");
    // Another target id with the pull kind names nothing.
    let err = ts
        .sdk()
        .put_bucket_notification_configuration()
        .bucket("photos")
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .queue_arn(format!("arn:sluice:sqs:{REGION}:orders:pull"))
                        .events(Event::from("s3:ObjectCreated:*"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("unknown pull target");
    let meta = aws_sdk_s3::error::ProvideErrorMetadata::code(&err);
    assert_eq!(meta, Some("InvalidArgument"), "{err:?}");
    ts.stop().await;
}

/// A PUT to the admin API with a JSON body, signed with the root key.
async fn api_put(ts: &TestServer, path: &str, body: &Value) -> (u16, Value) {
    let bytes = body.to_string().into_bytes();
    let host = ts.host();
    let hash = hex::encode(Sha256::digest(&bytes));
    let headers = sign_headers_v4(
        &common::creds(),
        &SigningRequest {
            method: "PUT",
            host: &host,
            raw_path: path,
            raw_query: "",
            headers: &[],
            payload_hash: &hash,
            region: REGION,
            service: "s3",
            datetime: OffsetDateTime::now_utc(),
        },
    );
    let mut req = http().put(format!("{}{path}", ts.endpoint())).body(bytes);
    for (k, v) in headers {
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
async fn a_user_sees_only_the_events_of_objects_it_may_read() {
    let ts = TestServer::start_with_bucket("shared").await;
    to_feed(&ts, "shared").await;
    let alice = iam_support::new_user(&ts, "alice", None).await;
    iam_support::grant(
        &ts,
        "alice",
        "read-public",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/public/*"}]}"#,
    )
    .await;
    put(&ts, "shared", "private/secret.txt", b"s").await;
    put(&ts, "shared", "public/hello.txt", b"h").await;
    put(&ts, "shared", "private/other.txt", b"o").await;

    let (root_records, root_cursor) = page(&events(&ts, "").await);
    assert_eq!(root_records.len(), 3);
    let (seen, cursor) = page(&events_as(&ts, &alice, "").await);
    assert_eq!(
        names_and_keys(&seen),
        pairs(&[("ObjectCreated:Put", "public/hello.txt")])
    );
    // Her cursor passed the events she may not see.
    assert_eq!(cursor, root_cursor);
    // A user with no permission at all gets an empty feed, not an error.
    let bob = iam_support::new_user(&ts, "bob", None).await;
    let (nothing, _) = page(&events_as(&ts, &bob, "").await);
    assert!(nothing.is_empty());
    ts.stop().await;
}

/// Runs `sluice events ARGS` as root against the server.
fn events_cli(ts: &TestServer, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("events").args(args);
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
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY)
        .env("RUST_LOG", "error");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_url_receipt_reaches_the_feed_and_events_tail_prints_it() {
    let ts = TestServer::start_with_bucket("inbox").await;
    // A follower started before the upload prints it as it is committed.
    let follower = events_cli(&ts, &["tail", "--bucket", "inbox", "--count", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sluice events tail");
    // Let it take its `now` cursor first.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let (status, minted) = mint(
        &ts,
        json!({"bucket": "inbox", "key": "scan 1.pdf", "method": "PUT", "expires_in": 300,
               "notify": {"target": "feed", "payload": "order-9"}}),
    )
    .await;
    assert_eq!(status, 200, "{minted}");
    let url = minted["url"].as_str().unwrap();
    assert!(url.contains("x-sluice-notify=feed"), "{url}");
    let resp = http().put(url).body(b"%PDF".to_vec()).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let etag = resp.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string();

    let out = tokio::task::spawn_blocking(move || follower.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let rec: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(rec["eventName"], "ObjectCreated:Put");
    assert_eq!(rec["s3"]["object"]["key"], "scan+1.pdf");
    assert_eq!(rec["s3"]["object"]["eTag"], etag.as_str());
    assert_eq!(rec["s3"]["configurationId"], "sluice-url-receipt");
    assert_eq!(rec["sluice"]["payload"], "order-9", "{rec}");

    // From the start, with the cursor on stderr.
    let out = events_cli(
        &ts,
        &["tail", "--from-start", "--count", "1", "--print-cursor"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again, rec);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cursor "));
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_drops_feed_events_older_than_max_age() {
    let ts = TestServer::start_with(|cfg| cfg.notify_max_age = Duration::from_secs(600)).await;
    ts.create_bucket("aged").await;
    to_feed(&ts, "aged").await;
    put(&ts, "aged", "old", b"1").await;
    let server = ts.server.as_ref().expect("running");
    // (Under the 15 min of request skew the server accepts.)
    server.clock.advance_ms(400_000);
    put(&ts, "aged", "newer", b"2").await;
    server.clock.advance_ms(400_000);
    // Leases from the startup round are the node's own: the round runs every task again.
    server.housekeeping_round().await;
    let (left, _) = page(&events(&ts, "").await);
    assert_eq!(
        names_and_keys(&left),
        pairs(&[("ObjectCreated:Put", "newer")])
    );
    // The feed is not a delivery target: no backlog is reported for it.
    let (status, backlog) = api(&ts, "GET", "/_sluice/admin/v1/events/backlog").await;
    assert_eq!(status, 200);
    assert!(
        !backlog["targets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["target"] == "feed"),
        "{backlog}"
    );
    ts.stop().await;
}

/// A use-limited URL with a receipt that expires unused reports `sluice:Grant:ExpiredUnused` to
/// the receipt's target, with the URL's payload (here the feed, with no bucket configuration).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unused_grant_reports_its_expiry_to_its_receipt_target() {
    let ts = TestServer::start_with_bucket("waiting").await;
    let (status, minted) = mint(
        &ts,
        json!({"bucket": "waiting", "key": "avatar.png", "method": "PUT", "expires_in": 60,
               "max_uses": 1, "notify": {"target": "feed", "payload": "user-42"}}),
    )
    .await;
    assert_eq!(status, 200, "{minted}");
    let grant_id = minted["id"].as_str().expect("grant id").to_string();
    // A grant that was used reports nothing.
    let (status, used) = mint(
        &ts,
        json!({"bucket": "waiting", "key": "used.png", "method": "PUT", "expires_in": 60,
               "max_uses": 1, "notify": {"target": "feed", "payload": "user-43"}}),
    )
    .await;
    assert_eq!(status, 200, "{used}");
    let resp = http()
        .put(used["url"].as_str().unwrap())
        .body(b"png".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    let server = ts.server.as_ref().expect("running");
    server.clock.advance_ms(120_000);
    server.housekeeping_round().await;
    let (records, _) = page(&events(&ts, "").await);
    let expired: Vec<&Value> = records
        .iter()
        .filter(|r| r["eventName"] == "sluice:Grant:ExpiredUnused")
        .collect();
    assert_eq!(expired.len(), 1, "{records:#?}");
    let rec = expired[0];
    assert_eq!(rec["s3"]["object"]["key"], "avatar.png");
    assert_eq!(rec["sluice"]["grantId"], grant_id.as_str());
    assert_eq!(rec["sluice"]["payload"], "user-42", "{rec}");
    assert_eq!(rec["s3"]["configurationId"], "sluice-url-receipt");
    // The used URL's upload is there; its grant reported no expiry.
    assert!(records
        .iter()
        .any(|r| r["eventName"] == "ObjectCreated:Put" && r["sluice"]["payload"] == "user-43"));
    ts.stop().await;
}

/// A long poll in flight answers when the server shuts down, instead of holding the graceful
/// drain up to its deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_does_not_hold_up_shutdown() {
    let ts = TestServer::start_with_bucket("quiet").await;
    let (_, cursor) = page(&events(&ts, "after=now").await);
    let endpoint_ts = &ts;
    let poll = async move { events(endpoint_ts, &format!("after={cursor}&wait=60")).await };
    let stop = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let trigger = ts.server.as_ref().expect("running").shutdown_trigger();
        let began = Instant::now();
        let _ = trigger.send(true);
        began
    };
    let (answer, began) = tokio::join!(poll, stop);
    let (none, _) = page(&answer);
    assert!(none.is_empty());
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "the poll held the shutdown for {:?}",
        began.elapsed()
    );
    ts.stop().await;
}
