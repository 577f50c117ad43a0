//! Small objects live inside the metadata database (`inline_max_bytes`): they read back
//! whole and by range, their bytes are freed on overwrite and delete, copies and `sluice
//! check` see them, larger objects stay files, and `inline_max_bytes = 0` turns it off.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use common::{stored_blobs, TestServer};

fn blob_files(data_dir: &std::path::Path) -> usize {
    common::count_files(&data_dir.join("blobs"))
}

fn body(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn get(ts: &TestServer, key: &str, range: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = common::http().get(ts.presign("GET", "small", key, 300));
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().await.unwrap().to_vec())
}

async fn put(ts: &TestServer, key: &str, data: &[u8]) -> u16 {
    common::http()
        .put(ts.presign("PUT", "small", key, 300))
        .body(data.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_objects_round_trip_inside_the_database() {
    let ts = TestServer::start_with_bucket("small").await;
    let dir = ts.dir.path().to_path_buf();
    let four_k = body(4096, 1);
    assert_eq!(put(&ts, "a/4k", &four_k).await, 200);
    assert_eq!(blob_files(&dir), 0, "a 4 KiB object is not a file");
    assert_eq!(stored_blobs(&dir), 1);
    assert_eq!(get(&ts, "a/4k", None).await, (200, four_k.clone()));
    assert_eq!(
        get(&ts, "a/4k", Some("bytes=100-199")).await,
        (206, four_k[100..200].to_vec())
    );
    assert_eq!(
        get(&ts, "a/4k", Some("bytes=-10")).await,
        (206, four_k[4086..].to_vec())
    );
    assert_eq!(get(&ts, "a/4k", Some("bytes=5000-")).await.0, 416);

    // Empty and exactly-at-the-limit objects stay inside too; one byte more is a file.
    assert_eq!(put(&ts, "empty", b"").await, 200);
    assert_eq!(get(&ts, "empty", None).await, (200, Vec::new()));
    let limit = body(64 << 10, 2);
    assert_eq!(put(&ts, "limit", &limit).await, 200);
    assert_eq!(blob_files(&dir), 0);
    let over = body((64 << 10) + 1, 3);
    assert_eq!(put(&ts, "over", &over).await, 200);
    assert_eq!(blob_files(&dir), 1);
    assert_eq!(stored_blobs(&dir), 4);
    assert_eq!(get(&ts, "limit", None).await, (200, limit));
    assert_eq!(get(&ts, "over", None).await, (200, over));

    // Overwrites and deletes free the old bytes, in either tier.
    let replaced = body(1000, 4);
    assert_eq!(put(&ts, "a/4k", &replaced).await, 200);
    assert_eq!(put(&ts, "over", b"now small").await, 200);
    assert_eq!(blob_files(&dir), 0, "the replaced file is gone");
    assert_eq!(stored_blobs(&dir), 4);
    assert_eq!(get(&ts, "a/4k", None).await, (200, replaced.clone()));

    // A server-side copy of a small object, and the SDK's checksummed upload path.
    let s3 = ts.sdk();
    s3.copy_object()
        .bucket("small")
        .key("copy")
        .copy_source("small/a/4k")
        .send()
        .await
        .unwrap();
    assert_eq!(get(&ts, "copy", None).await, (200, replaced));
    s3.put_object()
        .bucket("small")
        .key("sdk")
        .body(ByteStream::from(body(3000, 5)))
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Crc32C)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&ts, "sdk", None).await, (200, body(3000, 5)));
    assert_eq!(stored_blobs(&dir), 6);

    for key in ["a/4k", "empty", "limit", "over", "copy", "sdk"] {
        s3.delete_object()
            .bucket("small")
            .key(key)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(stored_blobs(&dir), 0, "deletes free every blob");
    ts.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_verifies_small_objects_and_the_limit_can_be_turned_off() {
    let ts = TestServer::start_with(|c| c.inline_max_bytes = 0).await;
    ts.create_bucket("small").await;
    let dir = ts.dir.path().to_path_buf();
    assert_eq!(put(&ts, "as-file", b"tiny but a file").await, 200);
    assert_eq!(blob_files(&dir), 1);

    // The same data dir served with the default limit: the old file still reads, new small
    // objects go inside, and `sluice check` reads both.
    let mut ts = ts;
    ts.restart(|_| {}).await;
    assert_eq!(
        get(&ts, "as-file", None).await,
        (200, b"tiny but a file".to_vec())
    );
    assert_eq!(put(&ts, "inside", b"tiny and inside").await, 200);
    assert_eq!(blob_files(&dir), 1);
    assert_eq!(stored_blobs(&dir), 2);
    ts.server.take().unwrap().shutdown().await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check", "--data-dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("checked 2 objects") && text.contains("0 damaged"),
        "{text}"
    );

    // Damage the small object's bytes inside the database: check reports it.
    let conn = rusqlite::Connection::open(dir.join("meta.sqlite")).unwrap();
    conn.execute(
        "UPDATE small_blobs SET data = CAST('tiny and broken' AS BLOB)",
        [],
    )
    .unwrap();
    drop(conn);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check", "--data-dir", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("DAMAGED small/inside"), "{text}");
}
