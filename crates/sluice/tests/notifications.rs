//! Upload notifications (issue 22) end to end: the real server in-process, a real webhook receiver
//! process (`tests/notify/webhook_receiver.py`) that verifies every delivery with the
//! `standardwebhooks` PyPI package, the AWS SDK for Rust for the S3 calls, and the messages parsed
//! with the `aws_lambda_events` crate's `S3Event` as an AWS consumer would.
//!
//! The receiver runs with the Python named by `SLUICE_WEBHOOK_PYTHON` (tests/run-all.sh makes a
//! venv with `standardwebhooks` pinned); without it these tests print a skip message, and fail
//! when `SLUICE_REQUIRE_WEBHOOK=1`.

mod common;

use aws_lambda_events::event::s3::S3Event;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, Delete, Event, FilterRule, FilterRuleName,
    NotificationConfiguration, NotificationConfigurationFilter, ObjectIdentifier,
    QueueConfiguration, S3KeyFilter,
};
use common::{creds, http, TestServer, REGION};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sluice_sigv4::{sign_headers_v4, SigningRequest};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The signing secret every receiver here verifies with (24 bytes of key, base64).
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The longest any test waits for deliveries.
const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// The receiver process

/// A running `webhook_receiver.py` with its own directory (port file, log, fail switch).
struct Receiver {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl Receiver {
    /// Starts a receiver, or `None` (after a skip message) when no Python with `standardwebhooks`
    /// was named; panics instead when `SLUICE_REQUIRE_WEBHOOK=1`.
    fn start(test: &str) -> Option<Receiver> {
        let python = match std::env::var_os("SLUICE_WEBHOOK_PYTHON") {
            Some(p) if Path::new(&p).exists() => PathBuf::from(p),
            other => {
                let why = match other {
                    Some(p) => format!(
                        "SLUICE_WEBHOOK_PYTHON={} does not exist",
                        p.to_string_lossy()
                    ),
                    None => "SLUICE_WEBHOOK_PYTHON is not set".to_string(),
                };
                if std::env::var("SLUICE_REQUIRE_WEBHOOK").as_deref() == Ok("1") {
                    panic!("{test}: SLUICE_REQUIRE_WEBHOOK=1 but {why}");
                }
                eprintln!(
                    "SKIP {test}: {why} (a Python with standardwebhooks==1.0.0; tests/run-all.sh makes one)"
                );
                return None;
            }
        };
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/notify/webhook_receiver.py")
            .canonicalize()
            .expect("tests/notify/webhook_receiver.py");
        let dir = tempfile::tempdir().expect("tempdir");
        let port_file = dir.path().join("port");
        let mut child = Command::new(python)
            .arg(script)
            .arg("--secret")
            .arg(SECRET)
            .arg("--port-file")
            .arg(&port_file)
            .arg("--log")
            .arg(dir.path().join("log.jsonl"))
            .arg("--fail-file")
            .arg(dir.path().join("fail"))
            .stdin(Stdio::null())
            .spawn()
            .expect("receiver starts");
        let started = Instant::now();
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file) {
                if let Ok(port) = text.trim().parse::<u16>() {
                    break port;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{test}: the receiver exited before listening: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{test}: the receiver did not write its port"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Some(Receiver { child, dir, port })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// While failing, the receiver answers 500 to every (verified) delivery.
    fn set_failing(&self, failing: bool) {
        let f = self.dir.path().join("fail");
        if failing {
            std::fs::write(f, b"").unwrap();
        } else {
            let _ = std::fs::remove_file(f);
        }
    }

    /// Every request the receiver got, in arrival order.
    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("log.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("log line is JSON"))
            .collect()
    }

    /// The requests answered 200 (deliveries), in arrival order.
    fn delivered(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["status"] == 200)
            .collect()
    }

    /// Polls until at least `n` deliveries arrived (at most [`WAIT`]), then returns them all.
    async fn wait_delivered(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            // A delivery the receiver could not verify fails the test at once (the server would
            // only retry it until max_age).
            if let Some(bad) = self.requests().iter().find(|r| r["verified"] != true) {
                panic!("standardwebhooks refused a delivery's signature: {bad}");
            }
            let got = self.delivered();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < WAIT,
                "{} of {n} deliveries after {WAIT:?}; requests: {:#?}",
                got.len(),
                self.requests()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until the receiver got at least `n` requests of any outcome.
    async fn wait_requests(&self, n: usize) {
        let started = Instant::now();
        while self.requests().len() < n {
            assert!(started.elapsed() < WAIT, "fewer than {n} requests arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Signed calls and setup

/// One SigV4-signed request with the root key; `path_and_query` is sent as written.
async fn signed(ts: &TestServer, method: &str, path_and_query: &str, body: &[u8]) -> (u16, String) {
    let host = ts.host();
    let (raw_path, raw_query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let hash = hex::encode(Sha256::digest(body));
    let headers = sign_headers_v4(
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
    let mut req = http()
        .request(
            method.parse().unwrap(),
            format!("{}{path_and_query}", ts.endpoint()),
        )
        .body(body.to_vec());
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// A call to the admin API (`/_sluice/admin/v1/...`), answered JSON.
async fn admin(ts: &TestServer, method: &str, path_and_query: &str, body: &str) -> (u16, Value) {
    let (status, text) = signed(
        ts,
        method,
        &format!("/_sluice/admin/v1/{path_and_query}"),
        body.as_bytes(),
    )
    .await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Defines webhook target `id` delivering to `rx`; returns its ARN.
async fn define_target(ts: &TestServer, id: &str, rx: &Receiver) -> String {
    let body = serde_json::json!({"type": "webhook", "url": rx.url(), "secret": SECRET});
    let (status, answer) = admin(ts, "PUT", &format!("targets/{id}"), &body.to_string()).await;
    assert_eq!(status, 200, "define target {id}: {answer}");
    let arn = format!("arn:sluice:sqs:{REGION}:{id}:webhook");
    assert_eq!(answer["arn"], arn.as_str(), "{answer}");
    assert_eq!(answer["type"], "webhook");
    arn
}

/// The configuration the tests use: created and removed objects under `prefix` to `arn`.
fn queue_config(arn: &str, prefix: &str) -> NotificationConfiguration {
    NotificationConfiguration::builder()
        .queue_configurations(
            QueueConfiguration::builder()
                .id("uploads")
                .queue_arn(arn)
                .events(Event::from("s3:ObjectCreated:*"))
                .events(Event::from("s3:ObjectRemoved:*"))
                .filter(
                    NotificationConfigurationFilter::builder()
                        .key(
                            S3KeyFilter::builder()
                                .filter_rules(
                                    FilterRule::builder()
                                        .name(FilterRuleName::Prefix)
                                        .value(prefix)
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .build()
}

async fn configure(ts: &TestServer, bucket: &str, arn: &str, prefix: &str) {
    ts.sdk()
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(queue_config(arn, prefix))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put notification configuration: {e:?}"));
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
    unquote(out.e_tag().expect("etag"))
}

fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

// ---------------------------------------------------------------------------------------------
// Reading messages

/// The one record of a delivered message, as plain JSON.
fn record(delivery: &Value) -> &Value {
    let records = delivery["payload"]["Records"]
        .as_array()
        .unwrap_or_else(|| panic!("no Records: {delivery}"));
    assert_eq!(records.len(), 1, "one record per message: {delivery}");
    &records[0]
}

/// The message parsed as an AWS consumer would, with `aws_lambda_events`' `S3Event`.
fn s3_event(delivery: &Value) -> S3Event {
    serde_json::from_value(delivery["payload"].clone())
        .unwrap_or_else(|e| panic!("not an S3Event ({e}): {delivery}"))
}

/// The sequencer as a number (hex; AWS compares them as such).
fn sequencer(rec: &Value) -> u128 {
    let s = rec["s3"]["object"]["sequencer"]
        .as_str()
        .unwrap_or_else(|| panic!("no sequencer: {rec}"));
    assert!(
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()),
        "sequencer is hex: {s}"
    );
    u128::from_str_radix(s, 16).unwrap()
}

/// An expected record: event name, key as the record writes it, (size, eTag) of a created object.
type Expected<'a> = (&'a str, &'a str, Option<(u64, &'a str)>);

/// Every request was verified by `standardwebhooks` and carried a `webhook-id`.
fn assert_all_verified(rx: &Receiver) {
    for r in rx.requests() {
        assert_eq!(r["verified"], true, "signature refused: {r}");
        assert!(r["id"].as_str().is_some_and(|s| !s.is_empty()), "{r}");
    }
}

/// Every id that was answered 500 was later delivered under the same id with the same message,
/// and no event was delivered twice.
fn assert_ids_stable_across_retries(rx: &Receiver) -> usize {
    let requests = rx.requests();
    let delivered = rx.delivered();
    let mut retried = 0;
    for failed in requests.iter().filter(|r| r["status"] == 500) {
        let later = delivered
            .iter()
            .find(|d| d["id"] == failed["id"])
            .unwrap_or_else(|| panic!("failed delivery {} never delivered", failed["id"]));
        assert_eq!(
            later["payload"], failed["payload"],
            "retry changed the message"
        );
        retried += 1;
    }
    let mut ids: Vec<&str> = delivered
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "an event was delivered twice: {delivered:#?}");
    retried
}

// ---------------------------------------------------------------------------------------------
// Tests

/// PutBucketNotificationConfiguration through the SDK (queue ARN, two wildcard events, a prefix
/// filter) round-trips through Get; then every write kind emits exactly its AWS record, in commit
/// order, signed, and parseable as an `S3Event`; writes outside the prefix and deletes of
/// missing keys emit nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_emit_aws_event_records_to_a_webhook() {
    let Some(rx) = Receiver::start("writes_emit_aws_event_records_to_a_webhook") else {
        return;
    };
    let ts = TestServer::start_with_bucket("events").await;
    let arn = define_target(&ts, "hook1", &rx).await;
    configure(&ts, "events", &arn, "in/").await;

    let got = ts
        .sdk()
        .get_bucket_notification_configuration()
        .bucket("events")
        .send()
        .await
        .unwrap();
    let queues = got.queue_configurations();
    assert_eq!(queues.len(), 1, "{got:?}");
    let q = &queues[0];
    assert_eq!(q.queue_arn(), arn);
    assert_eq!(q.id(), Some("uploads"));
    let mut events: Vec<&str> = q.events().iter().map(|e| e.as_str()).collect();
    events.sort();
    assert_eq!(events, ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]);
    let rules = q.filter().unwrap().key().unwrap().filter_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0].name().map(|n| n.as_str().to_ascii_lowercase()),
        Some("prefix".into())
    );
    assert_eq!(rules[0].value(), Some("in/"));
    assert!(
        got.topic_configurations().is_empty() && got.lambda_function_configurations().is_empty()
    );

    let sdk = ts.sdk();
    // 1. PutObject, a key with a space.
    let put_etag = put(&ts, "events", "in/a b.txt", b"hello world").await;
    // 2. Multipart upload of one part, completed.
    let mpu = sdk
        .create_multipart_upload()
        .bucket("events")
        .key("in/mp.bin")
        .send()
        .await
        .unwrap();
    let upload_id = mpu.upload_id().unwrap();
    let part = sdk
        .upload_part()
        .bucket("events")
        .key("in/mp.bin")
        .upload_id(upload_id)
        .part_number(1)
        .body(ByteStream::from(vec![7u8; 1000]))
        .send()
        .await
        .unwrap();
    let done = sdk
        .complete_multipart_upload()
        .bucket("events")
        .key("in/mp.bin")
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mpu_etag = unquote(done.e_tag().unwrap());
    // Outside the prefix, and a delete that removes nothing: no events.
    put(&ts, "events", "out/x.txt", b"not watched").await;
    sdk.delete_object()
        .bucket("events")
        .key("in/never-written")
        .send()
        .await
        .unwrap();
    // 3. CopyObject.
    let copy = sdk
        .copy_object()
        .bucket("events")
        .key("in/copy.txt")
        .copy_source("events/in/a%20b.txt")
        .send()
        .await
        .unwrap();
    let copy_etag = unquote(copy.copy_object_result().unwrap().e_tag().unwrap());
    // 4. DeleteObject.
    sdk.delete_object()
        .bucket("events")
        .key("in/copy.txt")
        .send()
        .await
        .unwrap();
    // 5, 6. DeleteObjects of two keys (and the unwatched one).
    let ids = ["in/a b.txt", "in/mp.bin", "out/x.txt"]
        .into_iter()
        .map(|k| ObjectIdentifier::builder().key(k).build().unwrap())
        .collect::<Vec<_>>();
    let deleted = sdk
        .delete_objects()
        .bucket("events")
        .delete(Delete::builder().set_objects(Some(ids)).build().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.deleted().len(), 3, "{deleted:?}");

    // Delivery keeps commit order per target: once the last event is in, any stray one from the
    // unwatched writes would have arrived before it.
    let got = rx.wait_delivered(6).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_after = rx.delivered();
    assert_eq!(got_after.len(), 6, "exactly six events: {got_after:#?}");
    assert_eq!(got.len(), 6);
    assert_all_verified(&rx);

    let expected: [Expected; 6] = [
        ("ObjectCreated:Put", "in/a+b.txt", Some((11, &put_etag))),
        (
            "ObjectCreated:CompleteMultipartUpload",
            "in/mp.bin",
            Some((1000, &mpu_etag)),
        ),
        ("ObjectCreated:Copy", "in/copy.txt", Some((11, &copy_etag))),
        ("ObjectRemoved:Delete", "in/copy.txt", None),
        ("ObjectRemoved:Delete", "in/a+b.txt", None),
        ("ObjectRemoved:Delete", "in/mp.bin", None),
    ];
    let mut last_seq = None;
    for (delivery, (name, key, created)) in got_after.iter().zip(expected) {
        let rec = record(delivery);
        assert_eq!(rec["eventName"], name, "{rec}");
        assert_eq!(rec["eventVersion"], "2.1");
        assert_eq!(rec["eventSource"], "aws:s3");
        assert_eq!(rec["awsRegion"], REGION);
        assert_eq!(rec["s3"]["bucket"]["name"], "events");
        assert_eq!(rec["s3"]["bucket"]["arn"], "arn:aws:s3:::events");
        assert_eq!(rec["s3"]["configurationId"], "uploads");
        let obj = &rec["s3"]["object"];
        assert_eq!(obj["key"], key, "{rec}");
        match created {
            Some((size, etag)) => {
                assert_eq!(obj["size"], size, "{rec}");
                assert_eq!(obj["eTag"], etag, "eTag without quotes: {rec}");
            }
            None => {
                assert!(obj.get("eTag").is_none(), "a delete has no eTag: {rec}");
            }
        }
        let seq = sequencer(rec);
        if let Some(prev) = last_seq {
            assert!(
                seq > prev,
                "sequencer not increasing: {prev:x} then {seq:x}"
            );
        }
        last_seq = Some(seq);

        // What an AWS consumer sees.
        let ev = s3_event(delivery);
        assert_eq!(ev.records.len(), 1);
        let r = &ev.records[0];
        assert_eq!(r.event_name.as_deref(), Some(name));
        assert_eq!(r.event_source.as_deref(), Some("aws:s3"));
        assert_eq!(r.aws_region.as_deref(), Some(REGION));
        assert_eq!(r.s3.bucket.name.as_deref(), Some("events"));
        assert_eq!(r.s3.object.key.as_deref(), Some(key));
        assert_eq!(r.s3.object.size, created.map(|(s, _)| s as i64));
        assert_eq!(r.s3.object.e_tag.as_deref(), created.map(|(_, e)| e));
        assert_eq!(
            r.s3.object.sequencer.as_deref(),
            rec["s3"]["object"]["sequencer"].as_str()
        );
        assert!(
            r.event_time.timestamp() > 1_700_000_000,
            "{:?}",
            r.event_time
        );
    }
    ts.stop().await;
}

/// A presigned PUT URL carrying signed `x-sluice-notify` / `x-sluice-payload` emits one record
/// to that target with the payload, on a bucket with no notification configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_url_receipt_carries_the_payload() {
    let Some(rx) = Receiver::start("presigned_url_receipt_carries_the_payload") else {
        return;
    };
    let ts = TestServer::start_with_bucket("receipts").await;
    define_target(&ts, "orders", &rx).await;
    let url = ts.presign_full(
        "PUT",
        "receipts",
        "uploads/photo 1.jpg",
        300,
        &[],
        &[
            ("x-sluice-notify".to_string(), "orders".to_string()),
            ("x-sluice-payload".to_string(), "order-17".to_string()),
        ],
        OffsetDateTime::now_utc(),
    );
    let resp = http()
        .put(&url)
        .body(b"jpeg bytes".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{}",
        resp.text().await.unwrap()
    );
    let etag = unquote(resp.headers()["etag"].to_str().unwrap());

    let got = rx.wait_delivered(1).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rx.delivered().len(), 1, "one record: {:#?}", rx.requests());
    assert_all_verified(&rx);
    let rec = record(&got[0]);
    assert_eq!(rec["eventName"], "ObjectCreated:Put");
    assert_eq!(rec["s3"]["object"]["key"], "uploads/photo+1.jpg");
    assert_eq!(rec["s3"]["object"]["eTag"], etag.as_str());
    assert_eq!(rec["s3"]["object"]["size"], 10);
    assert_eq!(rec["sluice"]["payload"], "order-17", "{rec}");
    assert_eq!(rec["s3"]["configurationId"], "sluice-url-receipt");
    let ev = s3_event(&got[0]);
    assert_eq!(
        ev.records[0].s3.object.key.as_deref(),
        Some("uploads/photo+1.jpg")
    );
    ts.stop().await;
}

/// AWS's validation errors: an ARN naming no target, and a document that is not XML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_notification_configurations_are_refused() {
    let ts = TestServer::start_with_bucket("strict").await;
    let unknown = format!("arn:sluice:sqs:{REGION}:nosuch:webhook");
    let err = ts
        .sdk()
        .put_bucket_notification_configuration()
        .bucket("strict")
        .notification_configuration(queue_config(&unknown, "in/"))
        .send()
        .await
        .expect_err("an unknown destination is refused");
    let raw = err.raw_response().expect("an HTTP answer");
    assert_eq!(raw.status().as_u16(), 400);
    let service = err.into_service_error();
    use aws_sdk_s3::error::ProvideErrorMetadata;
    assert_eq!(service.code(), Some("InvalidArgument"), "{service:?}");
    assert_eq!(
        service.message(),
        Some("Unable to validate the following destination configurations"),
        "{service:?}"
    );
    // Nothing was stored.
    let got = ts
        .sdk()
        .get_bucket_notification_configuration()
        .bucket("strict")
        .send()
        .await
        .unwrap();
    assert!(got.queue_configurations().is_empty(), "{got:?}");

    let (status, body) = signed(
        &ts,
        "PUT",
        "/strict?notification",
        b"<NotificationConfiguration><QueueConfiguration>",
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        common::xml_field(&body, "Code").as_deref(),
        Some("MalformedXML"),
        "{body}"
    );
    ts.stop().await;
}

/// The receiver answers 500 for a few seconds while two keys get five PUTs each; once it is
/// healthy again all ten events arrive, each key's in commit order, every retry under the same
/// `webhook-id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiver_down_then_up_gets_every_event_in_order_per_key() {
    let Some(rx) = Receiver::start("receiver_down_then_up_gets_every_event_in_order_per_key")
    else {
        return;
    };
    let ts = TestServer::start_with_bucket("orders").await;
    let arn = define_target(&ts, "flaky", &rx).await;
    configure(&ts, "orders", &arn, "k/").await;
    rx.set_failing(true);

    let mut written: Vec<(&str, String)> = Vec::new(); // (key, eTag) in commit order
    for i in 0..5 {
        for key in ["k/one", "k/two"] {
            let etag = put(&ts, "orders", key, format!("{key} version {i}").as_bytes()).await;
            written.push((key, etag));
        }
    }
    // The first event was tried and refused at least twice (first attempt and one retry).
    rx.wait_requests(2).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        rx.delivered().is_empty(),
        "nothing is delivered while failing"
    );
    rx.set_failing(false);

    let got = rx.wait_delivered(10).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rx.delivered().len(), 10, "{:#?}", rx.delivered());
    assert_all_verified(&rx);
    let retried = assert_ids_stable_across_retries(&rx);
    assert!(
        retried >= 2,
        "the failing receiver refused {retried} requests"
    );

