//! Upload notifications delivered to a real `nats-server` (Debian's package): core NATS when no
//! stream captures the subject, a JetStream publish (acknowledged, deduplicated by the event id)
//! when one does. Skipped with a message where nats-server is absent, unless
//! SLUICE_REQUIRE_NATS=1 (CI).

mod common;
mod iam_support;

use async_nats::jetstream;
use common::TestServer;
use futures_util::StreamExt;
use iam_support::{admin_call, UserKey};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A nats-server on a free loopback port, killed on drop.
struct NatsServer {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nats_server(jetstream: bool) -> Option<NatsServer> {
    let bin = ["/usr/bin/nats-server", "/usr/sbin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(bin) = bin else {
        assert!(
            std::env::var("SLUICE_REQUIRE_NATS").is_err(),
            "nats-server is required but not installed"
        );
        eprintln!("SKIPPED: nats-server not installed");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(bin);
    cmd.args(["-a", "127.0.0.1", "-p", &port.to_string()]);
    if jetstream {
        cmd.args(["-js", "-sd", dir.path().to_str().unwrap()]);
    }
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nats-server starts");
    let url = format!("nats://127.0.0.1:{port}");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(NatsServer {
        child,
        url,
        _dir: dir,
    })
}

/// Defines target `id` on the NATS server and sends the bucket's created events to it.
async fn configure(ts: &TestServer, id: &str, bucket: &str, url: &str, subject: &str) {
    let body = serde_json::json!({"type": "nats", "url": url, "subject": subject}).to_string();
    let path = format!("targets/{id}");
    let (status, answer) = admin_call(ts, &UserKey::root(), "PUT", &path, &body).await;
    assert_eq!(status, 200, "{answer}");
    let arn = format!("arn:sluice:sqs:us-east-1:{id}:nats");
    assert_eq!(answer["arn"], arn.as_str());
    let s3 = ts.sdk();
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    notify_bucket(&s3, bucket, &arn, "s3:ObjectCreated:*").await;
}

/// Sends the bucket's `event`s to the target `arn` (one QueueConfiguration).
async fn notify_bucket(s3: &aws_sdk_s3::Client, bucket: &str, arn: &str, event: &str) {
    use aws_sdk_s3::types::{Event, NotificationConfiguration, QueueConfiguration};
    let queue = QueueConfiguration::builder()
        .queue_arn(arn)
        .events(Event::from(event))
        .build()
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(queue)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn record(message: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(message).expect("event JSON");
    v["Records"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_a_core_nats_subscriber() {
    let Some(nats) = nats_server(false) else {
        return;
    };
    let ts = TestServer::start().await;
    let sub_client = async_nats::connect(&nats.url).await.unwrap();
    let mut sub = sub_client.subscribe("uploads.photos").await.unwrap();
    sub_client.flush().await.unwrap();
    // Its own target id: the metrics checked below are process-wide, shared with other tests.
    configure(&ts, "core-bus", "photos", &nats.url, "uploads.photos").await;
    for (key, body) in [("a b.png", "one"), ("c.png", "second")] {
        ts.sdk()
            .put_object()
            .bucket("photos")
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let mut got = Vec::new();
    for _ in 0..2 {
        let msg = tokio::time::timeout(Duration::from_secs(20), sub.next())
            .await
            .expect("an event within 20 s")
            .unwrap();
        let id = msg
            .headers
            .as_ref()
            .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
            .map(|v| v.to_string())
            .unwrap_or_default();
        assert!(id.starts_with("evt_"), "{id:?} {:?}", msg.headers);
        got.push(record(&msg.payload));
    }
    assert_eq!(got[0]["eventName"], "ObjectCreated:Put");
    assert_eq!(got[0]["s3"]["object"]["key"], "a+b.png");
    assert_eq!(got[0]["s3"]["object"]["size"], 3);
    assert_eq!(got[1]["s3"]["object"]["key"], "c.png");
    let seq = |r: &Value| r["s3"]["object"]["sequencer"].as_str().unwrap().to_string();
    assert!(
        seq(&got[0]) < seq(&got[1]),
        "sequencers ascend in commit order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_stored_by_a_jetstream_stream() {
    let Some(nats) = nats_server(true) else {
        return;
    };
    let client = async_nats::connect(&nats.url).await.unwrap();
    let js = jetstream::new(client);
    let stream = js
        .create_stream(jetstream::stream::Config {
            name: "UPLOADS".into(),
            subjects: vec!["uploads.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();
    let ts = TestServer::start().await;
    configure(&ts, "js-bus", "docs", &nats.url, "uploads.docs").await;
    ts.sdk()
        .put_object()
        .bucket("docs")
        .key("report.pdf")
        .body(b"%PDF-1.7".to_vec().into())
        .send()
        .await
        .unwrap();
    let mut stream = stream;
    let mut stored = 0;
    for _ in 0..200 {
        stored = stream.info().await.unwrap().state.messages;
        if stored > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored, 1, "the stream holds the event");
    let msg = stream.get_raw_message(1).await.unwrap();
    let r = record(&msg.payload);
    assert_eq!(r["s3"]["bucket"]["name"], "docs");
    assert_eq!(r["s3"]["object"]["key"], "report.pdf");
    use md5::Digest;
    assert_eq!(
        r["s3"]["object"]["eTag"],
        hex::encode(md5::Md5::digest(b"%PDF-1.7"))
    );
}

/// Per-URL receipts: a presigned PUT signed with `x-sluice-notify` / `x-sluice-payload` reports to
/// its target on a bucket without any configuration, both when it stores the object and when the
/// upload is refused (`sluice:Upload:Rejected`, with the reason).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_receipts_report_stored_and_rejected_uploads() {
    let Some(nats) = nats_server(false) else {
        return;
    };
    let ts = TestServer::start().await;
    let body =
        serde_json::json!({"type": "nats", "url": nats.url, "subject": "receipts"}).to_string();
    let (status, answer) = admin_call(&ts, &UserKey::root(), "PUT", "targets/bus", &body).await;
    assert_eq!(status, 200, "{answer}");
    ts.sdk()
        .create_bucket()
        .bucket("inbox")
        .send()
        .await
        .unwrap();
    let sub_client = async_nats::connect(&nats.url).await.unwrap();
    let mut sub = sub_client.subscribe("receipts").await.unwrap();
    sub_client.flush().await.unwrap();
    let url = |key: &str| {
        let q: Vec<(String, String)> = [
            ("x-sluice-notify", "bus"),
            ("x-sluice-payload", "order 17/é"),
            ("x-sluice-content-length-range", "1,5"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        ts.presign_full(
            "PUT",
            "inbox",
            key,
            600,
            &[],
            &q,
            time::OffsetDateTime::now_utc(),
        )
    };
    let http = reqwest::Client::new();
    let ok = http.put(url("ok.txt")).body("12345").send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let refused = http
        .put(url("big.txt"))
        .body("123456")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    let mut got = Vec::new();
    for _ in 0..2 {
        let msg = tokio::time::timeout(Duration::from_secs(20), sub.next())
            .await
            .expect("a receipt within 20 s")
            .unwrap();
        got.push(record(&msg.payload));
    }
    assert_eq!(got[0]["eventName"], "ObjectCreated:Put");
    assert_eq!(got[0]["s3"]["object"]["key"], "ok.txt");
    assert_eq!(got[0]["s3"]["configurationId"], "sluice-url-receipt");
    assert_eq!(got[0]["sluice"]["payload"], "order 17/é");
    assert_eq!(got[0]["sluice"]["accessKeyId"], common::ACCESS_KEY);
    assert_eq!(got[1]["eventName"], "sluice:Upload:Rejected");
    assert_eq!(got[1]["s3"]["object"]["key"], "big.txt");
    assert_eq!(got[1]["sluice"]["payload"], "order 17/é");
    assert_eq!(got[1]["sluice"]["rejection"]["code"], "EntityTooLarge");
    assert_eq!(got[1]["sluice"]["rejection"]["status"], 400);
    assert!(got[1]["s3"]["object"].get("eTag").is_none());
    // A forged URL (bad signature) is not the uploader's doing and reports nothing.
    let forged = url("forged.txt").replace("X-Amz-Signature=", "X-Amz-Signature=0");
    let r = http.put(forged).body("1").send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        tokio::time::timeout(Duration::from_secs(2), sub.next())
            .await
            .is_err(),
        "no event for a forged URL"
    );
}

/// A grant whose URL expired without a successful use is reported once
/// (`sluice:Grant:ExpiredUnused`) to the bucket's configuration for that event; a used one is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_that_expired_unused_is_reported_once() {
    let Some(nats) = nats_server(false) else {
        return;
    };
    let ts = TestServer::start().await;
    let body =
        serde_json::json!({"type": "nats", "url": nats.url, "subject": "grants"}).to_string();
    let (status, answer) =
        admin_call(&ts, &UserKey::root(), "PUT", "targets/grant-bus", &body).await;
    assert_eq!(status, 200, "{answer}");
    let s3 = ts.sdk();
    s3.create_bucket().bucket("forms").send().await.unwrap();
    notify_bucket(
        &s3,
        "forms",
        "arn:sluice:sqs:us-east-1:grant-bus:nats",
        "sluice:Grant:ExpiredUnused",
    )
    .await;
    let sub_client = async_nats::connect(&nats.url).await.unwrap();
    let mut sub = sub_client.subscribe("grants").await.unwrap();
    sub_client.flush().await.unwrap();
    let mint = |key: &str| serde_json::json!({"method": "PUT", "bucket": "forms", "key": key, "expires_in": 60, "max_uses": 1});
    let (status, unused) = common::service_api::mint(&ts, mint("never.pdf")).await;
    assert_eq!(status, 200, "{unused}");
    let (status, used) = common::service_api::mint(&ts, mint("done.pdf")).await;
    assert_eq!(status, 200, "{used}");
    let put = reqwest::Client::new()
        .put(used["url"].as_str().unwrap())
        .body("done")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    let server = ts.server.as_ref().unwrap();
    server.housekeeping_round().await;
    assert!(
        tokio::time::timeout(Duration::from_millis(500), sub.next())
            .await
            .is_err(),
        "nothing before the URLs expire"
    );
    ts.clock().advance_ms(61_000);
    server.housekeeping_round().await;
    let msg = tokio::time::timeout(Duration::from_secs(20), sub.next())
        .await
        .expect("the expiry is reported")
        .unwrap();
    let r = record(&msg.payload);
    assert_eq!(r["eventName"], "sluice:Grant:ExpiredUnused");
    assert_eq!(r["s3"]["object"]["key"], "never.pdf");
    assert_eq!(r["sluice"]["grantId"], unused["id"]);
    assert_eq!(r["userIdentity"]["principalId"], "sluice");
    server.housekeeping_round().await;
    assert!(
        tokio::time::timeout(Duration::from_secs(2), sub.next())
            .await
            .is_err(),
        "reported once; the used grant not at all"
    );
}

/// `on_backlog = "block"`: once a target's undelivered events reach `backlog_max`, writes that
/// would emit to it answer 503 SlowDown and store nothing; writes to other buckets go on.
/// (A webhook on a closed port: every delivery fails, so the backlog only grows.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_backlog_blocks_writes_when_asked() {
    let ts = TestServer::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let body = serde_json::json!({
        "type": "webhook",
        "url": format!("http://{closed}/"),
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "backlog_max": 3,
        "on_backlog": "block",
    })
    .to_string();
    let (status, answer) = admin_call(&ts, &UserKey::root(), "PUT", "targets/full", &body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["config"]["backlog_max"], 3);
    let s3 = ts.sdk();
    s3.create_bucket().bucket("busy").send().await.unwrap();
    s3.create_bucket().bucket("quiet").send().await.unwrap();
    notify_bucket(
        &s3,
        "busy",
        "arn:sluice:sqs:us-east-1:full:webhook",
        "s3:ObjectCreated:*",
    )
    .await;
    let put = |bucket: &'static str, key: String| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(b"x".to_vec().into())
                .send()
                .await
        }
    };
    for i in 0..3 {
        put("busy", format!("k{i}")).await.unwrap();
    }
    // The worker counts the backlog after each (failed) round.
    let mut refused = None;
    for i in 0..100 {
        match put("busy", format!("late{i}")).await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => {
                refused = Some((format!("late{i}"), e));
                break;
            }
        }
    }
    let (key, err) = refused.expect("writes are refused once the backlog is full");
    let service = err.into_service_error();
    assert_eq!(service.meta().code(), Some("SlowDown"), "{service:?}");
    assert!(
        s3.head_object()
            .bucket("busy")
            .key(&key)
            .send()
            .await
            .is_err(),
        "the refused write stored nothing"
    );
    put("quiet", "free".into())
        .await
        .expect("other buckets are not blocked");
}
