//! Fault injection: the real server on top of `FaultyBlobStore` / `FaultyMetaStore`. For every
//! write path (PutObject, UploadPart, CompleteMultipartUpload, CopyObject, DeleteObject) and
//! every injected failure (temp-file create, write, fsync, rename, metadata commit), the client
//! gets 500 InternalError (503 SlowDown for "no space left"), never a false 200; the previous
//! object reads back byte-exact, no temp file or orphan blob remains, `sluice check` is clean.

mod common;

use aws_credential_types::Credentials as SdkCredentials;
use aws_sdk_s3::config::{BehaviorVersion, Region};
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use common::{xml_field, TestServer, ACCESS_KEY, REGION, SECRET_KEY};
use sluice_store::fault::{FaultKind, FaultOp};
use std::sync::Arc;
use std::time::Duration;

const BUCKET: &str = "faulty";

/// Blob faults that hit every upload path, with the kind each is injected as.
const BLOB_FAULTS: [FaultOp; 4] = [
    FaultOp::BlobCreate,
    FaultOp::BlobWrite,
    FaultOp::BlobFsync,
    FaultOp::BlobRename,
];
const KINDS: [FaultKind; 2] = [FaultKind::Io, FaultKind::NoSpace];

/// The SDK with retries off, so each injected fault is seen exactly once.
fn sdk(ts: &TestServer) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(ts.endpoint())
        .force_path_style(true)
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled())
        .credentials_provider(SdkCredentials::new(ACCESS_KEY, SECRET_KEY, None, None, "t"))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn expected(kind: FaultKind) -> (u16, &'static str) {
    match kind {
        FaultKind::Io => (500, "InternalError"),
        FaultKind::NoSpace => (503, "SlowDown"),
    }
}

