//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use sluice_store::{
    open_embedded, open_embedded_with, BlobRef, BlobStore, BucketMeta, Checksums, MetaStore,
    ObjectMeta, StandardHeaders,
};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Arc<dyn BlobStore>,
}

pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded(dir.path()).await.unwrap();
    Env { dir, meta, blobs }
}

/// Like [`env`], with every blob a file (the file tier's own behaviour under test).
pub async fn file_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let (meta, blobs) = open_embedded_with(dir.path(), 0).await.unwrap();
    Env { dir, meta, blobs }
}

pub fn bucket(name: &str) -> BucketMeta {
    BucketMeta {
        name: name.to_owned(),
        created_ms: 1_700_000_000_000,
        owner: "alice".to_owned(),
    }
}

pub fn object(bucket: &str, key: &str, size: u64) -> ObjectMeta {
    ObjectMeta {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size,
        etag: "d41d8cd98f00b204e9800998ecf8427e".to_owned(),
        last_modified_ms: 1_700_000_000_123,
        headers: StandardHeaders {
            content_type: Some("text/plain".to_owned()),
            ..Default::default()
        },
        user_metadata: vec![("color".to_owned(), "blue".to_owned())],
        checksums: Checksums {
            crc32: Some("AAAAAA==".to_owned()),
            ..Default::default()
        },
        blob: BlobRef::random(),
        parts: None,
    }
}

pub async fn put_keys(meta: &dyn MetaStore, bucket: &str, keys: &[&str]) {
    for k in keys {
        meta.put_object(&object(bucket, k, 1)).await.unwrap();
    }
}
