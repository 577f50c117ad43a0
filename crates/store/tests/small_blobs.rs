//! Small blobs on the backend under test (`common::backend`): a small blob and the object
//! naming it survive a reopen. The embedded backend's database tier itself: embedded_tiered.rs.

mod common;

use common::{backend, bucket, object};
use std::path::Path;
use std::sync::Arc;

use sluice_store::{BlobRef, BlobStore, MetaStore, Stores};

const INLINE: usize = 1024;

async fn write_blob(blobs: &dyn BlobStore, pieces: &[&[u8]]) -> BlobRef {
    let mut w = blobs.create().await.unwrap();
    for p in pieces {
        w.write(p).await.unwrap();
    }
    w.commit().await.unwrap()
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

/// The backend under test, keeping blobs up to `INLINE` bytes with the metadata (embedded).
async fn open(dir: &Path) -> (Arc<dyn MetaStore>, Arc<dyn BlobStore>) {
    let Stores { meta, blobs, .. } = backend::open_with_inline_max(dir, INLINE).await;
    (meta, blobs)
}

#[tokio::test]
async fn small_blobs_and_their_objects_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let (meta, blobs) = open(dir.path()).await;
        meta.create_bucket(&bucket("b")).await.unwrap();
        let id = write_blob(blobs.as_ref(), &[b"kept"]).await;
        let mut obj = object("b", "k", 4);
        obj.blob = id.clone();
        meta.put_object(&obj).await.unwrap();
        id
    };
    let (meta, blobs) = open(dir.path()).await;
    let obj = meta.get_object("b", "k").await.unwrap().unwrap();
    assert_eq!(obj.blob, id);
    assert_eq!(read_all(blobs.as_ref(), &id, 4).await, b"kept");
}
