//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod backend;

use std::sync::Arc;

use sluice_store::{
    AccessStore, BlobRef, BlobStore, BucketMeta, Checksums, MetaStore, ObjectMeta, StandardHeaders,
    StoreConfig, Stores, DEFAULT_INLINE_MAX,
};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Arc<dyn BlobStore>,
    pub access: Arc<dyn AccessStore>,
}

impl Env {
    fn new(dir: tempfile::TempDir, stores: Stores) -> Env {
        Env {
            dir,
            meta: stores.meta,
            blobs: stores.blobs,
            access: stores.access,
        }
    }
}

/// The backend under test (`SLUICE_TEST_STORE`, see [`backend`]) on a fresh temp dir.
pub async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let stores = backend::open(dir.path()).await;
    Env::new(dir, stores)
}

/// Like [`env`], with every blob a file on the embedded backend (inline limit 0).
pub async fn file_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let stores = backend::open_with_inline_max(dir.path(), 0).await;
    Env::new(dir, stores)
}

/// The embedded backend whatever `SLUICE_TEST_STORE` says: for the `embedded_*` tests of its
/// internals.
pub async fn embedded_env() -> Env {
    embedded_env_with(DEFAULT_INLINE_MAX).await
}

/// [`embedded_env`] keeping blobs up to `inline_max` bytes in the database (0: none).
pub async fn embedded_env_with(inline_max: usize) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let stores = sluice_store::open(&StoreConfig::Embedded {
        data_dir: dir.path().to_path_buf(),
        inline_max,
    })
    .await
    .unwrap();
    stores.blobs.clean_temp().await.unwrap();
    Env::new(dir, stores)
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
        tags: Vec::new(),
    }
}

pub async fn put_keys(meta: &dyn MetaStore, bucket: &str, keys: &[&str]) {
    for k in keys {
        meta.put_object(&object(bucket, k, 1)).await.unwrap();
    }
}