fn body(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// (committed blobs, temp files) in the data dir.
fn disk_state(ts: &TestServer) -> (usize, usize) {
    (
        common::stored_blobs(ts.dir.path()),
        common::count_files(&ts.dir.path().join("tmp")),
    )
}

async fn read_back(ts: &TestServer, key: &str) -> Option<Vec<u8>> {
    let resp = common::http()
        .get(ts.presign("GET", BUCKET, key, 300))
        .send()
        .await
        .unwrap();
    match resp.status().as_u16() {
        200 => Some(resp.bytes().await.unwrap().to_vec()),
        404 => None,
        other => panic!("GET {key}: unexpected status {other}"),
    }
}

async fn presigned_put(ts: &TestServer, key: &str, data: Vec<u8>) -> (u16, String) {
    let resp = common::http()
        .put(ts.presign("PUT", BUCKET, key, 300))
        .body(data)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

fn assert_s3_error(status: u16, body: &str, kind: FaultKind, what: &str) {
    let (want_status, want_code) = expected(kind);
    assert_eq!(status, want_status, "{what}: {body}");
    assert_eq!(
        xml_field(body, "Code").as_deref(),
        Some(want_code),
        "{what}"
    );
    assert!(
        !body.contains("injected"),
        "{what}: internals leaked: {body}"
    );
}

/// Stops the server and runs the real `sluice check` on its data dir.
async fn stop_and_check(ts: TestServer) {
    let TestServer { server, dir, .. } = ts;
    if let Some(s) = server {
        s.shutdown().await;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check", "--data-dir", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "sluice check: {text}");
    assert!(text.contains("0 damaged; orphan blobs: 0"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_object_faults_never_acknowledge_and_keep_the_old_version() {
    let (ts, plan) = TestServer::start_faulty().await;
    let s3 = sdk(&ts);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let old = body(1, 3 << 20);
    assert_eq!(presigned_put(&ts, "obj", old.clone()).await.0, 200);

    let mut ops: Vec<FaultOp> = BLOB_FAULTS.to_vec();
    ops.push(FaultOp::MetaCommit);
    for op in ops {
        for kind in KINDS {
            let before = disk_state(&ts);
            plan.fail_next(op, 1, kind);
            let (status, text) = presigned_put(&ts, "obj", body(2, 3 << 20)).await;
            assert_s3_error(status, &text, kind, &format!("PUT with {op:?}/{kind:?}"));
            // A fresh key fails the same way and leaves nothing behind.
            plan.fail_next(op, 1, kind);
            let (status, text) = presigned_put(&ts, "fresh", body(3, 1000)).await;
            assert_s3_error(status, &text, kind, &format!("PUT new with {op:?}"));
            plan.clear();
            assert_eq!(read_back(&ts, "obj").await.as_deref(), Some(&old[..]));
            assert_eq!(read_back(&ts, "fresh").await, None);
            assert_eq!(disk_state(&ts), before, "{op:?}/{kind:?}: leftovers");
        }
    }
    assert_eq!(plan.injected(), 20);
    // The store works normally once faults stop.
    let new = body(4, 1 << 20);
    assert_eq!(presigned_put(&ts, "obj", new.clone()).await.0, 200);
    assert_eq!(read_back(&ts, "obj").await, Some(new));
    stop_and_check(ts).await;
}

async fn presigned_upload_part(
    ts: &TestServer,
    key: &str,
    upload_id: &str,
    n: u32,
    data: Vec<u8>,
) -> (u16, String, Option<String>) {
    let query = [
        ("partNumber".to_string(), n.to_string()),
        ("uploadId".to_string(), upload_id.to_string()),
    ];
    let url = ts.presign_full(
        "PUT",
        BUCKET,
        key,
        300,
        &[],
        &query,
        time::OffsetDateTime::now_utc(),
    );
    let resp = common::http().put(url).body(data).send().await.unwrap();
    let etag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    (resp.status().as_u16(), resp.text().await.unwrap(), etag)
}

fn completed(etags: &[String]) -> CompletedMultipartUpload {
    let parts = etags
        .iter()
        .enumerate()
        .map(|(i, e)| {
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(e)
                .build()
        })
        .collect();
    CompletedMultipartUpload::builder()
        .set_parts(Some(parts))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_faults_keep_parts_and_object_consistent() {
    let (ts, plan) = TestServer::start_faulty().await;
    let s3 = sdk(&ts);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let old = body(9, 4096);
    assert_eq!(presigned_put(&ts, "mp", old.clone()).await.0, 200);
    let up = s3
        .create_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap().to_string();
    let p1 = body(10, 5 << 20);
    let p2 = body(11, 1 << 20);
    let (st, _, e1) = presigned_upload_part(&ts, "mp", &id, 1, p1.clone()).await;
    assert_eq!(st, 200);
    let e1 = e1.unwrap();

    // UploadPart: a failed re-upload of part 1 keeps the first part 1; a failed part 2 adds none.
    let mut ops: Vec<FaultOp> = BLOB_FAULTS.to_vec();
    ops.push(FaultOp::MetaCommit);
    for op in ops {
        for kind in KINDS {
            let before = disk_state(&ts);
            plan.fail_next(op, 1, kind);
            let (st, text, _) = presigned_upload_part(&ts, "mp", &id, 1, body(12, 5 << 20)).await;
            assert_s3_error(st, &text, kind, &format!("UploadPart 1 with {op:?}"));
            plan.fail_next(op, 1, kind);
            let (st, text, _) = presigned_upload_part(&ts, "mp", &id, 2, p2.clone()).await;
            assert_s3_error(st, &text, kind, &format!("UploadPart 2 with {op:?}"));
            plan.clear();
            assert_eq!(
                disk_state(&ts),
                before,
                "UploadPart {op:?}/{kind:?}: leftovers"
            );
            let parts = s3
                .list_parts()
                .bucket(BUCKET)
                .key("mp")
                .upload_id(&id)
                .send()
                .await
                .unwrap();
            let listed: Vec<_> = parts.parts().iter().map(|p| p.e_tag().unwrap()).collect();
            assert_eq!(listed, [e1.as_str()], "{op:?}/{kind:?}");
        }
    }
    let (st, _, e2) = presigned_upload_part(&ts, "mp", &id, 2, p2.clone()).await;
    assert_eq!(st, 200);
    let etags = [e1, e2.unwrap()];

    // CompleteMultipartUpload: a failed transaction leaves the old object and the open upload.
    for kind in KINDS {
        let before = disk_state(&ts);
        plan.fail_next(FaultOp::MetaCommit, 1, kind);
        let err = s3
            .complete_multipart_upload()
            .bucket(BUCKET)
            .key("mp")
            .upload_id(&id)
            .multipart_upload(completed(&etags))
            .send()
            .await
            .unwrap_err();
        let (status, code) = expected(kind);
        assert_eq!(err.raw_response().unwrap().status().as_u16(), status);
        assert_eq!(err.code(), Some(code));
        assert_eq!(read_back(&ts, "mp").await.as_deref(), Some(&old[..]));
        assert_eq!(disk_state(&ts), before);
    }
    s3.complete_multipart_upload()
        .bucket(BUCKET)
        .key("mp")
        .upload_id(&id)
        .multipart_upload(completed(&etags))
        .send()
        .await
        .unwrap();
    let mut whole = p1;
    whole.extend_from_slice(&p2);
    assert_eq!(read_back(&ts, "mp").await, Some(whole));
    assert_eq!(plan.injected(), 22);
    stop_and_check(ts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_and_delete_faults_change_nothing() {
    let (ts, plan) = TestServer::start_faulty().await;
    let s3 = sdk(&ts);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let src = body(20, 2 << 20);
    let dst_old = body(21, 777);
    assert_eq!(presigned_put(&ts, "src", src.clone()).await.0, 200);
    assert_eq!(presigned_put(&ts, "dst", dst_old.clone()).await.0, 200);

    let mut ops: Vec<FaultOp> = BLOB_FAULTS.to_vec();
    ops.push(FaultOp::MetaCommit);
    for op in ops {
        for kind in KINDS {
            let before = disk_state(&ts);
            plan.fail_next(op, 1, kind);
            let err = s3
                .copy_object()
                .bucket(BUCKET)
                .key("dst")
                .copy_source(format!("{BUCKET}/src"))
                .send()
                .await
                .unwrap_err();
            let (status, code) = expected(kind);
            let raw = err.raw_response().unwrap();
            assert_eq!(raw.status().as_u16(), status, "CopyObject {op:?}");
            assert_eq!(err.code(), Some(code), "CopyObject {op:?}");
            plan.clear();
            assert_eq!(read_back(&ts, "dst").await.as_deref(), Some(&dst_old[..]));
            assert_eq!(read_back(&ts, "src").await.as_deref(), Some(&src[..]));
            assert_eq!(disk_state(&ts), before, "CopyObject {op:?}/{kind:?}");
        }
    }

    // DeleteObject: a failed metadata transaction keeps the object.
    for kind in KINDS {
        plan.fail_next(FaultOp::MetaCommit, 1, kind);
        let resp = common::http()
            .delete(ts.presign("DELETE", BUCKET, "dst", 300))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert_s3_error(status, &resp.text().await.unwrap(), kind, "DeleteObject");
        assert_eq!(read_back(&ts, "dst").await.as_deref(), Some(&dst_old[..]));
    }
    // A blob that cannot be freed after the row is gone: the delete did happen (204), and
    // the blob is an orphan for the sweep, never a dangling reference.
    plan.fail_next(FaultOp::BlobDelete, 1, FaultKind::Io);
    let resp = common::http()
        .delete(ts.presign("DELETE", BUCKET, "dst", 300))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(read_back(&ts, "dst").await, None);
    let future = std::time::SystemTime::now() + Duration::from_secs(5);
    let (_, removed) = ts
        .server
        .as_ref()
        .unwrap()
        .run_housekeeping(future)
        .await
        .unwrap();
    assert_eq!(removed, 1, "the orphan is swept");
    assert_eq!(plan.injected(), 13);
    stop_and_check(ts).await;
}

/// Many concurrent uploads while every 3rd metadata commit and every 25th blob write fails:
/// each acknowledged PUT reads back exactly, each refused one left the previous bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_under_periodic_faults_have_no_false_200() {
    let (ts, plan) = TestServer::start_faulty().await;
    let s3 = sdk(&ts);
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let keys = 8;
    let mut current: Vec<Option<Vec<u8>>> = vec![None; keys];
    plan.fail_every_nth(FaultOp::MetaCommit, 3, FaultKind::Io);
    plan.fail_every_nth(FaultOp::BlobWrite, 25, FaultKind::NoSpace);
    plan.fail_every_nth(FaultOp::BlobRename, 5, FaultKind::Io);
    let ts = Arc::new(ts);
    let (mut ok, mut refused) = (0, 0);
    for round in 0..6u8 {
        let mut tasks = Vec::new();
        for k in 0..keys {
            let ts = ts.clone();
            let data = body(
                round.wrapping_mul(17).wrapping_add(k as u8),
                200_000 + k * 997,
            );
            tasks.push(tokio::spawn(async move {
                let (status, text) = presigned_put(&ts, &format!("k{k}"), data.clone()).await;
                (k, status, text, data)
            }));
        }
        for t in tasks {
            let (k, status, text, data) = t.await.unwrap();
            match status {
                200 => {
                    ok += 1;
                    current[k] = Some(data);
                }
                500 | 503 => {
                    refused += 1;
                    let code = xml_field(&text, "Code").unwrap();
                    assert!(code == "InternalError" || code == "SlowDown", "{text}");
                }
                other => panic!("unexpected status {other}: {text}"),
            }
        }
        for (k, want) in current.iter().enumerate() {
            assert_eq!(&read_back(&ts, &format!("k{k}")).await, want, "k{k}");
        }
        assert_eq!(disk_state(&ts).1, 0, "temp files left");
    }
    plan.clear();
    println!(
        "periodic faults: {ok} acknowledged, {refused} refused, {} faults injected",
        plan.injected()
    );
    assert!(ok > 0 && refused > 0);
    let ts = Arc::into_inner(ts).unwrap();
    stop_and_check(ts).await;
}