    for key in ["k/one", "k/two"] {
        let want: Vec<&str> = written
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, e)| e.as_str())
            .collect();
        let recs: Vec<&Value> = got
            .iter()
            .map(record)
            .filter(|r| r["s3"]["object"]["key"] == key)
            .collect();
        let etags: Vec<&str> = recs
            .iter()
            .map(|r| r["s3"]["object"]["eTag"].as_str().unwrap())
            .collect();
        assert_eq!(etags, want, "{key}: events out of commit order");
        let seqs: Vec<u128> = recs.iter().map(|r| sequencer(r)).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "{key}: sequencers not ascending: {seqs:x?}"
        );
    }
    ts.stop().await;
}

/// With `notify_max_age` = 2 s and a receiver that keeps failing, the event reaches the
/// dead-letter table; replayed with the receiver healthy, it is delivered under its id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeliverable_event_is_dead_lettered_then_replayed() {
    let Some(rx) = Receiver::start("undeliverable_event_is_dead_lettered_then_replayed") else {
        return;
    };
    let ts = TestServer::start_with(|cfg| cfg.notify_max_age = Duration::from_secs(2)).await;
    ts.create_bucket("dlq").await;
    let arn = define_target(&ts, "down", &rx).await;
    configure(&ts, "dlq", &arn, "").await;
    rx.set_failing(true);
    let etag = put(&ts, "dlq", "lost.txt", b"payload").await;

    let started = Instant::now();
    let dead = loop {
        let (status, answer) = admin(&ts, "GET", "events/dead?target=down", "").await;
        assert_eq!(status, 200, "{answer}");
        let items = answer["dead"].as_array().cloned().unwrap_or_default();
        if !items.is_empty() {
            break items;
        }
        assert!(
            started.elapsed() < WAIT,
            "no dead letter after {WAIT:?}; requests: {:#?}",
            rx.requests()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["target"], "down");
    assert_eq!(dead[0]["bucket"], "dlq");
    assert_eq!(dead[0]["key"], "lost.txt");
    assert_eq!(dead[0]["event_name"], "s3:ObjectCreated:Put");
    // Dead-lettered only once tried more than once; `attempts` counts every failed try.
    assert!(dead[0]["attempts"].as_u64().unwrap() >= 2, "{dead:#?}");
    assert!(
        dead[0]["error"].as_str().unwrap_or("").contains("500"),
        "{dead:#?}"
    );
    let refused = rx.requests();
    assert!(refused.len() >= 2 && refused.iter().all(|r| r["status"] == 500));
    assert!(rx.delivered().is_empty());

    // Dead means the worker stopped trying.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rx.requests().len();
    assert_eq!(after, refused.len(), "a dead-lettered event was still sent");

    rx.set_failing(false);
    let (status, answer) = admin(&ts, "POST", "events/dead/replay?target=down", "").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["replayed"], 1, "{answer}");
    let got = rx.wait_delivered(1).await;
    assert_all_verified(&rx);
    assert_eq!(
        got[0]["id"], refused[0]["id"],
        "replay keeps the webhook-id"
    );
    let rec = record(&got[0]);
    assert_eq!(rec["s3"]["object"]["key"], "lost.txt");
    assert_eq!(rec["s3"]["object"]["eTag"], etag.as_str());
    let (_, answer) = admin(&ts, "GET", "events/dead?target=down", "").await;
    assert_eq!(answer["dead"].as_array().map(Vec::len), Some(0), "{answer}");
    ts.stop().await;
}
