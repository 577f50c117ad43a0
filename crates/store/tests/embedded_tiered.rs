//! Embedded backend, the tiered blob store: small blobs inside the metadata database (rows of
//! its `small_blobs` table), larger ones as files.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{bucket, object};
use sluice_store::{
    open_embedded_with, sweep_orphans, BlobRef, BlobStore, MetaStore, StoreError,
    WritePrecondition, DEFAULT_INLINE_MAX,
};

const INLINE: usize = 1024;

async fn write_blob(blobs: &dyn BlobStore, pieces: &[&[u8]]) -> BlobRef {
    let mut w = blobs.create().await.unwrap();
    for p in pieces {
        w.write(p).await.unwrap();
    }
    w.commit().await.unwrap()
}

fn file_of(dir: &Path, id: &BlobRef) -> PathBuf {
    dir.join("blobs").join(&id.0[0..2]).join(&id.0)
}

fn small_rows(dir: &Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("meta.sqlite")).unwrap();
    conn.query_row("SELECT COUNT(*) FROM small_blobs", [], |r| r.get(0))
        .unwrap()
}

/// Writes an object row in bucket `b` naming `blob` (what makes a small blob a stored row).
async fn reference(meta: &dyn MetaStore, key: &str, blob: &BlobRef, size: u64) {
    let mut obj = object("b", key, size);
    obj.blob = blob.clone();
    meta.put_object(&obj).await.unwrap();
}

async fn read_all(blobs: &dyn BlobStore, id: &BlobRef, size: u64) -> Vec<u8> {
    let r = blobs.open_sized(id, size).await.unwrap();
    let via_hint = r.read_chunk(0, usize::MAX).await.unwrap();
    let r = blobs.open(id).await.unwrap();
    assert_eq!(r.len(), size);
    let plain = r.read_chunk(0, usize::MAX).await.unwrap();
    assert_eq!(via_hint, plain, "both lookups find the same bytes");
    plain
}

#[tokio::test]
async fn blobs_up_to_the_limit_live_in_the_database_larger_ones_as_files() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
    meta.create_bucket(&bucket("b")).await.unwrap();

    let exact = vec![7u8; INLINE];
    let small = write_blob(blobs.as_ref(), &[&exact[..100], &exact[100..]]).await;
    assert!(!file_of(dir.path(), &small).exists());
    // Staged until the row naming it is written, and readable meanwhile.
    assert_eq!(small_rows(dir.path()), 0);
    assert_eq!(read_all(blobs.as_ref(), &small, INLINE as u64).await, exact);
    reference(meta.as_ref(), "small", &small, INLINE as u64).await;
    assert_eq!(small_rows(dir.path()), 1);
    assert_eq!(read_all(blobs.as_ref(), &small, INLINE as u64).await, exact);

    // One byte over: the writer moves what it held in memory into a file.
    let over = vec![9u8; INLINE + 1];
    let large = write_blob(blobs.as_ref(), &[&over[..INLINE], &over[INLINE..]]).await;
    assert!(file_of(dir.path(), &large).exists());
    assert_eq!(small_rows(dir.path()), 1);
    assert_eq!(
        read_all(blobs.as_ref(), &large, over.len() as u64).await,
        over
    );

    let empty = write_blob(blobs.as_ref(), &[]).await;
    reference(meta.as_ref(), "empty", &empty, 0).await;
    assert_eq!(read_all(blobs.as_ref(), &empty, 0).await, Vec::<u8>::new());

    // Ranges of a small blob, including past its end.
    let r = blobs.open(&small).await.unwrap();
    assert_eq!(r.read_chunk(1000, 100).await.unwrap().len(), 24);
    assert!(r.read_chunk(INLINE as u64, 10).await.unwrap().is_empty());
    assert!(r.read_chunk(u64::MAX, 10).await.unwrap().is_empty());

    for id in [&small, &large, &empty] {
        blobs.delete(id).await.unwrap();
        assert!(matches!(
            blobs.open(id).await,
            Err(StoreError::BlobMissing(_))
        ));
        // Deleting again is not an error.
        blobs.delete(id).await.unwrap();
    }
    assert!(!file_of(dir.path(), &large).exists());
    assert_eq!(small_rows(dir.path()), 0);
}

