//! Orphan sweep and freeing replaced blobs on the backend under test (`common::backend`), for
//! blobs kept as files on the embedded backend (the small blobs kept in the database:
//! embedded_tiered.rs; temp files across a crash: embedded_blob_files.rs).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::backend;
use common::{bucket, object};
use sluice_store::{sweep_orphans, BlobRef, BlobStore, Checksums, MetaStore, PartInfo, Stores};

/// The backend under test with every blob a file on the embedded backend.
async fn open(dir: &Path) -> (Arc<dyn MetaStore>, Arc<dyn BlobStore>) {
    let Stores { meta, blobs, .. } = backend::open_with_inline_max(dir, 0).await;
    (meta, blobs)
}

async fn write_blob(blobs: &dyn BlobStore, data: &[u8]) -> BlobRef {
    let mut w = blobs.create().await.unwrap();
    w.write(data).await.unwrap();
    w.commit().await.unwrap()
}

#[tokio::test]
async fn sweep_removes_only_old_unreferenced_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open(dir.path()).await;
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
        backend::age_blob(dir.path(), id, 2 * hour);
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
async fn replace_returns_old_blob_for_the_caller_to_free() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open(dir.path()).await;
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
