//! The contract for a bucket's CORS configuration (removed with its bucket).

use async_trait::async_trait;

use crate::error::StoreError;

/// Stores each bucket's `CORSConfiguration` document (validated by the caller).
///
/// # Contract
///
/// Each method is one transaction, durable when it returns `Ok`, and idempotent (a retried
/// delete answers `false`). A missing bucket reads `None`. The document is deleted with its
/// bucket, in [`crate::MetaStore::delete_bucket`]'s transaction.
#[async_trait]
pub trait BucketCorsStore: Send + Sync + 'static {
    /// The bucket's CORS document, if any.
    async fn bucket_cors(&self, bucket: &str) -> Result<Option<String>, StoreError>;
    /// Sets the bucket's CORS document; [`StoreError::NoSuchBucket`].
    async fn put_bucket_cors(&self, bucket: &str, document: &str) -> Result<(), StoreError>;
    /// Removes the bucket's CORS document; returns whether there was one (the bucket is not
    /// checked).
    async fn delete_bucket_cors(&self, bucket: &str) -> Result<bool, StoreError>;
}