#[tokio::test]
async fn shared_writes_stay_small_or_become_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
    meta.create_bucket(&bucket("b")).await.unwrap();
    let data: Vec<u8> = (0..(600 * 1024)).map(|i| (i % 249) as u8).collect();
    for (name, size) in [("small", INLINE), ("large", data.len())] {
        let mut w = blobs.create().await.unwrap();
        // A little in memory first, then a shared piece that fits or outgrows the tier.
        w.write(&data[..10]).await.unwrap();
        w.write_shared(bytes::Bytes::copy_from_slice(&data[10..size / 2]))
            .await
            .unwrap();
        w.write_shared(bytes::Bytes::copy_from_slice(&data[size / 2..size]))
            .await
            .unwrap();
        assert_eq!(w.written(), size as u64);
        let id = w.commit().await.unwrap();
        assert_eq!(file_of(dir.path(), &id).exists(), name == "large", "{name}");
        reference(meta.as_ref(), name, &id, size as u64).await;
        assert!(
            read_all(blobs.as_ref(), &id, size as u64).await == data[..size],
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_flushed_small_blob_becomes_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let (_meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
    let mut w = blobs.create().await.unwrap();
    w.write(b"held in memory").await.unwrap();
    assert_eq!(w.buffered(), 14);
    w.flush().await.unwrap();
    assert_eq!(w.buffered(), 0, "a flushed writer holds no memory");
    w.write(b", then more").await.unwrap();
    assert_eq!(w.written(), 25);
    let id = w.commit().await.unwrap();
    assert!(file_of(dir.path(), &id).exists());
    assert_eq!(small_rows(dir.path()), 0);
    assert_eq!(
        read_all(blobs.as_ref(), &id, 25).await,
        b"held in memory, then more"
    );
}

#[tokio::test]
async fn an_aborted_or_dropped_writer_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
    let mut w = blobs.create().await.unwrap();
    w.write(b"small").await.unwrap();
    w.abort().await;
    let mut w = blobs.create().await.unwrap();
    w.write(&vec![1u8; INLINE * 3]).await.unwrap();
    w.abort().await;
    let mut w = blobs.create().await.unwrap();
    w.write(&vec![1u8; INLINE * 3]).await.unwrap();
    drop(w);
    assert_eq!(small_rows(dir.path()), 0);
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    assert!(blobs
        .list_blobs_older_than(SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_zero_limit_keeps_every_blob_a_file_and_a_changed_limit_strands_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (small_id, file_id) = {
        let (meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
        meta.create_bucket(&bucket("b")).await.unwrap();
        let small_id = write_blob(blobs.as_ref(), &[b"tiny"]).await;
        reference(meta.as_ref(), "tiny", &small_id, 4).await;
        let (_m, files_only) = open_embedded_with(dir.path(), 0).await.unwrap();
        let file_id = write_blob(files_only.as_ref(), &[b"tiny too"]).await;
        assert!(file_of(dir.path(), &file_id).exists());
        (small_id, file_id)
    };
    // Reopened with other limits, both blobs are found, with or without the size hint.
    for limit in [0, 4, DEFAULT_INLINE_MAX] {
        let (_meta, blobs) = open_embedded_with(dir.path(), limit).await.unwrap();
        assert_eq!(read_all(blobs.as_ref(), &small_id, 4).await, b"tiny");
        assert_eq!(read_all(blobs.as_ref(), &file_id, 8).await, b"tiny too");
    }
}

#[tokio::test]
async fn the_sweep_removes_unreferenced_small_blobs_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
    meta.create_bucket(&bucket("b")).await.unwrap();
    let referenced = write_blob(blobs.as_ref(), &[b"object"]).await;
    reference(meta.as_ref(), "k", &referenced, 6).await;
    // An orphan: its row was deleted and freeing its bytes never happened (a crash).
    let orphan = write_blob(blobs.as_ref(), &[b"orphan"]).await;
    reference(meta.as_ref(), "gone", &orphan, 6).await;
    meta.delete_object("b", "gone").await.unwrap();
    assert_eq!(small_rows(dir.path()), 2);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = SystemTime::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Written after the cutoff: an upload whose metadata is not committed yet.
    let in_flight = write_blob(blobs.as_ref(), &[b"in flight"]).await;

    let swept = sweep_orphans(meta.as_ref(), blobs.as_ref(), cutoff)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert!(blobs.open(&orphan).await.is_err());
    assert_eq!(read_all(blobs.as_ref(), &referenced, 6).await, b"object");
    assert_eq!(read_all(blobs.as_ref(), &in_flight, 9).await, b"in flight");
    // The in-flight blob is still staged: only the referenced row is left in the table.
    assert_eq!(small_rows(dir.path()), 1);
}

#[tokio::test]
async fn a_staged_blob_is_stored_only_with_a_row_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
        meta.create_bucket(&bucket("b")).await.unwrap();
        // The object write fails (no such bucket): its staged bytes are not stored either.
        let lost = write_blob(blobs.as_ref(), &[b"for a missing bucket"]).await;
        let mut obj = object("nobucket", "k", 20);
        obj.blob = lost.clone();
        assert!(matches!(
            meta.put_object(&obj).await,
            Err(StoreError::NoSuchBucket)
        ));
        assert_eq!(small_rows(dir.path()), 0);
        blobs.delete(&lost).await.unwrap();
        // Freed before any row named it: gone, and a later reference finds nothing to store.
        let freed = write_blob(blobs.as_ref(), &[b"freed"]).await;
        blobs.delete(&freed).await.unwrap();
        assert!(blobs.open(&freed).await.is_err());
        // Never referenced before the store closes: not stored (like an orphan swept).
        let _never = write_blob(blobs.as_ref(), &[b"never named"]).await;
        let kept = write_blob(blobs.as_ref(), &[b"kept"]).await;
        reference(meta.as_ref(), "kept", &kept, 4).await;
    }
    assert_eq!(small_rows(dir.path()), 1);
    let (meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
    let obj = meta.get_object("b", "kept").await.unwrap().unwrap();
    assert_eq!(read_all(blobs.as_ref(), &obj.blob, 4).await, b"kept");
}

#[tokio::test]
async fn concurrent_small_writes_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), INLINE).await.unwrap();
    meta.create_bucket(&bucket("b")).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..64u32 {
        let (meta, blobs) = (meta.clone(), blobs.clone());
        tasks.push(tokio::spawn(async move {
            let body = format!("object number {i}");
            let id = write_blob(blobs.as_ref(), &[body.as_bytes()]).await;
            let mut obj = object("b", &format!("k{i}"), body.len() as u64);
            obj.blob = id;
            meta.put_object(&obj).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for i in 0..64u32 {
        let obj = meta
            .get_object("b", &format!("k{i}"))
            .await
            .unwrap()
            .unwrap();
        let body = read_all(blobs.as_ref(), &obj.blob, obj.size).await;
        assert_eq!(body, format!("object number {i}").as_bytes());
    }
    assert_eq!(small_rows(dir.path()), 64);
}

fn if_none_match() -> WritePrecondition {
    WritePrecondition {
        if_none_match: true,
        if_match: None,
    }
}

fn if_match(etag: &str) -> WritePrecondition {
    WritePrecondition {
        if_none_match: false,
        if_match: Some(format!("\"{etag}\"")),
    }
}

async fn small_blob(blobs: &dyn BlobStore, data: &[u8]) -> BlobRef {
    let mut w = blobs.create().await.unwrap();
    w.write(data).await.unwrap();
    w.commit().await.unwrap()
}

/// A small blob is staged in memory and inserted in the savepoint of the row that names it: a
/// failed precondition rolls it back with the row, nothing of it is stored.
#[tokio::test]
async fn a_failed_precondition_stores_no_small_blob() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), 1024).await.unwrap();
    meta.create_bucket(&bucket("b")).await.unwrap();
    let kept = small_blob(blobs.as_ref(), b"first").await;
    let mut first = object("b", "k", 5);
    first.blob = kept.clone();
    meta.put_object_if(&first, &if_none_match()).await.unwrap();
    assert_eq!(small_rows(dir.path()), 1);

    for cond in [if_none_match(), if_match("ffff")] {
        let loser = small_blob(blobs.as_ref(), b"second").await;
        let mut second = object("b", "k", 6);
        second.blob = loser.clone();
        let r = meta.put_object_if(&second, &cond).await;
        assert!(
            matches!(r, Err(StoreError::PreconditionFailed { .. })),
            "{r:?}"
        );
        assert_eq!(
            small_rows(dir.path()),
            1,
            "the loser's bytes were not stored"
        );
        assert!(
            blobs.open(&loser).await.is_err(),
            "the loser's blob is gone"
        );
        // Freeing it, as the server does after any failed write, finds nothing to free.
        blobs.delete(&loser).await.unwrap();
    }
    let stored = meta.get_object("b", "k").await.unwrap().unwrap();
    assert_eq!(stored.blob, kept);
    let r = blobs.open(&kept).await.unwrap();
    assert_eq!(r.read_chunk(0, 100).await.unwrap(), b"first");
}
