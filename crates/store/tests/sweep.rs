//! Orphan sweep and crash-safety behaviour across reopen, for blobs kept as files (the small
//! blobs kept in the database: tiered.rs).

mod common;

use std::fs::File;
use std::time::{Duration, SystemTime};

use common::{bucket, object};
use sluice_store::{open_embedded_with, sweep_orphans, BlobRef, BlobStore, Checksums, PartInfo};

async fn write_blob(blobs: &dyn BlobStore, data: &[u8]) -> BlobRef {
    let mut w = blobs.create().await.unwrap();
    w.write(data).await.unwrap();
    w.commit().await.unwrap()
}

fn blob_path(dir: &std::path::Path, id: &BlobRef) -> std::path::PathBuf {
    dir.join("blobs").join(&id.0[0..2]).join(&id.0)
}

fn age(path: &std::path::Path, by: Duration) {
    let f = File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - by).unwrap();
}

#[tokio::test]
async fn sweep_removes_only_old_unreferenced_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), 0).await.unwrap();
    meta.create_bucket(&bucket("b")).await.unwrap();

    let referenced = write_blob(blobs.as_ref(), b"object").await;
    let part = write_blob(blobs.as_ref(), b"part").await;
    let orphan = write_blob(blobs.as_ref(), b"orphan").await;
    let fresh_orphan = write_blob(blobs.as_ref(), b"in flight").await;

    let mut obj = object("b", "k", 6);
    obj.blob = referenced.clone();
    meta.put_object(&obj).await.unwrap();
    let mut multi = object("b", "m", 4);
    multi.parts = Some(vec![PartInfo {
        part_number: 1,
        size: 4,
        etag: "e".into(),
        blob: part.clone(),
        checksums: Checksums::default(),
    }]);
    meta.put_object(&multi).await.unwrap();

    let hour = Duration::from_secs(3600);
    for id in [&referenced, &part, &orphan] {
        age(&blob_path(dir.path(), id), 2 * hour);
    }
    let cutoff = SystemTime::now() - hour;
    assert_eq!(
        sweep_orphans(meta.as_ref(), blobs.as_ref(), cutoff)
            .await
            .unwrap(),
        1
    );
    assert!(blobs.open(&referenced).await.is_ok());
    assert!(blobs.open(&part).await.is_ok());
    assert!(
        blobs.open(&fresh_orphan).await.is_ok(),
        "new blobs are kept"
    );
    assert!(blobs.open(&orphan).await.is_err());
    assert_eq!(
        sweep_orphans(meta.as_ref(), blobs.as_ref(), cutoff)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn committed_blob_and_meta_agree_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let key = "crash/safe";
    {
        let (meta, blobs) = open_embedded_with(dir.path(), 0).await.unwrap();
        meta.create_bucket(&bucket("b")).await.unwrap();
        let id = write_blob(blobs.as_ref(), &payload).await;
        let mut obj = object("b", key, payload.len() as u64);
        obj.blob = id;
        meta.put_object(&obj).await.unwrap();
        // An upload interrupted before commit: only a temp file remains.
        let mut w = blobs.create().await.unwrap();
        w.write(b"half written").await.unwrap();
        std::mem::forget(w);
        // Dropping the stores without any shutdown step simulates a crash after commit.
    }
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        1
    );

    let (meta, blobs) = open_embedded_with(dir.path(), 0).await.unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "startup cleans temp files"
    );
    let obj = meta.get_object("b", key).await.unwrap().unwrap();
    let r = blobs.open(&obj.blob).await.unwrap();
    assert_eq!(r.len(), obj.size);
    let bytes = r.read_chunk(0, usize::MAX).await.unwrap();
    assert_eq!(bytes, payload);
}

#[tokio::test]
async fn replace_returns_old_blob_for_the_caller_to_free() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), 0).await.unwrap();
    meta.create_bucket(&bucket("b")).await.unwrap();
    let v1 = write_blob(blobs.as_ref(), b"v1").await;
    let v2 = write_blob(blobs.as_ref(), b"v2").await;
    let mut o = object("b", "k", 2);
    o.blob = v1.clone();
    meta.put_object(&o).await.unwrap();
    o.blob = v2.clone();
    let old = meta.put_object(&o).await.unwrap().unwrap();
    for b in old.blobs() {
        blobs.delete(&b).await.unwrap();
    }
    assert!(blobs.open(&v1).await.is_err());
    let r = blobs.open(&v2).await.unwrap();
    assert_eq!(r.read_chunk(0, 10).await.unwrap(), b"v2");
}
