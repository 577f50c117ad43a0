//! The blob store contract on the backend under test (`common::backend`): missing and
//! malformed ids, idempotent deletes, empty blobs, the age listing. The embedded file tier's own
//! layout and temp files: embedded_blob_files.rs.

mod common;

use std::time::{Duration, SystemTime};

// Every blob a file on the embedded backend: the small-blob tier has its own tests.
use common::file_env as env;
use sluice_store::{BlobRef, StoreError};

#[tokio::test]
async fn empty_blob() {
    let env = env().await;
    let w = env.blobs.create().await.unwrap();
    let id = w.commit().await.unwrap();
    let r = env.blobs.open(&id).await.unwrap();
    assert!(r.is_empty());
    assert!(r.read_chunk(0, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn open_missing_and_delete_idempotent() {
    let env = env().await;
    let ghost = BlobRef::random();
    assert!(matches!(
        env.blobs.open(&ghost).await.err(),
        Some(StoreError::BlobMissing(id)) if id == ghost.0
    ));
    env.blobs.delete(&ghost).await.unwrap();

    let mut w = env.blobs.create().await.unwrap();
    w.write(b"bytes").await.unwrap();
    let id = w.commit().await.unwrap();
    env.blobs.delete(&id).await.unwrap();
    env.blobs.delete(&id).await.unwrap();
    assert!(matches!(
        env.blobs.open(&id).await.err(),
        Some(StoreError::BlobMissing(_))
    ));
}

#[tokio::test]
async fn rejects_malformed_ids() {
    let env = env().await;
    for bad in [
        "../../etc/passwd",
        "",
        "ABCDEF0123456789ABCDEF0123456789",
        "abc",
    ] {
        let r = BlobRef(bad.to_owned());
        assert!(matches!(
            env.blobs.open(&r).await.err(),
            Some(StoreError::InvalidBlobRef(_))
        ));
        assert!(matches!(
            env.blobs.delete(&r).await,
            Err(StoreError::InvalidBlobRef(_))
        ));
    }
}

#[tokio::test]
async fn list_blobs_older_than_respects_cutoff() {
    let env = env().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let mut w = env.blobs.create().await.unwrap();
        w.write(b"x").await.unwrap();
        ids.push(w.commit().await.unwrap());
    }
    let mut listed = env
        .blobs
        .list_blobs_older_than(SystemTime::now() + Duration::from_secs(60))
        .await
        .unwrap();
    listed.sort();
    ids.sort();
    assert_eq!(listed, ids);
    assert!(env
        .blobs
        .list_blobs_older_than(SystemTime::now() - Duration::from_secs(3600))
        .await
        .unwrap()
        .is_empty());
}
