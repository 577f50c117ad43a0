//! The metadata store contract: buckets, objects and listing.

use async_trait::async_trait;

use crate::error::StoreError;
use crate::model::{BlobRef, BucketMeta, ObjectMeta};
use crate::multipart_model::{
    CompletedUpload, CompletedUploadRecord, PartRecord, UploadMeta, UploadPage,
};

/// One page request of an S3 ListObjects / ListObjectsV2 call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListQuery<'a> {
    /// Only keys starting with this prefix ("" for all).
    pub prefix: &'a str,
    /// Roll keys containing this string (after the prefix) up into common prefixes.
    /// `Some("")` behaves like `None`.
    pub delimiter: Option<&'a str>,
    /// Exclusive lower bound (V1 marker, V2 start-after or decoded continuation token).
    /// If it falls inside a common prefix, that prefix is not returned again.
    pub start_after: Option<&'a str>,
    /// Maximum number of entries (objects plus common prefixes) in the page.
    pub max_keys: usize,
}

/// One page of listing results.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPage {
    /// Objects in UTF-8 binary key order.
    pub objects: Vec<ObjectMeta>,
    /// Common prefixes in binary order (each counted once toward `max_keys`).
    pub common_prefixes: Vec<String>,
    /// True only if more entries remain after this page.
    pub is_truncated: bool,
    /// When truncated: the last key or common prefix returned (the greater of the two),
    /// to pass as the next `start_after`. `None` when not truncated.
    pub next_marker: Option<String>,
}

/// Metadata storage: buckets and object rows. Implementations never block the async runtime.
#[async_trait]
pub trait MetaStore: Send + Sync + 'static {
    /// Creates a bucket; [`StoreError::BucketExists`] if the name is taken.
    async fn create_bucket(&self, b: &BucketMeta) -> Result<(), StoreError>;

    /// Looks a bucket up by name.
    async fn get_bucket(&self, name: &str) -> Result<Option<BucketMeta>, StoreError>;

    /// All buckets, sorted by name.
    async fn list_buckets(&self) -> Result<Vec<BucketMeta>, StoreError>;

    /// Deletes a bucket that holds no objects ([`StoreError::NoSuchBucket`],
    /// [`StoreError::BucketNotEmpty`]). Its multipart uploads in progress are deleted with it,
    /// as S3 does; the blobs of their parts are returned for the caller to free.
    async fn delete_bucket(&self, name: &str) -> Result<Vec<BlobRef>, StoreError>;

    /// Inserts or replaces an object in one transaction and returns the replaced row, whose
    /// blobs the caller must free. [`StoreError::NoSuchBucket`] if the bucket is gone.
    /// `user_metadata` is stored sorted by name.
    async fn put_object(&self, meta: &ObjectMeta) -> Result<Option<ObjectMeta>, StoreError>;

    /// Reads one object row.
    async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectMeta>, StoreError>;

    /// Deletes one object row and returns it (`None` if absent; the bucket is not checked).
    async fn delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<ObjectMeta>, StoreError>;

    /// One page of S3 ListObjects semantics; costs O(page), not O(bucket).
    /// [`StoreError::NoSuchBucket`] if the bucket does not exist.
    async fn list_objects(&self, bucket: &str, q: &ListQuery<'_>) -> Result<ListPage, StoreError>;

    /// For each blob, whether any object or multipart part references it (same order as input).
    async fn blob_in_use(&self, blobs: &[BlobRef]) -> Result<Vec<bool>, StoreError>;

    /// Total number of objects in all buckets (O(number of buckets)).
    async fn object_count(&self) -> Result<u64, StoreError>;

    /// Object count and total bytes of one bucket, `None` if it does not exist.
    async fn bucket_usage(&self, name: &str) -> Result<Option<BucketUsage>, StoreError>;

    /// Records a new multipart upload ([`StoreError::NoSuchBucket`] if the bucket is gone).
    async fn create_upload(&self, upload: &UploadMeta) -> Result<(), StoreError>;

    /// Looks an open upload up by id.
    async fn get_upload(&self, upload_id: &str) -> Result<Option<UploadMeta>, StoreError>;

    /// Records an uploaded part, replacing an earlier one with the same number; returns the
    /// replaced part's blob for the caller to free. [`StoreError::NoSuchUpload`] if not open.
    async fn put_part(&self, part: &PartRecord) -> Result<Option<BlobRef>, StoreError>;

    /// Parts with numbers above `after_part`, in order, at most `max`.
    async fn list_parts(
        &self,
        upload_id: &str,
        after_part: u32,
        max: usize,
    ) -> Result<Vec<PartRecord>, StoreError>;

    /// Completes an upload: in one transaction the upload and its parts disappear, the
    /// object (whose `parts` manifest names the parts used) is written and a
    /// [`CompletedUploadRecord`] of the completion is kept.
    async fn complete_upload(
        &self,
        upload_id: &str,
        object: &ObjectMeta,
    ) -> Result<CompletedUpload, StoreError>;

    /// The record of a completed upload, if it completed and was not pruned since.
    async fn completed_upload(
        &self,
        upload_id: &str,
    ) -> Result<Option<CompletedUploadRecord>, StoreError>;

    /// Forgets completed uploads that completed before `before_ms`; returns how many.
    async fn prune_completed_uploads(&self, before_ms: i64) -> Result<u64, StoreError>;

    /// Aborts an upload; returns its part blobs for the caller to free.
    async fn abort_upload(&self, upload_id: &str) -> Result<Vec<BlobRef>, StoreError>;

    /// Open uploads of a bucket under `prefix` after the markers (S3 ListMultipartUploads order).
    async fn list_uploads(
        &self,
        bucket: &str,
        prefix: &str,
        key_marker: &str,
        upload_id_marker: &str,
        max: usize,
    ) -> Result<UploadPage, StoreError>;

    /// Number of open multipart uploads (all buckets).
    async fn count_open_uploads(&self) -> Result<u64, StoreError>;

    /// Uploads created before `before_ms` (oldest first, at most `max`), for the stale sweep.
    async fn stale_uploads(
        &self,
        before_ms: i64,
        max: usize,
    ) -> Result<Vec<UploadMeta>, StoreError>;
}

/// Counters maintained transactionally with every put and delete.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BucketUsage {
    /// Number of objects.
    pub objects: u64,
    /// Sum of object sizes in bytes.
    pub bytes: u64,
}
