//! The contract for S3 tagging: an object's tag set and a bucket's `Tagging` document.

use async_trait::async_trait;

use crate::error::StoreError;

/// Stores object tag sets (kept in the object's row, see [`crate::ObjectMeta::tags`]) and each
/// bucket's tagging document (validated by the caller).
///
/// # Contract
///
/// Each method is one transaction, durable when it returns `Ok`. Setting an object's tags
/// changes nothing else of the object (not its ETag, size, last-modified time or ACL); a write
/// of the object itself ([`crate::MetaStore::put_object`], a completion) replaces them with the
/// tags it carries, and deleting the object deletes them. A bucket's tagging document is
/// deleted with its bucket, in [`crate::MetaStore::delete_bucket`]'s transaction. A missing
/// bucket reads `None`.
#[async_trait]
pub trait TaggingStore: Send + Sync + 'static {
    /// Replaces the tag set of the object stored under `bucket`/`key` (an empty `tags` removes
    /// them); [`StoreError::NoSuchKey`] if there is no such object (the bucket is not checked).
    /// Idempotent.
    async fn put_object_tags(
        &self,
        bucket: &str,
        key: &str,
        tags: &[(String, String)],
    ) -> Result<(), StoreError>;
    /// The bucket's tagging document, if any.
    async fn bucket_tagging(&self, bucket: &str) -> Result<Option<String>, StoreError>;
    /// Sets the bucket's tagging document; [`StoreError::NoSuchBucket`].
    async fn put_bucket_tagging(&self, bucket: &str, document: &str) -> Result<(), StoreError>;
    /// Removes the bucket's tagging document; returns whether there was one (the bucket is not
    /// checked). A retried delete answers `false`.
    async fn delete_bucket_tagging(&self, bucket: &str) -> Result<bool, StoreError>;
}
